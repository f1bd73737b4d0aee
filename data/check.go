package data

import (
	"strconv"
	"strings"
	"unicode"
)

// Check reports whether response answers the checkable example ex correctly.
// It returns false for examples that are not checkable.
//
//   - Numbers (arithmetic, letter and word counts): the last number in the
//     response, in digits or as a word up to twenty, must equal the answer.
//     "3 plus 4 is 7." passes; "7, or maybe 8" does not.
//   - Reversed words: the answer must appear as a whole word.
//   - Facts (capitals, colours, animal sounds, opposites): the answer must
//     appear as a whole word or phrase, and no other answer of the same table
//     may, unless the prompt contains it; listing every capital fails.
//
// Matching ignores case and punctuation.
func Check(ex Example, response string) bool {
	if !ex.Checkable || ex.Answer == "" {
		return false
	}
	r := normalize(response)
	switch ex.Category {
	case "addition", "subtraction", "multiplication", "count_letters", "count_words":
		n, ok := lastNumber(r)
		return ok && strconv.Itoa(n) == strings.TrimSpace(ex.Answer)
	case "reverse":
		return containsWord(r, normalize(ex.Answer))
	}
	t, ok := factTables()[ex.Category]
	if !ok {
		return false
	}
	answer := normalize(ex.Answer)
	if !containsWord(r, answer) {
		return false
	}
	prompt := normalize(ex.Prompt)
	for _, rows := range [][]kv{t.Train, t.HeldOut} {
		for _, row := range rows {
			other := normalize(row.V)
			if other != answer && !containsWord(answer, other) && !containsWord(prompt, other) && containsWord(r, other) {
				return false
			}
		}
	}
	return true
}

func factTables() map[string]table {
	return map[string]table{"capital": capitals, "colour": colours, "animal_sound": animalSounds, "opposite": opposites}
}

// normalize lower-cases s and turns everything but letters, digits and
// inner hyphens into single spaces.
func normalize(s string) string {
	s = strings.ToLower(s)
	fields := strings.FieldsFunc(s, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-'
	})
	for i, f := range fields {
		fields[i] = strings.Trim(f, "-")
	}
	return strings.Join(fields, " ")
}

// containsWord reports whether the normalized text s contains the normalized
// word or phrase w at word boundaries.
func containsWord(s, w string) bool {
	if w == "" {
		return false
	}
	return strings.Contains(" "+s+" ", " "+w+" ")
}

var numberWords = map[string]int{
	"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
	"nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
	"sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
}

// lastNumber finds the last number in the normalized text s.
func lastNumber(s string) (int, bool) {
	ws := strings.Fields(s)
	for i := len(ws) - 1; i >= 0; i-- {
		if n, err := strconv.Atoi(ws[i]); err == nil && len(ws[i]) < 10 {
			return n, true
		}
		if n, ok := numberWords[ws[i]]; ok {
			return n, true
		}
	}
	return 0, false
}
