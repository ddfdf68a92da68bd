// Package worker runs forewarn's pipeline once: poll the sources, forecast
// each milestone, evaluate the rules, and reconcile the tickets the findings
// call for with what the target already holds. A plan is the same
// computation without a single write.
package worker

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/forewarn/forewarn/internal/logx"
	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/tracker"
)

// Worker wires sources, the pure core and a target together. Each source
// is read and judged in a goroutine of its own, so Forecast, Record,
// Rules.Prepare, Client and KnownClient are called concurrently.
type Worker struct {
	Sources  []tracker.Source
	Target   tracker.Target
	Store    tracker.Store // nil: no state between runs (the trackers carry the fingerprints)
	Forecast Forecaster
	// Record derives the team's record of a milestone from the closed
	// milestones read in the same run (nil: no record is set).
	Record  Recorder
	Rules   Rules
	Drafter Drafter
	// Client returns the configured client of a milestone.
	Client func(id string) model.Client
	// KnownClient says whether a client id is configured; a milestone
	// naming another is not judged. nil: every id is accepted.
	KnownClient func(id string) bool
	// Agreed holds re-baselined due dates per milestone key, oldest first.
	Agreed map[string][]time.Time
	// ReopenWithin: a closed ticket is reopened when its rule fires again
	// within this long after it was closed.
	ReopenWithin time.Duration
	Now          func() time.Time
	Log          zerolog.Logger
}

// Run performs one pass. The error is for failures of the run as a whole
// (state unreadable); partial failures are in the report.
func (w *Worker) Run(ctx context.Context, mode tracker.Mode) (tracker.Report, error) {
	now := w.Now().UTC()
	rep := tracker.Report{Mode: mode, Started: now}
	st := w.Store
	if st == nil {
		st = noStore{}
	}
	if mode == tracker.ModePlan {
		st = readOnly{st}
	}

	// While the slowest source is read, the others' firings are drafted.
	spec := w.speculate(ctx, mode, st, now, w.Rules.Budget())
	judged := w.poll(ctx, st, now, &rep, spec, w.dueLookup(ctx, st))
	spec.stop()
	if mode == tracker.ModeRun {
		rep.Notes = append(rep.Notes, noteDues(ctx, st, now, judged)...)
	}

	stateBlob, err := st.RuleState(ctx)
	if err != nil {
		return rep, fmt.Errorf("reading rule state: %w", err)
	}
	run, err := w.Rules.Open(stateBlob)
	if err != nil {
		return rep, fmt.Errorf("opening rule state: %w", err)
	}
	ev := run.Evaluate(now, judged)
	rep.Notes = append(rep.Notes, ev.Notes...)
	rep.Notes = append(rep.Notes, ev.Suppressed...)
	rep.RuleFailures = append(rep.RuleFailures, ev.Failed...)
	for _, f := range ev.Failed {
		w.Log.Error().Str("rule", f.Rule).Str("milestone", f.MilestoneKey).Str("error", f.Err).Msg("rule evaluation failed")
	}

	byKey := make(map[string]int, len(judged))
	for i, j := range judged {
		byKey[j.Milestone.Key] = i
		rep.Milestones = append(rep.Milestones, tracker.MilestoneReport{Milestone: j.Milestone, Forecast: j.Forecast})
	}
	for _, f := range ev.Firings {
		if i, ok := byKey[f.Finding.MilestoneKey]; ok {
			rep.Milestones[i].Findings = append(rep.Milestones[i].Findings, f.Finding)
		}
	}

	firings := slices.Clone(ev.Firings)
	slices.SortStableFunc(firings, func(a, b Firing) int {
		return cmp.Or(cmp.Compare(a.Finding.MilestoneKey, b.Finding.MilestoneKey),
			cmp.Compare(purposeOrder(a.Finding.Purpose), purposeOrder(b.Finding.Purpose)),
			cmp.Compare(a.Finding.Rule, b.Finding.Rule))
	})
	budget := w.Rules.Budget()
	// Drafting goes on while the batch lookup is on the wire.
	ah := w.draftAhead(ctx, mode, st, firings, judged, byKey, now, budget, spec)
	defer ah.close()
	known := w.prefetch(ctx, firings)
	ah.lookedUp(firings, known, budget)
	if mode == tracker.ModeRun {
		st = w.prerecord(ctx, st, firings, known, budget)
	}
	// The write phase's progress line (on a terminal): tickets handled of
	// those the rules call for.
	prog := logx.ProgressFrom(ctx)
	if len(firings) > 0 {
		prog.Set("tickets", "written", 0)
		prog.Set("tickets", "of planned", len(firings))
		defer prog.Done("tickets")
	}
	ops := 0
	seen := map[string]bool{}
	for i, f := range firings {
		if err := ctx.Err(); err != nil {
			rep.Notes = append(rep.Notes, "run interrupted: remaining findings left for the next run")
			break
		}
		pre := ah.take(i)
		fp := f.Finding.Fingerprint()
		if seen[fp] && !f.Finding.CommentOnly {
			continue // two rules asking for the same ticket: the first one speaks
		}
		seen[fp] = true
		j := judged[byKey[f.Finding.MilestoneKey]]
		if budget > 0 && ops >= budget {
			rep.Actions = append(rep.Actions, tracker.Action{Kind: tracker.ActionDeferred, Fingerprint: fp, MilestoneKey: j.Milestone.Key,
				Purpose: f.Finding.Purpose, Rule: f.Finding.Rule, Target: w.Target.Name(),
				Reason: fmt.Sprintf("operations budget of %d reached; left for the next run", budget)})
			continue
		}
		ref, looked := known[fp]
		a := w.reconcile(ctx, mode, st, run, f, j, now, ref, looked, pre)
		delete(known, fp) // a second firing on the ticket looks it up afresh
		if a.Kind != tracker.ActionNone && a.Kind != tracker.ActionDeferred {
			ops += a.ops
		}
		rep.Actions = append(rep.Actions, a.Action)
		prog.Add("tickets", "written", 1)
	}

	if st, ok := w.Target.(tracker.Settler); ok && mode == tracker.ModeRun && ops > 0 {
		st.Settle(ctx)
	}
	if mode == tracker.ModeRun {
		blob, err := run.State()
		if err == nil {
			err = st.SaveRuleState(ctx, blob)
		}
		if err != nil {
			rep.Notes = append(rep.Notes, fmt.Sprintf("could not save rule state: %v", err))
			rep.Failed = append(rep.Failed, tracker.FailureReport{Source: "state", Err: err.Error()})
		}
	}
	rep.Finished = w.Now().UTC()
	return rep, nil
}

