package notice

import (
	"regexp"
	"strings"
	"testing"

	"github.com/forewarn/forewarn/internal/model"
)

// The chart in the body (Mermaid) and the attached SVG/PNG are drawn to the
// same date: the one currently promised, also when it comes from the
// history of agreed dates only.
func TestChartsOfADraftAgree(t *testing.T) {
	r, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	req := sampleRequests(model.PurposeClientNotice, "en")[2] // agreed 7 Dec in the history, originally 30 Nov
	if !req.Milestone.AgreedDue.IsZero() || len(req.History.AgreedDates) == 0 {
		t.Fatal("the sample no longer has an agreed date in its history only")
	}
	tk, err := r.Render(req, model.FormatMarkdown)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`title "Items remaining \(due (\w+ \d+)`).FindStringSubmatch(tk.Body)
	if m == nil {
		t.Fatalf("no Mermaid title in the body:\n%s", tk.Body)
	}
	var svg string
	for _, a := range tk.Attachments {
		if a.Name == ChartSVG {
			b, err := a.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			svg = string(b)
		}
	}
	if m[1] != "Dec 7" || !strings.Contains(svg, ">due 7 Dec<") {
		t.Errorf("the body's chart is due %s, the attached chart says %q; want both on 7 Dec",
			m[1], regexp.MustCompile(`>due [^<]*<`).FindString(svg))
	}
}
