package cli

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/rundir"
)

// TestLlamaThroughTheLoop runs the quick profile on a Llama-shaped model
// (grouped-query attention, tied embeddings) with every method, each
// fine-tuning stage training LoRA adapters, then exports the aligned
// policy and serves the export: each stage must keep the architecture,
// from the pretrained base to the reward and value models, and leave its
// adapter in PEFT's layout.
func TestLlamaThroughTheLoop(t *testing.T) {
	if testing.Short() {
		t.Skip("trains the quick profile with three methods")
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "llama.yaml")
	if err := os.WriteFile(conf, []byte("pretrain:\n  arch: llama\n  kv_heads: 1\n  tied: true\n"+
		"sft:\n  lora_rank: 4\nppo:\n  lora_rank: 4\ndpo:\n  lora_rank: 4\ngrpo:\n  lora_rank: 4\n  lora_targets: q_proj,v_proj\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "run")
	code, stdout, stderr := run(t, "run", "--quick", "--config", conf, "--compare", "ppo,dpo,grpo", "--out", out)
	if code != exitOK {
		t.Fatalf("align run --quick on llama: exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, stage := range []string{rundir.Pretrain, rundir.SFT, rundir.Reward, rundir.PPO, rundir.PPO + "/value", rundir.DPO, rundir.GRPO} {
		hm, err := checkpoint.LoadHF(filepath.Join(out, rundir.StagesDir, stage))
		if err != nil {
			t.Fatalf("%s: %v", stage, err)
		}
		c := hm.Model.Config
		if !c.IsLlama() || c.KVHeads != 1 || !c.TiedEmbeddings {
			t.Errorf("%s is %s, want the pretrained Llama shape", stage, c.Shape())
		}
	}
	for _, stage := range []string{rundir.SFT, rundir.PPO, rundir.DPO, rundir.GRPO} {
		lc, pc, err := checkpoint.ReadLoRAConfig(filepath.Join(out, rundir.StagesDir, stage, checkpoint.AdapterDir))
		if err != nil || lc.Rank != 4 || pc.BaseModel == "" {
			t.Errorf("%s adapter: %+v, %v", stage, lc, err)
		}
	}

	policy := filepath.Join(out, rundir.StagesDir, rundir.PPO)
	exported := filepath.Join(dir, "tinychat") // the name startServe expects
	code, stdout, stderr = run(t, "export", "--model", policy, "--format", "hf", "--out", exported)
	if code != exitOK || !strings.Contains(stdout, "Llama L") {
		t.Fatalf("export hf: exit %d\n%s\n%s", code, stdout, stderr)
	}
	gguf := filepath.Join(dir, "policy.gguf")
	if code, stdout, stderr = run(t, "export", "--model", policy, "--format", "gguf", "--out", gguf); code != exitOK {
		t.Fatalf("export gguf: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if f, err := checkpoint.OpenGGUF(gguf); err != nil {
		t.Fatal(err)
	} else {
		arch, err := checkpoint.GGUFGet[string](f, "general.architecture")
		f.Close()
		if err != nil || arch != "llama" {
			t.Errorf("general.architecture %q, %v", arch, err)
		}
	}
	r := startServe(t, "--model", exported, "--addr", "127.0.0.1:0")
	body := `{"model": "tinychat", "messages": [{"role": "user", "content": "How do I boil an egg?"}], "max_tokens": 5, "temperature": 0}`
	resp, err := http.Post(r.base+"/v1/chat/completions", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var cr struct {
		Usage struct {
			CompletionTokens int `json:"completion_tokens"`
		} `json:"usage"`
	}
	err = json.NewDecoder(resp.Body).Decode(&cr)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || cr.Usage.CompletionTokens == 0 {
		t.Fatalf("chat completion from the served Llama: status %d, %+v, %v", resp.StatusCode, cr, err)
	}
	r.stop(t)
}
