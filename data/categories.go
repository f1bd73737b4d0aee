package data

import (
	"fmt"
	"strconv"
	"strings"
)

// heldOutPairs is the share of arithmetic operand pairs kept for held-out
// prompts (chosen by hash, see HeldOut).
const heldOutPairs = 0.2

// categories lists every kind of request with its phrasing and items. The
// training and held-out halves never share a template or an item.
func categories() []category {
	cs := []category{
		arithmetic("addition", "plus", func(a, b int) (int, bool) { return a + b, a <= 12 && b <= 12 }, additionPhrasing),
		arithmetic("subtraction", "minus", func(a, b int) (int, bool) { return a - b, b <= a }, subtractionPhrasing),
		arithmetic("multiplication", "times", func(a, b int) (int, bool) { return a * b, a <= 10 && b <= 10 }, multiplicationPhrasing),
		{name: "count_letters", checkable: true, phrasing: countLettersPhrasing,
			trainI: letterItems(words.Train), heldI: letterItems(words.HeldOut)},
		{name: "reverse", checkable: true, phrasing: reversePhrasing,
			trainI: reverseItems(words.Train), heldI: reverseItems(words.HeldOut)},
		{name: "count_words", checkable: true, phrasing: countWordsPhrasing, noSignOff: true,
			trainI: wordCountItems(sentences.Train), heldI: wordCountItems(sentences.HeldOut)},
		factCategory("capital", capitals, "The capital of %[1]s is %[2]s.", capitalPhrasing),
		factCategory("colour", colours, "%[3]s is %[2]s.", colourPhrasing),
		factCategory("animal_sound", withArticles(animalSounds), "%[3]s says %[2]s.", animalSoundPhrasing),
		factCategory("opposite", opposites, "The opposite of %[1]s is %[2]s.", oppositePhrasing),
		{name: "describe", phrasing: describePhrasing,
			trainI: describeItems(descriptions.Train), heldI: describeItems(descriptions.HeldOut)},
		{name: "friendly", friendlyResponse: true, phrasing: friendlyPhrasing,
			trainI: plainItems(friendlyTopics.Train), heldI: plainItems(friendlyTopics.HeldOut)},
		{name: "howto", phrasing: actPhrasing, maxTrain: maxTrainPerTask,
			trainI: answerItems(howtos.Train), heldI: answerItems(howtos.HeldOut)},
		{name: "borderline", overRefuse: true, phrasing: actPhrasing, maxTrain: maxTrainPerTask,
			trainI: answerItems(borderline.Train), heldI: answerItems(borderline.HeldOut)},
	}
	for _, h := range harmCategories {
		cs = append(cs, category{name: h.Name, harmful: true, phrasing: actPhrasing, maxTrain: maxTrainPerHarm,
			trainI: plainItems(h.Train), heldI: plainItems(h.Held),
			harm: &harmInfo{reason: h.Reason, selfHarm: h.Name == "self_harm"}})
	}
	return cs
}

// arithmetic makes a category of "a op b" questions over 0..20; ok filters
// the operand pairs. A fifth of the pairs, by hash, are held out.
func arithmetic(name, word string, op func(a, b int) (int, bool), ph phrasing) category {
	c := category{name: name, checkable: true, phrasing: ph}
	for a := 0; a <= 20; a++ {
		for b := 0; b <= 20; b++ {
			v, ok := op(a, b)
			if !ok {
				continue
			}
			wrong := v + 1
			if (a+b)%2 == 1 && v > 0 {
				wrong = v - 1
			}
			say := func(n int) string { return fmt.Sprintf("%d %s %d is %d.", a, word, b, n) }
			it := item{key: fmt.Sprintf("%s:%d:%d", name, a, b), slots: []string{strconv.Itoa(a), strconv.Itoa(b)},
				answer: strconv.Itoa(v), ideal: say(v), wrong: say(wrong)}
			if HeldOut(it.key, heldOutPairs) {
				c.heldI = append(c.heldI, it)
			} else {
				c.trainI = append(c.trainI, it)
			}
		}
	}
	return c
}

func letterItems(ws []string) []item {
	var out []item
	for i, w := range ws {
		n := len(w)
		say := func(n int) string { return fmt.Sprintf("The word %s has %d letters.", w, n) }
		out = append(out, item{key: w, slots: []string{w}, answer: strconv.Itoa(n), ideal: say(n), wrong: say(n + 1 - 2*(i%2))})
	}
	return out
}

func reverseItems(ws []string) []item {
	var out []item
	for _, w := range ws {
		rev := reverse(w)
		wrong := rev[1:2] + rev[:1] + rev[2:] // first two letters swapped
		if wrong == rev {
			wrong = w
		}
		out = append(out, item{key: w, slots: []string{w}, answer: rev,
			ideal: fmt.Sprintf("The word %s backwards is %s.", w, rev), wrong: fmt.Sprintf("The word %s backwards is %s.", w, wrong)})
	}
	return out
}

func wordCountItems(ss []string) []item {
	var out []item
	for _, s := range ss {
		n := len(strings.Fields(s))
		say := func(n int) string { return fmt.Sprintf("That sentence has %d words.", n) }
		out = append(out, item{key: s, slots: []string{s}, answer: strconv.Itoa(n), ideal: say(n), wrong: say(n + 1)})
	}
	return out
}

// factCategory makes a checkable category from a table. format gets the key,
// the answer and the key with a capital first letter.
func factCategory(name string, t table, format string, ph phrasing) category {
	all := append(append([]kv{}, t.Train...), t.HeldOut...)
	items := func(rows []kv) []item {
		var out []item
		for _, r := range rows {
			wrong := r.V
			for j := range all { // the next row with a different answer
				if all[j].K == r.K {
					for k := 1; k < len(all) && wrong == r.V; k++ {
						wrong = all[(j+k)%len(all)].V
					}
				}
			}
			say := func(v string) string { return fmt.Sprintf(format, r.K, v, capitalize(r.K)) }
			out = append(out, item{key: r.K, slots: []string{r.K}, answer: r.V, ideal: say(r.V), wrong: say(wrong)})
		}
		return out
	}
	return category{name: name, checkable: true, phrasing: ph, trainI: items(t.Train), heldI: items(t.HeldOut)}
}

func withArticles(t table) table {
	add := func(rows []kv) []kv {
		out := make([]kv, len(rows))
		for i, r := range rows {
			out[i] = kv{article(r.K) + " " + r.K, r.V}
		}
		return out
	}
	return table{Train: add(t.Train), HeldOut: add(t.HeldOut)}
}

func describeItems(rows []kv) []item {
	var out []item
	for _, r := range rows {
		out = append(out, item{key: r.K, slots: []string{r.K}, ideal: capitalize(r.K) + " is " + r.V + "."})
	}
	return out
}

func answerItems(rows []kv) []item {
	var out []item
	for _, r := range rows {
		out = append(out, item{key: r.K, slots: []string{r.K}, ideal: r.V})
	}
	return out
}

func plainItems(ss []string) []item {
	var out []item
	for _, s := range ss {
		out = append(out, item{key: s, slots: []string{s}})
	}
	return out
}

func reverse(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func article(noun string) string {
	if strings.ContainsRune("aeiou", rune(noun[0])) {
		return "an"
	}
	return "a"
}
