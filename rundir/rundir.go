// Package rundir is the layout of a run directory of 'align run': where
// each stage writes its checkpoint and metrics, where the run's data files
// and report go. The pipeline writes it and the report reads it, both
// through these names.
package rundir

import "path/filepath"

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
	Eval     = "eval"
	Report   = "report"
)

// Stages lists the stage names in order.
func Stages() []string { return []string{Pretrain, SFT, Generate, Label, Reward, PPO, Eval, Report} }

// Files of the data directory and the eval stage.
const (
	PairsFile       = "pairs.jsonl"             // generate: responses to label
	AIPrefsFile     = "ai_preferences.jsonl"    // label: the AI judge's preferences
	HumanPrefsFile  = "human_preferences.jsonl" // label: the human labels
	PreferencesFile = "preferences.jsonl"       // label: both, what the reward model trains on
	PPOPromptsFile  = "ppo_prompts.jsonl"       // ppo: the prompts of the rollouts
	EvalFile        = "eval.json"               // eval: the evaluation (eval.Result)
)

// Stage is the directory of stage name in the run directory dir.
func Stage(dir, name string) string { return filepath.Join(dir, StagesDir, name) }

// Data is the path of a data file of the run directory dir.
func Data(dir, file string) string { return filepath.Join(dir, DataDir, file) }
