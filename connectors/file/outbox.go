package file

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/forewarn/forewarn/connectors"
	"github.com/forewarn/forewarn/internal/model"
)

// TargetConfig is the `outbox:` section of the target.
type TargetConfig struct {
	Dir string `yaml:"dir" desc:"Directory the drafts are written to, relative to the config file."`
	// FileMode is the permission of the files written, as octal text.
	FileMode string `yaml:"file_mode" desc:"Permission of the files written, in octal (default 0644: readable by the group and others; 0600 keeps them to the user)."`
}

// defaultFileMode: drafts are for people to read, and a reviewer's group
// usually needs to (os.CreateTemp alone would leave 0600).
const defaultFileMode fs.FileMode = 0o644

// Validate reports every problem with the section.
func (c TargetConfig) Validate() error {
	var errs []error
	if c.Dir == "" {
		errs = append(errs, errors.New("dir is required"))
	}
	if _, err := c.mode(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (c TargetConfig) mode() (fs.FileMode, error) {
	if c.FileMode == "" {
		return defaultFileMode, nil
	}
	v, err := strconv.ParseUint(c.FileMode, 8, 32)
	if err != nil || v > 0o777 || v&0o600 != 0o600 {
		return 0, fmt.Errorf("file_mode: %q is not an octal permission the user can read and write (e.g. 0644, 0640, 0600)", c.FileMode)
	}
	return fs.FileMode(v), nil
}

// Outbox writes each ticket as <fingerprint>.md with a YAML front matter,
// comments to <fingerprint>.comments.md, attachments beside them, and keeps
// index.json listing every ticket by fingerprint. A reviewer closes a draft
// by setting `state: closed` (or `wontdo`) in its front matter.
type Outbox struct {
	dir  string
	mode fs.FileMode
	env  connectors.Env

	ready sync.Once // the directory exists and a killed run's temporary files are gone
	err   error
}

// ErrExists is returned by Create when a ticket with the fingerprint is
// already there (another run made it first).
var ErrExists = errors.New("a ticket with this fingerprint already exists")

// NewTarget builds the outbox; it writes nothing until asked to.
func NewTarget(c TargetConfig, env connectors.Env) (*Outbox, error) {
	mode, err := c.mode()
	if err != nil {
		return nil, err
	}
	return &Outbox{dir: resolve(env.Dir, c.Dir), mode: mode, env: env}, nil
}

// orphanAge is how old a temporary file must be before a run removes it:
// a live run's last a few milliseconds, a killed run's stay for good.
const orphanAge = time.Minute

// prepare makes the outbox directory and, once per run, removes the
// temporary files a killed run left behind. Only writes call it, so a
// plan changes nothing.
func (o *Outbox) prepare() error {
	o.ready.Do(func() {
		if err := os.MkdirAll(o.dir, 0o755); err != nil {
			o.err = fmt.Errorf("creating outbox: %w", err)
			return
		}
		tmps, _ := filepath.Glob(filepath.Join(o.dir, ".tmp-*"))
		for _, p := range tmps {
			if fi, err := os.Lstat(p); err == nil && fi.Mode().IsRegular() && time.Since(fi.ModTime()) > orphanAge {
				if err := os.Remove(p); err == nil {
					o.env.Log.Info().Str("file", filepath.Base(p)).Msg("removed a temporary file left by an interrupted run")
				}
			}
		}
	})
	return o.err
}

// Dir is where the drafts land.
func (o *Outbox) Dir() string { return o.dir }

// Name implements tracker.Target.
func (o *Outbox) Name() string { return "outbox" }

// Format implements tracker.Target.
func (o *Outbox) Format() model.Format { return model.FormatMarkdown }

// frontMatter is the header of each draft file.
type frontMatter struct {
	Title       string   `yaml:"title"`
	Fingerprint string   `yaml:"fingerprint"`
	Purpose     string   `yaml:"purpose"`
	Milestone   string   `yaml:"milestone"`
	Rule        string   `yaml:"rule"`
	Severity    string   `yaml:"severity"`
	Labels      []string `yaml:"labels,flow"`
	Assignee    string   `yaml:"assignee,omitempty"`
	State       string   `yaml:"state"` // open, closed, wontdo
	Created     string   `yaml:"created"`
	Updated     string   `yaml:"updated"`
	ClosedAt    string   `yaml:"closed_at,omitempty"`
	Digest      string   `yaml:"digest"`
}

func (o *Outbox) path(fp string) string { return filepath.Join(o.dir, fp+".md") }

func validFP(fp string) error {
	if !strings.HasPrefix(fp, "fw-") || strings.ContainsAny(fp, `/\.`) {
		return fmt.Errorf("invalid fingerprint %q", fp)
	}
	return nil
}

// Find implements tracker.Target.
func (o *Outbox) Find(ctx context.Context, fp string) (*model.TicketRef, error) {
	if err := validFP(fp); err != nil {
		return nil, err
	}
	fm, body, err := o.read(fp)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	ref := o.ref(fp, fm)
	// The front matter's digest is of what forewarn wrote; a file that no
	// longer matches it was edited by a person. render ends the file with a
	// newline the draft may not have had: that is not an edit.
	written := model.Ticket{Title: fm.Title, Body: body, Labels: fm.Labels}
	unended := model.Ticket{Title: fm.Title, Body: strings.TrimSuffix(body, "\n"), Labels: fm.Labels}
	ref.Edited = fm.Digest != "" && written.Digest() != fm.Digest && unended.Digest() != fm.Digest
	return ref, nil
}

func (o *Outbox) ref(fp string, fm frontMatter) *model.TicketRef {
	r := &model.TicketRef{Fingerprint: fp, Target: o.Name(), ID: fp + ".md", URL: o.path(fp),
		Open: fm.State == "" || fm.State == "open", WontDo: fm.State == "wontdo", Digest: fm.Digest}
	if t, err := time.Parse(time.RFC3339, fm.ClosedAt); err == nil {
		r.ClosedAt = t
	}
	return r
}

func (o *Outbox) read(fp string) (frontMatter, string, error) {
	data, err := os.ReadFile(o.path(fp))
	if err != nil {
		return frontMatter{}, "", err
	}
	var fm frontMatter
	rest, ok := bytes.CutPrefix(data, []byte("---\n"))
	if !ok {
		return fm, "", fmt.Errorf("outbox file %s has no front matter", o.path(fp))
	}
	head, body, ok := bytes.Cut(rest, []byte("\n---\n"))
	if !ok {
		return fm, "", fmt.Errorf("outbox file %s: front matter is not closed", o.path(fp))
	}
	if err := yaml.Unmarshal(head, &fm); err != nil {
		return fm, "", fmt.Errorf("outbox file %s: front matter: %w", o.path(fp), err)
	}
	return fm, string(body), nil
}

func (o *Outbox) render(fm frontMatter, body string) ([]byte, error) {
	head, err := yaml.Marshal(fm)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString("---\n")
	b.Write(head)
	b.WriteString("---\n")
	b.WriteString(body)
	if !strings.HasSuffix(body, "\n") {
		b.WriteString("\n")
	}
	return b.Bytes(), nil
}

// Create implements tracker.Target. The file appears atomically and never
// replaces an existing one, so two racing runs cannot both create.
func (o *Outbox) Create(ctx context.Context, t model.Ticket) (model.TicketRef, error) {
	if err := validFP(t.Fingerprint); err != nil {
		return model.TicketRef{}, err
	}
	if err := o.prepare(); err != nil {
		return model.TicketRef{}, err
	}
	now := o.env.Clock().UTC().Format(time.RFC3339)
	fm := frontMatter{Title: t.Title, Fingerprint: t.Fingerprint, Purpose: string(t.Purpose), Milestone: t.MilestoneKey,
		Rule: t.Rule, Severity: t.Severity, Labels: t.Labels, Assignee: t.Assignee, State: "open",
		Created: now, Updated: now, Digest: t.Digest()}
	data, err := o.render(fm, t.Body)
	if err != nil {
		return model.TicketRef{}, err
	}
	if err := o.writeAttachments(t); err != nil {
		return model.TicketRef{}, err
	}
	if err := writeExclusive(o.path(t.Fingerprint), data, o.mode); err != nil {
		return model.TicketRef{}, err
	}
	if err := o.writeIndex(); err != nil {
		return model.TicketRef{}, err
	}
	return *o.ref(t.Fingerprint, fm), nil
}

// Update implements tracker.Target: the body is replaced, the state kept.
func (o *Outbox) Update(ctx context.Context, ref model.TicketRef, t model.Ticket) error {
	if err := o.prepare(); err != nil {
		return err
	}
	fm, _, err := o.read(ref.Fingerprint)
	if err != nil {
		return fmt.Errorf("updating %s: %w", ref.ID, err)
	}
	fm.Title, fm.Rule, fm.Severity, fm.Labels, fm.Assignee = t.Title, t.Rule, t.Severity, t.Labels, t.Assignee
	fm.Updated = o.env.Clock().UTC().Format(time.RFC3339)
	fm.Digest = t.Digest()
	data, err := o.render(fm, t.Body)
	if err != nil {
		return err
	}
	if err := o.writeAttachments(t); err != nil {
		return err
	}
	if err := writeAtomic(o.path(ref.Fingerprint), data, o.mode); err != nil {
		return err
	}
	return o.writeIndex()
}

// Comment implements tracker.Target.
func (o *Outbox) Comment(ctx context.Context, ref model.TicketRef, body string) error {
	if err := o.prepare(); err != nil {
		return err
	}
	p := filepath.Join(o.dir, ref.Fingerprint+".comments.md")
	f, err := os.OpenFile(p, os.O_CREATE|os.O_APPEND|os.O_WRONLY, o.mode)
	if err != nil {
		return fmt.Errorf("commenting on %s: %w", ref.ID, err)
	}
	defer f.Close()
	if err := f.Chmod(o.mode); err != nil { // the umask may have taken bits away
		return fmt.Errorf("commenting on %s: %w", ref.ID, err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintf(w, "## %s\n\n%s\n\n", o.env.Clock().UTC().Format(time.RFC3339), strings.TrimSpace(body))
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Sync()
}

// Reopen implements tracker.Target.
func (o *Outbox) Reopen(ctx context.Context, ref model.TicketRef) error {
	if err := o.prepare(); err != nil {
		return err
	}
	fm, body, err := o.read(ref.Fingerprint)
	if err != nil {
		return fmt.Errorf("reopening %s: %w", ref.ID, err)
	}
	fm.State, fm.ClosedAt = "open", ""
	fm.Updated = o.env.Clock().UTC().Format(time.RFC3339)
	data, err := o.render(fm, body)
	if err != nil {
		return err
	}
	if err := writeAtomic(o.path(ref.Fingerprint), data, o.mode); err != nil {
		return err
	}
	return o.writeIndex()
}

func (o *Outbox) writeAttachments(t model.Ticket) error {
	for _, a := range t.Attachments {
		name := filepath.Base(a.Name)
		data, err := a.Bytes()
		if err != nil {
			return fmt.Errorf("attachment %s: %w", name, err)
		}
		if err := writeAtomic(filepath.Join(o.dir, t.Fingerprint+"."+name), data, o.mode); err != nil {
			return fmt.Errorf("writing attachment %s: %w", name, err)
		}
	}
	return nil
}

// IndexEntry is one line of index.json.
type IndexEntry struct {
	Fingerprint string `json:"fingerprint"`
	File        string `json:"file"`
	Title       string `json:"title"`
	Purpose     string `json:"purpose"`
	Milestone   string `json:"milestone"`
	State       string `json:"state"`
	Created     string `json:"created"`
	Updated     string `json:"updated"`
}

// Index lists the tickets in the outbox, sorted by fingerprint.
func (o *Outbox) Index() ([]IndexEntry, error) {
	paths, err := filepath.Glob(filepath.Join(o.dir, "fw-*.md"))
	if err != nil {
		return nil, err
	}
	var out []IndexEntry
	for _, p := range paths {
		base := filepath.Base(p)
		if strings.HasSuffix(base, ".comments.md") {
			continue
		}
		fp := strings.TrimSuffix(base, ".md")
		fm, _, err := o.read(fp)
		if err != nil {
			return nil, err
		}
		out = append(out, IndexEntry{Fingerprint: fp, File: base, Title: fm.Title, Purpose: fm.Purpose,
			Milestone: fm.Milestone, State: fm.State, Created: fm.Created, Updated: fm.Updated})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Fingerprint < out[j].Fingerprint })
	return out, nil
}

// writeIndex rebuilds index.json from the files, which stay the truth.
func (o *Outbox) writeIndex() error {
	idx, err := o.Index()
	if err != nil {
		return err
	}
	data, err := json.MarshalIndent(map[string]any{"tickets": idx}, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(filepath.Join(o.dir, "index.json"), append(data, '\n'), o.mode)
}

func tempFile(dst string, data []byte, mode fs.FileMode) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(dst), ".tmp-*")
	if err != nil {
		return "", err
	}
	if err := f.Chmod(mode); err != nil {
		f.Close()
		os.Remove(f.Name())
		return "", err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(f.Name())
		return "", err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(f.Name())
		return "", err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// writeAtomic replaces dst with data in one rename.
func writeAtomic(dst string, data []byte, mode fs.FileMode) error {
	tmp, err := tempFile(dst, data, mode)
	if err != nil {
		return fmt.Errorf("writing %s: %w", dst, err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", dst, err)
	}
	return nil
}

// writeExclusive makes dst appear whole, failing with ErrExists if it is
// already there (a hard link never replaces its target).
func writeExclusive(dst string, data []byte, mode fs.FileMode) error {
	tmp, err := tempFile(dst, data, mode)
	if err != nil {
		return fmt.Errorf("writing %s: %w", dst, err)
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, dst); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("writing %s: %w", dst, ErrExists)
		}
		return fmt.Errorf("writing %s: %w", dst, err)
	}
	return nil
}
