// Package demotest copies the bundled demo for tests that run it: the demo
// writes its state and outbox beside its config, so tests run a copy laid
// out like the repository (rules.yaml at the top, examples/demo below).
package demotest

import (
	"os"
	"path/filepath"
	"testing"
)

// Copy copies rules.yaml and examples/demo into a temporary directory and
// returns that directory and the copied config's path.
func Copy(t testing.TB) (root, config string) {
	t.Helper()
	repo := repoRoot(t)
	root = t.TempDir()
	for _, f := range []string{"rules.yaml", "examples/demo/forewarn.yaml", "examples/demo/export.yaml"} {
		data, err := os.ReadFile(filepath.Join(repo, f))
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(root, f)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root, filepath.Join(root, "examples", "demo", "forewarn.yaml")
}

// repoRoot walks up from the test's directory to go.mod.
func repoRoot(t testing.TB) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test's directory")
		}
		dir = parent
	}
}
