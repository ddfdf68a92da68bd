package ruletest

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/forewarn/forewarn/internal/model"
)

// MilestoneSpec is a fixture milestone. Its work items are written in a
// compact notation: Items are in scope at the start; Done says how many are
// closed on each working day (Mon–Fri) from the start; Added how many join on
// each working day after the start. ExtraItems adds items in full.
type MilestoneSpec struct {
	Key       string   `yaml:"key" desc:"Milestone key, e.g. demo:web-launch." required:"true"`
	Title     string   `yaml:"title" desc:"Title (default: the key)."`
	Source    string   `yaml:"source" desc:"Source name (default test)."`
	Kind      string   `yaml:"kind" desc:"milestone, fixversion or sprint (default milestone)." enum:"milestone,fixversion,sprint"`
	Client    string   `yaml:"client" desc:"Client id; the client is taken from clients."`
	Labels    []string `yaml:"labels" desc:"Milestone labels."`
	Start     string   `yaml:"start" desc:"Planned start, YYYY-MM-DD." required:"true"`
	Due       string   `yaml:"due" desc:"Due date, YYYY-MM-DD." required:"true"`
	AgreedDue string   `yaml:"agreed_due" desc:"Re-baselined due date agreed with the client, YYYY-MM-DD."`
	// PromisedDue is what the worker sets from the due dates the state
	// store saw (Milestone.PromisedDue).
	PromisedDue string     `yaml:"promised_due" desc:"The due date it had when work started, as forewarn saw it, when the tracker's (due) was moved later since, YYYY-MM-DD."`
	ClosedAt    string     `yaml:"closed_at" desc:"When the milestone was closed (YYYY-MM-DD or RFC 3339); it is open before."`
	Items       int        `yaml:"items" desc:"Work items in scope at the start."`
	Points      float64    `yaml:"points" desc:"Points of each generated item (default 1)."`
	Done        string     `yaml:"done" desc:"Items closed per working day from the start: counts separated by spaces, NxK for K days of N (e.g. \"2x5 0x3 1\")."`
	Added       string     `yaml:"added" desc:"Items joining per working day after the start, same notation as done."`
	Blocked     int        `yaml:"blocked" desc:"This many of the last open items are blocked."`
	Ignored     int        `yaml:"ignored" desc:"This many of the last generated items carry the forewarn:ignore label."`
	Extra       []ItemSpec `yaml:"extra_items" desc:"Work items given in full."`
}

// ItemSpec is one work item in full.
type ItemSpec struct {
	Key     string   `yaml:"key" required:"true"`
	Title   string   `yaml:"title"`
	Created string   `yaml:"created" desc:"When it was created and joined (YYYY-MM-DD or RFC 3339); default: a week before the start."`
	Started string   `yaml:"started"`
	Closed  string   `yaml:"closed"`
	Points  float64  `yaml:"points"`
	Labels  []string `yaml:"labels"`
	Blocked bool     `yaml:"blocked"`
}

// fieldError is a problem with one key of a fixture, so it can be reported
// at that key's position.
type fieldError struct {
	key string
	err error
}

func (e *fieldError) Error() string { return e.key + ": " + e.err.Error() }

func bad(key string, err error) error { return &fieldError{key: key, err: err} }

// maxSeriesDays bounds a series (ten years of working days).
const maxSeriesDays = 2610

// maxItems bounds a fixture's generated items, those at the start and
// those that join together (a series can ask for millions: "9999x777").
const maxItems = 100000

// parseSeries reads the compact notation: "2 0 1x3 _" → [2 0 1 1 1 0].
func parseSeries(s string) ([]int, error) {
	var out []int
	for _, tok := range strings.Fields(s) {
		n, k := tok, "1"
		if i := strings.IndexByte(tok, 'x'); i >= 0 {
			n, k = tok[:i], tok[i+1:]
		}
		if n == "_" {
			n = "0"
		}
		a, err1 := strconv.Atoi(n)
		b, err2 := strconv.Atoi(k)
		if err1 != nil || err2 != nil || a < 0 || b < 1 || b > 10000 || a > 10000 {
			return nil, fmt.Errorf("bad token %q: want N, NxK (K days of N) or _", tok)
		}
		if len(out)+b > maxSeriesDays {
			return nil, fmt.Errorf("more than %d working days", maxSeriesDays)
		}
		for range b {
			out = append(out, a)
		}
	}
	return out, nil
}

func parseWhen(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, fmt.Errorf("%q: want YYYY-MM-DD or RFC 3339", s)
}

// workingDays returns n working days (Mon–Fri) from start on.
func workingDays(start time.Time, n int) []time.Time {
	var out []time.Time
	for d := start; len(out) < n; d = d.AddDate(0, 0, 1) {
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			out = append(out, d)
		}
	}
	return out
}