func purposeOrder(p model.Purpose) int {
	switch p {
	case model.PurposePostMortem:
		return 0
	case model.PurposeClientNotice:
		return 1
	default:
		return 2
	}
}

// poll reads every source concurrently and judges each source's milestones
// as soon as that source is read: prepared, given their team record and
// forecast while the other sources are still being read (forecasting is
// CPU-bound and pure, and a slower tracker leaves a core free), then
// today's forecasts are remembered (at most one a day per milestone, so
// drafts see today's record among the history) and, while other sources
// are still being read, the source's firings drafted (spec). Unreadable
// milestones are reported and not judged. The result is sorted by key.
func (w *Worker) poll(ctx context.Context, st tracker.Store, now time.Time, rep *tracker.Report, spec *speculation, dues dueLookup) []Judged {
	parts := make([]polled, len(w.Sources))
	var wg sync.WaitGroup
	var reading atomic.Int32 // sources still being read
	reading.Store(int32(len(w.Sources)))
	for i, s := range w.Sources {
		wg.Go(func() {
			var ahead *judgedAhead
			var part func(tracker.FetchResult)
			if spec != nil && tracker.Streams(s) {
				ahead = &judgedAhead{}
				part = func(r tracker.FetchResult) {
					judged := ahead.judge(w, s.Name(), r, now, dues)
					// Recorded before they are drafted, as a source's own
					// are (below): a draft's request holds the milestone's
					// forecast history, today's included. The result's call
					// records whatever is still missing and reports failures.
					w.rememberAll(ctx, st, judged)
					spec.start(judged, 1) // the source itself is still being read
				}
			}
			res, err := tracker.FetchParts(ctx, s, part)
			p := w.judgeSource(s.Name(), res, err, now, int(reading.Add(-1)), ahead, dues)
			p.notes = append(p.notes, w.rememberAll(ctx, st, p.judged)...)
			spec.start(p.fresh, int(reading.Load()))
			parts[i] = p
		})
	}
	wg.Wait()
	var out []Judged
	for _, p := range parts {
		rep.Failed = append(rep.Failed, p.failed...)
		rep.Notes = append(rep.Notes, p.notes...)
		out = append(out, p.judged...)
	}
	slices.SortFunc(out, func(a, b Judged) int { return cmp.Compare(a.Milestone.Key, b.Milestone.Key) })
	return out
}

// polled is one source's part of poll: what it reported and its
// milestones, judged.
type polled struct {
	failed []tracker.FailureReport
	notes  []string
	judged []Judged
	fresh  []Judged // those of judged forecast now, not ahead (judgedAhead)
}

// judgeSource checks, prepares and forecasts the milestones one source
// returned. Team records come from the closed milestones of the same
// source (records groups by source), so a source is judged without
// waiting for the others. reading is how many sources are still being
// read: while any is, forecasting leaves them a core (forecasters).
// Containers judged ahead, from the parts a streaming source handed over,
// are taken as they were judged when they hold the same milestones.
func (w *Worker) judgeSource(name string, res tracker.FetchResult, err error, now time.Time, reading int, ahead *judgedAhead, dues dueLookup) polled {
	var p polled
	if err != nil {
		w.Log.Error().Str("source", name).Err(err).Msg("source could not be read")
		p.failed = append(p.failed, tracker.FailureReport{Source: name, Err: err.Error()})
		return p
	}
	for _, f := range res.Failed {
		w.Log.Warn().Str("source", name).Str("milestone", f.Key).Err(f.Err).Msg("milestone skipped: data unreadable")
		p.failed = append(p.failed, tracker.FailureReport{Source: name, Key: f.Key, Title: f.Title, Err: errString(f.Err)})
	}
	p.notes = append(p.notes, res.Notes...)
	ms, closed := w.screen(name, res, &p)
	p.judged, ms = ahead.take(ms, closed)
	closed, derr := dues.promise(ms, closed)
	if derr != nil {
		p.notes = append(p.notes, derr.Error())
	}
	w.records(ms, closed, now)
	p.fresh = w.forecastAll(ms, now, reading)
	p.judged = append(p.judged, p.fresh...)
	return p
}

