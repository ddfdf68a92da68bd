package backtest

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/forewarn/forewarn/internal/forecast"
)

// Proper scores of a method over judged checkpoints. A checkpoint's
// outcome y is 1 when the milestone missed its date. p is the method's
// probability of finishing on time (NaN: the method gives none there); s is
// its warning score, higher meaning more likely to miss (NaN: none).

// brier is the mean squared error of the probabilities of finishing on
// time, and the Brier skill score against always answering the base rate
// of the same checkpoints: 1 − brier / (b(1 − b)). NaN when there is no
// probability, or when every outcome is the same (no skill to measure).
func brier(p []float64, missed []bool) (bs, skill float64, n int) {
	var sum, onTime float64
	for i, x := range p {
		if math.IsNaN(x) {
			continue
		}
		y := 0.0
		if !missed[i] {
			y = 1
		}
		sum += (x - y) * (x - y)
		onTime += y
		n++
	}
	if n == 0 {
		return math.NaN(), math.NaN(), 0
	}
	bs = sum / float64(n)
	b := onTime / float64(n)
	ref := b * (1 - b)
	if ref == 0 {
		return bs, math.NaN(), n
	}
	return bs, 1 - bs/ref, n
}

// auc is the ROC AUC of the scores: the chance that a checkpoint of a
// missed milestone scores above one of a milestone on time (ties count a
// half). NaN without both kinds.
func auc(s []float64, missed []bool) float64 {
	type pt struct {
		s float64
		y bool
	}
	var pts []pt
	var pos, neg float64
	for i, x := range s {
		if math.IsNaN(x) {
			continue
		}
		pts = append(pts, pt{x, missed[i]})
		if missed[i] {
			pos++
		} else {
			neg++
		}
	}
	if pos == 0 || neg == 0 {
		return math.NaN()
	}
	slices.SortFunc(pts, func(a, b pt) int {
		switch {
		case a.s < b.s:
			return -1
		case a.s > b.s:
			return 1
		}
		return 0
	})
	// Rank sum of the positives, ties given their mean rank.
	var rankSum float64
	for i := 0; i < len(pts); {
		j := i
		for j < len(pts) && pts[j].s == pts[i].s {
			j++
		}
		mean := float64(i+j+1) / 2 // ranks i+1..j
		for k := i; k < j; k++ {
			if pts[k].y {
				rankSum += mean
			}
		}
		i = j
	}
	return (rankSum - pos*(pos+1)/2) / (pos * neg)
}

// precisionAtRecall is the precision of warning on every checkpoint
// scoring at or above the highest threshold whose recall reaches r (tied
// scores warn together). NaN without a missed checkpoint.
func precisionAtRecall(s []float64, missed []bool, r float64) float64 {
	idx := make([]int, 0, len(s))
	var pos int
	for i, x := range s {
		if !math.IsNaN(x) {
			idx = append(idx, i)
		}
		if missed[i] {
			pos++ // missed checkpoints without a score can never be caught
		}
	}
	if pos == 0 {
		return math.NaN()
	}
	slices.SortFunc(idx, func(a, b int) int {
		switch {
		case s[a] > s[b]:
			return -1
		case s[a] < s[b]:
			return 1
		}
		return 0
	})
	var tp, fp int
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && s[idx[j]] == s[idx[i]] {
			if missed[idx[j]] {
				tp++
			} else {
				fp++
			}
			j++
		}
		if float64(tp)/float64(pos) >= r-1e-12 {
			return float64(tp) / float64(tp+fp)
		}
		i = j
	}
	return math.NaN() // recall r is never reached
}

// Bin is one row of a reliability table: probabilities of finishing on
// time in [Lo, Hi), their mean, and the share that did.
type Bin struct {
	Lo, Hi   float64
	N        int
	MeanP    float64
	OnTime   float64
	Observed int
}

// reliability bins the probabilities in deciles.
func reliability(p []float64, missed []bool) []Bin {
	bins := make([]Bin, 10)
	for i := range bins {
		bins[i].Lo, bins[i].Hi = float64(i)/10, float64(i+1)/10
	}
	for i, x := range p {
		if math.IsNaN(x) {
			continue
		}
		k := min(int(x*10), 9)
		bins[k].N++
		bins[k].MeanP += x
		if !missed[i] {
			bins[k].Observed++
		}
	}
	for i := range bins {
		if bins[i].N > 0 {
			bins[i].MeanP /= float64(bins[i].N)
			bins[i].OnTime = float64(bins[i].Observed) / float64(bins[i].N)
		}
	}
	return bins
}

// CSV is one CSV file a backtest writes across its inputs: the header
// once, then every input's rows, each beginning with its input's name.
type CSV struct {
	w      *csv.Writer
	header bool
}

// NewCSV writes CSV rows to w.
func NewCSV(w io.Writer) *CSV { return &CSV{w: csv.NewWriter(w)} }

func (c *CSV) write(header []string, rows func(emit func(...string))) error {
	if !c.header {
		c.w.Write(header)
		c.header = true
	}
	rows(func(r ...string) { c.w.Write(r) })
	c.w.Flush()
	return c.w.Error()
}

// csvNum is a number as a CSV field: empty for NaN, else as short as it
// reads back exactly (prec −1) or to prec significant digits.
func csvNum(x float64, prec int) string {
	if math.IsNaN(x) {
		return ""
	}
	return strconv.FormatFloat(x, 'g', prec, 64)
}

func csvBool(v bool) string {
	if v {
		return "1"
	}
	return "0"
}

// writePredictions writes one CSV row per judged checkpoint and method:
// input, project, milestone, checkpoint (its date and, where it has one,
// its share of the planned time), method, probability of finishing on
// time (empty when the method gives none), warning score (empty when
// none), warned (0/1) and outcome (1: the milestone missed its date).
// Anyone can rescore the backtest from it.
func writePredictions(c *CSV, input string, cases []Case, out [][]judged) error {
	err := c.write([]string{"input", "project", "milestone", "checkpoint", "share", "method", "prob_on_time", "score", "warned", "missed"},
		func(emit func(...string)) {
			for i := range cases {
				for _, j := range out[i] {
					for k, m := range methods {
						emit(input, cases[i].Group, cases[i].Key, j.at.Format(time.DateOnly), j.label, m.name,
							csvNum(j.prob[k], 6), csvNum(j.scores[k], 6), csvBool(j.warn[k]), csvBool(cases[i].Missed))
					}
				}
			}
		})
	if err != nil {
		return fmt.Errorf("writing the predictions: %w", err)
	}
	return nil
}

// writeFeatures writes one CSV row per judged checkpoint: input, project,
// milestone, checkpoint, share, outcome (missed) and the calibration's
// features (forecast.CalibrationFeatures, named as in the header, exact):
// what the product's P(on time) is fitted on, to refit or study it with
// any tool.
func writeFeatures(c *CSV, input string, cases []Case, out [][]judged) error {
	header := []string{"input", "project", "milestone", "checkpoint", "share", "missed"}
	header = append(header, forecast.CalibrationFeatureNames[:]...)
	err := c.write(header, func(emit func(...string)) {
		for i := range cases {
			for _, j := range out[i] {
				row := []string{input, cases[i].Group, cases[i].Key, j.at.Format(time.DateOnly), j.label, csvBool(cases[i].Missed)}
				for _, x := range j.x {
					row = append(row, csvNum(x, -1))
				}
				emit(row...)
			}
		}
	})
	if err != nil {
		return fmt.Errorf("writing the features: %w", err)
	}
	return nil
}
