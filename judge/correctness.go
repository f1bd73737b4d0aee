package judge

import (
	"math"
	"regexp"
	"strconv"
	"strings"
)

// Checkable prompts: arithmetic written with digits and + - * / × ÷ or the
// words plus, minus, times, multiplied by, divided by; "the sum of 3 and 4",
// "the product of …", "the difference between …".
var (
	wordOps = []struct{ word, op string }{
		{"multiplied by", "*"}, {"divided by", "/"}, {"times", "*"}, {"plus", "+"}, {"minus", "-"},
	}
	timesX    = regexp.MustCompile(`(\d)\s*[x×]\s*(\d)`)
	mathCue   = regexp.MustCompile(`\b(what is|what's|whats|calculate|compute|solve|evaluate|how much is|work out)\b`)
	yearRange = regexp.MustCompile(`^\d{4}-\d{4}$`)
	sumOf     = regexp.MustCompile(`\b(sum|product|difference) (of|between) (-?\d+(?:\.\d+)?) and (-?\d+(?:\.\d+)?)\b`)
	exprRe    = regexp.MustCompile(`\(*\s*-?\d+(?:\.\d+)?(?:\s*\)*\s*[-+*/]\s*\(*\s*-?\d+(?:\.\d+)?\s*\)*)+`)
	numberRe  = regexp.MustCompile(`-?\d+(?:,\d{3})*(?:\.\d+)?`)
	answerIsR = regexp.MustCompile(`(?:answer is|equals|is equal to|=|is|makes|gives|get|result is)\s*:?\s*(-?\d+(?:,\d{3})*(?:\.\d+)?)`)
)

// CheckableAnswer returns the expected answer of an arithmetic question
// ("What is 12 + 7?", "Calculate 6 times 7", "What is the sum of 3 and 4?")
// and true, or false when the prompt holds no arithmetic to check.
func CheckableAnswer(prompt string) (float64, bool) {
	s := strings.ToLower(prompt)
	if m := sumOf.FindStringSubmatch(s); m != nil {
		a, _ := strconv.ParseFloat(m[3], 64)
		b, _ := strconv.ParseFloat(m[4], 64)
		switch m[1] {
		case "sum":
			return a + b, true
		case "product":
			return a * b, true
		default:
			return a - b, true
		}
	}
	if !mathCue.MatchString(s) {
		return 0, false
	}
	s = " " + s + " "
	for _, w := range wordOps {
		s = strings.ReplaceAll(s, " "+w.word+" ", " "+w.op+" ")
	}
	s = timesX.ReplaceAllString(s, "$1*$2")
	s = strings.NewReplacer("×", "*", "÷", "/", "−", "-").Replace(s)
	best := ""
	for _, m := range exprRe.FindAllString(s, -1) {
		if len(m) > len(best) {
			best = m
		}
	}
	if best == "" || yearRange.MatchString(strings.TrimSpace(best)) {
		return 0, false
	}
	v, ok := evalExpr(best)
	return v, ok && !math.IsInf(v, 0) && !math.IsNaN(v)
}

// evalExpr evaluates + - * / with precedence and parentheses.
func evalExpr(s string) (float64, bool) {
	p := &exprParser{s: strings.ReplaceAll(s, " ", "")}
	v, ok := p.sum()
	if !ok || p.i != len(p.s) {
		return 0, false
	}
	return v, true
}

type exprParser struct {
	s string
	i int
}

func (p *exprParser) sum() (float64, bool) {
	v, ok := p.product()
	for ok && p.i < len(p.s) && (p.s[p.i] == '+' || p.s[p.i] == '-') {
		op := p.s[p.i]
		p.i++
		var w float64
		w, ok = p.product()
		if op == '+' {
			v += w
		} else {
			v -= w
		}
	}
	return v, ok
}

func (p *exprParser) product() (float64, bool) {
	v, ok := p.atom()
	for ok && p.i < len(p.s) && (p.s[p.i] == '*' || p.s[p.i] == '/') {
		op := p.s[p.i]
		p.i++
		var w float64
		w, ok = p.atom()
		if op == '*' {
			v *= w
		} else {
			v /= w
		}
	}
	return v, ok
}

func (p *exprParser) atom() (float64, bool) {
	if p.i < len(p.s) && p.s[p.i] == '(' {
		p.i++
		v, ok := p.sum()
		if !ok || p.i >= len(p.s) || p.s[p.i] != ')' {
			return 0, false
		}
		p.i++
		return v, true
	}
	j := p.i
	if j < len(p.s) && p.s[j] == '-' {
		j++
	}
	for j < len(p.s) && (p.s[j] >= '0' && p.s[j] <= '9' || p.s[j] == '.') {
		j++
	}
	v, err := strconv.ParseFloat(p.s[p.i:j], 64)
	if err != nil {
		return 0, false
	}
	p.i = j
	return v, true
}

// finalNumber is the answer a response gives: the last number after "is",
// "=", "equals" and the like, else the last number in it.
func finalNumber(response string) (float64, bool) {
	s := strings.ToLower(response)
	var last string
	if ms := answerIsR.FindAllStringSubmatch(s, -1); len(ms) > 0 {
		last = ms[len(ms)-1][1]
	} else if ns := numberRe.FindAllString(s, -1); len(ns) > 0 {
		last = ns[len(ns)-1]
	} else {
		return 0, false
	}
	v, err := strconv.ParseFloat(strings.ReplaceAll(last, ",", ""), 64)
	return v, err == nil
}

// mentionsNumber reports whether x occurs among the numbers of s.
func mentionsNumber(s string, x float64) bool {
	for _, n := range numberRe.FindAllString(s, -1) {
		if v, err := strconv.ParseFloat(strings.ReplaceAll(n, ",", ""), 64); err == nil && sameNumber(v, x) {
			return true
		}
	}
	return false
}

func sameNumber(a, b float64) bool { return math.Abs(a-b) <= 1e-6*max(1, math.Abs(b)) }

func formatNumber(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
