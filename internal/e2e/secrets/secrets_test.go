// Package secrets is the canary test of "secrets stay secret": the GitHub
// token, the Jira API token and PAT and a PostgreSQL DSN are set to canary
// values, forewarn runs through every path a user can take — run, plan,
// check, --json, --log-level debug, 401s from the fakes, a refused
// connection, a bad configuration, one serve cycle, the GitHub Action —
// and no stdout, stderr, log line, ticket on the fakes, outbox file, state
// database, plan file, job summary or output carries a canary in any form:
// as written, JSON-escaped, URL-encoded, or base64 (alone, inside a Basic
// authorization header, at any alignment). echo_test.go puts a server
// between forewarn and the fakes that quotes every request header back, in
// error bodies and in response headers (GitHub token and App key, Jira
// basic auth and PAT), and looks for every credential it was sent.
package secrets

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/forewarn/forewarn/internal/cli"
	fakegh "github.com/forewarn/forewarn/internal/testserver/github"
	fakejira "github.com/forewarn/forewarn/internal/testserver/jira"
)

// The canaries. Each has characters that change under URL and JSON
// encoding, so every form is a different string.
const (
	ghToken    = "ghp_CANARYgh0token/+=0123456789abcdefCANARY"
	jiraEmail  = "pm@example.com"
	jiraToken  = "ATATT3xCANARYjira/token+0123456789=CANARY"
	jiraPAT    = "NjE2CANARYjiraPAT/+0123456789abcdefCANARY"
	pgPassword = "CANARYpg/Passw0rd+0123456789CANARY"
)

var pgDSN = "postgres://forewarn:" + url.QueryEscape(pgPassword) + "@127.0.0.1:1/forewarn?sslmode=disable&connect_timeout=2"

// env is what the CLI sees: every canary under the names configs use.
func env(extra map[string]string) func(string) string {
	m := map[string]string{"GITHUB_TOKEN": ghToken, "JIRA_EMAIL": jiraEmail, "JIRA_TOKEN": jiraToken,
		"JIRA_PAT": jiraPAT, "FW_PG_DSN": pgDSN}
	for k, v := range extra {
		m[k] = v
	}
	return func(k string) string { return m[k] }
}

// forms returns every way a secret could be written out.
func forms(secret string) map[string]string {
	j, _ := json.Marshal(secret)
	out := map[string]string{
		"raw":           secret,
		"json":          string(j[1 : len(j)-1]),
		"query-escaped": url.QueryEscape(secret),
		"path-escaped":  url.PathEscape(secret),
	}
	// base64 at each alignment: the middle of the encoding of the secret
	// preceded by 0, 1 or 2 bytes appears in any longer text encoding it
	// at that alignment (a Basic header, a JSON []byte, a dump).
	for k := 0; k < 3; k++ {
		for name, enc := range map[string]*base64.Encoding{"std": base64.StdEncoding, "url": base64.URLEncoding} {
			e := enc.EncodeToString(append(bytes.Repeat([]byte{'x'}, k), secret...))
			out[fmt.Sprintf("base64-%s-%d", name, k)] = e[4 : len(e)-4]
		}
	}
	return out
}

var canaries = func() map[string]string {
	out := map[string]string{}
	for name, s := range map[string]string{"github token": ghToken, "jira token": jiraToken, "jira PAT": jiraPAT,
		"postgres password": pgPassword, "postgres DSN": pgDSN,
		"jira basic credentials": jiraEmail + ":" + jiraToken} {
		for form, v := range forms(s) {
			out[name+" ("+form+")"] = v
		}
	}
	out["jira basic header"] = base64.StdEncoding.EncodeToString([]byte(jiraEmail + ":" + jiraToken))
	return out
}()

// evidence collects everything forewarn wrote that a person or a tracker
// could see.
type evidence struct {
	mu    sync.Mutex
	items map[string][]byte
	runs  int
}

func (e *evidence) add(where string, data []byte) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.items == nil {
		e.items = map[string][]byte{}
	}
	e.items[where] = append(e.items[where], data...)
}

// dir adds every file under dir (outbox, state database with its WAL,
// plan file, summary, outputs).
func (e *evidence) dir(t *testing.T, dir string) {
	t.Helper()
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Errorf("reading %s: %v", p, err)
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		e.add("file "+rel, data)
		return nil
	})
}

