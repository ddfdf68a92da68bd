// Package notice writes the drafts forewarn leaves for people to review: the
// client notice (the ten elements of docs/product.md), the weekly progress
// update and the team's post-mortem, in English and Dutch, rendered as
// Markdown (GitHub, the outbox) or Jira wiki markup (REST API v2).
//
// Tracker text is untrusted. Every value taken from a tracker is sanitised
// and escaped for the target before a template sees it (see EscapeMarkdown
// and EscapeJira), so templates handle only escaped text and their own
// literal markup. Every body ends with model.Marker, which is never cut.
package notice

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/forewarn/forewarn/internal/chart"
	"github.com/forewarn/forewarn/internal/model"
)

// Options configure the drafts (the `drafts:` section of the config).
type Options struct {
	// TemplateDir holds user templates that replace built-in ones, named
	// <purpose>.<lang>.tmpl (e.g. client-notice.nl.tmpl). They are parsed and
	// test-rendered when New runs.
	TemplateDir string `yaml:"template_dir"`
	// Confidence is the forecast quantile the new date is taken from
	// (default 0.85). A client's own model.Client.Confidence wins.
	Confidence float64 `yaml:"confidence"`
	// CheckInDays is the days until the next progress update (default 7).
	CheckInDays int `yaml:"check_in_days"`
}

// Validate checks the options' values.
func (o Options) Validate() error {
	var errs []error
	if o.Confidence != 0 && (o.Confidence < 0.5 || o.Confidence >= 1) {
		errs = append(errs, fmt.Errorf("confidence %v: want a quantile between 0.5 and 1 (e.g. 0.85)", o.Confidence))
	}
	if o.CheckInDays < 0 || o.CheckInDays > 60 {
		errs = append(errs, fmt.Errorf("check_in_days %d: want 1 to 60 days", o.CheckInDays))
	}
	return errors.Join(errs...)
}

// Defaults.
const (
	DefaultConfidence  = 0.85
	DefaultCheckInDays = 7
)

// Target limits, counted in UTF-16 code units (how Jira counts characters;
// GitHub's limit is the same or larger by that measure).
const (
	MaxTitle    = 255
	MaxJiraBody = 32767
	MaxMDBody   = 65536
)

// History is what forewarn remembers about a milestone.
type History struct {
	FirstDetected time.Time              // when a rule first fired for this milestone
	NoticeDrafted time.Time              // when the client notice was created (zero if none)
	NoticeID      string                 // the client-notice ticket ("REV-12", "acme/delivery#4"), "" if none
	NoticeURL     string                 // its address in the target
	Forecasts     []model.ForecastRecord // earlier forecasts, oldest first
	LastWritten   *model.ForecastRecord  // forecast when this ticket was last written (nil: first write)
	AgreedDates   []time.Time            // re-baselined dates agreed so far, oldest first
}

// Request is everything a draft is written from.
type Request struct {
	Purpose   model.Purpose
	Finding   model.Finding
	Milestone model.Milestone
	Forecast  model.Forecast
	Client    model.Client
	History   History
	Now       time.Time
}

// Renderer renders drafts from parsed, validated templates. It is safe for
// concurrent use.
type Renderer struct {
	opts Options
	// sets[purpose][lang][format]
	sets map[model.Purpose]map[string]map[model.Format]*tmpl
	// overridden lists the user templates in use, for diagnostics.
	overridden []string
}

var purposes = []model.Purpose{model.PurposeClientNotice, model.PurposeProgressUpdate, model.PurposePostMortem}
var formats = []model.Format{model.FormatMarkdown, model.FormatJiraWiki}

// New parses and validates any overrides in o.TemplateDir (the built-in
// templates are parsed when first used; see tmpl). Problems in user
// templates come back as a *diag.List naming file:line:col.
func New(o Options) (*Renderer, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if o.Confidence == 0 {
		o.Confidence = DefaultConfidence
	}
	if o.CheckInDays == 0 {
		o.CheckInDays = DefaultCheckInDays
	}
	r := &Renderer{opts: o, sets: map[model.Purpose]map[string]map[model.Format]*tmpl{}}
	return r, r.load()
}

