package secrets

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/forewarn/forewarn/internal/cli"
	fakegh "github.com/forewarn/forewarn/internal/testserver/github"
	fakejira "github.com/forewarn/forewarn/internal/testserver/jira"
)

// echoer stands between forewarn and a fake tracker, like a proxy or a
// tracker that quotes the request back: every response carries the
// request's Authorization header back (X-Echo-Authorization) and all its
// headers (X-Echo-Headers), and the requests `echo` picks are answered
// 400 with an error body, in the tracker's own error shape, quoting every
// request header. It records each credential it saw, so the test can look
// for every form forewarn sent — installation tokens and JWTs minted at run
// time included.
type echoer struct {
	*httptest.Server
	tracker string // "github" or "jira": the error body's shape

	mu     sync.Mutex
	echo   func(r *http.Request) bool
	seen   map[string]bool // Authorization values sent
	echoed int             // error bodies sent
}

func newEchoer(t *testing.T, tracker string, next http.Handler) *echoer {
	e := &echoer{tracker: tracker, seen: map[string]bool{}, echo: func(*http.Request) bool { return false }}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		hdrs, _ := json.Marshal(r.Header)
		e.mu.Lock()
		if auth != "" {
			e.seen[auth] = true
		}
		echo := e.echo(r)
		if echo {
			e.echoed++
		}
		e.mu.Unlock()
		w.Header().Set("X-Echo-Authorization", auth)
		w.Header().Set("X-Echo-Headers", string(hdrs))
		if !echo {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		msg := fmt.Sprintf("Bad request (proxy): you sent Authorization: %s; all headers: %s", auth, hdrs)
		if tracker == "github" {
			json.NewEncoder(w).Encode(map[string]any{"message": msg, "documentation_url": "https://docs.github.com/rest",
				"errors": []map[string]string{{"resource": "Issue", "code": "custom", "message": auth}}})
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"errorMessages": []string{msg}, "errors": map[string]string{"authorization": auth}})
	}))
	t.Cleanup(e.Close)
	return e
}

func (e *echoer) when(f func(r *http.Request) bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.echo = f
}

// credentials returns the credentials sent (the Authorization values
// without their scheme) with their forms, as canaries of their own.
func (e *echoer) credentials(t *testing.T) map[string]string {
	t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.echoed == 0 {
		t.Fatal("the echoer echoed nothing: the test proves nothing")
	}
	out := map[string]string{}
	var vals []string
	for v := range e.seen {
		vals = append(vals, v)
	}
	sort.Strings(vals)
	for i, v := range vals {
		_, cred, _ := strings.Cut(v, " ")
		for form, f := range forms(cred) {
			out[fmt.Sprintf("sent credential %d (%s)", i, form)] = f
		}
	}
	return out
}

var (
	isCreate = func(r *http.Request) bool { return r.Method == http.MethodPost }
	isRead   = func(r *http.Request) bool {
		return r.Method == http.MethodGet && !strings.Contains(r.URL.Path, "/app/")
	}
)

// echoRuns runs forewarn through check, plan and run twice — once with
// the reads echoed, once with the creates echoed — both with --json and
// at debug level, and through the Action.
func echoRuns(t *testing.T, e *evidence, ech *echoer, getenv func(string) string, cfg string) {
	t.Helper()
	if code, _, stderr := e.cli(t, getenv, "check", "--config", cfg, "--log-level", "debug"); code != 0 {
		t.Fatalf("check: exit %d\n%s", code, stderr)
	}
	for _, which := range []struct {
		name string
		f    func(r *http.Request) bool
	}{{"reads", isRead}, {"creates", isCreate}} {
		ech.when(which.f)
		e.cli(t, getenv, "plan", "--config", cfg, "--log-level", "debug", "--json")
		code, stdout, stderr := e.cli(t, getenv, "run", "--config", cfg, "--log-level", "debug")
		if code != 1 {
			t.Fatalf("run with %s echoed: exit %d, want 1 (a part failed)\n%s%s", which.name, code, stdout, stderr)
		}
		if !strings.Contains(stdout+stderr, "400") && !strings.Contains(stdout+stderr, "Bad request") {
			t.Fatalf("run with %s echoed: the failure is not reported:\n%s%s", which.name, stdout, stderr)
		}
		if !strings.Contains(stdout+stderr, "[REDACTED]") {
			t.Errorf("run with %s echoed: no redaction marker; was the echo printed at all?\n%s%s", which.name, stdout, stderr)
		}
	}
}

