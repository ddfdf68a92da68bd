package logx

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// Progress is told how far the run has come: per source, the pages read,
// the milestones read and the requests left in the rate budget; for the
// write phase, the tickets written of those planned. Code takes it from
// the context with ProgressFrom; without a display, updates go nowhere.
type Progress interface {
	// Add adds n to one of a task's counters ("pages", "items").
	Add(task, counter string, n int)
	// Set sets one of a task's counters ("requests left", "of planned").
	Set(task, counter string, n int)
	// Done says the task finished; its last line stays on screen.
	Done(task string)
}

type progressKey struct{}
type taskKey struct{}

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

// WithTask names the task the work done with ctx counts for (a source's
// name), so the HTTP layer can count its pages.
func WithTask(ctx context.Context, task string) context.Context {
	return context.WithValue(ctx, taskKey{}, task)
}

// TaskFrom returns the context's task ("" when none).
func TaskFrom(ctx context.Context) string {
	t, _ := ctx.Value(taskKey{}).(string)
	return t
}

type nopProgress struct{}

func (nopProgress) Add(string, string, int) {}
func (nopProgress) Set(string, string, int) {}
func (nopProgress) Done(string)             {}

// NewProgress picks the display for w: one line per task redrawn in place
// on a terminal (isTerminal: IsTerminal(w)); nothing elsewhere — a CI log
// or a container log is no place for redrawn lines, and the run's report
// says the same at the end. Everything else written to w (log lines,
// errors) must go through the returned writer, so a log line is never
// drawn over: the lines are drawn afresh below it.
func NewProgress(w io.Writer, isTerminal bool) (Progress, io.Writer) {
	if !isTerminal {
		return nopProgress{}, w
	}
	p := NewTerminalProgress(w, time.Now)
	return p, p.Writer()
}

// Writer returns a writer to p's terminal for everything that is not
// progress; it keeps the terminal's file descriptor (IsTerminal holds).
func (p *TerminalProgress) Writer() io.Writer { return &progressWriter{p: p} }

type progressWriter struct{ p *TerminalProgress }

func (pw *progressWriter) Write(b []byte) (int, error) {
	pw.p.mu.Lock()
	defer pw.p.mu.Unlock()
	if len(b) > 0 && b[len(b)-1] == '\n' {
		pw.p.drawn = 0 // the lines drawn so far stay above; draw anew below
	}
	return pw.p.w.Write(b)
}

// Fd is the terminal's descriptor.
func (pw *progressWriter) Fd() uintptr {
	if f, ok := pw.p.w.(interface{ Fd() uintptr }); ok {
		return f.Fd()
	}
	return ^uintptr(0)
}

// TerminalProgress draws one line per task and redraws them in place (the
// cursor moves back up over the lines it drew), at most ten times a second.
type TerminalProgress struct {
	mu    sync.Mutex
	w     io.Writer
	now   func() time.Time
	last  time.Time
	order []string
	tasks map[string]*taskLine
	drawn int // lines on screen, counted from the first task's
}

type taskLine struct {
	names []string
	vals  map[string]int
	done  bool
}

// NewTerminalProgress draws on w, using now to throttle redraws.
func NewTerminalProgress(w io.Writer, now func() time.Time) *TerminalProgress {
	return &TerminalProgress{w: w, now: now, tasks: map[string]*taskLine{}}
}

const redrawEvery = 100 * time.Millisecond

func (p *TerminalProgress) task(name string) *taskLine {
	t, ok := p.tasks[name]
	if !ok {
		t = &taskLine{vals: map[string]int{}}
		p.tasks[name] = t
		p.order = append(p.order, name)
	}
	return t
}

func (t *taskLine) set(counter string, n int) {
	if _, ok := t.vals[counter]; !ok {
		t.names = append(t.names, counter)
	}
	t.vals[counter] = n
}

// Add implements Progress.
func (p *TerminalProgress) Add(task, counter string, n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	t := p.task(task)
	t.set(counter, t.vals[counter]+n)
	p.maybeDraw()
}

// Set implements Progress.
func (p *TerminalProgress) Set(task, counter string, n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.task(task).set(counter, n)
	p.maybeDraw()
}

// Done implements Progress: drawn at once.
func (p *TerminalProgress) Done(task string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.task(task).done = true
	p.last = p.now()
	p.draw()
}

func (p *TerminalProgress) maybeDraw() {
	if t := p.now(); p.drawn == 0 || t.Sub(p.last) >= redrawEvery {
		p.last = t
		p.draw()
	}
}

// draw moves up over the lines drawn before and writes every task's line.
func (p *TerminalProgress) draw() {
	var b strings.Builder
	if p.drawn > 0 {
		fmt.Fprintf(&b, "\033[%dF", p.drawn) // to the start of the first line
	}
	for _, name := range p.order {
		b.WriteString("\033[2K" + name + ": " + p.tasks[name].String() + "\n")
	}
	p.drawn = len(p.order)
	io.WriteString(p.w, b.String())
}

// String renders the counters in the order they were first given:
// "12 pages, 4 milestones, 4988 requests left"; a counter named "of …"
// follows the one before it: "3 written of 12 planned".
func (t *taskLine) String() string {
	var b strings.Builder
	for i, name := range t.names {
		switch {
		case strings.HasPrefix(name, "of "):
			fmt.Fprintf(&b, " of %d %s", t.vals[name], strings.TrimPrefix(name, "of "))
		default:
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%d %s", t.vals[name], name)
		}
	}
	if t.done {
		b.WriteString(", done")
	}
	return b.String()
}
