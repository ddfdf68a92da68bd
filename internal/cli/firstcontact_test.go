package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/forewarn/forewarn/internal/cli"
	"github.com/forewarn/forewarn/internal/demotest"
	"github.com/forewarn/forewarn/internal/exitcode"
)

func withEnv(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Run(context.Background(), args, &out, &errb, func(k string) string { return env[k] })
	return code, out.String(), errb.String()
}

// TestHelpForEveryCommand: `forewarn CMD --help` and `forewarn help CMD`
// print the same help on stdout and exit 0; commands with flags list them
// with their defaults, $FOREWARN_CONFIG included; `action --help` prints
// help instead of running the Action.
func TestHelpForEveryCommand(t *testing.T) {
	withFlags := map[string][]string{
		"run":   {"--config FILE", "$FOREWARN_CONFIG", "--log-level LEVEL", "(default info)", "--now TIME", "--json", "--report FILE"},
		"plan":  {"--config FILE", "$FOREWARN_CONFIG", "--report FILE"},
		"check": {"--config FILE", "--json", "--strict"},
		"serve": {"--interval DURATION", "(default 15m0s)", "--jitter DURATION", "0 for none", "--addr ADDRESS", "(default :9464)"},
		"init":  {"--config FILE", "--rules", "--force"},
	}
	for _, cmd := range []string{"run", "plan", "check", "serve", "init", "test", "schema", "backtest", "action", "version"} {
		for _, args := range [][]string{{cmd, "--help"}, {cmd, "-h"}, {"help", cmd}} {
			code, stdout, stderr := withEnv(t, map[string]string{"FOREWARN_CONFIG": "/etc/fw.yaml"}, args...)
			if code != exitcode.OK || stderr != "" {
				t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
			}
			if !strings.HasPrefix(stdout, "Usage: forewarn "+cmd) {
				t.Errorf("%v: no usage line:\n%s", args, stdout)
			}
			for _, want := range withFlags[cmd] {
				if !strings.Contains(stdout, want) {
					t.Errorf("%v: help lacks %q:\n%s", args, want, stdout)
				}
			}
			if withFlags[cmd] != nil && !strings.Contains(stdout, "here /etc/fw.yaml") {
				t.Errorf("%v: the --config default does not show $FOREWARN_CONFIG's value:\n%s", args, stdout)
			}
		}
	}
	code, stdout, _ := withEnv(t, nil, "action", "--help")
	if code != 0 || strings.Contains(stdout, "::") || !strings.Contains(stdout, "INPUT_CONFIG") {
		t.Errorf("action --help ran the Action or printed no help (exit %d):\n%s", code, stdout)
	}
	if code, _, stderr := withEnv(t, nil, "help", "nonsense"); code != exitcode.Usage || !strings.Contains(stderr, `unknown command "nonsense"`) {
		t.Errorf("help nonsense: exit %d\n%s", code, stderr)
	}
}

// TestUnknownLogLevelIsOneLine: a usage error naming the accepted levels,
// without the logging library's own wording.
func TestUnknownLogLevelIsOneLine(t *testing.T) {
	_, cfg := demotest.Copy(t)
	code, stdout, stderr := forewarn(t, "plan", "--config", cfg, "--log-level", "loud")
	if code != exitcode.Usage || stdout != "" {
		t.Fatalf("exit %d, stdout %q", code, stdout)
	}
	if want := `forewarn plan: --log-level: unknown level "loud" (want debug, info, warn, error)` + "\n"; stderr != want {
		t.Fatalf("stderr %q, want %q", stderr, want)
	}
}

// TestCheckJSON: check --json prints the summary as JSON.
func TestCheckJSON(t *testing.T) {
	_, cfg := demotest.Copy(t)
	code, stdout, stderr := forewarn(t, "check", "--config", cfg, "--json")
	if code != exitcode.OK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var got struct {
		Config  string `json:"config"`
		Sources []struct{ Name, Kind string }
		Target  string
		Clients int
		State   struct{ Driver string }
		Rules   []string
		Warn    []string `json:"warnings"`
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, stdout)
	}
	if got.Config != cfg || len(got.Sources) != 1 || got.Sources[0].Kind != "file" || got.Target != "outbox" ||
		got.Clients != 2 || got.State.Driver != "sqlite" || len(got.Rules) < 5 || got.Warn == nil || len(got.Warn) != 0 {
		t.Fatalf("summary %+v", got)
	}
}

// TestCheckWarnsAboutUnsetSecrets: a secret variable the configuration
// names but the environment lacks is a warning (exit 0), and exit 2 with
// --strict; set, it is no warning.
func TestCheckWarnsAboutUnsetSecrets(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "forewarn.yaml")
	os.WriteFile(cfg, []byte("version: 1\nsources:\n  - name: gh\n    github: {repos: [a/b], token_env: MY_GH_TOKEN, client: c}\ntarget: {outbox: {dir: o}}\nclients: [{id: c, name: C}]\n"), 0o644)
	for _, tc := range []struct {
		env    map[string]string
		strict bool
		code   int
		warn   bool
	}{
		{nil, false, exitcode.OK, true},
		{map[string]string{"MY_GH_TOKEN": "  "}, true, exitcode.Usage, true},
		{map[string]string{"MY_GH_TOKEN": "ghp_set0123456789"}, true, exitcode.OK, false},
	} {
		args := []string{"check", "--config", cfg}
		if tc.strict {
			args = append(args, "--strict")
		}
		code, stdout, stderr := withEnv(t, tc.env, args...)
		if code != tc.code || strings.Contains(stderr, "MY_GH_TOKEN") != tc.warn || !strings.Contains(stdout, ": ok") {
			t.Errorf("env %v strict %v: exit %d (want %d), warning %v\nstdout:\n%s\nstderr:\n%s", tc.env, tc.strict, code, tc.code, tc.warn, stdout, stderr)
		}
	}
}

