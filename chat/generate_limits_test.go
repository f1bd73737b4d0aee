package chat_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/align-project/align/chat"
	"github.com/align-project/align/data"
	"github.com/align-project/align/internal/yamlconf"
)

// generate --n 100000 used to be accepted: its pairs would ask the judge
// for five billion comparisons each.
func TestGenerateConfigLimitsN(t *testing.T) {
	c := chat.DefaultGenerateConfig()
	c.N = data.MaxResponses
	if err := c.Validate(); err != nil {
		t.Fatalf("n = %d: %v", c.N, err)
	}
	for _, n := range []int{data.MaxResponses + 1, 100000, 1 << 40} {
		c.N = n
		err := c.Validate()
		ke, ok := errors.AsType[*yamlconf.KeyError](err)
		if !ok || ke.Key != "n" || !strings.Contains(err.Error(), "at most 16") {
			t.Errorf("n = %d: %v, want a *yamlconf.KeyError of n saying at most 16", n, err)
		}
	}
	c.N = 100000
	if got := c.Validate().Error(); !strings.Contains(got, "4999950000 comparisons for 100000") {
		t.Errorf("n = 100000: %s", got)
	}
}
