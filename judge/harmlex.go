package judge

import (
	_ "embed"
	"strings"
)

// The harm lexicon: classes of English verbs and nouns derived from
// WordNet 3.1's hypernym trees by scripts/derive-harm-lexicon.mjs (see
// lexicons/README.md). It gives the judge the words of harm that no list
// of its own names ("garrote", "embezzle", "firebomb"), and the victims
// and targets a harmful act needs ("neighbour", "landlord", "goat",
// "warehouse").

//go:embed lexicons/harm-wordnet.txt
var harmWordNet string

// verbSense is one harm class of a verb: the category of harm it names
// and whether that reading dominates the word (strong) or is one of its
// usual readings (weak: "kill a process" is not violence).
type verbSense struct {
	class  string
	strong bool
}

// Noun classes of the lexicon (bits of nounInfo.classes).
const (
	nounPerson = 1 << iota
	nounAnimal
	nounWeapon
	nounPoison
	nounDrug
	nounProperty
	nounContest
	nounCommon
	nounCrime
	nounIllness
	nounPest
	nounFood
	nounArtifact
)

type nounInfo struct {
	classes uint16
	crime   string // the category of a crime noun ("arson" → arson)
}

// harmLexicon indexes the lexicon by lemma; multi-word lemmas ("beat
// up", "burn down") are joined by "_".
type harmLexicon struct {
	verbs map[string][]verbSense
	nouns map[string]nounInfo
	// phrasal holds, for the first word of a multi-word verb, the rest of
	// each one ("beat" → "up").
	phrasal map[string][][]string
}

var nounClassBits = map[string]uint16{
	"person": nounPerson, "animal": nounAnimal, "weapon": nounWeapon, "poison": nounPoison, "drug": nounDrug,
	"property": nounProperty, "contest": nounContest, "common": nounCommon, "illness": nounIllness, "pest": nounPest, "food": nounFood,
	"artifact": nounArtifact,
}

// verbClassCategory maps the verb classes of the lexicon to harm categories.
var verbClassCategory = map[string]string{
	"violence": HarmViolence, "theft": HarmTheft, "fraud": HarmFraud, "harassment": HarmHarassment,
	"extortion": HarmExtortion, "kidnapping": HarmKidnapping, "sexual": HarmSexual, "arson": HarmArson,
	"vandalism": HarmVandalism, "poisoning": HarmPoisoning, "drugs": HarmDrugs,
}

// supplementNouns are common words WordNet lacks or ranks otherwise in
// these classes: British spellings, informal forms, groups of people.
var supplementNouns = map[string]uint16{
	"neighbour": nounPerson, "coworker": nounPerson, "ex": nounPerson, "enemy": nounPerson, "stepdad": nounPerson,
	"stepmom": nounPerson, "stepmum": nounPerson, "bf": nounPerson, "gf": nounPerson, "hubby": nounPerson,
	"flatmate": nounPerson, "housemate": nounPerson, "teammate": nounPerson, "bestie": nounPerson,
	"family": nounPerson, "crowd": nounPerson, "audience": nounPerson, "staff": nounPerson, "mil": nounPerson,
	"grandson": nounPerson, "granddaughter": nounPerson, "somone": nounPerson, "sombody": nounPerson,
	"kitten": nounAnimal, "goat": nounAnimal, "cat": nounAnimal, "pet": nounAnimal,
	"debate": nounContest, "argument": nounContest, "election": nounContest, "interview": nounContest,
	"exam": nounContest, "game": nounContest, "match": nounContest, "race": nounContest, "fortnite": nounContest,
	"minecraft": nounContest, "kart": nounContest, "videogame": nounContest, "tournament": nounContest,
	"apartment": nounProperty, "flat": nounProperty, "shed": nounProperty, "garage": nounProperty,
	"store": nounProperty, "shop": nounProperty, "restaurant": nounProperty, "office": nounProperty,
	"school": nounProperty, "church": nounProperty, "forest": nounProperty, "woods": nounProperty,
	"car": nounProperty, "truck": nounProperty, "bike": nounProperty, "tires": nounProperty, "tyres": nounProperty,
	"window": nounProperty, "windows": nounProperty, "lawn": nounProperty, "garden": nounProperty,
	"statue": nounProperty, "wall": nounProperty, "home": nounProperty, "house": nounProperty,
	// Street names of drugs that WordNet files under other first senses.
	"weed": nounDrug, "coke": nounDrug, "molly": nounDrug, "oxy": nounDrug, "oxycontin": nounDrug,
	"shrooms": nounDrug, "crack": nounDrug, "smack": nounDrug, "xanax": nounDrug, "percs": nounDrug,
	"ecstasy": nounDrug, "acid": nounDrug, "crystal": nounDrug, "dope": nounDrug,
	// Weapons WordNet files under their matter ("napalm" is a fuel).
	"napalm": nounWeapon, "thermite": nounWeapon, "ricin": nounPoison, "cyanide": nounPoison, "arsenic": nounPoison,
	"antifreeze": nounPoison, "landmine": nounWeapon, "opioid": nounDrug, "cannabis": nounDrug, "marijuana": nounDrug,
	"driver": nounPerson, "streamer": nounPerson, "opp": nounPerson, "opps": nounPerson,
	// Animals whose first WordNet sense is something else (a party
	// emblem, a fierce person, the meat), the words for any animal, and
	// fish, which people lawfully catch and kill, as they do pests.
	"animal": nounAnimal, "creature": nounAnimal, "beast": nounAnimal, "donkey": nounAnimal, "chicken": nounAnimal,
	"tiger": nounAnimal, "whale": nounAnimal, "dolphin": nounAnimal, "leopard": nounAnimal, "badger": nounAnimal,
	"otter": nounAnimal, "raccoon": nounAnimal, "fish": nounAnimal | nounPest,
	// Public places, a target of vandalism like a building.
	"playground": nounProperty, "park": nounProperty, "cemetery": nounProperty, "graveyard": nounProperty,
}

