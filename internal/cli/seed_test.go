package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSeedRule shows the one seed rule of every command with settings:
// --seed when given, else the seed of the resumed run's saved config or of
// --config, else 1 (and --config wins over the saved run, --seed over both).
func TestSeedRule(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "settings.yaml")
	if err := os.WriteFile(file, []byte("seed: 7\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	saved := filepath.Join(dir, "out")
	if err := os.MkdirAll(saved, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(saved, "config.yaml"), []byte("seed: 5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		cmd       []string
		resumable bool
	}{
		{[]string{"pretrain"}, true},
		{[]string{"sft"}, true},
		{[]string{"reward", "train"}, false},
		{[]string{"ppo"}, true},
		{[]string{"run"}, false},
	} {
		help := append(append([]string{}, c.cmd...), "--help")
		if code, out, _ := run(t, help...); code != exitOK || !strings.Contains(strings.Join(strings.Fields(out), " "), "The seed is --seed when given") {
			t.Errorf("align %s: the seed rule is not in the help", strings.Join(help, " "))
		}
		cases := []struct {
			args []string
			want int
		}{
			{nil, 1},
			{[]string{"--seed", "9"}, 9},
			{[]string{"--config", file}, 7},
			{[]string{"--config", file, "--seed", "9"}, 9},
		}
		if c.resumable {
			cases = append(cases,
				struct {
					args []string
					want int
				}{[]string{"--resume", "--out", saved}, 5},
				struct {
					args []string
					want int
				}{[]string{"--resume", "--out", saved, "--config", file}, 7},
				struct {
					args []string
					want int
				}{[]string{"--resume", "--out", saved, "--seed", "9"}, 9})
		}
		for _, tc := range cases {
			args := append(append(append([]string{}, c.cmd...), "--print-config"), tc.args...)
			code, out, errOut := run(t, args...)
			if code != exitOK {
				t.Errorf("align %s: exit %d\n%s", strings.Join(args, " "), code, errOut)
				continue
			}
			if !strings.Contains(out, fmt.Sprintf("seed: %d\n", tc.want)) || strings.Contains(out, "seed: 1\n") && tc.want != 1 {
				t.Errorf("align %s: want seed %d in\n%s", strings.Join(args, " "), tc.want, out)
			}
		}
	}
}
