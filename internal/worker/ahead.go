package worker

import (
	"context"
	"reflect"
	"runtime"
	"sync"
	"time"

	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/tracker"
)

// Drafting ahead of the writer. Writes stay one at a time (GitHub asks for
// content-creating requests to be serial, and one writer keeps the
// ledger's pending → complete sequence simple), but a draft and its
// burn-down PNG cost more CPU than the requests that send them. So the
// firings are drafted on all cores but one (drafters), a bounded window ahead of the write
// loop, and in a run the PNG of a ticket that is about to be created is
// rendered there too; the loop then only decides and sends.
//
// Drafting starts before the batch lookup, which only says which charts a
// run renders ahead: until it answers, a firing the ledger knows no ticket
// for is taken for a create (guessed; a wrong guess costs a chart drawn or
// drawn later, never a write), and until the loop writes, one more
// goroutine drafts on the core the writer will need.
//
// A draft made ahead is used only when the request reconcile builds is the
// same (the ledger and history it read can change when an earlier firing
// of the run writes, e.g. a progress update naming the client notice just
// created); otherwise reconcile drafts again, as it always did.

// drafted is a draft made ahead for one firing.
type drafted struct {
	req    DraftRequest
	ticket model.Ticket
	err    error
	ok     bool // req and ticket/err are set
}

// ahead drafts the firings a window ahead of the loop that takes them.
type ahead struct {
	res      []drafted
	done     []chan struct{}
	window   chan struct{}
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	finished chan struct{} // closed when the drafters have stopped

	// The batch lookup's answer, as the charts to render ahead: png is
	// set before looked is closed (lookedUp).
	png    []bool
	looked chan struct{}
	// writing is closed when the loop takes its first draft.
	writing      chan struct{}
	startWriting sync.Once
}

// drafters is how many goroutines draft ahead on a machine of that many
// cores. A run drafts on all but one, so the write loop, whose requests
// are the run's critical path, finds a core free the moment an answer
// arrives. With every core drawing charts, each answer waited for the
// scheduler's next preemption (up to 10 ms): in a large run on 2 cores a
// create took 3–4 ms to be answered by an in-process fake that handles it
// in 0.3 ms. A plan writes nothing, so it drafts on every core, and so
// does a run until its loop starts writing (draftAhead).
func drafters(mode tracker.Mode, cores int) int {
	if mode == tracker.ModePlan {
		return max(1, cores)
	}
	return max(1, cores-1)
}

// aheadWindow is how many firings may be drafted before the loop takes
// them, per core: enough to keep every core busy (drafting goes on while
// the batch lookup is on the wire, before the loop takes any), few enough
// that the PNGs held (about 40 kB each) stay small at any scale.
const aheadWindow = 16

// draftAhead starts drafting; lookedUp gives it the batch lookup's answer.
// writeBudget is the operations budget (0: none): PNGs are rendered ahead
// for at most that many likely creates, so a budget that defers most
// firings does not pay for their charts (with a budget, or no state to
// guess from, a run's charts wait for the lookup).
func (w *Worker) draftAhead(ctx context.Context, mode tracker.Mode, st tracker.Store, firings []Firing, judged []Judged,
	byKey map[string]int, now time.Time, writeBudget int, spec *speculation) *ahead {
	ctx, cancel := context.WithCancel(ctx)
	cores := runtime.GOMAXPROCS(0)
	a := &ahead{res: make([]drafted, len(firings)), done: make([]chan struct{}, len(firings)),
		window: make(chan struct{}, aheadWindow*cores), cancel: cancel, finished: make(chan struct{}),
		png: make([]bool, len(firings)), looked: make(chan struct{}), writing: make(chan struct{})}
	for i := range a.done {
		a.done[i] = make(chan struct{})
	}
	// Only the first firing per fingerprint is drafted ahead: later ones
	// depend on what the first one writes.
	first := make([]bool, len(firings))
	seen := map[string]bool{}
	for i, f := range firings {
		if fp := f.Finding.Fingerprint(); !seen[fp] {
			seen[fp], first[i] = true, true
		}
	}
	guess := mode == tracker.ModeRun && writeBudget <= 0 && w.Store != nil
	jobs := make(chan int)
	a.wg.Go(func() {
		defer close(jobs)
		for i := range firings {
			select {
			case a.window <- struct{}{}:
			case <-ctx.Done():
				return
			}
			if !first[i] {
				close(a.done[i]) // drafted in the loop
				continue
			}
			select {
			case jobs <- i:
			case <-ctx.Done():
				return
			}
		}
	})
	draft := func(i int) {
		f := firings[i]
		early, _ := spec.take(f)
		d, entry, have := w.prepare(ctx, st, f, judged[byKey[f.Finding.MilestoneKey]], now, early)
		if mode == tracker.ModeRun && d.err == nil && !f.Finding.CommentOnly && a.chart(ctx, i, guess, entry, have, w.Target.Name()) {
			renderAttachments(&d.ticket)
		}
		a.res[i] = d
		close(a.done[i])
	}
	for range drafters(mode, cores) {
		a.wg.Go(func() {
			for i := range jobs {
				draft(i)
			}
		})
	}
	if mode == tracker.ModeRun && cores > 1 {
		a.wg.Go(func() {
			for {
				select {
				case <-a.writing:
					return
				case i, ok := <-jobs:
					if !ok {
						return
					}
					draft(i)
				}
			}
		})
	}
	go func() {
		a.wg.Wait()
		close(a.finished)
	}()
	return a
}

