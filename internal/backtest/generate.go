package backtest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/forewarn/forewarn/internal/model"
)

// GenParams are the documented parameters of the history generator. Each
// milestone is a team working through a backlog one working day (Mon-Fri)
// at a time until every item is done; the outcome (finish date, missed or
// not) is therefore known exactly.
type GenParams struct {
	Milestones int   // how many milestones (default 200)
	Seed       int64 // generator seed (default 1)

	// Initial scope in items, uniform in [MinScope, MaxScope] (20, 80).
	MinScope, MaxScope int
	// Planned length, start to due, in working days, uniform in
	// [MinDays, MaxDays] (20, 60).
	MinDays, MaxDays int
	// PlanSlack: the team's true mean pace is the pace the scope needs
	// (initial scope plus the growth drawn for the milestone, over the
	// planned days), times PlanBias (1.1) times a factor uniform in
	// [1-PlanSlack, 1+PlanSlack] (0.35).
	PlanSlack, PlanBias float64
	// Drift: the pace follows a multiplicative random walk with this
	// day-to-day relative standard deviation, kept within 0.5x-1.5x (0.05).
	// Completions on a day are Poisson with the day's pace.
	Drift float64
	// GrowthMax: items added after the start, as a share of the initial
	// scope over the planned length, uniform in [0, GrowthMax] (0.4);
	// arrivals are Poisson per working day until the due date.
	GrowthMax float64
	// Interruptions: each working day one starts with probability
	// InterruptRate (0.03), lasts a geometric number of working days with
	// mean InterruptDays (3), and multiplies the pace by InterruptFactor (0.2).
	InterruptRate, InterruptDays, InterruptFactor float64

	// Filed: the "filed over time" shape of GitHub milestones. The
	// milestone has no start date (only its creation, StartBasis created);
	// one issue is filed into it each calendar day from its creation until
	// FiledUntil (0.85) of its life, and none before. The team's mean pace
	// is the pace those issues need over the planned working days, times
	// PlanBias and the PlanSlack factor as above; drift and interruptions
	// as above; scope growth (GrowthMax) is not drawn: the filings are it.
	// Filing stops before the due date (a freeze): filed to its last day, a
	// milestone is on time only if that day's issue is closed the same day.
	// Such a milestone is truly on track when it finished by its due date
	// (Missed false): the team's pace, as it turned out, covered the
	// filings and the remaining work.
	Filed      bool
	FiledUntil float64
	// OwnFreeze (GenerateFiledTeams only): each team stops filing at its
	// own share of the life, uniform in [0.6, 0.95], instead of FiledUntil.
	OwnFreeze bool
	// MoveDates (GenerateTeams only): each milestone that finished late has
	// its due date moved, when it closed, to the day its work ended (a
	// release date edited on release day), as the team's record reads it.
	// MovedSeen: forewarn saw the date it had when work started
	// (Milestone.PromisedDue), as it does once it has watched the team.
	MoveDates, MovedSeen bool
}

func (p GenParams) withDefaults() GenParams {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	deff := func(v *float64, d float64) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&p.Milestones, 200)
	if p.Seed == 0 {
		p.Seed = 1
	}
	def(&p.MinScope, 20)
	def(&p.MaxScope, 80)
	def(&p.MinDays, 20)
	def(&p.MaxDays, 60)
	deff(&p.PlanSlack, 0.35)
	deff(&p.PlanBias, 1.1)
	deff(&p.Drift, 0.05)
	deff(&p.GrowthMax, 0.4)
	deff(&p.InterruptRate, 0.03)
	deff(&p.InterruptDays, 3)
	deff(&p.InterruptFactor, 0.2)
	deff(&p.FiledUntil, 0.85)
	p.MaxScope = max(p.MaxScope, p.MinScope)
	p.MaxDays = max(p.MaxDays, p.MinDays)
	return p
}

// genBase is the first generated start date (a Monday).
var genBase = time.Date(2025, 1, 6, 0, 0, 0, 0, time.UTC)

// Generate builds milestones with full item histories and known outcomes.
func Generate(p GenParams) []Case {
	p = p.withDefaults()
	rnd := rand.New(rand.NewPCG(uint64(p.Seed), 0x9e3779b97f4a7c15))
	out := make([]Case, 0, p.Milestones)
	for i := 0; i < p.Milestones; i++ {
		out = append(out, generateOne(rnd, p, i))
	}
	return out
}

func isWeekend(t time.Time) bool { return t.Weekday() == time.Saturday || t.Weekday() == time.Sunday }

// addWorkingDays moves n working days forward from day (n >= 0).
func addWorkingDays(day time.Time, n int) time.Time {
	for n > 0 {
		day = day.AddDate(0, 0, 1)
		if !isWeekend(day) {
			n--
		}
	}
	return day
}

