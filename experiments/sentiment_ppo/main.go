// Command sentiment_ppo prepares and scores the sentiment PPO experiment of
// run.sh beside it, the classic RLHF demonstration: a small model
// pretrained on review sentences, a reward model trained on human sentiment
// labels (experiments/sentiment_reward) and PPO towards positive
// continuations, judged by a lexicon that never took part in training
// (VADER, through vader_score.mjs beside it).
//
//	sentiment_ppo prompts --sentiment PKG --out DIR
//
// writes DIR/train.jsonl (the PPO prompts) and DIR/heldout.jsonl (the
// evaluation prompts): "Continue the review: <opening>", the opening being
// the first two to five words of a labelled review sentence of npm
// sentiment@5.0.2 (IMDB, Yelp, Amazon). Openings are kept only when they
// carry no sentiment by the AFINN-165 lexicon of the same package (no
// AFINN word, no negator), so the prompt never asks for a mood. They are
// split by a hash of the opening, so no held-out prompt is a training
// prompt (checked).
//
//	sentiment_ppo vader-input --eval EVAL.json --out FILE
//
// writes one {"i", "model", "text"} line per response of an 'align eval
// --json' result (column 0 the baseline, 1 the policy), for
// vader_score.mjs.
//
//	sentiment_ppo summary --eval EVAL.json --vader SCORED.jsonl --ppo-config CONFIG.yaml --out SUMMARY.json
//
// writes and prints the comparison: the share of held-out prompts on which
// the policy's response has the higher VADER compound score (ties count
// half) with a bootstrap interval, the policy's KL to the baseline against
// the PPO run's target KL, the reward model's mean reward of both, and
// samples.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/align-project/align/data"
	"github.com/align-project/align/eval"
	"github.com/align-project/align/judge"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch cmd, args := os.Args[1], os.Args[2:]; cmd {
	case "prompts":
		err = cmdPrompts(args)
	case "vader-input":
		err = cmdVaderInput(args)
	case "summary":
		err = cmdSummary(args, os.Stdout)
	case "score-input":
		err = cmdScoreInput(args)
	case "dpo-pairs":
		err = cmdDPOPairs(args)
	default:
		usage()
	}
	if errors.Is(err, errMissed) {
		fmt.Fprintln(os.Stderr, "sentiment_ppo:", err)
		os.Exit(3)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "sentiment_ppo: error:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: sentiment_ppo prompts|vader-input|summary|score-input|dpo-pairs [flags] (see the package comment)")
	os.Exit(2)
}

// PromptPrefix starts every prompt of the experiment.
const PromptPrefix = "Continue the review: "

// ---------------------------------------------------------------- prompts

func cmdPrompts(args []string) error {
	fs := flag.NewFlagSet("prompts", flag.ExitOnError)
	pkg := fs.String("sentiment", "", "unpacked npm sentiment@5.0.2 (the folder holding test/ and languages/)")
	out := fs.String("out", "", "output directory")
	held := fs.Float64("heldout", 0.25, "fraction of the openings held out (by a hash of the opening)")
	maxHeld := fs.Int("max-heldout", 200, "most held-out prompts kept (spread evenly), 0 = all")
	_ = fs.Parse(args)
	if *pkg == "" || *out == "" {
		return errors.New("prompts: --sentiment and --out are required")
	}
	var texts []string
	for _, name := range []string{"imdb", "yelp", "amazon"} {
		b, err := os.ReadFile(filepath.Join(*pkg, "test", "fixtures", name+".json"))
		if err != nil {
			return err
		}
		var recs []struct {
			Text string `json:"text"`
		}
		if err := json.Unmarshal(b, &recs); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		for _, r := range recs {
			texts = append(texts, r.Text)
		}
	}
	lex, err := moodWords(*pkg)
	if err != nil {
		return err
	}
	train, heldout := Prompts(texts, lex, *held)
	heldout = eval.Spread(heldout, *maxHeld)
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	for name, ps := range map[string][]string{"train.jsonl": train, "heldout.jsonl": heldout} {
		recs := make([]data.Prompt, len(ps))
		for i, p := range ps {
			recs[i] = data.Prompt{Prompt: p}
		}
		if err := data.WriteRecords(filepath.Join(*out, name), recs); err != nil {
			return err
		}
	}
	fmt.Printf("sentiment_ppo: %d training prompts, %d held-out prompts (sentiment-free openings of %d review sentences)\n",
		len(train), len(heldout), len(texts))
	return nil
}

