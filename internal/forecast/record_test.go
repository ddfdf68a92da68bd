package forecast_test

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/forewarn/forewarn/internal/forecast"
	"github.com/forewarn/forewarn/internal/model"
)

func recTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t, err = time.Parse(time.DateOnly, s)
	}
	if err != nil {
		panic(err)
	}
	return t
}

// recItem is a work item that joined at joined and was closed at closed ("" =
// open).
func recItem(key, joined, closed string) model.WorkItem {
	w := model.WorkItem{Key: key, Created: model.At(recTime(joined)), JoinedAt: model.At(recTime(joined)), JoinedKnown: true, Status: model.StatusTodo}
	if closed != "" {
		w.Closed, w.Status = model.At(recTime(closed)), model.StatusDone
	}
	return w
}

func recSprint(id int, start, due, closed string, items ...model.WorkItem) model.Milestone {
	return model.Milestone{Source: "jira", Key: fmt.Sprintf("jira:x:sprint:%d", id), Kind: model.KindSprint,
		Title: fmt.Sprintf("Sprint %d", id), Container: "board 12", Start: recTime(start), Due: recTime(due),
		State: model.StateClosed, ClosedAt: recTime(closed), Items: items}
}

func recInt(n int) *int { return &n }

// boardHistory is three closed sprints of board 12, hand-checked:
//
//	s1 1–12 Jun: 4 committed (joined 29 May), all done by 11 Jun; one item
//	   joined 3 Jun (growth, never done) does not count. On time; finish
//	   11 Jun: slip (11 − 12) ÷ (12 − 1) = −1/11 = −0.091.
//	s2 15–26 Jun: 4 committed, 3 done by 25 Jun, one on 2 Jul (carried
//	   over): delivered 3/4; finish 2 Jul: slip 6/11 = 0.545.
//	s3 29 Jun–10 Jul: 3 committed; A done 8 Jul, B 9 Jul, C left the sprint
//	   unfinished on 3 Jul: delivered 2/3; what stayed finished 9 Jul: slip
//	   −1/11 = −0.091.
//
// Each planned 12 calendar days (1–12 Jun …); the pace is what was done in
// them, kept in the order the sprints closed: s1 4 (0.333 a day), s2 3 (D
// was done after the due day: 0.25), s3 2 (0.167). Committed 4, 4 and 3: the median 4.
//
// Beside them, milestones that must never count: another board, another
// source, a fix version named like the board, the milestone being judged
// itself, and a sprint closed after now.
func boardHistory() (closed []model.Milestone, open model.Milestone) {
	removed := recItem("C", "2026-06-26T10:00:00Z", "")
	removed.RemovedAt = model.At(recTime("2026-07-03T10:00:00Z"))
	closed = []model.Milestone{
		recSprint(1, "2026-06-01T09:00:00Z", "2026-06-12", "2026-06-12T17:00:00Z",
			recItem("A", "2026-05-29T10:00:00Z", "2026-06-03T10:00:00Z"), recItem("B", "2026-05-29T10:00:00Z", "2026-06-05T10:00:00Z"),
			recItem("C", "2026-05-29T10:00:00Z", "2026-06-09T10:00:00Z"), recItem("D", "2026-05-29T10:00:00Z", "2026-06-11T10:00:00Z"),
			recItem("E", "2026-06-03T10:00:00Z", "")),
		recSprint(2, "2026-06-15T09:00:00Z", "2026-06-26", "2026-06-26T17:00:00Z",
			recItem("A", "2026-06-12T10:00:00Z", "2026-06-17T10:00:00Z"), recItem("B", "2026-06-12T10:00:00Z", "2026-06-19T10:00:00Z"),
			recItem("C", "2026-06-12T10:00:00Z", "2026-06-25T10:00:00Z"), recItem("D", "2026-06-12T10:00:00Z", "2026-07-02T10:00:00Z")),
		recSprint(3, "2026-06-29T09:00:00Z", "2026-07-10", "2026-07-10T17:00:00Z",
			recItem("A", "2026-06-26T10:00:00Z", "2026-07-08T10:00:00Z"), recItem("B", "2026-06-26T10:00:00Z", "2026-07-09T10:00:00Z"), removed),
	}
	other := recSprint(90, "2026-06-01T09:00:00Z", "2026-06-12", "2026-06-12T17:00:00Z", recItem("X", "2026-05-29T10:00:00Z", ""))
	other.Container = "board 13"
	source := recSprint(91, "2026-06-01T09:00:00Z", "2026-06-12", "2026-06-12T17:00:00Z", recItem("X", "2026-05-29T10:00:00Z", ""))
	source.Source = "jira-other"
	version := recSprint(92, "2026-06-01T09:00:00Z", "2026-06-12", "2026-06-12T17:00:00Z", recItem("X", "2026-05-29T10:00:00Z", ""))
	version.Kind = model.KindFixVersion
	self := recSprint(4, "2026-07-13T09:00:00Z", "2026-07-24", "2026-07-16T09:00:00Z", recItem("X", "2026-07-10T10:00:00Z", ""))
	later := recSprint(93, "2026-07-13T09:00:00Z", "2026-07-24", "2026-07-25T17:00:00Z", recItem("X", "2026-07-10T10:00:00Z", ""))
	closed = append(closed, other, source, version, self, later)
	open = self
	return closed, open
}

