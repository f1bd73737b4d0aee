package reward

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/align-project/align/chat"
	"github.com/align-project/align/data"
	"github.com/align-project/align/model"
	"github.com/align-project/align/tokenizer"
)

// tiny returns a small tokenizer and a reward model made from a random
// base model.
func tiny(t testing.TB) *Model {
	t.Helper()
	tok, err := tokenizer.Train(tokenizer.TrainConfig{VocabSize: 300},
		"a good answer is good. a bad answer is bad. write something nice.")
	if err != nil {
		t.Fatal(err)
	}
	base, err := model.New(model.Config{VocabSize: tok.VocabSize(), Context: 48, Layers: 1, Heads: 2, Channels: 16}, 3)
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(base, tok, 0, 7)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSequenceEndsWithEOS(t *testing.T) {
	m := tiny(t)
	eos := m.EOS()
	p, err := m.EncodePrompt("write something nice")
	if err != nil {
		t.Fatal(err)
	}
	resp := m.Tok.Encode("a good answer")
	// Text and ids give the same sequence, with or without a sampled stop token.
	fromText, err := m.Encode("write something nice", "a good answer")
	if err != nil {
		t.Fatal(err)
	}
	for _, ids := range [][]int{resp, append(append([]int{}, resp...), eos)} {
		s := Sequence(p, ids, eos, nil, 0)
		if len(s) != len(fromText) || s[len(s)-1] != int32(eos) {
			t.Fatalf("Sequence %v, Encode %v", s, fromText)
		}
		for i := range s {
			if s[i] != fromText[i] {
				t.Fatalf("Sequence and Encode differ at %d", i)
			}
		}
	}
	// Cutting keeps the EOS last and the prompt's end.
	s := Sequence(p, resp, eos, nil, len(p)+1)
	if len(s) != len(p)+1 || s[len(s)-1] != int32(eos) {
		t.Errorf("cut to %d: %v", len(p)+1, s)
	}
	s = Sequence(p, resp, eos, nil, 3)
	if len(s) != 3 || s[0] != int32(p[len(p)-2]) || s[2] != int32(eos) {
		t.Errorf("cut to 3: %v (prompt %v)", s, p)
	}
}

// TestPaddingDoesNotChangeScores: a sequence scores the same alone and
// batched with a longer one (padding comes after its EOS).
func TestPaddingDoesNotChangeScores(t *testing.T) {
	m := tiny(t)
	short, _ := m.Encode("write something nice", "good")
	long, _ := m.Encode("write something nice", "a bad answer is bad. a bad answer is bad.")
	alone, err := m.ScoreSequences([][]int32{short}, 4)
	if err != nil {
		t.Fatal(err)
	}
	both, err := m.ScoreSequences([][]int32{long, short}, 4)
	if err != nil {
		t.Fatal(err)
	}
	for k := range NumHeads {
		if d := math.Abs(alone[0].Heads[k] - both[1].Heads[k]); d > 1e-5 {
			t.Errorf("head %d: %v alone, %v batched", k, alone[0].Heads[k], both[1].Heads[k])
		}
	}
}

func TestNormalizeGivesMeanZeroStdOne(t *testing.T) {
	m := tiny(t)
	m.Info.Weights = []float64{1, 0.5, 0, 2}
	rng := rand.New(rand.NewPCG(1, 1))
	refs, err := m.ReferenceSamples(m.Net, []string{"write something nice", "say a word"}, 24, chat.SampleOptions{SampleOptions: model.SampleOptions{MaxNewTokens: 12, Temperature: 1}, Batch: 5}, rng)
	if err != nil {
		t.Fatal(err)
	}
	if len(refs) != 24 {
		t.Fatalf("%d reference samples, want 24", len(refs))
	}
	for _, s := range refs {
		if s[len(s)-1] != int32(m.EOS()) {
			t.Fatalf("reference sample does not end with the EOS: %v", s)
		}
	}
	if _, err := m.Normalize(refs, 7); err != nil {
		t.Fatal(err)
	}
	sc, err := m.ScoreSequences(refs, 16)
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, xs []float64) {
		mean, std := meanStd(xs)
		if math.Abs(mean) > 1e-4 || math.Abs(std-1) > 1e-4 {
			t.Errorf("%s: mean %v, std %v on the reference samples, want 0 and 1", name, mean, std)
		}
	}
	col := make([]float64, len(sc))
	for k := range NumHeads {
		for i, s := range sc {
			col[i] = s.Normalized[k]
		}
		check(HeadNames[k], col)
	}
	for i, s := range sc {
		col[i] = s.Reward
	}
	check("reward", col)
}

