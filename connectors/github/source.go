// Package github reads milestones and their issues from GitHub and opens
// forewarn's tickets as GitHub issues, through go-github on forewarn's
// retrying HTTP stack (internal/httpx), with conditional requests, a
// per-run operations budget, and creates that are never retried blindly.
package github

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	gh "github.com/google/go-github/v62/github"

	"github.com/forewarn/forewarn/connectors"
	"github.com/forewarn/forewarn/internal/jsonx"
	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/tracker"
)

// ErrBudget is the error of milestones left unread because the run's
// operations budget ran out.
var ErrBudget = errors.New("operations budget for this run is spent; the next run reads it first")

// Source reads GitHub milestones.
type Source struct {
	name string
	cfg  SourceConfig
	env  connectors.Env
	c    *conn

	closedWithin time.Duration
	timeout      time.Duration
	runStart     atomic.Int64 // requests sent before this run
	joinedMax    int
	budget       int
	inProgress   []string
	blocked      []string
	sizePrefix   []string
	sizeLabels   map[string]float64
	sizeDefault  float64
	// keep, when set, selects the milestones this source reads (one
	// shard of them: see Only).
	keep func(scope string) bool
	bud  *budgetGate
	// strs shares the labels, assignees and resolutions of one run's items.
	strs *model.Interner
}

var _ tracker.Source = (*Source)(nil)

// NewSource builds a GitHub source. It reads no secret and does no I/O:
// the client is built on the first Fetch.
func NewSource(name string, c SourceConfig, env connectors.Env) (*Source, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	s := &Source{name: name, cfg: c, env: env, c: newConn(fmt.Sprintf("github source %q", name), c.AuthConfig, env).limit(max(c.Concurrency, 1)),
		closedWithin: c.ClosedWithin.Or(90 * 24 * time.Hour), timeout: c.Timeout.Or(10 * time.Minute), joinedMax: 200, budget: 2000, sizeDefault: 1}
	s.bud = newBudgetGate(s)
	s.strs = &model.Interner{} // one per run from Fetch on
	if c.JoinedEventsMax != nil {
		s.joinedMax = *c.JoinedEventsMax
	}
	if c.Budget > 0 {
		s.budget = c.Budget
	}
	s.inProgress = lower(c.InProgressLabels, "in progress", "in-progress", "status: in progress", "doing")
	s.blocked = lower(c.BlockedLabels, "blocked")
	s.sizePrefix = lower(c.Sizes.Prefixes, "points:", "estimate:", "size:")
	s.sizeLabels = map[string]float64{"size/xs": 1, "size/s": 2, "size/m": 3, "size/l": 5, "size/xl": 8}
	if c.Sizes.Labels != nil {
		s.sizeLabels = map[string]float64{}
		for k, v := range c.Sizes.Labels {
			s.sizeLabels[strings.ToLower(k)] = v
		}
	}
	if c.Sizes.Default > 0 {
		s.sizeDefault = c.Sizes.Default
	}
	return s, nil
}

func lower(given []string, def ...string) []string {
	if len(given) == 0 {
		given = def
	}
	out := make([]string, len(given))
	for i, g := range given {
		out[i] = strings.ToLower(g)
	}
	return out
}

// Name implements tracker.Source.
func (s *Source) Name() string { return s.name }

// Requests is the number of requests this source has sent that counted
// against GitHub's rate limit (answers other than 304), over its lifetime.
func (s *Source) Requests() int64 { return s.c.sent.Load() }

type repoMilestone struct {
	repo  string
	m     *gh.Milestone
	order int // in the run's reads: the budget's last request goes to the lowest
}

func (rm repoMilestone) key() string { return fmt.Sprintf("github:%s#%d", rm.repo, rm.m.GetNumber()) }

// Fetch implements tracker.Source.
func (s *Source) Fetch(ctx context.Context) (tracker.FetchResult, error) {
	return s.FetchStream(ctx, nil)
}

