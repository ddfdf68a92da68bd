package github_test

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	fakegh "github.com/forewarn/forewarn/internal/testserver/github"
)

// fixtures is ../shared/fixtures/github, found from the repository root.
func fixtures(t *testing.T) string {
	t.Helper()
	dir, _ := os.Getwd()
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "..", "shared", "fixtures", "github")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test")
		}
		dir = parent
	}
}

type octokitExchange struct {
	Method   string            `json:"method"`
	Path     string            `json:"path"`
	Status   int               `json:"status"`
	Response json.RawMessage   `json:"response"`
	Headers  map[string]any    `json:"headers"`
	Req      map[string]string `json:"reqheaders"`
}

func readOctokit(t *testing.T, name string) []octokitExchange {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtures(t), "octokit", name))
	if err != nil {
		t.Fatal(err)
	}
	var out []octokitExchange
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func get(t *testing.T, url, token string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "token "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

var relRe = regexp.MustCompile(`rel="(\w+)"`)

func rels(link string) string {
	var out []string
	for _, m := range relRe.FindAllStringSubmatch(link, -1) {
		out = append(out, m[1])
	}
	return strings.Join(out, ",")
}

// The fake paginates like the recorded exchange: per_page=3 over 13
// issues gives 5 pages with the same rel sets in the same order.
func TestPaginationMatchesRecording(t *testing.T) {
	rec := readOctokit(t, "paginate-issues.json")
	s := fakegh.New("tok")
	defer s.Close()
	for i := 0; i < 13; i++ {
		s.AddIssue("octokit-fixture-org/paginate-issues", fakegh.Issue{Title: "Test issue"})
	}
	url := s.URL + "/repos/octokit-fixture-org/paginate-issues/issues?per_page=3"
	for i, ex := range rec {
		resp, body := get(t, url, "tok")
		want := rels(ex.Headers["link"].(string))
		if got := rels(resp.Header.Get("Link")); got != want {
			t.Fatalf("page %d: Link rels %q, recorded %q", i+1, got, want)
		}
		var recItems, items []map[string]any
		json.Unmarshal(ex.Response, &recItems)
		json.Unmarshal(body, &items)
		if len(items) != len(recItems) {
			t.Fatalf("page %d: %d items, recorded %d", i+1, len(items), len(recItems))
		}
		for k := range recItems[0] {
			if _, ok := items[0][k]; !ok && !ignoredKey[k] {
				t.Errorf("issue JSON lacks the recorded key %q", k)
			}
		}
		if next := regexp.MustCompile(`<([^>]+)>; rel="next"`).FindStringSubmatch(resp.Header.Get("Link")); next != nil {
			url = next[1]
		}
	}
}

// Keys of the recorded issues that nothing reads.
var ignoredKey = map[string]bool{"labels_url": true, "comments_url": true, "events_url": true, "closed_by": true,
	"active_lock_reason": true, "reactions": true, "timeline_url": true, "performed_via_github_app": true,
	"draft": true, "sub_issues_summary": true, "type": true, "issue_dependencies_summary": true}

func TestMilestoneKeysMatchRecording(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(fixtures(t), "webhooks", "milestone-closed.payload.json"))
	if err != nil {
		t.Fatal(err)
	}
	var payload struct {
		Milestone map[string]any `json:"milestone"`
	}
	json.Unmarshal(b, &payload)
	s := fakegh.New()
	defer s.Close()
	s.AddMilestone("a/b", fakegh.Milestone{Title: "v1", DueOn: time.Date(2026, 12, 4, 8, 0, 0, 0, time.UTC)})
	_, body := get(t, s.URL+"/repos/a/b/milestones", "")
	var got []map[string]any
	json.Unmarshal(body, &got)
	for k := range payload.Milestone {
		if _, ok := got[0][k]; !ok {
			t.Errorf("milestone JSON lacks the recorded key %q", k)
		}
	}
	if got[0]["due_on"] != "2026-12-04T08:00:00Z" {
		t.Errorf("due_on %v", got[0]["due_on"])
	}
}

