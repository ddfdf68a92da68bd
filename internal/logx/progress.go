package logx

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// Progress is told how far a long task (a first sync of a large milestone)
// has come. Connectors take it from the context with ProgressFrom; without
// one, updates go nowhere.
type Progress interface {
	// Update says done of total units of task are finished (total 0: unknown).
	Update(task string, done, total int)
	// Done says the task finished.
	Done(task string)
}

type progressKey struct{}

// WithProgress attaches a progress display to the context.
func WithProgress(ctx context.Context, p Progress) context.Context {
	return context.WithValue(ctx, progressKey{}, p)
}

// ProgressFrom returns the context's progress display, or one that
// discards everything.
func ProgressFrom(ctx context.Context) Progress {
	if p, ok := ctx.Value(progressKey{}).(Progress); ok && p != nil {
		return p
	}
	return nopProgress{}
}

type nopProgress struct{}

func (nopProgress) Update(string, int, int) {}
func (nopProgress) Done(string)             {}

// NewProgress picks the display for w: one line redrawn in place on a
// terminal; otherwise an info log line per task at most every 30 seconds
// (a CI log or a container log is no place for carriage returns).
func NewProgress(w io.Writer, log zerolog.Logger) Progress {
	if IsTerminal(w) {
		return NewTerminalProgress(w, time.Now)
	}
	return &logProgress{log: log, every: 30 * time.Second, now: time.Now, last: map[string]time.Time{}}
}

// TerminalProgress draws the running tasks on one line, redrawn at most
// ten times a second.
type TerminalProgress struct {
	mu      sync.Mutex
	w       io.Writer
	now     func() time.Time
	last    time.Time
	order   []string
	tasks   map[string][2]int
	pending bool
}

// NewTerminalProgress draws on w, using now to throttle redraws.
func NewTerminalProgress(w io.Writer, now func() time.Time) *TerminalProgress {
	return &TerminalProgress{w: w, now: now, tasks: map[string][2]int{}}
}

const redrawEvery = 100 * time.Millisecond

// Update implements Progress.
func (p *TerminalProgress) Update(task string, done, total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.tasks[task]; !ok {
		p.order = append(p.order, task)
	}
	p.tasks[task] = [2]int{done, total}
	if t := p.now(); t.Sub(p.last) >= redrawEvery {
		p.last = t
		p.draw()
	}
}

// Done implements Progress: the task's final line stays on screen.
func (p *TerminalProgress) Done(task string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	v, ok := p.tasks[task]
	if !ok {
		return
	}
	fmt.Fprintf(p.w, "\r\033[K%s: %s, done\n", task, units(v[0], v[1]))
	delete(p.tasks, task)
	for i, t := range p.order {
		if t == task {
			p.order = append(p.order[:i], p.order[i+1:]...)
			break
		}
	}
	p.draw()
}

func (p *TerminalProgress) draw() {
	line := ""
	for i, t := range p.order {
		if i > 0 {
			line += " · "
		}
		v := p.tasks[t]
		line += t + ": " + units(v[0], v[1])
	}
	fmt.Fprintf(p.w, "\r\033[K%s", line)
}

func units(done, total int) string {
	if total <= 0 {
		return fmt.Sprintf("%d items", done)
	}
	return fmt.Sprintf("%d/%d items (%d %%)", done, total, done*100/total)
}

type logProgress struct {
	mu    sync.Mutex
	log   zerolog.Logger
	every time.Duration
	now   func() time.Time
	last  map[string]time.Time
}

func (p *logProgress) Update(task string, done, total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	t := p.now()
	if last, ok := p.last[task]; ok && t.Sub(last) < p.every {
		return
	}
	p.last[task] = t
	p.log.Info().Str("task", task).Int("done", done).Int("total", total).Msg("progress")
}

func (p *logProgress) Done(task string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.last, task)
}