// Render writes the ticket for a request in format f.
func (r *Renderer) Render(req Request, f model.Format) (model.Ticket, error) {
	if f != model.FormatMarkdown && f != model.FormatJiraWiki {
		return model.Ticket{}, fmt.Errorf("rendering %s: unknown format %q", req.Milestone.Key, f)
	}
	p := req.Purpose
	if p == "" {
		p = req.Finding.Purpose
	}
	req.Purpose = p
	byLang, ok := r.sets[p]
	if !ok {
		return model.Ticket{}, fmt.Errorf("rendering %s: no template for purpose %q", req.Milestone.Key, p)
	}
	if m := req.Milestone; m.State == model.StateClosed && !m.ClosedAt.IsZero() {
		// The burn-down of a closed milestone ends when it closed, so its
		// drafts do not change every day after.
		req.Forecast.Burndown = burndownUpTo(req.Forecast.Burndown, m.ClosedAt)
	}
	fin := req.Finding
	if fin.Purpose == "" {
		fin.Purpose = p
	}
	if fin.MilestoneKey == "" {
		fin.MilestoneKey = req.Milestone.Key
	}
	fp := fin.Fingerprint()
	lang := language(req.Client.Locale)
	x := byLang[lang][f]
	t, err := x.get()
	if err != nil {
		return model.Ticket{}, fmt.Errorf("rendering the %s %s draft for %s: %w", lang, p, req.Milestone.Key, err)
	}

	v := r.view(req, f, Escape)
	body := bodies.Get().(*bytes.Buffer)
	defer putBody(body)
	if err := t.ExecuteTemplate(body, "body", v); err != nil {
		return model.Ticket{}, fmt.Errorf("rendering the %s %s draft for %s: %w", lang, p, req.Milestone.Key, err)
	}
	tv := v.titleView(x.titleLists)
	var title strings.Builder
	if err := t.ExecuteTemplate(&title, "title", tv); err != nil {
		return model.Ticket{}, fmt.Errorf("rendering the %s %s title for %s: %w", lang, p, req.Milestone.Key, err)
	}

	sev := v.sev
	tk := model.Ticket{
		Fingerprint:  fp,
		Purpose:      p,
		MilestoneKey: fin.MilestoneKey,
		Rule:         fin.Rule,
		Severity:     sev,
		Format:       f,
		Title:        fitTitle(title.String()),
		Body:         fitBody(body.Bytes(), model.Marker(fp, f), f, lang),
		Labels:       labels(fp, p, sev),
		Assignee:     req.Client.Tracker,
	}
	if req.History.LastWritten != nil {
		if material, summary := change(*req.History.LastWritten, req.Forecast, v.conf, v.l, false); material {
			tk.Comment = commentText(lang, f, summary)
		}
	}
	due := v.promised           // the date the body's chart is drawn to
	words := chart.Locale(lang) // the reviewer reads the chart in the draft's language
	// Both charts are made only when a target writes them (see
	// model.Attachment): a plan or an unchanged re-poll drafts every
	// firing and writes none.
	points, fc, key := req.Forecast.Burndown, req.Forecast, req.Milestone.Key
	tk.Attachments = append(tk.Attachments, model.Attachment{Name: ChartSVG, ContentType: "image/svg+xml",
		Make: func() ([]byte, error) { return chart.SVG(points, due, fc, words), nil }})
	tk.Attachments = append(tk.Attachments, model.Attachment{Name: ChartPNG, ContentType: "image/png",
		Make: func() ([]byte, error) {
			png, err := chart.PNG(points, due, fc, words)
			if err != nil {
				return nil, fmt.Errorf("rendering the burn-down of %s: %w", key, err)
			}
			return png, nil
		}})
	return tk, nil
}

// plain escapes text for a ticket title (see PlainTitle).
func plain(s string, _ model.Format) string { return PlainTitle(s) }

// File names of the burn-down attachments. Jira bodies embed the PNG
// (Jira does not show SVG inline); the SVG is for the outbox and archives.
const (
	ChartSVG = "burndown.svg"
	ChartPNG = "burndown.png"
)

