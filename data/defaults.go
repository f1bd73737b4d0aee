package data

// Conversions of generated examples to the file formats, and writers for
// the files `align run` starts from.

// SFTRecords converts examples to SFT records (prompt, SFT response).
func SFTRecords(exs []Example) []SFT {
	out := make([]SFT, len(exs))
	for i, e := range exs {
		out[i] = e.SFT()
	}
	return out
}

// PromptRecords converts examples to prompt records with tags and answers.
func PromptRecords(exs []Example) []Prompt {
	out := make([]Prompt, len(exs))
	for i, e := range exs {
		out[i] = e.PromptRecord()
	}
	return out
}

// GoldPreferences pairs each example's ideal response (chosen) with a worse
// one (rejected): a compliance for a harmful prompt, a wrong answer or a
// refusal for a benign one. Examples whose SFT response is already ideal get
// a refusal as the rejected side if benign, and are skipped if harmful. Use
// it to test reward models and judges against known labels; the loop itself
// labels generated pairs.
func GoldPreferences(exs []Example) []Preference {
	var out []Preference
	for _, e := range exs {
		rejected := e.Response
		if rejected == e.Ideal {
			if e.Harmful {
				continue
			}
			rejected = Refusals[len(e.Prompt)%len(Refusals)]
		}
		out = append(out, Preference{Prompt: e.Prompt, Chosen: e.Ideal, Rejected: rejected,
			Source: "ai:gold@1", Tags: e.Tags()})
	}
	return out
}

// WriteSFT writes the examples as SFT records to the JSONL file at path.
func WriteSFT(path string, exs []Example) error { return WriteRecords(path, SFTRecords(exs)) }

// WritePrompts writes the examples as prompt records to the JSONL file at path.
func WritePrompts(path string, exs []Example) error {
	return WriteRecords(path, PromptRecords(exs))
}
