package judge

import (
	"fmt"
	"math"
	"strings"
	"sync"
	"unicode"

	"github.com/align-project/align/model"
	"github.com/align-project/align/tokenizer"
)

// Perplexity scores how likely a reference language model finds a response.
type Perplexity interface {
	// LogProb returns the mean log-probability per token (in nats, ≤ 0) of
	// response following prompt.
	LogProb(prompt, response string) (float64, error)
}

// repetition measures how much of a text repeats itself: the fraction of
// word trigrams that occurred before (0 for fresh text, towards 1 for a loop).
func repetition(ws []string) float64 {
	if len(ws) < 6 {
		return 0
	}
	seen := make(map[[3]string]bool)
	rep := 0
	for i := 0; i+3 <= len(ws); i++ {
		k := [3]string{ws[i], ws[i+1], ws[i+2]}
		if seen[k] {
			rep++
		}
		seen[k] = true
	}
	return float64(rep) / float64(len(ws)-2)
}

// gibberish is the fraction of words that do not look like words: longer
// than 20 letters, without a vowel (y counts), or letters mixed with digits.
func gibberish(ws []string) float64 {
	if len(ws) == 0 {
		return 0
	}
	bad := 0
	for _, w := range ws {
		letters, digits, vowels := 0, 0, 0
		for _, r := range w {
			switch {
			case unicode.IsDigit(r):
				digits++
			case unicode.IsLetter(r):
				letters++
				if strings.ContainsRune("aeiouyáéíóúàèìòùäëïöüâêîôû", r) {
					vowels++
				}
			}
		}
		switch {
		case letters > 20,
			letters >= 3 && vowels == 0,
			letters > 0 && digits > 0 && !ordinal(w):
			bad++
		}
	}
	return float64(bad) / float64(len(ws))
}

func ordinal(w string) bool {
	for _, suf := range []string{"st", "nd", "rd", "th", "s", "k", "m", "am", "pm"} {
		if n, ok := strings.CutSuffix(w, suf); ok && isNumber(n) {
			return true
		}
	}
	return false
}

// longestRun is the longest run of one repeated character ("!!!!!!").
func longestRun(s string) int {
	best, run := 0, 0
	var prev rune
	for i, r := range s {
		if i > 0 && r == prev && !unicode.IsSpace(r) {
			run++
		} else {
			run = 1
		}
		prev = r
		best = max(best, run)
	}
	return best
}

// coherenceScore rates fluency from 1 to 10: 10 minus penalties for
// repetition, gibberish and runs of one character, averaged with a
// perplexity rating when a reference model is given (mean log-probability
// mapped linearly from lowNLL → 10 to highNLL → 1).
func (b *Builtin) coherenceScore(prompt, response string) (float64, string) {
	ws := words(response)
	if len(ws) == 0 {
		return 1, "no words"
	}
	score := 10.0
	var why []string
	if r := repetition(ws); r > 0.05 {
		score -= min(7, 12*r)
		why = append(why, fmt.Sprintf("%.0f%% repeated trigrams", 100*r))
	}
	if len(ws) >= 20 {
		distinct := make(map[string]bool)
		for _, w := range ws {
			distinct[w] = true
		}
		if d := float64(len(distinct)) / float64(len(ws)); d < 0.3 {
			score -= 3
			why = append(why, fmt.Sprintf("only %.0f%% distinct words", 100*d))
		}
	}
	if n := stutter(ws); n > 0 {
		score -= min(6, 2*float64(n))
		why = append(why, fmt.Sprintf("%d stuttered word(s)", n))
	}
	if g := gibberish(ws); g > 0.1 {
		score -= min(6, 10*g)
		why = append(why, fmt.Sprintf("%.0f%% non-words", 100*g))
	}
	if n := longestRun(response); n >= 5 {
		score -= 2
		why = append(why, fmt.Sprintf("a run of %d identical characters", n))
	}
	score = max(1, score)
	if b.Perplexity != nil {
		lp, err := b.Perplexity.LogProb(prompt, response)
		if err == nil && !math.IsNaN(lp) {
			lo, hi := b.LowNLL, b.HighNLL
			if !(hi > lo) {
				lo, hi = 2, 8
			}
			pr := 10 - 9*clamp((-lp-lo)/(hi-lo), 0, 1)
			score = (score + pr) / 2
			why = append(why, fmt.Sprintf("perplexity %.1f", math.Exp(-lp)))
		} else if err != nil {
			why = append(why, "perplexity unavailable: "+err.Error())
		}
	}
	if len(why) == 0 {
		return score, "fluent, no repetition"
	}
	return score, strings.Join(why, ", ")
}

// ModelPerplexity computes [Perplexity] with a GPT model and its tokenizer.
// It is safe for concurrent use (calls are serialised: the model holds one
// batch of activations).
type ModelPerplexity struct {
	mu  sync.Mutex
	m   *model.Model
	tok *tokenizer.Tokenizer
}

// NewModelPerplexity returns a Perplexity backed by m and tok.
func NewModelPerplexity(m *model.Model, tok *tokenizer.Tokenizer) *ModelPerplexity {
	return &ModelPerplexity{m: m, tok: tok}
}

// LogProb implements [Perplexity]. The prompt is cut from the left and the
// response from the right to fit the model's context.
func (p *ModelPerplexity) LogProb(prompt, response string) (float64, error) {
	pi := p.tok.Encode(prompt)
	ri := p.tok.Encode(response)
	if len(ri) == 0 {
		return 0, fmt.Errorf("perplexity: empty response")
	}
	if len(pi) == 0 {
		pi = p.tok.Encode("\n")
	}
	ctx := p.m.Config.Context
	if len(ri) > ctx-1 {
		ri = ri[:ctx-1]
	}
	if len(pi)+len(ri) > ctx {
		pi = pi[len(pi)+len(ri)-ctx:]
	}
	seq := make([]int32, 0, len(pi)+len(ri))
	for _, t := range pi {
		seq = append(seq, int32(t))
	}
	for _, t := range ri {
		seq = append(seq, int32(t))
	}
	p.mu.Lock()
	lps, _, err := p.m.LogProbs([][]int32{seq}, []int{len(pi)}, 1)
	p.mu.Unlock()
	if err != nil {
		return 0, fmt.Errorf("perplexity: %w", err)
	}
	var sum float64
	for _, lp := range lps[0] {
		sum += float64(lp)
	}
	return sum / float64(len(lps[0])), nil
}