// FetchStream implements tracker.Streamer: a repository's milestones are
// handed to part once they and every milestone read before them are read
// (so a stop cannot drop them), when the closed milestones of its record
// need no request (none, or all unchanged in the sync state).
func (s *Source) FetchStream(ctx context.Context, part func(tracker.FetchResult)) (tracker.FetchResult, error) {
	var res tracker.FetchResult
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	api, err := s.c.api()
	if err != nil {
		return res, err
	}
	s.runStart.Store(s.c.sent.Load())
	s.strs = &model.Interner{}
	now := s.env.Clock()

	repos, err := s.repos(ctx, api)
	if err != nil {
		return res, s.c.explain(err)
	}

	var todo, hist []repoMilestone
	skippedNoDue := 0
	for _, repo := range repos {
		ms, err := s.milestones(ctx, api, repo)
		if err != nil {
			err = s.c.explain(err)
			var ae *AuthError
			var le *LimitError
			if errors.As(err, &ae) || errors.As(err, &le) {
				return res, err
			}
			res.Failed = append(res.Failed, tracker.MilestoneFailure{Key: "github:" + repo, Title: repo,
				Err: fmt.Errorf("listing milestones of %s: %w", repo, err)})
			continue
		}
		for _, m := range ms {
			if s.keep != nil && !s.keep(MilestoneScope(repo, m.GetNumber())) {
				continue // another shard's
			}
			if m.DueOn == nil {
				skippedNoDue++
				continue
			}
			if m.GetState() == "closed" {
				if s.closedWithin == 0 || m.ClosedAt == nil || now.Sub(m.ClosedAt.Time) > s.closedWithin {
					continue
				}
			}
			todo = append(todo, repoMilestone{repo: repo, m: m})
		}
		hist = append(hist, s.history(repo, ms, now)...)
	}
	if skippedNoDue > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("%s: %d milestone(s) without a due date skipped", s.name, skippedNoDue))
	}

	// Resume: start with the milestone the last run could not reach.
	cursor, _, err := s.load(ctx, cursorKey)
	if err != nil {
		return res, err
	}
	if i := slices.IndexFunc(todo, func(rm repoMilestone) bool { return rm.key() == string(cursor) }); i > 0 {
		todo = slices.Concat(todo[i:], todo[:i])
	}
	memo, err := s.loadJoins(ctx)
	if err != nil {
		return res, err
	}

	cached, err := s.cachedHistory(ctx, hist)
	if err != nil {
		return res, err
	}
	ev := &eventBudget{max: s.joinedMax, memo: memo, next: map[string]joinMemo{}, done: map[string]bool{}}
	var done func(int)
	read := make([]read, len(todo))
	if part != nil {
		st := newStreamer(s, ctx, todo, read, hist, cached, part)
		defer st.wait()
		done = st.done
	}
	s.readAll(ctx, api, todo, read, ev, now, done)
	stopped := ""
	var stopErr error
	for i, rm := range todo {
		if stopErr != nil {
			res.Failed = append(res.Failed, tracker.MilestoneFailure{Key: rm.key(), Title: rm.m.GetTitle(), Err: stopErr})
			continue
		}
		r := read[i]
		if r.overBudget {
			stopErr = fmt.Errorf("%w (budget %d requests)", ErrBudget, s.budget)
			stopped = rm.key()
			res.Notes = append(res.Notes, fmt.Sprintf("%s: operations budget of %d requests spent after %d of %d milestones; the next run starts at %s",
				s.name, s.budget, i, len(todo), stopped))
			res.Failed = append(res.Failed, tracker.MilestoneFailure{Key: rm.key(), Title: rm.m.GetTitle(), Err: stopErr})
			continue
		}
		if err := r.err; err != nil {
			err = s.c.explain(err)
			var ae *AuthError
			if errors.As(err, &ae) {
				return res, err
			}
			var le *LimitError
			if errors.Is(err, ErrBudget) {
				stopErr = err
				stopped = rm.key()
				res.Notes = append(res.Notes, fmt.Sprintf("%s: operations budget of %d requests spent within %s (%d of %d milestones read); the next run starts there",
					s.name, s.budget, stopped, i, len(todo)))
			} else if errors.As(err, &le) || ctx.Err() != nil {
				stopErr = err
				stopped = rm.key()
				res.Notes = append(res.Notes, fmt.Sprintf("%s: stopped after %d of %d milestones: %v; the next run starts at %s",
					s.name, i, len(todo), err, stopped))
			}
			res.Failed = append(res.Failed, tracker.MilestoneFailure{Key: rm.key(), Title: rm.m.GetTitle(),
				Err: fmt.Errorf("reading %s: %w", rm.key(), err)})
			continue
		}
		res.Milestones = append(res.Milestones, r.m)
	}
	if err := s.save(ctx, cursorKey, []byte(stopped)); err != nil {
		return res, err
	}
	if err := s.saveJoins(ctx, ev); err != nil {
		return res, err
	}
	if ev.looked > 0 || ev.skipped > 0 {
		note := fmt.Sprintf("%s: issue events read for %d issue(s) to date when they joined their milestone (%d requests)",
			s.name, ev.looked, ev.requests)
		if ev.skipped > 0 {
			note += fmt.Sprintf("; %d more over the cap of %d fell back to a lower bound", ev.skipped, ev.max)
		}
		res.Notes = append(res.Notes, note)
	}
	if ev.own > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("%s: %d of forewarn's own ticket(s) carry a milestone; left out of its work items", s.name, ev.own))
	}
	if res.History, res.Notes, err = s.readHistory(ctx, api, hist, cached, now, stopErr, res.Notes); err != nil {
		return res, err
	}
	sort.SliceStable(res.Milestones, func(i, j int) bool { return res.Milestones[i].Key < res.Milestones[j].Key })
	s.env.Log.Debug().Int("requests", s.spent()).Int("milestones", len(res.Milestones)).Msg("github fetch done")
	return res, nil
}

