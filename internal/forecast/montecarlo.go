package forecast

// rng is splitmix64: tiny, fast, and good enough for bootstrap sampling. Each
// 64-bit output yields four 16-bit draws.
type rng struct{ s uint64 }

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// simInput is what one simulation needs. All slices are read-only.
type simInput struct {
	trials    int
	seed      int64
	remaining int
	done      []int32 // items completed per working day (bootstrap samples)
	net       []int32 // done minus items added that day (growth on), or done
	maxSteps  int     // simulated working days before giving up
	dueSteps  int     // working days from today through the due date (0: none left)
}

// simResult holds histograms, not per-trial data: memory is independent of
// the number of trials.
type simResult struct {
	finish   []int32 // finish[k]: trials finishing on working day k (1-based)
	never    int     // trials not finishing within maxSteps
	capacity []int32 // capacity[k]: trials that completed k items by the due date (capped at remaining)
}

// simulate runs the Monte Carlo. Each trial bootstraps working days from the
// observed ones until the remaining work (growing by the day's additions when
// growth is modelled) reaches zero. No allocation happens inside the trials.
func simulate(in simInput) simResult {
	res := simResult{finish: make([]int32, in.maxSteps+1), capacity: make([]int32, in.remaining+1)}
	n := uint64(len(in.done))
	r := rng{s: uint64(in.seed)}
	var bits uint64
	left := 0
	done, net := in.done, in.net
	for t := 0; t < in.trials; t++ {
		rem := int32(in.remaining)
		var cum int32
		capAtDue := int32(-1)
		step := 0
		for rem > 0 && step < in.maxSteps {
			if left == 0 {
				bits = r.next()
				left = 4
			}
			idx := ((bits & 0xffff) * n) >> 16
			bits >>= 16
			left--
			rem -= net[idx]
			cum += done[idx]
			step++
			if step == in.dueSteps {
				capAtDue = cum
			}
		}
		if rem <= 0 {
			res.finish[step]++
		} else {
			res.never++
		}
		if capAtDue < 0 || capAtDue > int32(in.remaining) {
			// finished before the due date, or due date passed (dueSteps 0)
			if in.dueSteps == 0 {
				capAtDue = 0
			} else {
				capAtDue = int32(in.remaining)
			}
		}
		res.capacity[capAtDue]++
	}
	return res
}

// quantileStep is the first working day by which a share q of trials has
// finished, or -1 when that share never finishes within the horizon.
func (r simResult) quantileStep(q float64, trials int) int {
	need := int64(q*float64(trials) + 0.999999)
	if need < 1 {
		need = 1
	}
	var acc int64
	for k, c := range r.finish {
		acc += int64(c)
		if acc >= need {
			return k
		}
	}
	return -1
}

// finishedBy is the share of trials finishing on or before working day k.
func (r simResult) finishedBy(k, trials int) float64 {
	var acc int64
	for i := 0; i <= k && i < len(r.finish); i++ {
		acc += int64(r.finish[i])
	}
	return float64(acc) / float64(trials)
}

// capacityAt is the largest number of items completed by the due date in at
// least a share c of the trials.
func (r simResult) capacityAt(c float64, trials int) int {
	need := int64(c*float64(trials) + 0.999999)
	var acc int64
	for k := len(r.capacity) - 1; k >= 0; k-- {
		acc += int64(r.capacity[k])
		if acc >= need {
			return k
		}
	}
	return 0
}

// throughputAt is the number of items completed within steps working days in
// at least a share c of trials (no growth: it is about existing items).
func throughputAt(done []int32, steps, trials int, c float64, seed int64, limit int) int {
	if steps <= 0 || len(done) == 0 {
		return 0
	}
	hist := make([]int32, limit+1)
	n := uint64(len(done))
	r := rng{s: uint64(seed) ^ 0x5851f42d4c957f2d}
	var bits uint64
	left := 0
	for t := 0; t < trials; t++ {
		var cum int32
		for s := 0; s < steps && cum < int32(limit); s++ {
			if left == 0 {
				bits = r.next()
				left = 4
			}
			idx := ((bits & 0xffff) * n) >> 16
			bits >>= 16
			left--
			cum += done[idx]
		}
		if cum > int32(limit) {
			cum = int32(limit)
		}
		hist[cum]++
	}
	need := int64(c*float64(trials) + 0.999999)
	var acc int64
	for k := limit; k >= 0; k-- {
		acc += int64(hist[k])
		if acc >= need {
			return k
		}
	}
	return 0
}
