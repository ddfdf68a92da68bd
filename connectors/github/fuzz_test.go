package github

import (
	"math"
	"testing"
	"time"

	"github.com/forewarn/forewarn/connectors"
)

// FuzzItemLabels: whatever labels an issue carries, its size is a finite,
// non-negative number and the mapping never panics.
func FuzzItemLabels(f *testing.F) {
	for _, l := range []string{"points:3", "size/M", "points: 2.5", "points:Inf", "points:NaN", "points:-1",
		"estimate:1e308", "SIZE/XL", "blocked", "in progress", "points:"} {
		f.Add(l, "points:1")
	}
	s, err := NewSource("fuzz", SourceConfig{Repos: []string{"a/b"}}, connectors.Env{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		is := &listedIssue{Number: 1, Title: "x", State: "open"}
		is.Labels = append(is.Labels, struct {
			Name string `json:"name"`
		}{a}, struct {
			Name string `json:"name"`
		}{b})
		w := s.item("a/b", is, time.Unix(0, 0))
		if math.IsNaN(w.Points) || math.IsInf(w.Points, 0) || w.Points < 0 {
			t.Fatalf("labels %q %q give size %v", a, b, w.Points)
		}
	})
}
