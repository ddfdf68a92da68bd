package backtest

import (
	"math"
	"slices"
	"strings"
	"testing"
)

// The standard error over milestones, hand-checked:
//   - two milestones of two checkpoints, one held both, the other none:
//     p = 2/4, residuals +1 and −1, √(2/1 × 2) ÷ 4 = 0.5;
//   - every milestone holding the same share: 0;
//   - milestones with no checkpoint are not clusters; one milestone: NaN;
//   - 3 of 4 and 1 of 2 and 2 of 2: p = 6/8, residuals 0, −0.5, +0.5,
//     √(3/2 × 0.5) ÷ 8 = 0.1083.
func TestClusteredSE(t *testing.T) {
	for _, tc := range []struct {
		cells []onTimeCell
		want  float64
	}{
		{[]onTimeCell{{2, 2}, {2, 0}}, 0.5},
		{[]onTimeCell{{4, 2}, {2, 1}, {6, 3}}, 0},
		{[]onTimeCell{{0, 0}, {3, 2}}, math.NaN()},
		{[]onTimeCell{{4, 3}, {2, 1}, {2, 2}, {0, 0}}, math.Sqrt(1.5*0.5) / 8},
	} {
		got := clusteredSE(tc.cells)
		if math.IsNaN(tc.want) != math.IsNaN(got) || !math.IsNaN(got) && math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("clusteredSE(%v) = %v, want %v", tc.cells, got, tc.want)
		}
	}
}

func TestParseSeeds(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []int64
		err  string
	}{
		{"1-6", []int64{1, 2, 3, 4, 5, 6}, ""},
		{"1,3, 5", []int64{1, 3, 5}, ""},
		{"2-3,7", []int64{2, 3, 7}, ""},
		{"4", []int64{4}, ""},
		{"3-1", nil, `"3-1" is not a range of seeds from low to high`},
		{"0", nil, `"0" is not a positive seed`},
		{"1,x", nil, `"x" is not a positive seed`},
		{"1-3,2", nil, "seed 2 is listed twice"},
		{"1-51", nil, "more than 50 seeds"},
	} {
		got, err := parseSeeds(tc.in)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("parseSeeds(%q): error %v, want %q", tc.in, err, tc.err)
		case tc.err == "" && (err != nil || !slices.Equal(got, tc.want)):
			t.Errorf("parseSeeds(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}
