package ruletest

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzFixture: the compact notation and the fixture builder never panic,
// and what builds is consistent: no item closes before it joins, and the
// milestone as of any time holds only items that had joined by then.
func FuzzFixture(f *testing.F) {
	for _, s := range [][3]string{{"1x15", "", "40"}, {"2 0 1x3 _", "0x5 3", "10"}, {"1x5", "", "3"}, {"x", "9x", "1"}, {"", "", "0"}} {
		f.Add(s[0], s[1], 40, "2026-02-02", "2026-03-13", 2, 1)
	}
	f.Fuzz(func(t *testing.T, done, added string, items int, start, due string, blocked, ignored int) {
		if items > 500 || len(done) > 200 || len(added) > 200 {
			return
		}
		ms := MilestoneSpec{Key: "k", Start: start, Due: due, Items: items, Done: done, Added: added, Blocked: blocked, Ignored: ignored}
		m, err := ms.build()
		if err != nil {
			return
		}
		for _, it := range m.Items {
			if !it.Closed.IsZero() && it.Closed.Compare(it.JoinedAt) < 0 {
				t.Fatalf("%s closes before it joins", it.Key)
			}
		}
		at := m.Start.AddDate(0, 0, 10)
		for _, it := range asOf(m, at).Items {
			if it.JoinedAt.After(at) || (!it.Closed.IsZero() && it.Closed.After(at)) {
				t.Fatalf("as of %s: %+v", at, it)
			}
		}
	})
}

// The shipped test file and the testdata files parse without panicking
// whatever their bytes: a cheap guard for RunFile's decoding.
func FuzzRunFile(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.yaml")
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	dir := f.TempDir()
	rules, err := os.ReadFile("../../rules.yaml")
	if err != nil {
		f.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "rules.yaml"), rules, 0o644); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 4096 {
			return
		}
		path := filepath.Join(dir, "t.yaml")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		_, _ = RunFile(t.Context(), path, nil, false)
	})
}
