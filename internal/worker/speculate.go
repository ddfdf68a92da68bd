package worker

import (
	"context"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/tracker"
)

// Drafting while other sources are still being read. Sources are read
// concurrently and the slowest one is the run's critical path; the others
// are judged while it is read, and then their cores would sit idle until
// it ends. So once a source is judged, the rules are evaluated on its
// milestones alone and their firings are drafted (in a run, with the PNG
// of a likely create) on those cores. A source that streams
// (tracker.Streamer: GitHub, a repository at a time) has each part it
// hands over judged and drafted the same way while it reads the next
// (judgedAhead), so even a run's only source leaves little to do once
// its last page is in.
//
// Nothing is decided from it. After the last source, the rules are
// evaluated on every milestone as always, and a draft made early is used
// only for a firing whose draft request is the same (drafting ahead
// checks, as it does for its own drafts); any other is drafted again. A
// rule's firing on one milestone does not depend on the others', so the
// early drafts are normally all used.

// speculation holds the drafts made while other sources were being read.
type speculation struct {
	w      *Worker
	st     tracker.Store
	blob   []byte // the rule state as the run began
	now    time.Time
	guess  bool // render the PNG of a firing the ledger knows no ticket for
	ctx    context.Context
	cancel context.CancelFunc
	slots  chan struct{} // drafting goroutines: all cores but the reading one
	wg     sync.WaitGroup

	mu     sync.Mutex
	drafts map[speculationKey]drafted
}

// speculationKey is the firing a draft was made for.
type speculationKey struct{ fingerprint, rule string }

// speculate prepares drafting while sources are read; nil (nothing is
// drafted early) with a single source that does not stream, or when the
// rule state cannot be read (the run reports that itself).
func (w *Worker) speculate(ctx context.Context, mode tracker.Mode, st tracker.Store, now time.Time, writeBudget int) *speculation {
	if len(w.Sources) < 2 && !slices.ContainsFunc(w.Sources, tracker.Streams) {
		return nil
	}
	blob, err := st.RuleState(ctx)
	if err != nil {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	return &speculation{w: w, st: st, blob: blob, now: now, ctx: ctx, cancel: cancel,
		guess: mode == tracker.ModeRun && writeBudget <= 0 && w.Store != nil,
		slots: make(chan struct{}, max(1, runtime.GOMAXPROCS(0)-1)), drafts: map[speculationKey]drafted{}}
}

// start drafts the firings of one source's judged milestones, in the
// background, unless the other sources have all been read (reading is 0):
// then the run goes on to its own drafting at once.
func (s *speculation) start(judged []Judged, reading int) {
	if s == nil || reading == 0 || len(judged) == 0 {
		return
	}
	s.wg.Go(func() {
		select {
		case s.slots <- struct{}{}:
			defer func() { <-s.slots }()
		case <-s.ctx.Done():
			return
		}
		run, err := s.w.Rules.Open(s.blob)
		if err != nil {
			return
		}
		byKey := make(map[string]int, len(judged))
		for i, j := range judged {
			byKey[j.Milestone.Key] = i
		}
		target := s.w.Target.Name()
		seen := map[string]bool{}
		for _, f := range run.Evaluate(s.now, judged).Firings {
			if s.ctx.Err() != nil {
				return
			}
			fp := f.Finding.Fingerprint()
			if seen[fp] {
				continue // drafted in the loop, after the first one's write
			}
			seen[fp] = true
			d, entry, have := s.w.prepare(s.ctx, s.st, f, judged[byKey[f.Finding.MilestoneKey]], s.now, drafted{})
			if !d.ok {
				continue
			}
			if s.guess && d.err == nil && !f.Finding.CommentOnly && (!have || entry.Target != target || entry.State == tracker.LedgerPending) {
				renderAttachments(&d.ticket)
			}
			s.mu.Lock()
			s.drafts[speculationKey{fp, f.Finding.Rule}] = d
			s.mu.Unlock()
		}
	})
}

// stop ends drafting (a draft under way is finished) and waits for it.
func (s *speculation) stop() {
	if s == nil {
		return
	}
	s.cancel()
	s.wg.Wait()
}

// take hands over the draft made early for a firing, if any (once).
func (s *speculation) take(f Firing) (drafted, bool) {
	if s == nil {
		return drafted{}, false
	}
	k := speculationKey{f.Finding.Fingerprint(), f.Finding.Rule}
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.drafts[k]
	delete(s.drafts, k)
	return d, ok
}

// judgedAhead holds the containers of a streaming source judged from the
// parts it handed over while it was still read (tracker.Streamer).
type judgedAhead struct {
	mu   sync.Mutex
	byCt map[container]aheadPart
}

// aheadPart is one container judged ahead: its milestones, the keys of
// the closed milestones its record was made of, and the judgements.
type aheadPart struct {
	keys, closed []string
	judged       []Judged
}

// judge forecasts a part's milestones, as judgeSource would, and keeps
// them by container; it returns them for drafting ahead.
func (a *judgedAhead) judge(w *Worker, name string, part tracker.FetchResult, now time.Time, dues dueLookup) []Judged {
	ms, closed := w.screen(name, part, nil)
	closed, _ = dues.promise(ms, closed) // an error is the source's to report (judgeSource)
	w.records(ms, closed, now)
	judged := w.forecastAll(ms, now, 1)
	keys, closedKeys := keysBy(ms), keysBy(closed)
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.byCt == nil {
		a.byCt = map[container]aheadPart{}
	}
	for ct, ks := range keys {
		var js []Judged
		for _, j := range judged {
			if containerOf(j.Milestone) == ct {
				js = append(js, j)
			}
		}
		a.byCt[ct] = aheadPart{keys: ks, closed: closedKeys[ct], judged: js}
	}
	return judged
}

// take returns the judgements made ahead of the containers whose
// milestones and record are those of the source's result, and the
// milestones left to judge.
func (a *judgedAhead) take(ms, closed []model.Milestone) (taken []Judged, rest []model.Milestone) {
	if a == nil {
		return nil, ms
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	keys, closedKeys := keysBy(ms), keysBy(closed)
	for _, m := range ms {
		ct := containerOf(m)
		p, ok := a.byCt[ct]
		if !ok || !slices.Equal(p.keys, keys[ct]) || !slices.Equal(p.closed, closedKeys[ct]) {
			rest = append(rest, m)
			continue
		}
		if m.Key == p.keys[0] { // once per container
			taken = append(taken, p.judged...)
		}
	}
	return taken, rest
}

// keysBy groups milestone keys by container, sorted.
func keysBy(ms []model.Milestone) map[container][]string {
	out := map[container][]string{}
	for _, m := range ms {
		ct := containerOf(m)
		out[ct] = append(out[ct], m.Key)
	}
	for _, ks := range out {
		slices.Sort(ks)
	}
	return out
}