func TestConditionalRequestIsFreeAndErrorsHaveGitHubsShape(t *testing.T) {
	s := fakegh.New("tok")
	defer s.Close()
	s.AddIssue("a/b", fakegh.Issue{Title: "x"})
	resp, _ := get(t, s.URL+"/repos/a/b/issues", "tok")
	etag := resp.Header.Get("ETag")
	if etag == "" || resp.Header.Get("X-RateLimit-Remaining") != "4999" {
		t.Fatalf("first answer: etag %q remaining %q", etag, resp.Header.Get("X-RateLimit-Remaining"))
	}
	resp, _ = get(t, s.URL+"/repos/a/b/issues", "tok", "If-None-Match", etag)
	if resp.StatusCode != 304 || resp.Header.Get("X-RateLimit-Remaining") != "4999" {
		t.Fatalf("conditional answer: %d remaining %q; want 304, not counted", resp.StatusCode, resp.Header.Get("X-RateLimit-Remaining"))
	}
	resp, body := get(t, s.URL+"/repos/a/b/issues", "wrong")
	if resp.StatusCode != 401 || !strings.Contains(string(body), `"message":"Bad credentials"`) {
		t.Fatalf("401: %d %s", resp.StatusCode, body)
	}
	resp, body = get(t, s.URL+"/repos/a/nope/issues", "tok")
	if resp.StatusCode != 404 || !strings.Contains(string(body), `"message":"Not Found"`) {
		t.Fatalf("404: %d %s", resp.StatusCode, body)
	}
	s.SetRateLimit(60, 0, time.Hour)
	resp, body = get(t, s.URL+"/repos/a/b/issues", "tok")
	if resp.StatusCode != 403 || resp.Header.Get("X-RateLimit-Remaining") != "0" || !strings.Contains(string(body), "API rate limit exceeded") {
		t.Fatalf("primary limit: %d %q %s", resp.StatusCode, resp.Header.Get("X-RateLimit-Remaining"), body)
	}
	st := s.Stats()["GET /repos/{owner}/{repo}/issues"]
	if st.Requests != 5 || st.Counted != 2 || st.NotModified != 1 {
		t.Fatalf("stats %+v: want 5 requests, 2 counted (first and 404), 1 not modified", st)
	}
}

func TestSecondaryLimitFaultLooksLikeTheRecording(t *testing.T) {
	s := fakegh.New()
	defer s.Close()
	s.AddRepo("a/b")
	s.Inject(fakegh.Fault{Kind: fakegh.FaultSecondary, RetryAfter: 60 * time.Second})
	resp, body := get(t, s.URL+"/repos/a/b/issues", "")
	if resp.StatusCode != 403 || resp.Header.Get("Retry-After") != "60" || !strings.Contains(string(body), "secondary rate limit") {
		t.Fatalf("%d %q %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	resp, _ = get(t, s.URL+"/repos/a/b/issues", "")
	if resp.StatusCode != 200 {
		t.Fatalf("the fault hit twice: %d", resp.StatusCode)
	}
	if r := s.Requests(); r[0].Counted || r[0].Fault != "secondary-limit" || !r[1].Counted {
		t.Fatalf("log %+v", r)
	}
}

func TestEveryFaultKind(t *testing.T) {
	tests := []struct {
		fault      fakegh.Fault
		wantStatus int  // of the faulted answer; 0: the connection drops
		acts       bool // the POST created the issue despite the fault
	}{
		{fakegh.Fault{Kind: fakegh.FaultStatus, Status: 503}, 503, false},
		{fakegh.Fault{Kind: fakegh.FaultSecondary, RetryAfter: time.Second}, 403, false},
		{fakegh.Fault{Kind: fakegh.FaultTooMany, RetryAfter: time.Second}, 429, false},
		{fakegh.Fault{Kind: fakegh.FaultExhaust, RetryAfter: time.Hour}, 403, false},
		{fakegh.Fault{Kind: fakegh.FaultMalformed}, 201, true}, // the status holds, the JSON is broken
		{fakegh.Fault{Kind: fakegh.FaultTruncated}, -1, true},  // headers arrive, the body is cut
		{fakegh.Fault{Kind: fakegh.FaultReset}, 0, false},
		{fakegh.Fault{Kind: fakegh.FaultSlow, Delay: 50 * time.Millisecond}, 201, true},
		{fakegh.Fault{Kind: fakegh.FaultLoseResponse}, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.fault.Kind.String(), func(t *testing.T) {
			s := fakegh.New("tok")
			defer s.Close()
			s.AddRepo("a/b")
			f := tc.fault
			f.Method, f.Route = "POST", "/repos/{owner}/{repo}/issues"
			s.Inject(f)
			req, _ := http.NewRequest("POST", s.URL+"/repos/a/b/issues", strings.NewReader(`{"title":"t"}`))
			req.Header.Set("Authorization", "Bearer tok")
			start := time.Now()
			resp, err := http.DefaultClient.Do(req)
			status := 0
			if err == nil {
				_, rerr := io.ReadAll(resp.Body)
				resp.Body.Close()
				status = resp.StatusCode
				if rerr != nil {
					status = -1
				}
			}
			if status != tc.wantStatus {
				t.Fatalf("status %d (err %v), want %d", status, err, tc.wantStatus)
			}
			if got := len(s.Issues("a/b")) == 1; got != tc.acts {
				t.Fatalf("issue created: %v, want %v", got, tc.acts)
			}
			if f.Kind == fakegh.FaultSlow && time.Since(start) < f.Delay {
				t.Fatal("the slow fault was not slow")
			}
			if f.Kind == fakegh.FaultExhaust {
				resp, _ := get(t, s.URL+"/repos/a/b/issues", "tok")
				if resp.StatusCode != 403 || resp.Header.Get("X-RateLimit-Remaining") != "0" {
					t.Fatalf("after exhaustion: %d remaining %q", resp.StatusCode, resp.Header.Get("X-RateLimit-Remaining"))
				}
			}
			if r := s.Requests(); len(r) == 0 || r[0].Fault != f.Kind.String() {
				t.Fatalf("request log %+v does not name the fault", r)
			}
		})
	}
}
