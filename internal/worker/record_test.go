package worker_test

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/tracker"
)

// historySource returns milestones to judge and closed milestones read
// only for the team's record.
type historySource struct {
	ms, history []model.Milestone
}

func (historySource) Name() string { return "gh" }
func (s historySource) Fetch(context.Context) (tracker.FetchResult, error) {
	return tracker.FetchResult{Milestones: s.ms, History: s.history}, nil
}

// The worker gives each milestone the record of the closed milestones of
// its own container (those judged and those read only for history), and
// never judges a history milestone: h1 has work left, and no notice is
// drafted for it.
func TestRecordFromClosedMilestonesOfTheContainer(t *testing.T) {
	in := func(m model.Milestone, container string) model.Milestone {
		m.Container = container
		return m
	}
	closed := func(m model.Milestone) model.Milestone {
		m.State, m.ClosedAt = model.StateClosed, now.AddDate(0, 0, -3)
		return m
	}
	src := historySource{
		ms: []model.Milestone{in(milestone("a", 2), "acme/web"), in(closed(milestone("c1", 0)), "acme/web"),
			in(milestone("b", 1), "acme/api")},
		history: []model.Milestone{in(closed(milestone("h1", 2)), "acme/web"), in(closed(milestone("h2", 1)), "acme/app"),
			in(milestone("h3-open", 1), "acme/web")},
	}
	w, _ := newWorker(t, t.TempDir(), src)
	var calls []string
	w.Record = func(cl []model.Milestone, m model.Milestone, at time.Time) *model.TeamRecord {
		if !at.Equal(now) {
			t.Errorf("record of %s as of %v, want the run's now", m.Key, at)
		}
		calls = append(calls, m.Key)
		var keys []string
		for _, c := range cl {
			if c.Key != m.Key {
				keys = append(keys, c.Key)
			}
		}
		slices.Sort(keys)
		return &model.TeamRecord{Basis: strings.Join(keys, ","), Milestones: len(keys)}
	}
	rep, err := w.Run(context.Background(), tracker.ModePlan)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, m := range rep.Milestones {
		got[m.Milestone.Key] = "<nil>"
		if r := m.Milestone.Record; r != nil {
			got[m.Milestone.Key] = r.Basis
		}
	}
	want := map[string]string{"a": "c1,h1", "c1": "h1", "b": "<nil>"}
	if !maps.Equal(got, want) {
		t.Errorf("records by milestone: got %v, want %v (history milestones never judged; the open one never in a record)", got, want)
	}
	var drafted []string
	for _, a := range rep.Actions {
		drafted = append(drafted, a.MilestoneKey)
	}
	slices.Sort(drafted)
	if want := []string{"a", "b"}; !slices.Equal(drafted, want) {
		t.Errorf("drafted for %v, want %v: the open milestones with work left, never a history milestone", drafted, want)
	}
	slices.Sort(calls)
	if want := []string{"a", "c1"}; !slices.Equal(calls, want) {
		t.Errorf("records derived for %v, want %v (b's container has no closed milestone)", calls, want)
	}
}
