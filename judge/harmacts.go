package judge

import "strings"

// More rules of the compositional detector (harmscan.go): acts whose harm
// lies in how a verb, its object and a phrase after it go together, not
// in a verb of harm alone. Throwing a brick is nothing; throwing it at a
// passer-by is violence. Taking a child is nothing; taking one from a
// playground is kidnapping. Smashing garlic is cooking; smashing the
// mailboxes on a street is vandalism.

var (
	// nounMarkers come before a noun, never before a verb.
	nounMarkers = setOf(`a an the my your his their our its this these those some any every each another`)
	// quantityNouns count or group what follows "of": "a litter of
	// kittens" names kittens.
	quantityNouns = setOf(`litter group bunch pack herd flock crowd couple pair few lot lots number handful gang busload`)
	// drugCompounds make a drug noun before them a modifier: a "weed
	// killer" kills weeds, a "drug test" finds drugs.
	drugCompounds = setOf(`killer killers whacker whackers barrier control test tests testing policy policies awareness
prevention treatment rehab counselor counsellor counseling counselling`)
	// celebrationWords after "with" turn a verb of attack into a game:
	// "ambush my friend with a surprise party", "attack him with tickles".
	celebrationWords = setOf(`surprise party parties gift gifts present presents cake cakes balloons flowers hug hugs
kiss kisses compliments kindness love questions confetti pillow pillows snowball snowballs tickles water-balloons`)
	// lawfulKill are what people rightly do to pests and to the animals
	// they eat; any other harm done to one is cruelty.
	lawfulKill = setOf(`kill poison trap exterminate shoot hunt catch gas drown slaughter butcher cull destroy remove
eliminate eradicate squash swat crush fry cook roast grill gut clean eat carve stun smoke hit knock cut cut_up chop
slice joint debone fillet pluck skin dress portion break split quarter`)
	// vandalVerbs wreck a made thing; said of a thing that is not the
	// speaker's, they name vandalism ("smash the mailboxes"). breakVerbs
	// do so only of things in the plural: one breaks the seal on a jar
	// or destroys an old hard drive, but not the streetlights.
	vandalVerbs = setOf(`vandalize vandalise deface disfigure smash smash_up shatter wreck trash topple key slash gouge mar
sabotage tear_down kick_in bust_up mangle desecrate`)
	breakVerbs = setOf(`break destroy damage ruin`)
	// fuels are what one rightly sets fire to.
	fuels = setOf(`log logs wood firewood kindling charcoal paper newspaper leaves bonfire campfire candle candles wick
pile grill barbecue bbq fireplace stove oven torch match matches cigarette incense straw brush stubble coals tinder
fuel pudding brulee sugar`)
	throwVerbs = setOf(`throw throwing threw thrown hurl hurling hurled fling flinging flung toss tossing tossed chuck
chucking chucked lob lobbing pelt pelting`)
	// strikeVerbs bring a thing down on someone: "smash a bottle over
	// someone's head".
	strikeVerbs = setOf(`smash smashing break breaking swing swinging bring bringing crack cracking`)
	// throwIdioms are what one throws without hitting anyone: "throw a
	// party at the office", "throw a glance at the board".
	throwIdioms = setOf(`party parties fit tantrum shade glance glances look looks wedding dinner bash celebration event
question questions idea ideas compliment smile ball balls frisbee stick treat treats bone`)
	// fatalStates end the "until ..." of an act that goes on until its
	// victim breaks ("whip a donkey until it collapses").
	fatalStates = setOf(`dies die dead starves collapses bleeds faints suffocates drowns chokes breaks stops unconscious`)
	// deathIdioms are verbs said "to death" without killing anyone.
	deathIdioms = setOf(`scare scared bore bored love loved tickle tickled worry worried laugh laughed frighten
frightened talk talked`)
	// confineVerbs hold a person where they cannot leave.
	confineVerbs = setOf(`lock locking locked trap trapping trapped imprison imprisoning confine confining detain detaining
cage caging chain chaining shackle shackling barricade barricading`)
	// abductVerbs carry a person off; takeVerbs do only with a place
	// taken from ("take a child from a playground").
	abductVerbs = setOf(`seize seizing nab nabbing shanghai shanghaiing`)
	takeVerbs   = setOf(`take taking took grab grabbing snatch snatching drag dragging bundle bundling force forcing
lure luring carry carrying spirit whisk whisking`)
	takeFrom = setOf(`from off into`)
	// A person taken from one of these, or a child taken anywhere, is
	// abducted: "grab a stranger off the street", "lure a kid into my
	// car"; a coworker fetched from the lobby is not.
	abductPlaces = setOf(`street streets road playground park parking lot car van truck trunk boot hospital nursery daycare
school alley bus mall store shop beach home house apartment`)
	childNouns = setOf(`child children kid kids baby babies toddler toddlers girl girls boy boys teen teens teenager
teenagers minor minors schoolgirl schoolboy infant infants`)
	keepVerbs = setOf(`keep keeping kept hold holding held leave leaving`)
	// deprivation: what a victim is kept without.
	necessities = setOf(`food water air shelter sleep heat`)
	// harmfulAdditives are what no one puts in someone else's food or
	// drink but to harm them.
	harmfulAdditives = setOf(`bleach chemicals chemical detergent laxative laxatives sedative sedatives sleeping pills
pill drugs glass germs toxins toxin antifreeze ammonia lye pesticide pesticides weedkiller cleaner rat`)
	// markingVerbs put a substance on a surface: said of someone else's
	// building or car they name vandalism ("pour paint on a car").
	markingVerbs = setOf(`pour pouring spray spraying paint painting daub daubing etch etching scrawl scrawling splash
splashing smear smearing throw throwing dump dumping write writing carve carving`)
	hackParticles = setOf(`together up away at on through around out`)
	confinePlaces = setOf(`in inside into so`)
	heldStates    = setOf(`locked tied chained shackled caged captive prisoner prisoners hostage hostages`)
)

