package jira_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// The snapshot an incremental sync builds on is sync state, not a cached
// response: a new process with no conditional-request cache at all, and
// the same state, syncs incrementally; one without the state reads
// everything (the assertion can tell the two apart).
func TestSnapshotOutlivesTheCache(t *testing.T) {
	s := newSite(t, true)
	s.seed()
	if _, err := newSource(t, s, nil).Fetch(context.Background()); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Hour)
	t.Cleanup(func() { now = now.Add(-time.Hour) })
	incremental := func() bool {
		for _, r := range s.srv.Requests() {
			if strings.HasPrefix(r.Route, "/rest/api/2/search") && !strings.Contains(r.Query.Get("jql"), "updated >=") {
				return false
			}
		}
		return true
	}

	s.env.Cache = nil // the ETag cache is gone; the sync state is kept
	s.srv.ResetLog()
	if _, err := newSource(t, s, nil).Fetch(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !incremental() {
		t.Fatalf("without the cache the sync was not incremental:\n%s", s.srv.StatsTable())
	}

	s.env.State = &memState{} // the state is gone too
	s.srv.ResetLog()
	if _, err := newSource(t, s, nil).Fetch(context.Background()); err != nil {
		t.Fatal(err)
	}
	if incremental() {
		t.Fatal("without the sync state the sync was incremental")
	}
}

// A state store that cannot answer fails the source with its error before
// any issue search: taking it for "no snapshot" would resync from a wrong
// starting point (and overwrite the snapshot with what one run saw). One
// that cannot save fails it too.
func TestSnapshotStateErrorFailsTheSource(t *testing.T) {
	s := newSite(t, true)
	s.seed()
	s.state.Err = errors.New("state store: database is locked")
	_, err := newSource(t, s, nil).Fetch(context.Background())
	if err == nil || !strings.Contains(err.Error(), "sync snapshot") || !strings.Contains(err.Error(), "database is locked") {
		t.Fatalf("Fetch with an unreadable sync state = %v; want the source to fail naming the snapshot and the cause", err)
	}
	if n := s.srv.Count("GET /rest/api/2/search/jql"); n != 0 {
		t.Fatalf("%d issue searches after the state could not be read; want none", n)
	}

	s.state.Err = nil
	s.state.SaveErr = errors.New("state store: disk full")
	_, err = newSource(t, s, nil).Fetch(context.Background())
	if err == nil || !strings.Contains(err.Error(), "saving its sync snapshot") || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("Fetch with an unwritable sync state = %v; want the source to fail", err)
	}
}

// A plan's state (ReadOnly) is read as a run's and never written: the
// source does not build a snapshot to save. A plan after a run syncs
// incrementally from the run's snapshot.
func TestSnapshotNotSavedToAPlansState(t *testing.T) {
	s := newSite(t, true)
	s.seed()
	s.state.Plan = true
	if _, err := newSource(t, s, nil).Fetch(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := s.state.Saves(); n != 0 {
		t.Fatalf("a plan saved its sync snapshot %d time(s); want none", n)
	}
	s.state.Plan = false
	if _, err := newSource(t, s, nil).Fetch(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := s.state.Saves(); n != 1 {
		t.Fatalf("a run saved its sync snapshot %d time(s); want 1", n)
	}
	s.state.Plan = true
	s.srv.ResetLog()
	if _, err := newSource(t, s, nil).Fetch(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := s.state.Saves(); n != 1 {
		t.Fatalf("a plan after the run saved its snapshot (%d saves); want the run's one", n)
	}
	searches := 0
	for _, r := range s.srv.Requests() {
		if !strings.HasPrefix(r.Route, "/rest/api/2/search") {
			continue
		}
		searches++
		if !strings.Contains(r.Query.Get("jql"), "updated >=") {
			t.Fatalf("the plan after a run did not sync incrementally: %s", r.Query.Get("jql"))
		}
	}
	if searches == 0 {
		t.Fatal("the plan after a run searched no issue")
	}
}
