package action_test

import (
	"strings"
	"testing"

	"github.com/forewarn/forewarn/internal/action"
	"github.com/forewarn/forewarn/internal/tracker"
)

// unescapedPipes counts | not preceded by an odd run of backslashes.
func unescapedPipes(line string) int {
	n := 0
	for i := 0; i < len(line); i++ {
		if line[i] != '|' {
			continue
		}
		bs := 0
		for j := i - 1; j >= 0 && line[j] == '\\'; j-- {
			bs++
		}
		if bs%2 == 0 {
			n++
		}
	}
	return n
}

// FuzzSummary: whatever a tracker calls its milestones and tickets, every
// table row keeps its columns, no heading or HTML is injected, and the
// fences stay balanced.
func FuzzSummary(f *testing.F) {
	f.Add("Checkout | redesign", "acme", "file:x", "Title <b>", "rule", "summary\n# injected")
	f.Add("```", "\\|", "[x](javascript:alert(1))", "a\r\nb", "*", "<script>")
	f.Add("", "", "", "", "", "")
	f.Fuzz(func(t *testing.T, title, client, key, ticket, rule, summary string) {
		rep := sampleReport(tracker.ModePlan)
		m := &rep.Milestones[0]
		m.Milestone.Title, m.Milestone.Client, m.Milestone.Key = title, client, key
		m.Findings[0].Rule = rule
		m.Findings[0].Annotations = map[string]string{"summary": summary}
		rep.Actions[0].Title, rep.Actions[0].MilestoneKey = ticket, key
		rep.Failed[0].Err = summary
		rep.Notes = []string{summary}
		s := &action.Summary{Mode: tracker.ModePlan, Report: &rep}
		md := s.Markdown()

		inFence := false
		fences := 0
		for _, line := range strings.Split(md, "\n") {
			if strings.HasPrefix(line, "```") {
				inFence = !inFence
				fences++
				continue
			}
			if inFence {
				continue
			}
			if strings.ContainsAny(line, "<>") {
				t.Fatalf("raw HTML outside a fence: %q", line)
			}
			if strings.HasPrefix(line, "#") && !strings.HasPrefix(line, "## forewarn ") && !strings.HasPrefix(line, "### ") {
				t.Fatalf("injected heading: %q", line)
			}
			if strings.HasPrefix(line, "| ") {
				if n := unescapedPipes(line); n != 8 && n != 6 {
					t.Fatalf("table row with %d column separators: %q", n, line)
				}
			}
		}
		if fences != 4 || inFence {
			t.Fatalf("%d fence lines (want two charts, 2 each):\n%s", fences, md)
		}
	})
}
