package checkpoint

import (
	"errors"
	"fmt"
	"slices"
)

// Kind says what a checkpoint is for, and so which commands take it: a
// reward model has the body of a policy, so without it one would be
// fine-tuned or served as if it could answer prompts.
type Kind string

// The kinds of checkpoint align writes, recorded as config.json's
// align.kind.
const (
	// KindPolicy answers prompts: a pretrained base, an SFT or a PPO policy,
	// or a GPT-2 from elsewhere. It has no scalar heads.
	KindPolicy Kind = "policy"
	// KindReward scores responses with its scalar heads (reward.Train).
	KindReward Kind = "reward"
	// KindValue is PPO's value model, the value/ directory of a ppo run.
	KindValue Kind = "value"
)

// valueStage is the stage the value models of ppo recorded before kinds
// were: such a checkpoint is a value model, not a reward model.
const valueStage = "ppo-value"

// noun names k in a sentence: "a reward model".
func (k Kind) noun() string {
	switch k {
	case KindPolicy:
		return "a policy"
	case KindReward:
		return "a reward model"
	case KindValue:
		return "a value model"
	}
	return fmt.Sprintf("a checkpoint of kind %q", string(k))
}

// checkKind reports a recorded kind that align does not know or that
// contradicts the scalar heads: a policy has none, the others some.
func checkKind(k Kind, heads int) error {
	switch k {
	case "":
		return nil
	case KindPolicy:
		if heads != 0 {
			return fmt.Errorf("align.kind %q does not fit %d scalar heads: a policy has none", k, heads)
		}
	case KindReward, KindValue:
		if heads == 0 {
			return fmt.Errorf("align.kind %q does not fit a model without scalar heads", k)
		}
	default:
		return fmt.Errorf("align.kind %q is not one of %q, %q, %q", string(k), KindPolicy, KindReward, KindValue)
	}
	return nil
}

// kindOf returns the kind of a checkpoint and how it was told: the
// recorded one, or for a checkpoint that records none (written before kinds
// were, or by another tool) the one its heads imply, so that old runs keep
// loading. A model with scalar heads is a reward model unless it is the
// value model of an older ppo run.
func kindOf(a AlignConfig, heads int) (Kind, string) {
	if a.Kind != "" {
		return a.Kind, "as its config.json records"
	}
	switch {
	case heads == 0:
		return KindPolicy, "it has no scalar heads"
	case a.Stage == valueStage || slices.Equal(a.HeadNames, []string{"value"}):
		return KindValue, fmt.Sprintf("it has %d scalar head named value", heads)
	}
	return KindReward, fmt.Sprintf("it has %d scalar heads", heads)
}

// KindError is a checkpoint of another kind than the one a command takes.
type KindError struct {
	Dir   string
	Found Kind
	Want  Kind
	How   string // how Found was told: "as its config.json records", "it has 4 scalar heads"
}

func (e *KindError) Error() string {
	return fmt.Sprintf("%s is %s (%s), not %s: %s", e.Dir, e.Found.noun(), e.How, e.Want.noun(), e.fix())
}

// fix says which checkpoint to give instead.
func (e *KindError) fix() string {
	switch e.Want {
	case KindPolicy:
		if e.Found == KindValue {
			return "give a policy, such as the output of sft (a ppo run's policy is its output directory; value/ holds its value model)"
		}
		return "give a policy, such as the output of sft (or of pretrain or ppo)"
	case KindReward:
		return "give a reward model, the output of 'align reward train'"
	case KindValue:
		return "give the value/ directory of a ppo run"
	}
	return "give " + e.Want.noun()
}

// IsRefused reports whether err refuses a readable checkpoint for what it
// is (*KindError) or for what its weights hold (*NonFiniteError): such an
// error names the fix, so a caller need not add a hint about which files a
// model directory holds.
func IsRefused(err error) bool {
	_, wrongKind := errors.AsType[*KindError](err)
	_, broken := errors.AsType[*NonFiniteError](err)
	return wrongKind || broken
}
