package action_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn/internal/action"
	"github.com/forewarn/forewarn/internal/config"
	"github.com/forewarn/forewarn/internal/diag"
	"github.com/forewarn/forewarn/internal/exitcode"
	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/tracker"
)

var update = flag.Bool("update", false, "rewrite golden files")

const canary = "ghs_CANARYtoken0123456789abcdefXYZ"

func day(m time.Month, d int) time.Time { return time.Date(2026, m, d, 0, 0, 0, 0, time.UTC) }

// burndown is a milestone of 40 items burning down too slowly.
func burndown() []model.BurndownPoint {
	var ps []model.BurndownPoint
	for i := 0; i <= 20; i++ {
		done := i
		ps = append(ps, model.BurndownPoint{Day: day(10, 31).AddDate(0, 0, i), Scope: 40, Done: done, Remaining: 40 - done})
	}
	return ps
}

func sampleReport(mode tracker.Mode) tracker.Report {
	done := mode == tracker.ModeRun
	return tracker.Report{
		Mode: mode, Started: day(11, 20).Add(9 * time.Hour), Finished: day(11, 20).Add(9*time.Hour + 4*time.Second),
		Milestones: []tracker.MilestoneReport{
			{
				Milestone: model.Milestone{Source: "demo", Key: "file:checkout-redesign", Title: "Checkout | redesign <beta>", Client: "acme",
					URL: "https://tracker.example/checkout-redesign", Due: day(12, 4), State: model.StateOpen},
				Forecast: model.Forecast{Status: model.ForecastOK, AsOf: day(11, 20), ScopeItems: 40, DoneItems: 20, RemainingItems: 20,
					P50: day(12, 9), P85: day(12, 14), P95: day(12, 18), ProbOnTime: 0.23, PaceNeeded: 1.8, PaceObserved: 1.1, Burndown: burndown()},
				Findings: []model.Finding{{Rule: "milestone-at-risk", Severity: "warning", Purpose: model.PurposeClientNotice,
					Annotations: map[string]string{"summary": "Checkout redesign is at risk: 23 % chance of finishing by 2026-12-04; P85 2026-12-14."}}},
			},
			{
				Milestone: model.Milestone{Source: "demo", Key: "file:mobile-app", Title: "Mobile app 2.1", Client: "brouwer", Due: day(11, 15), State: model.StateOpen},
				Forecast: model.Forecast{Status: model.ForecastOK, ScopeItems: 20, RemainingItems: 4, P50: day(12, 31), P85: day(2, 8).AddDate(1, 0, 0),
					P95: day(3, 30).AddDate(1, 0, 0), ProbOnTime: 0, PaceNeeded: 4, PaceObserved: 0.2},
				Findings: []model.Finding{{Rule: "milestone-missed", Severity: "critical", Purpose: model.PurposePostMortem,
					Annotations: map[string]string{"summary": "Mobile app 2.1 missed 2026-11-15 with 4 items open."}}},
			},
			{
				Milestone: model.Milestone{Source: "demo", Key: "file:loyalty", Title: "Loyalty programme", Client: "acme", Due: day(12, 18), State: model.StateOpen},
				Forecast:  model.Forecast{Status: model.ForecastOK, ScopeItems: 12, RemainingItems: 4, P85: day(12, 10), ProbOnTime: 0.97},
				Findings:  []model.Finding{{Rule: "weekly-progress-update", Severity: "info", Purpose: model.PurposeProgressUpdate}},
			},
			{
				Milestone: model.Milestone{Source: "demo", Key: "file:dealer-portal", Title: "Dealer portal", Client: "brouwer", Due: day(12, 15), State: model.StateOpen},
				Forecast:  model.Forecast{Status: model.ForecastInsufficient, ScopeItems: 9, RemainingItems: 9},
			},
			{
				Milestone: model.Milestone{Source: "demo", Key: "file:spring-sale", Title: "Spring sale", Client: "acme", Due: day(11, 1), State: model.StateClosed},
				Forecast:  model.Forecast{Status: model.ForecastDone, ScopeItems: 15},
			},
		},
		Failed: []tracker.FailureReport{{Source: "github", Key: "github:acme/app#3", Title: "App 2.0", Err: "listing issues: 502 Bad Gateway"}},
		Actions: []tracker.Action{
			{Kind: tracker.ActionCreate, Purpose: model.PurposeClientNotice, MilestoneKey: "file:checkout-redesign", Target: "outbox",
				Title: "Checkout redesign: the 4 December date is at risk", Done: done,
				Ref: model.TicketRef{ID: "2026-11-20-checkout-redesign-client-notice.md"}},
			{Kind: tracker.ActionNone, Purpose: model.PurposeProgressUpdate, MilestoneKey: "file:loyalty", Target: "outbox", Title: "Loyalty: progress"},
			{Kind: tracker.ActionUpdate, Purpose: model.PurposeProgressUpdate, MilestoneKey: "file:checkout-redesign", Target: "outbox",
				Title: "Checkout redesign: progress", Done: done, Ref: model.TicketRef{ID: "acme/web#41", URL: "https://github.com/acme/web/issues/41"}},
		},
		Notes: []string{"changelog lookups capped at 200; 12 items fell back to creation time"},
	}
}

