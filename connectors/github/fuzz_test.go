package github

import (
	"math"
	"testing"
	"time"

	gh "github.com/google/go-github/v62/github"

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
		is := &gh.Issue{Number: gh.Int(1), Title: gh.String("x"), State: gh.String("open"),
			Labels: []*gh.Label{{Name: gh.String(a)}, {Name: gh.String(b)}}}
		w := s.item("a/b", is, time.Unix(0, 0))
		if math.IsNaN(w.Points) || math.IsInf(w.Points, 0) || w.Points < 0 {
			t.Fatalf("labels %q %q give size %v", a, b, w.Points)
		}
	})
}