// read is what reading one milestone gave.
type read struct {
	m          model.Milestone
	err        error
	overBudget bool // not started: the budget was spent before it
}

// readAll reads the milestones in order, concurrency+1 at a time: the
// connection's gate keeps at most concurrency requests in flight, and the
// extra reader decodes its page while another's request is on the wire.
// Once a milestone stops the run (the budget is spent, a rate limit that
// cannot be waited out, bad credentials, the deadline) no further one is
// started; Fetch goes through the results in order, as if read one after
// another, and what was read past the stop is dropped (read again next
// time, from the cursor).
//
// done, when set, is called with each milestone's index once its read is
// in out.
func (s *Source) readAll(ctx context.Context, api *gh.Client, todo []repoMilestone, out []read, ev *eventBudget, now time.Time, done func(int)) {
	// turn[i] is closed when milestone i is done: i+1's event lookups wait for it.
	turn := make([]chan struct{}, len(todo))
	for i := range turn {
		turn[i] = make(chan struct{})
	}
	var (
		mu      sync.Mutex
		next    int
		stopped bool
	)
	take := func() (int, bool) {
		mu.Lock()
		defer mu.Unlock()
		if stopped || next == len(todo) {
			return 0, false
		}
		s.bud.begin(next)
		next++
		return next - 1, true
	}
	stop := func() {
		mu.Lock()
		stopped = true
		mu.Unlock()
	}
	var wg sync.WaitGroup
	for range min(s.concurrency()+1, max(len(todo), 1)) {
		wg.Go(func() {
			for {
				i, ok := take()
				if !ok {
					return
				}
				var after func()
				if i > 0 {
					after = func() { <-turn[i-1] }
				}
				rm := todo[i]
				rm.order = i
				m, err := s.milestone(ctx, api, rm, ev, now, after)
				out[i] = read{m: m, err: err}
				if errors.Is(err, errNotStarted) {
					out[i] = read{overBudget: true}
				}
				if err != nil && stops(s.c.explain(err), ctx) {
					stop()
				}
				s.bud.end(i)
				close(turn[i])
				if done != nil {
					done(i)
				}
			}
		})
	}
	wg.Wait()
}

// stops reports whether a milestone's error ends the run's reads.
func stops(err error, ctx context.Context) bool {
	var ae *AuthError
	var le *LimitError
	return errors.As(err, &ae) || errors.As(err, &le) || errors.Is(err, ErrBudget) || ctx.Err() != nil
}

func (s *Source) concurrency() int { return max(s.cfg.Concurrency, 1) }

// history picks a repository's closed milestones the team's record needs
// (env.History: the last Count closed within Months months, with a due
// date) that the run does not read anyway (closed within closed_within and
// this shard's: those are judged, and count for the record too).
func (s *Source) history(repo string, ms []*gh.Milestone, now time.Time) []repoMilestone {
	n := s.env.History.Count
	if n <= 0 {
		return nil
	}
	from := now.AddDate(0, -max(s.env.History.Months, 1), 0)
	var closed []*gh.Milestone
	for _, m := range ms {
		if m.GetState() == "closed" && m.DueOn != nil && m.ClosedAt != nil &&
			!m.ClosedAt.Before(from) && !m.ClosedAt.After(now) {
			closed = append(closed, m)
		}
	}
	sort.SliceStable(closed, func(i, j int) bool { return closed[i].ClosedAt.After(closed[j].ClosedAt.Time) })
	var out []repoMilestone
	for _, m := range closed[:min(n, len(closed))] {
		judged := s.closedWithin > 0 && now.Sub(m.ClosedAt.Time) <= s.closedWithin &&
			(s.keep == nil || s.keep(MilestoneScope(repo, m.GetNumber())))
		if !judged { // another shard's milestones count for the record too
			out = append(out, repoMilestone{repo: repo, m: m})
		}
	}
	return out
}

