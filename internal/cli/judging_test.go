package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/forewarn/forewarn/internal/cli"
	"github.com/forewarn/forewarn/internal/demotest"
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
	if code != cli.ExitPartial {
		t.Fatalf("exit %d, want %d (a rule failed)\n%s", code, cli.ExitPartial, stderr)
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
	if code != cli.ExitPartial || !strings.Contains(stdout, "FAILED RULE  broken-budget on file:demo/") {
		t.Errorf("exit %d; the table does not show the failed rule:\n%s", code, stdout)
	}
}
