package tokenizer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Load reads a tokenizer from path: a tokenizer.json file, or a directory holding
// tokenizer.json or else GPT-2's encoder.json and vocab.bpe. From a directory it
// also reads, when present, tokenizer_config.json's chat_template (the chat
// format, see ChatFormat) and generation_config.json's eos_token_id and
// bos_token_id (added to ChatFormat's Stop and BOS).
func Load(path string) (*Tokenizer, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	if !st.IsDir() {
		return LoadTokenizerJSON(path)
	}
	var t *Tokenizer
	tj := filepath.Join(path, "tokenizer.json")
	enc, voc := filepath.Join(path, "encoder.json"), filepath.Join(path, "vocab.bpe")
	if _, err := os.Stat(tj); err == nil {
		t, err = LoadTokenizerJSON(tj)
		if err != nil {
			return nil, err
		}
	} else if _, err := os.Stat(enc); err == nil {
		t, err = LoadGPT2(enc, voc)
		if err != nil {
			return nil, err
		}
	} else {
		return nil, fmt.Errorf("tokenizer: %s holds neither tokenizer.json nor encoder.json + vocab.bpe", path)
	}
	if err := t.readHFConfigs(path); err != nil {
		return nil, err
	}
	return t, nil
}

// LoadGPT2 reads OpenAI's GPT-2 files: encoder.json (token → id) and vocab.bpe
// (the merges, one "a b" pair a line, after a "#version" line). The pattern is
// GPT-2's; `<|endoftext|>`, if present, becomes a special token.
func LoadGPT2(encoderPath, vocabPath string) (*Tokenizer, error) {
	enc, err := os.ReadFile(encoderPath)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	voc, err := os.ReadFile(vocabPath)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	return ParseGPT2(enc, voc, encoderPath, vocabPath)
}

// ParseGPT2 is LoadGPT2 on file contents; the names are used in errors.
func ParseGPT2(encoderJSON, vocabBPE []byte, encoderName, vocabName string) (*Tokenizer, error) {
	var vocab map[string]int
	if err := json.Unmarshal(encoderJSON, &vocab); err != nil {
		return nil, fmt.Errorf("tokenizer: %s: %s", encoderName, jsonError(encoderJSON, err))
	}
	const eot = "<|endoftext|>"
	var added []AddedToken
	if id, ok := vocab[eot]; ok {
		added = append(added, AddedToken{ID: id, Content: eot, Special: true})
	}
	pieces, used, err := vocabPieces(vocab, added)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %s: %w", encoderName, err)
	}
	var merges [][2]string
	var lineNo []int
	for n, line := range strings.Split(string(vocabBPE), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if line == "" || n == 0 && strings.HasPrefix(line, "#version") {
			continue
		}
		a, b, ok := strings.Cut(line, " ")
		if !ok || a == "" || b == "" || strings.Contains(b, " ") {
			return nil, fmt.Errorf("tokenizer: %s: line %d: want two tokens separated by one space, got %q", vocabName, n+1, line)
		}
		merges = append(merges, [2]string{a, b})
		lineNo = append(lineNo, n+1)
	}
	mids, err := mergeIDs(merges, vocab, func(i int) string { return fmt.Sprintf("line %d", lineNo[i]) })
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %s: %w", vocabName, err)
	}
	t, err := newTokenizer(pieces, used, mids, added, PatternGPT2)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %s + %s: %w", encoderName, vocabName, err)
	}
	t.markAddedInVocab(vocab)
	return t, nil
}

// vocabPieces turns a byte-level vocabulary (token → id) into the id → raw bytes
// table. Tokens that are added tokens are kept as they are.
func vocabPieces(vocab map[string]int, added []AddedToken) (pieces []string, used []bool, err error) {
	if len(vocab) == 0 {
		return nil, nil, errors.New("vocabulary is empty")
	}
	isAdded := make(map[string]bool, len(added))
	for _, a := range added {
		isAdded[a.Content] = true
	}
	n := 0
	for tok, id := range vocab {
		if id < 0 || id >= maxID {
			return nil, nil, fmt.Errorf("token %q has id %d out of range", tok, id)
		}
		n = max(n, id+1)
	}
	pieces = make([]string, n)
	used = make([]bool, n)
	for tok, id := range vocab {
		if used[id] {
			return nil, nil, fmt.Errorf("id %d is given to two tokens, %q and %q", id, toByteLevel(pieces[id]), tok)
		}
		raw, ok := fromByteLevel(tok)
		if !ok {
			if !isAdded[tok] {
				return nil, nil, fmt.Errorf("token %q (id %d) is not byte-level encoded", tok, id)
			}
			raw = tok
		}
		pieces[id], used[id] = raw, true
	}
	return pieces, used, nil
}

// mergeIDs resolves merges given as token strings into id pairs; errors name merge
// i as where(i).
func mergeIDs(merges [][2]string, vocab map[string]int, where func(i int) string) ([][2]int32, error) {
	out := make([][2]int32, len(merges))
	for i, m := range merges {
		for k, tok := range m {
			id, ok := vocab[tok]
			if !ok {
				return nil, fmt.Errorf("%s: merge %q %q: token %q is not in the vocabulary", where(i), m[0], m[1], tok)
			}
			out[i][k] = int32(id)
		}
		if _, ok := vocab[m[0]+m[1]]; !ok {
			return nil, fmt.Errorf("%s: merge %q %q: result %q is not in the vocabulary", where(i), m[0], m[1], m[0]+m[1])
		}
	}
	return out, nil
}

// jsonError describes a JSON decoding error with its line and column.
func jsonError(data []byte, err error) string {
	var off int64 = -1
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		off = syn.Offset
	case errors.As(err, &typ):
		off = typ.Offset
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return "file is empty"
	}
	if off < 0 || off > int64(len(data)) {
		if err.Error() == "unexpected end of JSON input" {
			return "truncated JSON (unexpected end of input)"
		}
		return "invalid JSON: " + err.Error()
	}
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	col := int(off) - bytes.LastIndexByte(data[:off], '\n')
	if err.Error() == "unexpected end of JSON input" {
		return fmt.Sprintf("truncated JSON: input ends at line %d, column %d", line, col)
	}
	return fmt.Sprintf("invalid JSON at line %d, column %d: %v", line, col, err)
}
