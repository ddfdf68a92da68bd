package backtest

import (
	"math"
	"time"

	"github.com/forewarn/forewarn/internal/model"
)

// The logistic warning score: a small, L2-regularised logistic model of
// "will miss" over features any tracker gives at any checkpoint, whether or
// not the forecast has enough data:
//
//	elapsed   share of the start→due time elapsed
//	done      share of today's scope done
//	remaining log(1 + items remaining)
//	added     share of today's scope added after the commitment point
//	mc        logit of the forecast's P(on time), clamped to [0.02, 0.98],
//	          when the forecast gives one (ok or diverging), else 0
//	hasMC     1 when it does
//	record    the team's record (share of its earlier milestones missed,
//	          Case.Record) − 0.5; 0 when unknown
//
// The backtest fits it on the checkpoints of an input (seen data) and,
// where an input has several projects, on all projects but one and scores
// the one left out (cross-project): the honest figure for a team whose
// history the model has not seen.
const nFeatures = 8 // including the intercept

func features(f model.Forecast, c *Case, at time.Time) []float64 {
	x := make([]float64, nFeatures)
	x[0] = 1
	if c.Due.After(c.Start) {
		x[1] = at.Sub(c.Start).Hours() / c.Due.Add(24*time.Hour).Sub(c.Start).Hours()
	}
	if f.ScopeItems > 0 {
		x[2] = float64(f.DoneItems) / float64(f.ScopeItems)
		x[4] = float64(f.AddedAfterStart) / float64(f.ScopeItems)
	}
	x[3] = math.Log1p(float64(f.RemainingItems))
	if hasProb(f) {
		p := min(max(f.ProbOnTime, 0.02), 0.98)
		x[5] = math.Log(p / (1 - p))
		x[6] = 1
	}
	if c.Record > 0 {
		x[7] = c.Record - 0.5
	}
	return x
}

// fitLogistic fits the weights by Newton's method with an L2 penalty lambda
// on every weight but the intercept (features are used as they are: all
// lie within a few units). y[i] is 1 for a miss.
func fitLogistic(xs [][]float64, y []bool, lambda float64) []float64 {
	w := make([]float64, nFeatures)
	if len(xs) == 0 {
		return w
	}
	for iter := 0; iter < 25; iter++ {
		var g [nFeatures]float64
		var h [nFeatures][nFeatures]float64
		for i, x := range xs {
			p := sigmoid(dot(w, x))
			t := 0.0
			if y[i] {
				t = 1
			}
			for a := 0; a < nFeatures; a++ {
				g[a] += (p - t) * x[a]
				for b := 0; b < nFeatures; b++ {
					h[a][b] += p * (1 - p) * x[a] * x[b]
				}
			}
		}
		for a := 1; a < nFeatures; a++ {
			g[a] += lambda * w[a]
			h[a][a] += lambda
		}
		for a := 0; a < nFeatures; a++ {
			h[a][a] += 1e-9
		}
		step := solve(h, g)
		var moved float64
		for a := range w {
			w[a] -= step[a]
			moved = max(moved, math.Abs(step[a]))
		}
		if moved < 1e-8 {
			break
		}
	}
	return w
}

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

func dot(w, x []float64) float64 {
	var s float64
	for i := range w {
		s += w[i] * x[i]
	}
	return s
}

// solve solves h·s = g by Gaussian elimination with partial pivoting.
func solve(h [nFeatures][nFeatures]float64, g [nFeatures]float64) []float64 {
	n := nFeatures
	for col := 0; col < n; col++ {
		piv := col
		for r := col + 1; r < n; r++ {
			if math.Abs(h[r][col]) > math.Abs(h[piv][col]) {
				piv = r
			}
		}
		h[col], h[piv] = h[piv], h[col]
		g[col], g[piv] = g[piv], g[col]
		for r := col + 1; r < n; r++ {
			f := h[r][col] / h[col][col]
			for k := col; k < n; k++ {
				h[r][k] -= f * h[col][k]
			}
			g[r] -= f * g[col]
		}
	}
	s := make([]float64, n)
	for r := n - 1; r >= 0; r-- {
		v := g[r]
		for k := r + 1; k < n; k++ {
			v -= h[r][k] * s[k]
		}
		s[r] = v / h[r][r]
	}
	return s
}

// logisticLambda is the L2 penalty: strong enough that no single feature
// dominates on a few hundred checkpoints, weak next to thousands.
const logisticLambda = 1.0

// addLogistic fills the two logistic methods' probabilities, scores and
// warnings (warn when P(on time) < 0.5): "seen" fitted on every case's
// checkpoints, "cross" fitted on the other groups' (cross-project; NaN
// when there is a single group).
func addLogistic(cases []Case, out [][]judged, seen, cross int) {
	var xs [][]float64
	var ys []bool
	var gs []string
	for i := range cases {
		for _, j := range out[i] {
			xs, ys, gs = append(xs, j.x), append(ys, cases[i].Missed), append(gs, cases[i].Group)
		}
	}
	w := fitLogistic(xs, ys, logisticLambda)
	groups := map[string][]float64{}
	for _, g := range gs {
		if _, ok := groups[g]; ok || len(groups) > 8 {
			continue
		}
		var ox [][]float64
		var oy []bool
		for i := range xs {
			if gs[i] != g {
				ox, oy = append(ox, xs[i]), append(oy, ys[i])
			}
		}
		groups[g] = nil
		if len(ox) > 0 {
			groups[g] = fitLogistic(ox, oy, logisticLambda)
		}
	}
	for i := range cases {
		for k := range out[i] {
			j := &out[i][k]
			set := func(m int, w []float64) {
				if w == nil {
					return
				}
				miss := sigmoid(dot(w, j.x))
				j.prob[m], j.scores[m], j.warn[m] = 1-miss, miss, miss > 0.5
			}
			set(seen, w)
			if len(groups) > 1 {
				set(cross, groups[cases[i].Group])
			}
		}
	}
}