// screen checks and prepares the milestones of a source's result: ms are
// those to judge, in key order, and closed those the team's records are
// made of. What is refused or exempt goes into p, when p is set (a
// part judged ahead reports nothing: its source's result will).
func (w *Worker) screen(name string, res tracker.FetchResult, p *polled) (ms, closed []model.Milestone) {
	for _, m := range res.History {
		// Read only for the team's record: never judged; bad data
		// is left out of the record rather than reported.
		if m.Source == "" {
			m.Source = name
		}
		if m.State == model.StateClosed && m.Validate() == nil {
			closed = append(closed, m)
		}
	}
	for _, m := range res.Milestones {
		if m.Source == "" {
			m.Source = name
		}
		// An agreed date from the configuration and one the tracker holds
		// (an `agreed:` line in the description): the later one is the
		// latest agreement.
		if dates := w.Agreed[m.Key]; len(dates) > 0 && dates[len(dates)-1].After(m.AgreedDue) {
			m.AgreedDue = dates[len(dates)-1]
		}
		if err := w.validate(m); err != nil {
			// Bad data is refused, not judged: a notice drafted from
			// it would be wrong (a NaN forecast, "Dear nobody").
			if p != nil {
				w.Log.Warn().Str("source", name).Str("milestone", m.Key).Err(err).Msg("milestone skipped: invalid data")
				p.failed = append(p.failed, tracker.FailureReport{Source: name, Key: m.Key, Title: m.Title, Err: err.Error()})
			}
			continue
		}
		if m.State == model.StateClosed {
			closed = append(closed, m)
		}
		prepared, skip := w.Rules.Prepare(m)
		if skip {
			if p != nil {
				p.notes = append(p.notes, fmt.Sprintf("%s is exempt (forewarn:ignore)", m.Key))
			}
			continue
		}
		ms = append(ms, prepared)
	}
	// In key order, as records shares the record of a container's first
	// open milestone with the others.
	slices.SortFunc(ms, func(a, b model.Milestone) int { return cmp.Compare(a.Key, b.Key) })
	return ms, closed
}

// forecastAll forecasts milestones whose records are set. Forecasting is
// CPU-bound and pure: it is spread over the cores.
func (w *Worker) forecastAll(ms []model.Milestone, now time.Time, reading int) []Judged {
	judged := make([]Judged, len(ms))
	next := make(chan int)
	var fw sync.WaitGroup
	for range forecasters(runtime.GOMAXPROCS(0), reading) {
		fw.Go(func() {
			for i := range next {
				m := ms[i]
				judged[i] = Judged{Milestone: m, Forecast: w.Forecast(m, now), Client: w.client(m.Client)}
			}
		})
	}
	for i := range ms {
		next <- i
	}
	close(next)
	fw.Wait()
	return judged
}

// forecasters is how many goroutines forecast a source's milestones on a
// machine of that many cores, while `reading` other sources are still
// being read. A read is a chain of requests, each waiting for the last: with
// every core forecasting, each answer that arrives waits for the
// scheduler's next preemption (up to 10 ms) before it is decoded and the
// next request sent, and the slowest source, the run's critical path,
// falls behind. So while any source is still being read, forecasting
// leaves one core to it; the last source read forecasts on all.
func forecasters(cores, reading int) int {
	if reading > 0 {
		return max(1, cores-1)
	}
	return max(1, cores)
}

// records sets each milestone's team record from the closed milestones of
// its source, kind and container read in this run. Open milestones of one
// container share their record; a closed one's leaves itself out.
func (w *Worker) records(ms, closed []model.Milestone, now time.Time) {
	if w.Record == nil || len(closed) == 0 {
		return
	}
	groups := map[container][]model.Milestone{}
	for _, c := range closed {
		k := containerOf(c)
		groups[k] = append(groups[k], c)
	}
	shared := map[container]*model.TeamRecord{}
	for i := range ms {
		m := &ms[i]
		k := containerOf(*m)
		if len(groups[k]) == 0 {
			continue
		}
		if m.State == model.StateClosed {
			m.Record = w.Record(groups[k], *m, now)
			continue
		}
		r, ok := shared[k]
		if !ok {
			r = w.Record(groups[k], *m, now)
			shared[k] = r
		}
		m.Record = r
	}
}

// container is what a team's record is shared by: the milestones of one
// source, kind and container (repository, project, board).
type container struct {
	source, container string
	kind              model.Kind
}

func containerOf(m model.Milestone) container { return container{m.Source, m.Container, m.Kind} }

// validate is the one check every source's milestones pass before they are
// judged: the model's (dates, span, amounts) and a configured client.
func (w *Worker) validate(m model.Milestone) error {
	err := m.Validate()
	if m.Client != "" && w.KnownClient != nil && !w.KnownClient(m.Client) {
		err = errors.Join(err, fmt.Errorf("milestone %s: client %q is not in the configuration's clients", m.Key, m.Client))
	}
	return err
}

func (w *Worker) client(id string) model.Client {
	if w.Client != nil {
		return w.Client(id)
	}
	return model.Client{ID: id, Name: id, Locale: "en"}
}

