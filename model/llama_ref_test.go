package model

import (
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/align-project/align/tensor"
)

// A float64 Llama written from the architecture's definition, independent of
// the model's code: it reads the parameters by their Hugging Face names and
// splits the fused qkv by the listed parts, as a loader would.

// llamaCases are tiny odd-sized configs covering every option.
var llamaCases = []struct {
	name string
	cfg  Config
}{
	{"plain", Config{Arch: ArchLlama, VocabSize: 37, Context: 16, Layers: 2, Heads: 6, KVHeads: 2, Channels: 24, Hidden: 40}},
	{"qwen2-tied", Config{Arch: ArchLlama, VocabSize: 37, Context: 16, Layers: 2, Heads: 6, KVHeads: 3, Channels: 24, Hidden: 40,
		QKVBias: true, TiedEmbeddings: true, RopeTheta: 1000, NormEps: 1e-5}},
	{"qwen3-scaled", Config{Arch: ArchLlama, VocabSize: 37, Context: 16, Layers: 2, Heads: 6, KVHeads: 2, Channels: 24, Hidden: 40,
		HeadDim: 6, QKNorm: true, ScalarHeads: 2, RopeTheta: 500,
		RopeScaling: &tensor.RoPEScaling{Factor: 8, LowFreqFactor: 1, HighFreqFactor: 4, OriginalMaxPositions: 8}}},
	{"all", Config{Arch: ArchLlama, VocabSize: 37, Context: 16, Layers: 3, Heads: 6, KVHeads: 3, Channels: 24, Hidden: 40,
		HeadDim: 8, QKVBias: true, QKNorm: true, TiedEmbeddings: true, ScalarHeads: 1,
		RopeScaling: &tensor.RoPEScaling{Factor: 4, LowFreqFactor: 1, HighFreqFactor: 2, OriginalMaxPositions: 6}}},
}

// roughLlama returns a model with large random parameters (norm gains
// around one), so every path carries signal.
func roughLlama(t testing.TB, cfg Config, seed uint64) *Model {
	t.Helper()
	m, err := New(cfg, seed)
	if err != nil {
		t.Fatal(err)
	}
	randomize(newRNG(seed+100), m.Params(), 0.3)
	for _, tn := range m.Tensors() {
		if strings.Contains(tn.Name, "norm") {
			for i := range tn.Data {
				tn.Data[i] += 1
			}
		}
	}
	return m
}

// llamaParams64 copies every tensor to float64 under its Hugging Face name,
// splitting fused tensors into their parts.
func llamaParams64(m *Model) map[string][]float64 {
	p := map[string][]float64{}
	for _, tn := range m.Tensors() {
		if tn.Parts == nil {
			p[tn.Name] = to64(tn.Data)
			continue
		}
		width := len(tn.Data) / tn.Shape[0]
		row := 0
		for _, part := range tn.Parts {
			p[part.Name] = to64(tn.Data[row*width : (row+part.Rows)*width])
			row += part.Rows
		}
	}
	return p
}

// refInvFreq is Llama 3's frequency adjustment, written out separately.
func refInvFreq(d int, theta float64, s *tensor.RoPEScaling) []float64 {
	f := make([]float64, d/2)
	for i := range f {
		f[i] = math.Pow(theta, -float64(2*i)/float64(d))
		if s == nil {
			continue
		}
		wavelen := 2 * math.Pi / f[i]
		old := float64(s.OriginalMaxPositions)
		switch {
		case wavelen > old/s.LowFreqFactor:
			f[i] /= s.Factor
		case wavelen >= old/s.HighFreqFactor:
			smooth := (old/wavelen - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor)
			f[i] = (1-smooth)*f[i]/s.Factor + smooth*f[i]
		}
	}
	return f
}

func refRMSNorm(x, w []float64, eps float64) []float64 {
	var ss float64
	for _, v := range x {
		ss += v * v
	}
	r := 1 / math.Sqrt(ss/float64(len(x))+eps)
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = v * r * w[i]
	}
	return out
}

// refMatVec returns w·x (+ b) for w (rows, len(x)).
func refMatVec(w, x, b []float64) []float64 {
	out := make([]float64, len(w)/len(x))
	for i := range out {
		s := 0.0
		if b != nil {
			s = b[i]
		}
		for j, v := range x {
			s += w[i*len(x)+j] * v
		}
		out[i] = s
	}
	return out
}

// refRotate applies rotate_half RoPE at position pos to each head of x.
func refRotate(x []float64, hd, pos int, f []float64) {
	for h := 0; h < len(x)/hd; h++ {
		v := x[h*hd : (h+1)*hd]
		for i := 0; i < hd/2; i++ {
			c, s := math.Cos(float64(pos)*f[i]), math.Sin(float64(pos)*f[i])
			a, b := v[i], v[i+hd/2]
			v[i], v[i+hd/2] = a*c-b*s, b*c+a*s
		}
	}
}

