package jira_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/forewarn/forewarn/connectors/jira"
	fake "github.com/forewarn/forewarn/internal/testserver/jira"
	"github.com/forewarn/forewarn/internal/tracker"
)

// Every request forewarn sends is checked against Atlassian's OpenAPI
// descriptions (../shared/fixtures/jira/openapi): the operation exists,
// every query parameter is declared, a JSON or multipart body is accepted,
// required keys are present and values have the schema's types (Atlassian
// leaves most request schemas open to other keys; where one is closed, an
// unknown key is an error too).

func sharedDir(t *testing.T) string {
	t.Helper()
	dir, _ := os.Getwd()
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "..", "shared")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test")
		}
		dir = parent
	}
}

type spec struct {
	doc   map[string]any
	paths []specPath
}

type specPath struct {
	re   *regexp.Regexp
	tmpl string
	item map[string]any
}

var (
	specsOnce sync.Once
	specs     []*spec
	specsErr  error
)

func loadSpecs(t *testing.T) []*spec {
	t.Helper()
	specsOnce.Do(func() {
		base := filepath.Join(sharedDir(t), "fixtures", "jira", "openapi")
		for _, f := range []string{"jira-platform-v2.primelib.openapi.yaml", "agile/jira-software-subset.json"} {
			b, err := os.ReadFile(filepath.Join(base, f))
			if err != nil {
				specsErr = err
				return
			}
			var doc map[string]any
			if strings.HasSuffix(f, ".json") {
				err = json.Unmarshal(b, &doc)
			} else {
				err = yaml.Unmarshal(b, &doc)
			}
			if err != nil {
				specsErr = fmt.Errorf("%s: %w", f, err)
				return
			}
			s := &spec{doc: doc}
			for p, item := range doc["paths"].(map[string]any) {
				pat := "^" + regexp.MustCompile(`\\\{[^}]+\\\}`).ReplaceAllString(regexp.QuoteMeta(p), `[^/]+`) + "$"
				s.paths = append(s.paths, specPath{re: regexp.MustCompile(pat), tmpl: p, item: item.(map[string]any)})
			}
			specs = append(specs, s)
		}
	})
	if specsErr != nil {
		t.Fatal(specsErr)
	}
	return specs
}

func (s *spec) resolve(v any) map[string]any {
	m, _ := v.(map[string]any)
	for m != nil {
		ref, ok := m["$ref"].(string)
		if !ok {
			return m
		}
		var cur any = s.doc
		for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			cur = cur.(map[string]any)[part]
		}
		m, _ = cur.(map[string]any)
	}
	return m
}

// properties merges the properties of a schema and its allOf parts; open
// is true when the schema admits other keys.
func (s *spec) properties(schema map[string]any) (map[string]any, bool) {
	props := map[string]any{}
	open := schema["additionalProperties"] != nil && schema["additionalProperties"] != false
	if p, ok := schema["properties"].(map[string]any); ok {
		for k, v := range p {
			props[k] = v
		}
	}
	if all, ok := schema["allOf"].([]any); ok {
		for _, part := range all {
			pp, o := s.properties(s.resolve(part))
			open = open || o
			for k, v := range pp {
				props[k] = v
			}
		}
	}
	if len(props) == 0 {
		open = true
	}
	return props, open
}

func (s *spec) checkBody(where string, schema map[string]any, v any, errs *[]string) {
	if schema == nil {
		return
	}
	if typ, ok := schema["type"].(string); ok && !typeOK(typ, v) {
		*errs = append(*errs, fmt.Sprintf("%s: %T where the schema wants %s", where, v, typ))
		return
	}
	obj, ok := v.(map[string]any)
	if !ok {
		if arr, ok := v.([]any); ok {
			for i, e := range arr {
				s.checkBody(fmt.Sprintf("%s[%d]", where, i), s.resolve(schema["items"]), e, errs)
			}
		}
		return
	}
	props, open := s.properties(schema)
	for _, r := range required(schema, s) {
		if _, ok := obj[r]; !ok {
			*errs = append(*errs, fmt.Sprintf("%s: required key %q missing", where, r))
		}
	}
	for k, val := range obj {
		p, known := props[k]
		if !known {
			if !open {
				*errs = append(*errs, fmt.Sprintf("%s: body key %q is not in the schema", where, k))
			}
			continue
		}
		s.checkBody(where+"."+k, s.resolve(p), val, errs)
	}
}

func required(schema map[string]any, s *spec) []string {
	var out []string
	if r, ok := schema["required"].([]any); ok {
		for _, k := range r {
			out = append(out, fmt.Sprint(k))
		}
	}
	if all, ok := schema["allOf"].([]any); ok {
		for _, part := range all {
			out = append(out, required(s.resolve(part), s)...)
		}
	}
	return out
}

func typeOK(typ string, v any) bool {
	switch typ {
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "integer", "number":
		_, ok := v.(float64)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	}
	return true
}

