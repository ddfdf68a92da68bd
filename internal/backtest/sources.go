package backtest

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/forewarn/forewarn/connectors/file"
	"github.com/forewarn/forewarn/internal/model"
)

// repoRoot walks up from the working directory to the directory holding go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("finding the repository: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("not inside the forewarn repository (no go.mod above the working directory); pass the path explicitly")
		}
		dir = parent
	}
}

// DemoCases replays the demo tracker export (or any export). Milestones
// whose outcome the export cannot tell (open, due date still ahead) are left
// out; replays stop at the moment the export was taken (its latest
// timestamp).
func DemoCases(path string) ([]Case, error) {
	if path == "" {
		root, err := repoRoot()
		if err != nil {
			return nil, err
		}
		path = filepath.Join(root, "examples", "demo", "export.yaml")
	}
	exp, err := file.LoadExport(path)
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", path, err)
	}
	return CasesFromMilestones(exp.Milestones, time.Time{}), nil
}

// CasesFromMilestones makes cases of the milestones whose outcome is known
// at taken (zero: the latest timestamp in their items): finished (every
// item in it done; the day the last was done), or overdue and still open
// (missed). Replays stop at taken. Milestones without a due date, or whose
// outcome is not known yet, are left out. A milestone with a PromisedDue
// (its due date moved later in the tracker since work started) is replayed
// and judged by it.
func CasesFromMilestones(ms []model.Milestone, taken time.Time) []Case {
	if taken.IsZero() {
		for _, m := range ms {
			for _, w := range m.Items {
				for _, t := range []model.Instant{w.Created, w.JoinedAt, w.Started, w.Closed, w.RemovedAt, w.BlockedSince} {
					if t.After(taken) {
						taken = t.Time()
					}
				}
			}
		}
	}
	var cases []Case
	for i := range ms {
		m := ms[i]
		if m.Due.IsZero() {
			continue
		}
		if !m.PromisedDue.IsZero() {
			// Moved later in the tracker since work started: replayed and
			// judged by the date it had while the work went on.
			m.Due, m.PromisedDue = m.PromisedDue, time.Time{}
		}
		c := Case{Key: m.Key, Due: model.Day(m.Due), History: &m, KnownUntil: taken, Peers: ms}
		c.Start = model.Day(m.Start)
		if m.Start.IsZero() {
			c.Start = model.Day(earliestJoin(m))
		}
		open, last := 0, time.Time{}
		for _, w := range m.Items {
			if !w.InMilestoneAt(taken) {
				continue
			}
			if w.Closed.IsZero() || w.Closed.After(taken) {
				open++
			} else if w.Closed.After(last) {
				last = w.Closed.Time()
			}
		}
		switch {
		case open == 0 && !last.IsZero():
			c.Finished = model.Day(last)
			c.Missed = c.Finished.After(c.Due)
		case model.Day(taken).After(c.Due):
			c.Missed, c.FinishedAfter = true, model.Day(taken)
		default:
			continue // outcome not known yet
		}
		cases = append(cases, c)
	}
	return cases
}

func earliestJoin(m model.Milestone) time.Time {
	var t time.Time
	for _, w := range m.Items {
		j := w.JoinedAt.Time()
		if j.IsZero() {
			j = w.Created.Time()
		}
		if t.IsZero() || j.Before(t) {
			t = j
		}
	}
	return t
}

