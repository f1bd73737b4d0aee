package tokenizer

import (
	"unicode"
	"unicode/utf8"
)

// Pre-tokenisation splits text into "words" before BPE runs on each of them, so no
// token ever spans two words. The splits are defined by regular expressions in
// the original tokenizers, and the ones byte-level BPE vocabularies are trained
// with all use a negative look-ahead, `\s+(?!\S)`, that Go's regexp lacks. Each
// pattern is therefore written here by hand as a scanner: a function that, given
// the start of a word, returns its end, trying the pattern's alternatives in order
// just as a backtracking regexp engine would (leftmost alternative that matches
// wins, each quantifier greedy). The tests compare every scanner with a
// backtracking regexp engine on random and real text.
//
// Character classes follow Unicode: \p{L} is unicode.IsLetter, \p{N} is
// unicode.IsNumber and \s is unicode.IsSpace (Unicode's White_Space property,
// which is also what Rust's regex uses). A byte that is not valid UTF-8 counts as
// one character of none of these classes, like punctuation.

// Pattern names a pre-tokenisation pattern.
type Pattern string

// The supported patterns, with the exact regular expressions they implement.
const (
	// PatternGPT2 is GPT-2's pattern (also r50k, p50k and HF's ByteLevel with use_regex).
	PatternGPT2 Pattern = "gpt2"
	// PatternCL100K is cl100k's and Llama 3's pattern: digits in groups of up to three.
	PatternCL100K Pattern = "cl100k"
	// PatternQwen2 is Qwen2's and Qwen3's pattern: cl100k's with single digits.
	PatternQwen2 Pattern = "qwen2"
)

// patternRegex maps each pattern to the regular expression it implements, as it is
// spelt in tokenizer.json files.
var patternRegex = map[Pattern]string{
	PatternGPT2:   `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`,
	PatternCL100K: `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`,
	PatternQwen2:  `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`,
}

// patternFromRegex finds the pattern whose regular expression is re.
func patternFromRegex(re string) (Pattern, bool) {
	for p, r := range patternRegex {
		if r == re {
			return p, true
		}
	}
	return "", false
}

// scanner returns the end of the word starting at s[i:], i < len(s).
type scanner func(s string, i int) int

func (p Pattern) scanner() scanner {
	switch p {
	case PatternGPT2:
		return scanGPT2
	case PatternCL100K:
		return scanCL100K
	case PatternQwen2:
		return scanQwen2
	}
	return nil
}

// splitWords calls fn on each word of s, in order; the words tile s exactly.
func splitWords(s string, scan scanner, fn func(word string)) {
	for i := 0; i < len(s); {
		j := scan(s, i)
		fn(s[i:j])
		i = j
	}
}

// Character classes.
const (
	clsOther  = iota // anything else, including invalid UTF-8
	clsLetter        // \p{L}
	clsNumber        // \p{N}
	clsSpace         // \s
)

var asciiClass [128]uint8

func init() {
	for c := 0; c < 128; c++ {
		asciiClass[c] = classOfRune(rune(c))
	}
}

func classOfRune(r rune) uint8 {
	switch {
	case unicode.IsLetter(r):
		return clsLetter
	case unicode.IsNumber(r):
		return clsNumber
	case unicode.IsSpace(r):
		return clsSpace
	}
	return clsOther
}

// classAt returns the class of the character at s[i] and its width in bytes.
func classAt(s string, i int) (cls uint8, size int) {
	if c := s[i]; c < utf8.RuneSelf {
		return asciiClass[c], 1
	}
	r, size := utf8.DecodeRuneInString(s[i:])
	if r == utf8.RuneError && size == 1 {
		return clsOther, 1
	}
	return classOfRune(r), size
}

// runOf returns the end of the run of characters of class cls starting at i.
func runOf(s string, i int, cls uint8) int {
	for i < len(s) {
		c, size := classAt(s, i)
		if c != cls {
			break
		}
		i += size
	}
	return i
}

