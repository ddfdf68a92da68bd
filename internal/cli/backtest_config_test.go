package cli_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn/internal/cli"
	"github.com/forewarn/forewarn/internal/demotest"
	fakegh "github.com/forewarn/forewarn/internal/testserver/github"
)

// `forewarn backtest --config` on the demo: the export's milestone whose
// outcome is known (overdue and open) is replayed at 30, 50 and 80 % of its
// life with the configured forecast, and the table printed.
func TestBacktestConfigOnTheDemo(t *testing.T) {
	_, cfg := demotest.Copy(t)
	code, out, stderr := forewarn(t, "backtest", "--config", cfg)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, want := range []string{"your last 1 milestone(s) with a known outcome", "1 milestones (1 missed), 3 checkpoints.",
		"| Monte Carlo: P(on time) < 50 % | 100 % | 100 % | 1 / 1 |"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if code, _, stderr := forewarn(t, "backtest", "--config", cfg, "-input", "sprints"); code != 2 || !strings.Contains(stderr, "-input does not apply with -config") {
		t.Errorf("-input with -config: exit %d, %s", code, stderr)
	}
}

// Against the fake GitHub: closed milestones (one finished after its due
// date, one before) are read through the configured source and replayed.
func TestBacktestConfigAgainstGitHub(t *testing.T) {
	const token = "ghp_backtest000000000000000000000000000"
	s := fakegh.New(token)
	defer s.Close()
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	day := func(n int) time.Time { return now.Add(time.Duration(n) * 24 * time.Hour) }
	s.AddMilestone("acme/web", fakegh.Milestone{Number: 1, Title: "Search", DueOn: day(-20), CreatedAt: day(-60), State: "closed", ClosedAt: day(-13)})
	s.AddMilestone("acme/web", fakegh.Milestone{Number: 2, Title: "Login", DueOn: day(-10), CreatedAt: day(-50), State: "closed", ClosedAt: day(-12)})
	for i := 0; i < 10; i++ { // last done day(-14): six days late
		s.AddIssue("acme/web", fakegh.Issue{Title: "Search task", Milestone: 1, CreatedAt: day(-59),
			State: "closed", StateReason: "completed", ClosedAt: day(-50 + i*4)})
	}
	for i := 0; i < 8; i++ { // last done day(-17): on time
		s.AddIssue("acme/web", fakegh.Issue{Title: "Login task", Milestone: 2, CreatedAt: day(-49),
			State: "closed", StateReason: "completed", ClosedAt: day(-45 + i*4)})
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "forewarn.yaml")
	os.WriteFile(cfg, []byte(`version: 1
as_of: 2026-11-20T09:00:00Z
state: {driver: sqlite, path: state.db}
forecast: {trials: 2000}
sources:
  - name: acme-gh
    github: {repos: [acme/web], client: acme, base_url: `+s.URL+`}
target:
  outbox: {dir: outbox}
clients: [{id: acme, name: Acme Retail}]
`), 0o644)
	env := func(k string) string { return map[string]string{"GITHUB_TOKEN": token}[k] }
	code, out, stderr := forewarnEnv(t, env, "backtest", "--config", cfg)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if !strings.Contains(out, "2 milestones (1 missed), 6 checkpoints.") {
		t.Errorf("want both closed milestones replayed at 30/50/80 %%:\n%s", out)
	}
	if strings.Contains(out+stderr, token) {
		t.Error("the token leaked")
	}
	if _, err := os.Stat(filepath.Join(dir, "state.db")); err == nil {
		t.Error("backtest --config opened the state store: it must write nothing")
	}
}

func forewarnEnv(t *testing.T, env func(string) string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb strings.Builder
	code := cli.Run(context.Background(), args, &out, &errb, env)
	return code, out.String(), errb.String()
}