// echoAction runs the Action with the creates echoed.
func echoAction(t *testing.T, e *evidence, ech *echoer, getenv func(string) string, cfg, dir string) {
	t.Helper()
	ech.when(isCreate)
	vars := map[string]string{"INPUT_CONFIG": cfg, "INPUT_MODE": "run", "INPUT_LOG_LEVEL": "debug", "RUNNER_TEMP": dir,
		"GITHUB_OUTPUT": filepath.Join(dir, "github-output"), "GITHUB_STEP_SUMMARY": filepath.Join(dir, "step-summary.md")}
	code, stdout, _ := e.cliMasked(t, func(k string) string {
		if v, ok := vars[k]; ok {
			return v
		}
		return getenv(k)
	}, "action")
	if code != 1 {
		t.Fatalf("action with creates echoed: exit %d, want 1\n%s", code, stdout)
	}
	if _, err := os.Stat(filepath.Join(dir, "step-summary.md")); err != nil {
		t.Fatalf("no job summary: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "forewarn-plan.json")); err != nil {
		t.Fatalf("no plan file: %v", err)
	}
}

func TestCanaryEchoGitHubToken(t *testing.T) {
	s := fakegh.New(ghToken)
	defer s.Close()
	seedGitHub(s, time.Now().UTC())
	ech := newEchoer(t, "github", s.Config.Handler)
	dir := t.TempDir()
	cfg := githubConfig(t, dir, ech.URL, "")
	e := &evidence{}
	echoRuns(t, e, ech, env(nil), cfg)
	echoAction(t, e, ech, env(map[string]string{"GITHUB_TOKEN": "", "INPUT_TOKEN": ghToken}), cfg, dir)
	e.dir(t, dir)
	e.checkAlso(t, ech.credentials(t))
}

func TestCanaryEchoGitHubApp(t *testing.T) {
	s := fakegh.New()
	defer s.Close()
	s.SetApp(4242)
	seedGitHub(s, time.Now().UTC())
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	ech := newEchoer(t, "github", s.Config.Handler)
	dir := t.TempDir()
	app := "      app_id: 4242\n      installation_id: 7\n      private_key_env: GH_APP_KEY\n"
	cfg := write(t, filepath.Join(dir, "forewarn.yaml"), `version: 1
rules: `+filepath.Join(repoRoot(t), "rules.yaml")+`
state:
  driver: sqlite
  path: state.db
sources:
  - name: acme-gh
    github:
      repos: [acme/web]
      client: acme
      base_url: `+ech.URL+`
`+app+`target:
  outbox: {dir: outbox}
`+clients)
	getenv := env(map[string]string{"GITHUB_TOKEN": "", "GH_APP_KEY": pemKey})
	e := &evidence{}
	if code, _, stderr := e.cli(t, getenv, "check", "--config", cfg, "--log-level", "debug"); code != 0 {
		t.Fatalf("check: exit %d\n%s", code, stderr)
	}
	ech.when(isRead)
	if code, stdout, stderr := e.cli(t, getenv, "run", "--config", cfg, "--log-level", "debug"); code != 1 ||
		!strings.Contains(stdout+stderr, "[REDACTED]") {
		t.Fatalf("run with reads echoed: exit %d, want 1 with a redaction\n%s%s", code, stdout, stderr)
	}
	e.cli(t, getenv, "plan", "--config", cfg, "--log-level", "debug", "--json")
	e.dir(t, dir)
	extra := ech.credentials(t)
	if len(extra) == 0 {
		t.Fatal("no credential was sent")
	}
	for i, l := range strings.Split(pemKey, "\n") {
		if len(l) > 20 && !strings.HasPrefix(l, "-----") {
			extra[fmt.Sprintf("app key line %d", i)] = l
		}
	}
	e.checkAlso(t, extra)
}

func TestCanaryEchoJira(t *testing.T) {
	for _, cloud := range []bool{true, false} {
		t.Run(map[bool]string{true: "cloud-basic", false: "datacenter-pat"}[cloud], func(t *testing.T) {
			s := fakejira.New(fakejira.Options{Cloud: cloud, Email: jiraEmail, APIToken: jiraToken, PAT: jiraPAT, LegacySprintField: !cloud})
			defer s.Close()
			seedJira(s, time.Now().UTC())
			ech := newEchoer(t, "jira", s.Config.Handler)
			dir := t.TempDir()
			cfg := jiraConfig(t, dir, ech.URL, cloud)
			e := &evidence{}
			echoRuns(t, e, ech, env(nil), cfg)
			echoAction(t, e, ech, env(nil), cfg, dir)
			e.dir(t, dir)
			e.checkAlso(t, ech.credentials(t))
		})
	}
}

// cliMasked is cli for the Action: the ::add-mask:: commands it prints
// first are the one place a secret may appear, so they are checked to come
// first and kept out of the evidence.
func (e *evidence) cliMasked(t *testing.T, getenv func(string) string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb strings.Builder
	code := cli.Run(context.Background(), args, &out, &errb, getenv)
	stdout, stderr := out.String(), errb.String()
	lines := strings.SplitAfter(stdout, "\n")
	i := 0
	for i < len(lines) && strings.HasPrefix(lines[i], "::add-mask::") {
		i++
	}
	if i == 0 {
		t.Errorf("the Action registered no secret with the runner (no ::add-mask:: first):\n%s", stdout)
	}
	rest := strings.Join(lines[i:], "")
	if strings.Contains(rest, "::add-mask::") {
		t.Errorf("an ::add-mask:: comes after other output")
	}
	e.add(fmt.Sprintf("stdout of %v (after the masks)", args), []byte(rest))
	e.add(fmt.Sprintf("stderr of %v", args), []byte(stderr))
	return code, rest, stderr
}

// checkAlso is check with more canaries: the credentials seen on the wire.
func (e *evidence) checkAlso(t *testing.T, extra map[string]string) {
	t.Helper()
	for where, data := range e.items {
		for name, form := range extra {
			if len(form) < 8 {
				continue
			}
			if i := strings.Index(string(data), form); i >= 0 {
				lo, hi := max(0, i-60), min(len(data), i+len(form)+20)
				t.Errorf("LEAK: %s found in %s: …%q…", name, where, data[lo:hi])
			}
		}
	}
	e.check(t)
}
