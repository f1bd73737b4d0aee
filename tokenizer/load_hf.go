package tokenizer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
)

// LoadTokenizerJSON reads a Hugging Face tokenizer.json of a byte-level BPE model.
//
// Supported: model.type "BPE" with vocab and merges (as "a b" strings or [a, b]
// pairs), ignore_merges; added_tokens (special or not); normalizer null or NFC
// (also inside a Sequence); pre_tokenizer ByteLevel (use_regex: GPT-2's pattern)
// or a Sequence of a Split on one of the known patterns (see Pattern) and a
// ByteLevel without regex; decoder null or ByteLevel. The post_processor is
// ignored: Encode never adds BOS/EOS ids by itself. Added tokens are matched in
// the raw text (HF's normalized: false) and their lstrip, rstrip and single_word
// options are ignored. Anything else is an error that names the file and the
// field.
func LoadTokenizerJSON(path string) (*Tokenizer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	return ParseTokenizerJSON(data, path)
}

type hfFile struct {
	AddedTokens  []hfAddedToken  `json:"added_tokens"`
	Normalizer   json.RawMessage `json:"normalizer"`
	PreTokenizer json.RawMessage `json:"pre_tokenizer"`
	Decoder      json.RawMessage `json:"decoder"`
	Model        *hfModel        `json:"model"`
}

type hfAddedToken struct {
	ID      *int   `json:"id"`
	Content string `json:"content"`
	Special bool   `json:"special"`
}

type hfModel struct {
	Type                    string   `json:"type"`
	Dropout                 *float64 `json:"dropout"`
	ContinuingSubwordPrefix *string  `json:"continuing_subword_prefix"`
	EndOfWordSuffix         *string  `json:"end_of_word_suffix"`
	ByteFallback            bool     `json:"byte_fallback"`
	IgnoreMerges            bool     `json:"ignore_merges"`
	// The two big fields are decoded after the rest, in parallel.
	Vocab  json.RawMessage `json:"vocab"`
	Merges json.RawMessage `json:"merges"`
}

// hfComponent is any normalizer, pre-tokenizer or decoder: the fields of all the
// kinds we accept.
type hfComponent struct {
	Type           string `json:"type"`
	AddPrefixSpace *bool  `json:"add_prefix_space"`
	UseRegex       *bool  `json:"use_regex"`
	Pattern        *struct {
		Regex *string `json:"Regex"`
	} `json:"pattern"`
	Behavior      string            `json:"behavior"`
	Invert        bool              `json:"invert"`
	Pretokenizers []json.RawMessage `json:"pretokenizers"`
	Normalizers   []json.RawMessage `json:"normalizers"`
}

// hfMerges accepts both spellings of merges: ["a b", ...] and [["a", "b"], ...].
// A malformed list is kept as err, reported with the field's name after decoding
// (errors from a nested json.Unmarshal carry offsets into the list, not the file).
type hfMerges struct {
	pairs [][2]string
	err   error
}

func (m *hfMerges) UnmarshalJSON(data []byte) error {
	trimmed := bytes.TrimLeft(bytes.TrimPrefix(bytes.TrimSpace(data), []byte("[")), " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '[' {
		var pairs [][]string
		if err := json.Unmarshal(data, &pairs); err != nil {
			m.err = fmt.Errorf("model.merges: want [[a, b], ...]: %v", err)
			return nil
		}
		m.pairs = make([][2]string, len(pairs))
		for i, p := range pairs {
			if len(p) != 2 {
				m.err = fmt.Errorf("model.merges[%d]: want a pair of tokens, got %d", i, len(p))
				return nil
			}
			m.pairs[i] = [2]string{p[0], p[1]}
		}
		return nil
	}
	var lines []string
	if err := json.Unmarshal(data, &lines); err != nil {
		m.err = fmt.Errorf("model.merges: want [\"a b\", ...]: %v", err)
		return nil
	}
	m.pairs = make([][2]string, len(lines))
	for i, l := range lines {
		a, b, ok := strings.Cut(l, " ")
		if !ok || a == "" || b == "" || strings.Contains(b, " ") {
			m.err = fmt.Errorf("model.merges[%d]: want \"a b\", got %q", i, l)
			return nil
		}
		m.pairs[i] = [2]string{a, b}
	}
	return nil
}

