package app

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/forewarn/forewarn/connectors"
	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/notice"
	"github.com/forewarn/forewarn/internal/tracker"
	"github.com/forewarn/forewarn/internal/worker"
	"github.com/forewarn/forewarn/rules"
)

// drafter adapts the notice renderer to the worker.
type drafter struct{ r *notice.Renderer }

func (d drafter) Draft(req worker.DraftRequest, f model.Format) (model.Ticket, error) {
	return d.r.Render(notice.Request{
		Purpose:   req.Finding.Purpose,
		Finding:   req.Finding,
		Milestone: req.Milestone,
		Forecast:  req.Forecast,
		Client:    req.Client,
		History: notice.History{
			FirstDetected: req.History.FirstDetected,
			NoticeDrafted: req.History.NoticeDrafted,
			NoticeID:      req.History.NoticeID,
			NoticeURL:     req.History.NoticeURL,
			Forecasts:     req.History.Forecasts,
			LastWritten:   req.History.LastWritten,
			AgreedDates:   req.History.AgreedDates,
		},
		Now: req.Now,
	}, f)
}

// storeProxy is the conditional-request cache and the sync-state store the
// connectors are built with. Connectors are built once at load; the store
// opens per run, so the proxy points at the open store during a run and at
// nothing otherwise (`backtest -config` reads with no state).
type storeProxy struct {
	mu    sync.RWMutex
	cache connectors.Cache
	// queue holds the cache writes of the open store until they are
	// stored (nil: Put writes through).
	queue *cacheQueue
	state connectors.StateStore
	// prefix is put before every cache key and state namespace: a shard's
	// entries are its own.
	prefix string
	// readOnly: the open store keeps no sync state (a plan's).
	readOnly bool
}

type openStore interface {
	connectors.Cache
	connectors.StateStore
}

// set points the proxy at the store open for a run (readOnly: a plan's,
// which keeps no sync state), or at nothing. The cache writes queued for
// the store it pointed at are stored first, while the run still holds its
// locks.
func (p *storeProxy) set(s openStore, readOnly bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.queue != nil {
		p.queue.flush()
		p.queue = nil
	}
	if s == nil {
		p.cache, p.state, p.readOnly = nil, nil, false
		return
	}
	p.cache, p.state, p.readOnly = s, s, readOnly
	if b, ok := s.(connectors.CacheBatcher); ok && !readOnly {
		p.queue = newCacheQueue(b, queueLimit, queueBatch)
	}
}

func (p *storeProxy) Get(ctx context.Context, key string) (connectors.CacheEntry, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.cache == nil {
		return connectors.CacheEntry{}, false
	}
	if p.queue != nil {
		if e, ok := p.queue.get(p.prefix + key); ok {
			return e, true
		}
	}
	return p.cache.Get(ctx, p.prefix+key)
}

func (p *storeProxy) Put(ctx context.Context, key string, e connectors.CacheEntry) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.queue != nil {
		p.queue.put(p.prefix+key, e)
	} else if p.cache != nil {
		p.cache.Put(ctx, p.prefix+key, e)
	}
}

// namespace is the sync state of one connector: "source:<name>" or
// "target".
func (p *storeProxy) namespace(ns string) connectors.State { return stateView{p, ns} }

type stateView struct {
	p  *storeProxy
	ns string
}

func (v stateView) Load(ctx context.Context, key string) ([]byte, bool, error) {
	v.p.mu.RLock()
	defer v.p.mu.RUnlock()
	if v.p.state == nil {
		return nil, false, nil
	}
	return v.p.state.SyncState(ctx, v.p.prefix+v.ns, key)
}

func (v stateView) Save(ctx context.Context, key string, value []byte) error {
	v.p.mu.RLock()
	defer v.p.mu.RUnlock()
	if v.p.state == nil {
		return nil
	}
	return v.p.state.SaveSyncState(ctx, v.p.prefix+v.ns, key, value)
}

// ReadOnly: with no store open, or a plan's, Save keeps nothing.
func (v stateView) ReadOnly() bool {
	v.p.mu.RLock()
	defer v.p.mu.RUnlock()
	return v.p.state == nil || v.p.readOnly
}

func sortStrings(s []string) { sort.Strings(s) }

// ruleAdapter adapts a rules.Set to the worker's Rules.
type ruleAdapter struct{ set *rules.Set }

func (a ruleAdapter) Prepare(m model.Milestone) (model.Milestone, bool) { return a.set.Prepare(m) }
func (a ruleAdapter) Budget() int                                       { return a.set.Budget() }

func (a ruleAdapter) Open(blob []byte) (worker.RuleRun, error) {
	st, err := rules.UnmarshalState(blob)
	if err != nil {
		return nil, err
	}
	return &ruleRun{set: a.set, state: st}, nil
}

// ruleRun carries the rules state through one run.
type ruleRun struct {
	set   *rules.Set
	state rules.State
}

func (r *ruleRun) Evaluate(now time.Time, in []worker.Judged) worker.Evaluation {
	inputs := make([]rules.Input, len(in))
	for i, j := range in {
		inputs[i] = rules.Input{Milestone: j.Milestone, Forecast: j.Forecast, Client: j.Client}
	}
	res := r.set.Evaluate(now, inputs, r.state)
	r.state = res.State
	var ev worker.Evaluation
	if !res.Rewound.IsZero() {
		ev.Notes = append(ev.Notes, fmt.Sprintf("the clock (%s) is earlier than the stored rule state (%s): rules evaluated as a fresh run would, without that state; the stored state is kept",
			now.UTC().Format(time.RFC3339), res.Rewound.Format(time.RFC3339)))
	}
	for _, f := range res.Findings {
		ev.Firings = append(ev.Firings, worker.Firing{Finding: f, MayUpdate: res.MayUpdate[f.Fingerprint()]})
	}
	for _, s := range res.Suppressed {
		ev.Suppressed = append(ev.Suppressed, fmt.Sprintf("%s on %s: %s", s.Finding.Rule, s.Finding.MilestoneKey, s.Reason))
	}
	// A rule that fails at run time is not judged: the run reports it and
	// fails in part, so a notice cannot be missed silently.
	for _, err := range res.Errors {
		f := tracker.RuleFailure{Err: err.Error()}
		var ee *rules.EvalError
		if errors.As(err, &ee) {
			f.Rule, f.MilestoneKey = ee.Rule, ee.Milestone
		}
		ev.Failed = append(ev.Failed, f)
	}
	return ev
}

func (r *ruleRun) Acted(fp string, at time.Time) { r.state.Acted(fp, at) }
func (r *ruleRun) State() ([]byte, error)        { return r.state.Marshal() }
