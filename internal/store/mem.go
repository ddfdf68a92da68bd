package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/forewarn/forewarn/connectors"
	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/tracker"
)

// memStore is driver "none": it behaves like the other stores for as long
// as it is open, and forgets everything on Close. Each run opens its own,
// so nothing carries from one run to the next.
type memStore struct {
	ns        string
	mu        sync.Mutex
	closed    bool
	rules     map[string][]byte // by scope
	ledger    map[string]tracker.LedgerEntry
	forecasts map[string]map[int64]model.ForecastRecord
	dues      map[string][]model.DueSeen // oldest first
	cache     map[string]connectors.CacheEntry
	sync      map[[2]string][]byte // by namespace and key
	runs      []Run
}

func newMemStore(ns string) *memStore {
	return &memStore{
		ns:        ns,
		rules:     map[string][]byte{},
		ledger:    map[string]tracker.LedgerEntry{},
		forecasts: map[string]map[int64]model.ForecastRecord{},
		dues:      map[string][]model.DueSeen{},
		cache:     map[string]connectors.CacheEntry{},
		sync:      map[[2]string][]byte{},
	}
}

// processLocks are driver none's run locks, one per namespace: they keep
// two runs in one process (serve mode) apart. Separate processes are not
// kept apart: with no shared state, use the scheduler's own guard (cron's
// flock, Kubernetes' concurrencyPolicy: Forbid).
var (
	processLocksMu sync.Mutex
	processLocks   = map[string]chan struct{}{}
)

func processLock(key string) chan struct{} {
	processLocksMu.Lock()
	defer processLocksMu.Unlock()
	c := processLocks[key]
	if c == nil {
		c = make(chan struct{}, 1)
		processLocks[key] = c
	}
	return c
}

func (m *memStore) Driver() string { return DriverNone }

func (m *memStore) Namespace() string { return m.ns }

func (m *memStore) Lock(ctx context.Context, wait time.Duration, units ...string) (*Lease, error) {
	units = unitList(units)
	if len(units) == 0 {
		units = []string{""}
	}
	start := time.Now()
	deadline := start.Add(wait)
	var held []chan struct{}
	releaseAll := func() error {
		for _, c := range held {
			<-c
		}
		return nil
	}
	for _, u := range units {
		lock := processLock(m.ns + "\x00" + u)
		ok, err := poll(ctx, time.Until(deadline), func(context.Context) (bool, error) {
			select {
			case lock <- struct{}{}:
				return true, nil
			default:
				return false, nil
			}
		})
		if err != nil || !ok {
			releaseAll()
			if err != nil {
				return nil, fmt.Errorf("taking the run lock: %w", err)
			}
			where := "process lock"
			if u != "" {
				where += " of unit " + u
			}
			return nil, &LockedError{Driver: DriverNone, Where: where, Waited: time.Since(start)}
		}
		held = append(held, lock)
	}
	return newLocalLease("none\x00"+m.ns, releaseAll), nil
}

func (m *memStore) check() error {
	if m.closed {
		return errClosed
	}
	return nil
}

func (m *memStore) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	return nil
}

func (m *memStore) RuleState(ctx context.Context) ([]byte, error) {
	b, _, err := m.ScopeRuleState(ctx, "")
	return b, err
}

func (m *memStore) SaveRuleState(ctx context.Context, b []byte) error {
	return m.SaveScopeRuleState(ctx, "", b)
}

func (m *memStore) ScopeRuleState(_ context.Context, scope string) ([]byte, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(); err != nil {
		return nil, false, err
	}
	b, ok := m.rules[scope]
	return clone(b), ok, nil
}

func (m *memStore) SaveScopeRuleState(_ context.Context, scope string, b []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(); err != nil {
		return err
	}
	b = clone(b)
	if b == nil {
		b = []byte{}
	}
	m.rules[scope] = b
	return nil
}

func (m *memStore) RuleStates(context.Context) ([][]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(); err != nil {
		return nil, err
	}
	var out [][]byte
	for _, b := range m.rules {
		out = append(out, clone(b))
	}
	return out, nil
}

func (m *memStore) LedgerGet(_ context.Context, fp string) (tracker.LedgerEntry, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(); err != nil {
		return tracker.LedgerEntry{}, false, err
	}
	e, ok := m.ledger[fp]
	return e, ok, nil
}

func (m *memStore) LedgerPut(_ context.Context, e tracker.LedgerEntry) error {
	if e.Fingerprint == "" {
		return errors.New("ledger: an entry needs a fingerprint")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(); err != nil {
		return err
	}
	e.Created, e.Updated, e.FirstFired = utc(e.Created), utc(e.Updated), utc(e.FirstFired)
	e.Ref.ClosedAt = utc(e.Ref.ClosedAt)
	m.ledger[e.Fingerprint] = e
	return nil
}

// LedgerPutAll records the entries at once: all of them or none.
func (m *memStore) LedgerPutAll(ctx context.Context, es []tracker.LedgerEntry) error {
	for _, e := range es {
		if e.Fingerprint == "" {
			return errors.New("ledger: an entry needs a fingerprint")
		}
	}
	for _, e := range es {
		if err := m.LedgerPut(ctx, e); err != nil {
			return err
		}
	}
	return nil
}

func (m *memStore) AppendForecast(_ context.Context, key string, r model.ForecastRecord) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(); err != nil {
		return err
	}
	if m.forecasts[key] == nil {
		m.forecasts[key] = map[int64]model.ForecastRecord{}
	}
	r.AsOf, r.P50, r.P85, r.P95 = utc(r.AsOf), utc(r.P50), utc(r.P85), utc(r.P95)
	m.forecasts[key][r.AsOf.UnixNano()] = r
	return nil
}

