package checkpoint

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/align-project/align/model"
)

// This file moves the tensors of a Llama-family model to and from a
// Hugging Face directory: one model.safetensors or shards named by
// model.safetensors.index.json. The names and shapes come from the model's
// ParamSpecs; the fused q/k/v tensors are split into their Parts.

// hfWeights is the weights of a directory, open: every tensor's file.
type hfWeights struct {
	files []*SafetensorsFile
	where map[string]*SafetensorsFile // tensor name → its file
	desc  string                      // where a missing tensor was looked for, for errors
}

// Close closes every file.
func (w *hfWeights) Close() error {
	var errs []error
	for _, f := range w.files {
		errs = append(errs, f.Close())
	}
	return errors.Join(errs...)
}

// openHFWeights opens dir's model.safetensors or, without one, the shards
// its model.safetensors.index.json names. The index and the shards must
// agree exactly: a tensor mapped to a shard that lacks it, or a shard
// tensor the index does not map there, is an error.
func openHFWeights(dir string) (*hfWeights, error) {
	single := filepath.Join(dir, HFWeightsFile)
	if _, err := os.Stat(single); err == nil || !errors.Is(err, os.ErrNotExist) {
		sf, err := OpenSafetensors(single)
		if err != nil {
			return nil, err
		}
		return singleHFWeights(sf), nil
	}
	indexPath := filepath.Join(dir, HFIndexFile)
	data, err := os.ReadFile(indexPath)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s has neither %s nor %s", dir, HFWeightsFile, HFIndexFile)
	} else if err != nil {
		return nil, err
	}
	var index struct {
		WeightMap map[string]string `json:"weight_map"`
	}
	if err := json.Unmarshal(data, &index); err != nil {
		return nil, fmt.Errorf("read %s: %v", indexPath, err)
	}
	if len(index.WeightMap) == 0 {
		return nil, fmt.Errorf("read %s: no weight_map", indexPath)
	}
	w := &hfWeights{where: map[string]*SafetensorsFile{}, desc: indexPath}
	byFile := map[string]*SafetensorsFile{}
	for _, shard := range slices.Sorted(maps.Values(index.WeightMap)) {
		if byFile[shard] != nil {
			continue
		}
		// Shards are files of dir itself: a name with a path in it could
		// make the index read anything.
		if shard == "" || shard != filepath.Base(shard) || shard == "." || shard == ".." || strings.ContainsRune(shard, '\\') {
			w.Close()
			return nil, fmt.Errorf("read %s: shard name %q is not a file name", indexPath, shard)
		}
		sf, err := OpenSafetensors(filepath.Join(dir, shard))
		if err != nil {
			w.Close()
			return nil, err
		}
		w.files = append(w.files, sf)
		byFile[shard] = sf
	}
	for _, name := range slices.Sorted(maps.Keys(index.WeightMap)) {
		sf := byFile[index.WeightMap[name]]
		if _, ok := sf.Tensor(name); !ok {
			w.Close()
			return nil, fmt.Errorf("read %s: it maps tensor %q to %s, which has no such tensor", indexPath, name, sf.Name)
		}
		w.where[name] = sf
	}
	for _, sf := range w.files {
		for _, t := range sf.Tensors {
			if w.where[t.Name] != sf {
				w.Close()
				return nil, fmt.Errorf("read safetensors %s: tensor %q is not mapped to this file by %s", sf.Name, t.Name, HFIndexFile)
			}
		}
	}
	return w, nil
}

// singleHFWeights is the weights of one safetensors file.
func singleHFWeights(sf *SafetensorsFile) *hfWeights {
	w := &hfWeights{files: []*SafetensorsFile{sf}, where: map[string]*SafetensorsFile{}, desc: sf.Name}
	for _, t := range sf.Tensors {
		w.where[t.Name] = sf
	}
	return w
}

