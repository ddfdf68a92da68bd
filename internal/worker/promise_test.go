package worker

import (
	"errors"
	"testing"
	"time"

	"github.com/forewarn/forewarn/internal/model"
)

// promise sets PromisedDue by the day: the date in effect when work
// started, when it is a day before the tracker's. The same day at another
// hour (a source that writes dates with an offset) is no move, nor is a
// date moved earlier; a store that cannot be read changes nothing and
// says so.
func TestPromiseByTheDay(t *testing.T) {
	at := func(day, hour int) time.Time { return time.Date(2026, 10, day, hour, 0, 0, 0, time.UTC) }
	ms := []model.Milestone{
		{Key: "moved", Start: at(1, 9), Due: at(25, 0)},
		{Key: "same-day", Start: at(1, 9), Due: at(25, 0)},
		{Key: "earlier", Start: at(1, 9), Due: at(11, 0)},
		{Key: "unseen", Start: at(1, 9), Due: at(25, 0)},
	}
	closed := []model.Milestone{{Key: "closed-moved", Start: at(1, 9), Due: at(25, 0), State: model.StateClosed}}
	seen := map[string][]model.DueSeen{
		"moved":        {{Due: at(11, 0), Seen: at(2, 9)}, {Due: at(25, 0), Seen: at(20, 9)}},
		"same-day":     {{Due: at(25, 7), Seen: at(2, 9)}, {Due: at(25, 0), Seen: at(20, 9)}},
		"earlier":      {{Due: at(25, 0), Seen: at(2, 9)}, {Due: at(11, 0), Seen: at(5, 9)}},
		"closed-moved": {{Due: at(18, 0), Seen: at(1, 8)}, {Due: at(25, 0), Seen: at(22, 9)}},
	}
	var asked []string
	look := dueLookup(func(keys []string) (map[string][]model.DueSeen, error) { asked = keys; return seen, nil })
	got, err := look.promise(ms, closed)
	if err != nil {
		t.Fatal(err)
	}
	if len(asked) != 5 {
		t.Errorf("asked for %v, want the four to judge and the closed one in one read", asked)
	}
	want := map[string]time.Time{"moved": at(11, 0)}
	for _, m := range ms {
		if !m.PromisedDue.Equal(want[m.Key]) {
			t.Errorf("%s: PromisedDue %v, want %v", m.Key, m.PromisedDue, want[m.Key])
		}
	}
	if !got[0].PromisedDue.Equal(at(18, 0)) || !closed[0].PromisedDue.IsZero() {
		t.Errorf("closed: PromisedDue %v (want 18 October, on a copy; the caller's %v)", got[0].PromisedDue, closed[0].PromisedDue)
	}

	fail := dueLookup(func([]string) (map[string][]model.DueSeen, error) { return nil, errors.New("disk gone") })
	ms[0].PromisedDue = time.Time{}
	if got, err := fail.promise(ms, closed); err == nil || !ms[0].PromisedDue.IsZero() || !got[0].PromisedDue.IsZero() {
		t.Errorf("unreadable store: err %v, promised %v / %v; want an error and the trackers' dates", err, ms[0].PromisedDue, got[0].PromisedDue)
	}
	if got, err := dueLookup(nil).promise(ms, closed); err != nil || len(got) != 1 {
		t.Errorf("no store: %v, %v", got, err)
	}
}
