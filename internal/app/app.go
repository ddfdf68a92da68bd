// Package app wires forewarn together: it loads and validates the
// configuration, the rules and the templates in one pass (every problem
// reported at once, before anything is written), builds the connectors, and
// runs the worker with the state store and its lock.
package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"go.yaml.in/yaml/v3"

	forewarn "github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/connectors"
	"github.com/forewarn/forewarn/connectors/file"
	"github.com/forewarn/forewarn/internal/config"
	"github.com/forewarn/forewarn/internal/diag"
	"github.com/forewarn/forewarn/internal/forecast"
	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/notice"
	"github.com/forewarn/forewarn/internal/report"
	"github.com/forewarn/forewarn/internal/store"
	"github.com/forewarn/forewarn/internal/tracker"
	"github.com/forewarn/forewarn/internal/worker"
	"github.com/forewarn/forewarn/internal/yamlx"
	"github.com/forewarn/forewarn/rules"
)

// Options configure Load.
type Options struct {
	ConfigPath string
	// RulesPath, when set, replaces the rules file the configuration names
	// (the Action's rules input).
	RulesPath string
	Log       zerolog.Logger
	Getenv    func(string) string // secrets are read through it; default os.Getenv
	Now       func() time.Time    // default: the config's as_of, else time.Now
	// Observe and RateLimit feed metrics (serve mode); nil means none.
	Observe   func(tracker, method, route string, status int)
	RateLimit func(tracker string, remaining int)
	// Transport is the innermost HTTP transport of the connectors (tests).
	Transport http.RoundTripper
	// Shard is this worker's part of the work when several share one
	// state (--shard i/N); zero: all of it.
	Shard Shard
}

// App is a loaded configuration, ready to run any number of times.
type App struct {
	Config   *config.Config
	Rules    *rules.Set
	opts     Options
	storeCfg store.Config
	forecast forecast.Options
	drafts   *notice.Renderer
	report   report.Options
	sources  []tracker.Source
	parts    []part // the sources cut to the shard (sharded only)
	target   tracker.Target
	cache    *storeProxy
}

// LockedError says another run holds the lock (the message says which
// and how long we waited).
type LockedError struct{ Err error }

func (e *LockedError) Error() string { return e.Err.Error() }
func (e *LockedError) Unwrap() error { return e.Err }

