package faults

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	mrand "math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	jirac "github.com/forewarn/forewarn/connectors/jira"
	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/model/modeltest"
	"github.com/forewarn/forewarn/internal/store"
	fakegh "github.com/forewarn/forewarn/internal/testserver/github"
	fakejira "github.com/forewarn/forewarn/internal/testserver/jira"
)

// The multi-worker kill loop: three `forewarn run --shard i/3` processes
// share one PostgreSQL state (a fresh namespace per iteration) and judge
// six GitHub repositories and three Jira projects, writing to one Jira
// review project, while they are killed with SIGKILL at random. A killed
// index is started again, as a Kubernetes Indexed Job does, until every
// index has finished the cycle. Two cycles per iteration: the first sync
// (every ticket created) and an unchanged re-poll. After every kill no
// fingerprint has two tickets; after every cycle every expected ticket
// exists exactly once (none lost), the three finished runs judged disjoint
// sets of milestones that together are all of them (every milestone
// judged by exactly one worker), and the run log holds exactly one
// finished run per shard for the cycle.

const workers = 3

type multiWorld struct {
	gh *fakegh.Server
	jr *fakejira.Server
}

var multiRepos = []string{"acme/r1", "acme/r2", "acme/r3", "acme/r4", "acme/r5", "acme/r6"}
var multiProjects = []string{"PA", "PB", "PC"}

func newMultiWorld() *multiWorld {
	clock := func() time.Time { return now }
	w := &multiWorld{gh: fakegh.New(ghToken), jr: fakejira.New(fakejira.Options{Cloud: true, Email: jiraEmail, APIToken: jiraToken, Now: clock})}
	for _, r := range multiRepos {
		ghMilestoneAtRisk(w.gh, r, 1)
		ghMilestoneMissed(w.gh, r, 2)
		ghMilestoneHealthy(w.gh, r, 3)
	}
	for i, p := range multiProjects {
		jiraVersionAtRisk(w.jr, p, fmt.Sprint(30100+10*i))
		jiraVersionMissed(w.jr, p, fmt.Sprint(30101+10*i))
		jiraVersionHealthy(w.jr, p, fmt.Sprint(30102+10*i))
	}
	w.jr.AddProject("REV")
	return w
}

func (w *multiWorld) close() { w.gh.Close(); w.jr.Close() }

func (w *multiWorld) host() string {
	u, _ := url.Parse(w.jr.URL)
	return strings.ToLower(u.Host)
}

// milestones are every milestone key of the world, sorted.
func (w *multiWorld) milestones() []string {
	var out []string
	for _, r := range multiRepos {
		for n := 1; n <= 3; n++ {
			out = append(out, fmt.Sprintf("github:%s#%d", r, n))
		}
	}
	for i, p := range multiProjects {
		for k := range 3 {
			out = append(out, jirac.VersionKey(w.host(), p, fmt.Sprint(30100+10*i+k)))
		}
	}
	sort.Strings(out)
	return out
}

// expected: a client notice per at-risk milestone, a post-mortem per missed one.
func (w *multiWorld) expected() []string {
	var out []string
	for _, r := range multiRepos {
		out = append(out, model.Fingerprint(fmt.Sprintf("github:%s#1", r), model.PurposeClientNotice),
			model.Fingerprint(fmt.Sprintf("github:%s#2", r), model.PurposePostMortem))
	}
	for i, p := range multiProjects {
		out = append(out, model.Fingerprint(jirac.VersionKey(w.host(), p, fmt.Sprint(30100+10*i)), model.PurposeClientNotice),
			model.Fingerprint(jirac.VersionKey(w.host(), p, fmt.Sprint(30101+10*i)), model.PurposePostMortem))
	}
	return out
}

func (w *multiWorld) tickets(t *testing.T) map[string]int {
	out := map[string]int{}
	for _, is := range w.jr.Issues("REV") {
		fp, ok := modeltest.ParseMarker(is.Description)
		if !ok {
			t.Errorf("%s %q carries no fingerprint marker", is.Key, is.Summary)
			continue
		}
		out[fp]++
	}
	return out
}