// ParseTokenizerJSON is LoadTokenizerJSON on the file's contents; name is used in
// errors.
func ParseTokenizerJSON(data []byte, name string) (*Tokenizer, error) {
	t, err := parseTokenizerJSON(data)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %s: %w", name, err)
	}
	return t, nil
}

func parseTokenizerJSON(data []byte) (*Tokenizer, error) {
	var f hfFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, errors.New(jsonError(data, err))
	}
	m := f.Model
	if m == nil {
		return nil, errors.New("model: missing")
	}
	if m.Type != "BPE" {
		return nil, fmt.Errorf("model.type: %q is not supported (want \"BPE\")", m.Type)
	}
	if m.Dropout != nil && *m.Dropout != 0 {
		return nil, fmt.Errorf("model.dropout: %v is not supported (want null)", *m.Dropout)
	}
	if m.ContinuingSubwordPrefix != nil && *m.ContinuingSubwordPrefix != "" {
		return nil, fmt.Errorf("model.continuing_subword_prefix: %q is not supported in byte-level BPE", *m.ContinuingSubwordPrefix)
	}
	if m.EndOfWordSuffix != nil && *m.EndOfWordSuffix != "" {
		return nil, fmt.Errorf("model.end_of_word_suffix: %q is not supported in byte-level BPE", *m.EndOfWordSuffix)
	}
	if m.ByteFallback {
		return nil, errors.New("model.byte_fallback: true is not supported (byte-level BPE needs no fallback)")
	}
	var vocab map[string]int
	var merges hfMerges
	var vocabErr error
	var wg sync.WaitGroup
	wg.Go(func() { vocabErr = json.Unmarshal(m.Vocab, &vocab) })
	if !isNull(m.Merges) {
		merges.UnmarshalJSON(m.Merges) // errors are kept in merges.err
	}
	wg.Wait()
	if vocabErr != nil && !isNull(m.Vocab) {
		return nil, fmt.Errorf("model.vocab: want {\"token\": id, ...}: %v", vocabErr)
	}
	if merges.err != nil {
		return nil, merges.err
	}

	var added []AddedToken
	for i, a := range f.AddedTokens {
		if a.ID == nil {
			return nil, fmt.Errorf("added_tokens[%d]: missing id", i)
		}
		if a.Content == "" {
			return nil, fmt.Errorf("added_tokens[%d]: empty content", i)
		}
		added = append(added, AddedToken{ID: *a.ID, Content: a.Content, Special: a.Special})
	}
	pieces, used, err := vocabPieces(vocab, added)
	if err != nil {
		return nil, fmt.Errorf("model.vocab: %w", err)
	}
	mergeList, err := mergeIDs(merges.pairs, vocab, func(i int) string { return fmt.Sprintf("model.merges[%d]", i) })
	if err != nil {
		return nil, err
	}
	nfc, err := parseNormalizer(f.Normalizer, "normalizer")
	if err != nil {
		return nil, err
	}
	pattern, err := parsePreTokenizer(f.PreTokenizer)
	if err != nil {
		return nil, err
	}
	if err := parseDecoder(f.Decoder); err != nil {
		return nil, err
	}
	t, err := newTokenizer(pieces, used, mergeList, added, pattern)
	if err != nil {
		return nil, err
	}
	t.nfc = nfc
	t.ignoreMerges = m.IgnoreMerges
	t.markAddedInVocab(vocab)
	return t, nil
}

func isNull(raw json.RawMessage) bool {
	s := bytes.TrimSpace(raw)
	return len(s) == 0 || string(s) == "null"
}

func parseComponent(raw json.RawMessage, field string) (hfComponent, error) {
	var c hfComponent
	if err := json.Unmarshal(raw, &c); err != nil {
		return c, fmt.Errorf("%s: %v", field, err)
	}
	return c, nil
}