// moodWords returns the AFINN-165 vocabulary and the negators of npm
// sentiment, as written: the words that give an opening a mood.
func moodWords(pkg string) (judge.Lexicon, error) {
	lex := judge.Lexicon{}
	for _, f := range []string{"labels.json", "negators.json"} {
		m, err := judge.ReadLexicon(filepath.Join(pkg, "languages", "en", f))
		if err != nil {
			return nil, err
		}
		maps.Copy(lex, m)
	}
	return lex, nil
}

var wordRE = regexp.MustCompile(`[A-Za-z][A-Za-z']*`)

// Opening returns the first n words of a sentence when they make a clean,
// sentiment-free opening: plain words only (letters and apostrophes, so
// no digits, emoticons or punctuation inside), none in lex.
func Opening(sentence string, n int, lex judge.Lexicon) (string, bool) {
	fields := strings.Fields(sentence)
	if len(fields) <= n { // keep something to continue
		return "", false
	}
	words := fields[:n]
	for _, w := range words {
		if !wordRE.MatchString(w) || wordRE.FindString(w) != w {
			return "", false
		}
		lw := strings.ToLower(w)
		_, mood := lex[lw]
		_, moodS := lex[strings.TrimSuffix(lw, "'s")]
		if mood || moodS || strings.HasSuffix(lw, "n't") {
			return "", false
		}
	}
	return strings.Join(words, " "), true
}

// Prompts turns review sentences into the training and held-out prompts:
// each sentence gives its opening of two to five words (the length drawn
// from the sentence's 64-bit FNV-1a hash), sentiment-free openings only, one
// prompt per distinct opening (compared case-insensitively), split by
// data.HeldOut on the opening. Both lists are sorted.
func Prompts(sentences []string, lex judge.Lexicon, heldFrac float64) (train, heldout []string) {
	seen := map[string]bool{}
	for _, s := range sentences {
		h := fnv.New64a()
		h.Write([]byte(s))
		op, ok := Opening(s, 2+int(h.Sum64()%4), lex)
		if !ok {
			continue
		}
		key := strings.ToLower(op)
		if seen[key] {
			continue
		}
		seen[key] = true
		p := PromptPrefix + op
		if data.HeldOut(key, heldFrac) {
			heldout = append(heldout, p)
		} else {
			train = append(train, p)
		}
	}
	sort.Strings(train)
	sort.Strings(heldout)
	return train, heldout
}

// ---------------------------------------------------------------- eval glue

// readEval returns the one split of an 'align eval --prompts FILE' result.
func readEval(path string) (*eval.Split, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var res eval.Result
	if err := json.Unmarshal(b, &res); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(res.Splits) != 1 {
		return nil, fmt.Errorf("%s: want the one split of a prompts file, got %d", path, len(res.Splits))
	}
	r := res.Splits[0]
	if len(r.Table.Columns) != 2 {
		return nil, fmt.Errorf("%s: want 2 columns (baseline, policy), got %d", path, len(r.Table.Columns))
	}
	if len(r.Samples) == 0 {
		return nil, fmt.Errorf("%s: no samples", path)
	}
	for i, s := range r.Samples {
		if len(s.Responses) != 2 {
			return nil, fmt.Errorf("%s: sample %d has %d responses, want 2", path, i, len(s.Responses))
		}
	}
	return &r, nil
}

// VaderLine is a line to and from vader_score.mjs.
type VaderLine struct {
	I     int    `json:"i"`     // prompt index
	Model string `json:"model"` // "baseline" or "policy"
	Text  string `json:"text"`
	Vader *struct {
		Compound float64 `json:"compound"`
	} `json:"vader,omitempty"`
}

