package judge

import (
	"testing"

	"github.com/align-project/align/data"
)

// TestSignsOnDefaultBenign: the signs of harm stay quiet on the default
// data's benign prompts. A sign there costs nothing unless the answer
// shows harm too, but each one is a request the judge reads with
// suspicion; a request judged harmful on its signs alone is a false alarm.
func TestSignsOnDefaultBenign(t *testing.T) {
	set := data.Instructions(embeddedSeed)
	n, signed, judged := 0, 0, 0
	seen := map[string]bool{}
	for _, e := range append(append([]data.Example{}, set.Train...), set.HeldOut...) {
		if e.Harmful || seen[e.Prompt] {
			continue
		}
		seen[e.Prompt] = true
		n++
		signs, cats := requestSigns(normalize(e.Prompt))
		if len(signs) == 0 {
			continue
		}
		signed++
		if len(HarmfulRequest(e.Prompt)) == 0 && len(harmOnSigns(signs, cats)) > 0 {
			if judged++; judged <= 5 {
				t.Errorf("benign prompt judged harmful on its signs %v: %q", signs, e.Prompt)
			}
		}
		if signed <= 10 {
			t.Logf("signs %v: %q", signs, e.Prompt)
		}
	}
	t.Logf("%d benign prompts of the default data: %d with a sign of harm, %d judged harmful on signs", n, signed, judged)
}
