package cli_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/forewarn/forewarn/internal/demotest"
	"github.com/forewarn/forewarn/internal/exitcode"
)

// `plan --report FILE` writes the portfolio page and nothing else; a week
// later `run` shows how each forecast moved since the first run.
func TestReportFlag(t *testing.T) {
	root, cfg := demotest.Copy(t)
	page := filepath.Join(t.TempDir(), "portfolio.html")
	code, _, stderr := forewarn(t, "plan", "--config", cfg, "--now", now, "--report", page)
	if code != exitcode.OK {
		t.Fatalf("plan --report: exit %d\n%s", code, stderr)
	}
	html, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(html), `<tr class="ms row-`); n != 4 {
		t.Errorf("plan page: %d milestone rows, want the demo's 4", n)
	}
	for _, want := range []string{"Plan: nothing was written", "3 dates at risk", "6 drafts awaiting review", "no forecast a week ago",
		`href="https://tracker.example/checkout-redesign"`} {
		if !strings.Contains(string(html), want) {
			t.Errorf("plan page lacks %q", want)
		}
	}
	if got := tree(t, root); strings.Contains(strings.Join(got, " "), "outbox") || strings.Contains(strings.Join(got, " "), ".forewarn") {
		t.Errorf("plan --report wrote beside the config: %v", got)
	}

	// Two runs a week apart: the second page compares with the first.
	if code, _, stderr := forewarn(t, "run", "--config", cfg, "--now", "2026-11-13T09:00:00Z"); code != exitcode.OK {
		t.Fatalf("run a week earlier: exit %d\n%s", code, stderr)
	}
	code, _, stderr = forewarn(t, "run", "--config", cfg, "--now", now, "--report", page)
	if code != exitcode.OK {
		t.Fatalf("run --report: exit %d\n%s", code, stderr)
	}
	html, _ = os.ReadFile(page)
	if strings.Contains(string(html), "no forecast a week ago") || !strings.Contains(string(html), "83 % → 69 % (down 14 pts)") {
		t.Errorf("run page does not compare with the forecast of a week earlier: %s", regexp.MustCompile(`[0-9]+ % → [0-9]+ % \([^)]*\)`).FindAllString(string(html), -1))
	}
}

// The report: section writes the page on every run, in its language; a
// bad locale is refused with its position before anything is written.
func TestReportConfig(t *testing.T) {
	_, cfg := demotest.Copy(t)
	data, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, append(data, []byte("report:\n  path: site/index.html\n  locale: nl\n")...), 0o644)
	if code, _, stderr := forewarn(t, "plan", "--config", cfg, "--now", now); code != exitcode.OK {
		t.Fatalf("plan: exit %d\n%s", code, stderr)
	}
	html, err := os.ReadFile(filepath.Join(filepath.Dir(cfg), "site", "index.html"))
	if err != nil || !strings.Contains(string(html), `<html lang="nl">`) || !strings.Contains(string(html), "3 data in gevaar") {
		t.Errorf("report.path/locale: %v; Dutch page expected", err)
	}

	os.WriteFile(cfg, append(data, []byte("report:\n  locale: de\n")...), 0o644)
	code, _, stderr := forewarn(t, "plan", "--config", cfg, "--now", now)
	if code != exitcode.Usage || !regexp.MustCompile(`forewarn\.yaml:\d+:\d+: .*report\.locale: "de"`).MatchString(stderr) {
		t.Errorf("locale de: exit %d\n%s", code, stderr)
	}
}