// SprintCasesSkipped reads the TSE 2017 sprint snapshots (Choetkiertikul
// et al., "Predicting Delivery Capability in Iterative Software
// Development", IEEE TSE 2017) from dir/tse2017-sprints/iterations_long.csv
// and counts the rows left out, by reason. Each sprint is judged at 30, 50
// and 80 % of its planned days. The dataset has counts, not dates, so each
// snapshot is rebuilt as a milestone: committed items join at the start,
// added and removed items are spread evenly from the end of the first day
// (the commitment day, whose changes the product counts as the plan) to
// the checkpoint, so the forecast sees the published committed, added and
// removed counts, and completions fall on elapsed days drawn at random
// (seeded by the sprint). A sprint missed when it delivered fewer points
// than were in it at its earliest snapshot (vel_diff < 0 there: the
// dataset's vel_diff is the points delivered by the end minus the points
// in the sprint at the snapshot).
func SprintCasesSkipped(dir string) ([]Case, map[string]int, error) {
	if dir == "" {
		root, err := repoRoot()
		if err != nil {
			return nil, nil, err
		}
		dir = filepath.Join(root, "..", "shared", "datasets")
	}
	return SprintFiles([]string{filepath.Join(dir, "tse2017-sprints", "iterations_long.csv")})
}

// SprintFiles reads sprint snapshots from files in either published form:
// the long file (columns project, pred_time_pct, …, missed) or the
// per-project files as published (<project>_iteration_<t>.csv: the project
// and t come from the name, the outcome from vel_diff < 0). Rows whose
// unquoted name holds commas are read by joining the extra fields into the
// name. It returns the cases and the rows left out, by reason.
func SprintFiles(paths []string) ([]Case, map[string]int, error) {
	sr := &sprintReader{byKey: map[string]*Case{}, skipped: map[string]int{}}
	for _, path := range paths {
		f, err := os.Open(path)
		if err != nil {
			return nil, nil, fmt.Errorf("opening the sprint dataset: %w", err)
		}
		err = sr.read(path, f)
		f.Close()
		if err != nil {
			return nil, nil, err
		}
	}
	return sr.cases(), sr.skipped, nil
}

type sprintReader struct {
	byKey   map[string]*Case
	order   []string
	skipped map[string]int
}

var publishedName = regexp.MustCompile(`^([A-Za-z0-9-]+)_iteration_(\d+)\.csv$`)

func (sr *sprintReader) cases() []Case {
	out := make([]Case, 0, len(sr.order))
	for _, k := range sr.order {
		out = append(out, *sr.byKey[k])
	}
	teamRecord(out)
	for i := range out {
		for k := range out[i].Points {
			out[i].Points[k].M.Record = out[i].Record
		}
	}
	return out
}

