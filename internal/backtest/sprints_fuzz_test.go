package backtest

import (
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/forewarn/forewarn/internal/model"
)

const sprintHeader = "project,pred_time_pct,boardid,sprintid,name,vel_diff,planday,no_issue_starttime,vel_starttime,no_issue_added,vel_added,no_issue_removed,vel_removed,no_issuetodo,vel_todo,no_issueinprogress,vel_inprogress,no_issuedone,vel_done,no_admin,no_teammember,missed\n"

func TestParseSprints(t *testing.T) {
	data := sprintHeader +
		"apache,30,1,150,S6,-33,14,8,33,6,18,0,0,5,17,6,20,3,6,3,9,1\n" +
		"apache,50,1,150,S6,-33,14,8,33,6,18,0,0,2,7,9,38,3,6,3,9,1\n" +
		"apache,0,1,150,S6,-33,14,8,33,0,0,0,0,8,33,0,0,0,0,3,9,1\n" + // t=0: nothing to judge
		"jira,50,2,7,S1,0,10,4,8,0,0,1,2,1,2,0,0,2,4,1,3,0\n"
	cases, err := parseSprints("x.csv", strings.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) != 2 || len(cases[0].Points) != 2 || len(cases[1].Points) != 1 {
		t.Fatalf("got %d cases (%+v)", len(cases), cases)
	}
	c := cases[0]
	if !c.Missed || c.Due.Sub(c.Start).Hours() != 13*24 {
		t.Errorf("case %s: missed %v, %v days, want missed and 13", c.Key, c.Missed, c.Due.Sub(c.Start).Hours()/24)
	}
	// At 50 % of 14 days (day 7): 14 items joined, 3 done, 9 in progress, 2 to do.
	m, at := c.Points[1].M, c.Points[1].At
	var in, done, prog int
	for _, w := range m.Items {
		if w.InMilestoneAt(at) {
			in++
			if w.DoneAt(at) {
				done++
			} else if !w.Started.IsZero() && !w.Started.After(at) {
				prog++
			}
		}
	}
	if in != 14 || done != 3 || prog != 9 {
		t.Errorf("snapshot at 50 %%: %d in scope, %d done, %d in progress; want 14, 3, 9", in, done, prog)
	}
	// The removed item of the jira sprint has left by the checkpoint.
	j := cases[1].Points[0]
	n := 0
	for _, w := range j.M.Items {
		if w.InMilestoneAt(j.At) {
			n++
		}
	}
	if n != 3 {
		t.Errorf("jira sprint: %d items in scope at the checkpoint, want 3", n)
	}
}

var lineRef = regexp.MustCompile(`^x\.csv:\d+: `)

func FuzzParseSprints(f *testing.F) {
	f.Add(sprintHeader + "apache,30,1,150,S6,-33,14,8,33,6,18,0,0,5,17,6,20,3,6,3,9,1\n")
	f.Add(sprintHeader + "a,50,1,1,n,0,7,1,1,0,0,0,0,0,0,0,0,1,1,1,1,0\n")
	f.Add(sprintHeader + "a,80,1,1,n,0,9999999,1,1,0,0,0,0,0,0,0,0,1,1,1,1,0\n")
	f.Add("project,planday\nx,1\n")
	f.Add(sprintHeader + "a,\"30,1\n")
	f.Fuzz(func(t *testing.T, data string) {
		cases, err := parseSprints("x.csv", strings.NewReader(data))
		if err != nil {
			if !lineRef.MatchString(err.Error()) {
				t.Fatalf("error does not name file:line: %v", err)
			}
			return
		}
		for _, c := range cases {
			for _, p := range c.Points {
				if !p.At.Before(c.Due) || p.At.Before(c.Start) {
					t.Fatalf("checkpoint %s outside %s..%s", p.At, c.Start, c.Due)
				}
			}
		}
	})
}