// lookedUp hands the batch lookup's answer (nil: none) to the drafters,
// before the loop starts (it changes known): a PNG for each firing the
// lookup did not find (a create), in order, up to the budget.
func (a *ahead) lookedUp(firings []Firing, known map[string]*model.TicketRef, writeBudget int) {
	seen := map[string]bool{}
	creates := 0
	for i, f := range firings {
		fp := f.Finding.Fingerprint()
		if seen[fp] {
			continue
		}
		seen[fp] = true
		if known != nil && known[fp] == nil && !f.Finding.CommentOnly && (writeBudget <= 0 || creates < writeBudget) {
			a.png[i] = true
			creates++
		}
	}
	close(a.looked)
}

// chart says whether to render firing i's PNG ahead: as the lookup says
// when it has answered (or guess is off: then it waits for it), else
// guessed from the ledger entry: no ticket recorded on this target is
// taken for a create.
func (a *ahead) chart(ctx context.Context, i int, guess bool, entry tracker.LedgerEntry, have bool, target string) bool {
	if guess {
		select {
		case <-a.looked:
			return a.png[i]
		default:
			return !have || entry.Target != target || entry.State == tracker.LedgerPending
		}
	}
	select {
	case <-a.looked:
		return a.png[i]
	case <-ctx.Done():
		return false
	}
}

// prepare drafts one firing as reconcile would (early, a draft made while
// sources were read, is used when its request is the same); it also
// returns the firing's ledger entry.
func (w *Worker) prepare(ctx context.Context, st tracker.Store, f Firing, j Judged, now time.Time, early drafted) (drafted, tracker.LedgerEntry, bool) {
	entry, haveEntry, err := st.LedgerGet(ctx, f.Finding.Fingerprint())
	if err != nil {
		return drafted{}, entry, false
	}
	hist, err := w.history(ctx, st, f, j, entry, haveEntry, nil, false)
	if err != nil {
		return drafted{}, entry, haveEntry
	}
	req := DraftRequest{Finding: f.Finding, Milestone: j.Milestone, Forecast: j.Forecast, Client: j.Client, History: hist, Now: now}
	ticket, err := w.draft(req, early)
	return drafted{req: req, ticket: ticket, err: err, ok: true}, entry, haveEntry
}

// renderAttachments makes a ticket's lazily made attachments (the PNG).
func renderAttachments(t *model.Ticket) {
	for k, at := range t.Attachments {
		if at.Data == nil && at.Make != nil {
			if data, err := at.Make(); err == nil {
				t.Attachments[k].Data = data
			}
		}
	}
}

// take waits for firing i's draft and frees its place in the window. Every
// firing is taken once, in order, or the run stops (close).
func (a *ahead) take(i int) drafted {
	a.startWriting.Do(func() { close(a.writing) })
	select {
	case <-a.done[i]:
	case <-a.finished: // stopped early (the run's context ended)
		select {
		case <-a.done[i]:
		default:
			return drafted{}
		}
	}
	select {
	case <-a.window:
	default:
	}
	d := a.res[i]
	a.res[i] = drafted{} // the loop holds it now; let the PNG go with it
	return d
}

// close stops drafting (the loop ended early or is done) and waits for
// the drafters.
func (a *ahead) close() {
	a.cancel()
	<-a.finished
}

// draft is Drafter.Draft, or the draft made ahead for the same request.
func (w *Worker) draft(req DraftRequest, pre drafted) (model.Ticket, error) {
	if pre.ok && reflect.DeepEqual(pre.req, req) {
		return pre.ticket, pre.err
	}
	return w.Drafter.Draft(req, w.Target.Format())
}