func labels(fp string, p model.Purpose, sev string) []string {
	ls := model.TicketLabels(fp, p)
	if s := labelSafe(sev); s != "" {
		ls = append(ls, "severity-"+s)
	}
	return ls
}

// labelSafe keeps a severity usable as a Jira label (no spaces) and a
// GitHub label.
func labelSafe(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		case r == ' ':
			b.WriteByte('-')
		}
		if b.Len() >= 32 {
			break
		}
	}
	return b.String()
}

// fitTitle collapses whitespace and keeps a title within MaxTitle
// characters without cutting a character.
func fitTitle(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf16Len(s) <= MaxTitle {
		return s
	}
	return strings.TrimRight(cutUTF16(s, MaxTitle-1), " ") + "…"
}

// bodies are the buffers drafts' bodies are executed into: a body is
// 10-20 kB, and growing a new buffer to that for every draft was a tenth
// of a draft's allocation.
var bodies = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// putBody returns a body's buffer to the pool, unless a huge body made
// it too large to keep.
func putBody(b *bytes.Buffer) {
	if b.Cap() <= 1<<18 {
		b.Reset()
		bodies.Put(b)
	}
}

// fitBody appends the marker and keeps the body within the target's limit,
// cutting the text before the marker (never the marker, never inside a
// character) and saying so. Runs of blank lines become one. It may write
// into body's spare capacity.
func fitBody(body []byte, marker string, f model.Format, lang string) string {
	body = append(bytes.TrimRight(body, "\n "), '\n')
	limit := MaxMDBody
	if f == model.FormatJiraWiki {
		limit = MaxJiraBody
	}
	tail := "\n" + marker + "\n"
	var b strings.Builder
	b.Grow(len(body) + len(tail))
	collapseBlankRuns(&b, body)
	// A UTF-16 unit takes at least one byte of UTF-8: a body that fits in
	// bytes fits in units.
	if short := b.String(); b.Len()+len(tail) <= limit || utf16Len(short)+utf16Len(tail) <= limit {
		b.WriteString(tail)
		return b.String()
	}
	note := "\n\n… (shortened to fit the tracker's limit)\n"
	if lang == langNL {
		note = "\n\n… (ingekort om binnen de limiet van de tracker te passen)\n"
	}
	keep := limit - utf16Len(tail) - utf16Len(note)
	cut := cutUTF16(b.String(), keep)
	// Do not end on a dangling escape character.
	cut = strings.TrimRight(cut, "\\")
	return cut + note + tail
}

// collapseBlankRuns writes s to b with every run of three or more line
// breaks with only spaces and tabs between them (two or more blank lines,
// \n[ \t]*\n(?:[ \t]*\n)+) made one blank line ("\n\n"); FuzzBlankRuns
// holds it to that expression.
func collapseBlankRuns(b *strings.Builder, s []byte) {
	last := 0
	for i := 0; i < len(s); i++ {
		if s[i] != '\n' {
			continue
		}
		breaks, end := 1, i+1 // line breaks in the run; where it ends
		for j := i + 1; ; {
			for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
				j++
			}
			if j == len(s) || s[j] != '\n' {
				break
			}
			breaks, end, j = breaks+1, j+1, j+1
		}
		if breaks >= 3 {
			b.Write(s[last:i])
			b.WriteString("\n\n")
			last, i = end, end-1
		}
	}
	b.Write(s[last:])
}

// commentText frames a change summary as a ticket comment.
func commentText(lang string, f model.Format, summary string) string {
	bold := func(s string) string {
		if f == model.FormatJiraWiki {
			return "*" + s + "*"
		}
		return "**" + s + "**"
	}
	if lang == langNL {
		return bold("Prognose bijgewerkt:") + " " + summary + " De beschrijving is bijgewerkt."
	}
	return bold("Forecast updated:") + " " + summary + " The description has been updated to match."
}

// burndownUpTo keeps the points up to the calendar day of t.
func burndownUpTo(pts []model.BurndownPoint, t time.Time) []model.BurndownPoint {
	end := model.Day(t)
	for i, p := range pts {
		if model.Day(p.Day).After(end) {
			return pts[:i:i]
		}
	}
	return pts
}