func (e *evidence) github(s *fakegh.Server, repo string) {
	for _, is := range s.Issues(repo) {
		e.add(fmt.Sprintf("github %s#%d", repo, is.Number), []byte(is.Title+"\n"+is.Body+"\n"+strings.Join(is.Comments, "\n")+strings.Join(is.Labels, ",")))
	}
}

func (e *evidence) jira(s *fakejira.Server, project string) {
	for _, is := range s.Issues(project) {
		var b bytes.Buffer
		b.WriteString(is.Summary + "\n" + is.Description + "\n" + strings.Join(is.Comments, "\n") + strings.Join(is.Labels, ","))
		for _, a := range is.Attachments {
			b.WriteString(a.Filename + "\n")
		}
		for _, l := range is.RemoteLinks {
			fmt.Fprintf(&b, "%+v", l)
		}
		e.add("jira "+is.Key, b.Bytes())
	}
}

// cli runs forewarn and records its output.
func (e *evidence) cli(t *testing.T, getenv func(string) string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Run(context.Background(), args, &out, &errb, getenv)
	e.mu.Lock()
	e.runs++
	n := e.runs
	e.mu.Unlock()
	e.add(fmt.Sprintf("stdout of #%d %v", n, args), out.Bytes())
	e.add(fmt.Sprintf("stderr of #%d %v", n, args), errb.Bytes())
	return code, out.String(), errb.String()
}

// check fails the test for every canary form found anywhere.
func (e *evidence) check(t *testing.T) {
	t.Helper()
	var total int
	for where, data := range e.items {
		total += len(data)
		for name, form := range canaries {
			if i := bytes.Index(data, []byte(form)); i >= 0 {
				lo, hi := max(0, i-60), min(len(data), i+len(form)+20)
				t.Errorf("LEAK: %s found in %s: …%q…", name, where, data[lo:hi])
			}
		}
	}
	if total == 0 {
		t.Fatal("no evidence collected")
	}
	t.Logf("%d places, %d bytes searched for %d canary forms", len(e.items), total, len(canaries))
}

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, _ := os.Getwd()
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		if filepath.Dir(dir) == dir {
			t.Fatal("no go.mod")
		}
		dir = filepath.Dir(dir)
	}
}