// fakeRunner records how it was loaded and run.
type fakeRunner struct {
	opts   action.LoadOptions
	mode   tracker.Mode
	rep    tracker.Report
	err    error
	closed bool
}

func (f *fakeRunner) Run(ctx context.Context, mode tracker.Mode) (tracker.Report, error) {
	f.mode = mode
	// A careless connector logging its credentials at debug level.
	f.opts.Log.Debug().Str("authorization", "Bearer "+f.opts.Getenv("MY_GH_TOKEN")).Msg("request")
	f.opts.Log.Error().Msgf("auth failed with %s", f.opts.Getenv("GITHUB_TOKEN"))
	if f.err != nil {
		return tracker.Report{}, f.err
	}
	r := f.rep
	r.Mode = mode
	return r, nil
}

func (f *fakeRunner) Close() error { f.closed = true; return nil }

type env struct {
	vars    map[string]string
	dir     string
	stdout  bytes.Buffer
	stderr  bytes.Buffer
	runner  *fakeRunner
	loadErr error
}

func newEnv(t *testing.T, mode string) *env {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "forewarn.yaml")
	writeFile(t, cfg, "version: 1\nsources:\n  - name: gh\n    github:\n      repos: [acme/web]\n      token_env: MY_GH_TOKEN\ntarget:\n  outbox:\n    dir: outbox\n")
	e := &env{dir: dir, vars: map[string]string{
		"INPUT_CONFIG": cfg, "INPUT_MODE": mode, "INPUT_TOKEN": canary, "INPUT_LOG_LEVEL": "debug",
		"GITHUB_OUTPUT": filepath.Join(dir, "output"), "GITHUB_STEP_SUMMARY": filepath.Join(dir, "summary.md"),
		"RUNNER_TEMP": filepath.Join(dir, "tmp"),
	}}
	e.runner = &fakeRunner{rep: sampleReport(tracker.Mode(mode))}
	return e
}

func (e *env) main(t *testing.T) int {
	t.Helper()
	load := func(_ context.Context, o action.LoadOptions) (action.Runner, error) {
		e.runner.opts = o
		if e.loadErr != nil {
			return nil, e.loadErr
		}
		return e.runner, nil
	}
	return action.MainWith(context.Background(), func(k string) string { return e.vars[k] }, &e.stdout, &e.stderr, load)
}

func (e *env) outputs(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open(e.vars["GITHUB_OUTPUT"])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if !ok {
			t.Fatalf("output line %q is not name=value", sc.Text())
		}
		out[k] = v
	}
	return out
}

func (e *env) read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// noCanary checks that the token appears nowhere the Action writes.
func (e *env) noCanary(t *testing.T) {
	t.Helper()
	places := map[string]string{"stdout": afterMasks(t, e.stdout.String()), "stderr": e.stderr.String()}
	for _, k := range []string{"GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"} {
		if b, err := os.ReadFile(e.vars[k]); err == nil {
			places[k] = string(b)
		}
	}
	if b, err := os.ReadFile(filepath.Join(e.vars["RUNNER_TEMP"], "forewarn-plan.json")); err == nil {
		places["plan file"] = string(b)
	}
	for where, text := range places {
		if strings.Contains(text, canary) || strings.Contains(text, canary[4:20]) {
			t.Errorf("the token appears in %s:\n%s", where, text)
		}
	}
}

