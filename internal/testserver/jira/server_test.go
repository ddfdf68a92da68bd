package jira_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	fake "github.com/forewarn/forewarn/internal/testserver/jira"
)

func newFake(t *testing.T, cloud bool) *fake.Server {
	s := fake.New(fake.Options{Cloud: cloud, Email: "e@x", APIToken: "t", PAT: "p"})
	t.Cleanup(s.Close)
	s.AddVersion(fake.Version{ID: "10100", Project: "WEB", Name: "1.0", ReleaseDate: "2026-03-31"})
	s.AddIssue(fake.Issue{Project: "WEB", Summary: "one", FixVersions: []string{"10100"}})
	return s
}

func do(t *testing.T, s *fake.Server, method, path, body string) (*http.Response, []byte, error) {
	t.Helper()
	req, _ := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	if s.Cloud() {
		req.SetBasicAuth("e@x", "t")
	} else {
		req.Header.Set("Authorization", "Bearer p")
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, rerr := io.ReadAll(resp.Body)
	return resp, b, rerr
}

const createBody = `{"fields":{"project":{"key":"WEB"},"issuetype":{"name":"Task"},"summary":"x"}}`

func TestFaults(t *testing.T) {
	for _, tc := range []struct {
		name     string
		fault    fake.Fault
		status   int  // 0: no answer
		bodyErr  bool // reading or decoding the body fails
		acted    bool // the issue was created
		waitHdr  string
		logFault string
	}{
		{"status 502 does not act", fake.Fault{Kind: fake.FaultStatus, Status: 502}, 502, false, false, "", "status"},
		{"429 with Retry-After", fake.Fault{Kind: fake.FaultTooMany, RetryAfter: 3 * time.Second}, 429, false, false, "3", "too-many-requests"},
		{"malformed JSON acts", fake.Fault{Kind: fake.FaultMalformed}, 201, true, true, "", "malformed-json"},
		{"truncated body acts", fake.Fault{Kind: fake.FaultTruncated}, 201, true, true, "", "truncated"},
		{"reset does not act", fake.Fault{Kind: fake.FaultReset}, 0, false, false, "", "connection-reset"},
		{"slow acts", fake.Fault{Kind: fake.FaultSlow, Delay: 50 * time.Millisecond}, 201, false, true, "", "slow"},
		{"lost response acts", fake.Fault{Kind: fake.FaultLoseResponse}, 0, false, true, "", "lose-response"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newFake(t, true)
			f := tc.fault
			f.Method, f.Route = "POST", "/rest/api/2/issue"
			s.Inject(f)
			resp, body, err := do(t, s, "POST", "/rest/api/2/issue", createBody)
			switch {
			case tc.status == 0:
				if err == nil {
					t.Fatalf("got an answer %d", resp.StatusCode)
				}
			case err != nil && tc.bodyErr && resp != nil && resp.StatusCode == tc.status:
				// the body was cut short: reading it fails
			case err != nil:
				t.Fatal(err)
			case resp.StatusCode != tc.status:
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			default:
				var v map[string]any
				bad := json.Unmarshal(body, &v) != nil
				if bad != tc.bodyErr {
					t.Errorf("body %q: decoding fails = %v, want %v", body, bad, tc.bodyErr)
				}
				if resp.Header.Get("Retry-After") != tc.waitHdr {
					t.Errorf("Retry-After %q", resp.Header.Get("Retry-After"))
				}
			}
			if got := len(s.Issues("WEB")) == 2; got != tc.acted {
				t.Errorf("acted = %v, want %v", got, tc.acted)
			}
			log := s.Requests()
			if len(log) != 1 || log[0].Fault != tc.logFault || log[0].Route != "/rest/api/2/issue" {
				t.Errorf("log %+v", log)
			}
			if s.Count("POST /rest/api/2/issue") != 1 {
				t.Errorf("counts %v", s.Counts())
			}
			// The fault is spent: the next request is served.
			if resp, _, err := do(t, s, "POST", "/rest/api/2/issue", createBody); err != nil || resp.StatusCode != 201 {
				t.Errorf("after the fault: %v %v", resp, err)
			}
		})
	}
}

func TestSearchEndpointsAndErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		cloud  bool
		path   string
		status int
		want   string
	}{
		{"cloud enhanced search", true, "/rest/api/2/search/jql?fields=summary&jql=" + url.QueryEscape(`fixVersion = "1.0"`), 200, `"isLast":true`},
		{"cloud ids only without fields", true, "/rest/api/2/search/jql?jql=" + url.QueryEscape(`project = WEB`), 200, `"issues":[{"id":"10001","key":"WEB-1"`},
		{"cloud legacy search is gone", true, "/rest/api/2/search?jql=project%3DWEB", 410, "CHANGE-2046"},
		{"dc offset search", false, "/rest/api/2/search?jql=project%3DWEB", 200, `"total":1`},
		{"dc has no enhanced search", false, "/rest/api/2/search/jql?jql=project%3DWEB", 404, "null for uri"},
		{"reserved word unquoted", true, "/rest/api/2/search/jql?jql=" + url.QueryEscape(`fixVersion = order`), 400, "'order' is a reserved JQL word"},
		{"unknown field", true, "/rest/api/2/search/jql?jql=" + url.QueryEscape(`colour = red`), 400, "Field 'colour' does not exist"},
		{"unknown project", false, "/rest/api/2/search?jql=" + url.QueryEscape(`project = "NOPE"`), 400, "The value 'NOPE' does not exist for the field 'project'."},
		{"illegal escape", true, "/rest/api/2/search/jql?jql=" + url.QueryEscape(`labels = "a\x"`), 400, "illegal JQL escape"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newFake(t, tc.cloud)
			resp, body, err := do(t, s, "GET", tc.path, "")
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.status || !strings.Contains(string(body), tc.want) {
				t.Errorf("%d %s, want %d containing %q", resp.StatusCode, body, tc.status, tc.want)
			}
		})
	}
}

