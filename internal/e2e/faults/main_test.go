// Package faults is the end-to-end fault matrix: the built forewarn binary
// runs against the in-process fake GitHub and fake Jira on loopback while
// they misbehave (5xx bursts, 429 with Retry-After, malformed and truncated
// bodies, resets, slow answers, lost create responses), while it is killed
// with SIGKILL between deciding and recording, and while two runs start at
// once. After every row the suite checks the guarantees of
// ../shared/docs/product.md: exactly one ticket per (milestone, purpose),
// no firing lost (the next clean run opens what is missing), milestones
// with unreadable data reported and not judged, and the documented exit
// codes.
//
//	go test ./internal/e2e/faults/                          # default: 10 kills per tracker
//	FOREWARN_E2E_LONG=1 go test ./internal/e2e/faults/      # 100 kills per tracker
//	go test ./internal/e2e/faults/ -kill-loop 250 -matrix-out docs/reliability.md
package faults

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

var (
	killLoop  = flag.Int("kill-loop", 0, "SIGKILL iterations per tracker (default 10; 100 with FOREWARN_E2E_LONG=1)")
	matrixOut = flag.String("matrix-out", "", "write the fault matrix into this Markdown file (between the matrix markers; relative to the repo root)")
	killSeed  = flag.Int64("kill-seed", 0, "seed of the random kill points (0: from the clock; printed either way)")
)

// binary is the forewarn executable built once for the whole suite.
var binary string

func TestMain(m *testing.M) {
	flag.Parse()
	code := func() int {
		dir, err := os.MkdirTemp("", "forewarn-e2e-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "faults:", err)
			return 1
		}
		defer os.RemoveAll(dir)
		binary = filepath.Join(dir, "forewarn")
		build := exec.Command("go", "build", "-o", binary, "./cmd/forewarn")
		build.Dir = repoRoot()
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "faults: building forewarn: %v\n%s", err, out)
			return 1
		}
		code := m.Run()
		if testing.Verbose() {
			fmt.Println("\nfault matrix:\n" + renderMatrix())
		}
		if *matrixOut != "" && code == 0 {
			if err := writeMatrix(*matrixOut); err != nil {
				fmt.Fprintln(os.Stderr, "faults: -matrix-out:", err)
				return 1
			}
		}
		return code
	}()
	os.Exit(code)
}

// kills is the number of SIGKILL iterations per tracker.
func kills() int {
	if *killLoop > 0 {
		return *killLoop
	}
	if v, _ := strconv.ParseBool(os.Getenv("FOREWARN_E2E_LONG")); v {
		return 100
	}
	return 10
}

// repoRoot walks up from the package directory to go.mod.
func repoRoot() string {
	dir, _ := os.Getwd()
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			panic("faults: go.mod not found above the test directory")
		}
		dir = parent
	}
}