// afterMasks checks that the ::add-mask:: commands come before anything
// else on stdout and returns what follows them: the one place a secret may
// be written is the command that tells the runner to hide it.
func afterMasks(t *testing.T, stdout string) string {
	t.Helper()
	lines := strings.SplitAfter(stdout, "\n")
	i := 0
	for i < len(lines) && strings.HasPrefix(lines[i], "::add-mask::") {
		i++
	}
	rest := strings.Join(lines[i:], "")
	if strings.Contains(rest, "::add-mask::") {
		t.Errorf("an ::add-mask:: command comes after other output:\n%s", stdout)
	}
	return rest
}

// TestMasksFirst: every form of the token the Action could send — raw,
// base64, URL-encoded — is registered with the runner before the first
// line of output.
func TestMasksFirst(t *testing.T) {
	e := newEnv(t, "plan")
	e.main(t)
	out := e.stdout.String()
	for _, form := range []string{canary, base64.StdEncoding.EncodeToString([]byte(canary)), url.QueryEscape(canary)} {
		if !strings.Contains(out, "::add-mask::"+form+"\n") {
			t.Errorf("no ::add-mask:: for %q in:\n%s", form, out)
		}
	}
	if rest := afterMasks(t, out); rest == "" {
		t.Errorf("nothing printed after the masks:\n%s", out)
	}
}

func TestPlan(t *testing.T) {
	e := newEnv(t, "plan")
	if code := e.main(t); code != exitcode.Partial {
		t.Fatalf("exit code %d, want %d (one milestone was not judged)\nstderr: %s", code, exitcode.Partial, e.stderr.String())
	}
	if e.runner.mode != tracker.ModePlan {
		t.Errorf("ran in mode %q, want plan", e.runner.mode)
	}
	if !e.runner.closed {
		t.Error("the app was not closed")
	}
	if got := e.runner.opts.Getenv("MY_GH_TOKEN"); got != canary {
		t.Errorf("the token is not visible under the config's token_env")
	}
	if got := e.runner.opts.Getenv("GITHUB_TOKEN"); got != canary {
		t.Errorf("the token is not visible as GITHUB_TOKEN")
	}
	want := map[string]string{
		"milestones": "5", "at-risk": "2", "findings": "3", "not-judged": "1", "created": "1", "updated": "1",
		"commented": "0", "reopened": "0", "failed-writes": "0", "failed-rules": "0", "exit-code": "1",
		"plan-file": filepath.Join(e.vars["RUNNER_TEMP"], "forewarn-plan.json"),
	}
	got := e.outputs(t)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("output %s = %q, want %q", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("outputs = %v, want exactly %v", got, want)
	}
	var rep tracker.Report
	if err := json.Unmarshal([]byte(e.read(t, got["plan-file"])), &rep); err != nil {
		t.Fatalf("plan file: %v", err)
	}
	if rep.Mode != tracker.ModePlan || len(rep.Actions) != 3 {
		t.Errorf("plan file holds mode %q with %d actions, want plan with 3", rep.Mode, len(rep.Actions))
	}
	golden(t, "summary-plan.md", e.read(t, e.vars["GITHUB_STEP_SUMMARY"]))
	if !strings.Contains(e.stdout.String(), "::warning::forewarn plan finished in part: 1 not judged") {
		t.Errorf("no warning annotation for the partial run; stdout:\n%s", e.stdout.String())
	}
	if !strings.Contains(e.stderr.String(), "[REDACTED]") {
		t.Errorf("the runner's debug log of its token was not redacted (or not written):\n%s", e.stderr.String())
	}
	e.noCanary(t)
}

func TestRun(t *testing.T) {
	e := newEnv(t, "run")
	e.runner.rep.Failed = nil
	if code := e.main(t); code != exitcode.OK {
		t.Fatalf("exit code %d, want 0\nstdout: %s", code, e.stdout.String())
	}
	if e.runner.mode != tracker.ModeRun {
		t.Errorf("ran in mode %q, want run", e.runner.mode)
	}
	golden(t, "summary-run.md", e.read(t, e.vars["GITHUB_STEP_SUMMARY"]))
	e.noCanary(t)
}

