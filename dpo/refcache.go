package dpo

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"slices"

	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/model"
)

// RefCacheFile holds the reference log-probabilities of every pair, beside
// the run's other outputs. The reference is frozen, so they are computed
// once; a resumed run reads them back instead of running the reference
// again.
const RefCacheFile = "ref_logprobs.bin"

// refMagic starts the cache file; the version changes with the layout.
var refMagic = [8]byte{'d', 'p', 'o', 'r', 'e', 'f', 0, 1}

// refLogps are the reference's log-probability sums of a pair's responses.
type refLogps struct{ c, r float64 }

// refKey identifies what the cache was computed from: the reference's
// weights and configuration and the token sequences of the pairs, which
// already reflect max_len and the tokenizer. A cache with another key is
// stale.
func refKey(ref *model.Model, train, held []Pair) [32]byte {
	h := sha256.New()
	h.Write(refMagic[:])
	fmt.Fprintf(h, "%+v\n", ref.Config)
	buf := make([]byte, 0, 1<<16)
	for _, v := range ref.Params() {
		buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
		if len(buf) == cap(buf) {
			h.Write(buf)
			buf = buf[:0]
		}
	}
	h.Write(buf)
	hashPairs(h, train, false)
	h.Write([]byte{0xff})
	hashPairs(h, held, false)
	var k [32]byte
	copy(k[:], h.Sum(nil))
	return k
}

// refLogProbs returns the reference's log-probability sums of each pair's
// chosen and rejected responses, batch pairs per forward pass.
func refLogProbs(ctx context.Context, ref *model.Model, pairs []Pair, batch int) ([]refLogps, error) {
	out := make([]refLogps, len(pairs))
	for lo := 0; lo < len(pairs); lo += batch {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("dpo: reference log-probs: %w", err)
		}
		part := pairs[lo:min(lo+batch, len(pairs))]
		lc, lr, err := pairLogProbs(ref, part)
		if err != nil {
			return nil, fmt.Errorf("dpo: reference log-probs: %w", err)
		}
		for i := range part {
			out[lo+i] = refLogps{c: sum32(lc[i]), r: sum32(lr[i])}
		}
	}
	return out, nil
}

// pairLogProbs runs m once over the chosen and rejected sequences of pairs
// (interleaved: pair i is rows 2i and 2i+1) and returns the per-token
// log-probabilities of each response. m is left holding that forward pass.
func pairLogProbs(m *model.Model, pairs []Pair) (lc, lr [][]float32, err error) {
	seqs, plens := pairRows(pairs)
	lps, _, err := m.LogProbs(seqs, plens, 1)
	if err != nil {
		return nil, nil, err
	}
	lc, lr = make([][]float32, len(pairs)), make([][]float32, len(pairs))
	for i := range pairs {
		lc[i], lr[i] = lps[2*i], lps[2*i+1]
	}
	return lc, lr, nil
}

// pairRows lays pairs out as the rows of one batch, chosen then rejected.
func pairRows(pairs []Pair) (seqs [][]int32, plens []int) {
	seqs, plens = make([][]int32, 0, 2*len(pairs)), make([]int, 0, 2*len(pairs))
	for _, p := range pairs {
		seqs = append(seqs, p.Chosen, p.Rejected)
		plens = append(plens, p.PromptLen, p.PromptLen)
	}
	return seqs, plens
}

func sum32(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x)
	}
	return s
}

// readRefCache reads the cache at path; ok is false when the file is
// missing, stale (another key) or not a whole cache of nTrain+nHeld pairs,
// and the caller computes the log-probs again.
func readRefCache(path string, key [32]byte, nTrain, nHeld int) (train, held []refLogps, ok bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, false, nil
	}
	if err != nil {
		return nil, nil, false, fmt.Errorf("dpo: read %s: %w", path, err)
	}
	head := len(refMagic) + len(key) + 16
	n := nTrain + nHeld
	if len(b) != head+16*n || !bytes.Equal(b[:len(refMagic)], refMagic[:]) || !bytes.Equal(b[len(refMagic):len(refMagic)+len(key)], key[:]) {
		return nil, nil, false, nil
	}
	r := b[len(refMagic)+len(key):]
	if binary.LittleEndian.Uint64(r) != uint64(nTrain) || binary.LittleEndian.Uint64(r[8:]) != uint64(nHeld) {
		return nil, nil, false, nil
	}
	r = r[16:]
	all := make([]refLogps, n)
	for i := range all {
		all[i].c = math.Float64frombits(binary.LittleEndian.Uint64(r[16*i:]))
		all[i].r = math.Float64frombits(binary.LittleEndian.Uint64(r[16*i+8:]))
	}
	return all[:nTrain], all[nTrain:], true, nil
}

// writeRefCache writes the cache atomically: a crash leaves the old file or
// the new one, never a torn one that a resumed run would trust.
func writeRefCache(path string, key [32]byte, train, held []refLogps) error {
	err := checkpoint.WriteFileAtomic(path, func(w io.Writer) error {
		b := append(slices.Clone(refMagic[:]), key[:]...)
		b = binary.LittleEndian.AppendUint64(b, uint64(len(train)))
		b = binary.LittleEndian.AppendUint64(b, uint64(len(held)))
		for _, part := range [][]refLogps{train, held} {
			for _, v := range part {
				b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v.c))
				b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v.r))
			}
		}
		_, err := w.Write(b)
		return err
	})
	if err != nil {
		return fmt.Errorf("dpo: write %s: %w", path, err)
	}
	return nil
}