// parseNormalizer reports whether text is to be normalised to NFC.
func parseNormalizer(raw json.RawMessage, field string) (nfc bool, err error) {
	if isNull(raw) {
		return false, nil
	}
	c, err := parseComponent(raw, field)
	if err != nil {
		return false, err
	}
	switch c.Type {
	case "NFC":
		return true, nil
	case "Sequence":
		for i, sub := range c.Normalizers {
			n, err := parseNormalizer(sub, fmt.Sprintf("%s.normalizers[%d]", field, i))
			if err != nil {
				return false, err
			}
			nfc = nfc || n
		}
		return nfc, nil
	}
	return false, fmt.Errorf("%s.type: %q is not supported (want null or \"NFC\")", field, c.Type)
}

func parsePreTokenizer(raw json.RawMessage) (Pattern, error) {
	const field = "pre_tokenizer"
	if isNull(raw) {
		return "", fmt.Errorf("%s: missing (byte-level BPE needs a ByteLevel pre-tokenizer)", field)
	}
	c, err := parseComponent(raw, field)
	if err != nil {
		return "", err
	}
	switch c.Type {
	case "ByteLevel":
		if err := checkByteLevel(c, field, true); err != nil {
			return "", err
		}
		return PatternGPT2, nil
	case "Sequence":
		if len(c.Pretokenizers) != 2 {
			return "", fmt.Errorf("%s.pretokenizers: want [Split, ByteLevel], got %d pre-tokenizers", field, len(c.Pretokenizers))
		}
		split, err := parseComponent(c.Pretokenizers[0], field+".pretokenizers[0]")
		if err != nil {
			return "", err
		}
		bl, err := parseComponent(c.Pretokenizers[1], field+".pretokenizers[1]")
		if err != nil {
			return "", err
		}
		if split.Type != "Split" {
			return "", fmt.Errorf("%s.pretokenizers[0].type: %q is not supported (want \"Split\")", field, split.Type)
		}
		if split.Pattern == nil || split.Pattern.Regex == nil {
			return "", fmt.Errorf("%s.pretokenizers[0].pattern: want {\"Regex\": ...}", field)
		}
		p, ok := patternFromRegex(*split.Pattern.Regex)
		if !ok {
			return "", fmt.Errorf("%s.pretokenizers[0].pattern.Regex: %q is not a supported pattern (known: GPT-2, cl100k, Qwen2)", field, *split.Pattern.Regex)
		}
		if split.Behavior != "Isolated" || split.Invert {
			return "", fmt.Errorf("%s.pretokenizers[0]: behavior %q, invert %v is not supported (want \"Isolated\", false)", field, split.Behavior, split.Invert)
		}
		if bl.Type != "ByteLevel" {
			return "", fmt.Errorf("%s.pretokenizers[1].type: %q is not supported (want \"ByteLevel\")", field, bl.Type)
		}
		if err := checkByteLevel(bl, field+".pretokenizers[1]", false); err != nil {
			return "", err
		}
		return p, nil
	}
	return "", fmt.Errorf("%s.type: %q is not supported (want \"ByteLevel\" or \"Sequence\")", field, c.Type)
}

// checkByteLevel accepts a ByteLevel pre-tokenizer without a prefix space, with
// (wantRegex) or without its own GPT-2 regex.
func checkByteLevel(c hfComponent, field string, wantRegex bool) error {
	if c.AddPrefixSpace == nil || *c.AddPrefixSpace {
		return fmt.Errorf("%s.add_prefix_space: only false is supported", field)
	}
	useRegex := c.UseRegex == nil || *c.UseRegex // HF's default is true
	if useRegex != wantRegex {
		return fmt.Errorf("%s.use_regex: only %v is supported here", field, wantRegex)
	}
	return nil
}

func parseDecoder(raw json.RawMessage) error {
	if isNull(raw) {
		return nil
	}
	c, err := parseComponent(raw, "decoder")
	if err != nil {
		return err
	}
	if c.Type != "ByteLevel" {
		return fmt.Errorf("decoder.type: %q is not supported (want \"ByteLevel\")", c.Type)
	}
	return nil
}
