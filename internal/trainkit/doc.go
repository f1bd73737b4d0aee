// Package trainkit holds the parts every trainer of align shares, so that
// pretraining and SFT (package train), reward-model training (reward) and
// PPO (ppo) log, schedule and stop alike:
//
//   - [Log] writes metrics.jsonl (and PPO's samples.jsonl): one JSON object
//     per line, truncated on a fresh start and cut back to the checkpoint's
//     step on resume, so a resumed run's log reads as if it never stopped.
//   - [Schedule] is the learning rate of a step: linear warm-up, then cosine
//     decay to a floor.
//   - [EarlyStopper] follows a held-out metric (a loss or an accuracy): it
//     names each new best, stops after Patience evaluations without one and
//     flags overfitting when the train/held-out gap keeps growing. Its
//     progress is a [StopState] that a trainer keeps in its checkpoint.
package trainkit