func (m *memStore) AppendForecasts(ctx context.Context, fs []tracker.KeyedForecast) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(); err != nil {
		return err
	}
	for _, f := range fs {
		r := f.Record
		if m.forecasts[f.MilestoneKey] == nil {
			m.forecasts[f.MilestoneKey] = map[int64]model.ForecastRecord{}
		}
		r.AsOf, r.P50, r.P85, r.P95 = utc(r.AsOf), utc(r.P50), utc(r.P85), utc(r.P95)
		m.forecasts[f.MilestoneKey][r.AsOf.UnixNano()] = r
	}
	return nil
}

func (m *memStore) NoteDues(_ context.Context, seen time.Time, dues []tracker.KeyedDue) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(); err != nil {
		return err
	}
	for _, d := range dues {
		due := utc(d.Due)
		if !slices.ContainsFunc(m.dues[d.MilestoneKey], func(x model.DueSeen) bool { return x.Due.Equal(due) }) {
			m.dues[d.MilestoneKey] = append(m.dues[d.MilestoneKey], model.DueSeen{Due: due, Seen: utc(seen)})
		}
	}
	return nil
}

func (m *memStore) DuesSeen(_ context.Context, keys []string) (map[string][]model.DueSeen, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(); err != nil {
		return nil, err
	}
	out := map[string][]model.DueSeen{}
	for _, k := range keys {
		if ds := m.dues[k]; len(ds) > 0 {
			out[k] = slices.Clone(ds)
		}
	}
	return out, nil
}

func (m *memStore) LatestForecastTimes(_ context.Context, keys []string) (map[string]time.Time, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(); err != nil {
		return nil, err
	}
	out := make(map[string]time.Time, len(keys))
	for _, key := range keys {
		for _, r := range m.forecasts[key] {
			if t, ok := out[key]; !ok || r.AsOf.After(t) {
				out[key] = r.AsOf
			}
		}
	}
	return out, nil
}

func (m *memStore) Forecasts(_ context.Context, key string) ([]model.ForecastRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(); err != nil {
		return nil, err
	}
	var out []model.ForecastRecord
	for _, r := range m.forecasts[key] {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].AsOf.Before(out[j].AsOf) })
	return out, nil
}

func (m *memStore) ForecastAt(ctx context.Context, key string, t time.Time) (model.ForecastRecord, bool, error) {
	recs, err := m.Forecasts(ctx, key)
	if err != nil {
		return model.ForecastRecord{}, false, err
	}
	for i := len(recs) - 1; i >= 0; i-- {
		if !recs[i].AsOf.After(t) {
			return recs[i], true, nil
		}
	}
	return model.ForecastRecord{}, false, nil
}

func (m *memStore) StartRun(_ context.Context, mode, scope string, started time.Time) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(); err != nil {
		return 0, err
	}
	for i := range m.runs {
		if m.runs[i].Outcome == OutcomeRunning && m.runs[i].Scope == scope {
			m.runs[i].Outcome = OutcomeAbandoned
		}
	}
	id := int64(len(m.runs) + 1)
	m.runs = append(m.runs, Run{ID: id, Mode: mode, Scope: scope, Started: utc(started), Outcome: OutcomeRunning})
	return id, nil
}

func (m *memStore) FinishRun(_ context.Context, id int64, r RunResult) error {
	if r.Outcome == "" || r.Outcome == OutcomeRunning {
		return fmt.Errorf("run log: finishing run %d needs an outcome", id)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(); err != nil {
		return err
	}
	if id < 1 || id > int64(len(m.runs)) {
		return fmt.Errorf("run log: no run %d", id)
	}
	run := &m.runs[id-1]
	run.Ended, run.Outcome, run.Error = utc(r.Ended), r.Outcome, cut(r.Error, 2000)
	run.Counts = nil
	if len(r.Counts) > 0 {
		run.Counts = make(map[string]int, len(r.Counts))
		for k, v := range r.Counts {
			run.Counts[k] = v
		}
	}
	return nil
}

func (m *memStore) Runs(_ context.Context, limit int) ([]Run, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(); err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = 100
	}
	var out []Run
	for i := len(m.runs) - 1; i >= 0 && len(out) < limit; i-- {
		out = append(out, m.runs[i])
	}
	return out, nil
}

func (m *memStore) SyncState(_ context.Context, namespace, key string) ([]byte, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(); err != nil {
		return nil, false, err
	}
	b, ok := m.sync[[2]string{namespace, key}]
	if !ok {
		return nil, false, nil
	}
	return append([]byte{}, b...), true, nil
}

func (m *memStore) SaveSyncState(_ context.Context, namespace, key string, value []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(); err != nil {
		return err
	}
	m.sync[[2]string{namespace, key}] = append([]byte{}, value...)
	return nil
}

func (m *memStore) Get(_ context.Context, key string) (connectors.CacheEntry, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return connectors.CacheEntry{}, false
	}
	e, ok := m.cache[key]
	if ok {
		e.Body = clone(e.Body)
		if e.Body == nil {
			e.Body = []byte{}
		}
		e.Header = e.Header.Clone()
	}
	return e, ok
}

func (m *memStore) Put(_ context.Context, key string, e connectors.CacheEntry) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return
	}
	e.Body = clone(e.Body)
	e.Header = e.Header.Clone()
	m.cache[key] = e
}

// PutAll stores each entry as Put does.
func (m *memStore) PutAll(ctx context.Context, entries []connectors.KeyedEntry) {
	for _, e := range entries {
		m.Put(ctx, e.Key, e.Entry)
	}
}

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte{}, b...)
}

func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}
