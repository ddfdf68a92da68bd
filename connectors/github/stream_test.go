package github_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/forewarn/forewarn/connectors"
	"github.com/forewarn/forewarn/connectors/github"
	"github.com/forewarn/forewarn/internal/model"
	fakegh "github.com/forewarn/forewarn/internal/testserver/github"
	"github.com/forewarn/forewarn/internal/tracker"
)

// addRepo adds a repository of n open milestones, one issue each.
func addRepo(s *fakegh.Server, repo string, n int) {
	s.AddRepo(repo, "client-work")
	for i := 1; i <= n; i++ {
		s.AddMilestone(repo, fakegh.Milestone{Number: i, Title: fmt.Sprintf("Phase %d", i), DueOn: pacificMidnight(2026, 12, 10+i),
			CreatedAt: day(-30)})
		s.AddIssue(repo, fakegh.Issue{Number: 100 + i, Title: fmt.Sprintf("Work %d", i), Milestone: i, CreatedAt: day(-29)})
	}
}

// streamed collects what FetchStream hands over, and how many issue lists
// the fake had answered when each part arrived.
type streamed struct {
	mu     sync.Mutex
	parts  []tracker.FetchResult
	served []int
}

func (st *streamed) fetch(t *testing.T, s *fakegh.Server, src *github.Source) tracker.FetchResult {
	t.Helper()
	res, err := src.FetchStream(context.Background(), func(p tracker.FetchResult) {
		st.mu.Lock()
		defer st.mu.Unlock()
		st.parts = append(st.parts, p)
		st.served = append(st.served, issueLists(s))
	})
	if err != nil {
		t.Fatalf("FetchStream: %v", err)
	}
	return res
}

func issueLists(s *fakegh.Server) int {
	n := 0
	for _, r := range s.Requests() {
		if strings.HasSuffix(strings.SplitN(r.Path, "?", 2)[0], "/issues") {
			n++
		}
	}
	return n
}

// keysOf lists milestone keys, sorted.
func keysOf(ms []model.Milestone) string {
	var ks []string
	for _, m := range ms {
		ks = append(ks, m.Key)
	}
	slices.Sort(ks)
	return strings.Join(ks, " ")
}

// A repository's milestones are handed over once they are read, while the
// next repository is still being read, as the same values the result
// holds; a repository whose record still needs a closed milestone read
// is not, until that milestone is in the sync state.
func TestFetchStreamHandsOverEachRepositoryOnceRead(t *testing.T) {
	s := fakegh.New(testToken)
	defer s.Close()
	seed(s)
	addHistory(s)
	addRepo(s, "acme/app", 3)
	addRepo(s, "acme/api", 3)
	// Every issue list takes 100 ms: acme/api's reads are still to come
	// when acme/app's part is handed over.
	s.Inject(fakegh.Fault{Method: "GET", Route: "/repos/{owner}/{repo}/issues", Kind: fakegh.FaultSlow, Delay: 100 * time.Millisecond, Times: 1000})
	cache := newCache()
	src := func() *github.Source {
		env := testEnv(cache, nil)
		env.History = connectors.History{Count: 10, Months: 12}
		src, err := github.NewSource("acme-gh", github.SourceConfig{AuthConfig: github.AuthConfig{BaseURL: s.URL},
			Repos: []string{"acme/web", "acme/app", "acme/api"}, JoinedEvents: "none"}, env)
		if err != nil {
			t.Fatal(err)
		}
		return src
	}

	var st streamed
	res := st.fetch(t, s, src())
	byKey := map[string]model.Milestone{}
	for _, m := range res.Milestones {
		byKey[m.Key] = m
	}
	var got []string
	for _, p := range st.parts {
		got = append(got, keysOf(p.Milestones))
		for _, m := range p.Milestones {
			if !reflect.DeepEqual(m, byKey[m.Key]) {
				t.Errorf("%s handed over differs from the result's", m.Key)
			}
		}
	}
	// acme/web's record needs #5, #6 and #7 read (after every judged one).
	if want := []string{"github:acme/app#1 github:acme/app#2 github:acme/app#3", "github:acme/api#1 github:acme/api#2 github:acme/api#3"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("parts %q, want %q", got, want)
	}
	if all := issueLists(s); st.served[0] >= all-1 {
		t.Errorf("acme/app handed over after %d of %d issue lists: want it while acme/api is read", st.served[0], all)
	}

	// Its record now in the sync state, acme/web is handed over too, first,
	// with its closed milestones.
	st = streamed{}
	s.ResetLog()
	res = st.fetch(t, s, src())
	if len(st.parts) != 3 || keysOf(st.parts[0].Milestones) != "github:acme/web#1 github:acme/web#2" {
		t.Fatalf("second run: %d parts, the first %q; want acme/web's #1 #2 first", len(st.parts), keysOf(st.parts[0].Milestones))
	}
	if h := keysOf(st.parts[0].History); h != "github:acme/web#5 github:acme/web#6 github:acme/web#7" || h != keysOf(res.History) {
		t.Errorf("acme/web's record handed over: %q, want #5 #6 #7 as in the result (%q)", h, keysOf(res.History))
	}
}

