package chat

import "testing"

func TestValidUTF8(t *testing.T) {
	for in, want := range map[string]string{
		"ok":                "ok",
		"cut \xe2\x82":      "cut ",
		"bad \xff here":     "bad \uFFFD here",
		"euro \xe2\x82\xac": "euro €",
	} {
		if got := validUTF8(in); got != want {
			t.Errorf("validUTF8(%q) = %q, want %q", in, got, want)
		}
	}
}