// TestNetworkGradient checks the gradient that reaches the parameters
// (scalar-head bias and a weight in the body) against finite differences of
// the batch loss.
func TestNetworkGradient(t *testing.T) {
	m := tiny(t)
	soft := 0.3
	prefs := []data.Preference{
		{ID: "r1", Prompt: "write something nice", Chosen: "a good answer", Rejected: "bad", Ratings: &data.Ratings{
			Chosen: &data.Rating{Coherence: 9, Relevance: 8, Safety: 10}, Rejected: &data.Rating{Coherence: 2, Relevance: 3, Safety: 4}}},
		{ID: "r1", Prompt: "write something nice", Chosen: "good", Rejected: "bad", PChosen: &soft},
		{Prompt: "say a word", Chosen: "nice", Rejected: "is bad"},
	}
	c := DefaultConfig()
	c.Center, c.MarginScale, c.MaxSeqs = 0.2, 1, 3 // force two forward passes
	groups := MakeGroups(prefs, true, 0, c.LossConfig)
	enc, err := m.encodeGroups(groups)
	if err != nil {
		t.Fatal(err)
	}
	batch := []int{0, 1}
	var bb batchBuf
	var grad []float64
	lossAt := func() float64 {
		m.Net.ZeroGrad()
		l, _, err := m.accumulate(&bb, &grad, groups, enc, batch, c)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	lossAt()
	g := append([]float32(nil), m.Net.Grads()...)
	params := m.Net.Params()
	idx := map[string]int{}
	off := 0
	for _, tn := range m.Net.Tensors() {
		idx[tn.Name] = off
		off += len(tn.Data)
	}
	for _, i := range []int{idx["score.bias"], idx["score.bias"] + HeadSafety, idx["score.weight"] + 5, idx["h.0.mlp.c_fc.weight"] + 17, idx["ln_f.weight"] + 3} {
		const h = 1e-2
		x := params[i]
		params[i] = x + h
		lp := lossAt()
		params[i] = x - h
		lm := lossAt()
		params[i] = x
		fd := (lp - lm) / (2 * h)
		if math.Abs(fd-float64(g[i])) > 2e-3*max(1, math.Abs(fd)) {
			t.Errorf("param %d: gradient %v, finite difference %v", i, g[i], fd)
		}
	}
}

// TestTrainSaveLoadScore trains on an easy task (prefer "good" over "bad"),
// saves, loads and checks that scores survive the round trip.
func TestTrainSaveLoadScore(t *testing.T) {
	m := tiny(t)
	var prefs []data.Preference
	words := []string{"answer", "nice", "something", "write", "is", "a"}
	for i, w := range words {
		for j, v := range words {
			p := data.Preference{Prompt: "say a word", Chosen: "good " + w, Rejected: "bad " + v, Source: "human:t"}
			if (i+j)%3 == 0 {
				p.Tags = []string{"even"}
			}
			prefs = append(prefs, p)
		}
	}
	trainSet, held := prefs[:30], prefs[30:]
	c := DefaultConfig()
	c.Steps, c.Batch, c.LR, c.Warmup, c.EvalEvery, c.NormSamples, c.NormMaxNew = 60, 8, 3e-3, 5, 20, 8, 8
	c.Group = false
	out := t.TempDir()
	tr := &Trainer{Config: c, Model: m, Train: trainSet, HeldOut: held, Out: out}
	res, err := tr.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.HeldOutEval == nil || res.HeldOutEval.Accuracy < 0.9 {
		t.Fatalf("held-out accuracy %+v, want ≥ 0.9", res.HeldOutEval)
	}
	if res.Norm == nil || res.Gap == nil {
		t.Fatalf("result without normalisation or gap: %+v", res)
	}
	for _, f := range []string{MetricsFile, EvalFile, InfoFile, "config.json", "model.safetensors", "tokenizer.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	cfgJSON, _ := os.ReadFile(filepath.Join(out, "config.json"))
	if !strings.Contains(string(cfgJSON), `"reward_gain"`) || !strings.Contains(string(cfgJSON), `"safety"`) {
		t.Errorf("config.json lacks the heads' normalisation:\n%s", cfgJSON)
	}
	back, err := Load(out)
	if err != nil {
		t.Fatal(err)
	}
	a, err := m.Score([]string{"say a word"}, []string{"good nice"}, 4)
	if err != nil {
		t.Fatal(err)
	}
	b, err := back.Score([]string{"say a word"}, []string{"good nice"}, 4)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(a[0].Reward-b[0].Reward) > 1e-9 || a[0] != b[0] {
		t.Errorf("scores before and after save/load: %+v vs %+v", a[0], b[0])
	}
	ev, err := Evaluate(back, held, 8)
	if err != nil {
		t.Fatal(err)
	}
	if ev.BySource["human"].Pairs != len(held) || ev.Accuracy != res.HeldOutEval.Accuracy {
		t.Errorf("evaluation after load: %+v", ev)
	}
	var sb strings.Builder
	if err := ev.WriteText(&sb); err != nil || !strings.Contains(sb.String(), "accuracy") {
		t.Errorf("WriteText: %v\n%s", err, sb.String())
	}
}

func TestReadPreferencesLineNumbers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "prefs.jsonl")
	lines := []string{
		`{"prompt":"q","chosen":"a","rejected":"b"}`,
		`{"prompt":"q","chosen":"a","rejected":"b","p_chosen":1.5}`,
		``,
		`{"prompt":"q","chosen":"a"`,
		`{"prompt":"q","chosen":"a","rejected":"a"}`,
		`{"prompt":"q","chosen":"a","rejected":"b","ratings":{"chosen":{"coherence":11,"relevance":5,"safety":5}}}`,
	}
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, rep, err := ReadPreferences(path)
	if err == nil {
		t.Fatal("no error for a corrupt file")
	}
	msg := err.Error()
	for _, want := range []string{"4 bad lines", "prefs.jsonl:2:", "p_chosen", "prefs.jsonl:4:", "prefs.jsonl:5:", "prefs.jsonl:6:", "ratings.chosen.coherence"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if rep.Bad != 4 || rep.Records != 1 {
		t.Errorf("report %+v", rep)
	}
}

func TestScoreTokensMatchesScore(t *testing.T) {
	m := tiny(t)
	p, _ := m.EncodePrompt("say a word")
	resp := m.Tok.Encode("a good answer")
	withStop := append(append([]int{}, resp...), m.EOS())
	a, err := m.ScoreTokens([][]int{p, p}, [][]int{resp, withStop}, 4)
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.Score([]string{"say a word"}, []string{"a good answer"}, 4)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a {
		if math.Abs(a[i].Reward-b[0].Reward) > 1e-6 {
			t.Errorf("sample %d: ScoreTokens %v, Score %v", i, a[i].Reward, b[0].Reward)
		}
	}
}

// TestHeadLRMult checks that head_lr_mult scales the heads' first update and
// leaves the body's alone.
func TestHeadLRMult(t *testing.T) {
	prefs := []data.Preference{{Prompt: "say a word", Chosen: "good answer", Rejected: "bad answer"}}
	step := func(mult float64) (m0, m1 *Model) {
		m0, m1 = tiny(t), tiny(t)
		c := DefaultConfig()
		c.Steps, c.Warmup, c.Batch, c.NormSamples, c.EvalEvery, c.HeadLRMult = 1, 0, 1, 0, 0, mult
		tr := &Trainer{Config: c, Model: m1, Train: prefs}
		if _, err := tr.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		return m0, m1
	}
	base, one := step(1)
	_, ten := step(10)
	p0, p1, p10 := base.Net.Params(), one.Net.Params(), ten.Net.Params()
	nh := len(base.headParams())
	body := len(p0) - nh
	for i := range body {
		if p1[i] != p10[i] {
			t.Fatalf("body parameter %d: %v with head_lr_mult 1, %v with 10", i, p1[i], p10[i])
		}
	}
	var moved int
	for i := body; i < len(p0); i++ {
		d1, d10 := float64(p1[i]-p0[i]), float64(p10[i]-p0[i])
		if d1 != 0 {
			moved++
		}
		if math.Abs(d10-10*d1) > 1e-5*max(1e-3, math.Abs(d10)) {
			t.Errorf("head parameter %d moved %v with head_lr_mult 10, want 10 × %v", i-body, d10, d1)
		}
	}
	if moved == 0 {
		t.Error("the heads did not move")
	}
}
