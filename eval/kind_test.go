package eval

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/reward/rewardtest"
)

// TestRunRefusesWrongKinds: every column and --reference take a policy,
// --reward a reward model.
func TestRunRefusesWrongKinds(t *testing.T) {
	s := runSpec(t)
	rmDir := rewardtest.FromPolicy(t, s.Baseline, 1)
	for _, tc := range []struct {
		role        string
		set         func(s *Spec)
		found, want checkpoint.Kind
	}{
		{"policy", func(s *Spec) { s.Policy = rmDir }, checkpoint.KindReward, checkpoint.KindPolicy},
		{"baseline", func(s *Spec) { s.Baseline = rmDir }, checkpoint.KindReward, checkpoint.KindPolicy},
		{"base", func(s *Spec) { s.Base = rmDir }, checkpoint.KindReward, checkpoint.KindPolicy},
		{"reference", func(s *Spec) { s.Reference = rmDir }, checkpoint.KindReward, checkpoint.KindPolicy},
		{"reward", func(s *Spec) { s.Reward = s.Baseline }, checkpoint.KindPolicy, checkpoint.KindReward},
	} {
		s := runSpec(t)
		tc.set(&s)
		_, err := Run(context.Background(), s)
		if ke, ok := errors.AsType[*checkpoint.KindError](err); !ok || ke.Found != tc.found || ke.Want != tc.want {
			t.Errorf("%s: %v, want a *checkpoint.KindError: %s, not %s", tc.role, err, tc.found, tc.want)
		} else if !strings.Contains(err.Error(), tc.role) {
			t.Errorf("%s: error %q does not name the role", tc.role, err)
		}
	}
}