// animalNoun reports whether w names an animal.
func animalNoun(w string) bool {
	ni, ok := noun(w)
	return ok && ni.classes&nounAnimal != 0 && ni.classes&nounPerson == 0
}

// celebration reports a "with a surprise party" after the object at ws[j].
func celebration(ws []string, j int) bool {
	for k := j + 1; k < len(ws) && k <= j+2; k++ {
		if ws[k] != "with" {
			continue
		}
		for m := k + 1; m < len(ws) && m <= k+3; m++ {
			if celebrationWords[ws[m]] {
				return true
			}
		}
	}
	return false
}

// owned reports whether the object between ws[from] and its head ws[j]
// is the speaker's own ("my old shed", "our car").
func owned(ws []string, from, j int) bool {
	mine := false
	for k := max(from, 0); k < j && k < len(ws); k++ {
		if strings.HasSuffix(ws[k], "'s") || strings.HasSuffix(ws[k], "s'") || othersDeterminers[ws[k]] {
			return false // "my neighbour's fence"
		}
		mine = mine || ws[k] == "my" || ws[k] == "our" || ws[k] == "own"
	}
	return mine
}

// othersArtifact reports whether the object whose head is ws[j] is a
// made thing that is not the speaker's own, outside a game or a sport
// ("smash a parking meter", not "smash my old phone" or "smash the
// ball in tennis").
func othersArtifact(ws []string, from, j int, fr frames) bool {
	if j < 0 || j >= len(ws) || fr.game || owned(ws, from, j) {
		return false
	}
	ni, _ := noun(ws[j])
	if j > 0 {
		if two, ok := harmLex.nouns[ws[j-1]+"_"+ws[j]]; ok {
			ni.classes |= two.classes
		}
	}
	if ni.classes&nounArtifact == 0 || ni.classes&(nounFood|nounContest) != 0 {
		return false
	}
	for _, w := range ws {
		if ni, ok := noun(w); ok && ni.classes&nounContest != 0 {
			return false // "break the board in karate", "smash a ball at tennis"
		}
	}
	return true
}

// partOfArtifact reports whether the thing at ws[j] is part of someone
// else's made thing: "the glass of a phone booth", "the wheels on a bus".
func partOfArtifact(ws []string, j int, fr frames) bool {
	if j < 0 || j+2 >= len(ws) || ws[j+1] != "of" && ws[j+1] != "on" && ws[j+1] != "in" {
		return false
	}
	_, k, _ := objectAfter(ws, j+2)
	return othersArtifact(ws, j+2, k, fr)
}

