package forecast_test

import (
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/forewarn/forewarn/internal/forecast"
	"github.com/forewarn/forewarn/internal/model"
)

// genMilestone builds a milestone from fuzz input: each byte of data drives
// one item (when it joins, closes, starts, leaves; its points and flags).
func genMilestone(data []byte, startOff, dueOff int16, tzMinutes int16) model.Milestone {
	base := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	zone := time.FixedZone("z", int(tzMinutes%(14*60))*60)
	m := model.Milestone{Key: "fuzz", Due: base.AddDate(0, 0, int(dueOff%400))}
	if startOff%3 != 0 {
		m.Start = base.AddDate(0, 0, int(startOff%120))
	}
	if startOff%5 == 0 {
		m.AgreedDue = m.Due.AddDate(0, 0, 14)
	}
	for i, b := range data {
		if i >= 400 {
			break
		}
		h := uint32(b)*2654435761 + uint32(i)*40503
		join := base.Add(time.Duration(h%(150*24)) * time.Hour).In(zone)
		w := model.WorkItem{Key: fmt.Sprintf("F-%d", i), Created: model.At(join.Add(-time.Hour)), JoinedAt: model.At(join),
			JoinedKnown: b&1 == 0, Points: float64(b % 9), Estimated: b&2 == 0, Rank: int(b % 7), Status: model.StatusTodo}
		if b&4 != 0 {
			w.Closed = model.At(join.Add(time.Duration(h%(90*24)) * time.Hour))
			w.Status = model.StatusDone
		} else if b&8 != 0 {
			w.Started = model.At(join.Add(time.Duration(h%(20*24)) * time.Hour))
			w.Status = model.StatusInProgress
		}
		if b&16 != 0 && b&32 != 0 {
			w.RemovedAt = model.At(join.Add(time.Duration(h%(60*24)) * time.Hour))
		}
		if b&64 != 0 {
			w.Blocked = true
			w.BlockedSince = model.At(join)
		}
		if b == 255 {
			w.JoinedAt = model.Instant{} // tracker could not say
		}
		m.Items = append(m.Items, w)
	}
	return m
}

func FuzzCompute(f *testing.F) {
	f.Add([]byte("abcdefghijklmnopqrstuvwxyz0123456789"), int16(1), int16(60), int16(0), int16(70), false, int16(200))
	f.Add([]byte{}, int16(0), int16(0), int16(0), int16(0), true, int16(50))
	f.Add([]byte{4, 4, 4, 4, 4, 4, 4, 4, 0, 0, 0}, int16(3), int16(-20), int16(-300), int16(40), true, int16(1))
	f.Add([]byte{255, 254, 12, 44, 68, 132, 6, 5, 4, 4, 20, 36}, int16(7), int16(90), int16(540), int16(100), false, int16(3000))
	f.Fuzz(func(t *testing.T, data []byte, startOff, dueOff, tz, nowOff int16, growth bool, trials int16) {
		m := genMilestone(data, startOff, dueOff, tz)
		if len(data) >= 11 && data[0]&1 == 1 { // a filing habit, any shares in [0, 1]
			p := make([]float64, 11)
			for k := range p {
				p[k] = float64(data[k]) / 255
			}
			// and a record in order: outcomes, paces and load from the data.
			n := int(data[1])%12 + 1
			r := &model.TeamRecord{Basis: "fuzz", Milestones: n, DeliveredRatio: float64(data[2]) / 255,
				Committed: float64(data[3] % 40), ScopeProfile: p, ProfileMilestones: 3}
			for k := range n {
				b := data[k%len(data)]
				r.OnTimeByClose = append(r.OnTimeByClose, b&1 == 1)
				if b&1 == 1 {
					r.OnTime++
				}
				r.Throughput = append(r.Throughput, float64(b)/40)
				if b&2 == 0 {
					r.PointThroughput = append(r.PointThroughput, float64(b)/10)
				}
			}
			m.Record = r
		}
		now := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC).Add(time.Duration(int(nowOff)%(300*24)) * time.Hour).
			Add(time.Duration(tz) * time.Minute)
		g := growth
		o := forecast.Options{Trials: int(trials)%3000 + 1, ScopeGrowth: &g}
		if o.Trials < 1 {
			o.Trials = 1
		}
		fc := forecast.Compute(m, now, o)
		checkInvariants(t, m, now, fc)
	})
}

