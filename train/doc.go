// Package train holds align's pretraining and supervised fine-tuning loops:
// data packed into fixed-length rows, AdamW with warm-up and cosine decay,
// gradient accumulation and clipping, held-out evaluation with early
// stopping and an overfitting warning, metrics, resumable checkpoints, and
// the sampling evaluation that follows SFT.
//
// # Rows
//
// Both stages train on Rows: N rows of T+1 tokens (T inputs, T targets
// shifted by one) with a loss weight per target. Pretraining joins documents
// with <|endoftext|> and cuts the stream into rows (PackDocuments); SFT
// renders each example with the tokenizer's chat template and weights only
// the assistant's reply and its end-of-turn token, so prompt tokens get no
// gradient (PackExamples, packed into full rows or one padded example per
// row). Rows are dealt in a fresh random order every epoch, drawn from the
// seed and the epoch number alone, so the number of rows dealt is the whole
// data position a checkpoint needs.
//
// # The output directory
//
//	OUT/config.json, model.safetensors, tokenizer.json, ...
//	    the best model: lowest held-out loss (the last step's without
//	    held-out data), a Hugging Face GPT-2 directory that
//	    checkpoint.LoadHF, 'align sft --base' and the later stages read
//	OUT/config.yaml     the effective training config
//	OUT/metrics.jsonl   one Metrics line per LogEvery steps and evaluation
//	OUT/last/           resumable checkpoint of the latest saved step:
//	                    checkpoint.TrainState (parameters, AdamW moments,
//	                    step, data position, loop state) and tokenizer.json
//	OUT/eval.json       SFT only: the sampling evaluation
//	OUT/finished.json   written last, when the run (and SFT's evaluation)
//	                    is done: without it OUT holds an unfinished run
//
// A fresh run refuses an OUT that holds a run, finished or not, unless the
// spec says Overwrite (which removes that run's files, no others, once the
// new run's data and model are loaded) or Resume; an OUT that is, holds or
// lies inside one of the run's inputs is always refused. A resumed run
// refuses settings its checkpoint cannot follow: the model shape
// (pretraining), heldout, pack and seed (the rows and their order) and the
// AdamW settings. A fresh run that fails before its first checkpoint
// removes what it wrote, leaving OUT as it found it.
//
// The last checkpoint is written every SaveEvery steps, at the end and when
// the context is cancelled (Ctrl-C); its commit is one atomic rename, so even
// a SIGKILL leaves a loadable checkpoint. Resuming reloads it, truncates
// metrics.jsonl to its step and continues with results bit-identical to a
// run that never stopped (for the same thread count).
//
// # Overfitting
//
// Every EvalEvery steps the held-out loss is computed and logged beside the
// mean training loss since the previous evaluation. When their gap is
// positive and has grown GapEvals evaluations running, the trainer warns. A
// new best held-out loss saves the model to OUT; Patience evaluations
// without one stop the run, and at the end the model holds the best
// parameters again.
//
// The held-out rows must come from the training distribution (a validation
// split): they select the model and stop the run. A second set from another
// distribution may be given as Trainer.Generalization; its loss is logged
// beside (generalization_loss in metrics.jsonl) but decides nothing. 'align
// sft' on the embedded instruction set validates on a hash split of
// HeldOut (5%) of the training examples and logs the held-out-template
// examples as the generalization loss: that loss rises as soon as the model
// starts to fit the training templates, long before it answers held-out
// prompts well, so stopping on it leaves a model that ignores the prompt.
// The held-out-template prompts are then answered in the final sampling
// evaluation (eval.json).
//
// # Stages
//
// Pretrain and SFT are the two stages as library calls: a spec names the
// data, the output directory and the Config, the call prepares the rows,
// runs a Trainer with a progress bar on the spec's Log and returns a Result
// whose WriteText prints the summary 'align pretrain' and 'align sft'
// show. A bad setting, or a file named by one that cannot be read, comes
// back as a *yamlconf.KeyError naming its key, so the CLI names the flag and
// 'align run' the key of its run config.
//
// A Trainer alone is driven by its Config (see DefaultPretrain and
// DefaultSFT) and reports progress through callbacks, so it prints nothing.
package train
