package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/forewarn/forewarn/internal/cli"
	"github.com/forewarn/forewarn/internal/demotest"
	"github.com/forewarn/forewarn/internal/exitcode"
	"github.com/forewarn/forewarn/internal/tracker"
)

func noEnv(string) string { return "" }

// forewarn runs the CLI entry point as a user would.
func forewarn(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Run(context.Background(), args, &out, &errb, noEnv)
	return code, out.String(), errb.String()
}

const now = "2026-11-20T09:00:00Z"

func report(t *testing.T, stdout string) tracker.Report {
	t.Helper()
	var r tracker.Report
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, stdout)
	}
	return r
}

func tree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	return out
}

func TestDemoRunDraftsForAtRiskAndMissedOnly(t *testing.T) {
	root, cfg := demotest.Copy(t)
	before := tree(t, root)

	code, stdout, stderr := forewarn(t, "plan", "--config", cfg, "--now", now, "--json")
	if code != exitcode.OK {
		t.Fatalf("plan exit %d\n%s", code, stderr)
	}
	plan := report(t, stdout)
	if after := tree(t, root); strings.Join(after, "\n") != strings.Join(before, "\n") {
		t.Fatalf("plan wrote files:\nbefore %v\nafter  %v", before, after)
	}

	code, stdout, stderr = forewarn(t, "run", "--config", cfg, "--now", now, "--json")
	if code != exitcode.OK {
		t.Fatalf("run exit %d\n%s", code, stderr)
	}
	run := report(t, stdout)

	// At risk → client notice; missed → post-mortem; the healthy one gets
	// only the weekly progress update every open client milestone gets
	// (the demo's clock is a Friday, the rule's first week).
	want := map[string]bool{
		"file:demo/checkout-redesign client-notice":     true,
		"file:demo/klantportaal-fase-2 client-notice":   true,
		"file:demo/mobile-app-2-1 post-mortem":          true,
		"file:demo/analytics-dashboard progress-update": true,
		"file:demo/checkout-redesign progress-update":   true,
		"file:demo/klantportaal-fase-2 progress-update": true,
	}
	created := map[string]bool{}
	for _, a := range run.Actions {
		k := a.MilestoneKey + " " + string(a.Purpose)
		if a.Kind != tracker.ActionCreate || !a.Done {
			t.Errorf("first run did something other than create: %+v", a)
			continue
		}
		if created[k] {
			t.Errorf("two creates for %s", k)
		}
		created[k] = true
		if !want[k] {
			t.Errorf("unexpected ticket %s (rule %s)", k, a.Rule)
		}
	}
	for k := range want {
		if !created[k] {
			t.Errorf("no ticket %s; actions: %+v", k, run.Actions)
		}
	}

	// plan listed exactly the actions run took.
	if len(plan.Actions) != len(run.Actions) {
		t.Fatalf("plan has %d actions, run %d", len(plan.Actions), len(run.Actions))
	}
	for i := range plan.Actions {
		p, r := plan.Actions[i], run.Actions[i]
		if p.Kind != r.Kind || p.Fingerprint != r.Fingerprint || p.Title != r.Title {
			t.Errorf("action %d: plan %s %s %q, run %s %s %q", i, p.Kind, p.Fingerprint, p.Title, r.Kind, r.Fingerprint, r.Title)
		}
	}

	outbox := filepath.Join(root, "examples", "demo", "outbox")
	drafts, _ := filepath.Glob(filepath.Join(outbox, "fw-*.md"))
	var notices int
	for _, d := range drafts {
		if !strings.HasSuffix(d, ".comments.md") {
			notices++
		}
	}
	if notices != len(created) {
		t.Fatalf("%d draft files for %d creates: %v", notices, len(created), drafts)
	}
	if _, err := os.Stat(filepath.Join(outbox, "index.json")); err != nil {
		t.Fatal("no index.json in the outbox")
	}

	// Run twice: nothing new.
	code, stdout, stderr = forewarn(t, "run", "--config", cfg, "--now", now, "--json")
	if code != exitcode.OK {
		t.Fatalf("second run exit %d\n%s", code, stderr)
	}
	again := report(t, stdout)
	if n := again.Count(tracker.ActionCreate); n != 0 {
		t.Fatalf("second run created %d tickets: %+v", n, again.Actions)
	}
	// Same data, same clock: every draft comes out as it was written.
	for _, a := range again.Actions {
		if a.Reason != "up to date" {
			t.Errorf("second run: %s %s is %q, want up to date", a.MilestoneKey, a.Purpose, a.Reason)
		}
	}
	drafts2, _ := filepath.Glob(filepath.Join(outbox, "fw-*.md"))
	if len(drafts2) != len(drafts) {
		t.Fatalf("second run changed the outbox: %d → %d files", len(drafts), len(drafts2))
	}
}

