package reward

import (
	"math"
	"slices"

	"github.com/align-project/align/data"
)

// LossConfig holds the optional parts of the loss.
type LossConfig struct {
	// MarginScale turns the ratings' gap into a margin: a pair whose chosen
	// response's mean rating exceeds the rejected one's by g (0..9) must win
	// by MarginScale·g/9. 0 turns rating margins off.
	MarginScale float64 `yaml:"margin_scale"`
	// UseMargin applies a record's explicit "margin" field (it takes
	// precedence over the ratings).
	UseMargin bool `yaml:"use_margin"`
	// Center is λ of the centring term λ·(mean reward of a batch element)².
	Center float64 `yaml:"center"`
	// RatingWeight scales the squared error of the criterion heads.
	RatingWeight float64 `yaml:"rating_weight"`
	// FlipRate ε, when positive, trains the preference head with the
	// flip-robust loss of [RobustPairLoss]: each label is taken to have been
	// flipped with probability ε. 0 (the default) is the plain loss.
	FlipRate float64 `yaml:"flip_rate"`
}

// Pair is one comparison inside a Group: response Chosen beats response
// Rejected with probability P (1 for a hard label) by at least Margin.
type Pair struct {
	Chosen, Rejected int
	P                float64
	Margin           float64
}

// Group is one batch element: a prompt, its distinct responses, their
// ratings where known, and the comparisons between them.
type Group struct {
	Prompt    string
	Responses []string
	Ratings   []*data.Rating // per response; nil where unknown
	Pairs     []Pair
}

// MakeGroups turns preferences into batch elements. With group set, the
// comparisons of one ranking become one element, as InstructGPT groups the
// K-choose-2 comparisons of K ranked responses: records that share an id
// (labelling writes the pair's id on each comparison of a pair) and a
// prompt. A record without an id is an element of its own, however many
// records share its prompt: independent pairs that happen to have the same
// instruction are not one ranking. An element takes at most maxPairs pairs
// (0: no limit) and [MaxGroupResponses] distinct responses; a bigger ranking
// is split into several elements. Without group, each record is an element
// of its own. Order follows the first appearance of each element.
func MakeGroups(prefs []data.Preference, group bool, maxPairs int, lc LossConfig) []Group {
	var out []Group
	open := map[[2]string]int{} // ranking (id, prompt) → index of its element still taking pairs
	for _, p := range prefs {
		key := [2]string{p.ID, p.Prompt}
		gi, ok := open[key]
		if ok && maxPairs > 0 && len(out[gi].Pairs) >= maxPairs {
			ok = false
		}
		if ok && len(out[gi].Responses)+out[gi].missing(p) > MaxGroupResponses {
			ok = false
		}
		if !group || p.ID == "" || !ok {
			out = append(out, Group{Prompt: p.Prompt})
			gi = len(out) - 1
			if group && p.ID != "" {
				open[key] = gi
			}
		}
		g := &out[gi]
		var rc, rr *data.Rating
		if p.Ratings != nil {
			rc, rr = p.Ratings.Chosen, p.Ratings.Rejected
		}
		c, r := g.response(p.Chosen, rc), g.response(p.Rejected, rr)
		g.Pairs = append(g.Pairs, Pair{Chosen: c, Rejected: r, P: label(p), Margin: margin(p, lc)})
	}
	return out
}

// MaxGroupResponses is the most distinct responses one batch element
// scores: the largest ranking a pair holds (data.MaxResponses), so a
// ranking stays whole unless max_group_pairs splits it, and records that
// share an id without being one ranking cannot make an element that
// outgrows a forward pass.
const MaxGroupResponses = data.MaxResponses

// missing counts the responses of p that g does not hold yet.
func (g *Group) missing(p data.Preference) int {
	n := 0
	for _, text := range [2]string{p.Chosen, p.Rejected} {
		if !slices.Contains(g.Responses, text) {
			n++
		}
	}
	return n
}

// response returns the index of text in g, adding it if new.
func (g *Group) response(text string, r *data.Rating) int {
	for i, s := range g.Responses {
		if s == text {
			if g.Ratings[i] == nil {
				g.Ratings[i] = r
			}
			return i
		}
	}
	g.Responses = append(g.Responses, text)
	g.Ratings = append(g.Ratings, r)
	return len(g.Responses) - 1
}

// label is the probability that chosen is better: p_chosen, else 1.
func label(p data.Preference) float64 {
	if p.PChosen != nil {
		return *p.PChosen
	}
	return 1
}

// margin is the record's explicit margin, or one from its ratings' gap.
func margin(p data.Preference, lc LossConfig) float64 {
	if lc.UseMargin && p.Margin != nil {
		return *p.Margin
	}
	if lc.MarginScale > 0 && p.Ratings != nil && p.Ratings.Chosen != nil && p.Ratings.Rejected != nil {
		gap := meanRating(p.Ratings.Chosen) - meanRating(p.Ratings.Rejected)
		return lc.MarginScale * max(0, gap) / 9
	}
	return 0
}

func meanRating(r *data.Rating) float64 {
	return float64(r.Coherence+r.Relevance+r.Safety) / 3
}

