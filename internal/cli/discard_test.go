package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/forewarn/forewarn/internal/demotest"
	"github.com/forewarn/forewarn/internal/exitcode"
	"github.com/forewarn/forewarn/internal/tracker"
)

// A reviewer deletes a draft from the outbox: that is a discard. The next
// runs record and report it and never write the draft again.
func TestDeletedDraftStaysDiscarded(t *testing.T) {
	root, cfg := demotest.Copy(t)
	code, stdout, stderr := forewarn(t, "run", "--config", cfg, "--now", now, "--json")
	if code != exitcode.OK {
		t.Fatalf("first run: exit %d\n%s", code, stderr)
	}
	var gone tracker.Action
	for _, a := range report(t, stdout).Actions {
		if a.MilestoneKey == "file:demo/checkout-redesign" && a.Purpose == "client-notice" {
			gone = a
		}
	}
	if gone.Ref.ID == "" {
		t.Fatal("the demo drafted no client notice for checkout-redesign")
	}
	draft := filepath.Join(root, "examples", "demo", "outbox", gone.Ref.ID)
	if err := os.Remove(draft); err != nil {
		t.Fatal(err)
	}

	for i, at := range []string{now, "2026-11-20T15:00:00Z", "2026-11-21T09:00:00Z"} {
		code, stdout, stderr := forewarn(t, "run", "--config", cfg, "--now", at, "--json")
		if code != exitcode.OK {
			t.Fatalf("run %d: exit %d\n%s", i+2, code, stderr)
		}
		rep := report(t, stdout)
		var seen bool
		for _, a := range rep.Actions {
			if a.Fingerprint != gone.Fingerprint {
				continue
			}
			seen = true
			if a.Kind != tracker.ActionDiscarded || a.Err != "" || !strings.Contains(a.Reason, "not re-created") {
				t.Errorf("run %d: the deleted draft gave %s %q %s", i+2, a.Kind, a.Reason, a.Err)
			}
		}
		if !seen {
			t.Errorf("run %d does not report the discarded draft: %+v", i+2, rep.Actions)
		}
		if n := rep.Count(tracker.ActionCreate); n != 0 {
			t.Errorf("run %d created %d tickets", i+2, n)
		}
		if _, err := os.Stat(draft); !os.IsNotExist(err) {
			t.Fatalf("run %d wrote the deleted draft again", i+2)
		}
	}
	_, stdout, _ = forewarn(t, "plan", "--config", cfg, "--now", now)
	if !strings.Contains(stdout, "DISCARDED") {
		t.Errorf("the table does not show the discarded draft:\n%s", stdout)
	}
}
