package checkpoint

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/align-project/align/model"
)

func TestExportGGUF(t *testing.T) {
	cfg := tinyConfig
	cfg.ScalarHeads = 1 // dropped: llama.cpp has no place for it
	m := testModel(t, cfg, 8)
	tok := testTokenizer(t, true)
	path := filepath.Join(t.TempDir(), "m.gguf")
	if err := ExportGGUF(path, m, tok, GGUFExportOptions{Name: "tiny"}); err != nil {
		t.Fatal(err)
	}
	g, err := OpenGGUF(path)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	for k, want := range map[string]any{
		KeyArchitecture: "gpt2", KeyName: "tiny", KeyGPT2ContextLength: uint32(24), KeyGPT2EmbeddingLength: uint32(16),
		KeyGPT2FeedForwardLength: uint32(64), KeyGPT2BlockCount: uint32(2), KeyGPT2HeadCount: uint32(2),
		KeyGPT2LayerNormEpsilon: float32(1e-5), KeyTokenizerModel: "gpt2", KeyTokenizerPre: "gpt-2", KeyAddBOSToken: false,
	} {
		if got, ok := g.Lookup(k); !ok || got != want {
			t.Errorf("%s = %#v, want %#v", k, got, want)
		}
	}
	tokens := must(GGUFGet[[]string](g, KeyTokenizerTokens))
	types := must(GGUFGet[[]int32](g, KeyTokenizerTypes))
	merges := must(GGUFGet[[]string](g, KeyTokenizerMerges))
	if len(tokens) != cfg.VocabSize || len(types) != cfg.VocabSize || len(merges) != tok.NumMerges() {
		t.Fatalf("%d tokens, %d types, %d merges", len(tokens), len(types), len(merges))
	}
	end, _ := tok.TokenID("<|im_end|>")
	sp, _ := tok.TokenID(" ")
	if tokens[end] != "<|im_end|>" || types[end] != TokenTypeControl || tokens[sp] != "Ġ" || types[sp] != TokenTypeNormal {
		t.Errorf("token %d %q type %d, token %d %q type %d", end, tokens[end], types[end], sp, tokens[sp], types[sp])
	}
	if last := cfg.VocabSize - 1; tokens[last] != "[PAD319]" || types[last] != TokenTypeUnused {
		t.Errorf("padding row: %q type %d", tokens[last], types[last])
	}
	if eos := must(GGUFGet[uint32](g, KeyEOSTokenID)); int(eos) != end {
		t.Errorf("eos %d, want <|im_end|> %d", eos, end)
	}
	if tmpl := must(GGUFGet[string](g, KeyChatTemplate)); !strings.Contains(tmpl, "<|im_start|>") {
		t.Errorf("chat template %q", tmpl)
	}
	if _, ok := g.Tensor("output.weight"); ok || len(g.Tensors) != 4+12*cfg.Layers {
		t.Errorf("%d tensors (output.weight must be left out: tied)", len(g.Tensors))
	}
	// attn_output is square: only the values tell its orientation. GGUF
	// wants (out, in) row-major, which is how we store it.
	ao := must(g.ReadFloat32("blk.1.attn_output.weight"))
	C := cfg.Channels
	if firstDiff(ao, m.W.Attprojw[C*C:]) >= 0 {
		t.Error("blk.1.attn_output.weight is not our (out, in) matrix")
	}

	if err := ExportGGUF(path, m, tok, GGUFExportOptions{F16: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := GGUFVocabOf(tok, 100); err == nil {
		t.Error("vocabulary larger than the model accepted")
	}
}

// llamaScript returns the command that runs scripts/llama_logits.mjs, or
// fails the test with an install hint (skips under -short).
func llamaScript(t *testing.T) []string {
	t.Helper()
	assets := os.Getenv("ALIGN_ASSETS")
	if assets == "" {
		assets = filepath.Join("..", ".assets")
	}
	lib := filepath.Join(assets, "node-llama-cpp")
	_, nodeErr := exec.LookPath("node")
	if _, err := os.Stat(filepath.Join(lib, ".done")); err != nil || nodeErr != nil {
		if testing.Short() {
			t.Skip("node-llama-cpp or node not installed")
		}
		t.Fatalf("node-llama-cpp (llama.cpp's CPU build) not installed in %s, or node missing\n"+
			"hint: run scripts/install-test-assets.sh (or go test -short to skip)", lib)
	}
	return []string{"node", filepath.Join("..", "scripts", "llama_logits.mjs")}
}

type llamaResult struct {
	Vocab     int         `json:"vocab"`
	Positions [][]float64 `json:"positions"`
	Greedy    []struct {
		Token int       `json:"token"`
		Probs []float64 `json:"probs"`
	} `json:"greedy"`
}

// runLlama runs scripts/llama_logits.mjs on GGUF files (one node start-up
// for all).
func runLlama(t *testing.T, script []string, tokens []int32, generate int, ggufs ...string) []llamaResult {
	t.Helper()
	req := must(json.Marshal(map[string]any{"tokens": tokens, "generate": generate, "threads": 2}))
	cmd := exec.Command(script[0], append(script[1:], ggufs...)...)
	cmd.Stdin = bytes.NewReader(req)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("llama_logits.mjs: %v\n%s", err, stderr.String())
	}
	var res []llamaResult
	dec := json.NewDecoder(bytes.NewReader(out))
	for range ggufs {
		var r llamaResult
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("llama_logits.mjs output: %v\n%.500s", err, out)
		}
		res = append(res, r)
	}
	return res
}

