package data

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"strings"
)

// HeldOut reports whether a record whose split key is key belongs to a
// held-out set of the given fraction (0..1). The decision hashes the key's
// canonical form (lower case, runs of white space as one space) with SHA-256
// and compares the first 64 bits to fraction, so it depends on the key alone:
// adding records never moves an old one, and raising the fraction only adds
// to the held-out set.
func HeldOut(key string, fraction float64) bool {
	if fraction <= 0 {
		return false
	}
	if fraction >= 1 {
		return true
	}
	return bucket(key) < fraction
}

// bucket maps key to a number in [0, 1).
func bucket(key string) float64 {
	h := sha256.Sum256([]byte("align/split/v1\x00" + canonicalKey(key)))
	return float64(binary.BigEndian.Uint64(h[:8])>>11) / (1 << 53)
}

func canonicalKey(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(s)), " ")
}

// Split divides recs into a training and a held-out part by [HeldOut] on
// each record's SplitKey, keeping their order.
func Split[T Record](recs []T, fraction float64) (train, heldOut []T) {
	for _, r := range recs {
		if HeldOut(r.SplitKey(), fraction) {
			heldOut = append(heldOut, r)
		} else {
			train = append(train, r)
		}
	}
	return train, heldOut
}

// Dedup remembers the records it has seen, by a 128-bit hash of their JSON
// encoding, to drop exact duplicates from a stream. The zero value is ready.
type Dedup struct {
	seen map[[16]byte]struct{}
}

// Seen reports whether a record with the same content was passed before, and
// remembers rec otherwise.
func (d *Dedup) Seen(rec Record) bool {
	if d.seen == nil {
		d.seen = map[[16]byte]struct{}{}
	}
	k := ContentHash(rec)
	if _, ok := d.seen[k]; ok {
		return true
	}
	d.seen[k] = struct{}{}
	return false
}

// Len is the number of distinct records seen.
func (d *Dedup) Len() int { return len(d.seen) }

// ContentHash is a 128-bit hash of rec's JSON encoding: records with equal
// content (every field, in the struct's field order) have equal hashes.
func ContentHash(rec Record) [16]byte {
	b, err := json.Marshal(rec)
	if err != nil {
		panic("data: cannot encode record: " + err.Error()) // only for types that are not JSON-encodable
	}
	h := sha256.Sum256(b)
	var k [16]byte
	copy(k[:], h[:16])
	return k
}

// Dedupe returns recs without exact duplicates (the first copy is kept, order
// is preserved) and the number removed.
func Dedupe[T Record](recs []T) (out []T, removed int) {
	var d Dedup
	for _, r := range recs {
		if d.Seen(r) {
			removed++
			continue
		}
		out = append(out, r)
	}
	return out, removed
}
