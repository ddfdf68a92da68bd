package file_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/forewarn/forewarn/connectors"
	"github.com/forewarn/forewarn/connectors/file"
)

// Drafts are for people to read: every file the outbox writes is 0644
// whatever the process umask, unless file_mode says otherwise.
func TestOutboxFileModes(t *testing.T) {
	old := syscall.Umask(0o077) // a strict umask must not hide drafts from the group
	defer syscall.Umask(old)
	for _, tc := range []struct {
		mode string
		want fs.FileMode
	}{{"", 0o644}, {"0640", 0o640}, {"600", 0o600}} {
		t.Run("mode "+tc.mode, func(t *testing.T) {
			o, err := file.NewTarget(file.TargetConfig{Dir: "drafts", FileMode: tc.mode}, connectors.Env{Dir: t.TempDir(), Now: func() time.Time { return t0 }})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			ref, err := o.Create(ctx, ticket(fp, "T", "body"))
			if err != nil {
				t.Fatal(err)
			}
			if err := o.Comment(ctx, ref, "a comment"); err != nil {
				t.Fatal(err)
			}
			paths, _ := filepath.Glob(filepath.Join(o.Dir(), "*"))
			if len(paths) < 4 { // draft, chart, comments, index
				t.Fatalf("only %v written", paths)
			}
			for _, p := range paths {
				fi, err := os.Stat(p)
				if err != nil {
					t.Fatal(err)
				}
				if fi.Mode().Perm() != tc.want {
					t.Errorf("%s is %v, want %v", filepath.Base(p), fi.Mode().Perm(), tc.want)
				}
			}
		})
	}
	for _, bad := range []string{"0844", "rw-r--r--", "0044"} {
		if err := (file.TargetConfig{Dir: "d", FileMode: bad}).Validate(); err == nil || !strings.Contains(err.Error(), "file_mode") {
			t.Errorf("file_mode %q: %v", bad, err)
		}
	}
}

// A run killed between writing a temporary file and renaming it leaves a
// .tmp-* file; the next run that writes removes it (and leaves one that a
// live run may be writing right now).
func TestOutboxRemovesOrphanedTempFiles(t *testing.T) {
	o, _ := outbox(t)
	if err := os.MkdirAll(o.Dir(), 0o755); err != nil {
		t.Fatal(err)
	}
	orphan := filepath.Join(o.Dir(), ".tmp-1234567")
	live := filepath.Join(o.Dir(), ".tmp-7654321")
	for _, p := range []string{orphan, live} {
		if err := os.WriteFile(p, []byte("half a draft"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	hourAgo := time.Now().Add(-time.Hour)
	if err := os.Chtimes(orphan, hourAgo, hourAgo); err != nil {
		t.Fatal(err)
	}
	// Looking tickets up (a plan) writes nothing and removes nothing.
	if _, err := o.Find(context.Background(), fp); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(orphan); err != nil {
		t.Fatal("a lookup removed a file")
	}
	if _, err := o.Create(context.Background(), ticket(fp, "T", "body")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(orphan); !os.IsNotExist(err) {
		t.Errorf("the orphaned temporary file is still there (%v)", err)
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("a fresh temporary file was removed: %v", err)
	}
}