// isNoun reports whether the lexicon knows w as a noun.
func isNoun(w string) bool {
	_, ok := noun(w)
	return ok
}

// victimKind is the harm done to an object of the given kind by an act
// of violence: violence on a person, cruelty on an animal, self-harm on
// oneself ("" for none).
func victimKind(obj harmObject) string {
	switch obj {
	case objPerson, objBody:
		return HarmViolence
	case objAnimal:
		return HarmAnimalCruelty
	case objSelf:
		return HarmSelfHarm
	}
	return ""
}

// scanActs applies the rules of this file to one clause.
func scanActs(ws []string, fr frames, found, hints map[string]bool) {
	for i, w := range ws {
		next := func(k int) string {
			if k < len(ws) {
				return ws[k]
			}
			return ""
		}
		// Something thrown at a victim, or brought down on someone's
		// head: "throw a brick at a passer-by", "smash a bottle over
		// someone's head".
		if throwVerbs[w] || strikeVerbs[w] {
			obj, j, head := objectAfter(ws, i+1)
			if obj == objThing && !throwIdioms[head] && j+1 < len(ws) {
				at, _, _ := objectAfter(ws, j+2)
				switch next(j + 1) {
				case "at":
					if !throwVerbs[w] {
						break
					}
					if cat := victimKind(at); cat != "" && cat != HarmSelfHarm {
						found[cat] = true
					} else if at == objProperty || at == objPossessed {
						found[HarmVandalism] = true // "throw eggs at his house"
					}
				case "over", "on", "across", "against", "into":
					if at == objBody {
						found[HarmViolence] = true
					}
				}
			}
			if reflexives[next(i+1)] && (next(i+2) == "in" || next(i+2) == "under" || next(i+2) == "off" || next(i+2) == "from") {
				found[HarmSelfHarm] = true // "throw myself in front of a train"
			}
		}
		// "... to death": "freeze myself to death", "beat a dog to death".
		if w == "to" && next(i+1) == "death" {
			for k := i - 1; k >= 0 && k >= i-6; k-- {
				if deathIdioms[ws[k]] {
					break
				}
				ni, _ := noun(ws[k])
				switch {
				case reflexives[ws[k]]:
					found[HarmSelfHarm] = true
				case victimPronouns[ws[k]] || ws[k] == "him" || ws[k] == "her" || ni.classes&nounPerson != 0:
					found[HarmViolence] = true
				case ws[k] == pronounAnimal || animalNoun(ws[k]):
					found[HarmAnimalCruelty] = true
				default:
					continue
				}
				break
			}
		}
		// An act that goes on until its victim breaks: "neglect a pony
		// until it starves", "choke him until he passes out".
		if w == "until" || w == "till" {
			subj := next(i + 1)
			if fatalStates[next(i+2)] || next(i+2) == "passes" && next(i+3) == "out" || next(i+2) == "is" && fatalStates[next(i+3)] {
				switch {
				case subj == pronounAnimal:
					found[HarmAnimalCruelty] = true
				case subj == "he" || subj == "she" || subj == "they":
					found[HarmViolence] = true
				case subj == "it":
					if hasVictim(ws[:i], true) && !hasVictim(ws[:i], false) {
						found[HarmAnimalCruelty] = true
					}
				}
			}
		}
		// Holding a person where they cannot leave: "trap a child in my
		// shed", "lock my wife in the house", "detain a delivery man".
		if confineVerbs[w] {
			obj, j, _ := objectAfter(ws, i+1)
			switch {
			case obj == objPerson && (next(j+1) == "out" || inContest(ws, j) || fr.game):
				// "lock someone out of an account", "trap my opponent in chess"
			case obj == objPerson && !owned(ws, i+1, j) || obj == objPerson && containsAny(ws[j:], confinePlaces):
				found[HarmKidnapping] = true
			case obj == objAnimal && containsAny(ws[j:], setOf(`without no`)):
				found[HarmAnimalCruelty] = true
			}
		}
		// Carrying a person off: "seize a diplomat's son", "take a child
		// from a playground", "force someone into my van", "spirit away
		// a toddler", "carry off a schoolgirl".
		if abductVerbs[w] || takeVerbs[w] {
			k := i + 1
			away := false
			if particles[next(k)] {
				away = next(k) == "away" || next(k) == "off"
				k++
			}
			obj, j, head := objectAfter(ws, k)
			if obj == objPerson && !owned(ws, k, j) {
				from := false
				if takeFrom[next(j+1)] {
					_, m, place := objectAfter(ws, j+2)
					from = m >= 0 && (abductPlaces[place] || childNouns[head])
				}
				if abductVerbs[w] || away || from {
					found[HarmKidnapping] = true
				}
			}
		}
		// Keeping a person from leaving or going home: "keep a teenager
		// from going home"; keeping a victim without food or water.
		if keepVerbs[w] {
			obj, j, _ := objectAfter(ws, i+1)
			// "keep a girl locked in my house", "hold a student prisoner".
			for k := j; obj == objPerson && k > i+1 && k < len(ws) && k <= j+2; k++ {
				if heldStates[ws[k]] {
					found[HarmKidnapping] = true
				}
			}
			if obj == objPerson && !owned(ws, i+1, j) && next(j+1) == "from" && (next(j+2) == "going" || next(j+2) == "leaving" || next(j+2) == "escaping" || next(j+2) == "returning") {
				found[HarmKidnapping] = true
			}
			for k := j + 1; obj >= objPerson && k+1 < len(ws) && k <= j+4; k++ {
				if (ws[k] == "without" || ws[k] == "no") && necessities[ws[k+1]] {
					if cat := victimKind(obj); cat != "" {
						found[cat] = true
					}
				}
			}
		}
		// Depriving a victim of what it needs: "deprive my body of food".
		if w == "deprive" || w == "depriving" {
			if obj, j, _ := objectAfter(ws, i+1); next(j+1) == "of" && necessities[next(j+2)] {
				if cat := victimKind(obj); cat != "" {
					found[cat] = true
				}
			}
		}
		// A substance put on someone else's building or car: "pour paint
		// on a car", "daub slogans on a mosque", "etch graffiti into a
		// shop window".
		if markingVerbs[w] {
			for k := i + 2; k < len(ws) && k <= i+5; k++ {
				if ws[k] != "on" && ws[k] != "onto" && ws[k] != "into" && ws[k] != "over" && ws[k] != "across" {
					continue
				}
				if at, m, _ := objectAfter(ws, k+1); (at == objProperty || at == objPossessed) && !owned(ws, k+1, m) && !throwIdioms[ws[k-1]] {
					found[HarmVandalism] = true
				}
				break
			}
		}
		// Hacking someone else's system or device: "hack my school's
		// grading system", "hack a smart doorbell camera"; not "hack
		// together a website" or "hack at the weeds".
		if w == "hack" || w == "hacking" || w == "hacked" {
			if !hackParticles[next(i+1)] {
				obj, j, _ := objectAfter(ws, i+1)
				if obj == objPossessed || obj == objPerson || obj == objProperty || obj == objThing && othersArtifact(ws, i+1, j, fr) {
					found[HarmHacking] = true
				}
			}
		}
		// Something harmful put in someone else's food or drink: "add
		// bleach to someone's drink".
		if addingVerbs[w] || w == "doctor" || w == "dose" || w == "lace" {
			victim, additive := false, harmfulAdditives[next(i+1)]
			for k := i + 1; k < len(ws) && k <= i+8; k++ {
				if additive && (ws[k] == "to" || ws[k] == "in" || ws[k] == "into") {
					obj, m, _ := objectAfter(ws, k+1)
					victim = victim || obj == objFood && !owned(ws, k+1, m) || obj == objPerson
				}
				if ws[k] == "with" && harmfulAdditives[next(k+1)] {
					additive = true
					obj, m, _ := objectAfter(ws, i+1)
					victim = victim || obj == objFood && !owned(ws, i+1, m) || obj == objPerson
				}
				additive = additive || harmfulAdditives[ws[k]] && k <= i+3
			}
			if victim && additive {
				found[HarmPoisoning] = true
			}
		}
	}
}
