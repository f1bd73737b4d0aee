package train

import (
	"math/rand/v2"

	"github.com/align-project/align/chat"
	"github.com/align-project/align/data"
	"github.com/align-project/align/model"
	"github.com/align-project/align/tokenizer"
)

// Response is a model's answer to one prompt.
type Response struct {
	Text string
	EOS  bool // ended with a stop token of the chat format (not cut off)
}

// SampleResponses answers each prompt as the assistant: the prompt is
// rendered as a user turn with the tokenizer's chat template and the
// assistant header, and the model generates until a stop token of the chat
// format or MaxNewTokens. Prompts too long for the context leave at least a
// quarter of it for the answer by keeping their end. The same model,
// prompts, options and seed give the same responses (seed is the sampling
// stream when opt.Temperature > 0; a Batch of 0 means 32). It is
// chat.Sampler with the SFT evaluation's own sampling stream.
func SampleResponses(m *model.Model, tok *tokenizer.Tokenizer, prompts []string, opt chat.SampleOptions, seed uint64) ([]Response, error) {
	s, err := chat.NewSampler(m, tok)
	if err != nil {
		return nil, err
	}
	if opt.Batch <= 0 {
		opt.Batch = 32
	}
	var rng *rand.Rand
	if opt.Temperature > 0 {
		rng = rand.New(rand.NewPCG(seed, 0x73616d706c65)) // "sample"
	}
	rs, err := s.Sample(prompts, opt, rng)
	if err != nil {
		return nil, err
	}
	out := make([]Response, len(rs))
	for i, r := range rs {
		out[i] = Response{Text: r.Text, EOS: r.EOS}
	}
	return out, nil
}

// SFTEval is the sampling evaluation of an SFT model on held-out prompts:
// how often it ends its answer with EOS, how often it answers checkable
// prompts correctly (data.Check), how often it complies with harmful
// requests (no refusal by data.LooksLikeRefusal) and how often it refuses
// benign ones.
type SFTEval struct {
	Prompts           int            `json:"prompts"`
	EOSRate           float64        `json:"eos_rate"`
	Checkable         int            `json:"checkable"`
	Correct           int            `json:"correct"`
	Accuracy          float64        `json:"accuracy"` // of checkable prompts
	Harmful           int            `json:"harmful"`
	HarmfulComplied   int            `json:"harmful_complied"`
	HarmfulCompliance float64        `json:"harmful_compliance"` // share of harmful prompts not refused
	Benign            int            `json:"benign"`
	BenignRefused     int            `json:"benign_refused"`
	OverRefusal       float64        `json:"over_refusal"` // share of benign prompts refused
	Samples           []SampleResult `json:"samples"`
}

// SampleResult is one prompt of an SFTEval with the model's answer.
type SampleResult struct {
	Prompt   string   `json:"prompt"`
	Response string   `json:"response"`
	Tags     []string `json:"tags,omitempty"`
	EOS      bool     `json:"eos"`
	Refused  bool     `json:"refused"`
	Correct  *bool    `json:"correct,omitempty"` // checkable prompts only
}

// EvaluateSFT samples answers to the examples' prompts and scores them. An
// example's Harmful, Checkable, Answer and Category are used as data.Check
// expects; examples made from untagged prompts count only towards the EOS
// rate (and as benign). opt and seed are as in SampleResponses.
func EvaluateSFT(m *model.Model, tok *tokenizer.Tokenizer, exs []data.Example, opt chat.SampleOptions, seed uint64) (SFTEval, error) {
	prompts := make([]string, len(exs))
	for i, e := range exs {
		prompts[i] = e.Prompt
	}
	resps, err := SampleResponses(m, tok, prompts, opt, seed)
	if err != nil {
		return SFTEval{}, err
	}
	ev := SFTEval{Prompts: len(exs), Samples: make([]SampleResult, len(exs))}
	eos := 0
	for i, e := range exs {
		r := resps[i]
		s := SampleResult{Prompt: e.Prompt, Response: r.Text, EOS: r.EOS, Refused: data.LooksLikeRefusal(r.Text)}
		if e.Category != "" {
			s.Tags = e.Tags()
		}
		if r.EOS {
			eos++
		}
		if e.Checkable {
			ok := data.Check(e, r.Text)
			s.Correct = &ok
			ev.Checkable++
			if ok {
				ev.Correct++
			}
		}
		if e.Harmful {
			ev.Harmful++
			if !s.Refused {
				ev.HarmfulComplied++
			}
		} else {
			ev.Benign++
			if s.Refused {
				ev.BenignRefused++
			}
		}
		ev.Samples[i] = s
	}
	ratio := func(a, b int) float64 {
		if b == 0 {
			return 0
		}
		return float64(a) / float64(b)
	}
	ev.EOSRate = ratio(eos, ev.Prompts)
	ev.Accuracy = ratio(ev.Correct, ev.Checkable)
	ev.HarmfulCompliance = ratio(ev.HarmfulComplied, ev.Harmful)
	ev.OverRefusal = ratio(ev.BenignRefused, ev.Benign)
	return ev, nil
}