var roles = [2]string{"baseline", "policy"}

func cmdVaderInput(args []string) error {
	fs := flag.NewFlagSet("vader-input", flag.ExitOnError)
	evalPath := fs.String("eval", "", "'align eval --json' result (baseline and policy columns)")
	out := fs.String("out", "", "JSONL file to write")
	_ = fs.Parse(args)
	if *evalPath == "" || *out == "" {
		return errors.New("vader-input: --eval and --out are required")
	}
	r, err := readEval(*evalPath)
	if err != nil {
		return err
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	for i, s := range r.Samples {
		for c, role := range roles {
			if err := enc.Encode(VaderLine{I: i, Model: role, Text: s.Responses[c]}); err != nil {
				return err
			}
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// Wins scores each pair for the policy: 1 when it beats the baseline, ½ on
// a tie, 0 when it loses.
func Wins(baseline, policy []float64) []float64 {
	w := make([]float64, len(baseline))
	for i := range baseline {
		switch {
		case policy[i] > baseline[i]:
			w[i] = 1
		case policy[i] == baseline[i]:
			w[i] = 0.5
		}
	}
	return w
}

// Preference returns the share of pairs in which policy beats baseline,
// ties counting half: the mean of Wins.
func Preference(baseline, policy []float64) float64 {
	var s float64
	for _, w := range Wins(baseline, policy) {
		s += w
	}
	return s / float64(len(baseline))
}

// ModelSummary is one column of the comparison.
type ModelSummary struct {
	Name          string   `json:"name"`
	VaderMean     float64  `json:"vader_compound_mean"`
	VaderPositive float64  `json:"vader_positive_share"` // compound ≥ 0.05, VADER's own threshold
	VaderNegative float64  `json:"vader_negative_share"` // compound ≤ −0.05
	Reward        *float64 `json:"rm_reward_mean"`
	KL            *float64 `json:"kl_to_sft"`
	Length        float64  `json:"response_tokens"`
	EOSRate       float64  `json:"eos_rate"`
}

// Sample is one held-out prompt with both responses and their scores.
type Sample struct {
	Prompt          string  `json:"prompt"`
	SFT             string  `json:"sft"`
	Policy          string  `json:"policy"`
	SFTCompound     float64 `json:"sft_vader"`
	PolicyCompound  float64 `json:"policy_vader"`
	PolicyPreferred float64 `json:"policy_preferred"` // 1, 0.5 or 0
}

// Summary is OUT/summary.json.
type Summary struct {
	Method          string         `json:"method"` // ppo, dpo or grpo: how the policy was trained
	Prompts         int            `json:"heldout_prompts"`
	VaderPreference float64        `json:"vader_preference_over_sft"`
	VaderPrefCI     [2]float64     `json:"vader_preference_ci95"`
	VaderTies       int            `json:"vader_ties"`
	Target          float64        `json:"target_preference"`
	KL              float64        `json:"kl_to_sft"`
	TargetKL        float64        `json:"target_kl"`
	KLWithinTarget  bool           `json:"kl_within_target"`
	Pass            bool           `json:"pass"`
	SFT             ModelSummary   `json:"sft"`
	Policy          ModelSummary   `json:"policy"`
	Samples         []Sample       `json:"samples"`
	Judge           string         `json:"judge"`
	Config          map[string]any `json:"config"` // the training run's config.yaml
	Threads         int            `json:"threads,omitempty"`
	Seconds         int            `json:"wall_seconds,omitempty"` // the whole script, as it reports
}

// errMissed makes the command exit with status 3: the run finished but
// missed a target.
var errMissed = errors.New("a target was missed")

func cmdSummary(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("summary", flag.ExitOnError)
	evalPath := fs.String("eval", "", "'align eval --json' result (baseline SFT, the trained policy)")
	vaderPath := fs.String("vader", "", "the vader-input lines scored by vader_score.mjs")
	method := fs.String("method", "ppo", "how the policy was trained: ppo, dpo or grpo")
	cfgPath := fs.String("config", "", "the training run's config.yaml, recorded in the summary")
	targetKL := fs.Float64("target-kl", 6, "the KL to SFT, in nats per response, the policy must stay within")
	out := fs.String("out", "", "summary JSON to write")
	target := fs.Float64("target", 0.70, "VADER preference the experiment must reach")
	nSamples := fs.Int("samples", 12, "sample rows in the summary")
	threads := fs.Int("threads", 0, "kernel workers of the run, recorded in the summary")
	seconds := fs.Int("seconds", 0, "wall time of the run so far, recorded in the summary")
	_ = fs.Parse(args)
	if *evalPath == "" || *vaderPath == "" || *cfgPath == "" || *out == "" {
		return errors.New("summary: --eval, --vader, --config and --out are required")
	}
	r, err := readEval(*evalPath)
	if err != nil {
		return err
	}
	comp, err := readVader(*vaderPath, r)
	if err != nil {
		return err
	}
	s := summarize(r, comp, *targetKL, *target, *nSamples)
	s.Method = *method
	if s.Config, err = yamlMap(*cfgPath); err != nil {
		return err
	}
	s.Threads, s.Seconds = *threads, *seconds
	b, _ := json.MarshalIndent(s, "", "  ")
	if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
		return err
	}
	s.print(stdout)
	if !s.Pass {
		return errMissed
	}
	return nil
}

// readVader returns the compound scores, comp[0] of the baseline and
// comp[1] of the policy, by prompt, checking each text against the eval.
func readVader(path string, r *eval.Split) ([2][]float64, error) {
	n := len(r.Samples)
	comp := [2][]float64{make([]float64, n), make([]float64, n)}
	got := [2][]bool{make([]bool, n), make([]bool, n)}
	f, err := os.Open(path)
	if err != nil {
		return comp, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for ln := 1; sc.Scan(); ln++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var v VaderLine
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			return comp, fmt.Errorf("%s:%d: %w", path, ln, err)
		}
		c := slices.Index(roles[:], v.Model)
		switch {
		case v.I < 0 || v.I >= n || c < 0:
			return comp, fmt.Errorf("%s:%d: prompt %d of model %q is not in the eval", path, ln, v.I, v.Model)
		case v.Vader == nil:
			return comp, fmt.Errorf("%s:%d: no VADER score", path, ln)
		case v.Text != r.Samples[v.I].Responses[c]:
			return comp, fmt.Errorf("%s:%d: the text differs from the eval's response", path, ln)
		}
		comp[c][v.I], got[c][v.I] = v.Vader.Compound, true
	}
	if err := sc.Err(); err != nil {
		return comp, err
	}
	for c := range got {
		if i := slices.Index(got[c], false); i >= 0 {
			return comp, fmt.Errorf("%s: no VADER score for prompt %d of the %s", path, i, roles[c])
		}
	}
	return comp, nil
}

func summarize(r *eval.Split, comp [2][]float64, targetKL, target float64, nSamples int) Summary {
	n := len(r.Samples)
	s := Summary{
		Prompts:         n,
		VaderPreference: Preference(comp[0], comp[1]),
		Target:          target,
		TargetKL:        targetKL,
		Judge:           "VADER compound (npm vader-sentiment@1.1.3), never used in training",
	}
	// The interval of the preference over prompts resampled with
	// replacement, as align eval gives the win rate's.
	lo, hi := eval.Bootstrap(Wins(comp[0], comp[1]), 2000, 0.95, 1)
	s.VaderPrefCI = [2]float64{lo, hi}
	for i := range n {
		if comp[0][i] == comp[1][i] {
			s.VaderTies++
		}
	}
	cols := r.Table.Columns
	for c, dst := range []*ModelSummary{&s.SFT, &s.Policy} {
		m := ModelSummary{Name: cols[c].Name, Reward: cols[c].Reward, KL: cols[c].KL, Length: cols[c].Length, EOSRate: cols[c].EOSRate}
		for _, v := range comp[c] {
			m.VaderMean += v / float64(n)
			if v >= 0.05 {
				m.VaderPositive += 1 / float64(n)
			}
			if v <= -0.05 {
				m.VaderNegative += 1 / float64(n)
			}
		}
		*dst = m
	}
	s.KL = math.NaN()
	if s.Policy.KL != nil {
		s.KL = *s.Policy.KL
	}
	s.KLWithinTarget = s.KL <= s.TargetKL
	s.Pass = s.VaderPreference >= target && s.KLWithinTarget
	k := min(n, nSamples)
	for i := range k {
		j := i * n / k // spread over the prompts
		smp := r.Samples[j]
		s.Samples = append(s.Samples, Sample{
			Prompt: smp.Prompt, SFT: smp.Responses[0], Policy: smp.Responses[1],
			SFTCompound: comp[0][j], PolicyCompound: comp[1][j],
			PolicyPreferred: Preference(comp[0][j:j+1], comp[1][j:j+1]),
		})
	}
	return s
}

func (s Summary) print(w io.Writer) {
	ptr := func(p *float64) string {
		if p == nil {
			return "-"
		}
		return fmt.Sprintf("%.3f", *p)
	}
	name := strings.ToUpper(s.Method)
	fmt.Fprintf(w, "sentiment %s on %d held-out prompts (judge: %s)\n\n", name, s.Prompts, s.Judge)
	fmt.Fprintf(w, "  %-32s %10s %10s\n", "", "SFT", name)
	fmt.Fprintf(w, "  %-32s %10.3f %10.3f\n", "VADER compound, mean", s.SFT.VaderMean, s.Policy.VaderMean)
	fmt.Fprintf(w, "  %-32s %10.3f %10.3f\n", "VADER positive share (≥0.05)", s.SFT.VaderPositive, s.Policy.VaderPositive)
	fmt.Fprintf(w, "  %-32s %10.3f %10.3f\n", "VADER negative share (≤−0.05)", s.SFT.VaderNegative, s.Policy.VaderNegative)
	fmt.Fprintf(w, "  %-32s %10s %10s\n", "reward model, mean reward", ptr(s.SFT.Reward), ptr(s.Policy.Reward))
	fmt.Fprintf(w, "  %-32s %10s %10s\n", "KL to SFT, nats per response", ptr(s.SFT.KL), ptr(s.Policy.KL))
	fmt.Fprintf(w, "  %-32s %10.1f %10.1f\n", "response tokens", s.SFT.Length, s.Policy.Length)
	fmt.Fprintf(w, "  %-32s %10.3f %10.3f\n\n", "EOS rate", s.SFT.EOSRate, s.Policy.EOSRate)
	mark := func(ok bool) string {
		if ok {
			return "ok"
		}
		return "MISSED"
	}
	fmt.Fprintf(w, "  VADER prefers %s over SFT on %.3f of prompts (95%% CI %.3f–%.3f, %d ties counted half); target ≥ %.2f: %s\n",
		name, s.VaderPreference, s.VaderPrefCI[0], s.VaderPrefCI[1], s.VaderTies, s.Target, mark(s.VaderPreference >= s.Target))
	fmt.Fprintf(w, "  KL of %s to SFT %.3f nats per response, bound %.3g: %s\n",
		name, s.KL, s.TargetKL, mark(s.KLWithinTarget))
	if s.Seconds > 0 {
		fmt.Fprintf(w, "  wall time %dm%02ds with %d kernel threads\n", s.Seconds/60, s.Seconds%60, s.Threads)
	}
	fmt.Fprintln(w)
	for _, x := range s.Samples {
		fmt.Fprintf(w, "  %s\n    SFT %+.3f  %s\n    %s %+.3f  %s\n", x.Prompt, x.SFTCompound, x.SFT, name, x.PolicyCompound, x.Policy)
	}
}

// yamlMap reads a flat "key: value" YAML file such as a PPO config.yaml
// into a map, numbers and booleans as such.
func yamlMap(path string) (map[string]any, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m := map[string]any{}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		v = strings.TrimSpace(v)
		var x any
		if json.Unmarshal([]byte(v), &x) != nil {
			x = strings.Trim(v, `"'`)
		}
		m[strings.TrimSpace(k)] = x
	}
	return m, nil
}