// softmax64 returns the probabilities of logits.
func softmax64(logits []float32) []float64 {
	mx := math.Inf(-1)
	for _, z := range logits {
		mx = math.Max(mx, float64(z))
	}
	p := make([]float64, len(logits))
	var sum float64
	for i, z := range logits {
		p[i] = math.Exp(float64(z) - mx)
		sum += p[i]
	}
	for i := range p {
		p[i] /= sum
	}
	return p
}

func maxAbsDiff(a, b []float64) float64 {
	d := 0.0
	for i := range a {
		d = math.Max(d, math.Abs(a[i]-b[i]))
	}
	return d
}

func argmax64(p []float64) int {
	best := 0
	for i, x := range p {
		if x > p[best] {
			best = i
		}
	}
	return best
}

// compareLlama runs the exported file in llama.cpp and returns the largest
// difference between its next-token probabilities and ours, over every
// prompt position and every greedy step, and whether the greedy tokens
// agreed.
func compareLlama(t *testing.T, res llamaResult, m *model.Model, prompt []int32, generate int) (maxDiff float64, sameGreedy bool) {
	V := m.Config.VocabSize
	if res.Vocab != V || len(res.Positions) != len(prompt) || len(res.Greedy) != generate {
		t.Fatalf("llama.cpp: vocab %d, %d positions, %d greedy steps; want %d, %d, %d", res.Vocab, len(res.Positions), len(res.Greedy), V, len(prompt), generate)
	}
	logits := forwardLogits(t, m, prompt)
	for i := range prompt {
		maxDiff = math.Max(maxDiff, maxAbsDiff(softmax64(logits[i*V:(i+1)*V]), res.Positions[i]))
	}
	sameGreedy = true
	seq := append([]int32(nil), prompt...)
	for _, step := range res.Greedy {
		lg := forwardLogits(t, m, seq)
		p := softmax64(lg[(len(seq)-1)*V:])
		maxDiff = math.Max(maxDiff, maxAbsDiff(p, step.Probs))
		if argmax64(p) != step.Token {
			sameGreedy = false
			break
		}
		seq = append(seq, int32(step.Token))
	}
	return maxDiff, sameGreedy
}

// TestExportGGUFLlamaCpp is the peer test of the GGUF export: llama.cpp
// itself runs the exported model and must give the same next-token
// distributions and greedy tokens as our forward pass. A transposed square
// matrix passes every shape check; this comparison is what catches it, as
// the deliberately broken export at the end shows.
func TestExportGGUFLlamaCpp(t *testing.T) {
	script := llamaScript(t)
	cfg := model.Config{VocabSize: 320, Context: 64, Layers: 3, Heads: 4, Channels: 64}
	m := testModel(t, cfg, 21)
	tok := testTokenizer(t, false)
	ids := tok.Encode("It is a truth universally acknowledged, that a single man")
	prompt := make([]int32, len(ids))
	for i, id := range ids {
		prompt[i] = int32(id)
	}
	const generate = 8
	dir := t.TempDir()
	cases := []struct {
		name string
		f16  bool
		tol  float64
	}{
		// llama.cpp's CPU GELU looks its input up in an F16 table
		// (GGML_GELU_FP16), so even an F32 model differs from ours by
		// ~1e-3 relative; measured max |Δp| 3.6e-4 (F32), 8.4e-4 (F16)
		// against 0.5 for a transposed matrix.
		{"f32", false, 2e-3},
		{"f16", true, 5e-3},
	}
	var paths []string
	for _, tc := range cases {
		path := filepath.Join(dir, tc.name+".gguf")
		if err := ExportGGUF(path, m, tok, GGUFExportOptions{F16: tc.f16}); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, path)
	}
	// The same export with one square matrix transposed must fail the check.
	kvs, tensors, err := GGUF(m, tok, GGUFExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range tensors {
		if tensors[i].Name == "blk.1.attn_output.weight" {
			tensors[i].Data = transpose(tensors[i].Data, cfg.Channels, cfg.Channels)
		}
	}
	bad := filepath.Join(dir, "transposed.gguf")
	if err := SaveGGUF(bad, kvs, tensors); err != nil {
		t.Fatal(err)
	}

	res := runLlama(t, script, prompt, generate, append(paths, bad)...)
	for i, tc := range cases {
		d, same := compareLlama(t, res[i], m, prompt, generate)
		t.Logf("%s: llama.cpp vs align, max |Δp| over %d positions and %d greedy steps: %.3g; same greedy tokens: %v",
			tc.name, len(prompt), generate, d, same)
		if d > tc.tol || !same {
			t.Errorf("%s: max |Δp| %.3g (tolerance %g), same greedy tokens %v", tc.name, d, tc.tol, same)
		}
	}
	d, same := compareLlama(t, res[2], m, prompt, generate)
	t.Logf("with blk.1.attn_output.weight transposed: max |Δp| %.3g, same greedy tokens %v", d, same)
	if d < 1e-2 {
		t.Errorf("a transposed attn_output changes the probabilities by only %.3g: the comparison is too weak", d)
	}
}
