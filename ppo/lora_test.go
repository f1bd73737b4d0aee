package ppo

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/model"
)

// loraTrainer is a PPO (or GRPO) run of 6 iterations on a small
// Llama-shaped policy with rank-4 adapters on every projection.
func loraTrainer(t *testing.T, out string, adv Advantage) *Trainer {
	t.Helper()
	cfg := synthConfig()
	if adv.group() {
		cfg = groupConfig(adv)
		cfg.GroupSize = 4
	}
	cfg.Iterations, cfg.BatchSize, cfg.MiniBatch = 6, 16, 8
	cfg.SaveEvery, cfg.SampleEvery, cfg.SampleRows, cfg.LR = 2, 2, 1, 1e-2
	if adv.group() {
		cfg.BatchSize = 4
	}
	p, err := model.New(model.Config{Arch: model.ArchLlama, VocabSize: synthV, Context: 16, Layers: 2, Heads: 2, KVHeads: 1,
		Channels: 16, Hidden: 40, TiedEmbeddings: true}, 3)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AddLoRA(model.LoRAConfig{Rank: 4, Alpha: 8, Targets: []string{model.LoRAAllLinear}}, 1); err != nil {
		t.Fatal(err)
	}
	return &Trainer{
		Config: cfg, Policy: p, Reward: FuncSource(synthReward),
		Prompts: synthPrompts(12, 2), StopTokens: []int32{synthStop}, Decode: synthDecode, Out: out,
	}
}

// TestLoRARunResumesExactly: PPO and GRPO with adapters train only the
// adapters (the base, which is also the reference, stays as it was), a run
// interrupted after iteration 3 and resumed ends with the adapters and
// metrics of one that never stopped, and the merged model saved in Out
// gives the adapter model's logits.
func TestLoRARunResumesExactly(t *testing.T) {
	for _, adv := range []Advantage{AdvGAE, AdvGRPO} {
		t.Run(string(adv), func(t *testing.T) {
			dir := t.TempDir()
			straight := loraTrainer(t, filepath.Join(dir, "straight"), adv)
			base := slices.Clone(straight.Policy.Params())
			if _, err := straight.Run(context.Background()); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(straight.Policy.Params(), base) {
				t.Error("the base weights changed under LoRA")
			}
			if adapters := straight.Policy.TrainableParams(); !slices.ContainsFunc(adapters, func(v float32) bool { return v != 0 }) {
				t.Error("no adapter trained")
			}
			want := readLines(t, filepath.Join(straight.Out, MetricsFile))

			out := filepath.Join(dir, "stopped")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			first := loraTrainer(t, out, adv)
			first.AfterIteration = func(it int) {
				if it == 3 {
					cancel()
				}
			}
			if res, err := first.Run(ctx); !errors.Is(err, ErrInterrupted) || res.Iterations != 3 {
				t.Fatalf("interrupted run: %d iterations, %v", res.Iterations, err)
			}
			second := loraTrainer(t, out, adv)
			second.Resume = true
			if _, err := second.Run(context.Background()); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(second.Policy.TrainableParams(), straight.Policy.TrainableParams()) {
				t.Error("the resumed adapters differ from the uninterrupted ones")
			}
			if adv == AdvGAE && !slices.Equal(second.Value.TrainableParams(), straight.Value.TrainableParams()) {
				t.Error("the resumed value adapters differ from the uninterrupted ones")
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

			merged, err := checkpoint.LoadHF(straight.Out)
			if err != nil {
				t.Fatal(err)
			}
			ids := []int32{1, 5, 7, 2, 6, 3}
			logits := func(m *model.Model) []float32 {
				if err := m.Forward(ids, 1, len(ids)); err != nil {
					t.Fatal(err)
				}
				return slices.Clone(m.Logits())
			}
			a, b := logits(straight.Policy), logits(merged.Model)
			for i := range a {
				if math.Abs(float64(a[i]-b[i])) > 1e-5*(1+math.Abs(float64(a[i]))) {
					t.Fatalf("logit %d: adapter model %v, merged export %v", i, a[i], b[i])
				}
			}
			adapter := filepath.Join(straight.Out, checkpoint.AdapterDir)
			if _, _, err := checkpoint.ReadLoRAConfig(adapter); err != nil {
				t.Errorf("no PEFT adapter beside the merged model: %v", err)
			}
		})
	}
}
