// Package pipeline runs the whole alignment loop as one job, 'align run':
// pretraining, supervised fine-tuning, generation of response pairs, AI (and
// human) labelling, the reward model, PPO, evaluation and the report, each
// stage the align command a user would type, in one run directory with done
// markers that let a rerun skip finished stages and resume an interrupted
// one. With rounds: N the generate, label, reward and PPO stages repeat N
// times, each round learning from samples of the policy the round before
// made (iterated online RLAIF, see runner.roundStages).
package pipeline
