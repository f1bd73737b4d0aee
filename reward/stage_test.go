package reward

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/align-project/align/chat/chattest"
	"github.com/align-project/align/internal/yamlconf"
)

func writeFile(t *testing.T, path string, lines ...string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// trainPrefs writes five preferences of "good" over "bad" (one line with
// an unknown field, a warning) and one held-out preference.
func trainPrefs(t *testing.T) (prefs, held string) {
	dir := t.TempDir()
	var lines []string
	for _, w := range []string{"answer", "word", "is", "a", "say"} {
		lines = append(lines, `{"prompt":"say a word","chosen":"good `+w+`","rejected":"bad `+w+`","source":"human:t"}`)
	}
	lines[2] = strings.Replace(lines[2], `}`, `,"note":"x"}`, 1)
	prefs = writeFile(t, filepath.Join(dir, "prefs.jsonl"), lines...)
	held = writeFile(t, filepath.Join(dir, "held.jsonl"), `{"prompt":"say a word","chosen":"good good","rejected":"bad bad"}`)
	return prefs, held
}

func tinyTrainConfig() Config {
	c := DefaultConfig()
	c.Steps, c.Batch, c.LR, c.EvalEvery, c.NormSamples, c.NormMaxNew = 20, 4, 3e-3, 10, 4, 6
	return c
}

func TestTrain(t *testing.T) {
	base := chattest.PolicyDir(t, "sft", 1, 0)
	prefs, held := trainPrefs(t)
	out := filepath.Join(t.TempDir(), "rm")
	var log bytes.Buffer
	res, err := Train(context.Background(), TrainSpec{Config: tinyTrainConfig(), Base: base, Data: prefs, HeldOut: held, Out: out, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	if res.Steps != 20 || res.TrainEval == nil || res.TrainEval.Pairs != 5 || res.HeldOutEval == nil || res.HeldOutEval.Pairs != 1 || res.Norm == nil {
		t.Fatalf("result %+v", res)
	}
	if res.TrainEval.Accuracy < 0.99 {
		t.Errorf("train accuracy %v after 20 steps on five easy pairs", res.TrainEval.Accuracy)
	}
	for _, want := range []string{"reward train: base " + base, "5 training and 1 held-out", "prefs.jsonl:3: warning: field \"note\""} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log.String())
		}
	}
	m, err := Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Info.Normalized || m.Info.NormSamples != 4 {
		t.Errorf("saved model info %+v", m.Info)
	}
	var saved Result
	if b, err := os.ReadFile(filepath.Join(out, EvalFile)); err != nil || json.Unmarshal(b, &saved) != nil || saved.Steps != 20 {
		t.Errorf("eval.json: %v, %+v", err, saved)
	}
	var text bytes.Buffer
	res.WriteText(&text)
	for _, want := range []string{"reward train: 20 steps in", "held-out accuracy", "model: " + out, filepath.Join(out, MetricsFile)} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, text.String())
		}
	}

	// Every prompt is "say a word", whose hash holds it out at 0.99: nothing
	// is left to train on. The overwrite it asks for comes after the data is
	// read, so the mistake discards nothing.
	_, err = Train(context.Background(), TrainSpec{Config: tinyTrainConfig(), Base: base, Data: prefs, HeldOutFrac: 0.99, Out: out, Overwrite: true})
	if ke, ok := errors.AsType[*yamlconf.KeyError](err); !ok || ke.Key != "heldout" {
		t.Errorf("all held out: %v, want a *yamlconf.KeyError of heldout", err)
	}
	if _, err := Load(out); err != nil {
		t.Errorf("the failed overwrite lost the reward model: %v", err)
	}
}