// The demo's config freezes its clock (as_of), so README's command gives
// the same plan on any day as an explicit --now does.
func TestDemoClockFrozenByConfig(t *testing.T) {
	_, cfg := demotest.Copy(t)
	code, frozen, stderr := forewarn(t, "plan", "--config", cfg, "--json")
	if code != exitcode.OK {
		t.Fatalf("plan exit %d\n%s", code, stderr)
	}
	_, explicit, _ := forewarn(t, "plan", "--config", cfg, "--json", "--now", now)
	a, b := report(t, frozen), report(t, explicit)
	if len(a.Actions) != 6 || len(a.Actions) != len(b.Actions) {
		t.Fatalf("plan without --now has %d actions, with --now %d", len(a.Actions), len(b.Actions))
	}
	for i := range a.Actions {
		if a.Actions[i].Fingerprint != b.Actions[i].Fingerprint || a.Actions[i].Title != b.Actions[i].Title {
			t.Errorf("action %d differs: %q vs %q", i, a.Actions[i].Title, b.Actions[i].Title)
		}
	}
	if code, _, stderr := forewarn(t, "plan", "--config", cfg, "--now", "next tuesday"); code != exitcode.Usage || !strings.Contains(stderr, "not a time") {
		t.Errorf("bad --now: exit %d: %s", code, stderr)
	}
}