func errString(err error) string {
	if err == nil {
		return "unknown error"
	}
	return err.Error()
}

// dueLookup reads the due dates forewarn saw on milestones
// (tracker.DueKeeper.DuesSeen); nil when the store keeps none.
type dueLookup func(keys []string) (map[string][]model.DueSeen, error)

// dueLookup reads them from a store that keeps them, a plan's included.
func (w *Worker) dueLookup(ctx context.Context, st tracker.Store) dueLookup {
	if ro, plan := st.(readOnly); plan {
		st = ro.Store // a plan reads them too
	}
	dk, ok := st.(tracker.DueKeeper)
	if !ok {
		return nil
	}
	return func(keys []string) (map[string][]model.DueSeen, error) { return dk.DuesSeen(ctx, keys) }
}

// promise sets PromisedDue on the milestones to judge (ms) and the closed
// ones of their records whose due date the tracker moved later after work
// started: the date they had at their start by the dates forewarn saw (or
// the first one seen, when it saw none before). The team's record judges
// a closed one by it; a draft for an open one tells the reviewer. ms is
// changed in place; closed is copied when any changes. A store that
// cannot be read leaves the trackers' dates, and says so.
func (look dueLookup) promise(ms, closed []model.Milestone) ([]model.Milestone, error) {
	if look == nil || len(ms) == 0 {
		return closed, nil
	}
	keys := make([]string, 0, len(ms)+len(closed))
	for _, m := range ms {
		keys = append(keys, m.Key)
	}
	for _, c := range closed {
		keys = append(keys, c.Key)
	}
	seen, err := look(keys)
	if err != nil {
		return closed, fmt.Errorf("due dates moved in the trackers not known: could not read the due dates seen before: %w", err)
	}
	for i := range ms {
		ms[i].PromisedDue = model.PromisedDueOf(ms[i], seen[ms[i].Key])
	}
	copied := false
	for i, c := range closed {
		if p := model.PromisedDueOf(c, seen[c.Key]); !p.IsZero() {
			if !copied {
				closed, copied = slices.Clone(closed), true
			}
			closed[i].PromisedDue = p
		}
	}
	return closed, nil
}

// noteDues remembers the due date of every milestone a run judged (the
// tracker's, not an agreed one), in one write at the end of the reads, so
// a date moved later is known when the milestone is in a record.
func noteDues(ctx context.Context, st tracker.Store, now time.Time, judged []Judged) []string {
	dk, ok := st.(tracker.DueKeeper)
	if !ok || len(judged) == 0 {
		return nil
	}
	dues := make([]tracker.KeyedDue, 0, len(judged))
	for _, j := range judged {
		if m := j.Milestone; !m.Due.IsZero() {
			dues = append(dues, tracker.KeyedDue{MilestoneKey: m.Key, Due: m.Due})
		}
	}
	if err := dk.NoteDues(ctx, now, dues); err != nil {
		return []string{fmt.Sprintf("could not record the due dates of %d milestones: %v", len(dues), err)}
	}
	return nil
}

// rememberAll records the day's forecast of every judged milestone that
// has no record of that day yet, and returns a note for each failure.
// From a store that can (tracker.ForecastBatcher), in one read and one
// write: one at a time, a large run spent 15–25 ms here on its 232
// milestones, on the way to drafting.
func (w *Worker) rememberAll(ctx context.Context, st tracker.Store, judged []Judged) []string {
	if _, plan := st.(readOnly); plan {
		return nil // a plan records nothing
	}
	fb, ok := st.(tracker.ForecastBatcher)
	if !ok {
		var notes []string
		for _, j := range judged {
			if err := w.remember(ctx, st, j.Forecast); err != nil {
				notes = append(notes, fmt.Sprintf("could not record the forecast of %s: %v", j.Milestone.Key, err))
			}
		}
		return notes
	}
	if len(judged) == 0 {
		return nil
	}
	keys := make([]string, len(judged))
	for i, j := range judged {
		keys[i] = j.Forecast.MilestoneKey
	}
	latest, err := fb.LatestForecastTimes(ctx, keys)
	if err != nil {
		return []string{fmt.Sprintf("could not record the forecasts of %d milestones: %v", len(judged), err)}
	}
	var fs []tracker.KeyedForecast
	for _, j := range judged {
		f := j.Forecast
		if at, have := latest[f.MilestoneKey]; have && sameDay(at, f.AsOf) {
			continue
		}
		latest[f.MilestoneKey] = f.AsOf
		fs = append(fs, tracker.KeyedForecast{MilestoneKey: f.MilestoneKey, Record: f.Record()})
	}
	if len(fs) == 0 {
		return nil // recorded already (a streamed part's, or an earlier run today)
	}
	if err := fb.AppendForecasts(ctx, fs); err != nil {
		return []string{fmt.Sprintf("could not record the forecasts of %d milestones: %v", len(fs), err)}
	}
	return nil
}

// remember records one milestone's forecast unless it has a record of
// the same day: rememberAll's way with a store that cannot batch.
func (w *Worker) remember(ctx context.Context, st tracker.Store, f model.Forecast) error {
	last, have, err := latestForecast(ctx, st, f.MilestoneKey)
	if err != nil {
		return err
	}
	if have && sameDay(last.AsOf, f.AsOf) {
		return nil
	}
	return st.AppendForecast(ctx, f.MilestoneKey, f.Record())
}

