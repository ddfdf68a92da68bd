package ruletest_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/forewarn/forewarn/rules/ruletest"
)

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found")
		}
		dir = parent
	}
}

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := ruletest.Main(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// The shipped rules pass their shipped tests (CI runs this).
func TestShippedRulesPassTheirTests(t *testing.T) {
	code, out, errs := run(t, filepath.Join(repoRoot(t), "rules_test.yaml"))
	if code != ruletest.ExitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	if !strings.HasPrefix(out, "SUCCESS: ") || !strings.Contains(out, "(15 tests, 33 evaluations)") {
		t.Fatalf("stdout: %q", out)
	}
}

func TestWrongExpectationFailsWithADiff(t *testing.T) {
	code, out, _ := run(t, "testdata/wrong.yaml")
	if code != ruletest.ExitFailed {
		t.Fatalf("exit %d, want %d\n%s", code, ruletest.ExitFailed, out)
	}
	for _, want := range []string{
		"FAILED: testdata/wrong.yaml (1 of 1 tests failed)",
		// Day one: [] means nothing may fire, but the notice did.
		"  testdata/wrong.yaml:14: test \"three wrong expectations\", evaluation at 2026-02-23T09:00:00Z:\n" +
			"    findings differ (- expected, + got):\n" +
			"      + rule=milestone-at-risk milestone=demo:checkout purpose=client-notice severity=warning may_update=true\n",
		// Day two: the severity differs; only the differing field is shown.
		"  testdata/wrong.yaml:16: test \"three wrong expectations\", evaluation at 2026-02-24T09:00:00Z:\n" +
			"    finding differs (- expected, + got):\n" +
			"      - rule=milestone-at-risk milestone=demo:checkout severity=critical\n" +
			"      + rule=milestone-at-risk milestone=demo:checkout severity=warning\n",
		// Day three: an expected finding is missing and an unexpected one fired.
		"  testdata/wrong.yaml:20: test \"three wrong expectations\", evaluation at 2026-02-25T09:00:00Z:\n" +
			"    findings differ (- expected, + got):\n" +
			"      - rule=milestone-missed milestone=demo:checkout\n" +
			"      + rule=milestone-at-risk milestone=demo:checkout purpose=client-notice severity=warning may_update=false\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks:\n%s\n--- output:\n%s", want, out)
		}
	}
}

func TestBadFilesExitTwoWithPositions(t *testing.T) {
	cases := []struct {
		file string
		want []string
	}{
		{"testdata/bad_test.yaml", []string{`testdata/bad_test.yaml:10:9: unknown key "colour"`}},
		{"testdata/bad_fixture.yaml", []string{
			`testdata/bad_fixture.yaml:9:15: test "closes more than there is": milestone demo:x: done: day 4 (2026-02-05) closes more items than the milestone has`,
			`testdata/bad_fixture.yaml:13:9: test "closes more than there is": evaluations must go forward in time`,
			`testdata/bad_fixture.yaml:13:9: test "closes more than there is": findings is missing`,
		}},
		// A series asking for millions of items is refused before they are
		// made (it took a minute and gigabytes).
		{"testdata/bad_added.yaml", []string{
			`testdata/bad_added.yaml:9:16: test "millions join": milestone demo:y: added: 7769223 items join in all, 7769263 with the 40 at the start; at most 100000`,
		}},
		{"testdata/bad_promised.yaml", []string{
			`testdata/bad_promised.yaml:8:23: test "a promised date after the due date": milestone demo:z: promised_due: 2026-03-20 is not before the due date 2026-03-13: a date moved later`,
		}},
		{"testdata/uses_bad_rules.yaml", []string{`testdata/bad_rules.yaml:4:20: rule "broken": when: forecast has no field prob`}},
		{"testdata/missing.yaml", []string{"reading rule tests"}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			code, out, errs := run(t, c.file)
			if code != ruletest.ExitBad {
				t.Fatalf("exit %d, want %d\n%s%s", code, ruletest.ExitBad, out, errs)
			}
			if !strings.HasPrefix(out, "FAILED: "+c.file) {
				t.Errorf("stdout %q", out)
			}
			for _, w := range c.want {
				if !strings.Contains(errs, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errs)
				}
			}
		})
	}
}

// A fixture can carry the due date a milestone had when work started
// (promised_due), for rules on dates moved in the tracker.
func TestFixtureWithAMovedDueDate(t *testing.T) {
	code, out, errs := run(t, "testdata/moved.yaml")
	if code != ruletest.ExitOK || !strings.HasPrefix(out, "SUCCESS: ") {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
}

func TestUsage(t *testing.T) {
	if code, _, errs := run(t); code != ruletest.ExitBad || !strings.Contains(errs, "usage: forewarn test") {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	code, out, _ := run(t, "-run", "healthy", filepath.Join(repoRoot(t), "rules_test.yaml"))
	if code != ruletest.ExitOK || !strings.Contains(out, "(1 tests, 2 evaluations)") {
		t.Fatalf("-run: exit %d, %q", code, out)
	}
}
