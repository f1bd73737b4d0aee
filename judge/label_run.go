package judge

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/align-project/align/internal/atomicfile"
	"github.com/align-project/align/internal/outguard"
	"github.com/align-project/align/internal/progress"
)

// LabelSpec is one run of Label: the judge, the pairs it labels and where
// the preferences go.
type LabelSpec struct {
	Spec              // the judge (Seed included)
	In, Out string    // pairs JSONL to label; preferences JSONL appended to (created if missing)
	Stats   string    // also write the run's LabelResult as JSON here ("" = no)
	Log     io.Writer // the progress bar (nil = none)
}

// LabelResult is what Label did, as written to LabelSpec.Stats: the counts,
// the judge's id and, for the openai judge, its request and verdict
// statistics. JudgeID is empty when the judge could not be built, so
// nothing was labelled.
type LabelResult struct {
	JudgeID string      `json:"judge"`
	Report  LabelReport `json:"label"`
	LLM     *LLMStats   `json:"llm,omitempty"`
}

// Label builds the judge of s.Spec (see New) and labels the pairs of s.In
// into s.Out with LabelFile, which resumes: pairs already in s.Out are
// skipped. The counts are returned, and written to s.Stats, also when
// labelling stopped at an error (an exhausted budget wraps ErrBudget; a
// judge that could not judge is a *FailureError with the counts, the
// server, the last failure and the fix). A run that could not judge more
// than FailWarnShare of its comparisons succeeds with Report.Warning set.
func Label(ctx context.Context, s LabelSpec) (LabelResult, error) {
	if s.In == "" || s.Out == "" {
		return LabelResult{}, errors.New("label: a pairs file and a preferences file are needed")
	}
	inputs := []outguard.Input{outguard.In("in", s.In), outguard.In("constitution", s.Constitution),
		outguard.In("few_shot", s.FewShot), outguard.In("lexicon", s.Lexicon), outguard.In("reference_model", s.ReferenceModel)}
	if err := outguard.NotOnInputs("out", s.Out, inputs...); err != nil {
		return LabelResult{}, err
	}
	if err := outguard.NotOnInputs("stats", s.Stats, append(inputs, outguard.In("out", s.Out))...); err != nil {
		return LabelResult{}, err
	}
	j, err := New(s.Spec)
	if err != nil {
		return LabelResult{}, err
	}
	var bar *progress.Bar
	start := time.Now()
	opts := LabelOptions{Concurrency: s.Concurrency}
	if s.Log != nil {
		opts.Progress = func(r LabelReport) {
			if bar == nil {
				bar = progress.New(s.Log, progress.IsTerminal(s.Log), "label", r.Pairs-r.Skipped, "pair", 10*time.Second)
			}
			done := r.Labelled + r.Incomplete
			rate := float64(done) / time.Since(start).Seconds()
			var eta time.Duration
			if rate > 0 {
				eta = time.Duration(float64(r.Pairs-r.Skipped-done) / rate * float64(time.Second))
			}
			bar.Update(done, rate, eta, fmt.Sprintf("written %d abstained %d", r.Written, r.Abstained), false)
		}
	}
	rep, lerr := LabelFile(ctx, j, s.In, s.Out, opts)
	if bar != nil {
		bar.Done()
	}
	res := LabelResult{JudgeID: j.ID(), Report: rep}
	if l, ok := j.(*LLM); ok {
		st := l.Stats()
		res.LLM = &st
	}
	if s.Stats != "" {
		if err := atomicfile.WriteJSON(s.Stats, res); err != nil {
			return res, errors.Join(lerr, err)
		}
	}
	return res, lerr
}

// WriteText prints the summary 'align label' prints.
func (r LabelResult) WriteText(w io.Writer) {
	rep := r.Report
	incomplete := ""
	if rep.Incomplete > 0 {
		incomplete = fmt.Sprintf(", %d incomplete", rep.Incomplete)
	}
	fmt.Fprintf(w, "label: %d pairs, %d already labelled, %d labelled now%s: %d comparisons, %d preferences written, %d abstained, %d ties\n",
		rep.Pairs, rep.Skipped, rep.Labelled, incomplete, rep.Comparisons, rep.Written, rep.Abstained, rep.Ties)
	if st := r.LLM; st != nil {
		fmt.Fprintf(w, "  judge %s: %d orders asked, %d cache hits, %d consistent / %d inconsistent / %d one-order verdicts, %d abstained %v\n",
			r.JudgeID, st.Asked, st.CacheHits, st.Consistent, st.Inconsistent, st.OneOrder, st.Abstained, st.AbstainReasons)
		fmt.Fprintf(w, "  soft labels: %d from log-probs, %d from answers; %d unreadable answers, %d re-asked\n",
			st.FromLogprobs, st.FromAnswer, st.Unparseable, st.ParseRetries)
		c := st.Client
		fmt.Fprintf(w, "  http: %d requests, %d retries, %d failures (no answer: %d, 429: %d, other 4xx: %d, 5xx: %d, bad bodies: %d, timeouts: %d)\n",
			c.Requests, c.Retries, c.Failures, c.Network, c.Status429, c.Status4xx, c.Status5xx, c.BadBodies, c.Timeouts)
	}
	if rep.Warning != "" {
		fmt.Fprintf(w, "label: warning: %s; run the same command again to ask them again\n", rep.Warning)
	}
}
