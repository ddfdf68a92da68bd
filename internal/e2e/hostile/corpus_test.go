package hostile

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// The corpus: every file in testdata/config is a broken or hostile
// configuration, every file in testdata/rules a broken or hostile rules
// file (the 37 in rules/testdata/errors are not repeated here). The
// expected diagnostics are the .golden file beside each one. See
// testdata/README.md for what each file tries.

const clock = "2026-11-20T09:00:00Z"

// fileLevel are the cases whose problem is a whole file (one that is
// missing, or a template whose output breaks a rule), so the message names
// the file without a line.
var fileLevel = map[string]string{
	"38_rules_file_missing":     "the rules file does not exist",
	"47_template_writes_marker": "found by rendering the template, not at a position",
}

// position is what every diagnostic starts with.
var position = regexp.MustCompile(`^\$DIR/[^:\s]+:\d+:\d+: \S`)

// bounded are the cases that try to eat memory or time; loading them must
// allocate little (an expanded billion-laughs document is gigabytes).
var bounded = map[string]bool{
	"10_alias_bomb": true, "11_alias_bomb_used_as_list": true, "13_deep_nesting": true,
	"r01_alias_bomb_in_labels": true, "r05_deep_nesting": true,
}

const maxAlloc = 64 << 20

// baseConfig is the valid configuration the rules cases are checked with.
const baseConfig = `version: 1
rules: rules.yaml
state:
  driver: sqlite
  path: .forewarn/state.db
sources:
  - name: demo
    file:
      path: export.yaml
      replay_as_of: 2026-11-20
target:
  outbox:
    dir: outbox
`

func TestHostileConfigCorpus(t *testing.T) {
	root := repoRoot(t)
	cases, _ := filepath.Glob("testdata/config/*.yaml")
	if len(cases) < 30 {
		t.Fatalf("only %d config cases", len(cases))
	}
	for _, c := range cases {
		name := strings.TrimSuffix(filepath.Base(c), ".yaml")
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			copyFile(t, filepath.Join(root, "rules.yaml"), filepath.Join(dir, "rules.yaml"))
			copyFile(t, filepath.Join(root, "examples", "demo", "export.yaml"), filepath.Join(dir, "export.yaml"))
			copyDir(t, filepath.Join("testdata", "support"), filepath.Join(dir, "support"))
			copyFile(t, c, filepath.Join(dir, "forewarn.yaml"))
			refuse(t, name, dir, "config/"+name+".golden")
		})
	}
}

func TestHostileRulesCorpus(t *testing.T) {
	root := repoRoot(t)
	cases, _ := filepath.Glob("testdata/rules/*.yaml")
	for _, c := range cases {
		name := strings.TrimSuffix(filepath.Base(c), ".yaml")
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			copyFile(t, filepath.Join(root, "examples", "demo", "export.yaml"), filepath.Join(dir, "export.yaml"))
			writeFile(t, filepath.Join(dir, "forewarn.yaml"), []byte(baseConfig))
			copyFile(t, c, filepath.Join(dir, "rules.yaml"))
			refuse(t, name, dir, "rules/"+name+".golden")
		})
	}
}

// refuse runs check, plan and run on dir/forewarn.yaml and asserts each
// refuses with exit 2, the same diagnostics (the golden file), each with
// file:line:col, and that nothing was written.
func refuse(t *testing.T, name, dir, goldenName string) {
	t.Helper()
	cfg := filepath.Join(dir, "forewarn.yaml")
	before := snapshot(t, dir)
	var diags string
	for _, cmd := range []string{"check", "plan", "run"} {
		var ms0, ms1 runtime.MemStats
		runtime.ReadMemStats(&ms0)
		code, stdout, stderr := forewarn(nil, cmd, "--config", cfg, "--now", clock)
		runtime.ReadMemStats(&ms1)
		if alloc := ms1.TotalAlloc - ms0.TotalAlloc; bounded[name] && alloc > maxAlloc {
			t.Errorf("%s allocated %d MiB loading a hostile file (limit %d MiB)", cmd, alloc>>20, maxAlloc>>20)
		}
		if code != 2 {
			t.Fatalf("%s: exit %d, want 2\nstdout:\n%s\nstderr:\n%s", cmd, code, stdout, stderr)
		}
		if stdout != "" {
			t.Errorf("%s printed to stdout on a refusal:\n%s", cmd, stdout)
		}
		// 45_url_with_credentials: a password in a URL is never echoed.
		if strings.Contains(stderr, "hunter2") {
			t.Errorf("%s echoed the password of a URL:\n%s", cmd, stderr)
		}
		out := normalize(stderr, dir)
		lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
		last := lines[len(lines)-1]
		body := strings.Join(lines[:len(lines)-1], "\n") + "\n"
		if want := fmt.Sprintf("forewarn %s: %d problem(s) found; nothing was written", cmd, len(lines)-1); last != want {
			t.Errorf("%s: last line %q, want %q", cmd, last, want)
		}
		for _, l := range lines[:len(lines)-1] {
			if _, ok := fileLevel[name]; ok {
				if !strings.HasPrefix(l, "$DIR/") {
					t.Errorf("%s: diagnostic does not name the file: %q", cmd, l)
				}
				continue
			}
			if !position.MatchString(l) {
				t.Errorf("%s: diagnostic lacks file:line:col: %q", cmd, l)
			}
		}
		if cmd == "check" {
			diags = body
			golden(t, goldenName, allowedKeys.ReplaceAllString(body, "(allowed: …)"))
		} else if body != diags {
			t.Errorf("%s reported other problems than check:\n%s\nvs\n%s", cmd, body, diags)
		}
	}
	if d := diffTrees(before, snapshot(t, dir)); len(d) > 0 {
		t.Errorf("a refused configuration wrote to disk: %v", d)
	}
	for _, p := range []string{".forewarn", "outbox"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err == nil {
			t.Errorf("%s exists after a refusal", p)
		}
	}
}