// Fetch drops every read after a stop (the budget, here), so nothing read
// after it is handed over.
func TestFetchStreamHandsOverNothingPastAStop(t *testing.T) {
	s := fakegh.New(testToken)
	defer s.Close()
	addRepo(s, "acme/app", 2)
	addRepo(s, "acme/api", 2)
	src, err := github.NewSource("acme-gh", github.SourceConfig{AuthConfig: github.AuthConfig{BaseURL: s.URL},
		Repos: []string{"acme/app", "acme/api"}, JoinedEvents: "none", Budget: 5}, testEnv(newCache(), nil))
	if err != nil {
		t.Fatal(err)
	}
	var st streamed
	res := st.fetch(t, s, src)
	// 2 milestone lists, then 3 issue lists: acme/app's two and acme/api's
	// first; its second is over the budget.
	if keysOf(res.Milestones) != "github:acme/api#1 github:acme/app#1 github:acme/app#2" || len(res.Failed) != 1 {
		t.Fatalf("read %q, failed %+v; want the budget to stop before acme/api#2", keysOf(res.Milestones), res.Failed)
	}
	if len(st.parts) != 1 || keysOf(st.parts[0].Milestones) != "github:acme/app#1 github:acme/app#2" {
		t.Fatalf("parts %d (%v): want acme/app's alone (acme/api was not read whole)", len(st.parts), st.parts)
	}
}

// A milestone whose issues cannot be read fails alone (it is the result's
// failure, not the run's stop): its repository is still handed over,
// without it.
func TestFetchStreamLeavesOutAMilestoneThatFailed(t *testing.T) {
	s := fakegh.New(testToken)
	defer s.Close()
	addRepo(s, "acme/app", 2)
	addRepo(s, "acme/api", 2)
	s.Inject(fakegh.Fault{Method: "GET", Route: "/repos/{owner}/{repo}/issues", Kind: fakegh.FaultMalformed})
	src, err := github.NewSource("acme-gh", github.SourceConfig{AuthConfig: github.AuthConfig{BaseURL: s.URL},
		Repos: []string{"acme/app", "acme/api"}, JoinedEvents: "none"}, testEnv(newCache(), nil))
	if err != nil {
		t.Fatal(err)
	}
	var st streamed
	res := st.fetch(t, s, src)
	if len(res.Failed) != 1 || len(res.Milestones) != 3 {
		t.Fatalf("read %q, failed %+v: want one milestone failed, three read", keysOf(res.Milestones), res.Failed)
	}
	var handed []model.Milestone
	for _, p := range st.parts {
		handed = append(handed, p.Milestones...)
	}
	if len(st.parts) != 2 || keysOf(handed) != keysOf(res.Milestones) {
		t.Fatalf("%d parts holding %q; want both repositories, with the result's %q", len(st.parts), keysOf(handed), keysOf(res.Milestones))
	}
}
