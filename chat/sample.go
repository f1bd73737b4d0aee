package chat

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/align-project/align/model"
	"github.com/align-project/align/tokenizer"
)

// SampleOptions say how prompts are answered: the model's sampling options
// (MaxNewTokens, also bounded by the context; Temperature, 0 = greedy;
// TopK; TopP; stop tokens besides the chat format's, which Sample adds)
// plus what only text prompts have. Pair generation, evaluation, the SFT
// evaluation (train.EvaluateSFT) and the reward model's reference samples
// all use them.
type SampleOptions struct {
	model.SampleOptions
	Batch int // prompts decoded together; 0 means 16
	// Prefix, when set, starts every response: its tokens follow the
	// assistant header and the model continues from them. Text includes it.
	Prefix string
}

// Response is one sampled answer: its text without the stop token, and the
// token ids the log-probabilities of the KL estimate are computed on.
type Response struct {
	// Text is valid UTF-8: a character cut off by MaxNewTokens is dropped and
	// other invalid bytes become U+FFFD.
	Text      string
	PromptIDs []int32 // the prompt rendered as a user turn with the assistant header (possibly cut at its start), then the prefix
	Tokens    []int32 // the generated ids, ending with the stop token when EOS is set
	EOS       bool    // ended with a stop token of the chat format
}

// Sampler answers prompts with one model through the chat template, the way
// SFT taught it to answer and PPO sampled from it.
type Sampler struct {
	Model *model.Model
	Tok   *tokenizer.Tokenizer
	stop  []int32
}

// NewSampler checks that the tokenizer has a chat format and returns a
// sampler.
func NewSampler(m *model.Model, tok *tokenizer.Tokenizer) (*Sampler, error) {
	if m == nil || tok == nil {
		return nil, errors.New("sample: a model and its tokenizer are needed")
	}
	if tok.VocabSize() > m.Config.VocabSize {
		return nil, fmt.Errorf("sample: the tokenizer has %d tokens, the model only %d", tok.VocabSize(), m.Config.VocabSize)
	}
	cf, err := tok.ChatFormat()
	if err != nil {
		return nil, fmt.Errorf("sample: %w", err)
	}
	return &Sampler{Model: m, Tok: tok, stop: tokenizer.Int32s(cf.Stop)}, nil
}

// PromptIDs renders a prompt for the sampler's model: see PromptTokens,
// which cuts a prompt too long for the context.
func (s *Sampler) PromptIDs(prompt string) ([]int32, error) {
	return PromptTokens(s.Tok, prompt, s.Model.Config.Context)
}

// Sample answers every prompt once, in order, drawing from rng (nil or a
// zero temperature: greedy). The same model, prompts, options and rng state
// give the same responses.
func (s *Sampler) Sample(prompts []string, opt SampleOptions, rng *rand.Rand) ([]Response, error) {
	if opt.MaxNewTokens < 1 {
		return nil, errors.New("sample: MaxNewTokens must be at least 1")
	}
	batch := opt.Batch
	if batch <= 0 {
		batch = 16
	}
	ids := make([][]int32, len(prompts))
	prefix := tokenizer.Int32s(s.Tok.Encode(opt.Prefix))
	for i, p := range prompts {
		var err error
		if ids[i], err = s.PromptIDs(p); err != nil {
			return nil, fmt.Errorf("sample: prompt %d: %w", i+1, err)
		}
		ids[i] = append(ids[i], prefix...)
	}
	temp := opt.Temperature
	if temp <= 0 {
		temp, rng = 0, nil
	} else if rng == nil {
		return nil, errors.New("sample: a temperature above 0 needs a random number generator")
	}
	T := s.Model.Config.Context
	out := make([]Response, 0, len(prompts))
	for lo := 0; lo < len(ids); lo += batch {
		hi := min(lo+batch, len(ids))
		longest := 0
		for _, p := range ids[lo:hi] {
			longest = max(longest, len(p))
		}
		so := opt.SampleOptions
		so.MaxNewTokens, so.Temperature = max(1, min(opt.MaxNewTokens, T-longest)), temp
		so.StopTokens = append(slices.Clip(s.stop), opt.StopTokens...)
		samples, err := s.Model.Generate(ids[lo:hi], so, rng)
		if err != nil {
			return nil, fmt.Errorf("sample: %w", err)
		}
		for i, smp := range samples {
			toks := smp.Tokens
			if smp.Stopped && len(toks) > 0 {
				toks = toks[:len(toks)-1]
			}
			text, err := s.Tok.Decode(tokenizer.Ints(toks))
			if err != nil {
				return nil, fmt.Errorf("sample: %w", err)
			}
			out = append(out, Response{Text: opt.Prefix + validUTF8(text), PromptIDs: ids[lo+i], Tokens: smp.Tokens, EOS: smp.Stopped})
		}
	}
	return out, nil
}

// validUTF8 drops an incomplete character at the end of s and replaces any
// other invalid byte with U+FFFD.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	for i := 1; i <= utf8.UTFMax-1 && i <= len(s); i++ {
		if utf8.RuneStart(s[len(s)-i]) {
			if !utf8.FullRuneInString(s[len(s)-i:]) {
				s = s[:len(s)-i]
			}
			break
		}
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}
