package bench

import (
	"context"
	"errors"
	"testing"

	"github.com/align-project/align/internal/yamlconf"
)

func TestDPO(t *testing.T) {
	shape := tiny
	shape.Ctx = 32
	res, err := DPO(context.Background(), DPOSpec{Shape: shape, Pairs: 3, PromptLen: 5, ResponseLen: 7, Steps: 2, Warmup: 1, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	checkFloats(t, res)
	for name, s := range map[string]StepTimes{"dpo": res.DPO, "sft": res.SFT} {
		if sum := s.Forward + s.Loss + s.Backward + s.Optim; s.Step <= 0 || sum > s.Step*1.01 {
			t.Errorf("%s: the split sums to %v of a %v s step", name, sum, s.Step)
		}
	}
	if res.Ratio != res.DPO.Step/res.SFT.Step || res.Pairs != 3 || res.PromptLen != 5 || res.ResponseLen != 7 || res.Steps != 2 || res.Warmup != 1 {
		t.Errorf("result %+v", res)
	}
	checkJSON(t, res, shape, "benchmark", "implementation", "threads", "config", "pairs", "prompt_len", "response_len",
		"steps", "warmup", "dpo", "sft", "dpo_over_sft", "ref_logprobs", "peak_rss_mb")
	checkTable(t, res, "bench dpo: L1 C32 NH2 T32 V64, 3 pairs of 5 prompt + 7 response tokens, 2 steps after 1 warm-up, ",
		"DPO step", "SFT step", "DPO / SFT", "reference", "peak RSS")
}

func TestDPOValidate(t *testing.T) {
	spec := func(f func(*DPOSpec)) error { s := DefaultDPOSpec(); f(&s); return s.Validate() }
	if err := spec(func(*DPOSpec) {}); err != nil {
		t.Errorf("the default fails: %v", err)
	}
	for _, tc := range []struct {
		err error
		key string
	}{
		{spec(func(s *DPOSpec) { s.Pairs = 0 }), "pairs"},
		{spec(func(s *DPOSpec) { s.Warmup = -1 }), "warmup"},
		{spec(func(s *DPOSpec) { s.PromptLen = s.Shape.Ctx }), "response_len"},
	} {
		if ke, ok := errors.AsType[*yamlconf.KeyError](tc.err); !ok || ke.Key != tc.key {
			t.Errorf("error %v, want one about %s", tc.err, tc.key)
		}
	}
}
