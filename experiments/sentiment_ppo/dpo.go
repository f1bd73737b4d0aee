package main

import (
	"errors"
	"flag"
	"fmt"

	"github.com/align-project/align/data"
)

// DPO learns from preferences, not from a reward: the experiment's DPO
// pairs are the SFT model's own continuations of the training prompts,
// ranked by the same reward model PPO and GRPO learn from (as the DPO
// paper's sentiment experiment ranks them by its classifier). So every
// method sees the same prompts and the same notion of "positive", and
// VADER, which none of them saw, judges all three.

// ScoredLine is a line of 'align reward score': a response with its score.
type ScoredLine struct {
	Prompt   string  `json:"prompt"`
	Response string  `json:"response"`
	Score    float64 `json:"score"`
}

// Validate implements data.Record: a line needs its prompt and response.
func (l ScoredLine) Validate() error {
	if l.Prompt == "" || l.Response == "" {
		return errors.New("a scored line needs a prompt and a response")
	}
	return nil
}

// SplitKey implements data.Record.
func (l ScoredLine) SplitKey() string { return l.Prompt }

// cmdScoreInput writes one {prompt, response} line per response of an
// 'align generate' pairs file, for 'align reward score'.
func cmdScoreInput(args []string) error {
	fs := flag.NewFlagSet("score-input", flag.ExitOnError)
	pairs := fs.String("pairs", "", "'align generate' output: {prompt, responses} lines")
	out := fs.String("out", "", "JSONL of {prompt, response} to write")
	_ = fs.Parse(args)
	if *pairs == "" || *out == "" {
		return errors.New("score-input: --pairs and --out are required")
	}
	recs, _, err := data.ReadAll[data.Pair](*pairs, data.ReadOptions{Strict: true})
	if err != nil {
		return err
	}
	var lines []ScoredLine
	for _, p := range recs {
		for _, r := range p.Responses {
			lines = append(lines, ScoredLine{Prompt: p.Prompt, Response: r})
		}
	}
	return data.WriteRecords(*out, lines)
}

// cmdDPOPairs turns scored responses into preferences: for each prompt the
// best-scored response is chosen over the worst; prompts whose responses
// all score the same give no pair.
func cmdDPOPairs(args []string) error {
	fs := flag.NewFlagSet("dpo-pairs", flag.ExitOnError)
	scored := fs.String("scored", "", "'align reward score' output of score-input's lines")
	out := fs.String("out", "", "preferences JSONL to write")
	_ = fs.Parse(args)
	if *scored == "" || *out == "" {
		return errors.New("dpo-pairs: --scored and --out are required")
	}
	lines, _, err := data.ReadAll[ScoredLine](*scored, data.ReadOptions{Strict: false})
	if err != nil {
		return err
	}
	prefs := DPOPairs(lines)
	if len(prefs) == 0 {
		return fmt.Errorf("dpo-pairs: %s: no prompt has responses that score differently", *scored)
	}
	fmt.Printf("sentiment_ppo: %d preference pairs from %d scored responses\n", len(prefs), len(lines))
	return data.WriteRecords(*out, prefs)
}

// DPOPairs pairs the best and the worst response of each prompt, prompts
// in the order they first appear; the margin is the score difference.
func DPOPairs(lines []ScoredLine) []data.Preference {
	type span struct{ best, worst ScoredLine }
	var order []string
	by := map[string]*span{}
	for _, l := range lines {
		s, ok := by[l.Prompt]
		if !ok {
			by[l.Prompt] = &span{l, l}
			order = append(order, l.Prompt)
			continue
		}
		if l.Score > s.best.Score {
			s.best = l
		}
		if l.Score < s.worst.Score {
			s.worst = l
		}
	}
	var out []data.Preference
	for _, p := range order {
		s := by[p]
		if s.best.Score == s.worst.Score || s.best.Response == s.worst.Response {
			continue
		}
		out = append(out, data.Preference{Prompt: p, Chosen: s.best.Response, Rejected: s.worst.Response,
			Source: "ai:reward-model@sentiment-rm"})
	}
	return out
}
