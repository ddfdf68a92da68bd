// Package file is forewarn's tracker on disk: a source that reads a tracker
// export (YAML or JSON) and a target that writes tickets as Markdown files
// into an outbox directory. It runs the demo and serves air-gapped users.
package file

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/forewarn/forewarn/internal/diag"
	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/yamlx"
)

// ExportDoc is the documented export format (see docs/export-format.md).
// JSON is valid YAML, so both are read by the same decoder.
type ExportDoc struct {
	Version    int            `yaml:"version"`
	Milestones []MilestoneDoc `yaml:"milestones"`
}

// MilestoneDoc is one milestone in an export.
type MilestoneDoc struct {
	Key      string    `yaml:"key"`
	Kind     string    `yaml:"kind"` // milestone (default), fixversion, sprint
	Title    string    `yaml:"title"`
	URL      string    `yaml:"url"`
	Client   string    `yaml:"client"`
	Labels   []string  `yaml:"labels"`
	Start    Time      `yaml:"start"`
	Due      Time      `yaml:"due"`
	State    string    `yaml:"state"` // open (default) or closed
	ClosedAt Time      `yaml:"closed_at"`
	Items    []ItemDoc `yaml:"items"`
}

// ItemDoc is one work item with its history.
type ItemDoc struct {
	Key          string   `yaml:"key"`
	Title        string   `yaml:"title"`
	URL          string   `yaml:"url"`
	Created      Time     `yaml:"created"`
	Joined       Time     `yaml:"joined"` // when it joined the milestone; default: created
	Started      Time     `yaml:"started"`
	Closed       Time     `yaml:"closed"`
	Removed      Time     `yaml:"removed"` // when it left the milestone
	Status       string   `yaml:"status"`  // todo, in_progress, done; default from closed/started
	Points       *float64 `yaml:"points"`
	Labels       []string `yaml:"labels"`
	Assignees    []string `yaml:"assignees"`
	Blocked      bool     `yaml:"blocked"`
	BlockedSince Time     `yaml:"blocked_since"`
	BlockedDays  float64  `yaml:"blocked_days"`
	Rank         int      `yaml:"rank"`
	Resolution   string   `yaml:"resolution"`
}

// Time accepts a date (YYYY-MM-DD, midnight UTC) or an RFC 3339 timestamp.
type Time struct{ time.Time }

// UnmarshalYAML implements yaml.Unmarshaler.
func (t *Time) UnmarshalYAML(n *yaml.Node) error {
	// A *yaml.TypeError lets the decoder go on and the caller place each
	// bad date at its own line; any other error stops at the first one.
	if n.Kind != yaml.ScalarNode {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: expected a date or timestamp", n.Line)}}
	}
	if n.Tag == "!!null" || n.Value == "" {
		t.Time = time.Time{}
		return nil
	}
	for _, layout := range []string{time.DateOnly, time.RFC3339, "2006-01-02T15:04:05", "2006-01-02 15:04:05"} {
		if v, err := time.Parse(layout, n.Value); err == nil {
			t.Time = v.UTC()
			return nil
		}
	}
	// A year past 9999 is a date all the same (time.Parse takes four
	// digits): read it so the milestone is refused at its place for the
	// year (model.CheckDate), not the whole file for its syntax.
	if m := bigYear.FindStringSubmatch(n.Value); m != nil {
		y, _ := strconv.Atoi(m[1])
		mo, _ := strconv.Atoi(m[2])
		d, _ := strconv.Atoi(m[3])
		if mo >= 1 && mo <= 12 && d >= 1 && d <= 31 {
			t.Time = time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC)
			return nil
		}
	}
	return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %q is not a date (YYYY-MM-DD) or an RFC 3339 timestamp", n.Line, n.Value)}}
}

var bigYear = regexp.MustCompile(`^(\d{5,9})-(\d\d)-(\d\d)(?:[T ].*)?$`)