// paceModel is the day-to-day variation of a team's pace: a drift that
// wanders within 0.5–1.5 of the plan and interruptions (illness, support
// duty) that cut it for a few days.
type paceModel struct {
	drift       float64
	interrupted int // working days of interruption left
}

// today moves the model on one working day and returns that day's drift
// and interruption factor on the planned pace.
func (pm *paceModel) today(rnd *rand.Rand, p GenParams) (drift, factor float64) {
	pm.drift = math.Min(1.5, math.Max(0.5, pm.drift*math.Exp(p.Drift*rnd.NormFloat64())))
	if pm.interrupted == 0 && rnd.Float64() < p.InterruptRate {
		pm.interrupted = 1 + int(math.Floor(math.Log(rnd.Float64())/math.Log(1-1/p.InterruptDays)))
	}
	factor = 1.0
	if pm.interrupted > 0 {
		factor = p.InterruptFactor
		pm.interrupted--
	}
	return pm.drift, factor
}

func poisson(rnd *rand.Rand, lambda float64) int {
	if lambda <= 0 {
		return 0
	}
	if lambda > 30 { // normal approximation
		return max(0, int(math.Round(lambda+math.Sqrt(lambda)*rnd.NormFloat64())))
	}
	l, k, prod := math.Exp(-lambda), 0, rnd.Float64()
	for prod > l {
		k++
		prod *= rnd.Float64()
	}
	return k
}

func generateOne(rnd *rand.Rand, p GenParams, idx int) Case {
	if p.Filed {
		return generateFiled(rnd, p, idx)
	}
	scope := p.MinScope + rnd.IntN(p.MaxScope-p.MinScope+1)
	days := p.MinDays + rnd.IntN(p.MaxDays-p.MinDays+1)
	start := genBase.AddDate(0, 0, 7*(idx%52))
	due := addWorkingDays(start, days-1) // the start day is working day 1
	share := p.GrowthMax * rnd.Float64()
	growth := share * float64(scope) / float64(days)
	pace := float64(scope) * (1 + share) / float64(days) * p.PlanBias * (1 - p.PlanSlack + 2*p.PlanSlack*rnd.Float64())

	m := model.Milestone{Source: "generated", Key: fmt.Sprintf("gen-%03d", idx), Kind: model.KindMilestone,
		Title: fmt.Sprintf("Generated milestone %d", idx), Start: start, Due: due, State: model.StateOpen}
	return work(rnd, p, m, fmt.Sprintf("G%03d", idx), scope, days, growth, pace)
}

// work runs a planned milestone m (start, due, no items yet): scope items
// are filed before the start, growth items a working day arrive until the
// due date, and the team works them in rank order at pace items a working
// day (with the paceModel's drift and interruptions) until every item is
// done or five times the planned days have passed.
func work(rnd *rand.Rand, p GenParams, m model.Milestone, prefix string, scope, days int, growth, pace float64) Case {
	start, due := m.Start, m.Due
	newItem := func(joined time.Time) {
		n := len(m.Items)
		pts := []float64{1, 2, 3, 5, 8}[rnd.IntN(5)]
		m.Items = append(m.Items, model.WorkItem{Key: fmt.Sprintf("%s-%d", prefix, n+1), Title: "item",
			Created: model.At(joined.Add(-time.Duration(rnd.IntN(72)) * time.Hour)), JoinedAt: model.At(joined), JoinedKnown: true,
			Status: model.StatusTodo, Points: pts, Estimated: rnd.Float64() < 0.85, Rank: n + 1})
	}
	for i := 0; i < scope; i++ {
		newItem(start.Add(-time.Duration(1+rnd.IntN(96)) * time.Hour))
	}
	next := 0 // items are worked in rank order
	pm := paceModel{drift: 1}
	day := start
	var finished time.Time
	for w := 0; w < days*5; w++ {
		if w > 0 {
			day = addWorkingDays(day, 1)
		}
		if !day.After(due) {
			for k := poisson(rnd, growth); k > 0; k-- {
				newItem(day.Add(time.Duration(8+rnd.IntN(9)) * time.Hour))
			}
		}
		drift, factor := pm.today(rnd, p)
		for k := poisson(rnd, pace*drift*factor); k > 0 && next < len(m.Items); k-- {
			it := &m.Items[next]
			joined := it.JoinedAt.Time()
			closed := day.Add(time.Duration(9*60+rnd.IntN(9*60)) * time.Minute)
			if closed.Before(joined) {
				closed = joined.Add(time.Hour)
			}
			started := closed.Add(-time.Duration(4+rnd.IntN(68)) * time.Hour)
			if started.Before(joined) {
				started = joined
			}
			it.Closed, it.Started, it.Status = model.At(closed), model.At(started), model.StatusDone
			next++
		}
		if next == len(m.Items) {
			finished = day
			break
		}
	}
	c := Case{Key: m.Key, Due: due, Finished: finished}
	if finished.IsZero() { // never finished within five times the plan
		c.FinishedAfter = day
	}
	c.Missed = finished.IsZero() || finished.After(due)
	c.History = &m
	c.Start = start
	return c
}

