package notice

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/forewarn/forewarn/internal/model"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

func newRenderer(t testing.TB) *Renderer {
	t.Helper()
	r, err := New(Options{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return r
}

func ext(f model.Format) string {
	if f == model.FormatJiraWiki {
		return "jira"
	}
	return "md"
}

// TestGolden renders every template in every language for every target and
// compares title, body and comment with testdata/golden (-update rewrites).
func TestGolden(t *testing.T) {
	r := newRenderer(t)
	for _, p := range purposes {
		for _, lang := range languages {
			for _, f := range formats {
				name := string(p) + "." + lang + "." + ext(f)
				t.Run(name, func(t *testing.T) {
					tk, err := r.Render(fixture(lang, p), f)
					if err != nil {
						t.Fatalf("Render: %v", err)
					}
					got := "TITLE: " + tk.Title + "\n\n" + tk.Body
					if tk.Comment != "" {
						got += "\nCOMMENT: " + tk.Comment + "\n"
					}
					path := filepath.Join("testdata", "golden", name)
					if *update {
						if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
							t.Fatal(err)
						}
						return
					}
					want, err := os.ReadFile(path)
					if err != nil {
						t.Fatalf("reading golden file (run with -update to create it): %v", err)
					}
					if got != string(want) {
						t.Errorf("%s differs from the golden file; run `go test ./internal/notice -update` and review the diff.\n--- got ---\n%s", name, got)
					}
				})
			}
		}
	}
}
