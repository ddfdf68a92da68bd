package yamlx_test

import (
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn/internal/diag"
	"github.com/forewarn/forewarn/internal/yamlx"
)

type inner struct {
	Path  string `yaml:"path"`
	Count int    `yaml:"count"`
}

type doc struct {
	Name   string           `yaml:"name"`
	Inner  inner            `yaml:"inner"`
	List   []inner          `yaml:"list"`
	ByName map[string]inner `yaml:"by_name"`
	Wait   time.Duration    `yaml:"wait"`
}

func decode(t *testing.T, src string) (doc, []string) {
	t.Helper()
	var d doc
	n, err := yamlx.Parse("f.yaml", []byte(src))
	if err != nil {
		return d, strings.Split(err.Error(), "\n")
	}
	l := &diag.List{}
	yamlx.Decode("f.yaml", n, &d, "", l)
	var out []string
	for _, it := range l.Items {
		out = append(out, it.String())
	}
	return d, out
}

func TestDecodeReportsEveryProblemWithItsPosition(t *testing.T) {
	cases := []struct {
		name, src string
		want      []string
	}{
		{"unknown top-level key", "name: a\nnmae: b\n",
			[]string{`f.yaml:2:1: unknown key "nmae" (allowed: by_name, inner, list, name, wait)`}},
		{"unknown nested key, in a list and in a map, all at once",
			"inner:\n  pth: x\nlist:\n  - path: a\n  - cnt: 2\nby_name:\n  a: {path: p, extra: 1}\n",
			[]string{
				`f.yaml:2:3: unknown key "pth" (allowed: count, path)`,
				`f.yaml:5:5: unknown key "cnt" (allowed: count, path)`,
				`f.yaml:7:16: unknown key "extra" (allowed: count, path)`,
			}},
		{"duplicate key", "name: a\nname: b\n", []string{`f.yaml:2:1: key "name" appears twice`}},
		{"wrong type", "inner:\n  count: many\n", []string{`f.yaml:2:10: `}},
		{"mapping expected", "inner: [1, 2]\n", []string{`f.yaml:1:8: inner: want a mapping, got a list`}},
		{"two documents", "name: a\n---\nname: b\n", []string{`f.yaml:2:1: only one YAML document is allowed`}},
		{"syntax error", "name: [a\n", []string{`f.yaml:`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, got := decode(t, c.src)
			if len(got) != len(c.want) {
				t.Fatalf("got %d problems, want %d:\n%s", len(got), len(c.want), strings.Join(got, "\n"))
			}
			for i := range c.want {
				if !strings.HasPrefix(got[i], c.want[i]) {
					t.Errorf("problem %d:\n got %s\nwant %s…", i, got[i], c.want[i])
				}
			}
		})
	}
}

func TestDecodeFillsValidDocuments(t *testing.T) {
	d, problems := decode(t, "name: n\ninner: {path: p, count: 3}\nlist: [{path: a}]\nby_name: {x: {count: 1}}\nwait: 2m\n")
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	if d.Name != "n" || d.Inner.Count != 3 || len(d.List) != 1 || d.ByName["x"].Count != 1 || d.Wait != 2*time.Minute {
		t.Errorf("decoded %+v", d)
	}
	// An empty file is an empty mapping, not an error.
	if _, problems := decode(t, ""); len(problems) > 0 {
		t.Errorf("empty document: %v", problems)
	}
}
