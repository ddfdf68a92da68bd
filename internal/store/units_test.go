package store_test

import (
	"errors"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn/internal/store"
)

// Per-unit locks, milestone claims, rule state and run log per scope: the
// pieces several workers share one state with. Every backend passes them.
func runUnitContract(t *testing.T, newBackend func(t *testing.T) backend) {
	cases := []struct {
		name string
		fn   func(t *testing.T, b backend)
	}{
		{"unit locks", testUnitLocks},
		{"claims", testClaims},
		{"rule state per scope", testScopeRuleState},
		{"run log per scope", testScopeRunLog},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.fn(t, newBackend(t)) })
	}
}

func TestSQLiteUnits(t *testing.T) { runUnitContract(t, sqliteBackend) }

func TestNoneUnits(t *testing.T) {
	runUnitContract(t, func(t *testing.T) backend { return backend{cfg: store.Config{Driver: "none"}} })
}

func TestPostgresUnits(t *testing.T) {
	dsn := pgDSN(t)
	runUnitContract(t, func(t *testing.T) backend { return pgBackend(t, dsn) })
}

func testUnitLocks(t *testing.T, b backend) {
	w1, w2 := b.open(t), otherRun(t, b)
	l1, err := w1.Lock(ctx, 0, "gh#0/2", "jira#0/2")
	if err != nil {
		t.Fatalf("worker 1: %v", err)
	}
	// Disjoint units: both workers run at once.
	l2, err := w2.Lock(ctx, 0, "jira#1/2", "gh#1/2")
	if err != nil {
		t.Fatalf("worker 2, other units: %v", err)
	}
	// A unit already held: refused, naming the unit, holding nothing.
	_, err = w2.Lock(ctx, 200*time.Millisecond, "aaa#0/3", "jira#0/2")
	var le *store.LockedError
	if !errors.As(err, &le) || !errors.Is(err, store.ErrLocked) || !strings.Contains(err.Error(), "jira#0/2") || le.Waited < 200*time.Millisecond {
		t.Fatalf("overlapping units = %v; want ErrLocked naming jira#0/2 after the wait", err)
	}
	if l3, err := w2.Lock(ctx, 0, "aaa#0/3"); err != nil {
		t.Fatalf("a refused Lock kept the unit it had taken: %v", err)
	} else {
		must(t, l3.Release())
	}
	// Units do not take the installation's lock, and it does not take them.
	whole, err := w2.Lock(ctx, 0)
	if err != nil {
		t.Fatalf("installation lock beside unit locks: %v", err)
	}
	must(t, whole.Release())
	must(t, l1.Release())
	must(t, l1.Release()) // twice is fine
	l4, err := w2.Lock(ctx, 0, "gh#0/2")
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	must(t, l4.Release())
	must(t, l2.Release())
}

func testClaims(t *testing.T, b backend) {
	w1, w2 := b.open(t), otherRun(t, b)
	l1, err := w1.Lock(ctx, 0, "gh#0/2")
	if err != nil {
		t.Fatal(err)
	}
	l2, err := w2.Lock(ctx, 0, "gh#0/3") // overlapping shards of another count
	if err != nil {
		t.Fatal(err)
	}
	claim := func(l *store.Lease, key string) bool {
		t.Helper()
		ok, err := l.Claim(ctx, key)
		if err != nil {
			t.Fatalf("Claim(%s): %v", key, err)
		}
		return ok
	}
	first := claim(l1, "github:acme/web#1")
	repeat := claim(l1, "github:acme/web#1") // a second call on purpose: claiming again is idempotent
	if !first || !repeat {
		t.Fatal("a first claim (and its repeat) must succeed")
	}
	if claim(l2, "github:acme/web#1") {
		t.Fatal("two workers claimed the same milestone")
	}
	if !claim(l2, "github:acme/web#2") {
		t.Fatal("another milestone is free")
	}
	must(t, l1.Release())
	if !claim(l2, "github:acme/web#1") {
		t.Fatal("a released claim is free again")
	}
	if _, err := l1.Claim(ctx, "x"); err == nil {
		t.Fatal("claiming on a released lease must fail")
	}
	l3, err := w1.Lock(ctx, 0, "gh#0/2")
	if err != nil {
		t.Fatal(err)
	}
	if claim(l3, "github:acme/web#2") {
		t.Fatal("claim of a live lease taken again")
	}
	must(t, l2.Release())
	must(t, l3.Release())
}

func testScopeRuleState(t *testing.T, b backend) {
	s := b.open(t)
	if _, ok, err := s.ScopeRuleState(ctx, "0/2"); ok || err != nil {
		t.Fatalf("empty: ok=%v err=%v", ok, err)
	}
	must(t, s.SaveRuleState(ctx, []byte("whole")))
	must(t, s.SaveScopeRuleState(ctx, "0/2", []byte("shard0")))
	must(t, s.SaveScopeRuleState(ctx, "1/2", []byte{}))
	must(t, s.SaveScopeRuleState(ctx, "0/2", []byte("shard0-v2")))
	for scope, want := range map[string]string{"": "whole", "0/2": "shard0-v2", "1/2": ""} {
		got, ok, err := s.ScopeRuleState(ctx, scope)
		if err != nil || !ok || string(got) != want {
			t.Errorf("scope %q = %q, %v, %v; want %q", scope, got, ok, err, want)
		}
	}
	if got, _ := s.RuleState(ctx); string(got) != "whole" {
		t.Errorf("RuleState = %q; want the installation's row", got)
	}
	all, err := s.RuleStates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, b := range all {
		got = append(got, string(b))
	}
	sort.Strings(got)
	if strings.Join(got, ",") != ",shard0-v2,whole" {
		t.Fatalf("RuleStates = %q", got)
	}
}

func testScopeRunLog(t *testing.T, b backend) {
	s := b.open(t)
	a, err := s.StartRun(ctx, "run", "0/2", day0)
	must(t, err)
	c, err := s.StartRun(ctx, "run", "1/2", day0)
	must(t, err)
	// A second run of shard 0: the first of shard 0 died (it is
	// abandoned); shard 1's run is another worker, still going.
	a2, err := s.StartRun(ctx, "run", "0/2", day0.Add(time.Minute))
	must(t, err)
	runs, err := s.Runs(ctx, 10)
	must(t, err)
	want := map[int64][2]string{a: {"0/2", store.OutcomeAbandoned}, c: {"1/2", store.OutcomeRunning}, a2: {"0/2", store.OutcomeRunning}}
	if len(runs) != 3 {
		t.Fatalf("runs = %+v", runs)
	}
	for _, r := range runs {
		if w := want[r.ID]; r.Scope != w[0] || r.Outcome != w[1] {
			t.Errorf("run %d: scope %q outcome %s; want %q %s", r.ID, r.Scope, r.Outcome, w[0], w[1])
		}
	}
}