// TestConfigTooLargeIsRefusedUnread: a configuration over 1 MiB is refused
// with a clear message.
func TestConfigTooLargeIsRefusedUnread(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "forewarn.yaml")
	os.WriteFile(cfg, append([]byte("version: 1\n"), bytes.Repeat([]byte("# padding padding padding padding\n"), 40000)...), 0o644)
	code, _, stderr := forewarn(t, "check", "--config", cfg)
	if code != exitcode.Usage || !strings.Contains(stderr, "larger than 1024 KiB") {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
}

// TestInitCheckPlan: a new user's first minutes. init writes a starter
// configuration that check accepts, for each tracker; without rules: the
// built-in rules are used; --rules writes a copy; init never overwrites
// without --force; with an export beside it, plan runs.
func TestInitCheckPlan(t *testing.T) {
	for _, trackers := range [][]string{{"github"}, {"jira"}, {"file"}, {"jira", "github", "file"}} {
		dir := t.TempDir()
		cfg := filepath.Join(dir, "forewarn.yaml")
		code, stdout, stderr := forewarn(t, append([]string{"init", "--config", cfg}, trackers...)...)
		if code != exitcode.OK || !strings.Contains(stdout, "wrote "+cfg) {
			t.Fatalf("init %v: exit %d\n%s%s", trackers, code, stdout, stderr)
		}
		code, stdout, stderr = forewarn(t, "check", "--config", cfg)
		if code != exitcode.OK || !strings.Contains(stdout, "(built-in rules): ok") {
			t.Fatalf("check after init %v: exit %d\n%s%s", trackers, code, stdout, stderr)
		}
		if code, _, stderr := forewarn(t, "init", "--config", cfg, "github"); code != exitcode.Usage || !strings.Contains(stderr, "exists") {
			t.Errorf("init over an existing file: exit %d\n%s", code, stderr)
		}
	}
	// --rules, flags after the tracker, and a plan with the demo's export.
	dir := t.TempDir()
	cfg := filepath.Join(dir, "forewarn.yaml")
	if code, _, stderr := forewarn(t, "init", "file", "--rules", "--config", cfg); code != exitcode.OK {
		t.Fatalf("init --rules: exit %d\n%s", code, stderr)
	}
	root, _ := demotest.Copy(t)
	export, _ := os.ReadFile(filepath.Join(root, "examples", "demo", "export.yaml"))
	text, _ := os.ReadFile(cfg)
	text = []byte(strings.Replace(string(text), "id: client-1", "id: acme", 1))
	os.WriteFile(cfg, text, 0o644)
	os.WriteFile(filepath.Join(dir, "export.yaml"), export, 0o644)
	code, stdout, stderr := forewarn(t, "check", "--config", cfg)
	if code != exitcode.OK || !strings.Contains(stdout, filepath.Join(dir, "rules.yaml")+": ok") {
		t.Fatalf("check with --rules: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = forewarn(t, "plan", "--config", cfg, "--now", now)
	if !strings.Contains(stdout, "to create") || !strings.Contains(stdout, "Nothing was written") {
		t.Fatalf("plan after init: exit %d\n%s%s", code, stdout, stderr)
	}
}

// TestCopiedDemoWithoutRulesKey: a configuration without rules: uses the
// rules built into the binary, so a copied directory works anywhere.
func TestCopiedDemoWithoutRulesKey(t *testing.T) {
	root, cfg := demotest.Copy(t)
	text, _ := os.ReadFile(cfg)
	text = []byte(strings.Replace(string(text), "rules: ../../rules.yaml\n", "", 1))
	moved := filepath.Join(t.TempDir(), "elsewhere")
	os.MkdirAll(moved, 0o755)
	os.WriteFile(filepath.Join(moved, "forewarn.yaml"), text, 0o644)
	export, _ := os.ReadFile(filepath.Join(root, "examples", "demo", "export.yaml"))
	os.WriteFile(filepath.Join(moved, "export.yaml"), export, 0o644)
	code, stdout, stderr := forewarn(t, "plan", "--config", filepath.Join(moved, "forewarn.yaml"), "--json")
	if code != exitcode.OK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if r := report(t, stdout); r.Count("create") == 0 {
		t.Fatalf("the built-in rules drafted nothing: %+v", r)
	}
}

// TestServeRefusesNonsenseFlags: --interval 0s is a usage error.
func TestServeRefusesNonsenseFlags(t *testing.T) {
	_, cfg := demotest.Copy(t)
	for _, args := range [][]string{{"--interval", "0s"}, {"--interval", "-1m"}, {"--jitter", "-5s"}} {
		code, _, stderr := forewarn(t, append([]string{"serve", "--config", cfg, "--addr", "127.0.0.1:0"}, args...)...)
		if code != exitcode.Usage || !strings.Contains(stderr, "forewarn serve: "+args[0]+" must") {
			t.Errorf("%v: exit %d\n%s", args, code, stderr)
		}
	}
}
