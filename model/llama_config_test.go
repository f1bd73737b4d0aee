package model

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestLlamaDescription(t *testing.T) {
	for _, tc := range llamaCases {
		m, err := New(tc.cfg, 1)
		if err != nil {
			t.Fatal(err)
		}
		// The tensors have their shapes' sizes, distinct names, and
		// together the size of the buffer.
		total := 0
		names := map[string]bool{}
		for _, tn := range m.Tensors() {
			total += len(tn.Data)
			if names[tn.Name] {
				t.Errorf("%s: tensor %s listed twice", tc.name, tn.Name)
			}
			names[tn.Name] = true
			n := 1
			for _, d := range tn.Shape {
				n *= d
			}
			if n != len(tn.Data) || len(tn.Grad) != n {
				t.Errorf("%s: %s has shape %v but %d values", tc.name, tn.Name, tn.Shape, len(tn.Data))
			}
		}
		if total != m.Config.NumParams() {
			t.Errorf("%s: tensors hold %d values, the buffer %d", tc.name, total, m.Config.NumParams())
		}
		if names["lm_head.weight"] == tc.cfg.TiedEmbeddings {
			t.Errorf("%s: lm_head.weight present = %v with tied = %v", tc.name, names["lm_head.weight"], tc.cfg.TiedEmbeddings)
		}
		if got := m.Tensors()[len(m.Tensors())-1]; tc.cfg.ScalarHeads == 0 && got.Name == "score.bias" {
			t.Errorf("%s: scalar heads listed without any", tc.name)
		}
	}
}

func TestLlamaConfigValidate(t *testing.T) {
	ok := llamaCases[0].cfg
	for _, tc := range []struct {
		name string
		edit func(*Config)
	}{
		{"unknown arch", func(c *Config) { c.Arch = "mamba" }},
		{"kv heads do not divide", func(c *Config) { c.KVHeads = 4 }},
		{"kv heads above heads", func(c *Config) { c.KVHeads = 12 }},
		{"odd head dim", func(c *Config) { c.HeadDim = 5 }},
		{"no hidden", func(c *Config) { c.Hidden = 0 }},
		{"theta", func(c *Config) { c.RopeTheta = 0.5 }},
		{"eps", func(c *Config) { c.NormEps = -1 }},
		{"gpt2 with llama fields", func(c *Config) { c.Arch = ""; c.Hidden = 0; c.KVHeads = 2 }},
		{"gpt2 with qk norm", func(c *Config) { c.Arch = ArchGPT2; c.Hidden = 0; c.KVHeads = 0; c.QKNorm = true }},
	} {
		c := ok
		tc.edit(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: want an error", tc.name)
		}
	}
	if err := ok.Validate(); err != nil {
		t.Error(err)
	}
}

// A GPT-2 config's JSON has exactly its old keys, and a Llama config's
// survives a round trip (rope_scaling under Hugging Face's key names).
func TestConfigJSON(t *testing.T) {
	gpt2, err := json.Marshal(Config{VocabSize: 5, Context: 4, Layers: 1, Heads: 1, Channels: 4})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"vocab_size":5,"context":4,"layers":1,"heads":1,"channels":4,"scalar_heads":0}`; string(gpt2) != want {
		t.Errorf("GPT-2 config JSON %s, want %s", gpt2, want)
	}
	cfg := llamaCases[3].cfg
	data, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"original_max_position_embeddings":6`) {
		t.Errorf("rope scaling not under Hugging Face's names: %s", data)
	}
	var back Config
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, cfg) {
		t.Errorf("round trip gave %+v, want %+v", back, cfg)
	}
}