// forecastAtStore is a Store that reads one forecast record (the latest at
// or before a time) without the whole history: internal/store's stores.
type forecastAtStore interface {
	ForecastAt(ctx context.Context, milestoneKey string, t time.Time) (model.ForecastRecord, bool, error)
}

// endOfTime is after every forecast record (and within UnixNano's range).
var endOfTime = time.Unix(0, math.MaxInt64)

// latestForecast is a milestone's latest forecast record, for remember
// (a run's store that cannot batch): from a store that can, one record (a
// year of daily records was a millisecond of decoding a milestone), else
// the last of the history.
func latestForecast(ctx context.Context, st tracker.Store, key string) (model.ForecastRecord, bool, error) {
	if fa, ok := st.(forecastAtStore); ok {
		return fa.ForecastAt(ctx, key, endOfTime)
	}
	past, err := st.Forecasts(ctx, key)
	if err != nil || len(past) == 0 {
		return model.ForecastRecord{}, false, err
	}
	return past[len(past)-1], true, nil
}

func sameDay(a, b time.Time) bool {
	ay, am, ad := a.UTC().Date()
	by, bm, bd := b.UTC().Date()
	return ay == by && am == bm && ad == bd
}

// outcome is an action and the number of writes it took.
type outcome struct {
	tracker.Action
	ops int
}

// prefetch looks every firing's ticket up in one go when the target can
// (BatchFinder): every fingerprint it holds was looked up, with nil for
// one that has no ticket. A failure only costs the searches it would have
// saved (nil: each is looked up with Find).
func (w *Worker) prefetch(ctx context.Context, firings []Firing) map[string]*model.TicketRef {
	bf, ok := w.Target.(tracker.BatchFinder)
	if !ok || len(firings) < 2 {
		return nil
	}
	var fps []string
	for _, f := range firings {
		if fp := f.Finding.Fingerprint(); !slices.Contains(fps, fp) {
			fps = append(fps, fp)
		}
	}
	found, err := bf.FindMany(ctx, fps)
	if err != nil {
		w.Log.Warn().Err(err).Msg("could not look the tickets up in one go; looking them up one by one")
		return nil
	}
	known := make(map[string]*model.TicketRef, len(fps))
	for _, fp := range fps {
		known[fp] = found[fp]
	}
	return known
}

// prerecord writes the pending ledger entry of every firing the batch
// lookup says will be created (nothing found, and no ledger record saying
// it was and is gone), all in one durable write before the first create is
// sent (tracker.LedgerBatcher): a run of many creates waits for the disk
// once, not once a create. The create then finds its pending entry on disk
// already and does not write it again (prerecorded). An entry recorded for
// a create the run does not reach (interrupted, the budget spent) is what
// a crash just before that create leaves: the next run looks the ticket up
// and creates it once. On any failure every create records its own.
func (w *Worker) prerecord(ctx context.Context, st tracker.Store, firings []Firing, known map[string]*model.TicketRef, budget int) tracker.Store {
	lb, ok := st.(tracker.LedgerBatcher)
	if !ok || known == nil {
		return st
	}
	target := w.Target.Name()
	pending := map[string]tracker.LedgerEntry{}
	var es []tracker.LedgerEntry
	seen := map[string]bool{}
	for _, f := range firings {
		fp := f.Finding.Fingerprint()
		ref, looked := known[fp]
		if seen[fp] || !looked || ref != nil || f.Finding.CommentOnly {
			seen[fp] = true // the first firing on a ticket speaks (Run)
			continue
		}
		seen[fp] = true
		if budget > 0 && len(es) >= budget {
			break
		}
		entry, have, err := st.LedgerGet(ctx, fp)
		if err != nil {
			return st
		}
		if have && entry.Target == target && entry.State != tracker.LedgerPending {
			continue // recorded and gone from the target: discarded, not created (Decide)
		}
		e := pendingEntry(f, target, entry, have)
		pending[fp] = e
		es = append(es, e)
	}
	if len(es) == 0 {
		return st
	}
	if err := lb.LedgerPutAll(ctx, es); err != nil {
		w.Log.Warn().Err(err).Msg("could not record the intents to create in one go; recording them one by one")
		return st
	}
	stored := make(map[string]tracker.LedgerEntry, len(pending))
	for fp, e := range pending {
		stored[fp] = asStored(e)
	}
	return &prerecorded{Store: st, pending: pending, known: stored}
}

// pendingEntry is the ledger entry written before a firing's ticket is
// created; entry is what the ledger held for it (have).
func pendingEntry(f Firing, target string, entry tracker.LedgerEntry, have bool) tracker.LedgerEntry {
	firstFired := f.Finding.FiredAt
	if have && !entry.FirstFired.IsZero() {
		firstFired = entry.FirstFired
	}
	return tracker.LedgerEntry{Fingerprint: f.Finding.Fingerprint(), MilestoneKey: f.Finding.MilestoneKey, Purpose: f.Finding.Purpose,
		Target: target, State: tracker.LedgerPending, FirstFired: firstFired}
}

