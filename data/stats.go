package data

import (
	"compress/gzip"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
)

// Stats describes a data file: what `align data stats FILE` prints.
type Stats struct {
	Name       string
	Format     Format
	Records    int // valid records (duplicates included)
	BadLines   int
	Warnings   int
	Duplicates int          // exact duplicates among the valid records
	Problems   []*LineError // the first bad lines and warnings
	Fields     []FieldStats // lengths of each text field, in a fixed order per format
	Tags       map[string]int
	Sources    map[string]int
	Roles      map[string]int       // messages per role (conversational SFT)
	Ratings    map[string]MeanCount // "chosen.safety" etc.
	PChosen    MeanCount            // soft labels
	Margin     MeanCount            // margins
	Responses  Dist                 // responses per pair
	fieldIndex map[string]int       // Fields by name, while counting
}

// FieldStats are the lengths of one text field over all records.
type FieldStats struct {
	Field string
	Bytes Dist
	Words Dist
}

// Dist summarises a list of non-negative integers.
type Dist struct {
	N        int
	Mean     float64
	P50, P90 int
	P99, Max int
	values   []int
}

// MeanCount is a mean and the number of values it is over.
type MeanCount struct {
	N    int
	Mean float64
}

func (m *MeanCount) add(v float64) {
	m.N++
	m.Mean += (v - m.Mean) / float64(m.N)
}

func (d *Dist) add(v int) { d.values = append(d.values, v) }

func (d *Dist) finish() {
	d.N = len(d.values)
	if d.N == 0 {
		return
	}
	slices.Sort(d.values)
	sum := 0
	for _, v := range d.values {
		sum += v
	}
	d.Mean = float64(sum) / float64(d.N)
	pct := func(p int) int { return d.values[(d.N-1)*p/100] }
	d.P50, d.P90, d.P99, d.Max = pct(50), pct(90), pct(99), d.values[d.N-1]
	d.values = nil
}

func (s *Stats) text(field, v string) {
	if s.fieldIndex == nil {
		s.fieldIndex = map[string]int{}
	}
	i, ok := s.fieldIndex[field]
	if !ok {
		i = len(s.Fields)
		s.fieldIndex[field] = i
		s.Fields = append(s.Fields, FieldStats{Field: field})
	}
	f := &s.Fields[i]
	f.Bytes.add(len(v))
	f.Words.add(len(strings.Fields(v)))
}

func (s *Stats) tags(tags []string) {
	for _, t := range tags {
		s.Tags[t]++
	}
}

func (s *Stats) rating(side string, r *Rating) {
	if r == nil {
		return
	}
	for name, v := range map[string]int{"coherence": r.Coherence, "relevance": r.Relevance, "safety": r.Safety} {
		m := s.Ratings[side+"."+name]
		m.add(float64(v))
		s.Ratings[side+"."+name] = m
	}
}

func (s *Stats) add(rec Record) {
	s.Records++
	switch r := rec.(type) {
	case Text:
		s.text("text", r.Text)
	case SFT:
		if len(r.Messages) == 0 {
			s.text("prompt", r.Prompt)
			s.text("completion", r.Completion)
		}
		for _, m := range r.Messages {
			s.Roles[m.Role]++
			s.text(m.Role, m.Content)
		}
	case Prompt:
		s.text("prompt", r.Prompt)
		s.tags(r.Tags)
	case Pair:
		s.text("prompt", r.Prompt)
		for _, x := range r.Responses {
			s.text("response", x)
		}
		s.Responses.add(len(r.Responses))
		s.tags(r.Tags)
	case Preference:
		s.text("prompt", r.Prompt)
		s.text("chosen", r.Chosen)
		s.text("rejected", r.Rejected)
		s.tags(r.Tags)
		if r.Source != "" {
			s.Sources[r.Source]++
		}
		if r.Ratings != nil {
			s.rating("chosen", r.Ratings.Chosen)
			s.rating("rejected", r.Ratings.Rejected)
		}
		if r.PChosen != nil {
			s.PChosen.add(*r.PChosen)
		}
		if r.Margin != nil {
			s.Margin.add(*r.Margin)
		}
	}
}