func (w *multiWorld) config(t *testing.T, dir, ns string) string {
	return writeConfig(t, dir, fmt.Sprintf(`state:
  driver: postgres
  dsn_env: FW_E2E_PG_DSN
  namespace: %s
  lock_wait: 30s
forecast:
  trials: 2000
  seed: 7
sources:
  - name: gh
    github:
      repos: [%s]
      client: acme
      base_url: %s
      token_env: FW_E2E_GH_TOKEN
      max_wait: 5s
  - name: jira
    jira:
      base_url: %s
      deployment: cloud
      auth: {email_env: FW_E2E_JIRA_EMAIL, token_env: FW_E2E_JIRA_TOKEN}
      projects: [%s]
      client: acme
      max_wait: 5s
target:
  jira:
    base_url: %s
    deployment: cloud
    auth: {email_env: FW_E2E_JIRA_EMAIL, token_env: FW_E2E_JIRA_TOKEN}
    project: REV
    labels: [client-comms]
`, ns, strings.Join(multiRepos, ", "), w.gh.URL, w.jr.URL, strings.Join(multiProjects, ", "), w.jr.URL))
}

// multiPG returns the test server's DSN: the test skips without one on a
// developer's machine and fails in CI.
func multiPG(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv("FOREWARN_TEST_PG_DSN")
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("FOREWARN_TEST_PG_DSN is not set and CI=true: the multi-worker kill loop must run in CI (source .ci/postgres.sh first)")
		}
		t.Skip("FOREWARN_TEST_PG_DSN not set (run: source .ci/postgres.sh)")
	}
	return dsn
}

func pgDB(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatalf("parsing the test DSN: %v", err)
	}
	db := stdlib.OpenDB(*cfg)
	t.Cleanup(func() { db.Close() })
	return db
}

// dropNamespace removes a namespace's tables after an iteration.
func dropNamespace(t *testing.T, db *sql.DB, ns string) {
	rows, err := db.Query(`SELECT table_name FROM information_schema.tables WHERE table_name LIKE $1 AND table_schema = ANY (current_schemas(false))`, ns+"\\_\\_%")
	if err != nil {
		t.Logf("listing %s's tables: %v", ns, err)
		return
	}
	var names []string
	for rows.Next() {
		var n string
		if rows.Scan(&n) == nil {
			names = append(names, n)
		}
	}
	rows.Close()
	for _, n := range names {
		if _, err := db.Exec(`DROP TABLE IF EXISTS ` + n); err != nil {
			t.Logf("dropping %s: %v", n, err)
		}
	}
}

type multiStats struct {
	iterations, cycles, runs, kills, pending, creates, tickets, expected, dups, lost, judgedTwice, notJudged int
}

func TestMultiWorkerKillLoop(t *testing.T) {
	dsn := multiPG(t)
	seed := *killSeed
	if seed == 0 {
		seed = time.Now().UnixNano()
	}
	iterations := max(2, kills()/5) // 2 by default, 20 with FOREWARN_E2E_LONG
	t.Logf("multi-worker kill loop: %d iterations × 2 cycles × %d workers, -kill-seed %d", iterations, workers, seed)
	rng := mrand.New(mrand.NewPCG(uint64(seed), 19))
	db := pgDB(t, dsn)
	var s multiStats
	typical := 600 * time.Millisecond
	for i := range iterations {
		typical = multiIteration(t, dsn, db, rng, &s, typical)
		if t.Failed() {
			t.Logf("iteration %d failed; stopping the loop", i)
			break
		}
	}
	t.Logf("iterations=%d cycles=%d runs=%d kills=%d pending-after-kill=%d creates=%d tickets=%d expected=%d dups=%d lost=%d judged-twice=%d not-judged=%d",
		s.iterations, s.cycles, s.runs, s.kills, s.pending, s.creates, s.tickets, s.expected, s.dups, s.lost, s.judgedTwice, s.notJudged)
	record(row{Order: 300, Tracker: "github + jira", Fault: fmt.Sprintf("%d workers (--shard i/%d) on one PostgreSQL, SIGKILL at random, killed index restarted; %d iterations × 2 cycles",
		workers, workers, s.iterations), Runs: s.runs, Kills: s.kills, Creates: s.creates, Tickets: s.tickets, Expected: s.expected, Dups: s.dups,
		Pending: s.pending, NotJudged: s.notJudged, Exit: fmt.Sprintf("%d killed, every index finished → 0; judged twice %d, lost %d", s.kills, s.judgedTwice, s.lost)})
}

