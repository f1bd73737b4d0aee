package checkpoint

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

// FuzzReadGGUF feeds arbitrary bytes to the GGUF reader: it must return an
// error or a file whose every tensor can be read, and never panic. The seeds
// are files our writer made, plus damaged copies.
func FuzzReadGGUF(f *testing.F) {
	var seeds [][]byte
	add := func(kvs []KV, ts []Tensor) {
		var buf bytes.Buffer
		if err := WriteGGUF(&buf, kvs, ts); err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, buf.Bytes())
	}
	add(allKVs(), ggufTensors())
	add(append(allKVs()[:3], KV{KeyAlignment, uint32(8)}), ggufTensors()[:2])
	add(nil, nil)
	p, v, hf := tinyGPT2(true)
	p.BlockCount = 1 // a one-layer model keeps the seed small
	one := slices.DeleteFunc(hf, func(t Tensor) bool { return strings.HasPrefix(t.Name, "transformer.h.1.") })
	kvs, ts, err := GPT2GGUF(p, v, one, GPT2Options{F16: true})
	if err != nil {
		f.Fatal(err)
	}
	add(kvs, ts)
	for _, s := range seeds {
		f.Add(s)
		f.Add(s[:len(s)/2])
		if len(s) > 30 {
			d := bytes.Clone(s)
			d[24] ^= 0xff // the first key's length
			f.Add(d)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		g, err := ParseGGUF(bytes.NewReader(b), int64(len(b)), "fuzz.gguf")
		if err != nil {
			return
		}
		for _, info := range g.Tensors {
			if _, ok := info.Type.dtype(); ok {
				if _, err := g.ReadFloat32(info.Name); err != nil {
					t.Fatalf("valid file, unreadable tensor %q: %v", info.Name, err)
				}
			} else if _, err := g.ReadTensorBytes(info.Name); err != nil {
				t.Fatalf("valid file, unreadable tensor %q: %v", info.Name, err)
			}
		}
		for _, kv := range g.KV {
			if _, _, ok := valueType(kv.Value); !ok {
				t.Fatalf("key %q decoded to %T", kv.Key, kv.Value)
			}
		}
	})
}

// FuzzReadSafetensors feeds arbitrary bytes to the safetensors reader: it
// must return an error or a file whose every tensor can be read, and never
// panic.
func FuzzReadSafetensors(f *testing.F) {
	var seeds [][]byte
	for _, ts := range [][]Tensor{sampleTensors(), sampleTensors()[:1], nil} {
		var buf bytes.Buffer
		if err := WriteSafetensors(&buf, ts, map[string]string{"k": "v"}); err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, buf.Bytes())
	}
	for _, s := range seeds {
		f.Add(s)
		f.Add(s[:len(s)-1])
	}
	f.Add(rawST(`{"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}`, 8))
	f.Fuzz(func(t *testing.T, b []byte) {
		sf, err := ParseSafetensors(bytes.NewReader(b), int64(len(b)), "fuzz.safetensors")
		if err != nil {
			return
		}
		for _, info := range sf.Tensors {
			_, err := sf.ReadFloat32(info.Name)
			convertible := info.DType == "F32" || info.DType == "F16" || info.DType == "BF16"
			if convertible && err != nil {
				t.Fatalf("valid file, unreadable tensor %q: %v", info.Name, err)
			}
		}
	})
}
