package judge

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/align-project/align/data"
)

// LabelOptions control [LabelFile].
type LabelOptions struct {
	// Concurrency is how many pairs are judged at once (default 1).
	Concurrency int
	// Progress, when set, is called after every pair with the counts so far.
	Progress func(r LabelReport)
}

// LabelReport counts what [LabelFile] did.
type LabelReport struct {
	Pairs       int `json:"pairs"`       // pairs in the input
	Skipped     int `json:"skipped"`     // already labelled in the output (resume)
	Labelled    int `json:"labelled"`    // pairs labelled in this run
	Comparisons int `json:"comparisons"` // judge calls (K responses give K(K-1)/2)
	Written     int `json:"written"`     // preference records appended
	Abstained   int `json:"abstained"`   // comparisons the judge abstained on (not written)
	Ties        int `json:"ties"`        // comparisons written with p_chosen 0.5
}

// Preferences turns a verdict on responses a and b of pair p into a
// preference record (nil for an abstention): the preferred response becomes
// chosen, PA the soft label, with ratings, margin, source and tags.
func Preferences(p data.Pair, id string, a, b string, v Verdict) *data.Preference {
	if v.Abstained {
		return nil
	}
	pc := v.PA
	chosen, rejected := a, b
	rc, rr := v.Ratings[0], v.Ratings[1]
	if pc < 0.5 {
		chosen, rejected, pc = b, a, 1-pc
		rc, rr = rr, rc
	}
	pref := &data.Preference{ID: id, Prompt: p.Prompt, Chosen: chosen, Rejected: rejected, PChosen: &pc, Source: v.Source()}
	if v.Margin > 0 {
		m := v.Margin
		pref.Margin = &m
	}
	if dc, dr := dataRating(rc), dataRating(rr); dc != nil && dr != nil {
		pref.Ratings = &data.Ratings{Chosen: dc, Rejected: dr}
	}
	pref.Tags = append(pref.Tags, p.Tags...)
	if v.Consistent != nil {
		if *v.Consistent {
			pref.Tags = append(pref.Tags, TagConsistent)
		} else {
			pref.Tags = append(pref.Tags, TagInconsistent)
		}
	}
	if v.PA == 0.5 {
		pref.Tags = append(pref.Tags, "tie")
	}
	return pref
}

// dataRating converts a rating to the preference format's three axes, or
// nil when one of them is missing.
func dataRating(r Rating) *data.Rating {
	c, ok1 := r[Coherence]
	rel, ok2 := r[Relevance]
	s, ok3 := r[Safety]
	if !ok1 || !ok2 || !ok3 {
		return nil
	}
	return &data.Rating{Coherence: c, Relevance: rel, Safety: s}
}

// LabelFile labels the pairs of the JSONL file in with j and appends the
// preferences to out, so an interrupted run resumes where it stopped: pairs
// whose id (see [data.PairID]) already occurs in out are skipped, and the
// records of each pair are written and flushed together, in the order of
// the input whatever the concurrency. A pair of K
// responses is compared in all K(K−1)/2 combinations. Abstentions are
// counted and not written (a rerun asks again). It stops at the first judge
// error (budget exhausted, cancelled) after writing what was done.
func LabelFile(ctx context.Context, j Judge, in, out string, opts LabelOptions) (LabelReport, error) {
	var rep LabelReport
	pairs, _, err := data.ReadAll[data.Pair](in, data.ReadOptions{Strict: true})
	if err != nil {
		return rep, fmt.Errorf("label: %w", err)
	}
	rep.Pairs = len(pairs)
	done, err := labelledIDs(out)
	if err != nil {
		return rep, err
	}
	var todo []data.Pair
	for _, p := range pairs {
		if done[data.PairID(p)] {
			rep.Skipped++
			continue
		}
		todo = append(todo, p)
	}
	f, err := os.OpenFile(out, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return rep, fmt.Errorf("label: %w", err)
	}
	w := data.NewWriter[data.Preference](f)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
		// Pairs are judged concurrently but written in input order, so the
		// output does not depend on the scheduling: a pair finished early
		// waits in pending until every pair before it is written.
		pending = map[int][]data.Preference{}
		next    int
	)
	type job struct {
		i int
		p data.Pair
	}
	jobs := make(chan job)
	workers := max(1, opts.Concurrency)
	for range workers {
		wg.Go(func() {
			for jb := range jobs {
				prefs, st, err := labelPair(ctx, j, jb.p)
				mu.Lock()
				if err != nil {
					if firstErr == nil {
						firstErr = err
						cancel()
					}
					mu.Unlock()
					continue
				}
				pending[jb.i] = prefs
				for ; firstErr == nil; next++ {
					ready, ok := pending[next]
					if !ok {
						break
					}
					delete(pending, next)
					for _, pr := range ready {
						if werr := w.Write(pr); werr != nil && firstErr == nil {
							firstErr = werr
							cancel()
						}
					}
					if ferr := w.Flush(); ferr != nil && firstErr == nil {
						firstErr = ferr
						cancel()
					}
				}
				rep.Labelled++
				rep.Comparisons += st.Comparisons
				rep.Abstained += st.Abstained
				rep.Ties += st.Ties
				rep.Written = w.Count()
				if opts.Progress != nil {
					opts.Progress(rep)
				}
				mu.Unlock()
			}
		})
	}
feed:
	for i, p := range todo {
		select {
		case jobs <- job{i, p}:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if err := errors.Join(w.Flush(), f.Close()); err != nil && firstErr == nil {
		firstErr = fmt.Errorf("label: write %s: %w", out, err)
	}
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	return rep, firstErr
}

// labelPair judges every combination of a pair's responses.
func labelPair(ctx context.Context, j Judge, p data.Pair) ([]data.Preference, LabelReport, error) {
	var st LabelReport
	id := data.PairID(p)
	var out []data.Preference
	for a := 0; a < len(p.Responses); a++ {
		for b := a + 1; b < len(p.Responses); b++ {
			if p.Responses[a] == p.Responses[b] {
				continue
			}
			v, err := j.Compare(ctx, Comparison{Prompt: p.Prompt, A: p.Responses[a], B: p.Responses[b], Tags: p.Tags, Reference: p.Answer})
			if err != nil {
				return nil, st, fmt.Errorf("label pair %s: %w", id, err)
			}
			st.Comparisons++
			pref := Preferences(p, id, p.Responses[a], p.Responses[b], v)
			if pref == nil {
				st.Abstained++
				continue
			}
			if v.PA == 0.5 {
				st.Ties++
			}
			out = append(out, *pref)
		}
	}
	return out, st, nil
}

// labelledIDs returns the ids of the preferences already in path (none if
// it does not exist). A last line cut short by a crash is removed first so
// appending starts on a fresh line.
func labelledIDs(path string) (map[string]bool, error) {
	ids := make(map[string]bool)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return ids, nil
	}
	if err != nil {
		return nil, fmt.Errorf("label: %w", err)
	}
	if n := len(b); n > 0 && b[n-1] != '\n' {
		cut := bytes.LastIndexByte(b, '\n') + 1
		if err := os.Truncate(path, int64(cut)); err != nil {
			return nil, fmt.Errorf("label: repair %s: %w", path, err)
		}
		b = b[:cut]
	}
	_, err = data.Read[data.Preference](bytes.NewReader(b), path, data.ReadOptions{}, func(p data.Preference) error {
		if p.ID != "" {
			ids[p.ID] = true
		}
		return nil
	})
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("label: read %s: %w", path, err)
	}
	return ids, nil
}