// RankingPreferences expands a ranking of responses to one prompt, best
// first, into its K-choose-2 preferences, which share the id of the ranking
// as a pair (data.PairID), so MakeGroups keeps them together.
func RankingPreferences(prompt string, ranked []string) []data.Preference {
	id := data.PairID(data.Pair{Prompt: prompt, Responses: ranked})
	var out []data.Preference
	for i := range ranked {
		for j := i + 1; j < len(ranked); j++ {
			out = append(out, data.Preference{ID: id, Prompt: prompt, Chosen: ranked[i], Rejected: ranked[j]})
		}
	}
	return out
}

// PairLoss is the loss of one comparison as a function of Δ = r_chosen −
// r_rejected, for the label p and the margin m (see the package doc), and
// its derivative with respect to Δ.
func PairLoss(delta, p, m float64) (loss, dDelta float64) {
	z := delta - (2*p-1)*m
	loss = p*softplus(-z) + (1-p)*softplus(z)
	return loss, sigmoid(z) - p
}

// RobustPairLoss is PairLoss under label noise: the observed label is taken
// to be the true one flipped with probability ε (0 ≤ ε < ½), so the chosen
// response is observed to win with probability
//
//	q = ε + (1−2ε)·σ(z),   z = Δ − (2p−1)·m
//
// and the loss is the cross-entropy −p·log q − (1−p)·log(1−q). It is
// PairLoss for ε = 0. For ε > 0 the loss of a pair the model confidently
// disagrees with levels off at −log ε and its gradient vanishes, so a
// flipped label cannot drag the model far; σ(z) still estimates the clean
// probability.
func RobustPairLoss(delta, p, m, eps float64) (loss, dDelta float64) {
	if eps <= 0 {
		return PairLoss(delta, p, m)
	}
	z := delta - (2*p-1)*m
	s := sigmoid(z)
	// q and 1−q from whichever of σ(z), σ(−z) is accurate.
	q := eps + (1-2*eps)*s
	nq := eps + (1-2*eps)*sigmoid(-z)
	loss = -p*math.Log(q) - (1-p)*math.Log(nq)
	dq := (1 - 2*eps) * s * (1 - s) // ∂q/∂z
	return loss, -(p/q - (1-p)/nq) * dq
}

// softplus is log(1 + eˣ), computed stably.
func softplus(x float64) float64 {
	return max(x, 0) + math.Log1p(math.Exp(-math.Abs(x)))
}

// ratingTarget maps a 1–10 rating to [−1, 1], the criterion heads' target.
func ratingTarget(r int) float64 { return (float64(r) - 5.5) / 4.5 }

// GroupLoss is the loss of one batch element. out holds the raw heads of its
// responses, (n, NumHeads) row major; the gradient with respect to out is
// written to grad (same shape). It returns the loss and the share of pairs
// ranked right by the preference head (ties count half).
//
// The preference part is the mean of PairLoss (RobustPairLoss when
// FlipRate > 0) over the pairs (each pair
// weighs 1/len(Pairs), 1/C(K,2) for a full ranking of K responses), the
// centring part λ·(mean preference score)², and the rating part
// RatingWeight times the mean squared error of the criterion heads against
// ratingTarget over the rated responses.
func GroupLoss(out, grad []float64, g *Group, lc LossConfig) (loss, correct float64) {
	const K = NumHeads
	n := len(g.Responses)
	clear(grad[:n*K])
	if len(g.Pairs) > 0 {
		w := 1 / float64(len(g.Pairs))
		for _, p := range g.Pairs {
			d := out[p.Chosen*K+HeadPreference] - out[p.Rejected*K+HeadPreference]
			l, dd := RobustPairLoss(d, p.P, p.Margin, lc.FlipRate)
			loss += w * l
			grad[p.Chosen*K+HeadPreference] += w * dd
			grad[p.Rejected*K+HeadPreference] -= w * dd
			correct += w * agree(d, p.P)
		}
	}
	if lc.Center > 0 && n > 0 {
		var mean float64
		for i := range n {
			mean += out[i*K+HeadPreference]
		}
		mean /= float64(n)
		loss += lc.Center * mean * mean
		for i := range n {
			grad[i*K+HeadPreference] += 2 * lc.Center * mean / float64(n)
		}
	}
	if lc.RatingWeight > 0 {
		var rated int
		for _, r := range g.Ratings {
			if r != nil {
				rated++
			}
		}
		if rated > 0 {
			w := lc.RatingWeight / float64(3*rated)
			for i, r := range g.Ratings {
				if r == nil {
					continue
				}
				for k, v := range [...]int{HeadCoherence: r.Coherence, HeadRelevance: r.Relevance, HeadSafety: r.Safety} {
					if k == HeadPreference {
						continue
					}
					e := out[i*K+k] - ratingTarget(v)
					loss += w * e * e
					grad[i*K+k] += 2 * w * e
				}
			}
		}
	}
	return loss, correct
}

// agree scores a prediction Δ against a label p: 1 when they point the same
// way, 0 when opposite, ½ for a tie on either side.
func agree(delta, p float64) float64 {
	switch {
	case p == 0.5 || delta == 0:
		return 0.5
	case (delta > 0) == (p > 0.5):
		return 1
	}
	return 0
}
