package judge

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
)

// Lexicon maps words and short phrases (space-separated, lower case) to a
// valence, negative for bad and positive for good (AFINN uses -5..5).
type Lexicon map[string]float64

// LoadLexicon reads a JSON object of word → valence, such as AFINN-165 as
// shipped in npm sentiment@5.0.2 (languages/en/labels.json), with its
// entries in the words Valence matches ("self-confident" becomes "self
// confident").
func LoadLexicon(path string) (Lexicon, error) {
	lex, err := ReadLexicon(path)
	if err != nil {
		return nil, err
	}
	out := make(Lexicon, len(lex))
	for k, v := range lex {
		out[strings.Join(words(k), " ")] = v
	}
	return out, nil
}

// ReadLexicon reads the JSON object of word → number as LoadLexicon does
// but keeps the entries as written, for a scorer with a tokenizer of its own
// (npm sentiment keeps "self-confident" one token, and its negators.json has
// the same form).
func ReadLexicon(path string) (Lexicon, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load lexicon: %w", err)
	}
	var lex Lexicon
	if err := json.Unmarshal(b, &lex); err != nil {
		return nil, fmt.Errorf("load lexicon %s: want a JSON object of word to number: %w", path, err)
	}
	if len(lex) == 0 {
		return nil, fmt.Errorf("load lexicon %s: no entries", path)
	}
	return lex, nil
}

// BasicLexicon is a small valence lexicon written for align (about 250
// common English opinion words, valence -4..4). It lets the positivity
// criterion work without installed assets; a full lexicon such as AFINN-165
// (see [LoadLexicon]) agrees with human labels more often.
func BasicLexicon() Lexicon {
	lex := make(Lexicon)
	for _, line := range strings.Split(basicLexicon, "\n") {
		v, ws, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok {
			continue
		}
		val, err := strconv.ParseFloat(v, 64)
		if err != nil {
			panic("judge: bad basic lexicon line " + line)
		}
		for _, w := range strings.Split(ws, ",") {
			if w = strings.TrimSpace(w); w != "" {
				lex[w] = val
			}
		}
	}
	return lex
}

const basicLexicon = `
4: outstanding, superb, masterpiece, brilliant, excellent, amazing, wonderful, fantastic, perfect, awesome, loved, love, breathtaking, stunning, flawless
3: great, delightful, beautiful, enjoyable, impressive, remarkable, superior, terrific, charming, favorite, favourite, best, hilarious, gorgeous, touching, moving, memorable, happy, glad, joy, thrilled, excited
2: good, nice, fun, funny, pleasant, enjoyed, enjoy, like, liked, likes, recommend, recommended, worth, solid, fine, clever, smart, fresh, friendly, helpful, satisfied, pleased, entertaining, engaging, interesting, well, works, worked, tasty, delicious, fast, easy, reliable, comfortable, cool, better, success, successful, win, wins, won, winner, thank, thanks, kind, safe, clean, gem, sweet, warm, gentle, honest, genuine, real, strong, powerful, rich, creative, original, unique, classic, fascinating, compelling, captivating, satisfying, wow
1: ok, okay, decent, fair, adequate, reasonable, appropriate, correct, right, calm, hope, hopeful, positive, glad, improve, improved, useful, effective, nicely, accurate
-1: slow, long, confusing, confused, predictable, ordinary, average, mediocre, bland, lacking, lacks, odd, strange, weird, cheap, flat, plain, tired, unclear, miss, missed, mistake, problem, problems, issue, issues, unfortunately, lost, noisy, cold, difficult, hard, overpriced, pricey
-2: bad, poor, boring, dull, disappointing, disappointed, disappointment, annoying, waste, wasted, weak, silly, stupid, ugly, wrong, broken, fails, failed, fail, failure, mess, messy, unpleasant, sad, angry, upset, hate, hated, dislike, disliked, rude, dirty, sucks, sucked, lame, pointless, mindless, bored, unfunny, forgettable, tedious, painful, pain, fake, unbelievable, ridiculous, poorly, lousy, junk, refund, cheesy, shallow, sloppy, lazy, inferior, useless, worse, nasty, sick, scary, hurt, harm, avoid, slowly, bug, buggy, defective, crap
-3: terrible, awful, horrible, worst, pathetic, garbage, trash, disgusting, dreadful, unwatchable, atrocious, abysmal, appalling, hideous, miserable, stinks, stank, insult, insulting, rubbish, incompetent, offensive, nauseating, nightmare, evil, cruel, abuse, kill, die, dead, death
-4: abomination, catastrophe, disaster, vile, horrendous, despicable
`

// negators flip (and damp) the valence of the next few words.
var negators = setOf(`not no never none nobody nothing neither nor without hardly barely cannot
cant can't dont don't doesnt doesn't didnt didn't isnt isn't wasnt wasn't arent aren't werent weren't
wont won't wouldnt wouldn't couldnt couldn't shouldnt shouldn't aint ain't lack`)

