package cli

import (
	"strings"
	"testing"

	"github.com/align-project/align/bench"
)

func TestBenchMatmul(t *testing.T) {
	for _, layout := range []string{"nn", "nt", "tn"} {
		code, out, errOut := run(t, "bench", "matmul", "--m", "33", "--n", "17", "--k", "9", "--layout", layout, "--iters", "2", "--json")
		if code != exitOK {
			t.Fatalf("%s: exit %d, stderr %s", layout, code, errOut)
		}
		var r bench.MatmulResult
		decodeOne(t, out, &r)
		if r.Layout != layout || r.M != 33 || r.N != 17 || r.K != 9 || r.Iters != 2 || !(r.GFLOPS > 0) || r.GFLOPS < r.GFLOPSMedian {
			t.Errorf("%s: unexpected result %+v", layout, r)
		}
	}
	code, out, _ := run(t, "bench", "matmul", "--m", "64", "--n", "64", "--k", "64", "--min-time", "1ms")
	if code != exitOK || !strings.Contains(out, "GFLOP/s") || !strings.Contains(out, "peak RSS") {
		t.Errorf("table output: exit %d\n%s", code, out)
	}
}

func TestBenchTrainJSON(t *testing.T) {
	args := append([]string{"bench", "train", "--steps", "2", "--warmup", "1", "--json", "--seed", "7"}, tiny...)
	code, out, errOut := run(t, args...)
	if code != exitOK {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	var r bench.TrainResult
	decodeOne(t, out, &r)
	if !(r.TokensPerSec > 0) || !(r.MsPerStep > 0) || !(r.GFLOPS > 0) || !(r.PeakRSSMB > 0) {
		t.Errorf("throughput fields not positive: %+v", r)
	}
	if r.TokensPerStep != 2*16 || r.Steps != 2 || r.Warmup != 1 || r.Config.Dim != 32 || r.Batch != 2 {
		t.Errorf("echoed settings wrong: %+v", r)
	}
	// --seed reaches the benchmark: the same seed gives the same losses,
	// another seed other ones.
	for _, tc := range []struct {
		seed string
		same bool
	}{{"7", true}, {"8", false}} {
		_, out2, _ := run(t, append(args, "--seed", tc.seed)...)
		var r2 bench.TrainResult
		decodeOne(t, out2, &r2)
		if same := r2.LossFirst == r.LossFirst && r2.LossLast == r.LossLast; same != tc.same {
			t.Errorf("--seed 7 then %s: losses %v/%v vs %v/%v", tc.seed, r.LossFirst, r.LossLast, r2.LossFirst, r2.LossLast)
		}
	}
}

func TestBenchTrainTable(t *testing.T) {
	code, out, errOut := run(t, append([]string{"bench", "train", "--steps", "1", "--warmup", "0"}, tiny...)...)
	if code != exitOK {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	for _, want := range []string{"bench train: L1 C32 NH2 T16 B2 V64", "tokens/s", "ms/step", "GFLOP/s", "loss", "peak RSS"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func TestBenchGenerateJSON(t *testing.T) {
	code, out, errOut := run(t, append([]string{"bench", "generate", "--new-tokens", "15", "--runs", "1", "--json"}, tiny...)...)
	if code != exitOK {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	var r bench.GenerateResult
	decodeOne(t, out, &r)
	if !(r.TokensPerSec > 0) || !(r.MsPerToken > 0) || r.NewTokens != 15 || r.Batch != 2 || r.Generated != 2*15 {
		t.Errorf("unexpected result %+v", r)
	}
	code, out, _ = run(t, append([]string{"bench", "generate", "--new-tokens", "4", "--runs", "1"}, tiny...)...)
	if code != exitOK || !strings.Contains(out, "tokens/s") {
		t.Errorf("table output: exit %d\n%s", code, out)
	}
}

func TestBenchPPOJSON(t *testing.T) {
	code, stdout, stderr := run(t, "bench", "ppo", "--layers", "1", "--dim", "32", "--heads", "2", "--ctx", "32", "--vocab", "64",
		"--prompts", "8", "--mini-batch", "4", "--prompt-len", "4", "--new-tokens", "8", "--epochs", "1", "--iterations", "1", "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var res bench.PPOResult
	decodeOne(t, stdout, &res)
	sum := res.Generate + res.Score + res.Ref + res.Update
	if res.SecPerIter <= 0 || sum > res.SecPerIter*1.01 || res.NewTokens != 8 {
		t.Errorf("result %+v (split sums to %v)", res, sum)
	}
	if code, stdout, _ := run(t, "bench", "ppo", "--layers", "1", "--dim", "32", "--heads", "2", "--ctx", "32", "--vocab", "64",
		"--prompts", "4", "--mini-batch", "4", "--prompt-len", "4", "--new-tokens", "4", "--epochs", "1", "--iterations", "1"); code != exitOK || !strings.Contains(stdout, "s/iteration") {
		t.Errorf("table: exit %d\n%s", code, stdout)
	}
}

// A spec's bad setting is bad usage that names the flag, with the command's
// help as the hint.
func TestBenchSettingNamesFlag(t *testing.T) {
	code, out, errOut := run(t, "bench", "ppo", "--mini-batch", "5")
	want := "align: error: --mini-batch: 5 must divide prompts 64\nalign: hint: run 'align bench ppo --help' for usage\n"
	if code != exitUsage || out != "" || errOut != want {
		t.Errorf("exit %d, stdout %q, stderr %q; want %d and %q", code, out, errOut, exitUsage, want)
	}
}

func TestBenchGrpoJSON(t *testing.T) {
	code, stdout, stderr := run(t, "bench", "grpo", "--layers", "1", "--dim", "32", "--heads", "2", "--ctx", "32", "--vocab", "64",
		"--prompts", "2", "--group", "4", "--mini-batch", "4", "--prompt-len", "4", "--new-tokens", "8", "--ppo-epochs", "2", "--iterations", "1", "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var res bench.GRPOResult
	decodeOne(t, stdout, &res)
	if res.GRPO.SecPerIter <= 0 || res.PPO.SecPerIter <= 0 || res.Responses != 8 || res.GRPO.Epochs != 1 || res.PPO.Epochs != 2 || res.Ratio <= 0 {
		t.Errorf("result %+v", res)
	}
	code, out, errOut := run(t, "bench", "grpo", "--group", "3", "--mini-batch", "16")
	if code != exitUsage || out != "" || !strings.Contains(errOut, "align: error: --mini-batch: 16 must divide prompts × group 24") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestBenchLlamaJSON(t *testing.T) {
	code, stdout, stderr := run(t, "bench", "llama", "--layers", "1", "--vocab", "300", "--batch", "1", "--ctx", "8", "--steps", "1",
		"--warmup", "0", "--prompt", "2", "--new-tokens", "3", "--runs", "1", "--python", "", "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var res bench.LlamaResult
	decodeOne(t, stdout, &res)
	if res.Align.Train == nil || res.Align.Train.TokensPerSec <= 0 || res.Align.Generate == nil || res.Align.Generate.NewTokens != 3 ||
		res.PyTorch != nil || res.Config.Dim != 576 {
		t.Errorf("result %+v", res)
	}
	code, out, errOut := run(t, "bench", "llama", "--batch", "0")
	if code != exitUsage || out != "" || !strings.Contains(errOut, "align: error: --batch: must be at least 1") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}
