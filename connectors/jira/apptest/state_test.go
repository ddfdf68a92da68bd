package apptest_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
