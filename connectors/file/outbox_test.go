package file_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/forewarn/forewarn/connectors"
	"github.com/forewarn/forewarn/connectors/file"
	"github.com/forewarn/forewarn/internal/diag"
	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/model/modeltest"
	"github.com/forewarn/forewarn/internal/tracker/targettest"
	"github.com/forewarn/forewarn/internal/yamlx"
)

var t0 = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

func outbox(t *testing.T) (*file.Outbox, *time.Time) {
	t.Helper()
	now := t0
	o, err := file.NewTarget(file.TargetConfig{Dir: "drafts"}, connectors.Env{Dir: t.TempDir(), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return o, &now
}

func ticket(fp, title, body string) model.Ticket {
	return model.Ticket{Fingerprint: fp, Purpose: model.PurposeClientNotice, MilestoneKey: "file:demo/a", Rule: "r",
		Severity: "warning", Format: model.FormatMarkdown, Title: title, Body: body + "\n" + model.Marker(fp, model.FormatMarkdown),
		Labels: []string{"forewarn", fp}, Attachments: []model.Attachment{{Name: "../../burndown.svg", Data: []byte("<svg/>")}}}
}

const fp = "fw-0123456789abcdef"

func index(t *testing.T, o *file.Outbox) []file.IndexEntry {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(o.Dir(), "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ix struct{ Tickets []file.IndexEntry }
	if err := json.Unmarshal(data, &ix); err != nil {
		t.Fatal(err)
	}
	return ix.Tickets
}

func TestOutboxLifecycle(t *testing.T) {
	ctx := context.Background()
	o, now := outbox(t)
	if ref, err := o.Find(ctx, fp); err != nil || ref != nil {
		t.Fatalf("find before create: %v %v", ref, err)
	}
	ref, err := o.Create(ctx, ticket(fp, "Notice", "first body"))
	if err != nil {
		t.Fatal(err)
	}
	if !ref.Open || ref.ID != fp+".md" || ref.Digest != ticket(fp, "Notice", "first body").Digest() {
		t.Errorf("ref %+v", ref)
	}
	// The attachment lands beside the draft, never outside the outbox.
	if _, err := os.Stat(filepath.Join(o.Dir(), fp+".burndown.svg")); err != nil {
		t.Errorf("attachment: %v", err)
	}
	if ix := index(t, o); len(ix) != 1 || ix[0].Fingerprint != fp || ix[0].State != "open" || ix[0].Title != "Notice" {
		t.Errorf("index %+v", ix)
	}
	// Creating again is refused: another run made it first.
	if _, err := o.Create(ctx, ticket(fp, "Notice", "other")); !errors.Is(err, file.ErrExists) {
		t.Fatalf("second create: %v, want ErrExists", err)
	}

	*now = t0.Add(time.Hour)
	if err := o.Update(ctx, ref, ticket(fp, "Notice v2", "second body")); err != nil {
		t.Fatal(err)
	}
	got, _ := o.Find(ctx, fp)
	data, _ := os.ReadFile(filepath.Join(o.Dir(), fp+".md"))
	if got.Digest != ticket(fp, "Notice v2", "second body").Digest() || !strings.Contains(string(data), "second body") ||
		!strings.Contains(string(data), "updated: \"2026-11-20T10:00:00Z\"") || !strings.Contains(string(data), "created: \"2026-11-20T09:00:00Z\"") {
		t.Errorf("after update: %+v\n%s", got, data)
	}
	if fpGot, ok := modeltest.ParseMarker(string(data)); !ok || fpGot != fp {
		t.Errorf("marker %q", fpGot)
	}

	if err := o.Comment(ctx, ref, "  still at risk  "); err != nil {
		t.Fatal(err)
	}
	if err := o.Comment(ctx, ref, "second comment"); err != nil {
		t.Fatal(err)
	}
	comments, _ := os.ReadFile(filepath.Join(o.Dir(), fp+".comments.md"))
	if want := "## 2026-11-20T10:00:00Z\n\nstill at risk\n\n## 2026-11-20T10:00:00Z\n\nsecond comment\n\n"; string(comments) != want {
		t.Errorf("comments:\n%q\nwant\n%q", comments, want)
	}

	// A reviewer closes it as won't do; forewarn sees that, and reopening
	// makes it open again with its body kept.
	closed := strings.Replace(string(data), "state: open", "state: wontdo\nclosed_at: \"2026-11-21T08:00:00Z\"", 1)
	os.WriteFile(filepath.Join(o.Dir(), fp+".md"), []byte(closed), 0o644)
	got, _ = o.Find(ctx, fp)
	if got.Open || !got.WontDo || !got.ClosedAt.Equal(time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)) {
		t.Errorf("closed by reviewer: %+v", got)
	}
	if err := o.Reopen(ctx, *got); err != nil {
		t.Fatal(err)
	}
	got, _ = o.Find(ctx, fp)
	data, _ = os.ReadFile(filepath.Join(o.Dir(), fp+".md"))
	if !got.Open || !got.ClosedAt.IsZero() || !strings.Contains(string(data), "second body") {
		t.Errorf("reopened: %+v\n%s", got, data)
	}
	if ix := index(t, o); len(ix) != 1 || ix[0].State != "open" || ix[0].Title != "Notice v2" {
		t.Errorf("index after reopen %+v", ix)
	}
}

func TestOutboxRejectsPathFingerprints(t *testing.T) {
	o, _ := outbox(t)
	for _, bad := range []string{"../../etc/passwd", "fw-../x", "fw-a/b", `fw-a\b`, "x-0123", ""} {
		if _, err := o.Create(context.Background(), ticket(bad, "t", "b")); err == nil {
			t.Errorf("created %q", bad)
		}
		if _, err := o.Find(context.Background(), bad); err == nil {
			t.Errorf("found %q", bad)
		}
	}
	if entries, _ := os.ReadDir(filepath.Dir(o.Dir())); len(entries) > 1 {
		t.Errorf("files written: %v", entries)
	}
}

// Two runs creating the same fingerprint at once: exactly one file, one
// success, the other told it exists.
func TestOutboxConcurrentCreateMakesOneFile(t *testing.T) {
	for round := 0; round < 20; round++ {
		o, _ := outbox(t)
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				_, errs[i] = o.Create(context.Background(), ticket(fp, "Notice", strings.Repeat("body ", i+1)))
			}(i)
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, file.ErrExists):
				t.Fatalf("round %d: %v", round, err)
			}
		}
		if ok != 1 {
			t.Fatalf("round %d: %d creates succeeded, want 1", round, ok)
		}
		files, _ := filepath.Glob(filepath.Join(o.Dir(), "fw-*.md"))
		tmp, _ := filepath.Glob(filepath.Join(o.Dir(), ".tmp-*"))
		if len(files) != 1 || len(tmp) != 0 {
			t.Fatalf("round %d: files %v, temporaries %v", round, files, tmp)
		}
		if ix := index(t, o); len(ix) != 1 {
			t.Fatalf("round %d: index %+v", round, ix)
		}
	}
}

