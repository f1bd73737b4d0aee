package reward

import (
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"
)

// TestModelSourceScoresAsTheModel: the source loaded from a checkpoint
// gives each response the Score of the model's Output, Raw being the
// weighted combination of the raw heads.
func TestModelSourceScoresAsTheModel(t *testing.T) {
	m := tiny(t)
	m.Info.Weights = []float64{1, 0, 0, 0.5}
	dir := filepath.Join(t.TempDir(), "rm")
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	src, err := NewModelSource(dir)
	if err != nil {
		t.Fatal(err)
	}
	prompts, responses := []string{"write something nice", "a bad answer"}, []string{"a good answer", "bad"}
	direct, err := m.Score(prompts, responses, 4)
	if err != nil {
		t.Fatal(err)
	}
	got, err := src.Score(context.Background(), prompts, responses)
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range direct {
		if got[i] != o.Score {
			t.Errorf("response %d: source %+v, model %+v", i, got[i], o.Score)
		}
		if raw := o.Heads[HeadPreference] + 0.5*o.Heads[HeadSafety]; math.Abs(o.Raw-raw) > 1e-12 {
			t.Errorf("response %d: raw %v, want the weighted raw heads %v", i, o.Raw, raw)
		}
		if o.Cost != -o.Normalized[HeadSafety] {
			t.Errorf("response %d: cost %v, want −(normalised safety) %v", i, o.Cost, -o.Normalized[HeadSafety])
		}
	}
	if _, err := src.Score(context.Background(), prompts, responses[:1]); err == nil {
		t.Error("one response for two prompts accepted")
	}
}

func TestCheckScores(t *testing.T) {
	if err := CheckScores([]Score{{Reward: 1, Raw: 2, Cost: -1}}); err != nil {
		t.Fatal(err)
	}
	err := CheckScores([]Score{{}, {Cost: math.Inf(1)}})
	if err == nil || !strings.Contains(err.Error(), "response 1") {
		t.Errorf("infinite cost: %v", err)
	}
}