func write(t *testing.T, path, text string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

const clients = `clients:
  - id: acme
    name: Acme Retail
    contact: Dana Whitfield
    owner: Sam Okafor
    locale: en
    time_zone: Europe/London
`

func seedGitHub(s *fakegh.Server, now time.Time) {
	day := func(n int) time.Time { return now.Add(time.Duration(n) * 24 * time.Hour) }
	s.AddMilestone("acme/web", fakegh.Milestone{Number: 1, Title: "Checkout v2", DueOn: day(5), CreatedAt: day(-40)})
	s.AddMilestone("acme/web", fakegh.Milestone{Number: 2, Title: "Search", DueOn: day(-6), CreatedAt: day(-60)})
	for i := 0; i < 24; i++ {
		is := fakegh.Issue{Title: "Checkout task", Milestone: 1, CreatedAt: day(-39 + i%5), Labels: []string{"points:2"}}
		if i < 4 {
			is.State, is.StateReason, is.ClosedAt = "closed", "completed", day(-30+i*7)
		}
		s.AddIssue("acme/web", is)
	}
	for i := 0; i < 10; i++ {
		is := fakegh.Issue{Title: "Search task", Milestone: 2, CreatedAt: day(-59)}
		if i < 5 {
			is.State, is.ClosedAt = "closed", day(-50+i*8)
		}
		s.AddIssue("acme/web", is)
	}
	s.AddRepo("acme/delivery")
}

func githubConfig(t *testing.T, dir, baseURL, extraTop string) string {
	return write(t, filepath.Join(dir, "forewarn.yaml"), `version: 1
rules: `+filepath.Join(repoRoot(t), "rules.yaml")+`
state:
  driver: sqlite
  path: state.db
sources:
  - name: acme-gh
    github:
      repos: [acme/web]
      client: acme
      base_url: `+baseURL+`
target:
  github:
    repo: acme/delivery
    base_url: `+baseURL+`
`+clients+extraTop)
}

func seedJira(s *fakejira.Server, now time.Time) {
	day := func(n int) time.Time { return now.Add(time.Duration(n) * 24 * time.Hour) }
	date := func(t time.Time) string { return t.Format("2006-01-02") }
	s.AddVersion(fakejira.Version{ID: "10100", Project: "WEB", Name: "Checkout v2", ReleaseDate: date(day(5)), StartDate: date(day(-40))})
	s.AddVersion(fakejira.Version{ID: "10101", Project: "WEB", Name: "Search", ReleaseDate: date(day(-6))})
	for i := 0; i < 24; i++ {
		p := 2.0
		is := fakejira.Issue{Project: "WEB", Summary: "Checkout task", FixVersions: []string{"10100"}, Created: day(-39 + i%5), Points: &p}
		if i < 4 {
			is.Category, is.Resolved, is.Updated = "done", day(-30+i*7), day(-30+i*7)
		}
		s.AddIssue(is)
	}
	for i := 0; i < 10; i++ {
		is := fakejira.Issue{Project: "WEB", Summary: "Search task", FixVersions: []string{"10101"}, Created: day(-59)}
		if i < 5 {
			is.Category, is.Resolved, is.Updated = "done", day(-50+i*8), day(-50+i*8)
		}
		s.AddIssue(is)
	}
	s.AddProject("REV")
}

func jiraConfig(t *testing.T, dir, baseURL string, cloud bool) string {
	auth, deploy := "auth: {email_env: JIRA_EMAIL, token_env: JIRA_TOKEN}", "cloud"
	if !cloud {
		auth, deploy = "auth: {pat_env: JIRA_PAT}", "datacenter"
	}
	return write(t, filepath.Join(dir, "forewarn.yaml"), fmt.Sprintf(`version: 1
rules: %s
state:
  driver: sqlite
  path: state.db
sources:
  - name: acme-jira
    jira:
      base_url: %s
      deployment: %s
      %s
      projects: [WEB]
      client: acme
target:
  jira:
    base_url: %s
    deployment: %s
    %s
    project: REV
%s`, filepath.Join(repoRoot(t), "rules.yaml"), baseURL, deploy, auth, baseURL, deploy, auth, clients))
}

// every is the commands each tracker scenario goes through.
func every(t *testing.T, e *evidence, getenv func(string) string, cfg string, wantRun int) {
	t.Helper()
	if code, _, stderr := e.cli(t, getenv, "check", "--config", cfg, "--log-level", "debug"); code != 0 {
		t.Fatalf("check: exit %d\n%s", code, stderr)
	}
	e.cli(t, getenv, "plan", "--config", cfg, "--log-level", "debug", "--json")
	if code, _, stderr := e.cli(t, getenv, "run", "--config", cfg, "--log-level", "debug", "--json"); code != wantRun {
		t.Fatalf("run: exit %d, want %d\n%s", code, wantRun, stderr)
	}
	// A second run updates and comments instead of creating.
	e.cli(t, getenv, "run", "--config", cfg, "--log-level", "debug")
	e.cli(t, getenv, "plan", "--config", cfg)
}

func TestCanaryGitHub(t *testing.T) {
	s := fakegh.New(ghToken)
	defer s.Close()
	seedGitHub(s, time.Now().UTC())
	dir := t.TempDir()
	e := &evidence{}
	every(t, e, env(nil), githubConfig(t, dir, s.URL, ""), 0)
	if len(s.Issues("acme/delivery")) == 0 {
		t.Fatal("no tickets were opened: the canary saw nothing")
	}
	e.github(s, "acme/delivery")
	e.dir(t, dir)
	e.check(t)
}

func TestCanaryGitHubFailures(t *testing.T) {
	e := &evidence{}
	// 401: the fake knows another token.
	s := fakegh.New("ghp_someoneElse0000000000000000000000")
	defer s.Close()
	seedGitHub(s, time.Now().UTC())
	dir := t.TempDir()
	cfg := githubConfig(t, dir, s.URL, "")
	if code, _, stderr := e.cli(t, env(nil), "run", "--config", cfg, "--log-level", "debug"); code != 1 || !strings.Contains(stderr, "401") {
		t.Fatalf("401: exit %d, want 1 naming the 401\n%s", code, stderr)
	}
	e.cli(t, env(nil), "plan", "--config", cfg, "--log-level", "debug", "--json")
	e.dir(t, dir)

	// Connection refused: nothing listens on the port.
	dir2 := t.TempDir()
	cfg2 := githubConfig(t, dir2, "http://"+closedPort(t), "")
	if code, _, stderr := e.cli(t, env(nil), "run", "--config", cfg2, "--log-level", "debug", "--json"); code != 1 {
		t.Fatalf("refused: exit %d, want 1\n%s", code, stderr)
	}
	e.dir(t, dir2)

	// A bad configuration with the secrets in the environment.
	dir3 := t.TempDir()
	cfg3 := githubConfig(t, dir3, s.URL, "reopen_within: soon\nbogus: 1\n")
	for _, cmd := range []string{"check", "run", "plan"} {
		if code, _, _ := e.cli(t, env(nil), cmd, "--config", cfg3, "--log-level", "debug"); code != 2 {
			t.Fatalf("bad config %s: exit %d, want 2", cmd, code)
		}
	}
	e.dir(t, dir3)
	e.check(t)
}

func TestCanaryJira(t *testing.T) {
	for _, cloud := range []bool{true, false} {
		t.Run(map[bool]string{true: "cloud", false: "datacenter"}[cloud], func(t *testing.T) {
			s := fakejira.New(fakejira.Options{Cloud: cloud, Email: jiraEmail, APIToken: jiraToken, PAT: jiraPAT, LegacySprintField: !cloud})
			defer s.Close()
			seedJira(s, time.Now().UTC())
			dir := t.TempDir()
			e := &evidence{}
			every(t, e, env(nil), jiraConfig(t, dir, s.URL, cloud), 0)
			if len(s.Issues("REV")) == 0 {
				t.Fatal("no tickets were opened")
			}
			e.jira(s, "REV")
			e.dir(t, dir)

			// 401: the fake expects other credentials.
			bad := fakejira.New(fakejira.Options{Cloud: cloud, Email: jiraEmail, APIToken: "ATATT-other", PAT: "other-pat"})
			defer bad.Close()
			seedJira(bad, time.Now().UTC())
			dir2 := t.TempDir()
			if code, _, stderr := e.cli(t, env(nil), "run", "--config", jiraConfig(t, dir2, bad.URL, cloud), "--log-level", "debug", "--json"); code != 1 {
				t.Fatalf("401: exit %d, want 1\n%s", code, stderr)
			}
			e.dir(t, dir2)
			e.check(t)
		})
	}
}

// TestCanaryPostgresDSN: the state store's DSN carries a password; a
// refused connection must not print it.
func TestCanaryPostgresDSN(t *testing.T) {
	root := repoRoot(t)
	dir := t.TempDir()
	export, _ := os.ReadFile(filepath.Join(root, "examples", "demo", "export.yaml"))
	write(t, filepath.Join(dir, "export.yaml"), string(export))
	cfg := write(t, filepath.Join(dir, "forewarn.yaml"), `version: 1
rules: `+filepath.Join(root, "rules.yaml")+`
state:
  driver: postgres
  dsn_env: FW_PG_DSN
  lock_wait: 1s
sources:
  - name: demo
    file: {path: export.yaml, replay_as_of: 2026-11-20}
target:
  outbox: {dir: outbox}
`+clients)
	e := &evidence{}
	if code, _, stderr := e.cli(t, env(nil), "check", "--config", cfg, "--log-level", "debug"); code != 0 {
		t.Fatalf("check: exit %d\n%s", code, stderr)
	}
	for _, cmd := range []string{"run", "plan"} {
		code, _, stderr := e.cli(t, env(nil), cmd, "--config", cfg, "--log-level", "debug", "--json")
		if code == 0 {
			t.Fatalf("%s against a closed port: exit 0", cmd)
		}
		if !strings.Contains(stderr, "state") {
			t.Errorf("%s: the error does not say it is the state store:\n%s", cmd, stderr)
		}
	}
	e.dir(t, dir)
	e.check(t)
}

// syncBuffer is a bytes.Buffer safe to read while serve writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]byte(nil), s.b.Bytes()...)
}