// generateFiled is the "filed over time" shape: one issue filed each
// calendar day from the milestone's creation to FiledUntil of its life.
func generateFiled(rnd *rand.Rand, p GenParams, idx int) Case {
	days := p.MinDays + rnd.IntN(p.MaxDays-p.MinDays+1)
	start := genBase.AddDate(0, 0, 7*(idx%52))
	m := model.Milestone{Source: "generated", Key: fmt.Sprintf("filed-%03d", idx), Kind: model.KindMilestone,
		Title: fmt.Sprintf("Filed-over-time milestone %d", idx), Start: start, StartBasis: model.StartCreated,
		State: model.StateOpen}
	return workFiled(rnd, p, m, fmt.Sprintf("F%03d", idx), days)
}

// workFiled runs the filed shape for milestone m (its start set, no items
// yet) over days planned working days.
func workFiled(rnd *rand.Rand, p GenParams, m model.Milestone, prefix string, days int) Case {
	start := m.Start
	due := addWorkingDays(start, days-1)
	m.Due = due
	life := int(due.Sub(start).Hours() / 24)
	fileDays := max(1, int(math.Round(float64(life)*p.FiledUntil)))
	total := fileDays + 1 // filed on calendar days 0..fileDays
	pace := float64(total) / float64(days) * p.PlanBias * (1 - p.PlanSlack + 2*p.PlanSlack*rnd.Float64())
	truth := &filedTruth{p: p, pace: pace, total: total}
	filed := 0
	fileUpTo := func(day time.Time) { // file every issue due by the end of day
		for ; filed < total && !start.AddDate(0, 0, filed).After(day); filed++ {
			j := start.AddDate(0, 0, filed).Add(time.Duration(8+rnd.IntN(9)) * time.Hour)
			pts := []float64{1, 2, 3, 5, 8}[rnd.IntN(5)]
			m.Items = append(m.Items, model.WorkItem{Key: fmt.Sprintf("%s-%d", prefix, filed+1), Title: "issue",
				Created: model.At(j), JoinedAt: model.At(j), Status: model.StatusTodo, Points: pts, Estimated: rnd.Float64() < 0.5, Rank: filed + 1})
		}
	}
	next := 0
	pm := paceModel{drift: 1}
	day := start
	var finished time.Time
	for w := 0; w < days*5; w++ {
		if w > 0 {
			day = addWorkingDays(day, 1)
		}
		fileUpTo(day)
		drift, factor := pm.today(rnd, p)
		for k := poisson(rnd, pace*drift*factor); k > 0 && next < len(m.Items); k-- {
			it := &m.Items[next]
			closed := day.Add(time.Duration(17*60+rnd.IntN(6*60)) * time.Minute)
			started := closed.Add(-time.Duration(4+rnd.IntN(30)) * time.Hour)
			if joined := it.JoinedAt.Time(); started.Before(joined) {
				started = joined
			}
			if closed.Before(started) {
				closed = started.Add(time.Hour)
			}
			it.Closed, it.Started, it.Status = model.At(closed), model.At(started), model.StatusDone
			next++
		}
		truth.states = append(truth.states, dayState{day: day, drift: pm.drift, interrupted: pm.interrupted, filed: filed, next: next})
		if filed == total && next == len(m.Items) {
			finished = day
			break
		}
	}
	c := Case{Key: m.Key, Start: start, Due: due, Finished: finished, History: &m, truth: truth}
	if finished.IsZero() {
		c.FinishedAfter = day
	}
	c.Missed = finished.IsZero() || finished.After(due)
	return c
}

