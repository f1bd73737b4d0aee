package serve

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"
	"unicode/utf8"
)

// feed writes pieces to a text stream and returns what it released, piece
// by piece, after a final flush.
func feed(stops []string, pieces ...string) (out []string, stopped bool) {
	ts := newTextStream(stops)
	for _, p := range pieces {
		out = append(out, string(ts.write([]byte(p))))
	}
	out = append(out, string(ts.flush()))
	return out, ts.stopped
}

func TestTextStreamUTF8(t *testing.T) {
	// "日" is E6 97 A5, "é" is C3 A9: split across tokens.
	out, _ := feed(nil, "a\xe6", "\x97", "\xa5b", "\xc3", "\xa9")
	want := []string{"a", "", "日b", "", "é", ""}
	for i := range want {
		if out[i] != want[i] {
			t.Fatalf("piece %d released %q, want %q (all: %q)", i, out[i], want[i], out)
		}
	}
	// Bytes that can never complete are released at once; a trailing
	// incomplete character is released by flush.
	out, _ = feed(nil, "\xe6a", "\xff", "x\xe6\x97")
	if got := out[0] + out[1] + out[2]; got != "\xe6a\xffx" || out[3] != "\xe6\x97" {
		t.Fatalf("released %q", out)
	}
}

func TestTextStreamStop(t *testing.T) {
	out, stopped := feed([]string{"END"}, "ab", "cE", "N", "Dxyz", "more")
	if !stopped {
		t.Fatal("stop string not found")
	}
	if got := bytes.Join(toBytes(out), nil); string(got) != "abc" {
		t.Fatalf("released %q (%q), want abc", got, out)
	}
	if out[1] != "c" {
		t.Fatalf("the possible start of the stop string was released: %q", out)
	}
	// A false start is released once it cannot begin the stop string.
	out, stopped = feed([]string{"END", "STOP"}, "xE", "Nd", "S", "TOx")
	if stopped || out[0] != "x" || out[1] != "ENd" || out[2] != "" || out[3] != "STOx" {
		t.Fatalf("released %q stopped %v", out, stopped)
	}
	// The earliest stop wins, even when found with one token.
	out, stopped = feed([]string{"cd", "ab"}, "xabcd")
	if !stopped || out[0] != "x" {
		t.Fatalf("released %q stopped %v", out, stopped)
	}
}

// TestTextStreamRandom checks on random byte pieces that the released
// pieces are always whole UTF-8 characters where the input is valid and
// concatenate to the text before the first stop string.
func TestTextStreamRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "b", " ", "é", "日本", "😀", "\xe6", "\x97", "\xff", "ST", "OP"}
	for trial := range 500 {
		var text []byte
		var pieces []string
		for range rng.IntN(20) {
			p := alphabet[rng.IntN(len(alphabet))]
			if rng.IntN(3) == 0 && len(p) > 1 { // cut a piece inside a character
				k := 1 + rng.IntN(len(p)-1)
				pieces = append(pieces, p[:k], p[k:])
			} else {
				pieces = append(pieces, p)
			}
			text = append(text, p...)
		}
		want := text
		if i := bytes.Index(text, []byte("STOP")); i >= 0 {
			want = text[:i]
		}
		out, _ := feed([]string{"STOP"}, pieces...)
		got := bytes.Join(toBytes(out), nil)
		if !bytes.Equal(got, want) {
			t.Fatalf("trial %d: released %q, want %q", trial, got, want)
		}
		if utf8.Valid(want) {
			for _, o := range out {
				if !utf8.ValidString(o) {
					t.Fatalf("trial %d: piece %q splits a character (pieces %q)", trial, o, pieces)
				}
			}
		}
	}
}

func toBytes(ss []string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

func TestSampler(t *testing.T) {
	logits := []float32{1, 3, 2, 3, -1, 0.5}
	var s sampler
	tok, lp, top, _ := s.sample(logits, sampling{logprobs: true, topN: 3}, nil)
	if tok != 1 {
		t.Fatalf("greedy token %d, want the first maximum 1", tok)
	}
	var z float64
	for _, x := range logits {
		z += math.Exp(float64(x))
	}
	want := 3 - math.Log(z)
	if math.Abs(float64(lp)-want) > 1e-6 {
		t.Fatalf("logprob %v, want %v", lp, want)
	}
	if len(top) != 3 || top[0].id != 1 || top[1].id != 3 || top[2].id != 2 || top[0].logprob != lp {
		t.Fatalf("top %+v", top)
	}
	// top_k 1 is greedy whatever the temperature; top_k 2 samples only
	// tokens 1 and 3.
	rng := rand.New(rand.NewPCG(3, 4))
	seen := map[int32]int{}
	for range 2000 {
		tok, _, _, _ := s.sample(logits, sampling{temperature: 1, topK: 2, topP: 1}, rng)
		seen[tok]++
	}
	if len(seen) != 2 || seen[1] < 800 || seen[3] < 800 {
		t.Fatalf("top-k 2 drew %v", seen)
	}
	// top_p 0.5 keeps only the most likely token (ties by id).
	for range 100 {
		if tok, _, _, _ := s.sample(logits, sampling{temperature: 1, topP: 0.3}, rng); tok != 1 {
			t.Fatalf("top-p 0.3 drew %d", tok)
		}
	}
}

// TestSampleRejectsNonFiniteLogits checks that broken weights surface as an
// error for the request instead of a token drawn from NaN probabilities.
func TestSampleRejectsNonFiniteLogits(t *testing.T) {
	var s sampler
	logits := []float32{0, float32(math.NaN()), 1}
	for _, o := range []sampling{{}, {temperature: 1, topP: 1}, {temperature: 0.7, topK: 2, topP: 0.9}} {
		if _, _, _, err := s.sample(logits, o, rand.New(rand.NewPCG(1, 2))); err == nil {
			t.Errorf("%+v: NaN logit accepted", o)
		}
	}
}
