package quality

import (
	"math"
	"sort"
)

// Metric is the squared distance δ² between two values of a variable.
type Metric func(a, b float64) float64

// Nominal is the metric of categories: 0 when equal, 1 otherwise.
func Nominal(a, b float64) float64 {
	if a == b {
		return 0
	}
	return 1
}

// Interval is the metric of interval scales: (a-b)².
func Interval(a, b float64) float64 { return (a - b) * (a - b) }

// Alpha returns Krippendorff's α for units, each unit the values the coders
// gave it (missing values left out). Units with fewer than two values are not
// pairable and are ignored. α = 1 - Do/De, computed from the coincidence
// matrix of values. It returns NaN when there is nothing to compare or when
// every value is the same (De = 0).
func Alpha(units [][]float64, metric Metric) float64 {
	index := map[float64]int{}
	var values []float64
	for _, u := range units {
		if len(u) < 2 {
			continue
		}
		for _, v := range u {
			if _, ok := index[v]; !ok {
				index[v] = len(values)
				values = append(values, v)
			}
		}
	}
	sort.Float64s(values)
	for i, v := range values {
		index[v] = i
	}
	V := len(values)
	if V == 0 {
		return math.NaN()
	}
	// o[c][k]: coincidences of values c and k within units, each pair of
	// values in a unit with m values weighing 1/(m-1).
	o := make([][]float64, V)
	for i := range o {
		o[i] = make([]float64, V)
	}
	for _, u := range units {
		m := len(u)
		if m < 2 {
			continue
		}
		w := 1 / float64(m-1)
		for i, a := range u {
			for j, b := range u {
				if i != j {
					o[index[a]][index[b]] += w
				}
			}
		}
	}
	nc := make([]float64, V)
	n := 0.0
	for c := range V {
		for k := range V {
			nc[c] += o[c][k]
		}
		n += nc[c]
	}
	var do, de float64
	for c := range V {
		for k := range V {
			d := metric(values[c], values[k])
			do += o[c][k] * d
			de += nc[c] * nc[k] * d
		}
	}
	if de == 0 {
		return math.NaN()
	}
	return 1 - (n-1)*do/de
}