// prerecorded is a run's store once prerecord has written the pending
// entries: writing one of them again, unchanged, is skipped (it is on disk).
// Any other write of the fingerprint goes through, and so does every later one.
//
// It also answers a read of an entry the run has recorded through it (the
// pending entries, then each write) from memory, as the store would read
// it back: the write loop reads a firing's entry, and a progress update's
// the client notice's, after the run wrote them, two SQLite reads a ticket
// in a first sync. Only the run writes its milestones' entries (the run
// lock; a shard's claims), so what it wrote is what the store holds. After
// a failed write the entry is read from the store again.
type prerecorded struct {
	tracker.Store
	mu      sync.Mutex
	pending map[string]tracker.LedgerEntry
	known   map[string]tracker.LedgerEntry // as stored
}

func (p *prerecorded) LedgerPut(ctx context.Context, e tracker.LedgerEntry) error {
	p.mu.Lock()
	pre, ok := p.pending[e.Fingerprint]
	delete(p.pending, e.Fingerprint)
	p.mu.Unlock()
	var err error
	if !ok || !sameEntry(pre, e) {
		err = p.Store.LedgerPut(ctx, e)
	}
	p.mu.Lock()
	if err == nil {
		p.known[e.Fingerprint] = asStored(e)
	} else {
		delete(p.known, e.Fingerprint) // written or not: the store knows
	}
	p.mu.Unlock()
	return err
}

func (p *prerecorded) LedgerGet(ctx context.Context, fp string) (tracker.LedgerEntry, bool, error) {
	p.mu.Lock()
	e, ok := p.known[fp]
	p.mu.Unlock()
	if ok {
		return e, true, nil
	}
	return p.Store.LedgerGet(ctx, fp)
}

// asStored is e as a store reads it back: its times in UTC without a
// monotonic reading (internal/store keeps nanoseconds).
func asStored(e tracker.LedgerEntry) tracker.LedgerEntry {
	e.Created, e.Updated, e.FirstFired, e.Ref.ClosedAt = inUTC(e.Created), inUTC(e.Updated), inUTC(e.FirstFired), inUTC(e.Ref.ClosedAt)
	return e
}

