package github_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/forewarn/forewarn/connectors/github"
	"github.com/forewarn/forewarn/internal/model/modeltest"
	fakegh "github.com/forewarn/forewarn/internal/testserver/github"
	"github.com/forewarn/forewarn/internal/tracker"
	"github.com/forewarn/forewarn/internal/worker"
)

// itemCounts is the number of work items of each judged milestone.
func itemCounts(rep tracker.Report) map[string]int {
	out := map[string]int{}
	for _, m := range rep.Milestones {
		out[m.Milestone.Key] = len(m.Milestone.Items)
	}
	return out
}

// The review repository is also a client repository read as a source
// (issue 14, item 1): forewarn's tickets in it get the milestone they are
// about, and one loses its labels (a person cleaned them up) so only its
// marker says whose it is. None of them is ever a work item: the item
// counts do not move and a re-poll finds every ticket up to date.
func TestOwnTicketsInASourceRepositoryAreNeverWorkItems(t *testing.T) {
	s := fakegh.New(testToken)
	defer s.Close()
	seed(s)
	cache := newCache()
	ctx := context.Background()
	mk := func() *worker.Worker {
		w := newWorker(t, s, cache)
		w.Target = newTarget(t, s, github.TargetConfig{Repo: "acme/web", Labels: []string{"client-comms"}}, cache)
		return w
	}
	first, err := mk().Run(ctx, tracker.ModeRun)
	if err != nil {
		t.Fatal(err)
	}
	if k := kinds(first); k[tracker.ActionCreate] != 2 || k["error"] != 0 {
		t.Fatalf("first run actions %v: want 2 creates", k)
	}
	before := itemCounts(first)
	var mine []int
	for _, is := range s.Issues("acme/web") {
		if _, ok := modeltest.ParseMarker(is.Body); ok {
			mine = append(mine, is.Number)
		}
	}
	if len(mine) != 2 {
		t.Fatalf("%d tickets in acme/web, want 2", len(mine))
	}
	// A person files both tickets under milestone 1 and strips every label
	// from the second: the marker alone identifies it.
	for i, n := range mine {
		s.Edit("acme/web", n, func(is *fakegh.Issue) {
			is.Milestone = 1
			if i == 1 {
				is.Labels = nil
			}
		})
	}

	for _, pass := range []struct {
		name  string
		cache *memCache
	}{{"re-poll", cache}, {"fresh process without cache", newCache()}} {
		w := mk()
		if pass.cache != cache {
			w = newWorker(t, s, pass.cache)
			w.Target = newTarget(t, s, github.TargetConfig{Repo: "acme/web", Labels: []string{"client-comms"}}, pass.cache)
		}
		rep, err := w.Run(ctx, tracker.ModeRun)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s counts %v notes %q", pass.name, itemCounts(rep), rep.Notes)
		if got := itemCounts(rep); !mapsEqual(got, before) {
			t.Errorf("%s: item counts %v, were %v: own tickets counted as work", pass.name, got, before)
		}
		for _, m := range rep.Milestones {
			for _, it := range m.Milestone.Items {
				num := it.Key[strings.LastIndexByte(it.Key, '#')+1:]
				for _, n := range mine {
					if num == strconv.Itoa(n) {
						t.Errorf("%s: own ticket %s is an item of %s", pass.name, it.Key, m.Milestone.Key)
					}
				}
			}
		}
		for _, a := range rep.Actions {
			if a.Kind != tracker.ActionNone || a.Reason != "up to date" {
				t.Errorf("%s: %s %s: %s %q, want up to date", pass.name, a.MilestoneKey, a.Purpose, a.Kind, a.Reason)
			}
		}
		if !slices.ContainsFunc(rep.Notes, func(n string) bool { return strings.Contains(n, "2 of forewarn's own ticket(s)") }) {
			t.Errorf("%s: notes %q do not say the own tickets were left out", pass.name, rep.Notes)
		}
		if len(s.Issues("acme/web")) != 9+2 {
			t.Errorf("%s: %d issues in acme/web", pass.name, len(s.Issues("acme/web")))
		}
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
