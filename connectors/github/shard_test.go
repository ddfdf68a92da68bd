package github_test

import (
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"testing"

	"github.com/forewarn/forewarn/connectors/github"
	fakegh "github.com/forewarn/forewarn/internal/testserver/github"
)

// shardOf is a worker's keep: the scopes that hash to i modulo n.
func shardOf(i, n int) func(string) bool {
	return func(scope string) bool {
		h := fnv.New32a()
		h.Write([]byte(scope))
		return int(h.Sum32()%uint32(n)) == i
	}
}

// The shards of a source split its milestones, not its repositories:
// together they read every milestone once, with the same items as one
// unsharded read, the milestones of one repository land in several
// shards, and the only request repeated is each repository's milestone
// listing (one per shard).
func TestShardsSplitTheMilestonesOfOneRepository(t *testing.T) {
	s := fakegh.New(testToken)
	defer s.Close()
	repos := []string{"acme/big", "acme/small"}
	for r, repo := range repos {
		s.AddRepo(repo)
		for m := 1; m <= 12-8*r; m++ {
			s.AddMilestone(repo, fakegh.Milestone{Number: m, Title: fmt.Sprintf("M%d", m), DueOn: pacificMidnight(2026, 12, m), CreatedAt: day(-30)})
			for k := range 3 {
				s.AddIssue(repo, fakegh.Issue{Number: 100*m + k, Title: "work", Milestone: m, CreatedAt: day(-20)})
			}
		}
	}
	cfg := github.SourceConfig{Repos: repos}
	whole := newSource(t, s, cfg, nil)
	all := fetch(t, whole)
	if len(all.Milestones) != 16 {
		t.Fatalf("unsharded read %d milestones, want 16", len(all.Milestones))
	}
	want := map[string]string{}
	for _, m := range all.Milestones {
		want[m.Key] = fmt.Sprint(m.Items)
	}
	const n = 3
	seen := map[string]int{}
	var requests int64
	shardsOfBig := map[int]bool{}
	for i := range n {
		part, ok := whole.Only(shardOf(i, n))
		if !ok {
			t.Fatalf("shard %d/%d: no source", i, n)
		}
		res := fetch(t, part)
		requests += part.Requests()
		for _, m := range res.Milestones {
			seen[m.Key]++
			if got := fmt.Sprint(m.Items); got != want[m.Key] {
				t.Errorf("shard %d: %s items %s, unsharded %s", i, m.Key, got, want[m.Key])
			}
			if m.Container == "acme/big" {
				shardsOfBig[i] = true
			}
		}
	}
	for k := range want {
		if seen[k] != 1 {
			t.Errorf("%s read by %d shards, want 1", k, seen[k])
		}
	}
	if len(seen) != len(want) {
		t.Errorf("shards read %d milestones, want %d", len(seen), len(want))
	}
	if len(shardsOfBig) < 2 {
		t.Errorf("the 12 milestones of acme/big went to shards %v: want them spread", slices.Sorted(maps.Keys(shardsOfBig)))
	}
	if extra := requests - whole.Requests(); extra != int64((n-1)*len(repos)) {
		t.Errorf("%d shards sent %d requests, one read %d: %d more, want %d (each repository's milestone listing once more per shard)",
			n, requests, whole.Requests(), extra, (n-1)*len(repos))
	}
}
