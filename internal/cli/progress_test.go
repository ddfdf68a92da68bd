package cli_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/forewarn/forewarn/internal/cli"
	"github.com/forewarn/forewarn/internal/exitcode"
	fakegh "github.com/forewarn/forewarn/internal/testserver/github"
)

const progressToken = "ghp_progress0000000000000000000000000000"

func progressFake(t *testing.T) (*fakegh.Server, string) {
	t.Helper()
	s := fakegh.New(progressToken)
	t.Cleanup(s.Close)
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	day := func(n int) time.Time { return now.Add(time.Duration(n) * 24 * time.Hour) }
	s.AddMilestone("acme/web", fakegh.Milestone{Number: 1, Title: "Checkout v2", DueOn: day(5), CreatedAt: day(-40)})
	for i := 0; i < 24; i++ {
		is := fakegh.Issue{Title: "Checkout task", Milestone: 1, CreatedAt: day(-39 + i%5)}
		if i < 4 {
			is.State, is.StateReason, is.ClosedAt = "closed", "completed", day(-30+i*7)
		}
		s.AddIssue("acme/web", is)
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "forewarn.yaml")
	os.WriteFile(cfg, []byte(`version: 1
state: {driver: sqlite, path: state.db}
sources:
  - name: acme-gh
    github: {repos: [acme/web], client: acme, base_url: `+s.URL+`}
target:
  outbox: {dir: outbox}
clients: [{id: acme, name: Acme Retail}]
`), 0o644)
	return s, cfg
}

// TestProgressOnTerminal: on a terminal (a pty), run shows a line for the
// source — pages read, requests left, milestones read — and one for the
// tickets, redrawn in place; on a pipe it shows none of it.
func TestProgressOnTerminal(t *testing.T) {
	_, cfg := progressFake(t)
	env := func(k string) string { return map[string]string{"GITHUB_TOKEN": progressToken}[k] }
	master, tty, err := pty.Open()
	if err != nil {
		t.Fatalf("no pty: %v", err)
	}
	defer master.Close()
	var screen bytes.Buffer
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); io.Copy(&screen, master) }()
	var stdout bytes.Buffer
	code := cli.Run(context.Background(), []string{"run", "--config", cfg, "--now", now}, &stdout, tty, env)
	tty.Close()
	wg.Wait()
	if code != exitcode.OK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout.String(), screen.String())
	}
	out := screen.String()
	for _, want := range []string{"acme-gh: 1 pages", "requests left", "1 milestones, done", "tickets: ", " planned, done", "\033[2K", "\033[1F"} {
		if !strings.Contains(out, want) {
			t.Errorf("the terminal lacks %q:\n%q", want, out)
		}
	}
	if !strings.Contains(out, "tickets: ") || strings.Contains(out, "tickets: 0 written of 0") {
		t.Errorf("no write-phase line:\n%q", out)
	}

	// The same run on a pipe: no progress at all.
	var errb bytes.Buffer
	_, cfg2 := progressFake(t)
	if code := cli.Run(context.Background(), []string{"run", "--config", cfg2, "--now", now}, io.Discard, &errb, env); code != exitcode.OK {
		t.Fatalf("exit %d\n%s", code, errb.String())
	}
	if strings.Contains(errb.String(), "pages") || strings.Contains(errb.String(), "\033[") {
		t.Errorf("progress written to a non-terminal:\n%q", errb.String())
	}
}
