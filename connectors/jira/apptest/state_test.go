package apptest_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	_ "modernc.org/sqlite"

	fake "github.com/forewarn/forewarn/internal/testserver/jira"
	"github.com/forewarn/forewarn/internal/tracker"
)

// The Jira source's sync snapshot lives in the state store's sync state,
// not in its HTTP cache: wiping the cache between runs leaves the next run
// incremental; wiping the sync state makes it read everything again.
func TestAppSyncStateOutlivesTheHTTPCache(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	s := fake.New(fake.Options{Cloud: true, Email: email, APIToken: token})
	defer s.Close()
	seed(s, now)
	dir := t.TempDir()
	ctx := context.Background()
	if _, err := load(t, s, dir, now).Run(ctx, tracker.ModeRun); err != nil {
		t.Fatalf("first run: %v", err)
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "state.db")+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var kept int
	if err := db.QueryRow(`SELECT COUNT(*) FROM sync_state WHERE namespace = 'source:acme-jira' AND key LIKE 'snapshot:v1:%'`).Scan(&kept); err != nil || kept != 1 {
		t.Fatalf("the first run's snapshot in sync_state: %d rows, %v; want 1", kept, err)
	}
	// sourceSearches are the source's searches of the last run (the
	// target's searches name the review project).
	incremental := func() (bool, int) {
		n := 0
		for _, r := range s.Requests() {
			jql := r.Query.Get("jql")
			if r.Route != "/rest/api/2/search/jql" || strings.Contains(jql, "REV") {
				continue
			}
			n++
			if !strings.Contains(jql, "updated >=") {
				return false, n
			}
		}
		return true, n
	}

	for run, wipe := range []string{"http_cache", "sync_state"} {
		if _, err := db.Exec(`DELETE FROM ` + wipe); err != nil {
			t.Fatal(err)
		}
		s.ResetLog()
		if _, err := load(t, s, dir, now.Add(time.Duration(run+1)*time.Hour)).Run(ctx, tracker.ModeRun); err != nil {
			t.Fatalf("run after wiping %s: %v", wipe, err)
		}
		inc, n := incremental()
		if n == 0 {
			t.Fatalf("run after wiping %s searched nothing:\n%s", wipe, s.StatsTable())
		}
		if want := wipe == "http_cache"; inc != want {
			t.Errorf("run after wiping %s: incremental = %v, want %v", wipe, inc, want)
		}
	}
}

// A plan reads the Jira source's sync snapshot as a run would and neither
// keeps nor builds a new one (its state store is read-only, and the source
// is told so): the first plan syncs in full and leaves no state; a run
// saves the snapshot; a plan after it syncs incrementally from it and
// leaves it byte for byte; the next run is incremental and saves again.
func TestAppPlanDoesNotSaveTheSnapshot(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	s := fake.New(fake.Options{Cloud: true, Email: email, APIToken: token})
	defer s.Close()
	seed(s, now)
	dir := t.TempDir()
	ctx := context.Background()
	var logs bytes.Buffer
	// pass runs or plans at hour h; it says whether the source's
	// searches were incremental and whether it saved its snapshot.
	pass := func(mode tracker.Mode, h int) (incremental, saved bool) {
		t.Helper()
		logs.Reset()
		s.ResetLog()
		a := loadLogged(t, s, dir, now.Add(time.Duration(h)*time.Hour), zerolog.New(&logs).Level(zerolog.DebugLevel))
		if _, err := a.Run(ctx, mode); err != nil {
			t.Fatalf("%s at +%dh: %v", mode, h, err)
		}
		n := 0
		incremental = true
		for _, r := range s.Requests() {
			jql := r.Query.Get("jql")
			if r.Route != "/rest/api/2/search/jql" || strings.Contains(jql, "REV") {
				continue
			}
			n++
			incremental = incremental && strings.Contains(jql, "updated >=")
		}
		if n == 0 {
			t.Fatalf("%s at +%dh searched no issue:\n%s", mode, h, s.StatsTable())
		}
		return incremental, strings.Contains(logs.String(), "jira sync snapshot saved")
	}
	snapshot := func() []byte {
		t.Helper()
		db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "state.db")+"?_pragma=busy_timeout(5000)")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var b []byte
		if err := db.QueryRow(`SELECT value FROM sync_state WHERE namespace = 'source:acme-jira' AND key LIKE 'snapshot:v1:%'`).Scan(&b); err != nil {
			t.Fatalf("the snapshot in sync_state: %v", err)
		}
		return b
	}

	if inc, saved := pass(tracker.ModePlan, 0); inc || saved {
		t.Fatalf("first plan: incremental %v, snapshot saved %v; want a full sync and nothing saved", inc, saved)
	}
	if _, err := os.Stat(filepath.Join(dir, "state.db")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the first plan left a state file (%v)", err)
	}
	if inc, saved := pass(tracker.ModeRun, 0); inc || !saved {
		t.Fatalf("first run: incremental %v, snapshot saved %v; want a full sync, saved", inc, saved)
	}
	first := snapshot()
	if inc, saved := pass(tracker.ModePlan, 1); !inc || saved {
		t.Fatalf("plan after a run: incremental %v, snapshot saved %v; want incremental from the run's snapshot, nothing saved", inc, saved)
	}
	if !bytes.Equal(snapshot(), first) {
		t.Fatal("the plan changed the run's snapshot")
	}
	if inc, saved := pass(tracker.ModeRun, 2); !inc || !saved {
		t.Fatalf("run after the plan: incremental %v, snapshot saved %v; want incremental, saved", inc, saved)
	}
	if bytes.Equal(snapshot(), first) {
		t.Fatal("the second run kept the first run's snapshot (its sync time moved)")
	}
}