// Export is a decoded export.
type Export struct {
	Milestones []model.Milestone
	// Invalid are milestones whose data forewarn cannot judge (a date out
	// of range, a due date before the start, bad points, an unknown client):
	// each with its problems as a *diag.List at file:line:col. The others
	// are judged.
	Invalid []Invalid
}

// Invalid is a milestone of the export that is refused.
type Invalid struct {
	Key, Title string
	Err        error
}

// ExportOption adjusts ParseExport.
type ExportOption func(*exportOptions)

type exportOptions struct{ knownClient func(string) bool }

// KnownClients refuses milestones whose client id known does not know.
func KnownClients(known func(id string) bool) ExportOption {
	return func(o *exportOptions) { o.knownClient = known }
}

// LoadExport reads an export file; problems come back as a *diag.List.
func LoadExport(path string) (Export, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Export{}, fmt.Errorf("reading export: %w", err)
	}
	return ParseExport(path, data, 0)
}

// ParseExport decodes an export. shift moves every timestamp by that much
// (replaying an old export as if it were taken today).
func ParseExport(path string, data []byte, shift time.Duration, opts ...ExportOption) (Export, error) {
	var o exportOptions
	for _, f := range opts {
		f(&o)
	}
	root, err := yamlx.Parse(path, data)
	if err != nil {
		return Export{}, err
	}
	l := &diag.List{}
	var doc ExportDoc
	yamlx.Decode(path, root, &doc, "", l)
	if l.Len() > 0 {
		return Export{}, l.Err()
	}
	if doc.Version != 1 {
		l.Add(path, root, "", "export version must be 1 (got %d)", doc.Version)
	}
	mseq := yamlx.Child(root, "milestones")
	seen := map[string]bool{}
	var out Export
	for i, md := range doc.Milestones {
		n := yamlx.Or(yamlx.Item(mseq, i), root)
		where := fmt.Sprintf("milestones[%d]", i)
		if md.Key == "" {
			l.Add(path, n, "", "%s: key is required", where)
		} else if seen[md.Key] {
			l.Add(path, yamlx.Or(yamlx.Child(n, "key"), n), "", "%s: key %q is used twice", where, md.Key)
		}
		seen[md.Key] = true
		if md.Due.IsZero() {
			l.Add(path, n, "", "%s (%s): due is required", where, md.Key)
		}
		kind := model.Kind(md.Kind)
		switch kind {
		case "":
			kind = model.KindMilestone
		case model.KindMilestone, model.KindFixVersion, model.KindSprint:
		default:
			l.Add(path, yamlx.Or(yamlx.Child(n, "kind"), n), "", "%s: kind must be milestone, fixversion or sprint (got %q)", where, md.Kind)
		}
		state := model.State(md.State)
		switch state {
		case "":
			state = model.StateOpen
		case model.StateOpen, model.StateClosed:
		default:
			l.Add(path, yamlx.Or(yamlx.Child(n, "state"), n), "", "%s: state must be open or closed (got %q)", where, md.State)
		}
		// What the model refuses (model.Validate), placed in the file:
		// these refuse the milestone alone.
		bad := &diag.List{}
		check := func(node *yaml.Node, what string, err error) {
			if err != nil {
				bad.Add(path, yamlx.Or(node, n), "", "%s (%s): %s %v", where, md.Key, what, err)
			}
		}
		check(yamlx.Child(n, "start"), "start", model.CheckDate(md.Start.Time))
		check(yamlx.Child(n, "due"), "due", model.CheckDate(md.Due.Time))
		check(yamlx.Child(n, "closed_at"), "closed_at", model.CheckDate(md.ClosedAt.Time))
		if err := model.CheckSpan(md.Start.Time, md.Due.Time); err != nil {
			bad.Add(path, yamlx.Or(yamlx.Child(n, "due"), n), "", "%s (%s): %v", where, md.Key, err)
		}
		if md.Client != "" && o.knownClient != nil && !o.knownClient(md.Client) {
			bad.Add(path, yamlx.Or(yamlx.Child(n, "client"), n), "", "%s (%s): client %q is not in the configuration's clients", where, md.Key, md.Client)
		}
		m := model.Milestone{Key: md.Key, Kind: kind, Title: md.Title, URL: md.URL, Client: md.Client,
			Labels: md.Labels, Start: sh(md.Start, shift), Due: model.Day(sh(md.Due, shift)), State: state, ClosedAt: sh(md.ClosedAt, shift)}
		iseq := yamlx.Child(n, "items")
		itemKeys := map[string]bool{}
		for j, it := range md.Items {
			in := yamlx.Or(yamlx.Item(iseq, j), n)
			iw := fmt.Sprintf("%s.items[%d]", where, j)
			if it.Key == "" {
				l.Add(path, in, "", "%s: key is required", iw)
			} else if itemKeys[it.Key] {
				l.Add(path, yamlx.Or(yamlx.Child(in, "key"), in), "", "%s: key %q is used twice in %s", iw, it.Key, md.Key)
			}
			itemKeys[it.Key] = true
			if it.Created.IsZero() {
				l.Add(path, in, "", "%s (%s): created is required", iw, it.Key)
			}
			if !it.Closed.IsZero() && it.Closed.Before(it.Created.Time) {
				l.Add(path, yamlx.Or(yamlx.Child(in, "closed"), in), "", "%s (%s): closed is before created", iw, it.Key)
			}
			for _, d := range []struct {
				name string
				t    Time
			}{{"created", it.Created}, {"joined", it.Joined}, {"started", it.Started}, {"closed", it.Closed},
				{"removed", it.Removed}, {"blocked_since", it.BlockedSince}} {
				check(yamlx.Child(in, d.name), fmt.Sprintf("item %s: %s", it.Key, d.name), model.CheckDate(d.t.Time))
			}
			if it.Points != nil {
				check(yamlx.Child(in, "points"), fmt.Sprintf("item %s: points", it.Key), model.CheckAmount(*it.Points))
			}
			check(yamlx.Child(in, "blocked_days"), fmt.Sprintf("item %s: blocked_days", it.Key), model.CheckAmount(it.BlockedDays))
			w := model.WorkItem{Key: it.Key, Title: it.Title, URL: it.URL, Created: at(it.Created, shift),
				Started: at(it.Started, shift), Closed: at(it.Closed, shift), RemovedAt: at(it.Removed, shift),
				Labels: it.Labels, Assignees: it.Assignees, Blocked: it.Blocked, BlockedSince: at(it.BlockedSince, shift),
				BlockedDays: it.BlockedDays, Rank: it.Rank, Resolution: it.Resolution, Points: 1}
			if it.Points != nil {
				w.Points, w.Estimated = *it.Points, true
			}
			w.JoinedAt, w.JoinedKnown = w.Created, false
			if !it.Joined.IsZero() {
				w.JoinedAt, w.JoinedKnown = at(it.Joined, shift), true
			}
			switch s := model.StatusCategory(strings.ReplaceAll(it.Status, "-", "_")); s {
			case "":
				switch {
				case !w.Closed.IsZero():
					w.Status = model.StatusDone
				case !w.Started.IsZero():
					w.Status = model.StatusInProgress
				default:
					w.Status = model.StatusTodo
				}
			case model.StatusTodo, model.StatusInProgress, model.StatusDone:
				w.Status = s
			default:
				l.Add(path, yamlx.Or(yamlx.Child(in, "status"), in), "", "%s (%s): status must be todo, in_progress or done (got %q)", iw, it.Key, it.Status)
			}
			m.Items = append(m.Items, w)
		}
		if bad.Len() > 0 {
			out.Invalid = append(out.Invalid, Invalid{Key: md.Key, Title: md.Title, Err: bad.Err()})
			continue
		}
		out.Milestones = append(out.Milestones, m)
	}
	if err := l.Err(); err != nil {
		return Export{}, err
	}
	return out, nil
}

func sh(t Time, d time.Duration) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.Add(d)
}

// at is sh as a work item's instant.
func at(t Time, d time.Duration) model.Instant { return model.At(sh(t, d)) }

func resolve(dir, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}
