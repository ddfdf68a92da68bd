package backtest

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// A generated input is one draw of the generator: its P85 calibration
// differs from one seed to the next by more than the binomial error of its
// ~4,000 checkpoints suggests, because a milestone's checkpoints succeed
// or fail together. -gen-seeds runs several seeds and prints, per input,
// the calibration of each and of all of them pooled, with its standard
// error over milestones (clustered: each milestone's checkpoints count as
// one observation), so a figure on one seed can be told from a bias.

// MaxGenSeeds bounds -gen-seeds.
const MaxGenSeeds = 50

// parseSeeds reads "1-6" or "1,3,5" (or both, "1-3,7"): positive seeds,
// each once, at most MaxGenSeeds.
func parseSeeds(s string) ([]int64, error) {
	var out []int64
	seen := map[int64]bool{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.ParseInt(lo, 10, 64)
		if err != nil || a <= 0 {
			return nil, fmt.Errorf("%q is not a positive seed or a range of them (1-6)", part)
		}
		b := a
		if isRange {
			b, err = strconv.ParseInt(hi, 10, 64)
			if err != nil || b < a {
				return nil, fmt.Errorf("%q is not a range of seeds from low to high (1-6)", part)
			}
		}
		for x := a; x <= b; x++ {
			if seen[x] {
				return nil, fmt.Errorf("seed %d is listed twice", x)
			}
			if len(out) == MaxGenSeeds {
				return nil, fmt.Errorf("more than %d seeds", MaxGenSeeds)
			}
			seen[x] = true
			out = append(out, x)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no seed")
	}
	return out, nil
}

// clusteredSE is the standard error of the share ΣByDue ÷ ΣN over
// milestones whose checkpoints are cells: the sandwich estimate with each
// milestone as a cluster, √(G ÷ (G − 1) × Σ (ByDue − p × N)²) ÷ ΣN (NaN
// with fewer than two milestones).
func clusteredSE(cells []onTimeCell) float64 {
	var n, y, g int
	for _, c := range cells {
		if c.N > 0 {
			n, y, g = n+c.N, y+c.ByDue, g+1
		}
	}
	if g < 2 {
		return math.NaN()
	}
	p := float64(y) / float64(n)
	var ss float64
	for _, c := range cells {
		if c.N > 0 {
			r := float64(c.ByDue) - p*float64(c.N)
			ss += r * r
		}
	}
	return math.Sqrt(ss*float64(g)/float64(g-1)) / float64(n)
}

// seedLine is one row of the seeds table: one seed's result, or the
// seeds pooled.
type seedLine struct {
	label     string
	cal       []onTimeCell // by checkpoint bucket, then all
	se        float64
	truly     onTimeCell
	skill     float64 // the product's calibrated P(on time): Brier skill, ROC AUC
	auc       float64
	skillNote string // "mean of seeds" on the pooled line
}

func lineOf(label string, r Result) seedLine {
	l := seedLine{label: label, cal: r.OnTrack.Calibration, se: clusteredSE(r.OnTrack.CalibrationByMilestone),
		truly: r.OnTrack.Truly[len(shareBuckets)], skill: math.NaN(), auc: math.NaN()}
	for _, row := range r.Rows {
		if row.Method == DefaultMethod {
			l.skill, l.auc = row.BrierSkill, row.AUC
		}
	}
	return l
}

// markdownSeeds prints one input's results over the seeds (in order) and
// pooled.
func markdownSeeds(w io.Writer, input string, seeds []int64, rs []Result) {
	fmt.Fprintf(w, "### %s over generator seeds %s\n\n", input, seedList(seeds))
	fmt.Fprint(w, "P85 calibration (checkpoints finishing on or before their P85) by checkpoint, share of the life elapsed; ± is one standard error over milestones. Truly on track: checkpoints the generator itself finds on track with P85 on or before the due date.\n\n")
	shareHeader(w, "Seed", "all", "truly on track: P85 ≤ due", "calibrated P(on time): Brier skill / ROC AUC")
	pooled := seedLine{label: "pooled", cal: make([]onTimeCell, len(shareBuckets)+1), skillNote: "mean of seeds "}
	var all []onTimeCell
	var skill, auc float64
	for i, r := range rs {
		l := lineOf(strconv.FormatInt(seeds[i], 10), r)
		printSeedLine(w, l)
		for s, c := range l.cal {
			pooled.cal[s].N += c.N
			pooled.cal[s].ByDue += c.ByDue
		}
		pooled.truly.N += l.truly.N
		pooled.truly.ByDue += l.truly.ByDue
		all = append(all, r.OnTrack.CalibrationByMilestone...)
		skill += l.skill / float64(len(rs))
		auc += l.auc / float64(len(rs))
	}
	pooled.se, pooled.skill, pooled.auc = clusteredSE(all), skill, auc
	printSeedLine(w, pooled)
	fmt.Fprintln(w)
}

func printSeedLine(w io.Writer, l seedLine) {
	fmt.Fprintf(w, "| %s |", l.label)
	for _, c := range l.cal[:len(shareBuckets)] {
		fmt.Fprintf(w, " %s |", pct(ratio(c.ByDue, c.N)))
	}
	c := l.cal[len(shareBuckets)]
	se := ""
	if !math.IsNaN(l.se) {
		se = fmt.Sprintf(" ± %.1f", 100*l.se)
	}
	truly := "—"
	if l.truly.N > 0 {
		truly = fmt.Sprintf("%s (n=%d)", pct(ratio(l.truly.ByDue, l.truly.N)), l.truly.N)
	}
	fmt.Fprintf(w, " **%s**%s (n=%d) | %s | %s%s / %s |\n", pct(ratio(c.ByDue, c.N)), se, c.N, truly, l.skillNote, signed(l.skill), dec(l.auc))
}

func seedList(seeds []int64) string {
	s := make([]string, len(seeds))
	for i, x := range seeds {
		s[i] = strconv.FormatInt(x, 10)
	}
	return strings.Join(s, ", ")
}