// GenerateFiledTeams is the "filed-teams" input: the filed shape (as
// GenParams.Filed describes it) worked by teams of MilestonesPerTeam
// milestones one after the other (the next created the working day after
// the last one finished), so that each milestone's Peers are its team's
// earlier filed milestones: its record, and its filing habit. Each
// milestone draws its planned length and pace as in the filed input; with
// OwnFreeze each team files until its own share of the life.
func GenerateFiledTeams(p GenParams) []Case {
	p.Filed = true
	p = p.withDefaults()
	rnd := rand.New(rand.NewPCG(uint64(p.Seed), 0x3779b97f4a7c159e))
	teams := (p.Milestones + MilestonesPerTeam - 1) / MilestonesPerTeam
	var out []Case
	for t := 0; t < teams; t++ {
		team := fmt.Sprintf("filers-%02d", t+1)
		if p.OwnFreeze {
			p.FiledUntil = 0.6 + 0.35*rnd.Float64()
		}
		start := genBase.AddDate(0, 0, 7*t)
		first := len(out)
		for k := 0; k < MilestonesPerTeam; k++ {
			days := p.MinDays + rnd.IntN(p.MaxDays-p.MinDays+1)
			key := fmt.Sprintf("%s-m%02d", team, k+1)
			m := model.Milestone{Source: "generated", Key: key, Kind: model.KindMilestone, Container: team,
				Title: fmt.Sprintf("%s milestone %d", team, k+1), Start: start, StartBasis: model.StartCreated, State: model.StateOpen}
			c := workFiled(rnd, p, m, key, days)
			out = append(out, c)
			start = addWorkingDays(caseEnd(c), 1)
		}
		peers := closedPeers(out[first:])
		for i := first; i < len(out); i++ {
			out[i].Peers = peers
		}
	}
	return out
}

// caseEnd is the day a generated case's work ended: its finish, or the day
// it was given up on with work left.
func caseEnd(c Case) time.Time {
	if c.Finished.IsZero() {
		return c.FinishedAfter
	}
	return c.Finished
}

// closedPeers are the cases' milestones as closed at the end of the day
// their work ended.
func closedPeers(cs []Case) []model.Milestone {
	var closed []model.Milestone
	for _, c := range cs {
		m := *c.History
		m.State, m.ClosedAt = model.StateClosed, caseEnd(c).Add(23*time.Hour)
		closed = append(closed, m)
	}
	return closed
}

// Teams: the "teams" input. Each team works MilestonesPerTeam milestones
// one after the other (the next starts the working day after the last one
// finished) and plans all of them the same way: an optimistic team (every
// other team, starting with the first) really works at a steady
// TeamOptimism fraction of the pace its plan needs, uniform in [0.55,
// 0.80] for the team; an accurate one at [1.0, 1.2] of it. Each milestone
// adds its own ±10 % to the team's fraction; scope, growth, drift and
// interruptions are as in the generated histories, with shorter planned
// lengths (10–30 working days unless set). Every milestone of a team
// shares its container, so the team's earlier milestones are its record.
const MilestonesPerTeam = 10

// GenerateTeams builds p.Milestones milestones (rounded up to whole teams
// of MilestonesPerTeam) with their outcomes. Every case's Peers are its
// team's milestones as closed (all of them: forecast.TeamRecordOf keeps
// those closed by each checkpoint), and its Group says whether the team
// plans optimistically.
func GenerateTeams(p GenParams) []Case {
	if p.MinDays <= 0 && p.MaxDays <= 0 {
		p.MinDays, p.MaxDays = 10, 30
	}
	p = p.withDefaults()
	rnd := rand.New(rand.NewPCG(uint64(p.Seed), 0x7f4a7c159e3779b9))
	teams := (p.Milestones + MilestonesPerTeam - 1) / MilestonesPerTeam
	var out []Case
	for t := 0; t < teams; t++ {
		optimistic := t%2 == 0
		bias, group := 1.0+0.2*rnd.Float64(), "accurate teams"
		if optimistic {
			bias, group = 0.55+0.25*rnd.Float64(), "optimistic teams"
		}
		team := fmt.Sprintf("team-%02d", t+1)
		start := genBase.AddDate(0, 0, 7*t)
		first := len(out)
		for k := 0; k < MilestonesPerTeam; k++ {
			scope := p.MinScope + rnd.IntN(p.MaxScope-p.MinScope+1)
			days := p.MinDays + rnd.IntN(p.MaxDays-p.MinDays+1)
			due := addWorkingDays(start, days-1)
			share := p.GrowthMax * rnd.Float64()
			growth := share * float64(scope) / float64(days)
			pace := float64(scope) * (1 + share) / float64(days) * bias * (0.9 + 0.2*rnd.Float64())
			key := fmt.Sprintf("%s-m%02d", team, k+1)
			m := model.Milestone{Source: "generated", Key: key, Kind: model.KindMilestone, Container: team,
				Title: fmt.Sprintf("%s milestone %d", team, k+1), Start: start, Due: due, State: model.StateOpen}
			c := work(rnd, p, m, key, scope, days, growth, pace)
			c.Group = group
			out = append(out, c)
			start = addWorkingDays(caseEnd(c), 1) // closed with work left: not all delivered
		}
		closed := closedPeers(out[first:])
		for j, c := range out[first:] {
			if p.MoveDates && c.Missed {
				closed[j].Due = model.Day(caseEnd(c))
				if p.MovedSeen {
					closed[j].PromisedDue = c.History.Due
				}
			}
		}
		for i := first; i < len(out); i++ {
			out[i].Peers = closed
		}
	}
	return out
}