// maxAimed is how many runs of one index in a cycle a kill is aimed at,
// at most.
const maxAimed = 8

func multiIteration(t *testing.T, dsn string, db *sql.DB, rng *mrand.Rand, s *multiStats, typical time.Duration) time.Duration {
	t.Helper()
	w := newMultiWorld()
	defer w.close()
	var b [5]byte
	rand.Read(b[:])
	ns := "kill_" + hex.EncodeToString(b[:])
	defer dropNamespace(t, db, ns)
	dir := t.TempDir()
	cfg := w.config(t, dir, ns)
	want := w.expected()
	s.iterations++
	var longest time.Duration
	var killed [workers]int // SIGKILLs per shard so far
	for cycle := 1; cycle <= 2; cycle++ {
		judged := map[string][]int{} // milestone → the shards that judged it
		var runs [workers]int
		done := make(chan struct {
			idx int
			r   result
		}, workers*8)
		start := func(idx int) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			// The kill lands within a typical run, so a loaded machine
			// (runs longer than the typical one) kills nearly every run
			// it aims at; after maxAimed kills in a row the index runs
			// unkilled, so a cycle ends without lowering the kill rate
			// of the runs before.
			aim := runs[idx] < maxAimed && rng.IntN(3) > 0
			cmd := multiCommand(ctx, w, cfg, dsn, idx)
			var out, errb bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errb
			began := time.Now()
			if err := cmd.Start(); err != nil {
				cancel()
				t.Fatalf("starting worker %d: %v", idx, err)
			}
			// Kill two runs in three at a random moment of a typical run.
			if aim {
				d := time.Duration(rng.Int64N(int64(typical) + 1))
				time.AfterFunc(d, func() { cmd.Process.Signal(syscall.SIGKILL) })
			}
			go func() {
				err := cmd.Wait()
				cancel()
				done <- struct {
					idx int
					r   result
				}{idx, finish(t, err, &out, &errb, time.Since(began))}
			}()
		}
		for idx := range workers {
			start(idx)
		}
		finished := 0
		for finished < workers {
			d := <-done
			s.runs++
			runs[d.idx]++
			switch {
			case d.r.code == -int(syscall.SIGKILL):
				s.kills++
				killed[d.idx]++
				s.pending += multiPending(t, dsn, ns, want)
				s.dups += multiCheckOnce(t, w)
				start(d.idx) // the index is retried
			case d.r.code == 0:
				finished++
				longest = max(longest, d.r.dur)
				for _, m := range d.r.rep.Milestones {
					judged[m.Milestone.Key] = append(judged[m.Milestone.Key], d.idx)
				}
				if len(d.r.rep.Failed) > 0 {
					t.Errorf("cycle %d worker %d: milestones not judged\n%s", cycle, d.idx, d.r)
				}
			default:
				t.Errorf("cycle %d worker %d: exit %d\n%s", cycle, d.idx, d.r.code, d.r)
				finished++
			}
			if runs[d.idx] > maxAimed+3 {
				t.Fatalf("worker %d ran %d times in one cycle, %d of them unaimed, without finishing", d.idx, runs[d.idx], runs[d.idx]-maxAimed)
			}
		}
		s.cycles++
		// Every milestone judged in this cycle by exactly one worker.
		for _, key := range w.milestones() {
			switch n := len(judged[key]); {
			case n == 0:
				s.notJudged++
				t.Errorf("cycle %d: %s judged by no worker", cycle, key)
			case n > 1:
				s.judgedTwice++
				t.Errorf("cycle %d: %s judged by workers %v", cycle, key, judged[key])
			}
		}
		// The split is by repository and project, not by source: the
		// GitHub source's repositories are spread over several workers.
		ghShards := map[int]bool{}
		for key, by := range judged {
			if strings.HasPrefix(key, "github:") && len(by) > 0 {
				ghShards[by[0]] = true
			}
		}
		if len(ghShards) < 2 {
			t.Errorf("cycle %d: the GitHub repositories were judged by %d worker(s); want them split", cycle, len(ghShards))
		}
		for key := range judged {
			if !slices.Contains(w.milestones(), key) {
				t.Errorf("cycle %d: unknown milestone %s judged", cycle, key)
			}
		}
		// None lost, none doubled.
		got := w.tickets(t)
		for _, fp := range want {
			if got[fp] != 1 {
				if got[fp] == 0 {
					s.lost++
				}
				t.Errorf("cycle %d: %d tickets for %s; want exactly 1", cycle, got[fp], fp)
			}
		}
		s.dups += multiCheckOnce(t, w)
		if cycle == 2 {
			for _, n := range got {
				s.tickets += n
			}
			s.expected += len(want)
		}
		checkRunLog(t, dsn, ns, cycle, killed)
	}
	s.creates += w.jr.Count("POST /rest/api/2/issue")
	return max(typical/2, longest)
}