// refLlamaForward returns the (B,T,V) logits and (B,T,K) scalars.
func refLlamaForward(cfg Config, p map[string][]float64, inputs []int32, B, T int) (logits, scalars []float64) {
	C, K, NH := cfg.Channels, cfg.ScalarHeads, cfg.Heads
	NKV, HD := cfg.KVHeads, cfg.HeadDim
	if NKV == 0 {
		NKV = NH
	}
	if HD == 0 {
		HD = C / NH
	}
	eps, theta := cfg.NormEps, cfg.RopeTheta
	if eps == 0 {
		eps = 1e-6
	}
	if theta == 0 {
		theta = 10000
	}
	f := refInvFreq(HD, theta, cfg.RopeScaling)
	head := p["lm_head.weight"]
	if cfg.TiedEmbeddings {
		head = p["model.embed_tokens.weight"]
	}
	lname := func(l int, s string) []float64 {
		return p[strings.ReplaceAll("model.layers.{l}."+s, "{l}", strconv.Itoa(l))]
	}
	for b := 0; b < B; b++ {
		xs := make([][]float64, T)
		for t := range xs {
			tok := int(inputs[b*T+t])
			xs[t] = append([]float64(nil), p["model.embed_tokens.weight"][tok*C:(tok+1)*C]...)
		}
		for l := 0; l < cfg.Layers; l++ {
			qs, ks, vs := make([][]float64, T), make([][]float64, T), make([][]float64, T)
			for t := range xs {
				h := refRMSNorm(xs[t], lname(l, "input_layernorm.weight"), eps)
				qs[t] = refMatVec(lname(l, "self_attn.q_proj.weight"), h, lname(l, "self_attn.q_proj.bias"))
				ks[t] = refMatVec(lname(l, "self_attn.k_proj.weight"), h, lname(l, "self_attn.k_proj.bias"))
				vs[t] = refMatVec(lname(l, "self_attn.v_proj.weight"), h, lname(l, "self_attn.v_proj.bias"))
				if cfg.QKNorm {
					for hh := 0; hh < NH; hh++ {
						copy(qs[t][hh*HD:], refRMSNorm(qs[t][hh*HD:(hh+1)*HD], lname(l, "self_attn.q_norm.weight"), eps))
					}
					for hh := 0; hh < NKV; hh++ {
						copy(ks[t][hh*HD:], refRMSNorm(ks[t][hh*HD:(hh+1)*HD], lname(l, "self_attn.k_norm.weight"), eps))
					}
				}
				refRotate(qs[t], HD, t, f)
				refRotate(ks[t], HD, t, f)
			}
			for t := range xs {
				y := make([]float64, NH*HD)
				for hh := 0; hh < NH; hh++ {
					g := hh / (NH / NKV)
					w := make([]float64, t+1)
					mx := math.Inf(-1)
					for s := 0; s <= t; s++ {
						for i := 0; i < HD; i++ {
							w[s] += qs[t][hh*HD+i] * ks[s][g*HD+i]
						}
						w[s] /= math.Sqrt(float64(HD))
						mx = math.Max(mx, w[s])
					}
					sum := 0.0
					for s := range w {
						w[s] = math.Exp(w[s] - mx)
						sum += w[s]
					}
					for s := range w {
						for i := 0; i < HD; i++ {
							y[hh*HD+i] += w[s] / sum * vs[s][g*HD+i]
						}
					}
				}
				o := refMatVec(lname(l, "self_attn.o_proj.weight"), y, nil)
				for i := range o {
					xs[t][i] += o[i]
				}
				h := refRMSNorm(xs[t], lname(l, "post_attention_layernorm.weight"), eps)
				gate := refMatVec(lname(l, "mlp.gate_proj.weight"), h, nil)
				up := refMatVec(lname(l, "mlp.up_proj.weight"), h, nil)
				for i := range gate {
					gate[i] = gate[i] / (1 + math.Exp(-gate[i])) * up[i]
				}
				d := refMatVec(lname(l, "mlp.down_proj.weight"), gate, nil)
				for i := range d {
					xs[t][i] += d[i]
				}
			}
		}
		for t := range xs {
			h := refRMSNorm(xs[t], p["model.norm.weight"], eps)
			logits = append(logits, refMatVec(head, h, nil)...)
			if K > 0 {
				scalars = append(scalars, refMatVec(p["score.weight"], h, p["score.bias"])...)
			}
		}
	}
	return logits, scalars
}