func TestOutboxBrokenDraftIsAnError(t *testing.T) {
	o, _ := outbox(t)
	os.MkdirAll(o.Dir(), 0o755)
	for name, text := range map[string]string{
		"fw-aaaaaaaaaaaaaaaa": "no front matter\n",
		"fw-bbbbbbbbbbbbbbbb": "---\ntitle: x\n",
		"fw-cccccccccccccccc": "---\ntitle: [\n---\nbody\n",
	} {
		os.WriteFile(filepath.Join(o.Dir(), name+".md"), []byte(text), 0o644)
		if _, err := o.Find(context.Background(), name); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: err %v, want one naming the file", name, err)
		}
	}
}

func TestSourceReplayAsOf(t *testing.T) {
	dir := t.TempDir()
	data, _ := os.ReadFile(filepath.Join("testdata", "valid.yaml"))
	os.WriteFile(filepath.Join(dir, "export.yaml"), data, 0o644)
	// Run on Friday 2026-11-20 at 09:00, dates move by whole weeks (a
	// Friday stays a Friday), rounded down.
	env := connectors.Env{Dir: dir, Now: func() time.Time { return t0 }}
	var s *file.Source
	for _, tc := range []struct {
		asOf string
		due  time.Time
	}{
		{"2026-11-06", time.Date(2026, 12, 18, 0, 0, 0, 0, time.UTC)}, // two weeks
		{"2026-11-10", time.Date(2026, 12, 11, 0, 0, 0, 0, time.UTC)}, // ten days: one week
		{"2026-11-20", time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)},  // today: none
	} {
		asOf, _ := time.Parse(time.DateOnly, tc.asOf)
		cfg := file.SourceConfig{Path: "export.yaml", ReplayAsOf: file.Date{Time: asOf}}
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		var err error
		if s, err = file.NewSource("demo", cfg, env); err != nil {
			t.Fatal(err)
		}
		res, err := s.Fetch(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		m := res.Milestones[0]
		if m.Key != "file:demo/checkout" || m.Source != "demo" || !m.Due.Equal(tc.due) {
			t.Errorf("as of %s: milestone %s from %s due %v, want %v", tc.asOf, m.Key, m.Source, m.Due, tc.due)
		}
	}
	// Without replay_as_of the dates are as written.
	s2, _ := file.NewSource("demo", file.SourceConfig{Path: "export.yaml"}, env)
	res2, _ := s2.Fetch(context.Background())
	if !res2.Milestones[0].Due.Equal(time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("unshifted due %v", res2.Milestones[0].Due)
	}
	// A broken export fails the source naming the file and position.
	os.WriteFile(filepath.Join(dir, "export.yaml"), []byte("version: 1\nmilestones:\n  - key: a\n    due: never\n"), 0o644)
	if _, err := s.Fetch(context.Background()); err == nil || !strings.Contains(err.Error(), "export of source demo is invalid: "+filepath.Join(dir, "export.yaml")+":4:10: ") {
		t.Errorf("broken export: %v", err)
	}
}

func TestSourceConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		cfg  file.SourceConfig
		want string
	}{
		{file.SourceConfig{}, "path is required"},
	} {
		if err := tc.cfg.Validate(); err == nil || err.Error() != tc.want {
			t.Errorf("%+v: %v, want %q", tc.cfg, err, tc.want)
		}
	}
	if err := (file.TargetConfig{}).Validate(); err == nil || err.Error() != "dir is required" {
		t.Errorf("target: %v", err)
	}
}

// TestReplayAsOfIsTypedAtDecode: replay_as_of is parsed once, when the
// section is decoded; a bad one is reported at its value, with the rest.
func TestReplayAsOfIsTypedAtDecode(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"path: x\nreplay_as_of: 2026-13-01\n", `f.yaml:2:15: sources[0].file.replay_as_of: "2026-13-01" is not a date (want YYYY-MM-DD)`},
		{"path: x\nreplay_as_of: [2026-11-06]\n", `f.yaml:2:15: sources[0].file.replay_as_of: want a date (YYYY-MM-DD), got a list`},
		{"path: x\nreplay_as_of: 2026-11-06\n", ""},
	} {
		n, err := yamlx.Parse("f.yaml", []byte(tc.src))
		if err != nil {
			t.Fatal(err)
		}
		var c file.SourceConfig
		l := &diag.List{}
		yamlx.DecodeAt("f.yaml", n, &c, "", "sources[0].file", l)
		if got := l.Err(); tc.want == "" {
			if got != nil || !c.ReplayAsOf.Equal(time.Date(2026, 11, 6, 0, 0, 0, 0, time.UTC)) || c.Path != "x" {
				t.Errorf("%q: %v, %+v", tc.src, got, c)
			}
		} else if got == nil || !strings.Contains(got.Error(), tc.want) || c.Path != "x" {
			t.Errorf("%q: %v (path %q), want %q", tc.src, got, c.Path, tc.want)
		}
	}
}

// lossy is an outbox whose next create writes the draft and then fails,
// as a run that crashed between writing the file and recording it would:
// the outbox's "lost answer".
type lossy struct {
	*file.Outbox
	lose    bool
	creates int
}

func (l *lossy) Create(ctx context.Context, t model.Ticket) (model.TicketRef, error) {
	l.creates++
	ref, err := l.Outbox.Create(ctx, t)
	if err == nil && l.lose {
		l.lose = false
		return model.TicketRef{}, errors.New("the run stopped before it heard the answer")
	}
	return ref, err
}

// TestTargetContract: the outbox keeps the contract every target keeps
// (internal/tracker/targettest); a reviewer's edits are edits of the file.
func TestTargetContract(t *testing.T) {
	targettest.Run(t, func(t *testing.T) targettest.Harness {
		o, now := outbox(t)
		l := &lossy{Outbox: o}
		rewrite := func(ref model.TicketRef, fn func(string) string) {
			p := filepath.Join(o.Dir(), ref.ID)
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(fn(string(data))), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		closeAs := func(state string) func(model.TicketRef) {
			return func(ref model.TicketRef) {
				rewrite(ref, func(s string) string {
					return strings.Replace(s, "state: open", "state: "+state+"\nclosed_at: \""+now.Format(time.RFC3339)+"\"", 1)
				})
			}
		}
		return targettest.Harness{
			Target:         l,
			Ticket:         ticket(fp, "Notice", "first body"),
			Creates:        func() int { return l.creates },
			Tickets:        func() int { m, _ := filepath.Glob(filepath.Join(o.Dir(), "fw-*[0-9a-f].md")); return len(m) },
			LoseNextCreate: func() { l.lose = true },
			Edit: func(ref model.TicketRef, add string) {
				rewrite(ref, func(s string) string { return strings.Replace(s, "\n---\n", "\n---\n"+add+"\n\n", 1) })
			},
			Close:       closeAs("closed"),
			CloseWontDo: closeAs("wontdo"),
		}
	})
}
