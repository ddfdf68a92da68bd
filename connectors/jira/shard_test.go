package jira_test

import (
	"context"
	"fmt"
	"hash/fnv"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn/connectors/jira"
	"github.com/forewarn/forewarn/internal/model"
	fake "github.com/forewarn/forewarn/internal/testserver/jira"
	"github.com/forewarn/forewarn/internal/tracker"
)

// shardOf is a worker's keep: the scopes that hash to i modulo n.
func shardOf(i, n int) func(string) bool {
	return func(scope string) bool {
		h := fnv.New32a()
		h.Write([]byte(scope))
		return int(h.Sum32()%uint32(n)) == i
	}
}

// The shards of a Jira source split a project's fix versions among them
// and give each board's sprints to one: together they read every version
// and sprint once, with the same items as one unsharded read.
func TestShardsSplitTheVersionsOfOneProject(t *testing.T) {
	s := newSite(t, true)
	for v := range 12 {
		id := fmt.Sprint(20100 + v)
		s.srv.AddVersion(fake.Version{ID: id, Project: "BIG", Name: fmt.Sprintf("1.%d", v), ReleaseDate: fmt.Sprintf("2026-04-%02d", v+1)})
		for range 3 {
			s.srv.AddIssue(fake.Issue{Project: "BIG", Summary: "work " + id, FixVersions: []string{id}, Created: day("2026-03-01")})
		}
	}
	s.srv.AddVersion(fake.Version{ID: "20200", Project: "SMALL", Name: "1.0", ReleaseDate: "2026-04-30"})
	sprintBoard := map[string]int{}
	for b := 3; b <= 6; b++ {
		for k := range 2 {
			id := int64(10*b + k)
			sprintBoard[jira.SprintKey(strings.TrimPrefix(s.srv.URL, "http://"), id)] = b
			s.srv.AddSprint(fake.Sprint{ID: id, Board: b, Name: fmt.Sprintf("Sprint %d", id), State: "active",
				Start: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), End: time.Date(2026, 3, 16, 17, 0, 0, 0, time.UTC)})
			s.srv.AddIssue(fake.Issue{Project: "TEAM", Summary: fmt.Sprintf("sprint work %d", id), Sprints: []int64{id}, Created: day("2026-03-01")})
		}
	}
	cfg := jira.SourceConfig{ConnConfig: s.conn, Projects: []string{"BIG", "SMALL"}, Boards: []int{3, 4, 5, 6}, Client: "acme"}
	// Each worker keeps its own sync snapshot (the app prefixes a shard's
	// cache entries), so each gets a cache of its own here.
	source := func() *jira.Source {
		env := s.env
		env.Cache = &memCache{}
		src, err := jira.NewSource("jira", cfg, env)
		if err != nil {
			t.Fatal(err)
		}
		return src
	}
	all := fetch(t, source())
	if len(all.Milestones) != 13+8 {
		t.Fatalf("unsharded read %d milestones, want 21", len(all.Milestones))
	}
	want := map[string]string{}
	for _, m := range all.Milestones {
		want[m.Key] = fmt.Sprint(m.Items)
	}
	const n = 3
	seen := map[string]int{}
	shardsOfBig := map[int]bool{}
	boardShard := map[int]map[int]bool{}
	for i := range n {
		part, ok := source().Only(shardOf(i, n))
		if !ok {
			continue
		}
		res := fetch(t, part)
		for _, m := range res.Milestones {
			seen[m.Key]++
			if got := fmt.Sprint(m.Items); got != want[m.Key] {
				t.Errorf("shard %d: %s items %s, unsharded %s", i, m.Key, got, want[m.Key])
			}
			switch {
			case m.Kind == model.KindFixVersion && m.Container == "BIG":
				shardsOfBig[i] = true
			case m.Kind == model.KindSprint:
				b := sprintBoard[m.Key]
				if boardShard[b] == nil {
					boardShard[b] = map[int]bool{}
				}
				boardShard[b][i] = true
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
		t.Errorf("the 12 versions of BIG went to shards %v: want them spread", shardsOfBig)
	}
	for b, in := range boardShard {
		if len(in) != 1 {
			t.Errorf("the sprints of board %d went to shards %v: want one", b, in)
		}
	}
}

func fetch(t *testing.T, src *jira.Source) tracker.FetchResult {
	t.Helper()
	res, err := src.Fetch(context.Background())
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if len(res.Failed) > 0 {
		t.Fatalf("Fetch failed milestones: %v", res.Failed)
	}
	return res
}
