package scale

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/forewarn/forewarn/internal/tracker"
)

func TestZZDump(t *testing.T) {
	out := os.Getenv("DUMP_DIR")
	if out == "" {
		t.Skip()
	}
	sc := largeScenario()
	f := newFakes(sc)
	defer f.Close()
	dir := t.TempDir()
	cfg := writeConfig(t, dir, sc, f, writeRules(t, dir))
	rep, err := run(context.Background(), cfg, sc.Now, tracker.ModeRun)
	if err != nil {
		t.Fatal(err)
	}
	for _, is := range f.tickets() {
		os.WriteFile(filepath.Join(out, is.Key+".md"), []byte(is.Summary+"\n\n"+is.Description), 0o644)
	}
	var lines string
	for _, m := range rep.Milestones {
		fc := m.Forecast
		lines += m.Milestone.Key + "\t" + string(fc.Status) + "\t" + fc.P85.Format("2006-01-02") + "\t" + m.Milestone.Due.Format("2006-01-02") + "\t" + fc.Explanation.Commitment.Format("2006-01-02") + "\n"
	}
	os.WriteFile(filepath.Join(out, "milestones.tsv"), []byte(lines), 0o644)
}
