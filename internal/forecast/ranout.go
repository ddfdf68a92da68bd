package forecast

// A team that keeps up with a milestone whose issues are filed as it goes
// (the GitHub shape: an issue filed a day, closed a day or two later) often
// finishes everything that is open: on such a day it closed what there was,
// not what it could have. Its completions that day are a lower bound of its
// pace. Resampled as they are, they make the forecast believe the team works
// exactly as fast as issues are filed, so that every issue still to be filed
// before the due date pushes the finish past it: on generated milestones of
// that shape that finished on time, P85 fell on or before the due date at
// only 10 % of checkpoints.
//
// ranOut finds those days; capacitySamples fills them in from the days on
// which work was left over: a Kaplan–Meier estimate of the distribution of
// a day's pace, a day's count being right-censored when the team ran out of
// work. The estimate never exceeds the highest count the team reached on a
// day with work left over (or the day's own count): it places no pace the
// data did not show. It runs once per resampled history (simulateBagged),
// so a pace filled in from few days carries its uncertainty into the dates.

// ranOut reports, for each working-day slot of throughput over [from, to),
// whether nothing in the milestone was open at the end of that working day:
// every item that had joined by then, and not left, was done.
func ranOut(items []item, s *settings, from, to int64, slots int) []bool {
	span := int(to - from)
	open := make([]int32, span+1) // difference array: items open at the end of each day
	for i := range items {
		it := &items[i]
		end := min(it.doneDay, it.removed) // open from the day it joined to the day it was done or left
		begin := max(it.join, from)
		if end <= begin || begin >= to {
			continue
		}
		open[begin-from]++
		if end < to {
			open[end-from]--
		}
	}
	out := make([]bool, slots)
	k, n := -1, int32(0)
	for i := 0; i < span; i++ {
		n += open[i]
		if s.isWork(from + int64(i)) {
			k++
			if k < slots {
				out[k] = n == 0
			}
		}
	}
	return out
}

// capacitySamples returns the daily completions with each day on which the
// team ran out of work (out[i]) replaced by what it could have done, and how
// many days ran out (0 when no day left work over to fill them in from).
//
// A day that ran out with c completions says the pace was at least c; the
// days with work left over say how it is spread. The product-limit estimate
// of P(pace = v) uses both: the hazard at v is the number of days with work
// left over that closed exactly v, over the days whose pace may be v (those
// closing v or more with work left over, and those that ran out above v).
//
// Above the highest count closed on a day with work left over the days say
// nothing of the spread, only that some paces were higher (the days that ran
// out above it). A team starved by the filings shows few such days, all with
// low counts (a day with much work open is rare), and cutting the estimate
// there made its pace about a tenth too slow. So the estimate goes on above
// it with a constant hazard: that of a geometric pace fitted to every day
// (the censored maximum-likelihood estimate: days with work left over ÷
// (those days + the items done on every day)), up to tailCap × the highest
// count on any day (the geometric cut there and scaled to what is left). Each replaced day gets a
// quantile of the estimate above its own count: the m days that ran out at
// count c get the quantiles (j + ½)/m, j = 0 … m−1, so the result is
// deterministic. With no day that left work over, nothing is known beyond
// the counts and nothing changes.
func capacitySamples(done []int32, out []bool) ([]int32, int) {
	top, censored, sum := int32(0), 0, 0
	for i, v := range done {
		top = max(top, v)
		sum += int(v)
		if out[i] {
			censored++
		}
	}
	if censored == 0 {
		return done, 0
	}
	hi := tailCap * top
	exact := make([]int, hi+1) // days with work left over, by count
	cens := make([]int, hi+1)  // days that ran out, by count
	maxExact := int32(-1)
	for i, v := range done {
		if out[i] {
			cens[v]++
		} else {
			exact[v]++
			maxExact = max(maxExact, v)
		}
	}
	if maxExact < 0 {
		return done, 0 // no day left work over: nothing to fill in from
	}
	pmf := make([]float64, hi+1)
	exactDays := len(done) - censored
	exactFrom, censAbove := exactDays, censored // exact ≥ v, ran out > v
	geometric := float64(exactDays) / float64(exactDays+sum)
	surv := 1.0
	for v := int32(0); v <= maxExact; v++ {
		censAbove -= cens[v]
		h := float64(exact[v]) / float64(exactFrom+censAbove) // exactFrom ≥ 1 up to maxExact
		pmf[v] = surv * h
		surv *= 1 - h
		exactFrom -= exact[v]
	}
	if surv > 0 { // days ran out above maxExact: a geometric tail up to hi
		var norm float64
		w := 1.0
		for v := maxExact + 1; v <= hi; v++ {
			pmf[v] = w
			norm += w
			w *= 1 - geometric
		}
		for v := maxExact + 1; v <= hi; v++ {
			pmf[v] *= surv / norm
		}
	}
	res := make([]int32, len(done))
	seen := make([]int, hi+1) // days that ran out at each count, filled in so far
	for i, v := range done {
		res[i] = v
		if !out[i] || v >= hi {
			continue // with work left over, or at the cap: kept
		}
		var tail float64
		for w := v; w <= hi; w++ {
			tail += pmf[w]
		}
		q := (float64(seen[v]) + 0.5) / float64(cens[v]) * tail
		seen[v]++
		var acc float64
		for w := v; w <= hi; w++ {
			acc += pmf[w]
			if acc >= q-1e-12 {
				res[i] = w
				break
			}
		}
	}
	return res, censored
}

// tailCap bounds the filled-in pace: at most this many times the highest
// count the team closed on any day.
const tailCap = 2