// read reads one file; errors name path:line and the column.
func (sr *sprintReader) read(path string, in io.Reader) error {
	r := csv.NewReader(in)
	r.FieldsPerRecord = -1 // unquoted commas in names are handled below
	header, err := r.Read()
	if err == io.EOF {
		return fmt.Errorf("%s:1: the file is empty", path)
	}
	if err != nil {
		return fmt.Errorf("%s:1: reading the header: %w", path, err)
	}
	col := map[string]int{}
	for i, h := range header {
		// A spreadsheet saving UTF-8 puts a byte-order mark before the
		// first name; names are matched in any case.
		if i == 0 {
			h = strings.TrimPrefix(h, "\ufeff")
		}
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	project, pctName := "", ""
	if _, ok := col["project"]; !ok {
		m := publishedName.FindStringSubmatch(filepath.Base(path))
		if m == nil {
			return fmt.Errorf("%s:1: column \"project\" is missing, and the name is not <project>_iteration_<t>.csv (the per-project files as published)", path)
		}
		project, pctName = strings.ToLower(m[1]), m[2]
	}
	need := []string{"boardid", "sprintid", "planday", "no_issue_starttime", "no_issue_added", "no_issue_removed",
		"no_issuetodo", "no_issueinprogress", "no_issuedone"}
	if project == "" {
		need = append(need, "pred_time_pct", "missed")
	} else {
		need = append(need, "vel_diff")
	}
	for _, n := range need {
		if _, ok := col[n]; !ok {
			return fmt.Errorf("%s:1: column %q is missing", path, n)
		}
	}
	nameCol, hasName := col["name"]
	line, rows := 1, 0
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		line++
		if err != nil {
			return fmt.Errorf("%s:%d: %w", path, line, err)
		}
		rows++
		if extra := len(rec) - len(header); extra > 0 && hasName {
			// An unquoted name with commas: its pieces are the extra fields.
			joined := strings.Join(rec[nameCol:nameCol+extra+1], ",")
			rec = append(append(rec[:nameCol:nameCol], joined), rec[nameCol+extra+1:]...)
		}
		if len(rec) != len(header) {
			return fmt.Errorf("%s:%d: %d fields, the header has %d", path, line, len(rec), len(header))
		}
		num := func(name string) (float64, error) {
			v, err := strconv.ParseFloat(strings.TrimSpace(rec[col[name]]), 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return 0, fmt.Errorf("%s:%d: column %s: %q is not a number", path, line, name, rec[col[name]])
			}
			return v, nil
		}
		// Counts are whole numbers; story points (vel_*) may be fractions
		// (half-point estimates) and negative (an estimate lowered later).
		var v [10]int
		names := []string{"pred_time_pct", "planday", "no_issue_starttime", "no_issue_added", "no_issue_removed",
			"no_issuetodo", "no_issueinprogress", "no_issuedone", "missed", "sprintid"}
		if project != "" {
			names[0], names[8] = "", ""
		}
		for i, name := range names {
			if name == "" {
				continue
			}
			x, err := num(name)
			if err != nil {
				return err
			}
			switch {
			case x != math.Trunc(x):
				return fmt.Errorf("%s:%d: column %s: %v is not a whole number", path, line, name, x)
			case x < 0 || x > 100000:
				return fmt.Errorf("%s:%d: column %s: %v is out of range (0-100000)", path, line, name, x)
			case name == "missed" && x > 1:
				return fmt.Errorf("%s:%d: column missed: %v is neither 0 (delivered) nor 1 (missed)", path, line, x)
			}
			v[i] = int(x)
		}
		// Story points are optional: without them items count 1 each,
		// unestimated, and the record's delivered ratio is 1 or 0.
		var vel [4]float64
		velNames := []string{"vel_todo", "vel_inprogress", "vel_done", "vel_diff"}
		hasPoints := true
		for _, n := range velNames {
			_, ok := col[n]
			hasPoints = hasPoints && ok
		}
		for i, name := range velNames {
			if !hasPoints && (project == "" || name != "vel_diff") {
				continue
			}
			if vel[i], err = num(name); err != nil {
				return err
			}
		}
		proj := project
		if proj == "" {
			proj = rec[col["project"]]
		} else {
			v[0], _ = strconv.Atoi(pctName)
			if vel[3] < 0 { // vel_diff = delivered − committed points
				v[8] = 1
			}
		}
		pct, plan, start, added, removed, todo, inprog, done, missed := v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8]
		// Points can be negative in the data (an estimate lowered after
		// the item was counted): a state never has fewer than none.
		pts := sprintPoints{known: hasPoints, todo: max(vel[0], 0), inprog: max(vel[1], 0), done: max(vel[2], 0), diff: vel[3]}
		switch {
		case pct == 0 || pct >= 100:
			sr.skipped["at 0 % (nothing to judge yet)"]++
			continue
		case plan < 2 || plan > 366:
			sr.skipped["planned length outside 2–366 days"]++
			continue
		case todo+inprog+done == 0:
			sr.skipped["sprint without items"]++
			continue
		case start+added-removed != todo+inprog+done:
			sr.skipped["counts do not balance (committed + added − removed ≠ to do + in progress + done)"]++
			continue
		}
		key := proj + "/" + rec[col["boardid"]] + "/" + rec[col["sprintid"]]
		c, ok := sr.byKey[key]
		if !ok {
			s := sprintBase
			c = &Case{Key: key, Start: s, Due: s.AddDate(0, 0, plan-1), Missed: missed == 1, Group: proj, labelPct: pct}
			sr.byKey[key] = c
			sr.order = append(sr.order, key)
		}
		if pct < c.labelPct {
			// The label is the earliest snapshot's, whatever order the
			// files come in: vel_diff is delivered − the points in the
			// sprint at the snapshot, so a later one can say otherwise.
			c.Missed, c.labelPct = missed == 1, pct
		}
		if pct >= c.pointsPct {
			// The latest snapshot's points stand for the committed points
			// in the record's delivered ratio, its items for the delivered
			// items of the record's throughput.
			c.pointsPct, c.points = pct, pts
			c.items = sprintItems{committed: start, scope: todo + inprog + done, done: done}
		}
		at := c.Start.AddDate(0, 0, max(1, (pct*plan+50)/100))
		if !at.Before(c.Due) {
			sr.skipped["checkpoint on or after the due day"]++
			continue
		}
		m := sprintSnapshot(key, pct, c.Start, c.Due, at, start, added, removed, todo, inprog, done, pts)
		c.Points = append(c.Points, Checkpoint{At: at, M: m, Label: fmt.Sprintf("%d %%", pct)})
	}
	if rows == 0 {
		return fmt.Errorf("%s:1: only a header, no rows", path)
	}
	return nil
}

