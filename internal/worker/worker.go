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
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/forewarn/forewarn/internal/logx"
	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/tracker"
)

// Worker wires sources, the pure core and a target together.
type Worker struct {
	Sources  []tracker.Source
	Target   tracker.Target
	Store    tracker.Store // nil: no state between runs (the trackers carry the fingerprints)
	Forecast Forecaster
	Rules    Rules
	Drafter  Drafter
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

	judged := w.poll(ctx, now, &rep)

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

	// Remember forecasts (at most one a day per milestone) before drafting,
	// so drafts see today's record among the history.
	for _, j := range judged {
		if err := w.remember(ctx, st, j.Forecast); err != nil {
			rep.Notes = append(rep.Notes, fmt.Sprintf("could not record the forecast of %s: %v", j.Milestone.Key, err))
		}
	}

	firings := slices.Clone(ev.Firings)
	slices.SortStableFunc(firings, func(a, b Firing) int {
		return cmp.Or(cmp.Compare(a.Finding.MilestoneKey, b.Finding.MilestoneKey),
			cmp.Compare(purposeOrder(a.Finding.Purpose), purposeOrder(b.Finding.Purpose)),
			cmp.Compare(a.Finding.Rule, b.Finding.Rule))
	})
	known := w.prefetch(ctx, firings)
	budget := w.Rules.Budget()
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
	for _, f := range firings {
		if err := ctx.Err(); err != nil {
			rep.Notes = append(rep.Notes, "run interrupted: remaining findings left for the next run")
			break
		}
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
		a := w.reconcile(ctx, mode, st, run, f, j, now, known[fp])
		delete(known, fp) // a second firing on the ticket looks it up afresh
		if a.Kind != tracker.ActionNone && a.Kind != tracker.ActionDeferred {
			ops += a.ops
		}
		rep.Actions = append(rep.Actions, a.Action)
		prog.Add("tickets", "written", 1)
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

// poll reads every source concurrently, then prepares and forecasts every
// milestone. Unreadable milestones are reported and not judged.
func (w *Worker) poll(ctx context.Context, now time.Time, rep *tracker.Report) []Judged {
	results := make([]tracker.FetchResult, len(w.Sources))
	errs := make([]error, len(w.Sources))
	var wg sync.WaitGroup
	for i, s := range w.Sources {
		wg.Go(func() {
			results[i], errs[i] = s.Fetch(ctx)
		})
	}
	wg.Wait()

	var ms []model.Milestone
	for i, s := range w.Sources {
		if errs[i] != nil {
			w.Log.Error().Str("source", s.Name()).Err(errs[i]).Msg("source could not be read")
			rep.Failed = append(rep.Failed, tracker.FailureReport{Source: s.Name(), Err: errs[i].Error()})
			continue
		}
		for _, f := range results[i].Failed {
			w.Log.Warn().Str("source", s.Name()).Str("milestone", f.Key).Err(f.Err).Msg("milestone skipped: data unreadable")
			rep.Failed = append(rep.Failed, tracker.FailureReport{Source: s.Name(), Key: f.Key, Title: f.Title, Err: errString(f.Err)})
		}
		rep.Notes = append(rep.Notes, results[i].Notes...)
		for _, m := range results[i].Milestones {
			if m.Source == "" {
				m.Source = s.Name()
			}
			if dates := w.Agreed[m.Key]; len(dates) > 0 {
				m.AgreedDue = dates[len(dates)-1]
			}
			if err := w.validate(m); err != nil {
				// Bad data is refused, not judged: a notice drafted from
				// it would be wrong (a NaN forecast, "Dear nobody").
				w.Log.Warn().Str("source", s.Name()).Str("milestone", m.Key).Err(err).Msg("milestone skipped: invalid data")
				rep.Failed = append(rep.Failed, tracker.FailureReport{Source: s.Name(), Key: m.Key, Title: m.Title, Err: err.Error()})
				continue
			}
			prepared, skip := w.Rules.Prepare(m)
			if skip {
				rep.Notes = append(rep.Notes, fmt.Sprintf("%s is exempt (forewarn:ignore)", m.Key))
				continue
			}
			ms = append(ms, prepared)
		}
	}
	slices.SortFunc(ms, func(a, b model.Milestone) int { return cmp.Compare(a.Key, b.Key) })

	// Forecasting is CPU-bound and pure: spread it over the cores.
	out := make([]Judged, len(ms))
	next := make(chan int)
	var fw sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		fw.Go(func() {
			for i := range next {
				m := ms[i]
				out[i] = Judged{Milestone: m, Forecast: w.Forecast(m, now), Client: w.client(m.Client)}
			}
		})
	}
	for i := range ms {
		next <- i
	}
	close(next)
	fw.Wait()
	return out
}

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

func (w *Worker) remember(ctx context.Context, st tracker.Store, f model.Forecast) error {
	past, err := st.Forecasts(ctx, f.MilestoneKey)
	if err != nil {
		return err
	}
	if n := len(past); n > 0 && sameDay(past[n-1].AsOf, f.AsOf) {
		return nil
	}
	return st.AppendForecast(ctx, f.MilestoneKey, f.Record())
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
// (BatchFinder). A failure only costs the searches it would have saved.
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
	return found
}

// reconcile makes the target hold the ticket a firing asks for, exactly
// once: find by fingerprint, create only when nothing is found, and after
// a create that failed ambiguously, find again instead of retrying.
// known is the ticket a batch lookup found for it, if any.
func (w *Worker) reconcile(ctx context.Context, mode tracker.Mode, st tracker.Store, run RuleRun, f Firing, j Judged, now time.Time, known *model.TicketRef) outcome {
	fp := f.Finding.Fingerprint()
	a := tracker.Action{Fingerprint: fp, MilestoneKey: j.Milestone.Key, Purpose: f.Finding.Purpose, Rule: f.Finding.Rule, Target: w.Target.Name()}
	log := w.Log.With().Str("fingerprint", fp).Str("milestone", j.Milestone.Key).Str("purpose", string(f.Finding.Purpose)).Logger()
	fail := func(kind tracker.ActionKind, err error) outcome {
		a.Kind, a.Err = kind, err.Error()
		log.Error().Err(err).Str("action", string(kind)).Msg("ticket action failed")
		return outcome{Action: a}
	}

	entry, haveEntry, err := st.LedgerGet(ctx, fp)
	if err != nil {
		return fail(tracker.ActionCreate, fmt.Errorf("reading the ledger: %w", err))
	}
	hist, err := w.history(ctx, st, f, j, entry, haveEntry)
	if err != nil {
		return fail(tracker.ActionCreate, err)
	}
	ticket, err := w.Drafter.Draft(DraftRequest{Finding: f.Finding, Milestone: j.Milestone, Forecast: j.Forecast,
		Client: j.Client, History: hist, Now: now}, w.Target.Format())
	if err != nil {
		return fail(tracker.ActionCreate, fmt.Errorf("drafting: %w", err))
	}
	a.Title = ticket.Title

	ref := known
	if ref == nil {
		if ref, err = w.Target.Find(ctx, fp); err != nil {
			return fail(tracker.ActionCreate, fmt.Errorf("looking for the existing ticket: %w", err))
		}
	}

	if ref == nil {
		if f.Finding.CommentOnly {
			a.Kind, a.Reason = tracker.ActionNone, "no ticket to comment on yet"
			return outcome{Action: a}
		}
		a.Kind = tracker.ActionCreate
		if mode == tracker.ModePlan {
			return outcome{Action: a}
		}
		firstFired := f.Finding.FiredAt
		if haveEntry && !entry.FirstFired.IsZero() {
			firstFired = entry.FirstFired
		}
		pending := tracker.LedgerEntry{Fingerprint: fp, MilestoneKey: j.Milestone.Key, Purpose: f.Finding.Purpose,
			Target: w.Target.Name(), State: tracker.LedgerPending, FirstFired: firstFired}
		if err := st.LedgerPut(ctx, pending); err != nil {
			return fail(tracker.ActionCreate, fmt.Errorf("recording the intent to create: %w", err))
		}
		created, cerr := w.Target.Create(ctx, ticket)
		writes := 1
		if cerr != nil {
			// The create may have happened even though we got no answer.
			// Never send it again blindly: look for it instead.
			found, ferr := w.Target.Find(ctx, fp)
			if ferr != nil || found == nil {
				return fail(tracker.ActionCreate, fmt.Errorf("creating the ticket: %w (it will be looked for before any new attempt)", cerr))
			}
			log.Warn().Err(cerr).Str("ticket", found.ID).Msg("create reported an error but the ticket exists; recorded it")
			created = *found
			// The target may have stopped after the issue itself and
			// before its chart or labels: write it once in full (an
			// update, never a second create). If that fails the ledger
			// stays pending and the next run completes it.
			if uerr := w.Target.Update(ctx, created, ticket); uerr != nil {
				pending.Ref = created
				if perr := st.LedgerPut(ctx, pending); perr != nil {
					log.Warn().Err(perr).Msg("could not record the ticket found after a failed create")
				}
				return fail(tracker.ActionCreate, fmt.Errorf("ticket %s exists but could not be completed: %w (the next run completes it)", created.ID, uerr))
			}
			writes++
		}
		pending.State, pending.Ref, pending.Digest, pending.Created, pending.Updated = tracker.LedgerCreated, created, ticket.Digest(), now, now
		if err := st.LedgerPut(ctx, pending); err != nil {
			// The ticket exists and carries its fingerprint: the next run
			// finds it, so nothing is duplicated; report the failure.
			return fail(tracker.ActionCreate, fmt.Errorf("ticket %s created but not recorded: %w", created.ID, err))
		}
		run.Acted(fp, now)
		a.Ref, a.Done = created, true
		log.Info().Str("ticket", created.ID).Msg("ticket created")
		return outcome{Action: a, ops: writes}
	}

	a.Ref = *ref
	digest := ref.Digest
	if (digest == "" || ref.Edited) && haveEntry && entry.Digest != "" {
		// An edited ticket still carries the digest of forewarn's last
		// write; the ledger knows the last draft it considered, so one
		// change is reported once.
		digest = entry.Digest
	}
	rec := tracker.LedgerEntry{Fingerprint: fp, MilestoneKey: j.Milestone.Key, Purpose: f.Finding.Purpose, Target: w.Target.Name(),
		State: tracker.LedgerCreated, Ref: *ref, Digest: digest, Created: entry.Created, Updated: entry.Updated, FirstFired: entry.FirstFired}
	if !haveEntry {
		rec.FirstFired = f.Finding.FiredAt
	}
	ops := 0

	if !ref.Open {
		switch {
		case ref.WontDo:
			a.Kind, a.Reason = tracker.ActionNone, "closed as won't do: never reopened"
			return outcome{Action: a}
		case ref.ClosedAt.IsZero() || now.Sub(ref.ClosedAt) > w.ReopenWithin:
			a.Kind, a.Reason = tracker.ActionNone, "closed: the rule fires again, but not within the reopen window"
			return outcome{Action: a}
		}
		a.Kind, a.Reason = tracker.ActionReopen, fmt.Sprintf("closed %s ago and the rule fires again", now.Sub(ref.ClosedAt).Round(time.Hour))
		if mode == tracker.ModePlan {
			return outcome{Action: a}
		}
		if err := w.Target.Reopen(ctx, *ref); err != nil {
			return fail(tracker.ActionReopen, fmt.Errorf("reopening %s: %w", ref.ID, err))
		}
		ops++
		rec.Ref.Open = true
	}

	// A run created this ticket and did not live to record it (killed
	// between the create and the ledger, or it could not complete it):
	// the chart or labels may be missing, so write it once in full.
	if haveEntry && entry.State == tracker.LedgerPending && !f.Finding.CommentOnly {
		a.Kind, a.Reason = tracker.ActionUpdate, "completing a create that was interrupted"
		if mode == tracker.ModePlan {
			return outcome{Action: a}
		}
		if err := w.Target.Update(ctx, *ref, ticket); err != nil {
			return fail(tracker.ActionUpdate, fmt.Errorf("completing %s: %w", ref.ID, err))
		}
		if rec.Created.IsZero() {
			rec.Created = now
		}
		rec.Digest = ticket.Digest()
		return w.finish(ctx, st, run, a, rec, ops+1, now, true)
	}

	changed := digest != ticket.Digest()
	switch {
	case f.Finding.CommentOnly:
		if ticket.Comment == "" || !f.MayUpdate {
			a.Kind, a.Reason = kindOr(ops, tracker.ActionNone), "nothing new to say"
			return w.finish(ctx, st, run, a, rec, ops, now, false)
		}
		a.Kind = tracker.ActionComment
		if mode == tracker.ModePlan {
			return outcome{Action: a}
		}
		if err := w.Target.Comment(ctx, *ref, ticket.Comment); err != nil {
			return fail(tracker.ActionComment, fmt.Errorf("commenting on %s: %w", ref.ID, err))
		}
		return w.finish(ctx, st, run, a, rec, ops+1, now, true)
	case !changed:
		a.Kind, a.Reason = kindOr(ops, tracker.ActionNone), "up to date"
		return w.finish(ctx, st, run, a, rec, ops, now, false)
	case !f.MayUpdate:
		a.Kind, a.Reason = kindOr(ops, tracker.ActionNone), "changed, but the rule's repeat interval has not passed"
		return w.finish(ctx, st, run, a, rec, ops, now, false)
	}
	if ref.Edited {
		// A person has worked on this ticket (the notice asks them to):
		// never overwrite their words. Say what changed in a comment.
		rec.Digest = ticket.Digest()
		switch {
		case ticket.Comment == "":
			a.Kind, a.Reason = kindOr(ops, tracker.ActionNone), "edited by a person: left as it is (the change is not material)"
			return w.finish(ctx, st, run, a, rec, ops, now, false)
		case !haveEntry:
			// Without a ledger (state: none, or state lost) nothing would
			// remember the comment, and every run would post it again.
			a.Kind, a.Reason = kindOr(ops, tracker.ActionNone), "edited by a person: left as it is (no state store to remember a comment)"
			return w.finish(ctx, st, run, a, rec, ops, now, false)
		}
		a.Kind, a.Reason = tracker.ActionComment, "edited by a person: not overwritten; the change is in a comment"
		if mode == tracker.ModePlan {
			return outcome{Action: a}
		}
		if err := w.Target.Comment(ctx, *ref, ticket.Comment); err != nil {
			return fail(tracker.ActionComment, fmt.Errorf("commenting on %s: %w", ref.ID, err))
		}
		return w.finish(ctx, st, run, a, rec, ops+1, now, true)
	}
	a.Kind, a.Reason = tracker.ActionUpdate, "the draft changed"
	if ticket.Comment != "" {
		a.Reason = ticket.Comment
	}
	if mode == tracker.ModePlan {
		return outcome{Action: a}
	}
	if err := w.Target.Update(ctx, *ref, ticket); err != nil {
		return fail(tracker.ActionUpdate, fmt.Errorf("updating %s: %w", ref.ID, err))
	}
	ops++
	if ticket.Comment != "" {
		if err := w.Target.Comment(ctx, *ref, ticket.Comment); err != nil {
			return fail(tracker.ActionComment, fmt.Errorf("commenting on %s: %w", ref.ID, err))
		}
		ops++
	}
	rec.Digest = ticket.Digest()
	return w.finish(ctx, st, run, a, rec, ops, now, true)
}

func kindOr(ops int, k tracker.ActionKind) tracker.ActionKind {
	if ops > 0 {
		return tracker.ActionReopen
	}
	return k
}

// finish records the ticket in the ledger after a successful step.
func (w *Worker) finish(ctx context.Context, st tracker.Store, run RuleRun, a tracker.Action, rec tracker.LedgerEntry, ops int, now time.Time, wrote bool) outcome {
	if wrote {
		rec.Updated = now
		run.Acted(a.Fingerprint, now)
	}
	if err := st.LedgerPut(ctx, rec); err != nil {
		a.Err = fmt.Sprintf("recording %s in the ledger: %v", rec.Ref.ID, err)
	}
	a.Done = ops > 0 && a.Err == ""
	return outcome{Action: a, ops: ops}
}

// history gathers what the drafts need to know about the past.
func (w *Worker) history(ctx context.Context, st tracker.Store, f Firing, j Judged, entry tracker.LedgerEntry, haveEntry bool) (DraftHistory, error) {
	h := DraftHistory{AgreedDates: w.Agreed[j.Milestone.Key]}
	recs, err := st.Forecasts(ctx, j.Milestone.Key)
	if err != nil {
		return h, fmt.Errorf("reading forecast history: %w", err)
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
		if notice.State == "created" && notice.Ref.ID != "" {
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
