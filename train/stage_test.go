package train

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/data"
	"github.com/align-project/align/internal/yamlconf"
	"github.com/align-project/align/model"
)

// stageConfig is a pretraining config that runs on the embedded corpus in
// about a second: checkpoints and evaluations every 3 of 6 steps.
func stageConfig() Config {
	c := tinyConfig()
	c.Steps, c.Warmup, c.EvalEvery, c.EvalBatches, c.SaveEvery = 6, 2, 3, 2, 3
	return c
}

// sftStageConfig fine-tunes for 6 steps and answers 4 held-out prompts.
func sftStageConfig() Config {
	c := DefaultSFT()
	c.Steps, c.Batch, c.Warmup, c.EvalEvery, c.EvalBatches, c.SaveEvery = 6, 4, 2, 3, 2, 3
	c.EvalSamples, c.MaxNewTokens = 4, 4
	return c
}

// interruptAt returns a context and an AfterStep hook that cancels it after
// step.
func interruptAt(step int) (context.Context, func(int)) {
	ctx, cancel := context.WithCancel(context.Background())
	return ctx, func(s int) {
		if s == step {
			cancel()
		}
	}
}

// sameFiles fails unless the files name in dirs a and b hold the same bytes.
func sameFiles(t *testing.T, a, b string, names ...string) {
	t.Helper()
	for _, name := range names {
		x, err := os.ReadFile(filepath.Join(a, name))
		if err != nil {
			t.Fatal(err)
		}
		y, err := os.ReadFile(filepath.Join(b, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between %s and %s", name, a, b)
		}
	}
}

// TestPretrainThenSFT runs both stages on the embedded data, then each
// again, interrupted at step 2 and resumed: the resumed runs must end with
// the same model bytes (and the same evaluation) as the runs that never
// stopped.
func TestPretrainThenSFT(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "base")
	var log bytes.Buffer
	res, err := Pretrain(context.Background(), PretrainSpec{Config: stageConfig(), Data: data.Embedded, Out: base, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stage != "pretrain" || res.Out != base || res.Steps != 6 {
		t.Errorf("result: stage %q, out %q, %d steps", res.Stage, res.Out, res.Steps)
	}
	if !strings.Contains(log.String(), "pretrain: training a 300-token BPE tokenizer") {
		t.Errorf("log:\n%s", log.String())
	}
	var summary strings.Builder
	res.WriteText(&summary)
	if !strings.HasPrefix(summary.String(), "pretrain: 6 steps, ") || !strings.Contains(summary.String(), "  model: "+base+"  metrics: ") {
		t.Errorf("summary:\n%s", summary.String())
	}
	for _, f := range []string{checkpoint.HFConfigFile, checkpoint.HFTokenizerFile, ConfigFile, MetricsFile,
		filepath.Join(LastDir, checkpoint.TrainStateManifest)} {
		if !fileExists(filepath.Join(base, f)) {
			t.Errorf("pretrain wrote no %s", f)
		}
	}

	// The tokenizer of the first run is loaded instead of trained again:
	// training is deterministic, so the model is the same.
	base2 := filepath.Join(dir, "base2")
	ctx, after := interruptAt(2)
	spec := PretrainSpec{Config: stageConfig(), Data: data.Embedded, Tokenizer: base, Out: base2, AfterStep: after}
	res, err = Pretrain(ctx, spec)
	if !errors.Is(err, ErrInterrupted) || res.Steps != 2 {
		t.Fatalf("interrupted pretraining: %d steps, err %v", res.Steps, err)
	}
	spec.Tokenizer, spec.Resume, spec.AfterStep = "", true, nil
	if _, err := Pretrain(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	sameFiles(t, base, base2, checkpoint.HFWeightsFile, checkpoint.HFTokenizerFile)

	sft := filepath.Join(dir, "sft")
	sres, err := SFT(context.Background(), SFTSpec{Config: sftStageConfig(), Base: base, Data: data.Embedded, Out: sft})
	if err != nil {
		t.Fatal(err)
	}
	if sres.Stage != "sft" || sres.Eval == nil || sres.Eval.Prompts != 4 || sres.EvalPath != filepath.Join(sft, EvalFile) {
		t.Fatalf("sft result: %+v", sres)
	}
	var ev SFTEval
	if b, err := os.ReadFile(sres.EvalPath); err != nil || json.Unmarshal(b, &ev) != nil || len(ev.Samples) != 4 {
		t.Errorf("eval.json: %v, %+v", err, ev)
	}
	hm, err := checkpoint.LoadHF(sft)
	if err != nil {
		t.Fatal(err)
	}
	if hm.Align.Stage != "sft" || hm.Model.Config.Context != 16 {
		t.Errorf("sft model: stage %q, context %d", hm.Align.Stage, hm.Model.Config.Context)
	}
	summary.Reset()
	sres.WriteText(&summary)
	if !strings.Contains(summary.String(), "sft eval on 4 held-out prompts: EOS") || !strings.Contains(summary.String(), "answers: "+sres.EvalPath) {
		t.Errorf("sft summary:\n%s", summary.String())
	}

	sft2 := filepath.Join(dir, "sft2")
	ctx, after = interruptAt(2)
	sspec := SFTSpec{Config: sftStageConfig(), Base: base, Data: data.Embedded, Out: sft2, AfterStep: after}
	sres, err = SFT(ctx, sspec)
	if !errors.Is(err, ErrInterrupted) || sres.Steps != 2 || sres.Eval != nil {
		t.Fatalf("interrupted sft: %d steps, eval %v, err %v", sres.Steps, sres.Eval, err)
	}
	sspec.Base, sspec.Resume, sspec.AfterStep = "", true, nil
	if _, err := SFT(context.Background(), sspec); err != nil {
		t.Fatal(err)
	}
	sameFiles(t, sft, sft2, checkpoint.HFWeightsFile, EvalFile)
}

// TestStageErrorsNameTheSetting checks that a bad setting or a file that
// cannot be read comes back as a *yamlconf.KeyError of its key.
func TestStageErrorsNameTheSetting(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.jsonl")
	bad := stageConfig()
	bad.LR = -1
	huge := stageConfig()
	huge.Ctx = 1 << 20
	unknownArch := stageConfig()
	unknownArch.Arch = "mamba"
	gpt2GQA := stageConfig()
	gpt2GQA.KVHeads = 1
	oddKV := stageConfig()
	oddKV.Arch, oddKV.Heads, oddKV.KVHeads = model.ArchLlama, 4, 3
	for _, tc := range []struct {
		key string
		pre PretrainSpec
		sft *SFTSpec
	}{
		{key: "lr", pre: PretrainSpec{Config: bad, Data: missing, Out: dir}},
		{key: "ctx", pre: PretrainSpec{Config: huge, Data: missing, Out: dir}},
		{key: "arch", pre: PretrainSpec{Config: unknownArch, Data: missing, Out: dir}},
		{key: "arch", pre: PretrainSpec{Config: gpt2GQA, Data: missing, Out: dir}},
		{key: "kv_heads", pre: PretrainSpec{Config: oddKV, Data: missing, Out: dir}},
		{key: "data", pre: PretrainSpec{Config: stageConfig(), Data: missing, Out: dir}},
		{key: "base", sft: &SFTSpec{Config: sftStageConfig(), Out: dir}},
		{key: "base", sft: &SFTSpec{Config: sftStageConfig(), Base: missing, Out: dir}},
	} {
		var err error
		if tc.sft != nil {
			_, err = SFT(context.Background(), *tc.sft)
		} else {
			_, err = Pretrain(context.Background(), tc.pre)
		}
		if ke, ok := errors.AsType[*yamlconf.KeyError](err); !ok || ke.Key != tc.key {
			t.Errorf("err %v, want a KeyError of %s", err, tc.key)
		}
	}
	if _, _, _, _, err := loadSFTData(data.Embedded, missing, sftStageConfig()); err == nil || !strings.HasPrefix(err.Error(), "eval_prompts: ") {
		t.Errorf("missing eval prompts: %v", err)
	}
}

func TestLastUserTurn(t *testing.T) {
	for _, tc := range []struct {
		rec  data.SFT
		want string
	}{
		{data.SFT{Prompt: "hi", Completion: "hello"}, "hi"},
		{data.SFT{Messages: []data.Message{{Role: "user", Content: "a"}, {Role: "assistant", Content: "b"},
			{Role: "user", Content: "c"}, {Role: "assistant", Content: "d"}}}, "c"},
		{data.SFT{Messages: []data.Message{{Role: "system", Content: "s"}, {Role: "assistant", Content: "d"}}}, ""},
	} {
		if got := lastUserTurn(tc.rec); got != tc.want {
			t.Errorf("lastUserTurn(%+v) = %q, want %q", tc.rec, got, tc.want)
		}
	}
}
