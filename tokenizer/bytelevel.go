package tokenizer

import "strings"

// Byte-level BPE stores tokens as strings of printable characters: each of the 256
// byte values is given one rune, so that a vocabulary file never holds raw control
// bytes, spaces or broken UTF-8. This is GPT-2's bytes_to_unicode table: the 188
// printable Latin-1 bytes ('!'..'~', '¡'..'¬', '®'..'ÿ') stand for themselves and
// the other 68 bytes, in order, take the runes U+0100, U+0101, ... So the space
// 0x20 is 'Ġ' (U+0120) and the newline 0x0A is 'Ċ' (U+010A).
var (
	byteToRune [256]rune
	runeToByte [324]int16 // byte of each rune below 256+68, or -1
)

func init() {
	for i := range runeToByte {
		runeToByte[i] = -1
	}
	n := 0
	for b := 0; b < 256; b++ {
		r := rune(b)
		if !(b >= '!' && b <= '~' || b >= 0xA1 && b <= 0xAC || b >= 0xAE && b <= 0xFF) {
			r = rune(256 + n)
			n++
		}
		byteToRune[b] = r
		runeToByte[r] = int16(b)
	}
}

// byteOrder lists the 256 byte values sorted by their byte-level runes: GPT-2's
// encoder.json gives ids 0..255 to the single bytes in this order, and so do we.
func byteOrder() [256]byte {
	var order [256]byte
	i := 0
	for _, b := range runeToByte {
		if b >= 0 {
			order[i] = byte(b)
			i++
		}
	}
	return order
}

// toByteLevel renders raw bytes as a byte-level token string ("Ġthe" for " the").
func toByteLevel(raw string) string {
	var sb strings.Builder
	sb.Grow(len(raw) * 2)
	for i := 0; i < len(raw); i++ {
		sb.WriteRune(byteToRune[raw[i]])
	}
	return sb.String()
}

// fromByteLevel maps a byte-level token string back to raw bytes; ok is false when
// the string holds a rune outside the 256-rune alphabet.
func fromByteLevel(s string) (raw string, ok bool) {
	buf := make([]byte, 0, len(s))
	for _, r := range s { // broken UTF-8 decodes to U+FFFD, which is not in the table
		if r < 0 || int(r) >= len(runeToByte) || runeToByte[r] < 0 {
			return "", false
		}
		buf = append(buf, byte(runeToByte[r]))
	}
	return string(buf), true
}
