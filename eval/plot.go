package eval

import (
	"errors"
	"fmt"
	"image/color"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/align-project/align/internal/trainkit"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Series is one line of a plot.
type Series struct {
	Name string
	X, Y []float64
}

// palette is colour-blind friendly (Okabe–Ito).
var palette = []color.Color{
	color.RGBA{0, 114, 178, 255}, color.RGBA{213, 94, 0, 255}, color.RGBA{0, 158, 115, 255},
	color.RGBA{204, 121, 167, 255}, color.RGBA{230, 159, 0, 255}, color.RGBA{86, 180, 233, 255},
}

// PlotPNG draws the series as lines (with dots where a series has few
// points) into a 6×3.6 inch PNG at path. Series without points are left out;
// with none left it writes nothing and returns false.
func PlotPNG(path, title, xLabel, yLabel string, series []Series) (bool, error) {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	p.Add(plotter.NewGrid())
	p.Legend.Top = true
	drawn := 0
	for _, s := range series {
		n := min(len(s.X), len(s.Y))
		if n == 0 {
			continue
		}
		xys := make(plotter.XYs, 0, n)
		for i := range n {
			if isFinite(s.X[i]) && isFinite(s.Y[i]) {
				xys = append(xys, plotter.XY{X: s.X[i], Y: s.Y[i]})
			}
		}
		if len(xys) == 0 {
			continue
		}
		c := palette[drawn%len(palette)]
		l, err := plotter.NewLine(xys)
		if err != nil {
			return false, fmt.Errorf("plot %s: %w", title, err)
		}
		l.Color, l.Width = c, vg.Points(1.5)
		p.Add(l)
		p.Legend.Add(s.Name, l)
		if len(xys) <= 30 {
			sc, err := plotter.NewScatter(xys)
			if err != nil {
				return false, fmt.Errorf("plot %s: %w", title, err)
			}
			sc.Color, sc.Shape, sc.Radius = c, draw.CircleGlyph{}, vg.Points(2)
			p.Add(sc)
		}
		drawn++
	}
	if drawn == 0 {
		return false, nil
	}
	if err := p.Save(6*vg.Inch, 3.6*vg.Inch, path); err != nil {
		return false, fmt.Errorf("plot %s: %w", title, err)
	}
	return true, nil
}

func isFinite(x float64) bool { return x == x && x-x == 0 }

// metricsPath accepts a metrics.jsonl file or the stage directory holding
// one.
func metricsPath(p string) string {
	if st, err := os.Stat(p); err == nil && st.IsDir() {
		return filepath.Join(p, "metrics.jsonl")
	}
	return p
}

// ReadJSONLines reads the numeric and boolean fields of every line of a
// metrics.jsonl file (booleans as 0/1; other fields are dropped). A missing
// file gives no lines and fs.ErrNotExist; a torn last line (a run killed
// mid-write) is ignored.
func ReadJSONLines(path string) ([]map[string]float64, error) {
	raws, err := trainkit.ReadLog[map[string]any](metricsPath(path))
	if err != nil {
		return nil, err
	}
	out := make([]map[string]float64, 0, len(raws))
	for _, raw := range raws {
		m := make(map[string]float64, len(raw))
		for k, v := range raw {
			switch v := v.(type) {
			case float64:
				m[k] = v
			case bool:
				m[k] = 0
				if v {
					m[k] = 1
				}
			}
		}
		out = append(out, m)
	}
	return out, nil
}

// column extracts (x, y) where a line has both keys.
func column(lines []map[string]float64, xKey, yKey string) Series {
	var s Series
	for _, l := range lines {
		x, okx := l[xKey]
		y, oky := l[yKey]
		if okx && oky {
			s.X = append(s.X, x)
			s.Y = append(s.Y, y)
		}
	}
	return s
}

// last returns the value of key in the last line that has it.
func last(lines []map[string]float64, key string) *float64 {
	for i := len(lines) - 1; i >= 0; i-- {
		if v, ok := lines[i][key]; ok && isFinite(v) {
			return &v
		}
	}
	return nil
}

// best returns the smallest (or largest) value of key over the lines.
func best(lines []map[string]float64, key string, largest bool) *float64 {
	var b *float64
	for _, l := range lines {
		v, ok := l[key]
		if !ok || !isFinite(v) {
			continue
		}
		if b == nil || (largest && v > *b) || (!largest && v < *b) {
			b = &v
		}
	}
	return b
}

// readOptional reads a metrics file that may legitimately be absent (a
// stage that did not run): absence gives nil without error.
func readOptional(path string) ([]map[string]float64, error) {
	if path == "" {
		return nil, nil
	}
	lines, err := ReadJSONLines(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return lines, err
}