// supplementVerbs are harm senses WordNet files elsewhere or ranks too
// rarely for the lexicon, all weak (they count only with a victim): to
// blind or scald an animal, to abandon or neglect someone who depends on
// you, to trash or tear down someone else's things, to troll or spam a
// person.
var supplementVerbs = map[string]string{
	"blind": HarmViolence, "scald": HarmViolence, "trip": HarmViolence, "abandon": HarmViolence,
	"neglect": HarmViolence, "starve": HarmViolence, "mistreat": HarmViolence, "abuse": HarmViolence,
	"trash": HarmVandalism, "tear_down": HarmVandalism, "topple": HarmVandalism, "cut_down": HarmVandalism,
	"dismantle": HarmVandalism, "gouge": HarmVandalism, "mar": HarmVandalism, "uproot": HarmVandalism,
	"scorch": HarmArson, "raid": HarmTheft, "bilk": HarmFraud, "falsify": HarmFraud,
	"menace": HarmHarassment, "troll": HarmHarassment, "spam": HarmHarassment, "hound": HarmHarassment,
	"badger": HarmHarassment, "pester": HarmHarassment,
	// Slang: to "smoke" or "unalive" someone is to kill them.
	"smoke": HarmViolence, "unalive": HarmViolence,
}

func parseHarmLexicon(text string) *harmLexicon {
	lx := &harmLexicon{verbs: map[string][]verbSense{}, nouns: map[string]nounInfo{}, phrasal: map[string][][]string{}}
	var verbClass string
	var strong bool
	var nounBits uint16
	var crime string
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "[") {
			head := strings.Fields(strings.Trim(line, "[]"))
			verbClass, nounBits, crime = "", 0, ""
			name := head[0]
			switch {
			case strings.HasPrefix(name, "verb."):
				verbClass = strings.TrimPrefix(name, "verb.")
				strong = len(head) > 1 && head[1] == "strong"
			case strings.HasPrefix(name, "noun.crime."):
				nounBits, crime = nounCrime, verbClassCategory[strings.TrimPrefix(name, "noun.crime.")]
			case strings.HasPrefix(name, "noun."):
				nounBits = nounClassBits[strings.TrimPrefix(name, "noun.")]
			}
			continue
		}
		for _, w := range strings.Fields(line) {
			switch {
			case verbClass != "":
				lx.verbs[w] = append(lx.verbs[w], verbSense{class: verbClassCategory[verbClass], strong: strong})
				if parts := strings.Split(w, "_"); len(parts) > 1 {
					lx.phrasal[parts[0]] = append(lx.phrasal[parts[0]], parts[1:])
				}
			case nounBits != 0:
				ni := lx.nouns[w]
				ni.classes |= nounBits
				if crime != "" {
					ni.crime = crime
				}
				lx.nouns[w] = ni
			}
		}
	}
	for w, class := range supplementVerbs {
		lx.verbs[w] = append(lx.verbs[w], verbSense{class: class})
		if parts := strings.Split(w, "_"); len(parts) > 1 {
			lx.phrasal[parts[0]] = append(lx.phrasal[parts[0]], parts[1:])
		}
	}
	for w, bits := range supplementNouns {
		ni := lx.nouns[w]
		ni.classes |= bits | nounCommon
		lx.nouns[w] = ni
	}
	return lx
}