// ComputeStats reads a stream of the given format leniently (bad lines are
// counted, not fatal) and summarises it. HH-RLHF files are described as the
// preferences they import as.
func ComputeStats(r io.Reader, name string, f Format, opts ReadOptions) (Stats, error) {
	opts.Strict = false
	s := Stats{Name: name, Format: f, Tags: map[string]int{}, Sources: map[string]int{},
		Roles: map[string]int{}, Ratings: map[string]MeanCount{}}
	var d Dedup
	var rep Report
	var err error
	switch f {
	case FormatText:
		rep, err = Read(r, name, opts, statsFn[Text](&s, &d))
	case FormatSFT:
		rep, err = Read(r, name, opts, statsFn[SFT](&s, &d))
	case FormatPrompt:
		rep, err = Read(r, name, opts, statsFn[Prompt](&s, &d))
	case FormatPair:
		rep, err = Read(r, name, opts, statsFn[Pair](&s, &d))
	case FormatPreference:
		rep, err = Read(r, name, opts, statsFn[Preference](&s, &d))
	case FormatHH:
		rep, err = ReadHH(r, name, opts, statsFn[Preference](&s, &d))
	default:
		return s, fmt.Errorf("stats %s: unknown format", name)
	}
	s.BadLines, s.Warnings, s.Problems = rep.Bad, rep.Warnings, rep.Problems
	for i := range s.Fields {
		s.Fields[i].Bytes.finish()
		s.Fields[i].Words.finish()
	}
	s.Responses.finish()
	s.fieldIndex = nil
	return s, err
}

func statsFn[T Record](s *Stats, d *Dedup) func(T) error {
	return func(rec T) error {
		if d.Seen(rec) {
			s.Duplicates++
		}
		s.add(rec)
		return nil
	}
}

// StatsFile detects the format of the JSONL file at path (".gz" is
// decompressed) and computes its [Stats].
func StatsFile(path string) (Stats, error) {
	open := func() (io.ReadCloser, error) {
		f, err := os.Open(path)
		if err != nil || !strings.HasSuffix(path, ".gz") {
			return f, err
		}
		zr, err := gzip.NewReader(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		return struct {
			io.Reader
			io.Closer
		}{zr, f}, nil
	}
	rc, err := open()
	if err != nil {
		return Stats{Name: path}, err
	}
	f, err := DetectFormat(rc, 0)
	rc.Close()
	if err != nil {
		return Stats{Name: path}, fmt.Errorf("%s: %w", path, err)
	}
	if f == FormatUnknown {
		return Stats{Name: path}, fmt.Errorf("%s: cannot tell the format from the first record's fields", path)
	}
	if rc, err = open(); err != nil {
		return Stats{Name: path}, err
	}
	defer rc.Close()
	return ComputeStats(rc, path, f, ReadOptions{})
}

// WriteText prints s for people, one fact a line.
func (s *Stats) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "file        %s\nformat      %s\nrecords     %d\n", s.Name, s.Format, s.Records)
	fmt.Fprintf(&b, "bad lines   %d\nwarnings    %d\nduplicates  %d\n", s.BadLines, s.Warnings, s.Duplicates)
	if len(s.Fields) > 0 {
		fmt.Fprintf(&b, "\n%-12s %8s %8s %8s %8s %8s   %s\n", "length", "mean", "p50", "p90", "p99", "max", "(bytes; words below)")
		for _, f := range s.Fields {
			fmt.Fprintf(&b, "%-12s %8.1f %8d %8d %8d %8d\n", f.Field, f.Bytes.Mean, f.Bytes.P50, f.Bytes.P90, f.Bytes.P99, f.Bytes.Max)
			fmt.Fprintf(&b, "%-12s %8.1f %8d %8d %8d %8d\n", "", f.Words.Mean, f.Words.P50, f.Words.P90, f.Words.P99, f.Words.Max)
		}
	}
	if s.Responses.N > 0 {
		fmt.Fprintf(&b, "\nresponses per pair: mean %.2f, max %d\n", s.Responses.Mean, s.Responses.Max)
	}
	counts := func(title string, m map[string]int) {
		if len(m) == 0 {
			return
		}
		fmt.Fprintf(&b, "\n%s\n", title)
		for _, k := range slices.Sorted(maps.Keys(m)) {
			fmt.Fprintf(&b, "  %-30s %d\n", k, m[k])
		}
	}
	counts("tags", s.Tags)
	counts("sources", s.Sources)
	counts("roles", s.Roles)
	if len(s.Ratings) > 0 {
		fmt.Fprintf(&b, "\nratings (mean)\n")
		for _, k := range slices.Sorted(maps.Keys(s.Ratings)) {
			fmt.Fprintf(&b, "  %-30s %.2f (n=%d)\n", k, s.Ratings[k].Mean, s.Ratings[k].N)
		}
	}
	if s.PChosen.N > 0 {
		fmt.Fprintf(&b, "\np_chosen    mean %.3f (n=%d)\n", s.PChosen.Mean, s.PChosen.N)
	}
	if s.Margin.N > 0 {
		fmt.Fprintf(&b, "margin      mean %.3f (n=%d)\n", s.Margin.Mean, s.Margin.N)
	}
	if len(s.Problems) > 0 {
		fmt.Fprintf(&b, "\nproblems (first %d)\n", len(s.Problems))
		for _, p := range s.Problems {
			fmt.Fprintf(&b, "  %v\n", p)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