func checkInvariants(t *testing.T, m model.Milestone, now time.Time, f model.Forecast) {
	t.Helper()
	if f.ScopeItems != f.DoneItems+f.RemainingItems {
		t.Fatalf("scope %d != done %d + remaining %d", f.ScopeItems, f.DoneItems, f.RemainingItems)
	}
	if math.Abs(f.ScopePoints-(f.DonePoints+f.RemainingPoints)) > 1e-6 {
		t.Fatalf("points do not add up: %v %v %v", f.ScopePoints, f.DonePoints, f.RemainingPoints)
	}
	if f.ProbOnTime < 0 || f.ProbOnTime > 1 || math.IsNaN(f.ProbOnTime) {
		t.Fatalf("prob on time %v", f.ProbOnTime)
	}
	for _, v := range []float64{f.PaceNeeded, f.PaceObserved, f.Signals.ScopeCreep, f.Signals.UnestimatedShare, f.Signals.ThroughputTrend, f.Signals.BlockedDays} {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			t.Fatalf("bad figure %v in %+v", v, f)
		}
	}
	switch f.Status {
	case model.ForecastOK:
		today := now.UTC().Truncate(24 * time.Hour)
		// P95 may lie beyond the horizon (zero: no date given) while P85
		// converges; P50 and P85 never may.
		if f.P50.IsZero() || f.P85.IsZero() || f.P50.Before(today) || f.P85.Before(f.P50) || (!f.P95.IsZero() && f.P95.Before(f.P85)) {
			t.Fatalf("quantiles out of order: P50 %s P85 %s P95 %s (today %s)", f.P50, f.P85, f.P95, today)
		}
		for _, p := range []time.Time{f.P50, f.P85, f.P95, f.LinearDate} {
			if !p.IsZero() && (p.Location() != time.UTC || p.Truncate(24*time.Hour) != p) {
				t.Fatalf("date %v is not midnight UTC", p)
			}
		}
		if f.RemainingItems == 0 {
			t.Fatalf("ok with nothing remaining")
		}
	case model.ForecastInsufficient:
		if f.Reason == "" || f.Reason != f.Why.String() || !slices.Contains(model.ReasonCodes, f.Why.Code) {
			t.Fatalf("insufficient without a known reason: %q %+v", f.Reason, f.Why)
		}
		if !f.P50.IsZero() || !f.P85.IsZero() || !f.P95.IsZero() || !f.LinearDate.IsZero() || len(f.CutLine) > 0 {
			t.Fatalf("insufficient data but a confident date: %+v", f)
		}
	case model.ForecastDiverging:
		// No date may come out of a forecast that does not converge: the
		// drafts would offer it to a client.
		if f.Reason == "" || f.Reason != f.Why.String() || !slices.Contains(model.ReasonCodes, f.Why.Code) {
			t.Fatalf("diverging without a known reason: %q %+v", f.Reason, f.Why)
		}
		if !f.P50.IsZero() || !f.P85.IsZero() || !f.P95.IsZero() || !f.LinearDate.IsZero() {
			t.Fatalf("diverging but a date: %+v", f)
		}
		if f.RemainingItems == 0 {
			t.Fatalf("diverging with nothing remaining")
		}
	case model.ForecastDone:
		if f.RemainingItems != 0 || f.ScopeItems == 0 {
			t.Fatalf("done with %d remaining of %d", f.RemainingItems, f.ScopeItems)
		}
	default:
		t.Fatalf("unknown status %q", f.Status)
	}
	if (f.Status == model.ForecastOK || f.Status == model.ForecastDone) && (f.Reason != "" || f.Why.Code != "") {
		t.Fatalf("%s with a reason: %q %+v", f.Status, f.Reason, f.Why)
	}
	remaining := map[string]bool{}
	for _, w := range m.Items {
		remaining[w.Key] = true
	}
	seen := map[string]bool{}
	if len(f.CutLine) > f.RemainingItems {
		t.Fatalf("cut line of %d items, only %d remain", len(f.CutLine), f.RemainingItems)
	}
	for _, k := range append(append([]string{}, f.CutLine...), f.QuickWins...) {
		if !remaining[k] {
			t.Fatalf("unknown key %q", k)
		}
	}
	// Quick wins come with the day they are done by: after today, and
	// before the confidence date they are half the way to.
	if (len(f.QuickWins) > 0) != !f.QuickWinsBy.IsZero() {
		t.Fatalf("%d quick wins, done by %v", len(f.QuickWins), f.QuickWinsBy)
	}
	if by := f.QuickWinsBy; !by.IsZero() && (!by.After(model.Day(f.AsOf)) || !by.Before(f.P85)) {
		t.Fatalf("quick wins by %v, as of %v, P85 %v", by, f.AsOf, f.P85)
	}
	for _, k := range f.CutLine {
		if seen[k] {
			t.Fatalf("duplicate %q in cut line", k)
		}
		seen[k] = true
	}
	if n := len(f.Burndown); n > 0 {
		last := f.Burndown[n-1]
		if last.Scope != f.ScopeItems || last.Done != f.DoneItems {
			t.Fatalf("burn-down ends at scope %d done %d, forecast says %d/%d", last.Scope, last.Done, f.ScopeItems, f.DoneItems)
		}
		for i, p := range f.Burndown {
			if p.Done > p.Scope || p.Remaining != p.Scope-p.Done || p.Scope < 0 {
				t.Fatalf("burn-down day %d inconsistent: %+v", i, p)
			}
		}
	}
}
