package ppo

import (
	"path/filepath"

	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/data"
	"github.com/align-project/align/internal/outguard"
	"github.com/align-project/align/internal/trainkit"
)

// outputs is what a run writes in its output directory out; the run is
// finished once outguard.FinishedFile is there.
func outputs(out string) outguard.Run {
	return outguard.Run{Dir: out, Finished: outguard.FinishedFile, Resumable: true, Files: []string{
		LastDir, ConfigFile, MetricsFile, SamplesFile, ValueDir, checkpoint.AdapterDir,
		checkpoint.HFConfigFile, checkpoint.HFWeightsFile, checkpoint.HFTokenizerFile,
		checkpoint.HFTokenizerConfigFile, checkpoint.HFSpecialTokensFile, checkpoint.HFGenerationConfigFile,
	}}
}

// fixedOnResume are the settings a resumed run cannot change: the
// checkpoint carries the state they started (β, the multiplier, the
// optimizer moments), so a new value would be recorded but never used; the
// seed drew the prompt order the run continues.
var fixedOnResume = []outguard.Fixed{
	{Why: "the checkpoint carries the KL controller's β, which it set", Keys: []string{"kl_coef", "adaptive_kl", "target_kl", "kl_horizon"}},
	{Why: "the checkpoint carries the cost multiplier, which it set", Keys: []string{"cost_limit", "lambda_init", "lambda_lr", "lambda_max"}},
	{Why: "the checkpoint's optimizer state was made with it", Keys: []string{"adam_eps", "max_grad_norm"}},
	{Why: "it drew the prompt order the checkpoint continues", Keys: []string{"seed"}},
	{Why: "it decides whether the checkpoint holds a value model", Keys: []string{"advantage"}},
	trainkit.FixedLoRA,
}

// checkOut refuses, before anything is loaded, an Out that would destroy an
// input or the run it holds, and a resumed run with a changed fixed setting.
func (s TrainSpec) checkOut() error {
	prompts := s.Prompts
	if prompts == data.Embedded {
		prompts = ""
	}
	j := s.Reward.Judge
	return outguard.Check(outputs(s.Out), s.Resume, s.Overwrite, filepath.Join(s.Out, ConfigFile), s.Config, fixedOnResume,
		outguard.In("policy", s.Policy), outguard.In("reference", s.Reference), outguard.In("prompts", prompts), outguard.In("reward", s.Reward.Dir),
		outguard.In("constitution", j.Constitution), outguard.In("few_shot", j.FewShot),
		outguard.In("lexicon", j.Lexicon), outguard.In("reference_model", j.ReferenceModel))
}
