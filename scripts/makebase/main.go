// Command makebase makes the shipped base model in models/base again from
// its committed settings (models/base/pretrain.yaml) on the embedded default
// corpus, with two threads, and records how in models/base/made.json. With
// -check it writes nothing and reports whether the committed base is what
// the settings make, byte for byte. Run it from the repository root:
//
//	go run ./scripts/makebase          # make it (about 30 minutes on two idle cores)
//	go run ./scripts/makebase -check   # verify it
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"

	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/data"
	"github.com/align-project/align/models"
	"github.com/align-project/align/tensor"
	"github.com/align-project/align/train"
)

const (
	baseDir = "models/base"
	threads = 2
	command = "go run ./scripts/makebase"
)

// made are the files of a pretraining run that make up the base and are
// reproducible; metrics.jsonl is shipped too, but it holds wall-clock times.
var made = []string{checkpoint.HFConfigFile, checkpoint.HFGenerationConfigFile, checkpoint.HFWeightsFile,
	checkpoint.HFSpecialTokensFile, checkpoint.HFTokenizerFile, checkpoint.HFTokenizerConfigFile}

func main() {
	check := flag.Bool("check", false, "verify the committed base instead of replacing it")
	flag.Parse()
	if err := run(*check); err != nil {
		fmt.Fprintln(os.Stderr, "makebase:", err)
		os.Exit(1)
	}
}

func run(check bool) error {
	if _, err := os.Stat(filepath.Join(baseDir, models.BaseSettings)); err != nil {
		return fmt.Errorf("run it from the repository root: %w", err)
	}
	var cfg train.Config
	if err := cfg.LoadYAML(filepath.Join(baseDir, models.BaseSettings)); err != nil {
		return err
	}
	runtime.GOMAXPROCS(max(runtime.GOMAXPROCS(0), threads))
	tensor.SetThreads(threads)
	tmp, err := os.MkdirTemp("", "align-base-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	res, err := train.Pretrain(ctx, train.PretrainSpec{Config: cfg, Data: data.Embedded, Out: tmp, Log: os.Stderr})
	if err != nil {
		return err
	}
	res.WriteText(os.Stdout)
	if check {
		differ := 0
		for _, f := range made {
			a, errA := os.ReadFile(filepath.Join(tmp, f))
			b, errB := os.ReadFile(filepath.Join(baseDir, f))
			if errA != nil || errB != nil || !bytes.Equal(a, b) {
				fmt.Printf("differs: %s\n", f)
				differ++
			}
		}
		if differ > 0 {
			return fmt.Errorf("%d of %d files differ from %s", differ, len(made), baseDir)
		}
		fmt.Printf("same: the %d files of %s are what its settings make\n", len(made), baseDir)
		return nil
	}
	for _, f := range append(made, "metrics.jsonl") {
		b, err := os.ReadFile(filepath.Join(tmp, f))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(baseDir, f), b, 0o644); err != nil {
			return err
		}
	}
	rec, err := json.MarshalIndent(models.Made{Command: command, Threads: threads, CorpusSHA256: models.CorpusDigest()}, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(baseDir, "made.json"), append(rec, '\n'), 0o644)
}