// checkRunLog: each shard has a finished run in every cycle; more only
// where a run of that shard was killed after it had recorded its end (the
// index is retried and judges its shard again: the same shard, never
// another worker's).
func checkRunLog(t *testing.T, dsn, ns string, cycle int, killed [workers]int) {
	t.Helper()
	st, err := store.OpenReadOnly(context.Background(), store.Config{Driver: "postgres", DSNEnv: "DSN", Namespace: ns},
		func(string) string { return dsn })
	if err != nil {
		t.Fatalf("reading the run log: %v", err)
	}
	defer st.Close()
	runs, err := st.Runs(context.Background(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	ok := map[string]int{}
	for _, r := range runs {
		if r.Outcome == store.OutcomeOK {
			ok[r.Scope]++
		}
	}
	for i := range workers {
		scope := fmt.Sprintf("%d/%d", i, workers)
		if ok[scope] < cycle || ok[scope] > cycle+killed[i] {
			t.Errorf("run log after cycle %d: shard %s has %d finished runs; want %d (+ at most its %d killed runs)", cycle, scope, ok[scope], cycle, killed[i])
		}
	}
}

// multiPending counts ledger records a killed worker left pending: the
// kill fell between deciding to create a ticket and recording it.
func multiPending(t *testing.T, dsn, ns string, fps []string) int {
	t.Helper()
	ctx := context.Background()
	st, err := store.OpenReadOnly(ctx, store.Config{Driver: "postgres", DSNEnv: "DSN", Namespace: ns}, func(string) string { return dsn })
	if err != nil {
		t.Logf("reading the ledger after a kill: %v", err)
		return 0
	}
	defer st.Close()
	n := 0
	for _, fp := range fps {
		if e, ok, err := st.LedgerGet(ctx, fp); err == nil && ok && e.State == "pending" {
			n++
		}
	}
	return n
}

func multiCheckOnce(t *testing.T, w *multiWorld) (dups int) {
	t.Helper()
	for fp, n := range w.tickets(t) {
		if n > 1 {
			dups += n - 1
			t.Errorf("%d tickets for fingerprint %s, want exactly one", n, fp)
		}
	}
	return dups
}

func multiCommand(ctx context.Context, w *multiWorld, cfg, dsn string, idx int) *exec.Cmd {
	cmd := exec.CommandContext(ctx, binary, "run", "--config", cfg, "--json", "--now", now.Format(time.RFC3339),
		"--log-level", "warn", "--shard", fmt.Sprintf("%d/%d", idx, workers))
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + filepath.Dir(cfg), "TZ=UTC",
		"FW_E2E_GH_TOKEN=" + ghToken, "FW_E2E_JIRA_EMAIL=" + jiraEmail, "FW_E2E_JIRA_TOKEN=" + jiraToken, "FW_E2E_PG_DSN=" + dsn}
	cmd.Dir = filepath.Dir(cfg)
	return cmd
}
