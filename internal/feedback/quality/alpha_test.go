package quality

import (
	"math"
	"testing"
)

// Krippendorff's own example (Computing Krippendorff's Alpha-Reliability,
// 2011): four coders, twelve units, missing values as NaN.
var kripp = [4][12]float64{
	{1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan},
	{1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3},
	{nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan},
	{1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan},
}

var nan = math.NaN()

func TestAlphaKrippendorffExample(t *testing.T) {
	var units [][]float64
	for u := range 12 {
		var vals []float64
		for c := range 4 {
			if v := kripp[c][u]; !math.IsNaN(v) {
				vals = append(vals, v)
			}
		}
		units = append(units, vals)
	}
	for _, tc := range []struct {
		name   string
		metric Metric
		want   float64
	}{{"nominal", Nominal, 0.743}, {"interval", Interval, 0.849}} {
		if got := Alpha(units, tc.metric); math.Abs(got-tc.want) > 0.0005 {
			t.Errorf("%s α = %.4f, want %.3f", tc.name, got, tc.want)
		}
	}
	if a := Alpha([][]float64{{1, 1}, {2, 2}}, Nominal); a != 1 {
		t.Errorf("perfect agreement α = %v", a)
	}
	if a := Alpha([][]float64{{1}}, Nominal); !math.IsNaN(a) {
		t.Errorf("unpairable α = %v", a)
	}
}
