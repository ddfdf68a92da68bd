package file_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn/connectors/file"
	"github.com/forewarn/forewarn/internal/diag"
	"github.com/forewarn/forewarn/internal/model"
)

func TestParseExportValid(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "valid.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	exp, err := file.ParseExport("valid.yaml", data, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(exp.Milestones) != 2 {
		t.Fatalf("%d milestones", len(exp.Milestones))
	}
	m := exp.Milestones[0]
	day := func(s string) time.Time { t, _ := time.Parse(time.RFC3339, s); return t }
	if m.Key != "checkout" || m.Kind != model.KindFixVersion || m.State != model.StateOpen || m.Client != "acme" {
		t.Errorf("milestone: %+v", m)
	}
	// due is a day: the time of day is dropped.
	if !m.Due.Equal(day("2026-12-04T00:00:00Z")) || !m.Start.Equal(day("2026-10-05T00:00:00Z")) {
		t.Errorf("due %v, start %v", m.Due, m.Start)
	}
	a1, a2 := m.Items[0], m.Items[1]
	if a1.Status != model.StatusDone || !a1.Estimated || a1.Points != 3 || !a1.JoinedKnown || !a1.JoinedAt.Equal(day("2026-10-20T09:00:00Z")) {
		t.Errorf("A-1: %+v", a1)
	}
	if a2.Status != model.StatusInProgress || a2.Estimated || a2.Points != 1 || a2.JoinedKnown || a2.JoinedAt != a2.Created || !a2.Blocked || a2.BlockedDays != 1.5 {
		t.Errorf("A-2: %+v", a2)
	}
	if s := exp.Milestones[1]; s.Kind != model.KindMilestone || s.State != model.StateClosed || !s.ClosedAt.Equal(day("2026-11-14T10:00:00Z")) {
		t.Errorf("search: %+v", s)
	}

	// JSON is read by the same decoder.
	data, _ = os.ReadFile(filepath.Join("testdata", "valid.json"))
	if exp, err := file.ParseExport("valid.json", data, 0); err != nil || len(exp.Milestones[0].Items) != 1 {
		t.Fatalf("json: %v %+v", err, exp)
	}
}

func TestParseExportShift(t *testing.T) {
	data, _ := os.ReadFile(filepath.Join("testdata", "valid.yaml"))
	base, _ := file.ParseExport("valid.yaml", data, 0)
	shift := 10*24*time.Hour + 5*time.Hour
	moved, err := file.ParseExport("valid.yaml", data, shift)
	if err != nil {
		t.Fatal(err)
	}
	b, m := base.Milestones[0], moved.Milestones[0]
	if got := m.Items[0].Created.Time().Sub(b.Items[0].Created.Time()); got != shift {
		t.Errorf("created moved by %v, want %v", got, shift)
	}
	// due stays a whole day after the shift.
	if m.Due.Hour() != 0 || m.Due.Sub(b.Due) != 10*24*time.Hour {
		t.Errorf("due %v (was %v)", m.Due, b.Due)
	}
	// Unset times stay unset.
	if !m.Items[1].Closed.IsZero() {
		t.Errorf("an unset time moved: %v", m.Items[1].Closed)
	}
}

