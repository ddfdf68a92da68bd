package store_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/store"
)

func date(m time.Month, d int) time.Time { return time.Date(2026, m, d, 0, 0, 0, 0, time.UTC) }

func TestSnapshotOf(t *testing.T) {
	now := date(3, 10).Add(15 * time.Hour)
	m := model.Milestone{Key: "github:acme/web#12", Title: "Launch", State: model.StateOpen,
		Start: date(3, 1), Due: date(3, 31), AgreedDue: date(4, 14),
		Items: []model.WorkItem{
			{Key: "b", Created: date(2, 20), JoinedAt: date(2, 20), Points: 3, Closed: date(3, 5), Status: model.StatusDone},
			{Key: "a", Created: date(2, 20), JoinedAt: date(2, 20), Points: 5},
			{Key: "c", Created: date(3, 10).Add(9 * time.Hour), JoinedAt: date(3, 10).Add(9 * time.Hour), Points: 2}, // added today
			{Key: "d", Created: date(2, 20), JoinedAt: date(2, 20), RemovedAt: date(3, 10).Add(10 * time.Hour)},      // removed today
			{Key: "e", Created: date(2, 20), JoinedAt: date(2, 20), RemovedAt: date(3, 2)},                           // removed earlier
			{Key: "f", Created: date(3, 11), JoinedAt: date(3, 11)},                                                  // not yet
			{Key: "g", Created: date(2, 20), JoinedAt: date(2, 20), Closed: date(3, 12)},                             // done later
		},
	}
	got := store.SnapshotOf(m, now)
	want := store.Snapshot{MilestoneKey: m.Key, Taken: now, Title: "Launch", State: model.StateOpen,
		Due: date(3, 31), AgreedDue: date(4, 14),
		Point: model.BurndownPoint{Day: date(3, 10), Scope: 4, Done: 1, Remaining: 3,
			ScopePoints: 10, DonePoints: 3, RemainingPoints: 7, Added: 1, Removed: 1},
		Items: []string{"a", "b", "c", "g"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("SnapshotOf =\n %+v\nwant\n %+v", got, want)
	}
}

func TestScopeChangesAndRebaselines(t *testing.T) {
	snap := func(d int, due, agreed time.Time, items ...string) store.Snapshot {
		return store.Snapshot{MilestoneKey: "m", Taken: date(3, d), Due: due, AgreedDue: agreed, Items: items}
	}
	snaps := []store.Snapshot{
		snap(1, date(3, 31), time.Time{}, "a", "b"),
		snap(2, date(3, 31), time.Time{}, "a", "b"),      // nothing changed
		snap(3, date(4, 7), time.Time{}, "a", "c", "d"),  // due moved; b out, c and d in
		snap(4, date(4, 7), date(4, 21), "a", "c", "d"),  // new date agreed
		snap(5, date(4, 7), date(4, 28), "a", "d", "e0"), // agreed again; c out, e0 in
	}
	wantScope := []store.ScopeChange{
		{From: date(3, 2), To: date(3, 3), Added: []string{"c", "d"}, Removed: []string{"b"}},
		{From: date(3, 4), To: date(3, 5), Added: []string{"e0"}, Removed: []string{"c"}},
	}
	if got := store.ScopeChanges(snaps); !reflect.DeepEqual(got, wantScope) {
		t.Fatalf("ScopeChanges =\n %+v\nwant\n %+v", got, wantScope)
	}
	wantDates := []store.DateChange{
		{At: date(3, 3), Field: "due", From: date(3, 31), To: date(4, 7)},
		{At: date(3, 4), Field: "agreed_due", To: date(4, 21)},
		{At: date(3, 5), Field: "agreed_due", From: date(4, 21), To: date(4, 28)},
	}
	if got := store.Rebaselines(snaps); !reflect.DeepEqual(got, wantDates) {
		t.Fatalf("Rebaselines =\n %+v\nwant\n %+v", got, wantDates)
	}
	if got := store.ScopeChanges(snaps[:1]); got != nil {
		t.Fatalf("one snapshot has no changes: %+v", got)
	}
	bd := store.Burndown(snaps)
	if len(bd) != 5 || !bd[2].Day.Equal(date(3, 3)) {
		t.Fatalf("Burndown = %+v", bd)
	}
}
