package jira

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	fake "github.com/forewarn/forewarn/internal/testserver/jira"
)

// searchPageBody is a page of 100 issues as the fake Jira Cloud answers
// the source's search (its fields, story points and sprint included).
func searchPageBody(tb testing.TB) []byte {
	tb.Helper()
	s := fake.New(fake.Options{Cloud: true, Email: "a@example.com", APIToken: "t", Now: func() time.Time { return time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC) }})
	defer s.Close()
	s.AddVersion(fake.Version{ID: "10100", Project: "WEB", Name: "v1", ReleaseDate: "2026-12-01"})
	for i := range 100 {
		p := float64(i%5 + 1)
		is := fake.Issue{Project: "WEB", Summary: fmt.Sprintf("Task %d with a \"quoted\" é summary", i), FixVersions: []string{"10100"}, Points: &p,
			Created: time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC), Labels: []string{"backend", "blocked"}, Assignee: "Ann Lee"}
		if i%2 == 1 {
			is.Status = "Done"
		}
		s.AddIssue(is)
	}
	q := url.Values{"jql": {"fixVersion in (10100)"}, "maxResults": {"100"},
		"fields": {"summary,status,resolution,resolutiondate,created,updated,labels,fixVersions,issuelinks,assignee," + fake.CloudPointsField}}
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/rest/api/2/search/jql?"+q.Encode(), nil)
	req.SetBasicAuth("a@example.com", "t")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		tb.Fatalf("%v %s %s", err, resp.Status, body)
	}
	return body
}

// withDecoder runs fn with search pages decoded by d.
func withDecoder(d func([]byte, any) error, fn func()) {
	old := decode
	decode = d
	defer func() { decode = old }()
	fn()
}

// A search page decodes to the same records with go-json as with
// encoding/json.
func TestDecodeSearchPageAsEncodingJSON(t *testing.T) {
	body := searchPageBody(t)
	var want, got searchPage
	withDecoder(json.Unmarshal, func() {
		if err := decode(body, &want); err != nil {
			t.Fatal(err)
		}
	})
	if err := decode(body, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Issues) != 100 || !reflect.DeepEqual(got, want) {
		t.Fatalf("go-json decoded %d issues differently:\n%+v\n%+v", len(got.Issues), got.Issues[0], want.Issues[0])
	}
	f := got.Issues[0].Fields
	if !strings.Contains(f.Summary, `"quoted" é`) || len(f.Labels) != 2 || f.Assignee == nil || f.Status == nil || len(f.raw) == 0 {
		t.Fatalf("fields lost: %+v", f)
	}
}

// BenchmarkDecodeSearchPage decodes a page of 100 issues: encoding/json
// against go-json, which the source uses.
func BenchmarkDecodeSearchPage(b *testing.B) {
	body := searchPageBody(b)
	for _, tc := range []struct {
		name string
		d    func([]byte, any) error
	}{{"encoding-json", json.Unmarshal}, {"go-json", decode}} {
		b.Run(tc.name, func(b *testing.B) {
			withDecoder(tc.d, func() {
				b.SetBytes(int64(len(body)))
				b.ReportAllocs()
				for b.Loop() {
					var cur searchCursor
					var p searchPage
					if decode(body, &cur) != nil || decode(body, &p) != nil || len(p.Issues) != 100 {
						b.Fatal("decode failed")
					}
				}
			})
		})
	}
}
