package faults

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"
)

// row is one line of the published fault matrix.
type row struct {
	Order     int    // sort key: the table's order
	Tracker   string // github, jira
	Fault     string
	Runs      int // binary runs, faulty and clean
	Kills     int // runs ended with SIGKILL
	Creates   int // create requests the target fake received
	Tickets   int // tickets on the target at the end
	Expected  int // tickets the findings call for
	Dups      int // tickets beyond one per fingerprint: must be 0
	NotJudged int // milestones or sources reported not judged by the faulty run(s); -1: not applicable
	Pending   int // kills that left a "pending" ledger record (caught between deciding and recording)
	Exit      string
}

var (
	matrixMu sync.Mutex
	matrix   []row
	// seedUsed is the seed of the kill points, for the matrix header.
	seedUsed int64
)

func record(r row) {
	matrixMu.Lock()
	defer matrixMu.Unlock()
	matrix = append(matrix, r)
}

const (
	matrixBegin = "<!-- fault-matrix:begin -->"
	matrixEnd   = "<!-- fault-matrix:end -->"
)

// renderMatrix is the matrix as Markdown, rows in table order.
func renderMatrix() string {
	matrixMu.Lock()
	rows := append([]row(nil), matrix...)
	matrixMu.Unlock()
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].Order != rows[j].Order {
			return rows[i].Order < rows[j].Order
		}
		return rows[i].Tracker < rows[j].Tracker
	})
	var b strings.Builder
	b.WriteString("Produced by `" + commandLine() + "`")
	fmt.Fprintf(&b, " on %s/%s, %d CPUs, %s, %s; kill points from seed %d (add `-kill-seed %d` to replay them).\n\n",
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), time.Now().UTC().Format(time.DateOnly), seedUsed, seedUsed)
	b.WriteString("| Fault | Tracker | Runs | SIGKILLs | Caught mid-create | Creates sent | Tickets | Expected | Duplicates | Not judged | Exit codes |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n")
	var tot row
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %d | %d | %s | %d | %d | %d | %d | %s | %s |\n",
			r.Fault, r.Tracker, r.Runs, r.Kills, dash(r.Pending, r.Kills == 0), r.Creates, r.Tickets, r.Expected, r.Dups,
			dash(r.NotJudged, r.NotJudged < 0), r.Exit)
		tot.Runs += r.Runs
		tot.Kills += r.Kills
		tot.Pending += r.Pending
		tot.Creates += r.Creates
		tot.Tickets += r.Tickets
		tot.Expected += r.Expected
		tot.Dups += r.Dups
		tot.NotJudged += max(r.NotJudged, 0)
	}
	fmt.Fprintf(&b, "| **total** | | %d | %d | %d | %d | %d | %d | %d | %d | |\n",
		tot.Runs, tot.Kills, tot.Pending, tot.Creates, tot.Tickets, tot.Expected, tot.Dups, tot.NotJudged)
	return b.String()
}

// commandLine is the go test command that produced this matrix.
func commandLine() string {
	cmd := "go test -count=1 ./internal/e2e/faults/"
	if *killLoop > 0 {
		cmd += fmt.Sprintf(" -kill-loop %d", *killLoop)
	} else if kills() != 10 {
		cmd = "FOREWARN_E2E_LONG=1 " + cmd
	}
	if *killSeed != 0 {
		cmd += fmt.Sprintf(" -kill-seed %d", *killSeed)
	}
	return cmd + " -matrix-out " + *matrixOut
}

func dash(n int, none bool) string {
	if none {
		return "–"
	}
	return fmt.Sprint(n)
}

// writeMatrix puts the matrix between the markers of path (relative to
// the repository root), or writes a file holding only the matrix when
// path has no markers or does not exist.
func writeMatrix(path string) error {
	if !filepath.IsAbs(path) {
		path = filepath.Join(repoRoot(), path)
	}
	table := matrixBegin + "\n" + renderMatrix() + matrixEnd
	old, err := os.ReadFile(path)
	if err == nil {
		s := string(old)
		i, j := strings.Index(s, matrixBegin), strings.Index(s, matrixEnd)
		if i >= 0 && j > i {
			return os.WriteFile(path, []byte(s[:i]+table+s[j+len(matrixEnd):]), 0o644)
		}
	}
	return os.WriteFile(path, []byte(table+"\n"), 0o644)
}