// A rule whose evaluation broke is a failure of the run: exit 1, an
// output, a warning and a section of the job summary.
func TestRuleFailureIsLoud(t *testing.T) {
	e := newEnv(t, "run")
	e.runner.rep.Failed = nil
	e.runner.rep.RuleFailures = []tracker.RuleFailure{{Rule: "milestone-at-risk", MilestoneKey: "file:checkout-redesign",
		Err: `rule "milestone-at-risk" on file:checkout-redesign: memory budget exceeded`}}
	if code := e.main(t); code != exitcode.Partial {
		t.Fatalf("exit code %d, want %d", code, exitcode.Partial)
	}
	if got := e.outputs(t)["failed-rules"]; got != "1" {
		t.Errorf("output failed-rules = %q, want 1", got)
	}
	if !strings.Contains(e.stdout.String(), "1 failed rules") {
		t.Errorf("no warning annotation naming the failed rule; stdout:\n%s", e.stdout.String())
	}
	sum := e.read(t, e.vars["GITHUB_STEP_SUMMARY"])
	if !strings.Contains(sum, "### Rules that failed\n\n- **milestone-at-risk** on file:checkout-redesign: ") ||
		!strings.Contains(sum, "memory budget exceeded") {
		t.Errorf("the job summary does not list the failed rule:\n%s", sum)
	}
}

func TestDefaults(t *testing.T) {
	in, err := action.ReadInputs(func(k string) string { return map[string]string{"RUNNER_TEMP": "/rt"}[k] })
	if err != nil {
		t.Fatal(err)
	}
	if in.Config != "forewarn.yaml" || in.Mode != tracker.ModePlan || in.PlanFile != "/rt/forewarn-plan.json" || in.LogLevel != "info" {
		t.Fatalf("defaults = %+v", in)
	}
}

func TestBadInputs(t *testing.T) {
	tests := []struct {
		name     string
		vars     map[string]string
		loadErr  error
		code     int
		stdout   []string
		summary  []string
		runnerOK bool
	}{
		{
			name: "unknown mode", vars: map[string]string{"INPUT_MODE": "apply"}, code: exitcode.Usage,
			stdout:  []string{`::error::input mode: "apply" is neither plan nor run`},
			summary: []string{"## forewarn apply: not run", "neither plan nor run"},
		},
		{
			name: "bad log level", vars: map[string]string{"INPUT_LOG_LEVEL": "loud"}, code: exitcode.Usage,
			stdout: []string{"::error::input log-level"},
		},
		{
			name: "configuration problems", code: exitcode.Usage,
			loadErr: (&diag.List{Items: []diag.Diagnostic{
				{File: "forewarn.yaml", Line: 7, Col: 5, Msg: "target: unknown key \"outbx\""},
				{File: "rules.yaml", Line: 12, Col: 11, Rule: "late", Msg: "when: unknown name forcast"},
			}}).Err(),
			stdout: []string{
				`::error file=forewarn.yaml,line=7,col=5::target: unknown key "outbx"`,
				`::error file=rules.yaml,line=12,col=11::rule "late": when: unknown name forcast`,
			},
			summary: []string{"Nothing was written", `- forewarn.yaml:7:5: target: unknown key "outbx"`},
		},
		{
			name: "other load error", code: exitcode.Usage, loadErr: errors.New("line one\nline two"),
			stdout: []string{"::error::line one%0Aline two"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, "plan")
			for k, v := range tc.vars {
				e.vars[k] = v
			}
			e.loadErr = tc.loadErr
			if code := e.main(t); code != tc.code {
				t.Fatalf("exit code %d, want %d", code, tc.code)
			}
			if e.runner.mode != "" {
				t.Fatal("the runner ran despite bad input")
			}
			for _, s := range tc.stdout {
				if !strings.Contains(e.stdout.String(), s) {
					t.Errorf("stdout lacks %q:\n%s", s, e.stdout.String())
				}
			}
			sum, _ := os.ReadFile(e.vars["GITHUB_STEP_SUMMARY"])
			for _, s := range tc.summary {
				if !strings.Contains(string(sum), s) {
					t.Errorf("summary lacks %q:\n%s", s, sum)
				}
			}
			if out := e.outputs(t); out["exit-code"] != "2" || out["milestones"] != "0" {
				t.Errorf("outputs = %v", out)
			}
			e.noCanary(t)
		})
	}
}

