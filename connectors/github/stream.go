package github

import (
	"context"
	"sync"

	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/tracker"
)

// streamer hands a repository's milestones over (FetchStream) while the
// next repositories are read. Fetch goes through the reads in order and
// drops everything after a stop, so a repository is handed over only once
// every read up to its last one has ended without a stop: what a part
// holds is then in the result. Parts go out from one goroutine, in order.
type streamer struct {
	s     *Source
	ctx   context.Context
	todo  []repoMilestone
	reads []read // written by readAll; read here below the frontier only

	mu       sync.Mutex
	ended    []bool
	frontier int  // reads [0, frontier) have ended, none of them a stop
	stopped  bool // a read at the frontier stopped the run: nothing more goes out
	last     map[string]int
	history  map[string][]model.Milestone // the record's closed milestones, by repository
	sent     map[string]bool

	parts chan tracker.FetchResult
	quit  chan struct{}
}

func newStreamer(s *Source, ctx context.Context, todo []repoMilestone, reads []read, hist []repoMilestone,
	cached map[string]model.Milestone, part func(tracker.FetchResult)) *streamer {
	st := &streamer{s: s, ctx: ctx, todo: todo, reads: reads, ended: make([]bool, len(todo)),
		last: map[string]int{}, history: map[string][]model.Milestone{}, sent: map[string]bool{},
		parts: make(chan tracker.FetchResult, len(todo)), quit: make(chan struct{})}
	for i, rm := range todo {
		st.last[rm.repo] = i
	}
	for _, rm := range hist {
		m, ok := cached[rm.key()]
		if !ok {
			st.sent[rm.repo] = true // its record needs a read: not handed over
			continue
		}
		st.history[rm.repo] = append(st.history[rm.repo], m)
	}
	go func() {
		defer close(st.quit)
		for p := range st.parts {
			part(p)
		}
	}()
	return st
}

// done records that read i has ended and hands over the repositories
// whose reads are now all behind the frontier.
func (st *streamer) done(i int) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.ended[i] = true
	for !st.stopped && st.frontier < len(st.todo) && st.ended[st.frontier] {
		r := st.reads[st.frontier]
		if r.overBudget || (r.err != nil && stops(st.s.c.explain(r.err), st.ctx)) {
			st.stopped = true
			return
		}
		st.frontier++
		repo := st.todo[st.frontier-1].repo
		if st.last[repo] != st.frontier-1 || st.sent[repo] {
			continue
		}
		st.sent[repo] = true
		p := tracker.FetchResult{History: st.history[repo]}
		for j, rm := range st.todo[:st.frontier] {
			if rm.repo == repo && st.reads[j].err == nil {
				p.Milestones = append(p.Milestones, st.reads[j].m)
			}
		}
		if len(p.Milestones) > 0 {
			st.parts <- p
		}
	}
}

// wait ends streaming: the parts handed over so far are delivered first.
func (st *streamer) wait() {
	close(st.parts)
	<-st.quit
}