func TestAuth(t *testing.T) {
	s := newFake(t, true)
	req, _ := http.NewRequest("GET", s.URL+"/rest/api/2/field", nil)
	req.Header.Set("Authorization", "Bearer p") // a PAT on Cloud
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 401 || !strings.Contains(string(b), `"errorMessages":["You are not authenticated`) {
		t.Errorf("%d %s", resp.StatusCode, b)
	}
}

func TestEnhancedSearchPaging(t *testing.T) {
	s := newFake(t, true)
	for i := 0; i < 4; i++ {
		s.AddIssue(fake.Issue{Project: "WEB", Summary: "more", FixVersions: []string{"10100"}})
	}
	jql := url.QueryEscape(`fixVersion = 10100 ORDER BY key ASC`)
	var keys []string
	token := ""
	for page := 0; page < 10; page++ {
		path := "/rest/api/2/search/jql?fields=summary&maxResults=2&jql=" + jql
		if token != "" {
			path += "&nextPageToken=" + url.QueryEscape(token)
		}
		_, body, err := do(t, s, "GET", path, "")
		if err != nil {
			t.Fatal(err)
		}
		var r struct {
			Issues        []struct{ Key string }
			NextPageToken string
			IsLast        bool
			Total         *int
		}
		if err := json.Unmarshal(body, &r); err != nil {
			t.Fatal(err)
		}
		if r.Total != nil {
			t.Error("the enhanced search has no total")
		}
		for _, is := range r.Issues {
			keys = append(keys, is.Key)
		}
		if r.IsLast {
			break
		}
		token = r.NextPageToken
	}
	if strings.Join(keys, ",") != "WEB-1,WEB-2,WEB-3,WEB-4,WEB-5" {
		t.Errorf("keys %v", keys)
	}
	_, body, _ := do(t, s, "GET", "/rest/api/2/search/jql?jql="+jql+"&nextPageToken=bogus", "")
	if !strings.Contains(string(body), "next page token is invalid") {
		t.Errorf("bogus token: %s", body)
	}
}

var _ = errors.New

// A fixVersion or sprint clause names versions and sprints by id or by
// name, in any case; the fake resolves the names once per query.
func TestSearchByVersionAndSprint(t *testing.T) {
	s := newFake(t, true)
	s.AddVersion(fake.Version{ID: "10101", Project: "WEB", Name: "Beta 2"})
	s.AddSprint(fake.Sprint{ID: 7, Board: 1, Name: "Sprint Seven", State: "active"})
	s.AddSprint(fake.Sprint{ID: 8, Board: 1, Name: "Sprint Eight", State: "future"})
	s.AddIssue(fake.Issue{Project: "WEB", Summary: "two", FixVersions: []string{"10101"}, Sprints: []int64{7}}) // WEB-2
	s.AddIssue(fake.Issue{Project: "WEB", Summary: "three", Sprints: []int64{8, 7}})                            // WEB-3
	s.AddIssue(fake.Issue{Project: "WEB", Summary: "four"})                                                     // WEB-4
	for _, tc := range []struct{ jql, want string }{
		{`fixVersion = 10100`, "WEB-1"},
		{`fixVersion = "beta 2"`, "WEB-2"},
		{`fixVersion in ("1.0", 10101)`, "WEB-1,WEB-2"},
		{`fixVersion not in ("1.0")`, "WEB-2,WEB-3,WEB-4"},
		{`fixVersion != "BETA 2"`, "WEB-1,WEB-3,WEB-4"},
		{`sprint = 7`, "WEB-2,WEB-3"},
		{`sprint in ("sprint eight")`, "WEB-3"},
		{`sprint not in (7)`, "WEB-1,WEB-4"},
		{`fixVersion in (10100) OR sprint in ("Sprint Eight")`, "WEB-1,WEB-3"},
		{`project = WEB AND sprint = 7 AND fixVersion = 10101`, "WEB-2"},
	} {
		t.Run(tc.jql, func(t *testing.T) {
			_, body, err := do(t, s, "GET", "/rest/api/2/search/jql?fields=summary&jql="+url.QueryEscape(tc.jql+" ORDER BY key ASC"), "")
			if err != nil {
				t.Fatal(err)
			}
			var r struct{ Issues []struct{ Key string } }
			if err := json.Unmarshal(body, &r); err != nil {
				t.Fatalf("%v: %s", err, body)
			}
			var keys []string
			for _, is := range r.Issues {
				keys = append(keys, is.Key)
			}
			if got := strings.Join(keys, ","); got != tc.want {
				t.Errorf("%s: %s, want %s", tc.jql, got, tc.want)
			}
		})
	}
}