func TestRunError(t *testing.T) {
	e := newEnv(t, "run")
	e.runner.err = errors.New("another run holds the lock (waited 30s)")
	if code := e.main(t); code != exitcode.Partial {
		t.Fatalf("exit code %d, want 1", code)
	}
	if !strings.Contains(e.stdout.String(), "::error::forewarn run: another run holds the lock") {
		t.Errorf("stdout: %s", e.stdout.String())
	}
	e.noCanary(t)
}

func TestTokenEnvNames(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"none named", "version: 1\nsources:\n  - name: d\n    file: {path: x}\n", []string{"GITHUB_TOKEN"}},
		{"source and target", "sources:\n  - name: a\n    github: {token_env: A_TOKEN}\n  - name: b\n    github: {repos: [x/y]}\ntarget:\n  github: {token_env: T_TOKEN}\n",
			[]string{"A_TOKEN", "GITHUB_TOKEN", "T_TOKEN"}},
		{"not YAML", ":\n\t- [", []string{"GITHUB_TOKEN"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".yaml")
			writeFile(t, p, tc.yaml)
			if got := action.TokenEnvNames(p); strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
	if got := action.TokenEnvNames(filepath.Join(dir, "missing.yaml")); len(got) != 1 {
		t.Fatalf("missing file: %v", got)
	}
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		writeFile(t, p, got)
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (go test -update to accept):\n--- got\n%s", name, got)
	}
}

func TestOtherSecretsFromTheConfigAreScrubbed(t *testing.T) {
	e := newEnv(t, "plan")
	writeFile(t, e.vars["INPUT_CONFIG"], "version: 1\nstate:\n  driver: postgres\n  dsn_env: FOREWARN_DSN\nsources:\n  - name: j\n    jira:\n      api_token_env: JIRA_API_TOKEN\n")
	const dsn, jira = "postgres://forewarn:CANARYpw@db/forewarn", "ATATT3xCANARYjira"
	e.vars["FOREWARN_DSN"], e.vars["JIRA_API_TOKEN"] = dsn, jira
	e.runner.err = errors.New("connecting to " + dsn + " with " + jira)
	if code := e.main(t); code != exitcode.Partial {
		t.Fatalf("exit %d", code)
	}
	for where, text := range map[string]string{"stdout": afterMasks(t, e.stdout.String()), "summary": e.read(t, e.vars["GITHUB_STEP_SUMMARY"])} {
		if strings.Contains(text, "CANARY") {
			t.Errorf("a secret named by the config appears in %s:\n%s", where, text)
		}
		if !strings.Contains(text, "[REDACTED]") {
			t.Errorf("%s shows no redaction marker:\n%s", where, text)
		}
	}
	if got := config.SecretEnvNames(e.vars["INPUT_CONFIG"]); strings.Join(got, ",") != "FOREWARN_DSN,JIRA_API_TOKEN" {
		t.Errorf("SecretEnvNames = %v", got)
	}
}

// TestStepLogTalks: the step log shows the version, the run's table and
// notes, and an annotation per milestone not judged and per failed write.
func TestStepLogTalks(t *testing.T) {
	e := newEnv(t, "run")
	e.runner.rep.Actions = append(e.runner.rep.Actions, tracker.Action{Kind: tracker.ActionCreate, Purpose: "client-notice",
		MilestoneKey: "github:acme/web#9", Title: "Client notice draft", Err: "HTTP 502: bad gateway"})
	e.main(t)
	out := afterMasks(t, e.stdout.String())
	for _, want := range []string{
		"forewarn dev (action)\n",
		"forewarn run: ", "MILESTONE", // the table
		"::warning title=forewarn: not judged::",
		"::error title=forewarn: create failed::client-notice github:acme/web#9 (Client notice draft): HTTP 502: bad gateway",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the step log lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(e.read(t, e.vars["GITHUB_STEP_SUMMARY"]), "<sub>forewarn dev</sub>") {
		t.Error("the job summary does not name the version")
	}
}