// TestCanaryServe: one serve cycle against the fake GitHub at debug level,
// then a stop; the log and the tickets are searched.
func TestCanaryServe(t *testing.T) {
	s := fakegh.New(ghToken)
	defer s.Close()
	seedGitHub(s, time.Now().UTC())
	dir := t.TempDir()
	cfg := githubConfig(t, dir, s.URL, "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- cli.Run(ctx, []string{"serve", "--config", cfg, "--log-level", "debug", "--addr", closedPort(t),
			"--interval", "1h", "--jitter", "1ms"}, &out, &errb, env(nil))
	}()
	deadline := time.After(60 * time.Second)
	for !bytes.Contains(errb.Bytes(), []byte("run finished")) && !bytes.Contains(errb.Bytes(), []byte("run failed")) {
		select {
		case code := <-done:
			t.Fatalf("serve exited %d before a run:\n%s", code, errb.Bytes())
		case <-deadline:
			t.Fatalf("no run within a minute:\n%s", errb.Bytes())
		case <-time.After(20 * time.Millisecond):
		}
	}
	cancel()
	<-done
	e := &evidence{}
	e.add("serve stdout", out.Bytes())
	e.add("serve stderr", errb.Bytes())
	if len(s.Issues("acme/delivery")) == 0 {
		t.Fatalf("serve opened no tickets:\n%s", errb.Bytes())
	}
	e.github(s, "acme/delivery")
	e.dir(t, dir)
	e.check(t)
}