// build turns a fixture into a milestone with its full history.
func (ms *MilestoneSpec) build() (model.Milestone, error) {
	m := model.Milestone{Key: ms.Key, Title: ms.Title, Source: ms.Source, Kind: model.Kind(ms.Kind), Client: ms.Client,
		Labels: ms.Labels, State: model.StateOpen}
	if m.Title == "" {
		m.Title = ms.Key
	}
	if m.Source == "" {
		m.Source = "test"
	}
	if m.Kind == "" {
		m.Kind = model.KindMilestone
	}
	var err error
	if m.Start, err = parseWhen(ms.Start); err != nil {
		return m, bad("start", err)
	}
	if m.Due, err = parseWhen(ms.Due); err != nil {
		return m, bad("due", err)
	}
	if y := m.Start.Year(); y < 1970 || y > 2200 {
		return m, bad("start", fmt.Errorf("year %d is out of range", y))
	}
	if ms.AgreedDue != "" {
		if m.AgreedDue, err = parseWhen(ms.AgreedDue); err != nil {
			return m, bad("agreed_due", err)
		}
	}
	if ms.PromisedDue != "" {
		if m.PromisedDue, err = parseWhen(ms.PromisedDue); err != nil {
			return m, bad("promised_due", err)
		}
		if !m.PromisedDue.Before(m.Due) {
			return m, bad("promised_due", fmt.Errorf("%s is not before the due date %s: a date moved later", ms.PromisedDue, ms.Due))
		}
	}
	if ms.ClosedAt != "" {
		if m.ClosedAt, err = parseWhen(ms.ClosedAt); err != nil {
			return m, bad("closed_at", err)
		}
		m.State = model.StateClosed
	}
	done, err := parseSeries(ms.Done)
	if err != nil {
		return m, bad("done", err)
	}
	added, err := parseSeries(ms.Added)
	if err != nil {
		return m, bad("added", err)
	}
	if ms.Items < 0 || ms.Items > maxItems {
		return m, bad("items", fmt.Errorf("%d is out of range", ms.Items))
	}
	joining := 0
	for _, n := range added {
		joining += n
	}
	if ms.Items+joining > maxItems {
		return m, bad("added", fmt.Errorf("%d items join in all, %d with the %d at the start; at most %d", joining, ms.Items+joining, ms.Items, maxItems))
	}
	points := ms.Points
	if points == 0 {
		points = 1
	}
	created := m.Start.AddDate(0, 0, -7).Add(9 * time.Hour)
	newItem := func(joined time.Time) model.WorkItem {
		n := len(m.Items) + 1
		return model.WorkItem{Key: fmt.Sprintf("%s-%d", ms.Key, n), Title: fmt.Sprintf("Item %d", n),
			Created: model.At(joined), JoinedAt: model.At(joined), JoinedKnown: true, Status: model.StatusTodo, Points: points, Estimated: true}
	}
	for range ms.Items {
		m.Items = append(m.Items, newItem(created))
	}
	days := workingDays(m.Start, max(len(done), len(added)+1))
	next := 0 // next item to close
	for d := range days {
		if d > 0 && d-1 < len(added) {
			for range added[d-1] {
				m.Items = append(m.Items, newItem(days[d].Add(9*time.Hour)))
			}
		}
		if d < len(done) {
			for range done[d] {
				if next >= len(m.Items) {
					return m, bad("done", fmt.Errorf("day %d (%s) closes more items than the milestone has", d+1, days[d].Format(time.DateOnly)))
				}
				it := &m.Items[next]
				joined := it.JoinedAt.Time()
				closed := days[d].Add(15 * time.Hour)
				if closed.Before(joined) {
					closed = joined.Add(time.Hour)
				}
				started := closed.Add(-24 * time.Hour)
				if started.Before(joined) {
					started = joined
				}
				it.Closed, it.Started, it.Status = model.At(closed), model.At(started), model.StatusDone
				next++
			}
		}
	}
	for i := len(m.Items) - 1; i >= 0 && i >= len(m.Items)-ms.Ignored; i-- {
		m.Items[i].Labels = append(m.Items[i].Labels, "forewarn:ignore")
	}
	for i, x := range ms.Extra {
		it := model.WorkItem{Key: x.Key, Title: x.Title, Points: x.Points, Labels: x.Labels, Blocked: x.Blocked,
			Status: model.StatusTodo, Created: model.At(created), JoinedKnown: true, Estimated: x.Points > 0}
		if it.Title == "" {
			it.Title = x.Key
		}
		for _, f := range []struct {
			name string
			v    string
			dst  *model.Instant
		}{{"created", x.Created, &it.Created}, {"started", x.Started, &it.Started}, {"closed", x.Closed, &it.Closed}} {
			if f.v == "" {
				continue
			}
			t, err := parseWhen(f.v)
			if err != nil {
				return m, bad("extra_items", fmt.Errorf("[%d].%s: %w", i, f.name, err))
			}
			*f.dst = model.At(t)
		}
		it.JoinedAt = it.Created
		if !it.Closed.IsZero() {
			it.Status = model.StatusDone
		}
		m.Items = append(m.Items, it)
	}
	// Blocked: the last open items (as of the end of the history).
	for i := len(m.Items) - 1; i >= 0 && ms.Blocked > 0; i-- {
		if m.Items[i].Closed.IsZero() && !m.Items[i].Blocked {
			m.Items[i].Blocked = true
			m.Items[i].BlockedSince = model.At(m.Start)
			ms.Blocked--
		}
	}
	return m, nil
}

// asOf is the milestone as its tracker showed it at t: items that had not
// joined are absent, items closed later are open.
func asOf(m model.Milestone, t time.Time) model.Milestone {
	items := make([]model.WorkItem, 0, len(m.Items))
	for _, it := range m.Items {
		if it.JoinedAt.After(t) {
			continue
		}
		if !it.Closed.IsZero() && it.Closed.After(t) {
			it.Closed = model.Instant{}
			it.Status = model.StatusTodo
			if !it.Started.IsZero() && !it.Started.After(t) {
				it.Status = model.StatusInProgress
			} else {
				it.Started = model.Instant{}
			}
		}
		items = append(items, it)
	}
	m.Items = items
	if !m.ClosedAt.IsZero() && m.ClosedAt.After(t) {
		m.State, m.ClosedAt = model.StateOpen, time.Time{}
	}
	return m
}