// hfLlamaShapes gives the Hugging Face name and shape of every tensor of a
// Llama-family cfg, the fused q/k/v split into their parts.
func hfLlamaShapes(cfg model.Config) map[string][]int {
	s := map[string][]int{}
	for _, p := range cfg.ParamSpecs() {
		layers := 1
		if p.PerLayer {
			layers = cfg.Layers
		}
		for l := range layers {
			if p.Parts == nil {
				s[p.NameAt(l)] = p.Shape
				continue
			}
			for _, q := range p.Parts {
				s[strings.ReplaceAll(q.Name, "{l}", fmt.Sprint(l))] = append([]int{q.Rows}, p.Shape[1:]...)
			}
		}
	}
	return s
}

// isRopeBuffer reports the inverse-frequency buffers old Llama checkpoints
// saved; align computes them from the config.
func isRopeBuffer(name string) bool { return strings.HasSuffix(name, ".rotary_emb.inv_freq") }

// checkLlamaTensors checks the tensors of w against cfg, reading only the
// headers, and returns cfg with the scalar heads taken from the weights
// when config.json has no align section. A tied model may still carry an
// lm_head.weight (some exporters write it); readLlamaTensors checks it
// equals the embedding.
func checkLlamaTensors(w *hfWeights, cfg model.Config, hc HFConfig) (model.Config, error) {
	if sf, ok := w.where["score.weight"]; ok && hc.Align == nil {
		t, _ := sf.Tensor("score.weight")
		if len(t.Shape) != 2 {
			return cfg, fmt.Errorf("read safetensors %s: tensor %q has shape %v, want [K, %d]", sf.Name, t.Name, t.Shape, cfg.Channels)
		}
		cfg.ScalarHeads = t.Shape[0]
		if err := cfg.Validate(); err != nil {
			return cfg, fmt.Errorf("read safetensors %s: tensor %q: %v", sf.Name, t.Name, err)
		}
	}
	shapes := hfLlamaShapes(cfg)
	if cfg.TiedEmbeddings {
		if _, ok := w.where["lm_head.weight"]; ok {
			shapes["lm_head.weight"] = []int{cfg.VocabSize, cfg.Channels}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(shapes)) {
		sf, ok := w.where[name]
		if !ok {
			if name == "score.bias" {
				continue // GPT2ForSequenceClassification-style heads have no bias: zero
			}
			return cfg, fmt.Errorf("missing tensor %q in %s", name, w.desc)
		}
		t, _ := sf.Tensor(name)
		switch t.DType {
		case "F32", "F16", "BF16":
		default:
			return cfg, fmt.Errorf("read safetensors %s: tensor %q has dtype %s; want F32, F16 or BF16", sf.Name, name, t.DType)
		}
		if want := shapes[name]; !slices.Equal(t.Shape, want) {
			return cfg, fmt.Errorf("read safetensors %s: tensor %q has shape %v, want %v", sf.Name, name, t.Shape, want)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(w.where)) {
		if _, ok := shapes[name]; !ok && !isRopeBuffer(name) {
			return cfg, fmt.Errorf("read safetensors %s: unexpected tensor %q for this %d-layer %s model", w.where[name].Name, name, cfg.Layers, hc.ModelType)
		}
	}
	return cfg, nil
}

// readLlamaTensors allocates the model of cfg and reads w, checked by
// checkLlamaTensors, into it. A NaN or an infinity is a *NonFiniteError.
func readLlamaTensors(w *hfWeights, cfg model.Config) (*model.Model, error) {
	m, err := model.New(cfg, 0)
	if err != nil {
		return nil, err
	}
	read := func(name string, dst []float32) error {
		sf := w.where[name]
		if err := sf.ReadFloat32Into(name, dst); err != nil {
			return err
		}
		return checkFinite(sf.Name, name, dst)
	}
	var embed []float32
	for _, t := range m.Tensors() {
		if t.Name == "model.embed_tokens.weight" {
			embed = t.Data
		}
		if _, ok := w.where[t.Name]; !ok && t.Parts == nil { // only score.bias may be absent
			clear(t.Data)
			continue
		}
		if t.Parts == nil {
			if err := read(t.Name, t.Data); err != nil {
				return nil, err
			}
			continue
		}
		width, row := len(t.Data)/t.Shape[0], 0
		for _, p := range t.Parts {
			if err := read(p.Name, t.Data[row*width:(row+p.Rows)*width]); err != nil {
				return nil, err
			}
			row += p.Rows
		}
	}
	if sf, ok := w.where["lm_head.weight"]; ok && cfg.TiedEmbeddings {
		head, err := sf.ReadFloat32("lm_head.weight")
		if err != nil {
			return nil, err
		}
		if i := firstDiff(head, embed); i >= 0 {
			return nil, fmt.Errorf("read safetensors %s: tensor \"lm_head.weight\" differs from the token embedding at element %d (%v vs %v), but tie_word_embeddings is true",
				sf.Name, i, head[i], embed[i])
		}
	}
	return m, nil
}

// HFLlamaTensors returns the parameters of the Llama-family model m under
// their Hugging Face names and shapes, q/k/v split into their parts; every
// tensor shares m's buffer. A tied model has no lm_head.weight, as
// transformers leaves it out.
func HFLlamaTensors(m *model.Model, dt DType) []Tensor {
	var out []Tensor
	for _, t := range m.Tensors() {
		if t.Parts == nil {
			out = append(out, Tensor{Name: t.Name, Shape: t.Shape, Data: t.Data, DType: dt})
			continue
		}
		width, row := len(t.Data)/t.Shape[0], 0
		for _, p := range t.Parts {
			out = append(out, Tensor{Name: p.Name, Shape: append([]int{p.Rows}, t.Shape[1:]...),
				Data: t.Data[row*width : (row+p.Rows)*width], DType: dt})
			row += p.Rows
		}
	}
	return out
}

// saveLlamaWeights writes m's tensors to dir: one model.safetensors, or,
// above opt.MaxShardBytes, shards in tensor order and their index. The form
// not written is removed, so that a loader never finds a stale one beside
// the new.
func saveLlamaWeights(dir string, m *model.Model, opt HFOptions) error {
	ts := HFLlamaTensors(m, opt.DType)
	meta := map[string]string{"format": "pt"}
	var shards [][]Tensor
	var total, size int64
	for _, t := range ts {
		n := int64(len(t.Data) * opt.DType.Size())
		if len(shards) == 0 || (opt.MaxShardBytes > 0 && size > 0 && size+n > opt.MaxShardBytes) {
			shards, size = append(shards, nil), 0
		}
		shards[len(shards)-1] = append(shards[len(shards)-1], t)
		size += n
		total += n
	}
	if len(shards) <= 1 {
		if err := removeIfExists(filepath.Join(dir, HFIndexFile)); err != nil {
			return err
		}
		if err := SaveSafetensors(filepath.Join(dir, HFWeightsFile), ts, meta); err != nil {
			return err
		}
		return removeStaleShards(dir, nil)
	}
	weightMap := map[string]string{}
	written := map[string]bool{}
	for i, shard := range shards {
		name := fmt.Sprintf("model-%05d-of-%05d.safetensors", i+1, len(shards))
		if err := SaveSafetensors(filepath.Join(dir, name), shard, meta); err != nil {
			return err
		}
		written[name] = true
		for _, t := range shard {
			weightMap[t.Name] = name
		}
	}
	if err := removeIfExists(filepath.Join(dir, HFWeightsFile)); err != nil {
		return err
	}
	index := map[string]any{"metadata": map[string]any{"total_size": total}, "weight_map": weightMap}
	if err := writeJSONFile(filepath.Join(dir, HFIndexFile), index); err != nil {
		return err
	}
	return removeStaleShards(dir, written)
}

// removeStaleShards removes the shards of an earlier save into dir (files
// named as saveLlamaWeights names them) that keep is not the set of: a
// model saved again with fewer shards must not leave half a gigabyte of
// files no index names.
func removeStaleShards(dir string, keep map[string]bool) error {
	old, err := filepath.Glob(filepath.Join(dir, "model-[0-9][0-9][0-9][0-9][0-9]-of-[0-9][0-9][0-9][0-9][0-9].safetensors"))
	if err != nil {
		return err
	}
	for _, p := range old {
		if !keep[filepath.Base(p)] {
			if err := removeIfExists(p); err != nil {
				return err
			}
		}
	}
	return nil
}

// removeIfExists removes path, which need not exist.
func removeIfExists(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