// RecordCount is how many of a team's earlier sprints its record counts.
const RecordCount = 10

// teamRecord sets each sprint's Record from the earlier sprints of the same
// board (project/board), the last RecordCount of them, as the product's
// model.TeamRecord, oldest first where it keeps an order (the outcomes and
// the throughputs): how many delivered on time and the mean delivered
// ratio in story points, (committed + vel_diff) / committed, with the
// committed points of the sprint's latest snapshot (1 or 0 without
// points); the throughput, delivered per planned day: points committed +
// vel_diff, and items (the data does not count them at the end: the
// latest snapshot's items times the delivered ratio, at least the items
// done by then); the median committed items (no_issue_starttime, over the
// sprints that committed any, as the product leaves out milestones without
// committed items). The data has no dates: sprint ids grow with time on a
// board, so an earlier id is an earlier sprint; sprints overlap rarely on
// one board, and a sprint's own outcome and later ones are never used.
// There are no slips (no finish dates).
func teamRecord(cases []Case) {
	type ref struct {
		id  int
		idx int
	}
	boards := map[string][]ref{}
	for i, c := range cases {
		cases[i].Record = nil
		parts := strings.Split(c.Key, "/")
		if len(parts) != 3 {
			continue
		}
		id, err := strconv.Atoi(parts[2])
		if err != nil {
			continue
		}
		b := parts[0] + "/" + parts[1]
		boards[b] = append(boards[b], ref{id, i})
	}
	for b, rs := range boards {
		slices.SortFunc(rs, func(a, b ref) int { return a.id - b.id })
		for k, r := range rs {
			prev := rs[max(0, k-RecordCount):k]
			if len(prev) == 0 {
				continue // no history: the simulation stands alone
			}
			rec := &model.TeamRecord{Milestones: len(prev),
				Basis: fmt.Sprintf("the last %d earlier sprints of board %s (by sprint id)", len(prev), b)}
			var committed []float64
			for _, p := range prev {
				c := &cases[p.idx]
				if !c.Missed {
					rec.OnTime++
				}
				rec.OnTimeByClose = append(rec.OnTimeByClose, !c.Missed)
				ratio := c.deliveredRatio()
				rec.DeliveredRatio += ratio
				days := c.Due.Sub(c.Start).Hours()/24 + 1
				delivered := max(float64(c.items.done), math.Round(float64(c.items.scope)*ratio))
				rec.Throughput = append(rec.Throughput, delivered/days)
				if pts := c.points.todo + c.points.inprog + c.points.done; c.points.known && pts > 0 {
					rec.PointThroughput = append(rec.PointThroughput, max(pts+c.points.diff, 0)/days)
				}
				if c.items.committed > 0 {
					committed = append(committed, float64(c.items.committed))
				}
			}
			rec.DeliveredRatio /= float64(len(prev))
			if len(committed) > 0 {
				rec.Committed = median(committed)
			}
			cases[r.idx].Record = rec
		}
	}
}