// The per-project files as published: project and t from the name, the
// outcome from vel_diff < 0, a name with unquoted commas read whole.
func TestParsePublishedSprintFile(t *testing.T) {
	data := "boardid,sprintid,name,vel_diff,planday,no_issue_starttime,vel_starttime,no_issue_added,vel_added,no_issue_removed,vel_removed,no_issuetodo,vel_todo,no_issueinprogress,vel_inprogress,no_issuedone,vel_done,no_admin,no_teammember\n" +
		"1,150,Sprint 6, the big one, really,-33,14,8,33,6,18,0,0,5,17,6,20,3,6,3,9\n" +
		"2,7,S1,0,10,4,8,0,0,1,2,1,2,0,0,2,4,1,3\n"
	sr := &sprintReader{byKey: map[string]*Case{}, skipped: map[string]int{}}
	if err := sr.read("dir/apache_iteration_30.csv", strings.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	cases := sr.cases()
	if len(cases) != 2 || cases[0].Key != "apache/1/150" || cases[0].Group != "apache" || !cases[0].Missed || cases[1].Missed {
		t.Fatalf("cases %+v", cases)
	}
	if l := cases[0].Points[0].Label; l != "30 %" {
		t.Errorf("label %q, want 30 %% from the file name", l)
	}
}

// A per-project file as a spreadsheet saves it: a byte-order mark, CRLF
// line ends, names in another case, and half-point estimates. A sprint
// half a point short missed (vel_diff < 0 counts fractions), and the
// points are shared among the items as they are.
func TestPublishedSprintFileFromASpreadsheet(t *testing.T) {
	data := "\ufeffBoardID,SprintID,Name,Vel_Diff,PlanDay,No_Issue_StartTime,Vel_StartTime,No_Issue_Added,Vel_Added,No_Issue_Removed,Vel_Removed,No_IssueToDo,Vel_ToDo,No_IssueInProgress,Vel_InProgress,No_IssueDone,Vel_Done,No_Admin,No_TeamMember\r\n" +
		"1,150,S6,-0.5,10,4,7.5,0,0,0,0,2,2.5,1,3,1,2,1,3\r\n" +
		"1,151,S7,0.5,10,4,7.5,0,0,0,0,2,2.5,1,3,1,2,1,3\r\n"
	path := filepath.Join(t.TempDir(), "mongodb_iteration_30.csv")
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	cases, skipped, err := SprintFiles([]string{path})
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) != 2 || len(skipped) != 0 {
		t.Fatalf("%d cases, skipped %v; want 2 and none", len(cases), skipped)
	}
	if c := cases[0]; c.Key != "mongodb/1/150" || !c.Missed || cases[1].Missed {
		t.Errorf("%s missed %v, %s missed %v; want half a point short missed, half a point over not", c.Key, c.Missed, cases[1].Key, cases[1].Missed)
	}
	cp := cases[0].Points[0]
	var todo float64
	for _, w := range cp.M.Items {
		if w.InMilestoneAt(cp.At) && w.Status == model.StatusTodo {
			todo += w.Points
		}
	}
	if todo != 2.5 {
		t.Errorf("points to do at the checkpoint %v, want 2.5", todo)
	}
	if r := cases[1].Record; r == nil || r.Milestones != 1 || r.OnTime != 0 || math.Abs(r.DeliveredRatio-7/7.5) > 1e-9 {
		t.Errorf("record of the next sprint %+v, want one sprint, late, delivered 7 of 7.5 points", r)
	}
}

func TestSprintFileErrorsNameLineAndColumn(t *testing.T) {
	for _, tc := range []struct{ name, data, want string }{
		{"x.csv", sprintHeader, "x.csv:1: only a header, no rows"},
		{"x.csv", "", "x.csv:1: the file is empty"},
		{"x.csv", strings.Replace(sprintHeader, "no_issuetodo", "todo", 1) + "a\n", `x.csv:1: column "no_issuetodo" is missing`},
		{"x.csv", sprintHeader + "apache,30,1,150,S6,-33,14,8,33,6,18,0,0,five,17,6,20,3,6,3,9,1\n", `x.csv:2: column no_issuetodo: "five" is not a number`},
		{"sprints.csv", "boardid,sprintid\n1,2\n", `column "project" is missing, and the name is not <project>_iteration_<t>.csv`},
		{"x.csv", sprintHeader + "apache,30,1,150,S6,-33,14,8,33,6,18,0,0,5.5,17,6,20,3,6,3,9,1\n", `x.csv:2: column no_issuetodo: 5.5 is not a whole number`},
		{"x.csv", sprintHeader + "apache,30,1,150,S6,-33,14,8,33,6,18,0,0,5,17,6,20,3,6,3,9,2\n", `x.csv:2: column missed: 2 is neither 0 (delivered) nor 1 (missed)`},
		{"x.csv", sprintHeader + "apache,30,1,150,S6,-33,14,8,33,6,18,0,0,5,half,6,20,3,6,3,9,1\n", `x.csv:2: column vel_todo: "half" is not a number`},
	} {
		_, err := parseSprints(tc.name, strings.NewReader(tc.data))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.data[:min(len(tc.data), 30)], err, tc.want)
		}
	}
}

// parseSprints reads one file of sprint snapshots (tests).
func parseSprints(path string, in io.Reader) ([]Case, error) {
	sr := &sprintReader{byKey: map[string]*Case{}, skipped: map[string]int{}}
	if err := sr.read(path, in); err != nil {
		return nil, err
	}
	return sr.cases(), nil
}