// boosters scale the valence of the next word up (>1) or down (<1).
var boosters = map[string]float64{
	"very": 1.3, "really": 1.3, "extremely": 1.5, "so": 1.2, "incredibly": 1.5, "absolutely": 1.5,
	"totally": 1.4, "truly": 1.3, "highly": 1.4, "most": 1.3, "completely": 1.4, "utterly": 1.5,
	"super": 1.3, "especially": 1.2, "particularly": 1.2, "remarkably": 1.3, "deeply": 1.3,
	"quite": 1.1, "pretty": 1.1, "fairly": 0.8, "somewhat": 0.6, "slightly": 0.5, "kinda": 0.6,
	"kind of": 0.6, "sort of": 0.6, "a bit": 0.6, "a little": 0.6, "marginally": 0.5, "almost": 0.7,
}

// contrast words shift weight to the clause that follows them.
var contrasts = setOf(`but however yet although though nevertheless`)

// Valence scores the sentiment of text with lex: the sum of word valences,
// where a negator within three words before flips and halves a valence
// ("not good" is mildly bad, "not bad" mildly good), boosters and damping
// words scale the next valence, words before "but" count half and words
// after it one and a half times, and exclamation marks add emphasis. The
// sum is squashed into (-1, 1) by x/√(x²+15). It also returns the words
// that carried sentiment, for explanations.
func (lex Lexicon) Valence(text string) (score float64, hits []string) {
	var sum float64
	for _, sent := range sentences(text) {
		ws, clauseOf := clauseWords(sent)
		// Contrast: weight of each word position.
		weight := make([]float64, len(ws))
		for i := range weight {
			weight[i] = 1
		}
		for i, w := range ws {
			if contrasts[w] && i > 0 {
				for j := range i {
					weight[j] = 0.5
				}
				for j := i + 1; j < len(ws); j++ {
					weight[j] = 1.5
				}
			}
		}
		for i := 0; i < len(ws); {
			clause := i // first word of the clause holding ws[i]: negation and boosters stay inside it
			for clause > 0 && clauseOf[clause-1] == clauseOf[i] {
				clause--
			}
			v, n := lex.match(ws, i)
			if n == 0 {
				i++
				continue
			}
			scale := 1.0 // boosters directly before the word: "very very good", "a bit slow"
			for j := i - 1; j >= clause && j >= i-3; j-- {
				if f, ok := boosters[ws[j]]; ok {
					scale *= f
					continue
				}
				if j-1 >= clause {
					if f, ok := boosters[ws[j-1]+" "+ws[j]]; ok {
						scale *= f
						j--
						continue
					}
				}
				break
			}
			negated := false
			for k := 1; k <= 3 && i-k >= clause; k++ {
				if negators[ws[i-k]] {
					negated = true
					break
				}
			}
			v *= scale
			if negated {
				v *= -0.5
			}
			sum += v * weight[i]
			hit := strings.Join(ws[i:i+n], " ")
			if negated {
				hit = "not " + hit
			}
			hits = append(hits, fmt.Sprintf("%s (%+.1f)", hit, v*weight[i]))
			i += n
		}
	}
	if sum != 0 {
		bangs := min(strings.Count(text, "!"), 3)
		sum += math.Copysign(0.3*float64(bangs), sum)
	}
	return sum / math.Sqrt(sum*sum+15), hits
}

// match finds the longest lexicon entry (up to three words) starting at
// ws[i] and returns its valence and length in words (0: none). Booster and
// negator words never match on their own.
func (lex Lexicon) match(ws []string, i int) (float64, int) {
	for n := min(3, len(ws)-i); n >= 1; n-- {
		key := strings.Join(ws[i:i+n], " ")
		if v, ok := lex[key]; ok {
			if n == 1 && (negators[key] || boosters[key] != 0) {
				return 0, 0
			}
			if n == 1 && i+1 < len(ws) && boosters[key+" "+ws[i+1]] != 0 {
				return 0, 0 // "kind" in "kind of"
			}
			return v, n
		}
		if n == 1 {
			if base, ok := strings.CutSuffix(key, "'s"); ok {
				if v, ok := lex[base]; ok {
					return v, 1
				}
			}
		}
	}
	return 0, 0
}

// clauseWords splits sent into words and gives each the index of its
// clause; commas, semicolons, colons, brackets and spaced dashes end a
// clause, and with it the scope of a negation.
func clauseWords(sent string) (ws []string, clauseOf []int) {
	sent = strings.ReplaceAll(sent, " - ", ", ")
	sent = strings.ReplaceAll(sent, "--", ", ")
	parts := strings.FieldsFunc(sent, func(r rune) bool {
		return r == ',' || r == ';' || r == ':' || r == '(' || r == ')' || r == '\u2014'
	})
	for c, p := range parts {
		for _, w := range words(p) {
			ws = append(ws, w)
			clauseOf = append(clauseOf, c)
		}
	}
	return ws, clauseOf
}
