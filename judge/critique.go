package judge

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strings"
	"sync"

	"github.com/align-project/align/data"
)

// Completer continues a chat with one assistant message.
type Completer interface {
	Complete(ctx context.Context, msgs []ChatMessage) (string, error)
}

// ChatModel is a [Completer] backed by a model behind a [Client].
type ChatModel struct {
	Client      *Client
	Model       string
	Temperature float64
	MaxTokens   int // default 512
}

// Complete implements [Completer].
func (m *ChatModel) Complete(ctx context.Context, msgs []ChatMessage) (string, error) {
	mt := m.MaxTokens
	if mt <= 0 {
		mt = 512
	}
	resp, err := m.Client.Chat(ctx, ChatRequest{Model: m.Model, Messages: msgs, Temperature: ptr(m.Temperature), MaxTokens: mt})
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(resp.Choices[0].Message.Content), nil
}

// Reviser runs Constitutional AI's supervised phase: the policy answers a
// prompt, a critic critiques the answer against a principle sampled from the
// constitution, and the policy revises it; Rounds times, each with a freshly
// sampled principle. The final revision is an SFT target.
type Reviser struct {
	Policy Completer
	// Critic writes the critiques; nil uses the built-in judge, which
	// critiques from its rating of the principle's criterion and skips the
	// revision when that rating is 8 or more.
	Critic       Completer
	Builtin      *Builtin
	Constitution *Constitution
	Rounds       int // default 1
	Seed         uint64
}

// RevisionStep is one critique and the revision that answered it.
type RevisionStep struct {
	Principle string `json:"principle"`
	Critique  string `json:"critique"`
	Revision  string `json:"revision"`
	Skipped   bool   `json:"skipped,omitempty"` // the critic found nothing to fix
}

// Revision is the full trace for one prompt.
type Revision struct {
	Prompt  string         `json:"prompt"`
	Initial string         `json:"initial"`
	Final   string         `json:"final"`
	Steps   []RevisionStep `json:"steps"`
}

// Revise answers prompt with the policy, then critiques and revises.
func (r *Reviser) Revise(ctx context.Context, prompt string) (Revision, error) {
	c := r.Constitution
	if c == nil {
		c = DefaultConstitution()
	}
	user := ChatMessage{Role: "user", Content: prompt}
	initial, err := r.Policy.Complete(ctx, []ChatMessage{user})
	if err != nil {
		return Revision{}, fmt.Errorf("critique: policy answer: %w", err)
	}
	rev := Revision{Prompt: prompt, Initial: initial, Final: initial}
	h := fnv.New64a()
	h.Write([]byte(prompt))
	rng := rand.New(rand.NewPCG(r.Seed, h.Sum64()))
	one := *c
	one.Sample = 1
	for range max(1, r.Rounds) {
		p := one.SamplePrinciples(rng)[0]
		step := RevisionStep{Principle: p.ID}
		answer := ChatMessage{Role: "assistant", Content: rev.Final}
		ask := ChatMessage{Role: "user", Content: "Critique request: " + p.critiqueRequest()}
		if r.Critic != nil {
			step.Critique, err = r.Critic.Complete(ctx, []ChatMessage{user, answer, ask})
			if err != nil {
				return rev, fmt.Errorf("critique: %w", err)
			}
		} else {
			b := r.Builtin
			if b == nil {
				if b, err = NewBuiltin(c); err != nil {
					return rev, err
				}
			}
			sc, err := b.Rate(ctx, prompt, rev.Final)
			if err != nil {
				return rev, err
			}
			rating, ok := sc.Ratings[p.Criterion]
			if !ok {
				step.Critique, step.Skipped = fmt.Sprintf("Principle %s does not apply to this request.", p.ID), true
			} else {
				step.Critique = fmt.Sprintf("The response rates %d/10 on %s: %s.", rating, p.Criterion, sc.Why[p.Criterion])
				step.Skipped = rating >= 8
			}
		}
		if !step.Skipped {
			revised, err := r.Policy.Complete(ctx, []ChatMessage{user, answer, ask,
				{Role: "assistant", Content: step.Critique},
				{Role: "user", Content: "Revision request: " + p.revisionRequest() + " Reply with the revised response only."}})
			if err != nil {
				return rev, fmt.Errorf("critique: revision: %w", err)
			}
			step.Revision = revised
			if revised != "" {
				rev.Final = revised
			}
		}
		rev.Steps = append(rev.Steps, step)
	}
	return rev, nil
}

// CritiqueOptions control [CritiqueFile].
type CritiqueOptions struct {
	Concurrency int
	// Trace, when set, receives every prompt's full [Revision].
	Trace func(Revision)
	// Progress, when set, is called after every prompt with the number done.
	Progress func(done, total int)
}

// CritiqueFile revises the answers to every prompt of the JSONL prompts file
// in and writes {"prompt", "completion": final revision} SFT records to out
// atomically, in input order.
func CritiqueFile(ctx context.Context, r *Reviser, in, out string, opts CritiqueOptions) (int, error) {
	prompts, _, err := data.ReadAll[data.Prompt](in, data.ReadOptions{Strict: true})
	if err != nil {
		return 0, fmt.Errorf("critique: %w", err)
	}
	results := make([]Revision, len(prompts))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		firstErr error
		done     int
		wg       sync.WaitGroup
	)
	jobs := make(chan int)
	for range max(1, opts.Concurrency) {
		wg.Go(func() {
			for i := range jobs {
				rev, err := r.Revise(ctx, prompts[i].Prompt)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
					cancel()
				}
				if err == nil {
					results[i] = rev
					done++
					if opts.Trace != nil {
						opts.Trace(rev)
					}
					if opts.Progress != nil {
						opts.Progress(done, len(prompts))
					}
				}
				mu.Unlock()
			}
		})
	}
feed:
	for i := range prompts {
		select {
		case jobs <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		return 0, firstErr
	}
	err = data.WriteFile(out, func(w *data.Writer[data.SFT]) error {
		for _, rev := range results {
			if strings.TrimSpace(rev.Final) == "" {
				continue
			}
			if err := w.Write(data.SFT{Prompt: rev.Prompt, Completion: rev.Final}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, errors.Join(errors.New("critique: write "+out), err)
	}
	return len(results), nil
}
