package forecast

import (
	"slices"
	"testing"
	"time"
)

// Hand-checked fill-ins of the days on which the team ran out of work.
func TestCapacitySamplesHandChecked(t *testing.T) {
	T, F := true, false
	tests := []struct {
		name     string
		done     []int32
		out      []bool
		want     []int32
		ranOut   int
		wantMean float64
	}{
		{
			// Days with work left over closed 0, 2 and 3. Product limit:
			// P(0) = 1/7 (seven days may be 0: the three and the four that
			// ran out at 1); at 1 no day with work left over closed 1, so
			// the four that ran out at 1 leave the risk set having said
			// only "not 0"; P(2) = 6/7 × 1/2 = 3/7, P(3) = 3/7. Above 1:
			// 2 and 3 with 1/2 each; the four ran-out days get the
			// quantiles 1/8, 3/8, 5/8, 7/8 of it: 2, 2, 3, 3.
			name: "ran out at 1: filled in from the days that left work over",
			done: []int32{1, 1, 1, 1, 0, 2, 3}, out: []bool{T, T, T, T, F, F, F},
			want: []int32{2, 2, 3, 3, 0, 2, 3}, ranOut: 4, wantMean: 15.0 / 7,
		},
		{
			name: "no day ran out: unchanged",
			done: []int32{1, 0, 2}, out: []bool{F, F, F},
			want: []int32{1, 0, 2}, ranOut: 0, wantMean: 1,
		},
		{
			name: "every day ran out: nothing to fill in from, unchanged",
			done: []int32{1, 1, 2}, out: []bool{T, T, T},
			want: []int32{1, 1, 2}, ranOut: 0, wantMean: 4.0 / 3,
		},
		{
			// The only day that left work over closed 1, a day ran out at 3:
			// some pace was above 1. Product limit: P(0) = 0, P(1) = 1/2
			// (at 1 the day that closed 1 and the one that ran out at 3).
			// The other half goes above 1 as a geometric with the hazard
			// 1 ÷ (1 + 5) (one day with work left over, five items done),
			// cut at 2 × 3: weights (5/6)^k at 2 … 6, scaled to 1/2 (0.139,
			// 0.116, 0.097, 0.081, 0.067). The day that ran out at 3 gets
			// the median above 3 (0.180 of 0.361): 4; the one at 1 the
			// median above 1: 1. Never below a day's own count.
			name: "above the highest count with work left over: a geometric tail",
			done: []int32{1, 3, 1}, out: []bool{F, T, T},
			want: []int32{1, 4, 1}, ranOut: 2, wantMean: 2,
		},
		{
			// P(0) = 1/3; the rest is geometric with the hazard 1 ÷ (1 +
			// 10) over 1 … 10 (2 × the highest count, 5): the two days that
			// ran out at 5 get its quantiles 1/4 and 3/4 above 5: 6 and 9.
			name: "the tail stops at twice the highest count of any day",
			done: []int32{0, 5, 5}, out: []bool{F, T, T},
			want: []int32{0, 6, 9}, ranOut: 2, wantMean: 5,
		},
		{
			// A day with nothing open and nothing done (ran out at 0) says
			// nothing: P(1) = 1/2, P(2) = 1/2, its quantile 1/2 is 1.
			name: "ran out at 0",
			done: []int32{0, 2, 1}, out: []bool{T, F, F},
			want: []int32{1, 2, 1}, ranOut: 1, wantMean: 4.0 / 3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, n := capacitySamples(tt.done, tt.out)
			if !slices.Equal(got, tt.want) || n != tt.ranOut {
				t.Errorf("capacitySamples = %v, %d; want %v, %d", got, n, tt.want, tt.ranOut)
			}
			if m := mean(got); m < tt.wantMean-1e-9 || m > tt.wantMean+1e-9 {
				t.Errorf("mean %.4f, want %.4f", m, tt.wantMean)
			}
		})
	}
}

// ranOut: per working day, nothing open at its end. Days are numbered from
// 0 = Monday; the weekend's events count for no slot of their own.
func TestRanOutHandChecked(t *testing.T) {
	s := Options{}.resolve()
	mon := dayNum(time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC))
	items := []item{
		{join: mon, doneDay: mon, removed: never},         // filed and closed Monday
		{join: mon + 1, doneDay: mon + 2, removed: never}, // open Tuesday night
		{join: mon + 3, doneDay: never, removed: mon + 4}, // left on Friday unfinished: open Thursday night
		{join: mon + 5, doneDay: mon + 7, removed: never}, // filed Saturday, closed Monday: the weekend is not a slot
		{join: mon + 4, doneDay: never, removed: never},   // still open: Friday (and after) not run out
	}
	got := ranOut(items[:4], &s, mon, mon+8, 6)
	want := []bool{true, false, true, false, true, true} // Mon..Fri, next Mon
	if !slices.Equal(got, want) {
		t.Errorf("ranOut = %v, want %v", got, want)
	}
	got = ranOut(items, &s, mon, mon+8, 6)
	want = []bool{true, false, true, false, false, false}
	if !slices.Equal(got, want) {
		t.Errorf("with an item left open: ranOut = %v, want %v", got, want)
	}
}