func TestDemoHumanOutput(t *testing.T) {
	_, cfg := demotest.Copy(t)
	code, stdout, stderr := forewarn(t, "run", "--config", cfg, "--now", now)
	if code != exitcode.OK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, want := range []string{"4 milestone(s) judged", "CREATE", "Done: 6 created", "outbox"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	code, stdout, _ = forewarn(t, "run", "--config", cfg, "--now", now)
	if code != exitcode.OK || !strings.Contains(stdout, "Done: 0 created") {
		t.Errorf("second run:\n%s", stdout)
	}
}

var position = regexp.MustCompile(`forewarn\.yaml:\d+:\d+: `)

func TestBadConfigStopsBeforeWriting(t *testing.T) {
	root, cfg := demotest.Copy(t)
	data, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, bytes.Replace(data, []byte("  outbox:\n    dir: outbox"), []byte("  outbox:\n    dri: outbox"), 1), 0o644)
	for _, cmd := range []string{"run", "plan", "check"} {
		code, _, stderr := forewarn(t, cmd, "--config", cfg, "--now", now)
		if code != exitcode.Usage {
			t.Fatalf("%s: exit %d, want 2", cmd, code)
		}
		if !position.MatchString(stderr) || !strings.Contains(stderr, `unknown key "dri"`) {
			t.Fatalf("%s: message lacks file:line:col and the key:\n%s", cmd, stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "examples", "demo", "outbox")); !os.IsNotExist(err) {
		t.Fatal("the outbox was created despite a bad config")
	}
	if _, err := os.Stat(filepath.Join(root, "examples", "demo", ".forewarn")); !os.IsNotExist(err) {
		t.Fatal("state was created despite a bad config")
	}
}

// TestCheckRefusesBadDurations: connector durations are typed when the
// configuration loads: check names each bad one at its value, all at once,
// and run writes nothing.
func TestCheckRefusesBadDurations(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "forewarn.yaml")
	os.WriteFile(cfg, []byte(`version: 1
sources:
  - name: gh
    github: {repos: [a/b], client: c, closed_within: soon, timeout: 0, concurrency: 9}
  - name: j
    jira:
      base_url: https://jira.example.com
      auth: {pat_env: J}
      projects: [WEB]
      safety_margin: 15 minutes
target: {outbox: {dir: o}}
state: {lock_wait: [2m]}
clients: [{id: c, name: C}]
`), 0o644)
	for _, cmd := range []string{"check", "run"} {
		code, _, stderr := forewarn(t, cmd, "--config", cfg, "--now", now)
		if code != exitcode.Usage {
			t.Fatalf("%s: exit %d, want 2\n%s", cmd, code, stderr)
		}
		for _, want := range []string{
			cfg + `:4:54: sources[0].github.closed_within: "soon" is not a duration (e.g. 36h, 14d, 2w)`,
			cfg + `:4:69: sources[0] (gh): github: timeout: must be positive (e.g. 10m)`,
			cfg + `:4:85: sources[0] (gh): github: concurrency: 9 is out of range (1 to 4; 0 means 1)`,
			cfg + `:10:22: sources[1].jira.safety_margin: "15 minutes" is not a duration (e.g. 36h, 14d, 2w)`,
			cfg + `:12:20: state.lock_wait: want a duration (such as 90s, 10m or 14d), got a list`,
		} {
			if !strings.Contains(stderr, want) {
				t.Errorf("%s: stderr lacks %q:\n%s", cmd, want, stderr)
			}
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("a bad configuration wrote %v", tree(t, dir))
	}
}

func TestBadRulesStopBeforeWriting(t *testing.T) {
	root, cfg := demotest.Copy(t)
	rules := filepath.Join(root, "rules.yaml")
	data, _ := os.ReadFile(rules)
	os.WriteFile(rules, append(data, []byte("\nbogus_top_level_key: 1\n")...), 0o644)
	code, _, stderr := forewarn(t, "run", "--config", cfg, "--now", now)
	if code != exitcode.Usage {
		t.Fatalf("exit %d, want 2\n%s", code, stderr)
	}
	if !regexp.MustCompile(`rules\.yaml:\d+:\d+: .*bogus_top_level_key`).MatchString(stderr) {
		t.Fatalf("message lacks rules.yaml:line:col:\n%s", stderr)
	}
	if _, err := os.Stat(filepath.Join(root, "examples", "demo", "outbox")); !os.IsNotExist(err) {
		t.Fatal("the outbox was created despite bad rules")
	}
}

func TestConfigFromEnvironment(t *testing.T) {
	_, cfg := demotest.Copy(t)
	var out, errb bytes.Buffer
	env := func(k string) string {
		if k == "FOREWARN_CONFIG" {
			return cfg
		}
		return ""
	}
	if code := cli.Run(context.Background(), []string{"check"}, &out, &errb, env); code != exitcode.OK {
		t.Fatalf("check with FOREWARN_CONFIG: exit %d\n%s", code, errb.String())
	}
	if !strings.Contains(out.String(), "ok") {
		t.Fatalf("check printed no summary:\n%s", out.String())
	}
}

func TestUsageAndVersion(t *testing.T) {
	if code, _, _ := forewarn(t); code != exitcode.Usage {
		t.Errorf("no command: exit %d, want 2", code)
	}
	if code, _, _ := forewarn(t, "frobnicate"); code != exitcode.Usage {
		t.Errorf("unknown command: exit %d, want 2", code)
	}
	if code, _, _ := forewarn(t, "run", "--no-such-flag"); code != exitcode.Usage {
		t.Errorf("unknown flag: exit %d, want 2", code)
	}
	code, out, _ := forewarn(t, "version")
	if code != exitcode.OK || !strings.HasPrefix(out, "forewarn ") {
		t.Errorf("version: exit %d, %q", code, out)
	}
	if code, _, stderr := forewarn(t, "run", "--config", "does-not-exist.yaml"); code != exitcode.Usage || !strings.Contains(stderr, "does-not-exist.yaml") {
		t.Errorf("missing config: exit %d, %q", code, stderr)
	}
}

func TestSubcommandsOfOtherPackages(t *testing.T) {
	code, stdout, stderr := forewarn(t, "test", filepath.Join("..", "..", "rules_test.yaml"))
	if code != exitcode.OK || !strings.Contains(stdout, "SUCCESS") {
		t.Errorf("forewarn test: exit %d\n%s%s", code, stdout, stderr)
	}

	// The committed schema (the demo's modeline points at it) is what
	// this build generates.
	code, stdout, stderr = forewarn(t, "schema", "config")
	if code != exitcode.OK {
		t.Fatalf("schema config: exit %d: %s", code, stderr)
	}
	committed, err := os.ReadFile(filepath.Join("..", "..", "docs", "schema", "config.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	if stdout != string(committed) {
		t.Error("docs/schema/config.schema.json is stale: run go run ./cmd/forewarn schema config > docs/schema/config.schema.json")
	}
	for _, key := range []string{`"trials"`, `"token_env"`, `"replay_as_of"`, `"driver"`, `"template_dir"`} {
		if !strings.Contains(stdout, key) {
			t.Errorf("config schema lacks %s", key)
		}
	}
	if code, _, _ := forewarn(t, "schema", "nope"); code != exitcode.Usage {
		t.Errorf("schema nope: exit %d, want 2", code)
	}

	_, cfg := demotest.Copy(t)
	code, stdout, stderr = forewarn(t, "check", "--config", cfg)
	if code != exitcode.OK || !strings.Contains(stdout, "sources: 1 (demo: file)") || !strings.Contains(stdout, "milestone-at-risk") {
		t.Errorf("check: exit %d\n%s%s", code, stdout, stderr)
	}
}

// BenchmarkDemo is the whole pipeline on the bundled demo through the CLI
// entry point: load, read the export, forecast four milestones, evaluate
// the rules, render six drafts with their charts. plan writes nothing, so
// every iteration does the same work.
func BenchmarkDemo(b *testing.B) {
	_, cfg := demotest.Copy(b)
	b.ReportAllocs()
	for b.Loop() {
		var out, errb bytes.Buffer
		if code := cli.Run(context.Background(), []string{"plan", "--config", cfg, "--now", now, "--log-level", "warn"}, &out, &errb, noEnv); code != exitcode.OK {
			b.Fatalf("exit %d: %s", code, errb.String())
		}
	}
}

// check names the state's namespace: the default, or the configured one.
func TestCheckPrintsNamespace(t *testing.T) {
	_, cfg := demotest.Copy(t)
	code, stdout, stderr := forewarn(t, "check", "--config", cfg)
	if code != exitcode.OK || !strings.Contains(stdout, "state: sqlite, namespace (default)") {
		t.Fatalf("check: exit %d\n%s%s", code, stdout, stderr)
	}
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	named := strings.Replace(string(b), "  path: .forewarn/state.db\n", "  path: .forewarn/state.db\n  namespace: team_a\n", 1)
	if named == string(b) {
		t.Fatal("the demo's state section moved; adjust the test")
	}
	if err := os.WriteFile(cfg, []byte(named), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = forewarn(t, "check", "--config", cfg)
	if code != exitcode.OK || !strings.Contains(stdout, "state: sqlite, namespace team_a") {
		t.Fatalf("check with a namespace: exit %d\n%s%s", code, stdout, stderr)
	}
	if err := os.WriteFile(cfg, []byte(strings.Replace(named, "team_a", "Team-A", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = forewarn(t, "check", "--config", cfg)
	if code == exitcode.OK || !strings.Contains(stderr, "forewarn.yaml:") || !strings.Contains(stderr, `namespace "Team-A"`) {
		t.Fatalf("a bad namespace: exit %d\n%s", code, stderr)
	}
}