// Each bad export and its diagnostics, exactly.
func TestParseExportErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string
	}{
		{"version", "version: 2\nmilestones: []\n", []string{"x.yaml:1:1: export version must be 1 (got 2)"}},
		{"unknown key", "version: 1\nmilestones:\n  - key: a\n    due: 2026-12-01\n    deu: 2026-12-01\n",
			[]string{`x.yaml:5:5: unknown key "deu" (allowed: client, closed_at, due, items, key, kind, labels, start, state, title, url)`}},
		{"missing key and due", "version: 1\nmilestones:\n  - title: A\n",
			[]string{"x.yaml:3:5: milestones[0]: key is required", "x.yaml:3:5: milestones[0] (): due is required"}},
		{"duplicate key", "version: 1\nmilestones:\n  - {key: a, due: 2026-12-01}\n  - {key: a, due: 2026-12-01}\n",
			[]string{`x.yaml:4:11: milestones[1]: key "a" is used twice`}},
		{"bad kind and state", "version: 1\nmilestones:\n  - key: a\n    due: 2026-12-01\n    kind: epic\n    state: done\n",
			[]string{`x.yaml:5:11: milestones[0]: kind must be milestone, fixversion or sprint (got "epic")`,
				`x.yaml:6:12: milestones[0]: state must be open or closed (got "done")`}},
		{"bad dates, each at its place", "version: 1\nmilestones:\n  - key: a\n    due: 2026-02-30\n    items:\n      - key: I\n        created: 1/2/2026\n",
			[]string{`x.yaml:4:10: milestones[0].due: "2026-02-30" is not a date (YYYY-MM-DD) or an RFC 3339 timestamp`,
				`x.yaml:7:18: milestones[0].items[0].created: "1/2/2026" is not a date (YYYY-MM-DD) or an RFC 3339 timestamp`}},
		{"date is a list", "version: 1\nmilestones:\n  - key: a\n    due: [2026-12-01]\n",
			[]string{"x.yaml:4:10: milestones[0].due: expected a date or timestamp"}},
		{"item problems", "version: 1\nmilestones:\n  - key: a\n    due: 2026-12-01\n    items:\n      - title: no key\n      - key: I\n        created: 2026-11-02\n        closed: 2026-11-01\n        status: blocked\n      - key: I\n        created: 2026-11-02\n",
			[]string{"x.yaml:6:9: milestones[0].items[0]: key is required",
				"x.yaml:6:9: milestones[0].items[0] (): created is required",
				"x.yaml:9:17: milestones[0].items[1] (I): closed is before created",
				`x.yaml:10:17: milestones[0].items[1] (I): status must be todo, in_progress or done (got "blocked")`,
				`x.yaml:11:14: milestones[0].items[2]: key "I" is used twice in a`}},
		{"syntax", "version: 1\nmilestones:\n\t- key: a\n", []string{"x.yaml:3:1: found character that cannot start any token"}},
		{"NUL", "version: 1\nmilestones: [\x00]\n", []string{"x.yaml:2:14: control characters are not allowed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := file.ParseExport("x.yaml", []byte(tc.in), 0)
			if !diag.IsConfigError(err) {
				t.Fatalf("error %v is not a diagnostics list", err)
			}
			if got := strings.Split(err.Error(), "\n"); strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestLoadExportMissingFile(t *testing.T) {
	if _, err := file.LoadExport(filepath.Join(t.TempDir(), "none.yaml")); err == nil || !strings.Contains(err.Error(), "reading export") {
		t.Fatalf("err = %v", err)
	}
}

// FuzzParseExport: the export parser never panics; what it accepts has
// every milestone keyed and due, and shifting keeps it valid.
func FuzzParseExport(f *testing.F) {
	for _, p := range []string{"testdata/valid.yaml", "testdata/valid.json", "../../examples/demo/export.yaml"} {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("version: 1\nmilestones:\n  - key: a\n    due: 2026-02-30\n"))
	f.Add([]byte("a: &a [x, x]\nb: &b [*a, *a]\nversion: 1\nmilestones: *b\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		exp, err := file.ParseExport("fuzz.yaml", data, 0)
		if err != nil {
			if exp.Milestones != nil {
				t.Fatal("milestones and an error")
			}
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		for _, m := range exp.Milestones {
			if m.Key == "" || m.Due.IsZero() {
				t.Fatalf("accepted a milestone without key or due: %+v", m)
			}
		}
		if _, err := file.ParseExport("fuzz.yaml", data, 36*time.Hour); err != nil {
			t.Fatalf("valid unshifted, invalid shifted: %v", err)
		}
	})
}