// TestCanaryAction: the Action entry with the token as its input (not in
// GITHUB_TOKEN), plan then run then a failing run, writing the plan file,
// the outputs and the job summary.
func TestCanaryAction(t *testing.T) {
	s := fakegh.New(ghToken)
	defer s.Close()
	seedGitHub(s, time.Now().UTC())
	dir := t.TempDir()
	cfg := githubConfig(t, dir, s.URL, "")
	e := &evidence{}
	for i, mode := range []string{"plan", "run", "run"} {
		getenv := env(map[string]string{
			"GITHUB_TOKEN": "", "INPUT_TOKEN": ghToken, "INPUT_CONFIG": cfg, "INPUT_MODE": mode,
			"INPUT_LOG_LEVEL": "debug", "RUNNER_TEMP": dir,
			"GITHUB_OUTPUT":       filepath.Join(dir, "github-output"),
			"GITHUB_STEP_SUMMARY": filepath.Join(dir, "step-summary.md"),
		})
		if code, stdout, stderr := e.cliMasked(t, getenv, "action"); code != 0 {
			t.Fatalf("action %d (%s): exit %d\n%s%s", i, mode, code, stdout, stderr)
		}
	}
	if len(s.Issues("acme/delivery")) == 0 {
		t.Fatal("the Action opened no tickets")
	}
	// A failing Action run: the fake refuses the token.
	bad := fakegh.New("ghp_someoneElse0000000000000000000000")
	defer bad.Close()
	seedGitHub(bad, time.Now().UTC())
	dir2 := t.TempDir()
	getenv := env(map[string]string{
		"GITHUB_TOKEN": "", "INPUT_TOKEN": ghToken, "INPUT_CONFIG": githubConfig(t, dir2, bad.URL, ""), "INPUT_MODE": "run",
		"INPUT_LOG_LEVEL": "debug", "RUNNER_TEMP": dir2,
		"GITHUB_OUTPUT": filepath.Join(dir2, "github-output"), "GITHUB_STEP_SUMMARY": filepath.Join(dir2, "step-summary.md"),
	})
	if code, _, _ := e.cliMasked(t, getenv, "action"); code != 1 {
		t.Fatalf("failing action: exit %d, want 1", code)
	}
	for _, d := range []string{dir, dir2} {
		if _, err := os.Stat(filepath.Join(d, "step-summary.md")); err != nil {
			t.Fatalf("no job summary: %v", err)
		}
	}
	e.github(s, "acme/delivery")
	e.dir(t, dir)
	e.dir(t, dir2)
	e.check(t)
}

// TestCanaryFormsAreFound: the search itself works — each form is found
// when planted, so a clean result means something.
func TestCanaryFormsAreFound(t *testing.T) {
	header := "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(jiraEmail+":"+jiraToken))
	for name, text := range map[string]string{
		"raw":          "token=" + ghToken,
		"basic header": header,
		"query":        "https://x/?t=" + url.QueryEscape(jiraToken),
		"base64 blob":  base64.StdEncoding.EncodeToString([]byte(`{"k":"` + pgPassword + `"}`)),
		"json []byte":  string(must(json.Marshal([]byte("ab" + jiraPAT)))),
	} {
		found := false
		for _, form := range canaries {
			if strings.Contains(text, form) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: planted canary not found in %q", name, text)
		}
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// closedPort is a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}