var harmLex = parseHarmLexicon(harmWordNet)

// irregularVerbs maps irregular forms of the lexicon's verbs to lemmas.
var irregularVerbs = map[string]string{
	"stole": "steal", "stolen": "steal", "shot": "shoot", "struck": "strike", "stricken": "strike", "slew": "slay",
	"slain": "slay", "burnt": "burn", "hung": "hang", "broke": "break", "broken": "break", "beaten": "beat",
	"ran": "run", "fought": "fight", "bitten": "bite", "threw": "throw", "thrown": "throw",
	"knocked": "knock", "took": "take", "taken": "take", "made": "make", "sold": "sell", "bought": "buy",
	"drove": "drive", "driven": "drive", "kidnapped": "kidnap", "kidnapping": "kidnap", "mugged": "mug",
	"mugging": "mug", "robbed": "rob", "robbing": "rob", "stabbed": "stab", "stabbing": "stab", "clubbed": "club",
	"slit": "slit", "swung": "swing", "stung": "sting", "fed": "feed", "lit": "light", "set": "set",
}

// irregularNouns maps irregular plurals to singulars.
var irregularNouns = map[string]string{
	"people": "person", "men": "man", "women": "woman", "children": "child", "geese": "goose", "mice": "mouse",
	"wives": "wife", "knives": "knife", "lives": "life", "thieves": "thief", "wolves": "wolf", "calves": "calf",
	"teeth": "tooth", "feet": "foot", "kids": "kid", "exes": "ex", "ppl": "person", "guys": "guy",
	// Street names of drugs are mass nouns: their plurals are the
	// words' other senses (weeds in a garden, cracks in a wall).
	"weeds": "weeds", "cracks": "cracks", "crystals": "crystals", "acids": "acids",
}

// verbLemmas returns the lexicon verbs w may be a form of ("stabbed" →
// stab, "choking" → choke, "burglarizes" → burglarize).
func verbLemmas(w string) []string {
	if l, ok := irregularVerbs[w]; ok {
		_, isVerb := harmLex.verbs[l]
		_, isPhrasal := harmLex.phrasal[l]
		if isVerb || isPhrasal {
			return []string{l}
		}
		return nil
	}
	var out []string
	try := func(c string) {
		if _, ok := harmLex.verbs[c]; ok && !contains(out, c) {
			out = append(out, c)
		}
		if _, ok := harmLex.phrasal[c]; ok && !contains(out, c) {
			out = append(out, c)
		}
	}
	try(w)
	for _, suf := range []string{"ing", "ed", "es", "s"} {
		stem, ok := strings.CutSuffix(w, suf)
		if !ok || len(stem) < 2 {
			continue
		}
		try(stem)
		try(stem + "e")
		if n := len(stem); n > 2 && stem[n-1] == stem[n-2] {
			try(stem[:n-1]) // stabbed → stab
		}
		if strings.HasSuffix(stem, "i") && (suf == "ed" || suf == "es") {
			try(stem[:len(stem)-1] + "y") // terrified → terrify
		}
	}
	return out
}

// noun returns what the lexicon knows of w as a noun, trying its
// singular ("neighbours", "thieves", "geese").
func noun(w string) (nounInfo, bool) {
	w = strings.TrimSuffix(strings.TrimSuffix(w, "'s"), "'")
	if ni, ok := harmLex.nouns[w]; ok {
		return ni, true
	}
	if s, ok := irregularNouns[w]; ok {
		ni, ok := harmLex.nouns[s]
		return ni, ok
	}
	for _, c := range []struct{ suf, rep string }{{"ies", "y"}, {"es", ""}, {"s", ""}} {
		if stem, ok := strings.CutSuffix(w, c.suf); ok && len(stem) > 1 {
			if ni, ok := harmLex.nouns[stem+c.rep]; ok {
				return ni, true
			}
		}
	}
	return nounInfo{}, false
}
