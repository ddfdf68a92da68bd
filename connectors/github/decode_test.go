package github

import (
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	fakegh "github.com/forewarn/forewarn/internal/testserver/github"
)

// issuePage is a page of 100 issues as the fake GitHub serves it (labels,
// assignees, the milestone and the user nested in each, as GitHub does).
func issuePage(tb testing.TB) []byte {
	tb.Helper()
	s := fakegh.New()
	defer s.Close()
	s.AddRepo("acme/web")
	at := time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)
	s.AddMilestone("acme/web", fakegh.Milestone{Number: 1, Title: "M1", DueOn: at.AddDate(0, 1, 0), CreatedAt: at})
	for i := range 100 {
		is := fakegh.Issue{Title: "Some work item with a title of usual length \"quoted\" é", Milestone: 1, CreatedAt: at, UpdatedAt: at.Add(time.Hour),
			Labels: []string{"points:3", "in progress"}, Assignees: []string{"ann"}, Body: "A body.\n\n<!-- forewarn:fp=0123456789abcdef -->", State: "open"}
		if i%2 == 1 {
			is.State, is.StateReason, is.ClosedAt = "closed", "completed", at.Add(48*time.Hour)
		}
		if i%10 == 3 {
			is.PullRequest = true
		}
		s.AddIssue("acme/web", is)
	}
	resp, err := http.Get(s.URL + "/repos/acme/web/issues?milestone=1&state=all&per_page=100")
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return body
}

// go-json decodes an issue page exactly as encoding/json does.
func TestDecodeIssuePageAsEncodingJSON(t *testing.T) {
	page := issuePage(t)
	var want, got []*listedIssue
	if err := json.Unmarshal(page, &want); err != nil {
		t.Fatal(err)
	}
	if err := decodeIssuePage(page, &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 100 || !reflect.DeepEqual(got, want) {
		t.Fatalf("go-json decoded %d issues differently from encoding/json:\n%+v\n%+v", len(got), got[0], want[0])
	}
	closed, prs := 0, 0
	for _, is := range got {
		if is.ClosedAt != nil && is.State == "closed" && is.StateReason == "completed" {
			closed++
		}
		if is.PullRequest != nil {
			prs++
		}
		if len(is.Labels) != 2 || is.Labels[1].Name != "in progress" || !strings.Contains(is.Body, "forewarn:fp=") || is.Assignees[0].Login != "ann" {
			t.Fatalf("fields lost: %+v", is)
		}
	}
	if closed != 50 || prs != 10 {
		t.Fatalf("%d closed, %d pull requests; want 50 and 10", closed, prs)
	}
}

// Whatever encoding/json accepts as an issue list, go-json decodes alike,
// for valid UTF-8 (GitHub sends nothing else; encoding/json replaces
// invalid bytes in strings with U+FFFD, go-json keeps them).
func FuzzDecodeIssuePage(f *testing.F) {
	f.Add([]byte(`[{"number":1,"title":"a\u00e9\"b","labels":[{"name":"x"}],"closed_at":null,"pull_request":{}}]`))
	f.Add([]byte(`[{"number":2,"created_at":"2026-11-02T09:30:00Z","assignees":[{"login":"ann"}],"body":"<!-- forewarn:fp=0123456789abcdef -->"}]`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`[{"number":1.5}]`))
	f.Add([]byte(`{"message":"Not Found"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var want, got []*listedIssue
		if !utf8.Valid(b) || json.Unmarshal(b, &want) != nil {
			return
		}
		if err := decodeIssuePage(b, &got); err != nil {
			t.Fatalf("encoding/json decodes %q, go-json does not: %v", b, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q decoded differently:\n%+v\n%+v", b, got, want)
		}
	})
}

// BenchmarkDecodeIssuePage decodes a page of 100 issues (about 190 kB):
// encoding/json against go-json, which the source uses.
func BenchmarkDecodeIssuePage(b *testing.B) {
	page := issuePage(b)
	for _, tc := range []struct {
		name   string
		decode func([]byte, *[]*listedIssue) error
	}{
		{"encoding-json", func(b []byte, out *[]*listedIssue) error { return json.Unmarshal(b, out) }},
		{"go-json", decodeIssuePage},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(page)))
			for b.Loop() {
				var out []*listedIssue
				if err := tc.decode(page, &out); err != nil || len(out) != 100 {
					b.Fatal(err)
				}
			}
		})
	}
}