// Load reads and validates everything. Problems with the user's files come
// back as one *diag.List. Load does no tracker I/O and writes nothing.
func Load(ctx context.Context, o Options) (*App, error) {
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	l := &diag.List{}
	cfg, err := config.Load(o.ConfigPath)
	if err != nil {
		var dl *diag.List
		if cfg == nil || !errors.As(err, &dl) {
			return nil, err
		}
		// The file is YAML but has problems: check its sections too, so
		// every problem is reported at once.
		l.Items = append(l.Items, dl.Items...)
	}
	if o.Now == nil {
		o.Now = time.Now
		if at := cfg.AsOf; !at.IsZero() {
			o.Now = func() time.Time { return at }
		}
	}
	if o.RulesPath != "" {
		cfg.RulesPath = o.RulesPath
	}
	a := &App{Config: cfg, opts: o, cache: &storeProxy{}}

	// Rules: their own file, their own diagnostics, merged into one report.
	if rs, err := loadRules(cfg.RulesPath); err != nil {
		var dl *diag.List
		if !errors.As(err, &dl) {
			return nil, fmt.Errorf("loading rules: %w", err)
		}
		l.Items = append(l.Items, dl.Items...)
	} else {
		a.Rules = rs
	}

	section := func(key string, n *yaml.Node, out any) {
		if n == nil || n.Kind == 0 {
			return
		}
		yamlx.DecodeAt(cfg.Path, n, out, "", key, l)
		if v, ok := out.(interface{ Validate() error }); ok {
			if err := v.Validate(); err != nil {
				for _, e := range split(err) {
					at, msg := keyOf(n, e)
					l.Add(cfg.Path, at, "", "%s%s", key, msg)
				}
			}
		}
	}
	section("forecast", cfg.Forecast, &a.forecast)
	explicitZeros(cfg.Path, "forecast", cfg.Forecast, &a.forecast, l)
	section("state", cfg.State, &a.storeCfg)
	a.storeCfg = a.storeCfg.Resolve(cfg.Dir)
	section("report", cfg.Report, &a.report)
	if a.report.Path != "" && !filepath.IsAbs(a.report.Path) {
		a.report.Path = filepath.Join(cfg.Dir, a.report.Path)
	}
	var dopts notice.Options
	before := l.Len()
	section("drafts", cfg.Drafts, &dopts)
	explicitZeros(cfg.Path, "drafts", cfg.Drafts, &dopts, l)
	draftsBad := l.Len() > before
	if dopts.TemplateDir != "" && !filepath.IsAbs(dopts.TemplateDir) {
		dopts.TemplateDir = filepath.Join(cfg.Dir, dopts.TemplateDir)
	}
	if r, err := notice.New(dopts); err != nil {
		var dl *diag.List
		if errors.As(err, &dl) {
			l.Items = append(l.Items, dl.Items...)
		} else if !draftsBad { // else: Validate said it already
			l.Add(cfg.Path, orRoot(cfg.Drafts), "", "drafts: %v", err)
		}
	} else {
		a.drafts = r
	}

	env := connectors.Env{Log: o.Log, Dir: cfg.Dir, Getenv: o.Getenv, Cache: a.cache, Now: o.Now,
		Transport: o.Transport, Observe: o.Observe, RateLimit: o.RateLimit, KnownClient: cfg.KnownClient}
	env.History.Count, env.History.Months = a.forecast.History.Window()
	for i, s := range cfg.Sources {
		f, ok := sourceKinds[s.Kind]
		what := fmt.Sprintf("sources[%d] (%s): %s", i, s.Name, s.Kind)
		if !ok {
			l.Add(cfg.Path, s.Node, "", "%s: %v (this build knows: %s)", what, errUnknownKind, known(sourceKinds))
			continue
		}
		senv := env
		senv.Log = o.Log.With().Str("source", s.Name).Logger()
		senv.State = a.cache.namespace("source:" + s.Name)
		if src := f.build(build{file: cfg.Path, what: what, key: fmt.Sprintf("sources[%d].%s", i, s.Kind), name: s.Name, node: s.Node, env: senv, diags: l}); src != nil {
			a.sources = append(a.sources, progressSource{src})
		}
	}
	if cfg.Target.Kind != "" {
		tenv := env
		tenv.State = a.cache.namespace("target")
		f, ok := targetKinds[cfg.Target.Kind]
		what := "target: " + cfg.Target.Kind
		if !ok {
			l.Add(cfg.Path, cfg.Target.Node, "", "%s: %v (this build knows: %s)", what, errUnknownKind, known(targetKinds))
		} else if t := f.build(build{file: cfg.Path, what: what, key: "target." + cfg.Target.Kind, node: cfg.Target.Node, env: tenv, diags: l}); t != nil {
			a.target = t
		}
	}
	if err := l.Err(); err != nil {
		return nil, err
	}
	if o.Shard.sharded() {
		a.parts = o.Shard.split(a.sources)
		// Each shard keeps its own conditional-request cache entries and
		// connector sync state: they describe its milestones only.
		a.cache.prefix = "shard " + o.Shard.String() + "|"
	}
	return a, nil
}

// loadRules reads the rules file, or the built-in rules.
func loadRules(path string) (*rules.Set, error) {
	if path == config.BuiltinRules {
		return rules.Parse(path, forewarn.DefaultRules)
	}
	return rules.Load(path)
}

func known[V any](m map[string]V) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sortStrings(ks)
	return strings.Join(ks, ", ")
}

// Summary is what `forewarn check` prints for a valid configuration.
func (a *App) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: ok\n", a.Config.Path)
	fmt.Fprintf(&b, "  sources: %d (", len(a.sources))
	for i, s := range a.Config.Sources {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s: %s", s.Name, s.Kind)
	}
	fmt.Fprintf(&b, ")\n  target: %s\n  clients: %d\n  state: %s\n", a.Config.Target.Kind, len(a.Config.Clients), a.storeDriver())
	if a.opts.Shard.sharded() {
		var units []string
		for _, p := range a.parts {
			units = append(units, p.unit)
		}
		if len(units) == 0 {
			units = []string{"none: nothing in this shard"}
		}
		fmt.Fprintf(&b, "  shard: %s (units: %s)\n", a.opts.Shard, strings.Join(units, ", "))
	}
	fmt.Fprintf(&b, "%s: ok\n%s", a.Config.RulesPath, strings.TrimRight(a.Rules.Summary(), "\n"))
	return b.String()
}

// storeDriver is the state line of check: the driver and the namespace.
func (a *App) storeDriver() string {
	d := a.storeCfg.Driver
	if d == "" {
		d = "sqlite"
	}
	ns := a.storeCfg.Namespace
	if ns == "" {
		ns = "(default)"
	}
	return d + ", namespace " + ns
}

