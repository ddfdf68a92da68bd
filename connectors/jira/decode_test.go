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
	"unicode/utf8"

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
// encoding/json, and its custom fields are picked.
func TestDecodeSearchPageAsEncodingJSON(t *testing.T) {
	body := searchPageBody(t)
	ids := fieldIDs{points: fake.CloudPointsField, sprint: "customfield_10020", flagged: "customfield_10021"}
	var want, got searchPage
	withDecoder(json.Unmarshal, func() {
		if err := decode(body, &want); err != nil {
			t.Fatal(err)
		}
	})
	if err := pickCustom(body, want.Issues, ids); err != nil {
		t.Fatal(err)
	}
	if err := decode(body, &got); err != nil {
		t.Fatal(err)
	}
	if err := pickCustom(body, got.Issues, ids); err != nil {
		t.Fatal(err)
	}
	if len(got.Issues) != 100 || !reflect.DeepEqual(got, want) {
		t.Fatalf("go-json decoded %d issues differently:\n%+v\n%+v", len(got.Issues), got.Issues[0], want.Issues[0])
	}
	f := got.Issues[0].Fields
	if !strings.Contains(f.Summary, `"quoted" é`) || len(f.Labels) != 2 || f.Assignee == nil || f.Status == nil || len(f.points) != 1 {
		t.Fatalf("fields lost: %+v", f)
	}
}

// One field id in two roles (story_points configured as the site's
// sprint field) gives each role the value, as the split into a map did.
func TestPickCustomOneIDInTwoRoles(t *testing.T) {
	body := []byte(`{"issues":[{"fields":{"customfield_10020":[{"id":8}],"customfield_10021":null}}]}`)
	ids := fieldIDs{points: "customfield_10020", sprint: "customfield_10020", flagged: "customfield_10021"}
	_, want, err := decodeSplit(body, ids)
	if err != nil {
		t.Fatal(err)
	}
	_, got, err := readPage(body, ids)
	if err != nil {
		t.Fatal(err)
	}
	f := got[0].Fields
	if string(f.points) != `[{"id":8}]` || string(f.sprint) != `[{"id":8}]` || string(f.flagged) != "null" || !reflect.DeepEqual(got, want) {
		t.Fatalf("points %q, sprint %q, flagged %q; want the sprint list in both, null", f.points, f.sprint, f.flagged)
	}
}

// mapFields is how the source decoded an issue's fields before
// pickCustom: split into a map of raw members, each decoded on its own,
// the custom ones kept raw. It is the reference FuzzDecodeSearchPage holds
// the decode to, and BenchmarkDecodeSearchPage's "split-fields".
type mapFields struct {
	issueFields
	raw map[string]json.RawMessage
}

func (m *mapFields) UnmarshalJSON(b []byte) error {
	var members map[string]json.RawMessage
	if err := decode(b, &members); err != nil {
		return err
	}
	f := &m.issueFields
	for k, v := range members {
		var err error
		// The one difference: the standard fields' names match with ASCII
		// case folded, as go-json matches any struct's; the split matched
		// them exactly. Jira writes them in one case.
		switch strings.Map(func(r rune) rune {
			if 'A' <= r && r <= 'Z' {
				return r + 'a' - 'A'
			}
			return r
		}, k) {
		case "summary":
			err = decode(v, &f.Summary)
		case "created":
			err = decode(v, &f.Created)
		case "updated":
			err = decode(v, &f.Updated)
		case "resolutiondate":
			err = decode(v, &f.Resolutiondate)
		case "status":
			err = decode(v, &f.Status)
		case "resolution":
			err = decode(v, &f.Resolution)
		case "labels":
			err = decode(v, &f.Labels)
		case "fixversions":
			err = decode(v, &f.FixVersions)
		case "issuelinks":
			err = decode(v, &f.IssueLinks)
		case "assignee":
			err = decode(v, &f.Assignee)
		default:
			if strings.HasPrefix(k, "customfield_") {
				if m.raw == nil {
					m.raw = map[string]json.RawMessage{}
				}
				m.raw[k] = v
			}
		}
		if err != nil {
			return fmt.Errorf("field %s: %w", k, err)
		}
	}
	return nil
}

// decodeSplit decodes a page as the source did before pickCustom and
// readCursor: the cursor with go-json, then the page.
func decodeSplit(body []byte, ids fieldIDs) (searchCursor, []searchIssue, error) {
	var cur searchCursor
	if err := decode(body, &cur); err != nil {
		return cur, nil, err
	}
	var p struct { // searchPage's members, as the source decoded them
		NextPageToken string `json:"nextPageToken"`
		IsLast        bool   `json:"isLast"`
		StartAt       int    `json:"startAt"`
		Total         int    `json:"total"`
		Issues        []struct {
			Key    string    `json:"key"`
			Fields mapFields `json:"fields"`
		} `json:"issues"`
	}
	if err := decode(body, &p); err != nil {
		return cur, nil, err
	}
	if p.Issues == nil {
		return cur, nil, nil
	}
	out := make([]searchIssue, len(p.Issues))
	for i, is := range p.Issues {
		out[i] = searchIssue{Key: is.Key, Fields: is.Fields.issueFields}
		f, raw := &out[i].Fields, is.Fields.raw
		f.points, f.sprint, f.flagged = raw[ids.points], raw[ids.sprint], raw[ids.flagged]
	}
	return cur, out, nil
}