// sprintPoints are a snapshot's story points (known: the file has them).
type sprintPoints struct {
	known                    bool
	todo, inprog, done, diff float64
}

// sprintItems are a snapshot's item counts: committed at the start, in the
// sprint and done at the snapshot.
type sprintItems struct {
	committed, scope, done int
}

// deliveredRatio is the share of its committed points a sprint delivered.
func (c *Case) deliveredRatio() float64 {
	committed := c.points.todo + c.points.inprog + c.points.done
	if !c.points.known || committed <= 0 {
		if c.Missed {
			return 0
		}
		return 1
	}
	return min(max((committed+c.points.diff)/committed, 0), 1)
}

// sprintBase is the start given to every rebuilt sprint (the data has no dates).
var sprintBase = time.Date(2020, 1, 6, 0, 0, 0, 0, time.UTC)

func sprintSnapshot(key string, pct int, start, due, at time.Time, committed, added, removed, todo, inprog, done int, pts sprintPoints) model.Milestone {
	seed := uint64(0)
	for _, b := range []byte(key) {
		seed = seed*131 + uint64(b)
	}
	rnd := rand.New(rand.NewPCG(seed, uint64(pct)))
	elapsed := int(at.Sub(start).Hours() / 24)
	m := model.Milestone{Source: "tse2017", Key: key, Kind: model.KindSprint, Start: start, Due: due}
	total := committed + added
	// Added and removed items change the sprint after its first day (the
	// commitment day: the product counts a change on that day as part of
	// the plan), spread evenly up to the checkpoint.
	after := start.AddDate(0, 0, 1)
	spread := func(k, n int) time.Time {
		return after.Add(time.Duration(int64(at.Sub(after)) * int64(k+1) / int64(n+1)))
	}
	for i := 0; i < total; i++ {
		joined := start.Add(-time.Hour)
		if i >= committed {
			joined = spread(i-committed, added)
		}
		m.Items = append(m.Items, model.WorkItem{Key: fmt.Sprintf("%s-%d", key, i+1), Created: model.At(joined), JoinedAt: model.At(joined),
			JoinedKnown: true, Status: model.StatusTodo, Points: 1, Rank: i + 1})
	}
	// The first `done` items are done, the next `inprog` in progress, the
	// next `todo` to do, and the last `removed` left the sprint.
	for i := 0; i < done; i++ {
		w := &m.Items[i]
		c := start.AddDate(0, 0, rnd.IntN(max(elapsed, 1))).Add(12 * time.Hour)
		if joined := w.JoinedAt.Time(); !c.After(joined) {
			c = joined.Add(time.Hour)
		}
		if c.After(at) {
			c = at.Add(-time.Minute)
		}
		w.Closed, w.Started, w.Status = model.At(c), model.At(c.Add(-6*time.Hour)), model.StatusDone
	}
	for i := done; i < done+inprog; i++ {
		m.Items[i].Started, m.Items[i].Status = model.At(m.Items[i].JoinedAt.Time().Add(time.Hour)), model.StatusInProgress
	}
	for k, i := 0, done+inprog+todo; i < total; i, k = i+1, k+1 {
		// Never before it joined, never after the checkpoint.
		r := spread(k, removed)
		if j := m.Items[i].JoinedAt.Time().Add(time.Minute); r.Before(j) {
			r = j
		}
		if r.After(at) {
			r = at
		}
		m.Items[i].RemovedAt = model.At(r)
	}
	// Story points: each state's points shared evenly among its items; a
	// state with no points has unestimated items (the data cannot tell
	// zero from none).
	if pts.known {
		share := func(from, n int, points float64) {
			for i := from; i < from+n; i++ {
				m.Items[i].Points, m.Items[i].Estimated = 0, points > 0
				if points > 0 {
					m.Items[i].Points = points / float64(n)
				}
			}
		}
		share(0, done, pts.done)
		share(done, inprog, pts.inprog)
		share(done+inprog, todo, pts.todo)
	}
	return m
}
