package cli_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/forewarn/forewarn/internal/demotest"
	"github.com/forewarn/forewarn/internal/exitcode"
)

// appendRule adds a rule to the demo copy's rules.yaml.
func appendRule(t *testing.T, root, rule string) {
	t.Helper()
	p := filepath.Join(root, "rules.yaml")
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, append(data, []byte(rule)...), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A rule whose expression breaks at run time (here its memory budget) is
// a failed rule, in the JSON report and the table, and the run exits 1;
// the other rules are still judged and acted on.
func TestRuleThatFailsAtRunTimeIsReported(t *testing.T) {
	root, cfg := demotest.Copy(t)
	appendRule(t, root, `
  - name: broken-budget
    description: builds a list far beyond the expression memory budget
    when: milestone.open && len(1..100000000) > 0
    severity: warning
    action: client-notice
    repeat: 7d
`)
	code, stdout, stderr := forewarn(t, "run", "--config", cfg, "--now", now, "--json")
	if code != exitcode.Partial {
		t.Fatalf("exit %d, want %d (a rule failed)\n%s", code, exitcode.Partial, stderr)
	}
	rep := report(t, stdout)
	if len(rep.RuleFailures) == 0 {
		t.Fatalf("no rule failure in the report: %+v", rep)
	}
	for _, f := range rep.RuleFailures {
		if f.Rule != "broken-budget" || !strings.HasPrefix(f.MilestoneKey, "file:demo/") || !strings.Contains(f.Err, "memory budget") {
			t.Errorf("rule failure %+v", f)
		}
	}
	if rep.Count("create") == 0 {
		t.Error("the other rules were not acted on")
	}

	root, cfg = demotest.Copy(t)
	appendRule(t, root, `
  - name: broken-budget
    when: milestone.open && len(1..100000000) > 0
    severity: warning
    action: client-notice
    repeat: 7d
`)
	code, stdout, _ = forewarn(t, "plan", "--config", cfg, "--now", now)
	if code != exitcode.Partial || !strings.Contains(stdout, "FAILED RULE  broken-budget on file:demo/") {
		t.Errorf("exit %d; the table does not show the failed rule:\n%s", code, stdout)
	}
}

// A --now earlier than the stored rule state is judged as a fresh run
// would be, says so, and leaves the stored state for the runs after it.
func TestClockEarlierThanRuleStateEvaluatesFresh(t *testing.T) {
	root, cfg := demotest.Copy(t)
	appendRule(t, root, `
  - name: open-for-two-days
    when: milestone.open
    for: 2d
    severity: info
    action: comment
    ticket: progress-update
    repeat: 7d
`)
	fired := func(t *testing.T, stdout string) bool {
		t.Helper()
		for _, m := range report(t, stdout).Milestones {
			for _, f := range m.Findings {
				if f.Rule == "open-for-two-days" {
					return true
				}
			}
		}
		return false
	}
	for _, at := range []string{"2026-11-20T09:00:00Z", "2026-11-23T09:00:00Z"} {
		if code, _, stderr := forewarn(t, "run", "--config", cfg, "--now", at, "--json"); code != exitcode.OK {
			t.Fatalf("run at %s: exit %d\n%s", at, code, stderr)
		}
	}
	// Held since 20 November, fired on the 23rd. On the 21st a fresh run
	// has seen it hold for no time at all: it must not fire.
	code, stdout, stderr := forewarn(t, "run", "--config", cfg, "--now", "2026-11-21T09:00:00Z", "--json")
	if code != exitcode.OK {
		t.Fatalf("run on the 21st: exit %d\n%s", code, stderr)
	}
	if fired(t, stdout) {
		t.Error("on the 21st the rule fired on the state of the 23rd")
	}
	var said bool
	for _, n := range report(t, stdout).Notes {
		said = said || strings.Contains(n, "earlier than the stored rule state (2026-11-23T09:00:00Z)")
	}
	if !said {
		t.Errorf("the run does not say the clock is behind the stored state; notes: %v", report(t, stdout).Notes)
	}
	// The stored state was kept: on the 24th the rule still fires
	// (it has held since the 20th), as it would have without the detour.
	code, stdout, stderr = forewarn(t, "plan", "--config", cfg, "--now", "2026-11-24T09:00:00Z", "--json")
	if code != exitcode.OK || !fired(t, stdout) {
		t.Errorf("on the 24th: exit %d, fired %v (the stored state was lost)\n%s", code, fired(t, stdout), stderr)
	}
}

// Bad data in an export is refused at its place, milestone by milestone:
// the others are still judged and written, the run exits 1, and the JSON
// report is whole.
func TestBadExportDataIsRefusedNotJudged(t *testing.T) {
	root, cfg := demotest.Copy(t)
	export := filepath.Join(root, "examples", "demo", "export.yaml")
	data, err := os.ReadFile(export)
	if err != nil {
		t.Fatal(err)
	}
	base := strings.Count(string(data), "\n")
	bad := `  - key: nan-points
    client: acme
    due: "2026-12-18"
    items:
      - key: "X-1"
        created: "2026-11-02"
        points: .nan
  - key: nobodys
    client: acmee
    due: "2026-12-18"
  - key: backwards
    client: acme
    start: "2026-11-10"
    due: "2026-11-01"
  - key: year-one
    client: acme
    due: "2026-12-18"
    items:
      - key: "X-2"
        created: "0001-03-04"
        points: -2
  - key: year-10000
    client: acme
    due: "10000-01-01"
  - key: infinite
    client: acme
    due: "2026-12-18"
    items:
      - key: "X-3"
        created: "2026-11-02"
        blocked_days: .inf
`
	if err := os.WriteFile(export, append(data, bad...), 0o644); err != nil {
		t.Fatal(err)
	}
	at := func(line, col int) string { return fmt.Sprintf("%s:%d:%d: ", export, base+line, col) }
	want := map[string][]string{
		"file:demo/nan-points": {at(7, 17) + "milestones[4] (nan-points): item X-1: points is NaN, want a number of at least 0"},
		"file:demo/nobodys":    {at(9, 13) + `milestones[5] (nobodys): client "acmee" is not in the configuration's clients`},
		"file:demo/backwards":  {at(14, 10) + "milestones[6] (backwards): due 2026-11-01 is before the start 2026-11-10"},
		"file:demo/year-one": {at(20, 18) + "milestones[7] (year-one): item X-2: created 0001-03-04T00:00:00Z is outside the years 1900–9999",
			at(21, 17) + "milestones[7] (year-one): item X-2: points is -2, want a number of at least 0"},
		"file:demo/year-10000": {at(24, 10) + "milestones[8] (year-10000): due 10000-01-01T00:00:00Z is outside the years 1900–9999"},
		"file:demo/infinite":   {at(31, 23) + "milestones[9] (infinite): item X-3: blocked_days is +Inf, want a finite number"},
	}

	for _, mode := range []string{"plan", "run"} {
		code, stdout, stderr := forewarn(t, mode, "--config", cfg, "--now", now, "--json")
		if code != exitcode.Partial {
			t.Fatalf("%s: exit %d, want %d\n%s", mode, code, exitcode.Partial, stderr)
		}
		rep := report(t, stdout)
		got := map[string]string{}
		for _, f := range rep.Failed {
			got[f.Key] = f.Err
		}
		for key, lines := range want {
			if got[key] != strings.Join(lines, "\n") {
				t.Errorf("%s: %s reported as\n%s\nwant\n%s", mode, key, got[key], strings.Join(lines, "\n"))
			}
		}
		if len(rep.Failed) != len(want) {
			t.Errorf("%s: %d not judged, want %d: %+v", mode, len(rep.Failed), len(want), rep.Failed)
		}
		if len(rep.Milestones) != 4 {
			t.Errorf("%s: %d milestones judged, want the demo's 4", mode, len(rep.Milestones))
		}
		if mode == "run" && rep.Count("create") == 0 {
			t.Error("nothing was written for the valid milestones")
		}
	}
	code, stdout, _ := forewarn(t, "plan", "--config", cfg, "--now", now)
	if code != exitcode.Partial || !strings.Contains(stdout, "NOT JUDGED  demo file:demo/nan-points: "+at(7, 17)) {
		t.Errorf("exit %d; the table does not place the problem:\n%s", code, stdout)
	}
}
