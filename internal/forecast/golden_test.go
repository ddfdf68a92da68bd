package forecast_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/forewarn/forewarn/internal/forecast"
	"github.com/forewarn/forewarn/internal/model"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestGoldenForecasts pins every field of whole forecasts (as JSON), so any
// change in a figure, a date, a signal or an explanation shows up in review.
// Rewrite with: go test ./internal/forecast/ -run Golden -update
func TestGoldenForecasts(t *testing.T) {
	tests := []struct {
		name string
		m    model.Milestone
		now  time.Time
		o    forecast.Options
	}{
		{"steady", steady(d(20)), at(16, 12), forecast.Options{}},
		{"noisy-growth", func() model.Milestone {
			m := noisy(90, 40)
			for i := 0; i < 8; i++ {
				m.Items = append(m.Items, model.WorkItem{Key: "LATE-" + string(rune('a'+i)), Created: model.At(d(10 + i)), JoinedAt: model.At(d(10 + i)),
					Status: model.StatusTodo, Points: 3, Estimated: true, Rank: i + 1})
			}
			m.Items[70].Blocked, m.Items[70].BlockedSince = true, model.At(d(25))
			return m
		}(), d(2).AddDate(0, 0, 30).Add(9 * time.Hour), forecast.Options{Trials: 5000, Seed: 42, Holidays: []string{"2026-04-06"}}},
		{"insufficient", steady(d(20)), at(4, 12), forecast.Options{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := forecast.Compute(tc.m, tc.now, tc.o)
			got, err := json.MarshalIndent(f, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", tc.name+".golden.json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("forecast differs from %s (run with -update if the change is intended):\n%s", path, got)
			}
		})
	}
}