// TestTrainSettingErrors: a setting that cannot work, or a file named by
// one that cannot be read, comes back as a *yamlconf.KeyError of its key.
func TestTrainSettingErrors(t *testing.T) {
	base := chattest.PolicyDir(t, "sft", 1, 0)
	prefs, _ := trainPrefs(t)
	bad := writeFile(t, filepath.Join(t.TempDir(), "bad.jsonl"), `{"prompt":"q","chosen":"a","rejected":"b","p_chosen":2}`)
	for _, tc := range []struct {
		key  string
		edit func(*TrainSpec)
	}{
		{"steps", func(s *TrainSpec) { s.Config.Steps = 0 }},
		{"min_lr", func(s *TrainSpec) { s.Config.MinLR = 1 }},
		{"weights", func(s *TrainSpec) { s.Config.Weights = map[string]float64{"kindness": 1} }},
		{"heldout_frac", func(s *TrainSpec) { s.HeldOutFrac = 1 }},
		{"data", func(s *TrainSpec) { s.Data = filepath.Join(t.TempDir(), "missing.jsonl") }},
		{"data", func(s *TrainSpec) { s.Data = bad }},
		{"heldout", func(s *TrainSpec) { s.HeldOut = bad }},
	} {
		s := TrainSpec{Config: tinyTrainConfig(), Base: base, Data: prefs, HeldOutFrac: DefaultHeldOutFrac}
		tc.edit(&s)
		_, err := Train(context.Background(), s)
		ke, ok := errors.AsType[*yamlconf.KeyError](err)
		if !ok || ke.Key != tc.key {
			t.Errorf("%s: got %v, want a *yamlconf.KeyError of %q", tc.key, err, tc.key)
		}
	}
	_, err := Train(context.Background(), TrainSpec{Config: tinyTrainConfig(), Base: base, Data: bad})
	if err == nil || !strings.Contains(err.Error(), "bad.jsonl:1:") {
		t.Errorf("a bad line is not named: %v", err)
	}
}

func TestTrainInterrupted(t *testing.T) {
	base := chattest.PolicyDir(t, "sft", 1, 0)
	prefs, held := trainPrefs(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out := filepath.Join(t.TempDir(), "rm")
	_, err := Train(ctx, TrainSpec{Config: tinyTrainConfig(), Base: base, Data: prefs, HeldOut: held, Out: out})
	if !errors.Is(err, ErrInterrupted) || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled run: %v", err)
	}
	if _, err := os.Stat(filepath.Join(out, InfoFile)); err == nil {
		t.Error("an interrupted run saved a model")
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("an interrupted run left %s behind (it used to leave metrics.jsonl): %v", out, err)
	}
}

func TestScoreFile(t *testing.T) {
	m := tiny(t)
	dir := t.TempDir()
	in := writeFile(t, filepath.Join(dir, "in.jsonl"),
		`{"prompt":"write something nice","response":"a good answer","id":7}`, ``, `{"prompt":"a bad answer","response":"bad"}`)
	out := filepath.Join(dir, "scored.jsonl")
	res, err := ScoreFile(context.Background(), m, in, out, 1)
	if err != nil {
		t.Fatal(err)
	}
	want, err := m.Score([]string{"write something nice", "a bad answer"}, []string{"a good answer", "bad"}, 4)
	if err != nil {
		t.Fatal(err)
	}
	if res.Responses != 2 || res.Out != out || res.MeanReward != (want[0].Reward+want[1].Reward)/2 {
		t.Errorf("result %+v", res)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines out:\n%s", len(lines), b)
	}
	var rec struct {
		ID     int                `json:"id"`
		Score  float64            `json:"score"`
		Scores map[string]float64 `json:"scores"`
		Cost   float64            `json:"cost"`
	}
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatal(err)
	}
	if rec.ID != 7 || rec.Score != want[0].Reward || rec.Cost != want[0].Cost || rec.Scores["safety"] != want[0].Normalized[HeadSafety] {
		t.Errorf("line 1 %s, want the scores %+v", lines[0], want[0])
	}

	// The response is missing on line 3 (line 2 is blank): named, nothing written.
	writeFile(t, in, `{"prompt":"q","response":"r"}`, ``, `{"prompt":"q"}`)
	os.Remove(out)
	if _, err := ScoreFile(context.Background(), m, in, out, 1); err == nil || !strings.Contains(err.Error(), "in.jsonl:3:") || !strings.Contains(err.Error(), "response") {
		t.Errorf("missing response: %v", err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a failed score wrote its output")
	}
}
