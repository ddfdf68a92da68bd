package github_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/forewarn/forewarn/connectors/github"
	fakegh "github.com/forewarn/forewarn/internal/testserver/github"
)

// sendLog records when each request left and how it was answered, below
// the source's HTTP stack (every attempt, retries included).
type sendLog struct {
	mu   sync.Mutex
	sent []sent
	next http.RoundTripper
}

type sent struct {
	at, answered time.Time
	status       int
	path         string
}

func (l *sendLog) RoundTrip(r *http.Request) (*http.Response, error) {
	at := time.Now()
	resp, err := l.next.RoundTrip(r)
	s := sent{at: at, answered: time.Now(), path: r.URL.Path}
	if err == nil {
		s.status = resp.StatusCode
	}
	l.mu.Lock()
	l.sent = append(l.sent, s)
	l.mu.Unlock()
	return resp, err
}

// manyMilestones holds n milestones of per issues each (two pages of 100
// when per is over 100).
func manyMilestones(n, per int) *fakegh.Server {
	s := fakegh.New(testToken)
	s.AddRepo("acme/web")
	for m := 1; m <= n; m++ {
		s.AddMilestone("acme/web", fakegh.Milestone{Number: m, Title: fmt.Sprintf("M%d", m), DueOn: pacificMidnight(2026, 12, m),
			CreatedAt: day(-60)})
		for i := range per {
			s.AddIssue("acme/web", fakegh.Issue{Title: fmt.Sprintf("work %d for M%d", i, m), Milestone: m, CreatedAt: day(-50)})
		}
	}
	return s
}

// Milestones read at once meet a secondary rate limit: the source keeps
// to its concurrency (the fake never serves more at once), stops sending
// until Retry-After has passed — every request, not only the one refused —
// and then reads everything.
func TestConcurrentReadsWaitOutSecondaryLimit(t *testing.T) {
	s := manyMilestones(8, 150)
	defer s.Close()
	const issues = "/repos/{owner}/{repo}/issues"
	// Slow answers make the reads overlap; the fifth page is refused.
	s.Inject(fakegh.Fault{Method: "GET", Route: issues, Kind: fakegh.FaultSlow, Delay: 100 * time.Millisecond, Times: 8})
	s.Inject(fakegh.Fault{Method: "GET", Route: issues, Kind: fakegh.FaultSecondary, RetryAfter: time.Second})
	log := &sendLog{next: http.DefaultTransport}
	env := testEnv(nil, nil)
	env.Transport = log
	src, err := github.NewSource("acme-gh", github.SourceConfig{Repos: []string{"acme/web"}, AuthConfig: github.AuthConfig{BaseURL: s.URL}, Concurrency: 3}, env)
	if err != nil {
		t.Fatal(err)
	}
	res := fetch(t, src)
	if len(res.Failed) != 0 || len(res.Milestones) != 8 {
		t.Fatalf("read %d, failed %+v; want all 8 read after the wait", len(res.Milestones), res.Failed)
	}
	for _, m := range res.Milestones {
		if len(m.Items) != 150 {
			t.Fatalf("%s has %d items, want 150", m.Key, len(m.Items))
		}
	}
	if got := s.MaxInFlight(); got > 3 || got < 2 {
		t.Fatalf("the fake served %d requests at once; want 2 or 3 (concurrency 3)", got)
	}
	var refused time.Time
	for _, r := range log.sent {
		if r.status == http.StatusForbidden {
			refused = r.answered
		}
	}
	if refused.IsZero() {
		t.Fatal("the secondary limit was never met")
	}
	for _, r := range log.sent {
		if r.at.After(refused) && r.at.Before(refused.Add(time.Second-50*time.Millisecond)) {
			t.Fatalf("%s sent %v after the secondary limit's answer, within its Retry-After of 1s", r.path, r.at.Sub(refused))
		}
	}
}

// By default the source has one request in flight at a time, as GitHub
// asks of integrations, even while it decodes one page as the next is sent.
func TestDefaultConcurrencyIsOneRequestAtATime(t *testing.T) {
	s := manyMilestones(4, 150)
	defer s.Close()
	s.Inject(fakegh.Fault{Method: "GET", Route: "/repos/{owner}/{repo}/issues", Kind: fakegh.FaultSlow, Delay: 50 * time.Millisecond, Times: 4})
	res := fetch(t, newSource(t, s, github.SourceConfig{}, nil))
	if len(res.Failed) != 0 || len(res.Milestones) != 4 {
		t.Fatalf("read %d, failed %+v", len(res.Milestones), res.Failed)
	}
	if got := s.MaxInFlight(); got != 1 {
		t.Fatalf("the fake served %d requests at once; want 1", got)
	}
}