// historyEntry is a closed milestone read for the team's record, kept in
// the source's sync state: a closed milestone does not change, so while its
// listing shows the same updated_at and issue counts it costs no request at
// all. State, not a cache: one lost would be read again within the
// operations budget, and past it left out of the record.
type historyEntry struct {
	Stamp     string          `json:"stamp"`
	Milestone model.Milestone `json:"milestone"`
}

func historyStamp(m *gh.Milestone) string {
	return fmt.Sprintf("%s|%d|%d|%s", m.GetUpdatedAt().UTC().Format(time.RFC3339Nano), m.GetOpenIssues(), m.GetClosedIssues(),
		m.GetClosedAt().UTC().Format(time.RFC3339Nano))
}

// readHistory reads the closed milestones of the team's record: from the
// sync state when unchanged, else their issues (no events lookups: an issue
// counts as joined when it was created, or when the milestone was). What
// cannot be read (the budget is spent, an error; stopped: why the run's
// reads stopped already) is left out of the record and noted; it never
// fails the run; a sync state that cannot be read or written does.
func (s *Source) readHistory(ctx context.Context, api *gh.Client, hist []repoMilestone, cached map[string]model.Milestone, now time.Time, stopped error, notes []string) ([]model.Milestone, []string, error) {
	var out []model.Milestone
	unread := 0
	why := stopped
	for _, rm := range hist {
		key := "history:v1:" + rm.key()
		if m, ok := cached[rm.key()]; ok {
			out = append(out, m)
			continue
		}
		if why != nil {
			unread++
			continue
		}
		if err := s.overBudget(); err != nil {
			why, unread = err, unread+1
			continue
		}
		// A budget of no event lookups: the events are not read.
		ev := &eventBudget{memo: map[string]joinMemo{}, next: map[string]joinMemo{}, done: map[string]bool{}}
		rm.order = math.MaxInt // after the run's own
		m, err := s.milestone(ctx, api, rm, ev, now, nil)
		if err != nil {
			err = s.c.explain(err)
			var ae *AuthError
			var le *LimitError
			if errors.As(err, &ae) || errors.As(err, &le) || errors.Is(err, ErrBudget) || ctx.Err() != nil {
				why = err
			} else {
				notes = append(notes, fmt.Sprintf("%s: %s (closed, for the team's record) not read: %v", s.name, rm.key(), err))
			}
			unread++
			continue
		}
		out = append(out, m)
		if b, err := json.Marshal(historyEntry{Stamp: historyStamp(rm.m), Milestone: m}); err == nil {
			if err := s.save(ctx, key, b); err != nil {
				return nil, notes, err
			}
		}
	}
	if why != nil {
		notes = append(notes, fmt.Sprintf("%s: %d closed milestone(s) of the team's record left unread: %v", s.name, unread, why))
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, notes, nil
}

// cachedHistory returns the closed milestones of the record that are in
// the sync state and unchanged since (by key): they need no request.
func (s *Source) cachedHistory(ctx context.Context, hist []repoMilestone) (map[string]model.Milestone, error) {
	out := map[string]model.Milestone{}
	for _, rm := range hist {
		b, ok, err := s.load(ctx, "history:v1:"+rm.key())
		if err != nil {
			return nil, err
		}
		var h historyEntry
		if ok && json.Unmarshal(b, &h) == nil && h.Stamp == historyStamp(rm.m) {
			out[rm.key()] = h.Milestone
		}
	}
	return out, nil
}

// repos lists the configured repositories, or the org's carrying the topic.
func (s *Source) repos(ctx context.Context, api *gh.Client) ([]string, error) {
	if len(s.cfg.Repos) > 0 {
		return s.cfg.Repos, nil
	}
	var out []string
	opt := &gh.RepositoryListByOrgOptions{Type: "all", ListOptions: gh.ListOptions{PerPage: 100}}
	for {
		var list []*gh.Repository
		resp, err := s.c.call(ctx, func() (*gh.Response, error) {
			var resp *gh.Response
			var err error
			list, resp, err = api.Repositories.ListByOrg(ctx, s.cfg.Org, opt)
			return resp, err
		})
		if err != nil {
			return nil, fmt.Errorf("listing repositories of %s: %w", s.cfg.Org, err)
		}
		for _, r := range list {
			if r.GetArchived() {
				continue
			}
			if s.cfg.Topic == "" || slices.Contains(r.Topics, s.cfg.Topic) {
				out = append(out, r.GetFullName())
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opt.Page = resp.NextPage
	}
	sort.Strings(out)
	return out, nil
}

func (s *Source) milestones(ctx context.Context, api *gh.Client, repo string) ([]*gh.Milestone, error) {
	owner, name, _ := strings.Cut(repo, "/")
	opt := &gh.MilestoneListOptions{State: "all", Sort: "due_on", Direction: "asc", ListOptions: gh.ListOptions{PerPage: 100}}
	var out []*gh.Milestone
	for {
		var list []*gh.Milestone
		resp, err := s.c.call(ctx, func() (*gh.Response, error) {
			var resp *gh.Response
			var err error
			list, resp, err = api.Issues.ListMilestones(ctx, owner, name, opt)
			return resp, err
		})
		if err != nil {
			return nil, err
		}
		out = append(out, list...)
		if resp.NextPage == 0 {
			return out, nil
		}
		opt.Page = resp.NextPage
	}
}

// overBudget is ErrBudget once this run has spent its budget.
func (s *Source) overBudget() error {
	if s.spent() >= s.budget {
		return fmt.Errorf("%w (budget %d requests)", ErrBudget, s.budget)
	}
	return nil
}

func (s *Source) spent() int { return int(s.c.sent.Load() - s.runStart.Load()) }

// errNotStarted is ErrBudget before a milestone's first request.
var errNotStarted = fmt.Errorf("%w before the milestone was started", ErrBudget)

// budgetGate checks the budget before every request of a milestone's
// pages and before each issue's event lookups, counting the requests in
// flight as spent until they are answered (a 304 costs nothing, and then
// frees its place): with milestones read at once the run still never
// overshoots, and the budget's last request goes to the milestone first in
// the list, as when they were read one after another.
type budgetGate struct {
	s        *Source
	mu       sync.Mutex
	cond     *sync.Cond
	reserved int
	active   map[int]bool // the orders of the milestones being read
}

func newBudgetGate(s *Source) *budgetGate {
	g := &budgetGate{s: s, active: map[int]bool{}}
	g.cond = sync.NewCond(&g.mu)
	return g
}

// begin and end bracket the reading of the milestone of that order.
func (g *budgetGate) begin(order int) {
	g.mu.Lock()
	g.active[order] = true
	g.mu.Unlock()
}

func (g *budgetGate) end(order int) {
	g.mu.Lock()
	delete(g.active, order)
	g.cond.Broadcast()
	g.mu.Unlock()
}

// reserve waits until the request of the milestone of the given order may
// be sent and holds its place (true), or says the budget is spent (false).
func (g *budgetGate) reserve(order int) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	for {
		used := g.s.spent() + g.reserved
		if low := g.lowest(); used < g.s.budget && (used+1 < g.s.budget || low < 0 || order == low) {
			g.reserved++
			return true
		}
		if g.reserved == 0 && used >= g.s.budget {
			return false
		}
		g.cond.Wait()
	}
}

// hold holds a place without a check (a later page of one lookup).
func (g *budgetGate) hold() {
	g.mu.Lock()
	g.reserved++
	g.mu.Unlock()
}

// release frees a place once its request was answered (or failed).
func (g *budgetGate) release() {
	g.mu.Lock()
	g.reserved--
	g.cond.Broadcast()
	g.mu.Unlock()
}

// lowest is the first in the list of the milestones being read (-1: none).
func (g *budgetGate) lowest() int {
	low := -1
	for o := range g.active {
		if low < 0 || o < low {
			low = o
		}
	}
	return low
}

// eventBudget is shared by the milestones read at once: mu guards it
// (memo is only read).
type eventBudget struct {
	mu                             sync.Mutex
	max, looked, skipped, requests int
	own                            int // forewarn's own tickets left out of milestones
	// memo: what earlier runs learnt from the events, by joinKey; next:
	// what this run knows (kept for the next); done: the milestones
	// (joinMilestone) whose events this run went through.
	memo, next map[string]joinMemo
	done       map[string]bool
}

// joinMemo is what an issue's events said about when it joined a
// milestone, as of the issue's updated_at. While the issue is unchanged
// the events are not read again (GitHub moves updated_at when an issue is
// milestoned). Joined is zero when the events never show it added, or
// answered 404.
type joinMemo struct {
	Updated time.Time `json:"u"`
	Joined  time.Time `json:"j,omitzero"`
}

func joinMilestone(repo string, milestone int) string { return repo + "@" + strconv.Itoa(milestone) }

func joinKey(repo string, milestone int, item string) string {
	return joinMilestone(repo, milestone) + "#" + item[strings.LastIndexByte(item, '#')+1:]
}

// The source's sync state: where a budget-stopped read resumes, and the
// join memos.
const (
	cursorKey = "cursor"
	joinsKey  = "joined:v1"
)

// load reads the source's sync state; no state store means none saved.
func (s *Source) load(ctx context.Context, key string) ([]byte, bool, error) {
	if s.env.State == nil {
		return nil, false, nil
	}
	b, ok, err := s.env.State.Load(ctx, key)
	if err != nil {
		return nil, false, fmt.Errorf("%s: reading its sync state (%s): %w", s.c.what, key, err)
	}
	return b, ok, nil
}

func (s *Source) save(ctx context.Context, key string, b []byte) error {
	if s.env.State == nil {
		return nil
	}
	if err := s.env.State.Save(ctx, key, b); err != nil {
		return fmt.Errorf("%s: saving its sync state (%s): %w", s.c.what, key, err)
	}
	return nil
}

func (s *Source) loadJoins(ctx context.Context) (map[string]joinMemo, error) {
	memo := map[string]joinMemo{}
	b, ok, err := s.load(ctx, joinsKey)
	if err != nil || !ok {
		return memo, err
	}
	if err := json.Unmarshal(b, &memo); err != nil {
		s.env.Log.Warn().Err(err).Msg("github join memos unreadable; reading the issue events again")
		return map[string]joinMemo{}, nil
	}
	return memo, nil
}

// saveJoins keeps what this run knows, and what it did not reach (a
// milestone that failed or was left for the next run keeps its memos).
func (s *Source) saveJoins(ctx context.Context, ev *eventBudget) error {
	for k, v := range ev.memo {
		if _, ok := ev.next[k]; !ok && !ev.done[k[:strings.LastIndexByte(k, '#')]] {
			ev.next[k] = v
		}
	}
	b, err := json.Marshal(ev.next)
	if err != nil {
		return fmt.Errorf("%s: encoding the join memos: %w", s.c.what, err)
	}
	return s.save(ctx, joinsKey, b)
}

// listedIssue is an issue of a milestone's list with the fields the
// source reads. go-github's Issue has some forty fields, most of them
// pointers and nested objects (user, milestone, reactions…), each
// allocated while decoding; the read phase spent more time there than
// on the transfer.
type listedIssue struct {
	Number      int        `json:"number"`
	Title       string     `json:"title"`
	HTMLURL     string     `json:"html_url"`
	State       string     `json:"state"`
	StateReason string     `json:"state_reason"`
	Body        string     `json:"body"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	ClosedAt    *time.Time `json:"closed_at"`
	Labels      []struct {
		Name string `json:"name"`
	} `json:"labels"`
	Assignees []struct {
		Login string `json:"login"`
	} `json:"assignees"`
	PullRequest *struct{} `json:"pull_request"`
}

// listIssues is IssuesService.ListByRepo decoding into listedIssue: the
// same request (so the same URL, cache key and pagination), through the
// client's Do, which keeps go-github's rate-limit handling. Do copies the
// body into a buffer and the page is decoded with go-json: a page of 100
// issues is mostly nested objects the source skips (user, milestone,
// reactions), and encoding/json scans them three to six times slower
// (BenchmarkDecodeIssuePage).
func listIssues(ctx context.Context, api *gh.Client, owner, repo string, opt *gh.IssueListByRepoOptions, out *[]*listedIssue) (*gh.Response, error) {
	q := url.Values{"state": {opt.State}, "sort": {opt.Sort}, "direction": {opt.Direction},
		"milestone": {opt.Milestone}, "per_page": {strconv.Itoa(opt.PerPage)}}
	if opt.Page > 0 {
		q.Set("page", strconv.Itoa(opt.Page))
	}
	req, err := api.NewRequest(http.MethodGet, fmt.Sprintf("repos/%v/%v/issues?%s", owner, repo, q.Encode()), nil)
	if err != nil {
		return nil, err
	}
	buf := pageBufs.Get().(*bytes.Buffer)
	defer func() {
		buf.Reset()
		pageBufs.Put(buf)
	}()
	ctx, keep := keepAfterDecode(ctx)
	resp, err := api.Do(ctx, req, buf)
	if err != nil {
		return resp, err
	}
	if err := decodeIssuePage(buf.Bytes(), out); err != nil {
		return resp, err
	}
	keep()
	return resp, nil
}

// pageBufs holds the buffers pages are read into, dropped as soon as the
// page is decoded.
var pageBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// decodeIssuePage decodes a page of a milestone's issues.
func decodeIssuePage(b []byte, out *[]*listedIssue) error {
	if err := jsonx.Unmarshal(b, out); err != nil { // go-json, safe when two milestones decode at once
		return fmt.Errorf("decoding the issue list: %w", err)
	}
	return nil
}

// own reports whether an issue is one of forewarn's tickets, by its
// labels or the marker in its body.
func (is *listedIssue) own() bool {
	labels := make([]string, len(is.Labels))
	for i, l := range is.Labels {
		labels[i] = l.Name
	}
	return model.OwnTicket(labels, is.Body)
}

// milestone reads one milestone and its items. Its event lookups start
// once after() returns (nil: at once), so that milestones read at once
// take the lookups' cap in the order of the list, as one after another.
func (s *Source) milestone(ctx context.Context, api *gh.Client, rm repoMilestone, ev *eventBudget, now time.Time, after func()) (model.Milestone, error) {
	owner, name, _ := strings.Cut(rm.repo, "/")
	m := rm.m
	out := model.Milestone{
		Source:    s.name,
		Key:       rm.key(),
		Kind:      model.KindMilestone,
		Title:     m.GetTitle(),
		Container: rm.repo,
		URL:       m.GetHTMLURL(),
		Client:    s.cfg.Client,
		Start:     m.GetCreatedAt().Time.UTC(),
		// A GitHub milestone has no start date, only when it was created:
		// the forecast infers the commitment point (or reads it from a
		// `start:` line in the description, set below).
		StartBasis: model.StartCreated,
		Due:        model.DayIn(m.GetDueOn().Time, pacific),
		State:      model.StateOpen,
	}
	if c, ok := s.cfg.Clients[rm.repo]; ok {
		out.Client = c
	}
	if m.GetState() == "closed" {
		out.State = model.StateClosed
		out.ClosedAt = m.GetClosedAt().Time.UTC()
	}
	opt := &gh.IssueListByRepoOptions{Milestone: strconv.Itoa(m.GetNumber()), State: "all", Sort: "created",
		Direction: "asc", ListOptions: gh.ListOptions{PerPage: 100}}
	// The milestone says how many issues it holds: size the lists once
	// (a ten-times agency reads 200,000 items; growing by doubling left
	// a third of that memory unused and as much again to collect).
	if n := m.GetOpenIssues() + m.GetClosedIssues(); n > 0 {
		out.Items = make([]model.WorkItem, 0, min(n, 10_000))
	}
	updated := make([]time.Time, 0, cap(out.Items)) // of each item
	for first := true; ; first = false {
		if !s.bud.reserve(rm.order) {
			if first {
				return out, errNotStarted
			}
			return out, s.overBudget()
		}
		var list []*listedIssue
		resp, err := s.c.call(ctx, func() (*gh.Response, error) {
			list = nil
			return listIssues(ctx, api, owner, name, opt, &list)
		})
		s.bud.release()
		if err != nil {
			return out, fmt.Errorf("listing issues of milestone %d: %w", m.GetNumber(), err)
		}
		for _, is := range list {
			if is.PullRequest != nil && !s.cfg.IncludePullRequests {
				continue
			}
			if is.own() {
				// forewarn's own ticket (the review repository is also a
				// source): never a work item, whatever milestone it carries.
				ev.mu.Lock()
				ev.own++
				ev.mu.Unlock()
				continue
			}
			out.Items = append(out.Items, s.item(rm.repo, is, out.Start))
			updated = append(updated, is.UpdatedAt)
		}
		if resp.NextPage == 0 {
			break
		}
		opt.Page = resp.NextPage
	}
	if after != nil {
		after()
	}
	if err := s.joined(ctx, api, rm.repo, m.GetNumber(), rm.order, &out, updated, ev); err != nil {
		return out, err
	}
	ev.mu.Lock()
	ev.done[joinMilestone(rm.repo, m.GetNumber())] = true
	ev.mu.Unlock()
	// A milestone has no start or agreed-date field: teams write them into
	// its description (`start: 2026-10-05`, `agreed: 2026-12-18`).
	if st, ok := model.DescriptionDate(m.GetDescription(), "start", true); ok {
		out.Start, out.StartBasis = st, model.StartDescription
	}
	if ag, ok := model.DescriptionDate(m.GetDescription(), "agreed", false); ok {
		out.AgreedDue = ag
	}
	return out, nil
}

// joined reads issue events where the join date matters and is unknown:
// not read yet, or the issue changed since they were read.
func (s *Source) joined(ctx context.Context, api *gh.Client, repo string, number, order int, m *model.Milestone, updated []time.Time, ev *eventBudget) error {
	mode := s.cfg.JoinedEvents
	if mode == "none" {
		return nil
	}
	owner, name, _ := strings.Cut(repo, "/")
	for i := range m.Items {
		it := &m.Items[i]
		need := mode == "all" || it.Created.Before(m.Start)
		if !need {
			continue
		}
		key := joinKey(repo, number, it.Key)
		ev.mu.Lock()
		if j, ok := ev.memo[key]; ok && j.Updated.Equal(updated[i]) {
			if !j.Joined.IsZero() {
				it.JoinedAt, it.JoinedKnown = model.At(j.Joined), true
			}
			ev.next[key] = j
			ev.mu.Unlock()
			continue
		}
		if ev.looked >= ev.max {
			ev.skipped++
			ev.mu.Unlock()
			continue
		}
		ev.mu.Unlock()
		if !s.bud.reserve(order) {
			return s.overBudget()
		}
		ev.mu.Lock()
		ev.looked++
		ev.mu.Unlock()
		num, _ := strconv.Atoi(it.Key[strings.LastIndexByte(it.Key, '#')+1:])
		opt := &gh.ListOptions{PerPage: 100}
		var joined time.Time
		for page := 0; ; page++ {
			if page > 0 {
				s.bud.hold()
			}
			var list []*gh.IssueEvent
			var sent atomic.Int64
			resp, err := s.c.call(ctx, func() (*gh.Response, error) {
				var resp *gh.Response
				var err error
				list, resp, err = api.Issues.ListIssueEvents(withTally(ctx, &sent), owner, name, num, opt)
				return resp, err
			})
			s.bud.release()
			ev.mu.Lock()
			ev.requests += int(sent.Load())
			ev.mu.Unlock()
			var er *gh.ErrorResponse
			if errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusNotFound {
				// The events are not there for this token (the issue was
				// transferred, or the events hidden): it counts as joined
				// when created, and is not asked again until it changes.
				s.env.Log.Warn().Str("issue", it.Key).Msg("github issue events answered 404; the issue counts as joined when created")
				joined = time.Time{}
				break
			}
			if err != nil {
				return fmt.Errorf("reading events of %s: %w", it.Key, err)
			}
			for _, e := range list {
				if e.GetEvent() == "milestoned" && e.Milestone != nil && e.Milestone.GetTitle() == m.Title {
					joined = e.GetCreatedAt().Time.UTC() // the last time it joined counts
				}
			}
			if resp.NextPage == 0 {
				break
			}
			opt.Page = resp.NextPage
		}
		if !joined.IsZero() {
			it.JoinedAt, it.JoinedKnown = model.At(joined), true
		}
		ev.mu.Lock()
		ev.next[key] = joinMemo{Updated: updated[i], Joined: joined}
		ev.mu.Unlock()
	}
	return nil
}

// item maps a listed issue to a work item. The strings it keeps are
// copies or interned: go-json's strings point into its copy of the whole
// page, which one title kept alive would keep too.
func (s *Source) item(repo string, is *listedIssue, start time.Time) model.WorkItem {
	w := model.WorkItem{
		Key:     repo + "#" + strconv.Itoa(is.Number),
		Title:   strings.Clone(is.Title),
		URL:     strings.Clone(is.HTMLURL),
		Created: model.At(is.CreatedAt),
		Status:  model.StatusTodo,
		Points:  s.sizeDefault,
	}
	// When the tracker cannot say when it joined: created, but never
	// before the milestone existed.
	w.JoinedAt = w.Created
	if w.JoinedAt.Before(start) {
		w.JoinedAt = model.At(start)
	}
	var names []string
	if len(is.Labels) > 0 {
		names = make([]string, len(is.Labels))
	}
	for i, l := range is.Labels {
		name := l.Name
		names[i] = name
		ln := strings.ToLower(name)
		if slices.Contains(s.inProgress, ln) {
			w.Status = model.StatusInProgress
		}
		if slices.Contains(s.blocked, ln) {
			w.Blocked = true
		}
		if v, ok := s.sizeLabels[ln]; ok {
			w.Points, w.Estimated = v, true
			continue
		}
		for _, p := range s.sizePrefix {
			if rest, ok := strings.CutPrefix(ln, p); ok {
				if v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64); err == nil && v >= 0 && v <= 10000 {
					w.Points, w.Estimated = v, true
				}
			}
		}
	}
	w.Labels = s.strs.List(names)
	if len(is.Assignees) > 0 {
		logins := make([]string, len(is.Assignees))
		for i, a := range is.Assignees {
			logins[i] = a.Login
		}
		w.Assignees = s.strs.List(logins)
	}
	if is.State == "closed" {
		w.Status = model.StatusDone
		if is.ClosedAt != nil {
			w.Closed = model.At(*is.ClosedAt)
		}
		w.Resolution = s.strs.String(is.StateReason)
		w.Blocked = false
	}
	return w
}

// pacific is where GitHub's due_on dates live: midnight US Pacific.
var pacific = func() *time.Location {
	if l, err := time.LoadLocation("America/Los_Angeles"); err == nil {
		return l
	}
	return time.FixedZone("PDT", -7*3600)
}()