// TargetHint tells people where to find the tickets (the outbox folder).
func (a *App) TargetHint() string {
	if o, ok := a.target.(*file.Outbox); ok {
		return o.Dir()
	}
	return a.target.Name()
}

// Close releases what Load acquired (nothing yet: stores open per run).
func (a *App) Close() error { return nil }

// Run performs one pass. In run mode it opens the state store and holds
// the locks of its units of work for the whole pass — the installation's
// one lock when unsharded, one per source's share of the shard otherwise —
// and claims every milestone before judging it, so no two workers ever act
// on one milestone; a plan opens the store read-only (creating nothing)
// and takes no lock.
func (a *App) Run(ctx context.Context, mode tracker.Mode) (tracker.Report, error) {
	return a.run(ctx, mode, nil)
}

// RunPortfolio is Run plus the portfolio page's data: the report with the
// forecast each milestone had a week earlier, read from the store while
// the run holds it open.
func (a *App) RunPortfolio(ctx context.Context, mode tracker.Mode) (tracker.Report, report.Portfolio, error) {
	var p report.Portfolio
	rep, err := a.run(ctx, mode, func(ctx context.Context, st store.Store, rep *tracker.Report) {
		p = a.portfolio(ctx, st, rep)
	})
	return rep, p, err
}

// Report is the report: section (Path made absolute; empty when unset).
func (a *App) Report() report.Options { return a.report }

// portfolio reads each milestone's forecast of a week earlier: the latest
// one made before the start of the calendar day report.WeekAgo-1 days
// back, so a daily run a week ago counts whatever its hour. A history that
// cannot be read leaves the change column empty and a note in the report;
// the page is still written.
func (a *App) portfolio(ctx context.Context, st store.Store, rep *tracker.Report) report.Portfolio {
	cutoff := model.Day(rep.Started).AddDate(0, 0, -(report.WeekAgo - 1)).Add(-time.Nanosecond)
	past := make(map[string]model.ForecastRecord, len(rep.Milestones))
	for _, mr := range rep.Milestones {
		r, ok, err := st.ForecastAt(ctx, mr.Milestone.Key, cutoff)
		if err != nil {
			rep.Notes = append(rep.Notes, fmt.Sprintf("portfolio page: could not read the forecasts of a week ago: %v", err))
			past = nil
			break
		}
		if ok {
			past[mr.Milestone.Key] = r
		}
	}
	return report.Build(report.Input{Report: *rep, Client: a.Config.Client, WeekAgo: past, Locale: a.report.Locale})
}

func (a *App) run(ctx context.Context, mode tracker.Mode, after func(context.Context, store.Store, *tracker.Report)) (rep tracker.Report, err error) {
	ctx = a.opts.Log.WithContext(ctx)
	open, readOnly := store.Open, mode == tracker.ModePlan
	if readOnly {
		open = store.OpenReadOnly
	}
	sources, units, scope := a.sources, []string(nil), a.opts.Shard.String()
	if a.opts.Shard.sharded() {
		sources = nil
		for _, p := range a.parts {
			sources = append(sources, p.src)
			units = append(units, p.unit)
		}
		if len(units) == 0 {
			now := a.opts.Now().UTC()
			return tracker.Report{Mode: mode, Started: now, Finished: now,
				Notes: []string{fmt.Sprintf("shard %s holds no milestone, fix version or board: nothing to judge", scope)}}, nil
		}
	}
	st, err := open(ctx, a.storeCfg, a.opts.Getenv)
	if err != nil {
		return tracker.Report{}, fmt.Errorf("opening the state store: %w", err)
	}
	defer st.Close()
	var ws tracker.Store = st
	if scope != "" {
		ws = scopedRules{st, a.opts.Shard.ruleScope()}
	}
	if mode == tracker.ModeRun {
		lease, err := st.Lock(ctx, a.storeCfg.Wait(), units...)
		if err != nil {
			return tracker.Report{}, &LockedError{Err: err}
		}
		defer lease.Release()
		claimed := make([]tracker.Source, len(sources))
		for i, s := range sources {
			claimed[i] = claiming{s, lease}
		}
		sources = claimed
		runID, err := st.StartRun(ctx, string(mode), scope, a.opts.Now().UTC())
		if err != nil {
			return tracker.Report{}, fmt.Errorf("opening the run log: %w", err)
		}
		defer func() { a.finishRun(ctx, st, runID, rep, err) }()
	}
	a.cache.set(st, readOnly)
	defer a.cache.set(nil, false)
	w := &worker.Worker{
		Sources:      sources,
		Target:       a.target,
		Store:        ws,
		Forecast:     a.forecaster(),
		Record:       a.recorder(),
		Rules:        ruleAdapter{a.Rules},
		Drafter:      drafter{a.drafts},
		Client:       a.Config.Client,
		KnownClient:  a.Config.KnownClient,
		Agreed:       a.Config.Agreed,
		ReopenWithin: a.Config.ReopenWithin,
		Now:          a.opts.Now,
		Log:          a.opts.Log,
	}
	rep, err = w.Run(ctx, mode)
	if err == nil && after != nil {
		after(ctx, st, &rep)
	}
	return rep, err
}

