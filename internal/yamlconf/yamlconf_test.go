package yamlconf

import (
	"strings"
	"testing"
)

type conf struct {
	Steps int     `yaml:"steps"`
	LR    float64 `yaml:"lr"`
}

func TestDecodeOverlaysAndRejectsUnknownKeys(t *testing.T) {
	c := conf{Steps: 10, LR: 0.1}
	if err := Decode(strings.NewReader("lr: 0.5\n"), "a.yaml", &c); err != nil || c != (conf{10, 0.5}) {
		t.Fatalf("overlay: %+v, %v", c, err)
	}
	if err := Decode(strings.NewReader(""), "empty.yaml", &c); err != nil || c != (conf{10, 0.5}) {
		t.Fatalf("empty document: %+v, %v", c, err)
	}
	err := Decode(strings.NewReader("steps: 3\nlearning_rate: 1\n"), "b.yaml", &c)
	if err == nil || !strings.Contains(err.Error(), "b.yaml") || !strings.Contains(err.Error(), "learning_rate") {
		t.Fatalf("unknown key: %v", err)
	}
	if c != (conf{10, 0.5}) {
		t.Fatalf("a failed decode changed the config: %+v", c)
	}
}

func TestKeysEncodeCopyKey(t *testing.T) {
	if got := strings.Join(Keys[conf](), ","); got != "steps,lr" {
		t.Fatalf("keys %q", got)
	}
	var back conf
	if err := Decode(strings.NewReader(string(Encode(conf{7, 0.25}))), "round trip", &back); err != nil || back != (conf{7, 0.25}) {
		t.Fatalf("round trip: %+v, %v", back, err)
	}
	dst := conf{1, 1}
	if !CopyKey(&dst, "lr", conf{2, 2}) || dst != (conf{1, 2}) || CopyKey(&dst, "nope", conf{}) {
		t.Fatalf("copy key: %+v", dst)
	}
}

type inner struct {
	Margin float64 `yaml:"margin"`
}

type outer struct {
	Steps int `yaml:"steps"`
	inner `yaml:",inline"`
}

func TestCopyKeyLooksIntoEmbeddedStructs(t *testing.T) {
	dst := outer{Steps: 1, inner: inner{Margin: 1}}
	if !CopyKey(&dst, "margin", outer{Steps: 2, inner: inner{Margin: 3}}) || dst != (outer{Steps: 1, inner: inner{Margin: 3}}) {
		t.Fatalf("copy of an embedded key: %+v", dst)
	}
}

func TestFirstDifference(t *testing.T) {
	a := outer{Steps: 1, inner: inner{Margin: 1}}
	for _, tc := range []struct {
		b    outer
		want string
	}{
		{a, ""},
		{outer{Steps: 2, inner: inner{Margin: 1}}, "steps"},
		{outer{Steps: 1, inner: inner{Margin: 2}}, "margin"},
		{outer{Steps: 2, inner: inner{Margin: 2}}, "steps"}, // the first in field order
	} {
		if got := FirstDifference(a, tc.b); got != tc.want {
			t.Errorf("FirstDifference(%+v, %+v) = %q, want %q", a, tc.b, got, tc.want)
		}
	}
}
