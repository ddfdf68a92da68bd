package forecast

import "math/bits"

// The simulation. Each trial replays the future one working day at a time,
// each day a copy of a day drawn at random (with replacement) from the
// observed window: its completions, and, when scope growth is modelled, its
// additions. A trial ends on the day the remaining work reaches zero.
//
// Speed without approximation: while a trial's remaining work is so large
// that it cannot possibly reach zero within the next B days (remaining >
// B × the best day observed), only the total over those B days matters, and
// that total is drawn in one go from its exact distribution (the B-fold
// convolution of the daily distribution, sampled with an alias table). Near
// the finish, and around the due date, the trial steps day by day. The
// result has the same distribution as the plain day-by-day simulation.

// rng is wyrand: one multiplication per 64 random bits, deterministic.
type rng struct{ s uint64 }

func (r *rng) next() uint64 {
	r.s += 0xa0761d6478bd642f
	hi, lo := bits.Mul64(r.s, r.s^0xe7037ed1a0b428db)
	return hi ^ lo
}

// uniform draws an index in [0, n) from the top 32 bits of x.
func uniform(x uint64, n int) int { return int(((x >> 32) * uint64(n)) >> 32) }

// block is the exact distribution of the sum of `days` daily draws.
type block struct {
	days  int
	lo    int32     // smallest possible sum
	hi    int32     // largest possible sum
	pmf   []float64 // pmf[i] is the probability of the sum lo+i
	alias []aliasEntry
}

// aliasEntry: keep index i when the low 32 bits of the draw are below
// thresh, else take alias.
type aliasEntry struct {
	thresh uint32
	alias  int32
}

func (b *block) draw(x uint64) int32 {
	i := uniform(x, len(b.alias))
	e := b.alias[i]
	if uint32(x) >= e.thresh {
		i = int(e.alias)
	}
	return b.lo + int32(i)
}

// maxBlockCost bounds the work spent building one block table (convolution
// of two supports); larger blocks are skipped, which only costs speed.
const maxBlockCost = 1 << 18

// blocks builds the tables for 2, 4, 8, 16 and 32 days from the daily
// samples: element L holds 2^L days (element 0 is unused). Levels whose
// table would be too costly to build are left out.
func blocks(samples []int32, withAlias bool) []block {
	lo, hi := samples[0], samples[0]
	for _, v := range samples {
		lo, hi = min(lo, v), max(hi, v)
	}
	pmf := make([]float64, hi-lo+1)
	for _, v := range samples {
		pmf[v-lo] += 1 / float64(len(samples))
	}
	out := make([]block, 1, 6)
	out[0] = block{days: 1, lo: lo, hi: hi, pmf: pmf}
	if withAlias {
		out[0].alias = aliasOf(pmf)
	}
	for days := 2; days <= 32; days *= 2 {
		if len(pmf)*len(pmf) > maxBlockCost {
			break
		}
		next := make([]float64, 2*len(pmf)-1)
		for i, p := range pmf {
			if p == 0 {
				continue
			}
			for j, q := range pmf {
				next[i+j] += p * q
			}
		}
		pmf, lo, hi = next, 2*lo, 2*hi
		b := block{days: days, lo: lo, hi: hi, pmf: pmf}
		if withAlias {
			b.alias = aliasOf(pmf)
		}
		out = append(out, b)
	}
	return out
}

// level is the largest block level (days = 2^level) not above maxDays and
// available in a table of n levels; 0 means step a single day.
func level(maxDays int, n int) int {
	if maxDays < 2 {
		return 0
	}
	return min(bits.Len(uint(maxDays))-1, n-1)
}

func aliasOf(pmf []float64) []aliasEntry {
	t, a := aliasTable(pmf)
	out := make([]aliasEntry, len(t))
	for i := range t {
		out[i] = aliasEntry{thresh: t[i], alias: a[i]}
	}
	return out
}

// aliasTable is Vose's alias method over pmf.
func aliasTable(pmf []float64) ([]uint32, []int32) {
	n := len(pmf)
	scaled := make([]float64, n)
	small := make([]int32, 0, n)
	large := make([]int32, 0, n)
	for i, p := range pmf {
		scaled[i] = p * float64(n)
		if scaled[i] < 1 {
			small = append(small, int32(i))
		} else {
			large = append(large, int32(i))
		}
	}
	thresh := make([]uint32, n)
	alias := make([]int32, n)
	for len(small) > 0 && len(large) > 0 {
		s, l := small[len(small)-1], large[len(large)-1]
		small = small[:len(small)-1]
		thresh[s] = toThreshold(scaled[s])
		alias[s] = l
		scaled[l] -= 1 - scaled[s]
		if scaled[l] < 1 {
			large = large[:len(large)-1]
			small = append(small, l)
		}
	}
	for _, l := range large {
		thresh[l], alias[l] = ^uint32(0), l
	}
	for _, s := range small { // rounding leftovers: probability one
		thresh[s], alias[s] = ^uint32(0), s
	}
	return thresh, alias
}

