package rules_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/forewarn/forewarn/internal/diag"
	"github.com/forewarn/forewarn/rules"
)

// Every file in testdata/errors is a broken rules file whose "# error:"
// comment lines list exactly the diagnostics Load must report, with their
// positions (line:col: rule "name": message).
func TestBrokenRulesFilesReportEveryProblemWithItsPosition(t *testing.T) {
	files, err := filepath.Glob("testdata/errors/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 20 {
		t.Fatalf("only %d broken files", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, line := range strings.Split(string(data), "\n") {
				if msg, ok := strings.CutPrefix(line, "# error: "); ok {
					want = append(want, f+":"+msg)
				}
			}
			if len(want) == 0 {
				t.Fatal("no # error: lines")
			}
			set, err := rules.Load(f)
			if err == nil {
				t.Fatalf("loaded: %s", set.Summary())
			}
			var l *diag.List
			if !errors.As(err, &l) {
				t.Fatalf("error %T is not a *diag.List: %v", err, err)
			}
			got := strings.Split(err.Error(), "\n")
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("diagnostics differ\n--- want\n%s\n--- got\n%s", strings.Join(want, "\n"), strings.Join(got, "\n"))
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := rules.Load("testdata/nope.yaml")
	if err == nil || err.Error() != "testdata/nope.yaml: cannot read rules: no such file or directory" {
		t.Fatalf("err = %v", err)
	}
}

func TestShippedRulesLoad(t *testing.T) {
	s, err := rules.Load("../rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"milestone-at-risk", "milestone-very-likely-late", "milestone-diverging", "second-slip", "milestone-missed",
		"weekly-progress-update", "insufficient-data", "insufficient-data-sprint", "work-stalled"}
	if got := s.Rules(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("rules %v", got)
	}
}