func TestTeamRecordOf(t *testing.T) {
	closed, m := boardHistory()
	now := recTime("2026-07-20T08:00:00Z")
	gh := model.Milestone{Source: "gh", Key: "github:acme/web#3", Kind: model.KindMilestone, Container: "acme/web",
		Title: "v1.3", State: model.StateOpen, Due: recTime("2026-06-30")}
	// A GitHub milestone created 1 May with no start date: work started in
	// earnest on 6 May (the third close), so #1–#4 (filed by then) are the
	// committed scope and #5 (filed 10 May, never done) is growth. Due 15
	// May: #1–#3 on time, #4 on 20 May: delivered 3/4, late. #5 was still
	// open when it closed on 25 May: that is its finish, slip 10/9 = 1.111.
	// Its pace counts what was done from the commitment (6 May) to the due
	// day (15 May), 10 days: #3 alone, 0.1 a day.
	// A second closed milestone without items is left out, and said so.
	ghClosed := []model.Milestone{{Source: "gh", Key: "github:acme/web#1", Kind: model.KindMilestone, Container: "acme/web",
		Start: recTime("2026-05-01T08:00:00Z"), StartBasis: model.StartCreated, Due: recTime("2026-05-15"),
		State: model.StateClosed, ClosedAt: recTime("2026-05-25T12:00:00Z"), Items: []model.WorkItem{
			recItem("#1", "2026-05-01T08:00:00Z", "2026-05-04T10:00:00Z"), recItem("#2", "2026-05-01T08:00:00Z", "2026-05-05T10:00:00Z"),
			recItem("#3", "2026-05-01T08:00:00Z", "2026-05-06T10:00:00Z"), recItem("#4", "2026-05-02T08:00:00Z", "2026-05-20T10:00:00Z"),
			recItem("#5", "2026-05-10T08:00:00Z", ""),
		}}, {Source: "gh", Key: "github:acme/web#2", Kind: model.KindMilestone, Container: "acme/web",
		Start: recTime("2026-05-20T08:00:00Z"), StartBasis: model.StartCreated, Due: recTime("2026-05-29"),
		State: model.StateClosed, ClosedAt: recTime("2026-05-30T12:00:00Z")}}

	// Two milestones with an issue filed each day over their life (08:00),
	// no start date, closed an hour after their last issue was done.
	//   #10: filed 1–10 May, each done the next day at 04:00, due 11 May.
	//        Work started in earnest with the third close, 4 May: #1–#4 are
	//        committed. The last issue was done 11 May, the due day: on
	//        time, slip 0.
	//   #11: filed 15–24 May, due 25 May; the first five done the next day,
	//        the last five four days after filing (the last on 28 May). The
	//        third close is 18 May: #1–#4 are committed, all done by 19 May.
	//        Every committed item was delivered, yet the milestone finished
	//        28 May, three days late: not on time, slip 3 ÷ (25 − 18) = 0.429.
	// Counting only the committed scope, as for a sprint, both were on time.
	// Their pace, whatever joined when: #10 did #3–#10 in 4–11 May (8 in 8
	// days, 1 a day), #11 #3–#7 in 18–25 May (5 in 8 days, 0.625).
	//
	// And a sprint with story points, 1–12 June: A (3 points, done 3 Jun),
	// B (5, 10 Jun), C (2, 15 Jun: after the due day) and E (no estimate,
	// 4 Jun) committed, D (1 point) joined 4 Jun and done 5 Jun. Three of
	// the four committed items are estimated: its points count. Done in the
	// 12 planned days: A, B, D, E, 4 items (0.333 a day), 9 points (0.75).
	// C was late: not on time, delivered 3/4, slip 3/11 = 0.273.
	pts := recSprint(5, "2026-06-01T09:00:00Z", "2026-06-12", "2026-06-12T17:00:00Z",
		recItem("A", "2026-05-29T10:00:00Z", "2026-06-03T10:00:00Z"), recItem("B", "2026-05-29T10:00:00Z", "2026-06-10T10:00:00Z"),
		recItem("C", "2026-05-29T10:00:00Z", "2026-06-15T10:00:00Z"), recItem("D", "2026-06-04T10:00:00Z", "2026-06-05T10:00:00Z"),
		recItem("E", "2026-05-29T10:00:00Z", "2026-06-04T10:00:00Z"))
	for i, p := range []float64{3, 5, 2, 1} {
		pts.Items[i].Points, pts.Items[i].Estimated = p, true
	}
	var filed []model.Milestone
	for k, base := range []string{"2026-05-01", "2026-05-15"} {
		start := recTime(base + "T08:00:00Z")
		c := model.Milestone{Source: "gh", Key: fmt.Sprintf("github:acme/web#%d", 10+k), Kind: model.KindMilestone,
			Container: "acme/web", Start: start, StartBasis: model.StartCreated, Due: model.Day(start.AddDate(0, 0, 10)),
			State: model.StateClosed}
		for i := range 10 {
			filedAt := start.AddDate(0, 0, i)
			done := filedAt.Add(20 * time.Hour)
			if k == 1 && i >= 5 {
				done = filedAt.AddDate(0, 0, 4) // falls behind: the last done 2 Jun
			}
			c.Items = append(c.Items, recItem(fmt.Sprintf("#%d", i+1), filedAt.Format(time.RFC3339), done.Format(time.RFC3339)))
			c.ClosedAt = done.Add(time.Hour)
		}
		filed = append(filed, c)
	}

	// The filing habit (ScopeProfile: the share of the final scope in it at
	// each tenth of its life, start day 00:00 to the end of the due day;
	// the median over the milestones), hand-checked:
	//   sprints: s1 (1–12 Jun, 12 days) held A–D of its final five until E
	//   joined 3 Jun 10:00: 0.8 at 0, 10, 20 % (3 Jun 09:36), then 1; s2 and
	//   s3 held all of theirs from the start (s3's C left before it
	//   closed: not in its final scope). Median of the three: 1 throughout;
	//   of s1 and s2 (1 July), 0.9 to 20 % then 1.
	//   GitHub #1 (1–15 May, 15 days): #1–#3 joined 1 May 08:00, after 0 %
	//   (1 May 00:00), #4 on 2 May, #5 on 10 May 08:00 (between 60 %, 10 May
	//   00:00, and 70 %): 0, then 0.8 to 60 %, then 1. #2 has no items.
	//   #10 and #11 (11 days each, one issue filed a day at 08:00): at k
	//   tenths, 1.1 k days after the start day, the issues filed by then:
	//   0, 1, 2, 3 (3.3 days: 4 May 07:12, before its issue), 5, 6, 7, 8, 9,
	//   10, 10 of 10.
	//   The points sprint: A, B, C, E from the start, D from 4 Jun 10:00
	//   (between 20 % and 30 %, 4 Jun 14:24): 0.8 to 20 %, then 1.
	// s1 as if its end date had been moved from 8 June to 12 June after
	// the sprint started (forewarn saw 8 June first): by 8 June A and B
	// were done, C (9 Jun) and D (11 Jun) late: delivered 2/4, finish
	// 11 Jun, slip (11 − 8) ÷ (8 − 1) = 0.429; done in its 8 planned days:
	// A and B, 0.25 a day. A promised date later than the tracker's (moved
	// earlier) changes nothing.
	moved := slices.Clone(closed)
	moved[0].PromisedDue = recTime("2026-06-08")
	earlier := slices.Clone(closed)
	earlier[0].PromisedDue = recTime("2026-06-20")
	tests := []struct {
		name   string
		closed []model.Milestone
		m      model.Milestone
		now    time.Time
		h      forecast.HistoryOptions
		want   *model.TeamRecord
	}{
		{name: "three sprints, the others left out", closed: closed, m: m, now: now,
			want: &model.TeamRecord{Basis: "the 3 closed sprints of board 12 in the last 12 months (closed 12 Jun – 10 Jul 2026)",
				Milestones: 3, OnTime: 1, OnTimeByClose: []bool{true, false, false}, DeliveredRatio: 0.806, Slips: []float64{-0.091, -0.091, 0.545},
				Throughput: []float64{0.333, 0.25, 0.167}, Committed: 4,
				ScopeProfile: []float64{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, ProfileMilestones: 3}},
		{name: "a due date moved later: judged by the one it had when work started", closed: moved, m: m, now: now,
			want: &model.TeamRecord{Basis: "the 3 closed sprints of board 12 in the last 12 months (closed 12 Jun – 10 Jul 2026; 1 judged by the due date it had when work started, moved later in the tracker since)",
				Milestones: 3, OnTime: 0, OnTimeByClose: []bool{false, false, false}, DeliveredRatio: 0.639, Slips: []float64{-0.091, 0.429, 0.545},
				Throughput: []float64{0.25, 0.25, 0.167}, Committed: 4,
				ScopeProfile: []float64{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, ProfileMilestones: 3, MovedDue: 1}},
		{name: "a due date moved earlier: the tracker's stands", closed: earlier, m: m, now: now,
			want: &model.TeamRecord{Basis: "the 3 closed sprints of board 12 in the last 12 months (closed 12 Jun – 10 Jul 2026)",
				Milestones: 3, OnTime: 1, OnTimeByClose: []bool{true, false, false}, DeliveredRatio: 0.806, Slips: []float64{-0.091, -0.091, 0.545},
				Throughput: []float64{0.333, 0.25, 0.167}, Committed: 4,
				ScopeProfile: []float64{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, ProfileMilestones: 3}},
		{name: "no look-ahead: on 1 July s3 has not closed and s2's last item is not done yet", closed: closed, m: m,
			now: recTime("2026-07-01T08:00:00Z"),
			want: &model.TeamRecord{Basis: "the 2 closed sprints of board 12 in the last 12 months (closed 12 Jun – 26 Jun 2026)",
				Milestones: 2, OnTime: 1, OnTimeByClose: []bool{true, false}, DeliveredRatio: 0.875, Slips: []float64{-0.091},
				Throughput: []float64{0.333, 0.25}, Committed: 4,
				ScopeProfile: []float64{0.9, 0.9, 0.9, 1, 1, 1, 1, 1, 1, 1, 1}, ProfileMilestones: 2}},
		{name: "count: the last two", closed: closed, m: m, now: now, h: forecast.HistoryOptions{Count: recInt(2)},
			want: &model.TeamRecord{Basis: "the last 2 closed sprints of board 12 (closed 26 Jun – 10 Jul 2026)",
				Milestones: 2, OnTime: 0, OnTimeByClose: []bool{false, false}, DeliveredRatio: 0.708, Slips: []float64{-0.091, 0.545},
				Throughput: []float64{0.25, 0.167}, Committed: 3.5,
				ScopeProfile: []float64{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, ProfileMilestones: 2}},
		{name: "months: closed in the last month", closed: closed, m: m, now: now, h: forecast.HistoryOptions{Months: recInt(1)},
			want: &model.TeamRecord{Basis: "the 2 closed sprints of board 12 in the last month (closed 26 Jun – 10 Jul 2026)",
				Milestones: 2, OnTime: 0, OnTimeByClose: []bool{false, false}, DeliveredRatio: 0.708, Slips: []float64{-0.091, 0.545},
				Throughput: []float64{0.25, 0.167}, Committed: 3.5,
				ScopeProfile: []float64{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, ProfileMilestones: 2}},
		{name: "a GitHub milestone: the inferred commitment point", closed: ghClosed, m: gh, now: now,
			want: &model.TeamRecord{Basis: "the 2 closed milestones of acme/web in the last 12 months (closed 25 May – 30 May 2026; 1 without committed items left out)",
				Milestones: 1, OnTime: 0, OnTimeByClose: []bool{false}, DeliveredRatio: 0.75, Slips: []float64{1.111}, Throughput: []float64{0.1}, Committed: 4,
				ScopeProfile: []float64{0, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 1, 1, 1, 1}, ProfileMilestones: 1}},
		{name: "GitHub milestones filed over time: all their work counts, not only the committed", closed: filed, m: gh, now: now,
			want: &model.TeamRecord{Basis: "the 2 closed milestones of acme/web in the last 12 months (closed 11 May – 28 May 2026)",
				Milestones: 2, OnTime: 1, OnTimeByClose: []bool{true, false}, DeliveredRatio: 1, Slips: []float64{0, 0.429},
				Throughput: []float64{1, 0.625}, Committed: 4,
				ScopeProfile: []float64{0, 0.1, 0.2, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1}, ProfileMilestones: 2}},
		{name: "story points: the pace in points too", closed: []model.Milestone{pts}, m: m, now: now,
			want: &model.TeamRecord{Basis: "the only closed sprint of board 12 in the last 12 months (closed 12 Jun 2026)",
				Milestones: 1, OnTime: 0, OnTimeByClose: []bool{false}, DeliveredRatio: 0.75, Slips: []float64{0.273},
				Throughput: []float64{0.333}, PointThroughput: []float64{0.75}, Committed: 4,
				ScopeProfile: []float64{0.8, 0.8, 0.8, 1, 1, 1, 1, 1, 1, 1, 1}, ProfileMilestones: 1}},
		{name: "count 0 turns the record off", closed: closed, m: m, now: now, h: forecast.HistoryOptions{Count: recInt(0)}},
		{name: "no closed milestone of the container", closed: closed, m: gh, now: now},
		{name: "all of them out of the window", closed: closed, m: m, now: recTime("2027-08-01T08:00:00Z")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := forecast.TeamRecordOf(tc.closed, tc.m, tc.now, forecast.Options{History: tc.h})
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("TeamRecordOf:\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestHistoryOptionsValidate(t *testing.T) {
	for _, tc := range []struct {
		h    forecast.HistoryOptions
		want string
	}{
		{forecast.HistoryOptions{Count: recInt(0), Months: recInt(1)}, ""},
		{forecast.HistoryOptions{Count: recInt(100), Months: recInt(120)}, ""},
		{forecast.HistoryOptions{Count: recInt(-1)}, "history.count: must be between 0 (no record) and 100 closed milestones (got -1)"},
		{forecast.HistoryOptions{Count: recInt(101)}, "history.count: must be between 0 (no record) and 100 closed milestones (got 101)"},
		{forecast.HistoryOptions{Months: recInt(0)}, "history.months: must be between 1 and 120 months (got 0)"},
	} {
		err := forecast.Options{History: tc.h}.Validate()
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tc.want {
			t.Errorf("Validate(%v): got %q, want %q", tc.h, got, tc.want)
		}
	}
}

// BenchmarkTeamRecordOf derives the record of a board from its last 10
// closed sprints of 100 items each (the worker does it once a container
// per run).
func BenchmarkTeamRecordOf(b *testing.B) {
	var closed []model.Milestone
	start := recTime("2026-01-05T09:00:00Z")
	for k := range 10 {
		s := start.AddDate(0, 0, 14*k)
		m := model.Milestone{Source: "jira", Key: fmt.Sprintf("jira:x:sprint:%d", k), Kind: model.KindSprint, Container: "board 12",
			Start: s, Due: s.AddDate(0, 0, 11).Truncate(24 * time.Hour), State: model.StateClosed, ClosedAt: s.AddDate(0, 0, 11)}
		for i := range 100 {
			w := model.WorkItem{Key: fmt.Sprintf("K-%d-%d", k, i), Created: model.At(s.Add(-time.Hour)), JoinedAt: model.At(s.Add(-time.Hour)), Status: model.StatusTodo}
			if i%10 != 0 {
				w.Closed, w.Status = model.At(s.Add(time.Duration(i)*2*time.Hour)), model.StatusDone
			}
			m.Items = append(m.Items, w)
		}
		closed = append(closed, m)
	}
	open := model.Milestone{Source: "jira", Key: "jira:x:sprint:99", Kind: model.KindSprint, Container: "board 12"}
	now := start.AddDate(0, 0, 150)
	b.ReportAllocs()
	for b.Loop() {
		if r := forecast.TeamRecordOf(closed, open, now, forecast.Options{}); r == nil || r.Milestones != 10 {
			b.Fatalf("record %+v", r)
		}
	}
}