func toThreshold(p float64) uint32 {
	switch {
	case p <= 0:
		return 0
	case p >= 1:
		return ^uint32(0)
	}
	return uint32(p * (1 << 32))
}

// simInput is what one simulation needs. Slices are read-only.
type simInput struct {
	trials    int
	seed      int64
	remaining int
	net       []int32 // per observed working day: completions minus net additions (growth on), or completions
	maxSteps  int     // simulated working days before giving up
	dueSteps  int     // working days from today through the due date
}

// simResult holds histograms, never per-trial data.
type simResult struct {
	finish []int32 // finish[k]: trials finishing on working day k (1-based)
	never  int     // trials not finishing within maxSteps
}

// simulate runs the completion Monte Carlo. Memory is allocated once per
// call, never per trial.
func simulate(in simInput) simResult {
	res := simResult{finish: make([]int32, in.maxSteps+1)}
	best := in.net[0]
	for _, v := range in.net {
		best = max(best, v)
	}
	if best <= 0 { // no observed day reduces the work: no trial can finish
		res.never = in.trials
		return res
	}
	bl := blocks(in.net, true)
	top := len(bl) - 1
	// byRem[rem] is the longest block level that cannot finish rem items:
	// 2^level × best < rem. Above the table, the top level.
	byRem := make([]uint8, (int32(1)<<top)*best+1)
	for rem := range byRem {
		byRem[rem] = uint8(level((rem-1)/int(best), len(bl)))
	}
	r := rng{s: uint64(in.seed)}
	rem0 := int32(in.remaining)
	// Trials run in interleaved lanes so the CPU overlaps their chains of
	// dependent steps; the order of draws is fixed, so results stay
	// deterministic.
	var rem [lanes]int32
	var step [lanes]int
	started := 0
	for started < in.trials {
		k := min(lanes, in.trials-started)
		for i := 0; i < k; i++ {
			rem[i], step[i] = rem0, 0
		}
		started += k
		for live := k; live > 0; {
			live = 0
			for i := 0; i < k; i++ {
				if rem[i] <= 0 || step[i] >= in.maxSteps {
					continue
				}
				live++
				x := r.next()
				// The longest block that cannot finish the work and stays
				// on one side of the due date and within the horizon.
				room := in.maxSteps - step[i]
				if step[i] < in.dueSteps {
					room = in.dueSteps - step[i]
				}
				l := level(room, len(bl))
				if int(rem[i]) < len(byRem) {
					l = min(l, int(byRem[rem[i]]))
				}
				// Level 0 is a single day: the same code path, no branch
				// for the CPU to mispredict.
				b := &bl[l]
				rem[i] -= b.draw(x)
				step[i] += b.days
			}
		}
		for i := 0; i < k; i++ {
			if rem[i] <= 0 {
				res.finish[step[i]]++
			} else {
				res.never++
			}
		}
	}
	return res
}

// lanes is how many trials run interleaved.
const lanes = 8

// quantileStep is the first working day by which a share q of trials has
// finished, or -1 when that share does not finish within the horizon.
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

// capacity is the number of items completed within `steps` working days
// with probability at least c, capped at limit. It counts completions only:
// it is about the items that exist now (the cut line, quick wins). The sum
// of `steps` daily draws is computed exactly, by convolving the block
// distributions, rather than sampled.
// bl are the blocks of the daily completions (blocks(done, false)).
func capacity(bl []block, steps int, c float64, limit int) int {
	if steps <= 0 || len(bl) == 0 || limit <= 0 {
		return 0
	}
	dist := make([]float64, limit+1) // dist[k]: P(min(sum, limit) = k)
	dist[0] = 1
	tmp := make([]float64, limit+1)
	for left := steps; left > 0; {
		l := level(left, len(bl))
		b := &bl[l]
		left -= b.days
		clear(tmp)
		for i, p := range dist {
			if p == 0 {
				continue
			}
			for j, q := range b.pmf {
				tmp[min(i+int(b.lo)+j, limit)] += p * q
			}
		}
		dist, tmp = tmp, dist
	}
	var acc float64
	for k := limit; k > 0; k-- {
		acc += dist[k]
		if acc >= c-1e-9 {
			return k
		}
	}
	return 0
}
