package action_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/forewarn/forewarn/internal/action"
	"github.com/forewarn/forewarn/internal/demotest"
	"github.com/forewarn/forewarn/internal/exitcode"
)

// TestDemoThroughMain runs the Action's real entry point on the demo: a
// plan, a run, and a second run that finds every draft already written.
func TestDemoThroughMain(t *testing.T) {
	_, cfg := demotest.Copy(t)
	dir := filepath.Dir(cfg)
	step := 0
	run := func(mode string) (int, map[string]string, string) {
		step++
		e := &env{dir: dir, vars: map[string]string{
			"INPUT_CONFIG": cfg, "INPUT_MODE": mode, "INPUT_TOKEN": canary,
			"GITHUB_OUTPUT":       filepath.Join(dir, "output"+string(rune('0'+step))),
			"GITHUB_STEP_SUMMARY": filepath.Join(dir, "summary"+string(rune('0'+step))+".md"),
			"RUNNER_TEMP":         filepath.Join(dir, "tmp"),
		}}
		var stdout, stderr bytes.Buffer
		code := action.Main(context.Background(), func(k string) string { return e.vars[k] }, &stdout, &stderr)
		e.stdout, e.stderr = stdout, stderr
		e.noCanary(t)
		return code, e.outputs(t), e.read(t, e.vars["GITHUB_STEP_SUMMARY"])
	}

	code, out, summary := run("plan")
	if code != exitcode.OK {
		t.Fatalf("plan: exit %d; outputs %v\n%s", code, out, summary)
	}
	if out["milestones"] == "0" || out["at-risk"] == "0" || out["created"] == "0" {
		t.Errorf("plan outputs %v: want milestones, some at risk and drafts to create", out)
	}
	if !strings.Contains(summary, "```mermaid\nxychart-beta") || !strings.Contains(summary, "Plan only, nothing was written") {
		t.Errorf("plan summary lacks its burn-down or its plan line:\n%s", summary)
	}
	if drafts, _ := filepath.Glob(filepath.Join(dir, "outbox", "*")); len(drafts) != 0 {
		t.Fatalf("a plan wrote %d drafts", len(drafts))
	}
	t.Logf("plan job summary:\n%s", summary)
	// The portfolio page, for the upload step: the demo's four milestones.
	page, err := os.ReadFile(out["report-file"])
	if want := filepath.Join(dir, "tmp", "forewarn-portfolio", "index.html"); out["report-file"] != want || err != nil ||
		strings.Count(string(page), `<tr class="ms row-`) != 4 {
		t.Errorf("report-file %q (want %q): %v; the page should hold the demo's 4 milestones", out["report-file"], want, err)
	}

	code, out1, _ := run("run")
	if code != exitcode.OK || out1["created"] != out["created"] {
		t.Fatalf("run: exit %d, created %s; the plan said %s", code, out1["created"], out["created"])
	}
	code, out2, _ := run("run")
	if code != exitcode.OK || out2["created"] != "0" {
		t.Fatalf("second run: exit %d, created %s; want nothing created twice", code, out2["created"])
	}
}