// spaceRun scans `\s+` from i (which must be a space) and returns the run's end
// and the start of its last character.
func spaceRun(s string, i int) (end, last int) {
	for end = i; end < len(s); {
		c, size := classAt(s, end)
		if c != clsSpace {
			break
		}
		last = end
		end += size
	}
	return end, last
}

// contraction matches `'s|'t|'re|'ve|'m|'ll|'d` at s[i] (an apostrophe),
// returning the end or -1. With fold it matches case-insensitively, as (?i:...)
// does under Unicode case folding (so 'ſ', U+017F, matches 's').
func contraction(s string, i int, fold bool) int {
	lower := func(c byte) byte {
		if fold && 'A' <= c && c <= 'Z' {
			return c + 'a' - 'A'
		}
		return c
	}
	if i+1 >= len(s) {
		return -1
	}
	switch lower(s[i+1]) {
	case 's', 't', 'm', 'd':
		return i + 2
	case 'r', 'v':
		if i+2 < len(s) && lower(s[i+2]) == 'e' {
			return i + 3
		}
	case 'l':
		if i+2 < len(s) && lower(s[i+2]) == 'l' {
			return i + 3
		}
	case 0xC5: // 'ſ' is C5 BF
		if fold && i+2 < len(s) && s[i+2] == 0xBF {
			return i + 3
		}
	}
	return -1
}

// scanGPT2 implements
//
//	's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
func scanGPT2(s string, i int) int {
	if s[i] == '\'' {
		if j := contraction(s, i, false); j > 0 {
			return j
		}
	}
	// ' ?\p{L}+', ' ?\p{N}+', ' ?[^\s\p{L}\p{N}]+': one optional space, then a run.
	k := i
	if s[i] == ' ' && i+1 < len(s) {
		k = i + 1
	}
	if cls, _ := classAt(s, k); cls != clsSpace {
		return runOf(s, k, cls)
	}
	return endOfSpaces(s, i)
}

// endOfSpaces implements `\s+(?!\S)|\s+` at a space s[i]: a run of spaces followed
// by a non-space gives up its last character (which may then prefix the next word)
// unless that would leave the match empty.
func endOfSpaces(s string, i int) int {
	end, last := spaceRun(s, i)
	if end < len(s) && last > i {
		return last
	}
	return end
}

// scanCL100K implements
//
//	(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
func scanCL100K(s string, i int) int { return scanCL(s, i, 3) }

// scanQwen2 implements
//
//	(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
func scanQwen2(s string, i int) int { return scanCL(s, i, 1) }

func scanCL(s string, i int, maxDigits int) int {
	if s[i] == '\'' {
		if j := contraction(s, i, true); j > 0 {
			return j
		}
	}
	cls, size := classAt(s, i)
	// [^\r\n\p{L}\p{N}]?\p{L}+
	if cls == clsLetter {
		return runOf(s, i, clsLetter)
	}
	if cls != clsNumber && s[i] != '\r' && s[i] != '\n' && i+size < len(s) {
		if next, _ := classAt(s, i+size); next == clsLetter {
			return runOf(s, i+size, clsLetter)
		}
	}
	// \p{N}{1,maxDigits}
	if cls == clsNumber {
		j := i
		for n := 0; n < maxDigits && j < len(s); n++ {
			c, w := classAt(s, j)
			if c != clsNumber {
				break
			}
			j += w
		}
		return j
	}
	//  ?[^\s\p{L}\p{N}]+[\r\n]*
	k := i
	if s[i] == ' ' && i+1 < len(s) {
		k = i + 1
	}
	if c, _ := classAt(s, k); c == clsOther {
		j := runOf(s, k, clsOther)
		for j < len(s) && (s[j] == '\r' || s[j] == '\n') {
			j++
		}
		return j
	}
	// Only spaces are left: \s*[\r\n]+ ends after the run's last line break.
	end, _ := spaceRun(s, i)
	for j := end - 1; j >= i; j-- {
		if s[j] == '\r' || s[j] == '\n' {
			return j + 1
		}
	}
	return endOfSpaces(s, i)
}
