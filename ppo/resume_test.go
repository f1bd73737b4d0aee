package ppo

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/model"
	"github.com/align-project/align/reward"
)

// interruptingSource scores with costly and, on call number failAt,
// cancels the run's context and fails as a source cut off mid-request does.
type interruptingSource struct {
	calls, failAt int
	cancel        context.CancelFunc
}

func (s *interruptingSource) Score(ctx context.Context, prompts, responses []string) ([]reward.Score, error) {
	s.calls++
	if s.calls == s.failAt {
		s.cancel()
		return nil, ctx.Err()
	}
	return FuncSource(costly).Score(ctx, prompts, responses)
}

func resumeTrainer(t *testing.T, out string, src RewardSource) *Trainer {
	cfg := synthConfig()
	cfg.Iterations, cfg.BatchSize, cfg.MiniBatch = 6, 16, 8
	cfg.SaveEvery, cfg.SampleEvery, cfg.SampleRows = 2, 2, 2
	cfg.AdaptiveKL, cfg.KLCoef = true, 0.05 // β moves: its state must survive
	cfg.Constraint, cfg.CostLimit = true, 0.2
	return &Trainer{
		Config:     cfg,
		Policy:     synthModel(t),
		Reward:     src,
		Prompts:    synthPrompts(12, 2), // 16 per batch: passes over the prompts straddle batches
		StopTokens: []int32{synthStop},
		Decode:     synthDecode,
		Out:        out,
	}
}

// costly adds a cost to synthReward so the Lagrange multiplier moves.
func costly(p, r string) reward.Score {
	s := synthReward(p, r)
	s.Cost = float64(len(r)) / 4
	return s
}

// TestResumeIsExact interrupts runs at an iteration boundary and in the
// middle of scoring, resumes them, and expects the parameters, optimizer
// state and metrics of a run that never stopped.
func TestResumeIsExact(t *testing.T) {
	if testing.Short() {
		t.Skip("runs PPO four times")
	}
	dir := t.TempDir()
	straight := resumeTrainer(t, filepath.Join(dir, "straight"), FuncSource(costly))
	if _, err := straight.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := readLines(t, filepath.Join(straight.Out, MetricsFile))
	wantSamples := readLines(t, filepath.Join(straight.Out, SamplesFile))

	for _, tc := range []struct {
		name string
		stop func(tr *Trainer, cancel context.CancelFunc)
	}{
		{"boundary", func(tr *Trainer, cancel context.CancelFunc) {
			tr.Reward = FuncSource(costly)
			tr.AfterIteration = func(it int) {
				if it == 3 {
					cancel()
				}
			}
		}},
		{"mid-scoring", func(tr *Trainer, cancel context.CancelFunc) {
			tr.Reward = &interruptingSource{failAt: 4, cancel: cancel}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, tc.name)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			first := resumeTrainer(t, out, nil)
			tc.stop(first, cancel)
			res, err := first.Run(ctx)
			if !errors.Is(err, ErrInterrupted) {
				t.Fatalf("interrupted run: %v", err)
			}
			if res.Iterations != 3 {
				t.Fatalf("interrupted after %d iterations, want 3", res.Iterations)
			}
			second := resumeTrainer(t, out, FuncSource(costly))
			second.Resume = true
			if _, err := second.Run(context.Background()); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(second.Policy.Params(), straight.Policy.Params()) {
				t.Error("resumed policy differs from the uninterrupted one")
			}
			got := readLines(t, filepath.Join(out, MetricsFile))
			if len(got) != len(want) {
				t.Fatalf("%d metrics lines, want %d", len(got), len(want))
			}
			for i := range got {
				if g, w := withoutTimes(t, got[i]), withoutTimes(t, want[i]); g != w {
					t.Errorf("metrics line %d:\n got %s\nwant %s", i+1, g, w)
				}
			}
			if gs := readLines(t, filepath.Join(out, SamplesFile)); !slices.Equal(gs, wantSamples) {
				t.Errorf("samples differ:\n%v\n%v", gs, wantSamples)
			}
			// The final value model was saved beside the policy and loads.
			hf, err := checkpoint.LoadHF(filepath.Join(out, ValueDir))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(hf.Model.Params(), valueParams(t, straight)) {
				t.Error("resumed value model differs from the uninterrupted one")
			}
		})
	}
}

func valueParams(t *testing.T, tr *Trainer) []float32 {
	hf, err := checkpoint.LoadHF(filepath.Join(tr.Out, ValueDir))
	if err != nil {
		t.Fatal(err)
	}
	return hf.Model.Params()
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines
}

// withoutTimes drops the wall-clock fields of a metrics line.
func withoutTimes(t *testing.T, line string) string {
	var m map[string]any
	if err := json.Unmarshal([]byte(line), &m); err != nil {
		t.Fatal(err)
	}
	for k := range m {
		if len(k) > 5 && k[:5] == "time_" || k == "elapsed" {
			delete(m, k)
		}
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// TestDeterministic runs the same short training twice.
func TestDeterministic(t *testing.T) {
	run := func() *model.Model {
		tr := resumeTrainer(t, "", FuncSource(costly))
		tr.Config.Iterations = 3
		if _, err := tr.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		return tr.Policy
	}
	if !slices.Equal(run().Params(), run().Params()) {
		t.Error("two runs with the same seed differ")
	}
}
