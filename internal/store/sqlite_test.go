package store_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/forewarn/forewarn/internal/store"
)

// The SQLite file: WAL mode, private to the user, lock file beside it.
func TestSQLiteFile(t *testing.T) {
	b := sqliteBackend(t)
	s := b.open(t)
	unlock, err := lock(s, ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	var mode string
	if err := b.raw(t).QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v; want wal", mode, err)
	}
	for path, want := range map[string]os.FileMode{
		b.cfg.Path:               0o600,
		filepath.Dir(b.cfg.Path): 0o700 | os.ModeDir,
		b.cfg.Path + ".lock":     0o600,
	} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("%s: mode %v; want %v", filepath.Base(path), fi.Mode(), want)
		}
	}
	if s.Driver() != "sqlite" {
		t.Fatalf("Driver() = %q", s.Driver())
	}
}

func TestSQLiteOpenErrors(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	notDB := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notDB, []byte(strings.Repeat("not a database\n", 200)), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, path, want string }{
		{"directory is a file", filepath.Join(blocker, "state.db"), "creating the directory of"},
		{"not a database", notDB, notDB},
		{"query characters", filepath.Join(dir, "a?b.db"), "must not contain"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := store.Open(ctx, store.Config{Path: c.path}, nil)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Open = %v; want an error naming %q", err, c.want)
			}
		})
	}
}

// A plan after the last run closed (no -wal or -shm beside the file) still
// reads the state.
func TestSQLiteReadOnlyAfterClose(t *testing.T) {
	b := sqliteBackend(t)
	s := b.open(t)
	must(t, s.LedgerPut(ctx, ledgerEntry("fw-1")))
	must(t, s.Close())
	ro, err := store.OpenReadOnly(ctx, b.cfg, nil)
	if err != nil {
		t.Fatalf("OpenReadOnly: %v", err)
	}
	defer ro.Close()
	if _, ok, err := ro.LedgerGet(ctx, "fw-1"); !ok || err != nil {
		t.Fatalf("LedgerGet = %v, %v", ok, err)
	}
}
