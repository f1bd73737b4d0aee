package quality

import "math"

// DawidSkene is the fit of the Dawid–Skene model (1979): every item has a
// hidden true class, every annotator a confusion matrix giving the chance of
// each label for each true class, fitted by expectation–maximisation.
type DawidSkene struct {
	Classes     int
	Prior       []float64             // [class]
	Confusion   map[int64][][]float64 // annotator → [true class][label]
	Posterior   map[int64][]float64   // item → [class]
	Reliability map[int64]float64     // annotator → Σ_c prior[c]·confusion[c][c]
	Iterations  int
}

// Vote is one label: annotator a gave item i class c.
type Vote struct {
	Item, Annotator int64
	Class           int
}

// FitDawidSkene fits the model to votes over classes classes. Items whose
// true class is known (gold) are clamped to it: they anchor the confusion
// matrices. The fit starts from the vote shares (soft majority vote) and runs
// at most maxIter EM steps. The confusion counts carry a small Dirichlet
// prior (1 on the diagonal, 0.25 elsewhere) so that sparse annotators keep
// finite, sensible estimates.
func FitDawidSkene(votes []Vote, classes int, gold map[int64]int, maxIter int) *DawidSkene {
	K := classes
	ds := &DawidSkene{Classes: K, Confusion: map[int64][][]float64{}, Posterior: map[int64][]float64{}, Reliability: map[int64]float64{}}
	byItem := map[int64][]Vote{}
	for _, v := range votes {
		byItem[v.Item] = append(byItem[v.Item], v)
		if ds.Confusion[v.Annotator] == nil {
			ds.Confusion[v.Annotator] = newMatrix(K)
		}
	}
	T := ds.Posterior
	for i, vs := range byItem {
		p := make([]float64, K)
		for _, v := range vs {
			p[v.Class]++
		}
		normalise(p)
		T[i] = p
		clampGold(p, gold, i)
	}
	ds.Prior = make([]float64, K)
	for iter := 1; iter <= maxIter; iter++ {
		ds.Iterations = iter
		// M step: class priors and confusion matrices from the posteriors.
		for c := range K {
			ds.Prior[c] = 1
		}
		for _, p := range T {
			for c := range K {
				ds.Prior[c] += p[c]
			}
		}
		normalise(ds.Prior)
		for _, m := range ds.Confusion {
			for c := range K {
				for l := range K {
					m[c][l] = 0.25
				}
				m[c][c] = 1
			}
		}
		for _, v := range votes {
			m, p := ds.Confusion[v.Annotator], T[v.Item]
			for c := range K {
				m[c][v.Class] += p[c]
			}
		}
		for _, m := range ds.Confusion {
			for c := range K {
				normalise(m[c])
			}
		}
		// E step: posteriors of the true classes.
		change := 0.0
		for i, vs := range byItem {
			logp := make([]float64, K)
			for c := range K {
				logp[c] = math.Log(ds.Prior[c])
				for _, v := range vs {
					logp[c] += math.Log(ds.Confusion[v.Annotator][c][v.Class])
				}
			}
			p := softmax(logp)
			clampGold(p, gold, i)
			for c := range K {
				change = math.Max(change, math.Abs(p[c]-T[i][c]))
			}
			T[i] = p
		}
		if change < 1e-6 {
			break
		}
	}
	for a, m := range ds.Confusion {
		r := 0.0
		for c := range K {
			r += ds.Prior[c] * m[c][c]
		}
		ds.Reliability[a] = r
	}
	return ds
}

func newMatrix(K int) [][]float64 {
	m := make([][]float64, K)
	for i := range m {
		m[i] = make([]float64, K)
	}
	return m
}

func clampGold(p []float64, gold map[int64]int, item int64) {
	if g, ok := gold[item]; ok {
		for c := range p {
			p[c] = 0
		}
		p[g] = 1
	}
}

func normalise(p []float64) {
	s := 0.0
	for _, v := range p {
		s += v
	}
	if s == 0 {
		for i := range p {
			p[i] = 1 / float64(len(p))
		}
		return
	}
	for i := range p {
		p[i] /= s
	}
}

func softmax(logp []float64) []float64 {
	m := math.Inf(-1)
	for _, v := range logp {
		m = math.Max(m, v)
	}
	p := make([]float64, len(logp))
	for i, v := range logp {
		p[i] = math.Exp(v - m)
	}
	normalise(p)
	return p
}
