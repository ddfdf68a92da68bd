package file

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/forewarn/forewarn/connectors"
	"github.com/forewarn/forewarn/internal/logx"
	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/tracker"
	"github.com/forewarn/forewarn/internal/yamlx"
)

// SourceConfig is the `file:` section of a source.
type SourceConfig struct {
	Path string `yaml:"path" desc:"The export file (YAML or JSON), relative to the config file."`
	// ReplayAsOf replays an old export as if it were taken today: every
	// timestamp moves by the whole weeks between this date and today (whole
	// weeks keep working days and weekends in place).
	ReplayAsOf Date `yaml:"replay_as_of" desc:"YYYY-MM-DD the export was taken; when set, its dates move by whole weeks so that day falls in the last seven days."`
}

// Date is a calendar date in the configuration (YYYY-MM-DD, midnight UTC),
// parsed once when the section is decoded: a bad one is reported at its
// value (file:line:col). The zero Date is "not given".
type Date struct{ time.Time }

// UnmarshalYAML implements yaml.Unmarshaler. Its errors are
// *yaml.TypeError, so the decoder goes on and reports everything at once.
func (d *Date) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: want %s, got %s", n.Line, dateWant, yamlx.Describe(n))}}
	}
	t, err := time.Parse(time.DateOnly, strings.TrimSpace(n.Value))
	if err != nil {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %q is not a date (want YYYY-MM-DD)", n.Line, n.Value)}}
	}
	d.Time = t
	return nil
}

const dateWant = "a date (YYYY-MM-DD)"

// YAMLWant says what a date looks like, for type errors.
func (Date) YAMLWant() string { return dateWant }

// JSONSchema describes Date for `forewarn schema`.
func (Date) JSONSchema() map[string]any { return map[string]any{"type": "string", "format": "date"} }

// Validate reports every problem with the section.
func (c SourceConfig) Validate() error {
	var errs []error
	if c.Path == "" {
		errs = append(errs, errors.New("path is required"))
	}
	return errors.Join(errs...)
}

// Source reads milestones from an export file.
type Source struct {
	name string
	path string
	asOf time.Time
	env  connectors.Env
}

// NewSource builds a file source; it reads nothing yet.
func NewSource(name string, c SourceConfig, env connectors.Env) (*Source, error) {
	return &Source{name: name, path: resolve(env.Dir, c.Path), asOf: c.ReplayAsOf.Time, env: env}, nil
}

// Name implements tracker.Source.
func (s *Source) Name() string { return s.name }

// Fetch implements tracker.Source: the whole export is one read, so a broken
// file fails the source as a whole.
func (s *Source) Fetch(ctx context.Context) (tracker.FetchResult, error) {
	if err := ctx.Err(); err != nil {
		return tracker.FetchResult{}, err
	}
	data, err := os.ReadFile(s.path)
	if err != nil {
		return tracker.FetchResult{}, fmt.Errorf("reading export of source %s: %w", s.name, err)
	}
	var shift time.Duration
	if !s.asOf.IsZero() {
		// Whole weeks, so a Friday stays a Friday: working days and
		// weekends keep their places in the history the forecast reads.
		const week = 7 * 24 * time.Hour
		today := model.Day(s.env.Clock())
		shift = today.Sub(s.asOf).Truncate(week)
		if shift > today.Sub(s.asOf) { // Truncate rounds toward zero; a past as-of rounds down
			shift -= week
		}
	}
	var opts []ExportOption
	if s.env.KnownClient != nil {
		opts = append(opts, KnownClients(s.env.KnownClient))
	}
	exp, err := ParseExport(s.path, data, shift, opts...)
	if err != nil {
		// On one line with the first problem, so the report's NOT JUDGED
		// line (which shows the first line) says what is wrong.
		return tracker.FetchResult{}, fmt.Errorf("export of source %s is invalid: %w", s.name, err)
	}
	res := tracker.FetchResult{}
	for _, bad := range exp.Invalid {
		res.Failed = append(res.Failed, tracker.MilestoneFailure{Key: "file:" + s.name + "/" + bad.Key, Title: bad.Title, Err: bad.Err})
	}
	own := 0
	prog, task := logx.ProgressFrom(ctx), logx.TaskFrom(ctx)
	for _, m := range exp.Milestones {
		if task != "" {
			prog.Add(task, "items", len(m.Items)) // a large export counts up
		}
		m.Source = s.name
		m.Key = "file:" + s.name + "/" + m.Key
		// An export made from a tracker whose review project is also a
		// source may hold forewarn's own tickets: never work items.
		kept := m.Items[:0:0]
		for _, it := range m.Items {
			if model.OwnTicket(it.Labels, "") {
				own++
				continue
			}
			kept = append(kept, it)
		}
		m.Items = kept
		res.Milestones = append(res.Milestones, m)
	}
	if own > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("%s: %d of forewarn's own ticket(s) in the export left out of its work items", s.name, own))
	}
	return res, nil
}