// finishRun closes the run log entry with the outcome and counts.
func (a *App) finishRun(ctx context.Context, st store.Store, id int64, rep tracker.Report, err error) {
	res := store.RunResult{Ended: a.opts.Now().UTC(), Outcome: store.OutcomeOK, Counts: map[string]int{
		"milestones": len(rep.Milestones), "not_judged": len(rep.Failed),
		"created": rep.Count(tracker.ActionCreate), "updated": rep.Count(tracker.ActionUpdate),
		"commented": rep.Count(tracker.ActionComment), "reopened": rep.Count(tracker.ActionReopen),
	}}
	switch {
	case err != nil:
		res.Outcome, res.Error = store.OutcomeFailed, err.Error()
	case rep.Partial():
		res.Outcome = store.OutcomePartial
	}
	if ferr := st.FinishRun(context.WithoutCancel(ctx), id, res); ferr != nil {
		a.opts.Log.Warn().Err(ferr).Msg("could not close the run log entry")
	}
}

func (a *App) forecaster() worker.Forecaster {
	opts := a.forecast
	return func(m model.Milestone, now time.Time) model.Forecast { return forecast.Compute(m, now, opts) }
}

func (a *App) recorder() worker.Recorder {
	opts := a.forecast
	return func(closed []model.Milestone, m model.Milestone, now time.Time) *model.TeamRecord {
		return forecast.TeamRecordOf(closed, m, now, opts)
	}
}

// orRoot is n, or the top of the file when the section is absent.
func orRoot(n *yaml.Node) *yaml.Node {
	if n != nil {
		return n
	}
	return &yaml.Node{Line: 1, Column: 1}
}

// Milestones reads every configured source once, for `forewarn backtest
// -config`: the milestones as the sources report them (closed ones
// included, as far as each source returns them, and the closed ones read
// for the team's record, forecast.history), the moment they were read,
// the configured forecast options, and a note per milestone or source that
// could not be read. Each milestone whose due date the tracker moved later
// after work started, when earlier runs saw the first one, carries it
// (PromisedDue), read from the state store opened read-only. It writes
// nothing.
func (a *App) Milestones(ctx context.Context) ([]model.Milestone, time.Time, forecast.Options, []string, error) {
	var ms []model.Milestone
	var notes []string
	for _, s := range a.sources {
		res, err := s.Fetch(ctx)
		if err != nil {
			notes = append(notes, fmt.Sprintf("source %s not read: %v", s.Name(), err))
			continue
		}
		ms = append(ms, res.Milestones...)
		ms = append(ms, res.History...) // closed milestones read for the team's record: outcomes known
		for _, f := range res.Failed {
			notes = append(notes, fmt.Sprintf("%s %s not read: %v", s.Name(), f.Key, f.Err))
		}
	}
	if err := a.promisedDues(ctx, ms); err != nil {
		notes = append(notes, fmt.Sprintf("milestones judged by the trackers' due dates: %v", err))
	}
	return ms, a.opts.Now(), a.forecast, notes, nil
}

// promisedDues sets PromisedDue on ms from the due dates the state store
// saw (none: no state yet, or driver none).
func (a *App) promisedDues(ctx context.Context, ms []model.Milestone) error {
	if len(ms) == 0 {
		return nil
	}
	st, err := store.OpenReadOnly(ctx, a.storeCfg, a.opts.Getenv)
	if err != nil {
		return fmt.Errorf("opening the state store: %w", err)
	}
	defer st.Close()
	keys := make([]string, len(ms))
	for i, m := range ms {
		keys[i] = m.Key
	}
	seen, err := st.DuesSeen(ctx, keys)
	if err != nil {
		return err
	}
	for i := range ms {
		ms[i].PromisedDue = model.PromisedDueOf(ms[i], seen[ms[i].Key])
	}
	return nil
}
