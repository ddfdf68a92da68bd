package schema_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/forewarn/forewarn/internal/schema"
)

var update = flag.Bool("update", false, "rewrite the committed schema files")

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, _ := os.Getwd()
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		if filepath.Dir(dir) == dir {
			t.Fatal("go.mod not found")
		}
		dir = filepath.Dir(dir)
	}
}

// The schemas the examples' modelines point at are committed next to the
// code and must match what `forewarn schema` prints (-update rewrites them).
func TestCommittedSchemasAreCurrent(t *testing.T) {
	for name, path := range map[string]string{"rules": "rules/rules.schema.json", "rules-test": "rules/ruletest/ruletest.schema.json"} {
		var out, errb bytes.Buffer
		if code := schema.Main([]string{name}, &out, &errb); code != 0 {
			t.Fatalf("%s: exit %d: %s", name, code, errb.String())
		}
		full := filepath.Join(repoRoot(t), path)
		if *update {
			if err := os.WriteFile(full, out.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(full)
		if err != nil {
			t.Fatalf("%v (run go test ./internal/schema -update)", err)
		}
		if !bytes.Equal(out.Bytes(), want) {
			t.Errorf("%s is stale: run go test ./internal/schema -update", path)
		}
	}
}

func TestRulesSchemaShape(t *testing.T) {
	s := generate(t, "rules")
	if s["$schema"] != schema.Draft || s["additionalProperties"] != false {
		t.Fatalf("top: %v", s)
	}
	if got := fmt.Sprint(s["required"]); got != "[rules version]" {
		t.Errorf("required %s", got)
	}
	rule := s["properties"].(map[string]any)["rules"].(map[string]any)["items"].(map[string]any)
	props := rule["properties"].(map[string]any)
	if d := props["when"].(map[string]any)["description"]; !strings.Contains(fmt.Sprint(d), "expr-lang expression") {
		t.Errorf("when description %v", d)
	}
	if p := props["for"].(map[string]any)["pattern"]; p == nil {
		t.Error("durations carry a pattern")
	}
	if e := fmt.Sprint(props["action"].(map[string]any)["enum"]); e != "[client-notice progress-update post-mortem comment]" {
		t.Errorf("action enum %s", e)
	}
	kinds := props["scope"].(map[string]any)["properties"].(map[string]any)["kinds"].(map[string]any)
	if e := fmt.Sprint(kinds["items"].(map[string]any)["enum"]); e != "[milestone fixversion sprint]" {
		t.Errorf("kinds item enum %s", e)
	}
}

type cfgFile struct {
	Version  int       `yaml:"version" desc:"Format version." required:"true"`
	Forecast yaml.Node `yaml:"forecast"`
	Inline   `yaml:",inline"`
	Ptr      *struct {
		N float64 `yaml:"n"`
	} `yaml:"ptr"`
}

type Inline struct {
	Name string `yaml:"name" enum:"a,b"`
}

type forecastSection struct {
	Trials int `yaml:"trials" desc:"Trials."`
}

func TestRegisterAConfigType(t *testing.T) {
	schema.Register("test-config", reflect.TypeOf(cfgFile{}), "test config")
	schema.RegisterField(reflect.TypeOf(cfgFile{}), "forecast", reflect.TypeOf(forecastSection{}))
	s := generate(t, "test-config")
	props := s["properties"].(map[string]any)
	if s["title"] != "test config" || props["name"].(map[string]any)["enum"] == nil {
		t.Fatalf("inline field or title missing: %v", s)
	}
	fc := props["forecast"].(map[string]any)
	if fc["properties"].(map[string]any)["trials"].(map[string]any)["type"] != "integer" {
		t.Errorf("registered field type not used: %v", fc)
	}
	if props["ptr"].(map[string]any)["properties"].(map[string]any)["n"].(map[string]any)["type"] != "number" {
		t.Errorf("pointer to struct: %v", props["ptr"])
	}
}

func TestMainUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if code := schema.Main([]string{"nope"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), `no schema "nope" (known: `) {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	errb.Reset()
	if code := schema.Main([]string{"a", "b"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "usage: forewarn schema [") {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	out.Reset()
	if code := schema.Main(nil, &out, &errb); code != 0 || !strings.Contains(out.String(), "forewarn rules file") {
		t.Fatalf("default: exit %d", code)
	}
}

// The shipped files validate against the generated schemas, and a file
// with a misspelt key does not: the schema is strict like the loader.
func TestShippedFilesValidate(t *testing.T) {
	root := repoRoot(t)
	for file, name := range map[string]string{"rules.yaml": "rules", "rules_test.yaml": "rules-test"} {
		data, err := os.ReadFile(filepath.Join(root, file))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(data, []byte("# yaml-language-server: $schema=")) {
			t.Errorf("%s lacks the yaml-language-server modeline", file)
		}
		var doc any
		if err := yaml.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		if errs := validate(generate(t, name), doc, "$"); len(errs) > 0 {
			t.Errorf("%s does not validate:\n%s", file, strings.Join(errs, "\n"))
		}
	}
	var bad any
	_ = yaml.Unmarshal([]byte("version: 1\nrules:\n  - name: x\n    when: \"true\"\n    action: post-mortem\n    sevrity: info\n"), &bad)
	errs := validate(generate(t, "rules"), bad, "$")
	if len(errs) != 1 || !strings.Contains(errs[0], `$.rules[0]: unknown property "sevrity"`) {
		t.Errorf("misspelt key: %v", errs)
	}
}

func generate(t *testing.T, name string) map[string]any {
	t.Helper()
	b, err := schema.Generate(name)
	if err != nil {
		t.Fatal(err)
	}
	var s map[string]any
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// validate checks the subset of JSON Schema the generator emits.
func validate(s map[string]any, v any, at string) []string {
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, at+": "+fmt.Sprintf(format, args...)) }
	switch s["type"] {
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			bad("want an object, got %T", v)
			return errs
		}
		props, _ := s["properties"].(map[string]any)
		for k, x := range m {
			if ps, ok := props[k]; ok {
				errs = append(errs, validate(ps.(map[string]any), x, at+"."+k)...)
			} else if ap, ok := s["additionalProperties"].(map[string]any); ok {
				errs = append(errs, validate(ap, x, at+"."+k)...)
			} else if props != nil {
				bad("unknown property %q", k)
			}
		}
		req, _ := s["required"].([]any)
		for _, r := range req {
			if _, ok := m[r.(string)]; !ok {
				bad("missing %q", r)
			}
		}
	case "array":
		l, ok := v.([]any)
		if !ok {
			bad("want an array, got %T", v)
			return errs
		}
		for i, x := range l {
			errs = append(errs, validate(s["items"].(map[string]any), x, fmt.Sprintf("%s[%d]", at, i))...)
		}
	case "string":
		if tm, ok := v.(time.Time); ok { // YAML timestamps are strings to an editor
			v = tm.Format(time.RFC3339)
		}
		str, ok := v.(string)
		if !ok {
			bad("want a string, got %T", v)
			return errs
		}
		if p, ok := s["pattern"].(string); ok && !regexp.MustCompile(p).MatchString(str) {
			bad("%q does not match %s", str, p)
		}
	case "integer":
		if _, ok := v.(int); !ok {
			bad("want an integer, got %T", v)
		}
	case "number":
		switch v.(type) {
		case int, float64:
		default:
			bad("want a number, got %T", v)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			bad("want a boolean, got %T", v)
		}
	}
	if e, ok := s["enum"].([]any); ok {
		found := false
		for _, x := range e {
			found = found || fmt.Sprint(x) == fmt.Sprint(v)
		}
		if !found {
			bad("%v is not one of %v", v, e)
		}
	}
	return errs
}
