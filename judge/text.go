package judge

import (
	"strings"
	"unicode"
)

// words splits s into lower-case word tokens: runs of letters and digits,
// keeping inner apostrophes ("don't") and folding typographic ones.
func words(s string) []string {
	s = strings.NewReplacer("\u2019", "'", "\u2018", "'").Replace(strings.ToLower(s))
	var out []string
	start := -1
	rs := []rune(s)
	for i, r := range rs {
		inWord := unicode.IsLetter(r) || unicode.IsDigit(r) ||
			(r == '\'' && start >= 0 && i+1 < len(rs) && unicode.IsLetter(rs[i+1]))
		switch {
		case inWord && start < 0:
			start = i
		case !inWord && start >= 0:
			out = append(out, string(rs[start:i]))
			start = -1
		}
	}
	if start >= 0 {
		out = append(out, string(rs[start:]))
	}
	return out
}

// stopwords are function words and the instruction words of prompts, which
// say nothing about a prompt's topic.
var stopwords = setOf(`a an the and or but if then else of to in on at by for with about as into
from up down out over under again further once here there when where why how what which who whom
this that these those am is are was were be been being have has had having do does did doing
i me my myself we our ours you your yours he him his she her hers it its they them their theirs
can could should would will shall may might must not no nor so than too very just also only own
same such both each few more most other some any all s t don't can't won't isn't i'm it's
please write tell explain describe give show list make let help want need know like get
answer question say sentence short one two`)

func setOf(s string) map[string]bool {
	m := make(map[string]bool)
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

// stem strips a few common English suffixes so "reviews", "reviewed" and
// "reviewing" meet; it is deliberately crude and deterministic.
func stem(w string) string {
	for _, suf := range []string{"ingly", "edly", "ing", "ies", "ied", "ed", "es", "ly", "s"} {
		if len(w) > len(suf)+2 && strings.HasSuffix(w, suf) {
			w = strings.TrimSuffix(w, suf)
			if suf == "ies" || suf == "ied" {
				w += "y"
			}
			break
		}
	}
	return w
}

// contentStems returns the set of stemmed content words of s.
func contentStems(s string) map[string]bool {
	m := make(map[string]bool)
	for _, w := range words(s) {
		if !stopwords[w] && len(w) > 1 || isNumber(w) {
			m[stem(w)] = true
		}
	}
	return m
}

func isNumber(w string) bool {
	if w == "" {
		return false
	}
	for _, r := range w {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// sentences splits s at sentence-ending punctuation and newlines.
func sentences(s string) []string {
	var out []string
	start := 0
	for i, r := range s {
		if r == '.' || r == '!' || r == '?' || r == '\n' {
			if t := strings.TrimSpace(s[start : i+1]); t != "" {
				out = append(out, t)
			}
			start = i + 1
		}
	}
	if t := strings.TrimSpace(s[start:]); t != "" {
		out = append(out, t)
	}
	return out
}

// containsPhrase reports whether the word sequence phrase occurs in ws.
func containsPhrase(ws, phrase []string) bool {
	if len(phrase) == 0 {
		return false
	}
outer:
	for i := 0; i+len(phrase) <= len(ws); i++ {
		for j, p := range phrase {
			if ws[i+j] != p {
				continue outer
			}
		}
		return true
	}
	return false
}
