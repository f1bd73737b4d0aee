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
	Labelled    int `json:"labelled"`    // pairs labelled in this run, every comparison judged
	Comparisons int `json:"comparisons"` // judge calls (K responses give K(K-1)/2)
	Written     int `json:"written"`     // preference records appended
	Abstained   int `json:"abstained"`   // comparisons the judge abstained on (not written)
	Ties        int `json:"ties"`        // comparisons written with p_chosen 0.5
	// Incomplete counts pairs of this run with comparisons the judge could
	// not judge (not written: a rerun asks them again).
	Incomplete int `json:"incomplete,omitempty"`
	// Warning says that more than FailWarnShare of the comparisons could
	// not be judged, why and what to fix ("" when not).
	Warning string `json:"warning,omitempty"`
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
// preferences to out, so an interrupted run resumes where it stopped: the
// comparisons already in out (by pair id, see [data.PairID], and responses)
// are not asked again, and a pair with all of them is skipped. The records
// of each pair are written and flushed together, in the order of the input
// whatever the concurrency. A pair of K responses (at most
// data.MaxResponses) is compared in all K(K−1)/2 combinations.
//
// A comparison the judge could not judge (an abstention: its requests
// failed or its answers were unreadable) is counted and not written, so a
// rerun asks it again. When no comparison could be judged, or FailStreak
// in a row could not, labelling stops with a *[FailureError] saying why and
// what to fix; above FailWarnShare the report carries a warning. It also
// stops at the first judge error (budget exhausted, cancelled). Whatever
// was judged before it stopped is written.
func LabelFile(ctx context.Context, j Judge, in, out string, opts LabelOptions) (LabelReport, error) {
	var rep LabelReport
	pairs, _, err := data.ReadAll[data.Pair](in, data.ReadOptions{Strict: true})
	if err != nil {
		return rep, fmt.Errorf("label: %w", err)
	}
	rep.Pairs = len(pairs)
	done, err := labelledComparisons(out)
	if err != nil {
		return rep, err
	}
	type job struct {
		i    int
		p    data.Pair
		done map[[2]string]bool // comparisons of the pair already in out
	}
	var todo []job
	for _, p := range pairs {
		d := done[data.PairID(p)]
		if d != nil && len(missing(p, d)) == 0 {
			rep.Skipped++
			continue
		}
		todo = append(todo, job{len(todo), p, d})
	}
	f, err := os.OpenFile(out, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return rep, fmt.Errorf("label: %w", err)
	}
	w := data.NewWriter[data.Preference](f)
	tally := NewTally(j)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		firstErr error
		writeErr error
		wg       sync.WaitGroup
		// Pairs are judged concurrently but written in input order, so the
		// output does not depend on the scheduling: a pair finished early
		// waits in pending until every pair before it is written.
		pending = map[int][]data.Preference{}
		next    int
	)
	fail := func(err error) { // mu is held
		if firstErr == nil {
			firstErr = err
			cancel()
		}
	}
	write := func(prefs []data.Preference) { // mu is held
		if writeErr != nil {
			return
		}
		for _, pr := range prefs {
			if writeErr = w.Write(pr); writeErr != nil {
				fail(writeErr)
				return
			}
		}
		if writeErr = w.Flush(); writeErr != nil {
			fail(writeErr)
		}
	}
	jobs := make(chan job)
	workers := max(1, opts.Concurrency)
	for range workers {
		wg.Go(func() {
			for jb := range jobs {
				// A pair that stopped at an error still hands over what
				// was judged, and is written in its turn: nothing judged
				// is thrown away. (Pairs are handed out in order and each
				// lands in pending, so no pair waits on one never started.)
				prefs, st, err := labelPair(ctx, j, jb.p, jb.done, tally)
				mu.Lock()
				if err != nil {
					fail(err)
				}
				pending[jb.i] = prefs
				for ; ; next++ {
					ready, ok := pending[next]
					if !ok {
						break
					}
					delete(pending, next)
					write(ready)
				}
				switch {
				case err == nil && st.Abstained == 0:
					rep.Labelled++
				case err == nil:
					rep.Incomplete++
				}
				rep.Comparisons += st.Comparisons
				rep.Abstained += st.Abstained
				rep.Ties += st.Ties
				rep.Written = w.Count()
				if err == nil && opts.Progress != nil {
					opts.Progress(rep)
				}
				mu.Unlock()
			}
		})
	}
feed:
	for _, jb := range todo {
		select {
		case jobs <- jb:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if err := errors.Join(w.Flush(), f.Close()); err != nil && writeErr == nil {
		writeErr = err
		if firstErr == nil {
			firstErr = err
		}
	}
	if writeErr != nil && errors.Is(firstErr, writeErr) {
		firstErr = fmt.Errorf("label: write %s: %w", out, writeErr)
	}
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	if firstErr == nil {
		firstErr = tally.Err()
	}
	if fe, ok := errors.AsType[*FailureError](firstErr); ok {
		fe.Then = fmt.Sprintf("run the same command again: the preferences in %s are kept and only what is missing is asked", out)
		firstErr = fmt.Errorf("label: %w", fe)
	}
	rep.Warning = tally.Warning()
	return rep, firstErr
}

// missing lists the comparisons of p (index pairs of distinct responses)
// that done does not hold.
func missing(p data.Pair, done map[[2]string]bool) [][2]int {
	var out [][2]int
	for a := 0; a < len(p.Responses); a++ {
		for b := a + 1; b < len(p.Responses); b++ {
			ra, rb := p.Responses[a], p.Responses[b]
			if ra == rb || done[comparisonKey(ra, rb)] {
				continue
			}
			out = append(out, [2]int{a, b})
		}
	}
	return out
}

// comparisonKey names a comparison by its two responses in either order.
func comparisonKey(a, b string) [2]string {
	if b < a {
		a, b = b, a
	}
	return [2]string{a, b}
}

// labelPair judges the comparisons of a pair that done does not hold. On an
// error it returns what it judged before it, with the error.
func labelPair(ctx context.Context, j Judge, p data.Pair, done map[[2]string]bool, tally *Tally) ([]data.Preference, LabelReport, error) {
	var st LabelReport
	id := data.PairID(p)
	var out []data.Preference
	for _, ab := range missing(p, done) {
		a, b := p.Responses[ab[0]], p.Responses[ab[1]]
		v, err := j.Compare(ctx, Comparison{Prompt: p.Prompt, A: a, B: b, Tags: p.Tags, Reference: p.Answer})
		if err != nil {
			return out, st, fmt.Errorf("label pair %s: %w", id, err)
		}
		st.Comparisons++
		terr := tally.Add(v)
		if pref := Preferences(p, id, a, b, v); pref == nil {
			st.Abstained++
		} else {
			if v.PA == 0.5 {
				st.Ties++
			}
			out = append(out, *pref)
		}
		if terr != nil {
			return out, st, terr
		}
	}
	return out, st, nil
}

// labelledComparisons returns the comparisons already in path (none if it
// does not exist), by pair id. A last line cut short by a crash is removed
// first so appending starts on a fresh line.
func labelledComparisons(path string) (map[string]map[[2]string]bool, error) {
	done := make(map[string]map[[2]string]bool)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return done, nil
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
			if done[p.ID] == nil {
				done[p.ID] = make(map[[2]string]bool)
			}
			done[p.ID][comparisonKey(p.Chosen, p.Rejected)] = true
		}
		return nil
	})
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("label: read %s: %w", path, err)
	}
	return done, nil
}
