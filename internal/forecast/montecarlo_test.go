package forecast

import (
	"math/rand/v2"
	"testing"
)

func TestCapacityIsExact(t *testing.T) {
	// Days of 0 or 2 completions, equally likely. Over two days the total is
	// 0 (1/4), 2 (1/2) or 4 (1/4).
	done := []int32{0, 2}
	tests := []struct {
		steps, limit int
		c            float64
		want         int
	}{
		{2, 10, 0.75, 2},
		{2, 10, 0.25, 4},
		{2, 10, 0.95, 0},
		{2, 3, 0.25, 3}, // capped at the items that exist
		{1, 10, 0.5, 2},
		{0, 10, 0.5, 0},
		{40, 1000, 0.5, 40}, // median of 40 fair days: 20 twos
	}
	for _, tc := range tests {
		if got := capacity(done, identity(len(done)), tc.limit, capQuery{steps: tc.steps, c: tc.c})[0]; got != tc.want {
			t.Errorf("capacity(steps %d, limit %d, c %v) = %d, want %d", tc.steps, tc.limit, tc.c, got, tc.want)
		}
	}
}

// identity is a single "resample" that is the observed days themselves.
func identity(n int) *resamples { return newResamples(n, 1, 0) }

// naive is the plain day-by-day simulation the block sampler must match.
func naive(in simInput, seed uint64) simResult {
	res := simResult{finish: make([]int32, in.maxSteps+1)}
	r := rand.New(rand.NewPCG(seed, 7))
	for t := 0; t < in.trials; t++ {
		rem, step := int32(in.remaining), 0
		for rem > 0 && step < in.maxSteps {
			rem -= in.net[r.IntN(len(in.net))]
			step++
		}
		if rem <= 0 {
			res.finish[step]++
		} else {
			res.never++
		}
	}
	return res
}

func TestBlockSamplingMatchesDayByDay(t *testing.T) {
	tests := []struct {
		name string
		in   simInput
	}{
		{"steady", simInput{remaining: 150, net: []int32{2, 4, 0, 2, 1, 4, 2, 0, 3, 5, 2, 1, 3}, maxSteps: 520}},
		{"growth with negative days", simInput{remaining: 60, net: []int32{3, -2, 1, 4, 0, -1, 2, 5, 1}, maxSteps: 520}},
		{"short work", simInput{remaining: 80, net: []int32{1, 2, 3}, maxSteps: 300}},
		{"horizon cuts trials", simInput{remaining: 200, net: []int32{1, 0, 0, -1, 1}, maxSteps: 260}},
	}
	const trials = 40000
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.in.trials, tc.in.seed = trials, 3
			a := simResult{finish: make([]int32, tc.in.maxSteps+1)}
			simulate(tc.in, new(tables), &a)
			b := naive(tc.in, 11)
			for _, q := range []float64{0.1, 0.5, 0.85, 0.95} {
				ka, kb := a.quantileStep(q, trials), b.quantileStep(q, trials)
				if d := ka - kb; d < -1 || d > 1 {
					t.Errorf("q%.2f: block sampler %d, day by day %d", q, ka, kb)
				}
			}
			for _, k := range []int{10, 25, 45, 70} {
				pa, pb := a.finishedBy(k, trials), b.finishedBy(k, trials)
				if d := pa - pb; d < -0.015 || d > 0.015 {
					t.Errorf("P(finish by day %d): block %.4f, day by day %.4f", k, pa, pb)
				}
			}
			na, nb := float64(a.never)/trials, float64(b.never)/trials
			if d := na - nb; d < -0.015 || d > 0.015 {
				t.Errorf("never finishing: block %.4f, day by day %.4f", na, nb)
			}
		})
	}
}

// BenchmarkSimulate is the completion Monte Carlo alone on the reference
// milestone's figures (155 items left, the bench window's daily samples).
//
//	go test -run '^$' -bench Simulate -cpu 1 ./internal/forecast/
func BenchmarkSimulate(b *testing.B) {
	in := simInput{trials: 10000, seed: 1, remaining: 155, maxSteps: 520,
		net: []int32{2, 4, 0, 2, 1, 4, 2, 0, 3, 5, 2, 1, 3, 2, 4, 0, 2, 1, 4, 2, 0, 3, 5, 2, 1, 3, 2, 4, 0, 2}}
	b.ReportAllocs()
	var t tables
	for b.Loop() {
		res := simResult{finish: make([]int32, in.maxSteps+1)}
		simulate(in, &t, &res)
	}
}

func TestResamplingWidensShortHistories(t *testing.T) {
	// Eight observed days: the pace itself is uncertain, so the pooled
	// resamples must spread wider than the observed days alone.
	in := simInput{trials: 20000, seed: 5, remaining: 60, net: []int32{1, 3, 0, 2, 4, 1, 2, 3}, maxSteps: 520}
	plain := simulateBagged(in, identity(len(in.net)))
	bagged := simulateBagged(in, newResamples(len(in.net), 4, 9))
	p05, p95 := plain.quantileStep(0.05, in.trials), plain.quantileStep(0.95, in.trials)
	b05, b95 := bagged.quantileStep(0.05, in.trials), bagged.quantileStep(0.95, in.trials)
	if b95-b05 <= p95-p05 {
		t.Errorf("resampled 5-95 %% spread %d..%d is not wider than %d..%d", b05, b95, p05, p95)
	}
	again := simulateBagged(in, newResamples(len(in.net), 4, 9))
	if again.quantileStep(0.85, in.trials) != bagged.quantileStep(0.85, in.trials) || again.never != bagged.never {
		t.Error("resampling is not deterministic under its seed")
	}
}