// readPage reads a page as the source does: its cursor, then the rest.
func readPage(body []byte, ids fieldIDs) (searchCursor, []searchIssue, error) {
	cur, err := readCursor(body)
	if err != nil {
		return cur, nil, err
	}
	is, err := decodePage(body, cur, ids)
	return cur, is, err
}

// Whatever the page, readCursor, the decode and pickCustom give what
// decoding the cursor with go-json and splitting each issue's fields into
// a map gave: the same error or none, and then the same cursor and fields,
// custom ones included (text for text). The one exception is text that is
// not JSON: go-json skips an unread member's value by counting brackets
// of one kind (it takes {"a":[{]} for an object), and the page may be
// refused where the split took it. The same for bytes that are not UTF-8
// (JSON text is UTF-8, RFC 8259): in a string that also holds an escape,
// readCursor reads them as encoding/json does (U+FFFD) and go-json keeps
// them, so the source refuses the page (errCursor) rather than ask for a
// next page its two readings disagree on. And where go-json itself reads a
// page otherwise than encoding/json does (go-json v0.10.5 takes an escaped
// member name for a field it is a prefix of: {"\u0069ss":…} as "issues"),
// pickCustom, which reads names as JSON defines them, may differ from it.
func FuzzDecodeSearchPage(f *testing.F) {
	f.Add(searchPageBody(f))
	for _, s := range []string{
		`{"issues":[{"key":"A-1","fields":{"summary":"x","customfield_10016":3,"customfield_10020":[{"id":8}],"customfield_10021":null}}]}`,
		`{"issues":[{"key":"A-1","fields":{"customfield_10016":"2.5","customfield_10016":4 , "customfield_1001":1}},null,{"fields":null}]}`,
		`{"Issues":[{"KEY":"A-1","Fields":{"Summary":"x","customfield_10016":{"a":[1,"]}"]}}}]}`,
		`{"\u0069ssues":[{"fields":{"customfield_1001\u0036":[ "x" ,{"y":"\"}"}],"labels":["a"]}}],"issues":[]}`,
		`{"issues":[{"fields":{"sum\u006dary":"é","fixVersions":[{"id":"1"}],"customfield_10021":[{"value":"Impediment"}]}}],"isLast":true}`,
		` { "issues" : [ { "fields" : { "customfield_10020" : [ "com.atlassian.greenhopper.service.sprint.Sprint@1[id=8,name=S]" ] } } ] } `,
		`{"issues":[{"fields":{"customfield_10016":tru}}]}`,
		`{"issues":[{"fields":{"status":"done"}}]}`,
		`{"\`, // go-json reads past the end (jsonx.TestCutEscapeIsAnError)
		`{"":[{]}`,
		`{"nextPageToken":"CAEaAggD","isLast":false,"issues":[]}`,
		`{"NEXTPAGETOKEN":"a\u0062","isLast":null,"startAt":0,"total":-12,"maxResults":50,"issues":[{}]}`,
		`{"startAt":1.5,"issues":[]}`,
		`{"total":01,"isLast":tru}`,
		`{"isLast":true,"isLast":false,"nextPageToken":null}`,
	} {
		f.Add([]byte(s))
	}
	ids := fieldIDs{points: "customfield_10016", sprint: "customfield_10020", flagged: "customfield_10021"}
	f.Fuzz(func(t *testing.T, body []byte) {
		wcur, want, werr := decodeSplit(body, ids)
		gcur, got, gerr := readPage(body, ids)
		if werr == nil && gerr != nil && (!json.Valid(body) || !utf8.Valid(body)) {
			return
		}
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("split error %v, decode error %v", werr, gerr)
		}
		if werr == nil && (gcur != wcur || !reflect.DeepEqual(got, want)) && !goJSONDeparts(body, ids, wcur, want) {
			t.Fatalf("decoded %+v\n%+v\nsplit %+v\n%+v", gcur, got, wcur, want)
		}
	})
}

// goJSONDeparts says whether encoding/json reads the page otherwise than
// go-json's reading (cur, issues) of it.
func goJSONDeparts(body []byte, ids fieldIDs, cur searchCursor, issues []searchIssue) bool {
	var scur searchCursor
	var sis []searchIssue
	var serr error
	withDecoder(json.Unmarshal, func() { scur, sis, serr = decodeSplit(body, ids) })
	return serr != nil || scur != cur || !reflect.DeepEqual(sis, issues)
}

// BenchmarkDecodeSearchPage reads a page of 100 issues, cursor and custom
// fields included: as the source does (readCursor, go-json, pickCustom),
// the same with encoding/json, and as the source did before
// (split-fields: the cursor decoded with go-json, each issue's fields
// split into a map).
func BenchmarkDecodeSearchPage(b *testing.B) {
	body := searchPageBody(b)
	ids := fieldIDs{points: fake.CloudPointsField, sprint: "customfield_10020", flagged: "customfield_10021"}
	for _, tc := range []struct {
		name string
		d    func([]byte, any) error
		page func([]byte, fieldIDs) (searchCursor, []searchIssue, error)
	}{{"encoding-json", json.Unmarshal, readPage}, {"go-json", decode, readPage}, {"split-fields", decode, decodeSplit}} {
		b.Run(tc.name, func(b *testing.B) {
			withDecoder(tc.d, func() {
				b.SetBytes(int64(len(body)))
				b.ReportAllocs()
				for b.Loop() {
					if _, is, err := tc.page(body, ids); err != nil || len(is) != 100 || is[0].Fields.points == nil {
						b.Fatal("decode failed", err)
					}
				}
			})
		})
	}
}