func inUTC(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

func sameEntry(a, b tracker.LedgerEntry) bool {
	ta := []time.Time{a.Created, a.Updated, a.FirstFired, a.Ref.ClosedAt}
	tb := []time.Time{b.Created, b.Updated, b.FirstFired, b.Ref.ClosedAt}
	for i := range ta {
		if !ta[i].Equal(tb[i]) {
			return false
		}
	}
	a.Created, a.Updated, a.FirstFired, a.Ref.ClosedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	b.Created, b.Updated, b.FirstFired, b.Ref.ClosedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	return a == b
}

// reconcile makes the target hold the ticket a firing asks for, exactly
// once. It gathers the situation (ledger, draft, the ticket found by
// fingerprint; when looked, known is what the batch lookup answered for it,
// nil for no ticket), asks Decide what to do
// and, in a run, performs the ops; a plan reports them without a write.
// pre is the draft made ahead of the loop, used when its request is the same.
func (w *Worker) reconcile(ctx context.Context, mode tracker.Mode, st tracker.Store, run RuleRun, f Firing, j Judged, now time.Time, known *model.TicketRef, looked bool, pre drafted) outcome {
	fp := f.Finding.Fingerprint()
	x := executor{w: w, st: st, run: run, f: f, j: j, now: now, fp: fp,
		a:   tracker.Action{Fingerprint: fp, MilestoneKey: j.Milestone.Key, Purpose: f.Finding.Purpose, Rule: f.Finding.Rule, Target: w.Target.Name()},
		log: w.Log.With().Str("fingerprint", fp).Str("milestone", j.Milestone.Key).Str("purpose", string(f.Finding.Purpose)).Logger()}

	entry, haveEntry, err := st.LedgerGet(ctx, fp)
	if err != nil {
		return x.fail(tracker.ActionCreate, fmt.Errorf("reading the ledger: %w", err))
	}
	// The forecast history is what drafting ahead read: records are only
	// appended before drafting starts (remember), so the loop does not read
	// and decode it again.
	var recs []model.ForecastRecord
	if pre.ok {
		recs = pre.req.History.Forecasts
	}
	hist, err := w.history(ctx, st, f, j, entry, haveEntry, recs, pre.ok)
	if err != nil {
		return x.fail(tracker.ActionCreate, err)
	}
	ticket, err := w.draft(DraftRequest{Finding: f.Finding, Milestone: j.Milestone, Forecast: j.Forecast,
		Client: j.Client, History: hist, Now: now}, pre)
	if err != nil {
		return x.fail(tracker.ActionCreate, fmt.Errorf("drafting: %w", err))
	}
	x.a.Title = ticket.Title

	ref := known
	if !looked {
		if ref, err = w.Target.Find(ctx, fp); err != nil {
			return x.fail(tracker.ActionCreate, fmt.Errorf("looking for the existing ticket: %w", err))
		}
	}
	sit := Situation{Firing: f, Found: ref, Draft: ticket, Target: w.Target.Name()}
	if haveEntry {
		sit.Entry = &entry
	}
	ops := Decide(sit, now, w.ReopenWithin)
	x.a.Kind, x.a.Reason = summary(ops)
	x.a.Ops = opNames(ops)
	if ref != nil {
		x.a.Ref = *ref
	}
	if mode == tracker.ModePlan {
		// The writes a run would make count against the budget alike.
		return outcome{Action: x.a, ops: writesIn(ops)}
	}
	return x.execute(ctx, sit, ops)
}

func writesIn(ops []Op) int {
	n := 0
	for _, op := range ops {
		if op.Kind != OpLeave && op.Kind != OpDiscard {
			n++
		}
	}
	return n
}

func opNames(ops []Op) []string {
	if len(ops) < 2 {
		return nil // the action's kind says it all
	}
	names := make([]string, len(ops))
	for i, op := range ops {
		names[i] = string(op.Kind)
	}
	return names
}

// executor performs one firing's ops in order and moves its ledger entry
// through pending → created → complete.
type executor struct {
	w   *Worker
	st  tracker.Store
	run RuleRun
	f   Firing
	j   Judged
	now time.Time
	fp  string
	a   tracker.Action
	log zerolog.Logger
}

func (x *executor) fail(kind tracker.ActionKind, err error) outcome {
	x.a.Kind, x.a.Err = kind, err.Error()
	x.log.Error().Err(err).Str("action", string(kind)).Msg("ticket action failed")
	return outcome{Action: x.a}
}

func (x *executor) execute(ctx context.Context, s Situation, ops []Op) outcome {
	if len(ops) == 1 && ops[0].Kind == OpCreate {
		return x.create(ctx, s)
	}
	if ops[0].Kind == OpDiscard {
		return x.discard(ctx, s, ops[0])
	}
	if s.Found == nil || ops[len(ops)-1].Kind == OpLeave && !ops[len(ops)-1].Record {
		return outcome{Action: x.a} // nothing to write, nothing to record
	}
	ref := *s.Found
	var entry tracker.LedgerEntry
	if s.Entry != nil {
		entry = *s.Entry
	}
	rec := tracker.LedgerEntry{Fingerprint: x.fp, MilestoneKey: x.j.Milestone.Key, Purpose: x.f.Finding.Purpose, Target: x.w.Target.Name(),
		State: tracker.LedgerComplete, Ref: ref, Created: entry.Created, Updated: entry.Updated, FirstFired: entry.FirstFired}
	if s.Entry == nil {
		rec.FirstFired = x.f.Finding.FiredAt
	}
	writes, wrote := 0, false
	for _, op := range ops {
		var err error
		switch op.Kind {
		case OpReopen:
			if err = x.w.Target.Reopen(ctx, ref); err != nil {
				return x.fail(tracker.ActionReopen, fmt.Errorf("reopening %s: %w", ref.ID, err))
			}
			rec.Ref.Open = true
		case OpUpdate:
			if err = x.w.Target.Update(ctx, ref, s.Draft); err != nil {
				what := "updating"
				if s.Entry != nil && s.Entry.State != tracker.LedgerComplete {
					what = "completing"
				}
				return x.fail(tracker.ActionUpdate, fmt.Errorf("%s %s: %w", what, ref.ID, err))
			}
			if rec.Created.IsZero() && s.Entry != nil && s.Entry.State != tracker.LedgerComplete {
				rec.Created = x.now
			}
			wrote = true
		case OpComment:
			if err = x.w.Target.Comment(ctx, ref, s.Draft.Comment); err != nil {
				return x.fail(tracker.ActionComment, fmt.Errorf("commenting on %s: %w", ref.ID, err))
			}
			wrote = true
		case OpLeave:
			continue
		default:
			return x.fail(actionKind[op.Kind], fmt.Errorf("op %s cannot follow others", op.Kind))
		}
		writes++
	}
	rec.Digest = ops[len(ops)-1].Digest
	if wrote {
		rec.Updated = x.now
		x.run.Acted(x.fp, x.now)
	}
	if writes == 0 && s.Entry != nil && sameEntry(*s.Entry, rec) {
		// Nothing was written and the ledger holds this record already:
		// an unchanged re-poll rewrote every ticket's entry as it was.
		return outcome{Action: x.a}
	}
	if err := x.st.LedgerPut(ctx, rec); err != nil {
		x.a.Err = fmt.Sprintf("recording %s in the ledger: %v", rec.Ref.ID, err)
	}
	x.a.Done = writes > 0 && x.a.Err == ""
	return outcome{Action: x.a, ops: writes}
}

// discard records, once, that the ticket is gone from its target: the
// ledger keeps it as discarded from now, and nothing is written.
func (x *executor) discard(ctx context.Context, s Situation, op Op) outcome {
	if !op.Record {
		return outcome{Action: x.a} // already recorded
	}
	rec := *s.Entry
	rec.State, rec.Updated = tracker.LedgerDiscarded, x.now
	if err := x.st.LedgerPut(ctx, rec); err != nil {
		return x.fail(tracker.ActionDiscarded, fmt.Errorf("recording %s as discarded: %w", rec.Ref.ID, err))
	}
	x.log.Info().Str("ticket", rec.Ref.ID).Msg("ticket gone from the target: recorded as discarded")
	x.a.Ref = rec.Ref
	return outcome{Action: x.a}
}

// create is the exactly-once protocol: record the intent (pending), create
// once, and after a create that failed without a clear answer, look for the
// ticket instead of trying again; a ticket found that way is recorded
// (created) and written once in full before it is complete.
func (x *executor) create(ctx context.Context, s Situation) outcome {
	var entry tracker.LedgerEntry
	if s.Entry != nil {
		entry = *s.Entry
	}
	rec := pendingEntry(x.f, x.w.Target.Name(), entry, s.Entry != nil)
	if err := x.st.LedgerPut(ctx, rec); err != nil {
		return x.fail(tracker.ActionCreate, fmt.Errorf("recording the intent to create: %w", err))
	}
	created, cerr := x.w.Target.Create(ctx, s.Draft)
	writes := 1
	if cerr != nil {
		// The create may have happened even though we got no answer.
		// Never send it again blindly: look for it instead.
		found, ferr := x.w.Target.Find(ctx, x.fp)
		if ferr != nil || found == nil {
			return x.fail(tracker.ActionCreate, fmt.Errorf("creating the ticket: %w (it will be looked for before any new attempt)", cerr))
		}
		x.log.Warn().Err(cerr).Str("ticket", found.ID).Msg("create reported an error but the ticket exists; recorded it")
		created = *found
		// The target may have stopped after the issue itself and before
		// its chart or labels: write it once in full (an update, never a
		// second create). If that fails the ledger stays at created and
		// the next run completes it.
		rec.State, rec.Ref = tracker.LedgerCreated, created
		if perr := x.st.LedgerPut(ctx, rec); perr != nil {
			x.log.Warn().Err(perr).Msg("could not record the ticket found after a failed create")
		}
		if uerr := x.w.Target.Update(ctx, created, s.Draft); uerr != nil {
			return x.fail(tracker.ActionCreate, fmt.Errorf("ticket %s exists but could not be completed: %w (the next run completes it)", created.ID, uerr))
		}
		writes++
	}
	rec.State, rec.Ref, rec.Digest, rec.Created, rec.Updated = tracker.LedgerComplete, created, s.Draft.Digest(), x.now, x.now
	if err := x.st.LedgerPut(ctx, rec); err != nil {
		// The ticket exists and carries its fingerprint: the next run
		// finds it, so nothing is duplicated; report the failure.
		return x.fail(tracker.ActionCreate, fmt.Errorf("ticket %s created but not recorded: %w", created.ID, err))
	}
	x.run.Acted(x.fp, x.now)
	x.a.Ref, x.a.Done = created, true
	x.log.Info().Str("ticket", created.ID).Msg("ticket created")
	return outcome{Action: x.a, ops: writes}
}

// history gathers what the drafts need to know about the past.
// recs is the milestone's forecast history when the caller has it (read),
// else it is read here.
func (w *Worker) history(ctx context.Context, st tracker.Store, f Firing, j Judged, entry tracker.LedgerEntry, haveEntry bool,
	recs []model.ForecastRecord, read bool) (DraftHistory, error) {
	h := DraftHistory{AgreedDates: w.Agreed[j.Milestone.Key]}
	var err error
	if !read {
		if recs, err = st.Forecasts(ctx, j.Milestone.Key); err != nil {
			return h, fmt.Errorf("reading forecast history: %w", err)
		}
	}
	h.Forecasts = recs
	notice := entry
	haveNotice := haveEntry
	if f.Finding.Purpose != model.PurposeClientNotice {
		notice, haveNotice, err = st.LedgerGet(ctx, model.Fingerprint(j.Milestone.Key, model.PurposeClientNotice))
		if err != nil {
			return h, fmt.Errorf("reading the ledger: %w", err)
		}
	}
	h.FirstDetected = f.Finding.FiredAt
	if haveNotice {
		if !notice.FirstFired.IsZero() {
			h.FirstDetected = notice.FirstFired
		}
		h.NoticeDrafted = notice.Created
		if (notice.State == tracker.LedgerComplete || notice.State == tracker.LedgerCreated) && notice.Ref.ID != "" {
			h.NoticeID, h.NoticeURL = notice.Ref.ID, notice.Ref.URL
		}
	}
	if haveEntry && !entry.Updated.IsZero() {
		// The forecast as it stood when this ticket was last written.
		for i := len(recs) - 1; i >= 0; i-- {
			if !recs[i].AsOf.After(entry.Updated) {
				r := recs[i]
				h.LastWritten = &r
				break
			}
		}
	}
	return h, nil
}

// noStore is "state: none": nothing is remembered, nothing is lost either,
// since the trackers carry the fingerprints.
type noStore struct{}

func (noStore) RuleState(context.Context) ([]byte, error)   { return nil, nil }
func (noStore) SaveRuleState(context.Context, []byte) error { return nil }
func (noStore) LedgerGet(context.Context, string) (tracker.LedgerEntry, bool, error) {
	return tracker.LedgerEntry{}, false, nil
}
func (noStore) LedgerPut(context.Context, tracker.LedgerEntry) error               { return nil }
func (noStore) AppendForecast(context.Context, string, model.ForecastRecord) error { return nil }
func (noStore) Forecasts(context.Context, string) ([]model.ForecastRecord, error)  { return nil, nil }
func (noStore) Close() error                                                       { return nil }

// readOnly lets a plan read state and silently keeps it from writing.
type readOnly struct{ tracker.Store }

func (readOnly) SaveRuleState(context.Context, []byte) error                        { return nil }
func (readOnly) LedgerPut(context.Context, tracker.LedgerEntry) error               { return nil }
func (readOnly) AppendForecast(context.Context, string, model.ForecastRecord) error { return nil }