func validate(t *testing.T, reqs []fake.Request) (checked map[string]bool, errs []string) {
	checked = map[string]bool{}
	for _, r := range reqs {
		path := strings.SplitN(r.Path, "?", 2)[0]
		var sp *spec
		var item map[string]any
		var tmpl string
		for _, s := range loadSpecs(t) {
			for _, p := range s.paths {
				if p.re.MatchString(path) && (item == nil || len(p.tmpl) > len(tmpl)) {
					sp, item, tmpl = s, p.item, p.tmpl
				}
			}
		}
		where := r.Method + " " + r.Route
		if item == nil {
			errs = append(errs, where+": no such path in the specs")
			continue
		}
		op := sp.resolve(item[strings.ToLower(r.Method)])
		if op == nil {
			errs = append(errs, where+": method not in the spec for "+tmpl)
			continue
		}
		checked[r.Method+" "+tmpl] = true
		declared := map[string]bool{}
		for _, list := range []any{item["parameters"], op["parameters"]} {
			ps, _ := list.([]any)
			for _, p := range ps {
				pm := sp.resolve(p)
				if pm["in"] == "query" {
					declared[pm["name"].(string)] = true
				}
			}
		}
		for k := range r.Query {
			if !declared[k] {
				errs = append(errs, fmt.Sprintf("%s: query parameter %q is not declared", where, k))
			}
		}
		if len(r.Body) == 0 {
			continue
		}
		rb := sp.resolve(op["requestBody"])
		content, _ := rb["content"].(map[string]any)
		ct := r.Header.Get("Content-Type")
		switch {
		case strings.HasPrefix(ct, "multipart/form-data"):
			if content["multipart/form-data"] == nil {
				errs = append(errs, where+": multipart body not accepted by the spec")
			}
		default:
			media := sp.resolve(content["application/json"])
			if media == nil {
				errs = append(errs, where+": JSON body not accepted by the spec")
				continue
			}
			var body any
			if err := json.Unmarshal(r.Body, &body); err != nil {
				errs = append(errs, where+": body is not JSON")
				continue
			}
			sp.checkBody(where, sp.resolve(media["schema"]), body, &errs)
		}
	}
	return checked, errs
}

func TestRequestsMatchTheOpenAPISpecs(t *testing.T) {
	all := map[string]bool{}
	for _, cloud := range []bool{true, false} {
		s := newSite(t, cloud)
		s.seed()
		ctx := context.Background()
		if _, err := newWorker(t, s).Run(ctx, tracker.ModeRun); err != nil {
			t.Fatal(err)
		}
		tg := newTarget(t, s, nil)
		host := strings.TrimPrefix(s.srv.URL, "http://")
		tk := ticket(host, jira.SprintKey(host, 7))
		ref, err := tg.Find(ctx, tk.Fingerprint)
		if err != nil || ref == nil {
			t.Fatalf("find: %v %v", ref, err)
		}
		tk.Title = "changed"
		if err := tg.Update(ctx, *ref, tk); err != nil {
			t.Fatal(err)
		}
		if err := tg.Comment(ctx, *ref, "note"); err != nil {
			t.Fatal(err)
		}
		s.srv.Resolve(ref.ID, "Done", now.Add(-time.Hour))
		if err := tg.Reopen(ctx, *ref); err != nil {
			t.Fatal(err)
		}
		checked, errs := validate(t, s.srv.Requests())
		for _, e := range errs {
			t.Errorf("cloud=%v: %s", cloud, e)
		}
		for k := range checked {
			all[k] = true
		}
	}
	for _, want := range []string{"GET /rest/api/2/field", "GET /rest/api/2/project/{projectIdOrKey}/version",
		"GET /rest/agile/1.0/board/{boardId}/sprint", "GET /rest/api/2/search/jql", "GET /rest/api/2/search",
		"GET /rest/api/2/issue/{issueIdOrKey}/changelog", "GET /rest/api/2/issue/{issueIdOrKey}", "POST /rest/api/2/issue",
		"PUT /rest/api/2/issue/{issueIdOrKey}", "POST /rest/api/2/issue/{issueIdOrKey}/comment",
		"POST /rest/api/2/issue/{issueIdOrKey}/attachments", "POST /rest/api/2/issue/{issueIdOrKey}/remotelink",
		"GET /rest/api/2/issue/{issueIdOrKey}/transitions", "POST /rest/api/2/issue/{issueIdOrKey}/transitions"} {
		if !all[want] {
			t.Errorf("%s was not exercised", want)
		}
	}
}

// The validator itself must be able to fail.
func TestOpenAPIValidatorCatchesStrayKeys(t *testing.T) {
	bad := []fake.Request{
		{Method: "GET", Route: "/rest/api/2/search/jql", Path: "/rest/api/2/search/jql?jql=x&bogus=1",
			Query: map[string][]string{"jql": {"x"}, "bogus": {"1"}}},
		{Method: "POST", Route: "/rest/api/2/issue/{key}/remotelink", Path: "/rest/api/2/issue/REV-1/remotelink",
			Header: map[string][]string{"Content-Type": {"application/json"}},
			Body:   []byte(`{"globalId":"g","object":{"title":"t"}}`)},
		{Method: "POST", Route: "/rest/api/2/issue/{key}/comment", Path: "/rest/api/2/issue/REV-1/comment",
			Header: map[string][]string{"Content-Type": {"application/json"}}, Body: []byte(`{"body":5}`)},
		{Method: "DELETE", Route: "/rest/api/2/field", Path: "/rest/api/2/field"},
	}
	_, errs := validate(t, bad)
	want := []string{`query parameter "bogus"`, `required key "url" missing`, "float64 where the schema wants string", "method not in the spec"}
	for _, w := range want {
		found := false
		for _, e := range errs {
			found = found || strings.Contains(e, w)
		}
		if !found {
			t.Errorf("validator missed %q; got %q", w, errs)
		}
	}
}
