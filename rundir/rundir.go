// Package rundir is the layout of a run directory of 'align run': where
// each stage writes its checkpoint and metrics, where the run's data files
// and report go. The pipeline writes it and the report reads it, both
// through these names.
package rundir

import (
	"path/filepath"
	"strconv"
	"strings"
)

// Files and directories of a run directory.
const (
	ConfigFile  = "config.yaml"   // the resolved run config
	StagesDir   = "stages"        // one directory per stage
	DataDir     = "data"          // pairs, preferences, prompts
	ReportDir   = "report"        // index.html, summary.json, plots
	DoneFile    = "done"          // in a stage directory: the stage finished
	StartFile   = "started"       // in a stage directory: the stage began (with this config)
	LogFile     = "log.txt"       // in a stage directory: the stage's output
	MetricsFile = "metrics.jsonl" // in a training stage's directory
)

// Stage names, in the order they run.
const (
	Pretrain = "pretrain"
	SFT      = "sft"
	Generate = "generate"
	Label    = "label"
	Reward   = "reward"
	PPO      = "ppo"
	DPO      = "dpo"  // in place of (or beside) ppo: see MethodStages
	GRPO     = "grpo" // likewise
	Eval     = "eval"
	Report   = "report"
)

// Stages lists the stage names of a one-round run in order.
func Stages() []string { return RunStages(1) }

// RoundStages are the stages every round of iterated RLAIF repeats, in
// order: sample the policy, label, train the reward model, PPO.
func RoundStages() []string { return []string{Generate, Label, Reward, PPO} }

// RunStages lists the stage names of a run of the given number of rounds
// in order: pretraining and SFT, each round's stages (see Round), then
// evaluation and the report. One round is Stages().
func RunStages(rounds int) []string {
	names := []string{Pretrain, SFT}
	for k := 1; k <= rounds; k++ {
		for _, s := range RoundStages() {
			names = append(names, Round(s, k))
		}
	}
	return append(names, Eval, Report)
}

// MethodStages lists the stage names of a one-round run that aligns the
// SFT model with each of methods (ppo, dpo, grpo) from the same
// preferences: the shared stages, one training stage per method, one
// evaluation per method (MethodEval) and the report. For methods [ppo] it
// is Stages().
func MethodStages(methods []string) []string {
	names := []string{Pretrain, SFT, Generate, Label, Reward}
	names = append(names, methods...)
	for i := range methods {
		names = append(names, MethodEval(methods, i))
	}
	return append(names, Report)
}

// MethodEval is the evaluation stage of methods[i]: eval for the first,
// the run's policy, and eval-<method> for the others it is compared with.
func MethodEval(methods []string, i int) string {
	if i == 0 {
		return Eval
	}
	return Eval + "-" + methods[i]
}

// Round is the name of a round stage (generate, label, reward, ppo) in
// round k: the plain name in round 1, so that a one-round run keeps the
// layout it always had, and name-k after (stages/ppo-2).
func Round(stage string, k int) string {
	if k <= 1 {
		return stage
	}
	return stage + "-" + strconv.Itoa(k)
}

// RoundFile is the name of a data file in round k, as Round names stages:
// the file itself in round 1, pairs-2.jsonl for pairs.jsonl in round 2.
func RoundFile(file string, k int) string {
	if k <= 1 {
		return file
	}
	ext := filepath.Ext(file)
	return strings.TrimSuffix(file, ext) + "-" + strconv.Itoa(k) + ext
}

// Files of the data directory and the eval stage.
const (
	PairsFile       = "pairs.jsonl"             // generate: responses to label
	AIPrefsFile     = "ai_preferences.jsonl"    // label: the AI judge's preferences
	HumanPrefsFile  = "human_preferences.jsonl" // label: the human labels
	PreferencesFile = "preferences.jsonl"       // label: both, what the reward model trains on
	PPOPromptsFile  = "ppo_prompts.jsonl"       // ppo: the prompts of the rollouts
	GRPOPromptsFile = "grpo_prompts.jsonl"      // grpo: the prompts of the rollouts
	EvalFile        = "eval.json"               // eval: the evaluation (eval.Result)
)

// Files of iterated RLAIF.
const (
	// GeneratePromptsFile is, in the data directory of a run of several
	// rounds, the share of the prompts a round's generation answers (one
	// per round, see RoundFile).
	GeneratePromptsFile = "generate_prompts.jsonl"
	// ComparisonFile is, in the run directory, the comparison of one
	// round, several rounds and the judge as the reward that
	// experiments/rlaif_rounds writes; the report shows it when it is there.
	ComparisonFile = "comparison.json"
)

// Stage is the directory of stage name in the run directory dir.
func Stage(dir, name string) string { return filepath.Join(dir, StagesDir, name) }

// Data is the path of a data file of the run directory dir.
func Data(dir, file string) string { return filepath.Join(dir, DataDir, file) }
