package tokenizer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/align-project/align/internal/atomicfile"
)

// Save writes the tokenizer to path as a Hugging Face tokenizer.json (model type
// BPE, ByteLevel pre-tokenizer and decoder, merges as "a b" strings, added
// tokens), which HF tokenizers and LoadTokenizerJSON read back. The file is
// written to a temporary name first and renamed into place.
func (t *Tokenizer) Save(path string) error {
	if err := atomicfile.WriteFile(path, t.WriteJSON); err != nil {
		return fmt.Errorf("tokenizer: save: %w", err)
	}
	return nil
}

// WriteJSON writes the tokenizer.json form of the tokenizer to w.
func (t *Tokenizer) WriteJSON(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	p := func(s string) { bw.WriteString(s) }

	p("{\n  \"version\": \"1.0\",\n  \"truncation\": null,\n  \"padding\": null,\n  \"added_tokens\": [")
	for i, a := range t.added {
		if i > 0 {
			p(",")
		}
		fmt.Fprintf(bw, "\n    {\"id\": %d, \"content\": %s, \"single_word\": false, \"lstrip\": false, "+
			"\"rstrip\": false, \"normalized\": false, \"special\": %v}", a.ID, quote(a.Content), a.Special)
	}
	p("\n  ],\n  \"normalizer\": ")
	if t.nfc {
		p(`{"type": "NFC"}`)
	} else {
		p("null")
	}
	const byteLevel = `{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false}`
	p(",\n  \"pre_tokenizer\": ")
	if t.pattern == PatternGPT2 {
		p(`{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}`)
	} else {
		p(`{"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": ` + quote(patternRegex[t.pattern]) +
			`}, "behavior": "Isolated", "invert": false}, ` + byteLevel + `]}`)
	}
	p(",\n  \"post_processor\": " + byteLevel)
	p(",\n  \"decoder\": " + byteLevel)
	p(",\n  \"model\": {\n    \"type\": \"BPE\",\n    \"dropout\": null,\n    \"unk_token\": null,\n" +
		"    \"continuing_subword_prefix\": null,\n    \"end_of_word_suffix\": null,\n    \"fuse_unk\": false,\n" +
		"    \"byte_fallback\": false,\n    \"ignore_merges\": " + strconv.FormatBool(t.ignoreMerges) + ",\n    \"vocab\": {")
	first := true
	for id, piece := range t.pieces {
		if !t.used[id] {
			continue
		}
		_, isAdded := t.addedBy[piece]
		var key string
		switch {
		case isAdded && t.addedBy[piece] == id:
			if !t.addedInVocab[id] {
				continue
			}
			key = piece
		default:
			key = toByteLevel(piece)
		}
		if !first {
			p(",")
		}
		first = false
		p("\n      " + quote(key) + ": " + strconv.Itoa(id))
	}
	p("\n    },\n    \"merges\": [")
	for i, m := range t.mergeList {
		if i > 0 {
			p(",")
		}
		p("\n      " + quote(toByteLevel(t.pieces[m[0]])+" "+toByteLevel(t.pieces[m[1]])))
	}
	p("\n    ]\n  }\n}\n")
	return bw.Flush()
}

// quote returns s as a JSON string, leaving <, > and & as they are.
func quote(s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(s) // a string always encodes
	return string(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}
