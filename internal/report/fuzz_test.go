package report_test

import (
	"strings"
	"testing"

	"github.com/forewarn/forewarn/internal/notice"
	"github.com/forewarn/forewarn/internal/report"
)

// FuzzRender: whatever the trackers call things, the page stays
// well-formed, grows no element or attribute from their text, and shows
// the text itself.
func FuzzRender(f *testing.F) {
	f.Add("Checkout redesign", "acme", "weekly", "https://tracker.example/x", "ACME-1")
	f.Add(`<img src=x onerror=alert(1)>`, `"><svg onload=alert(1)>`, "</td>", "javascript:alert(1)", "]]>")
	f.Add("\u202eevil\u0000\x1b[31m", "a&b", "<!--", "http://[::1", "&amp;")
	f.Fuzz(func(t *testing.T, title, client, rule, url, id string) {
		in := fixture()
		m := &in.Report.Milestones[0]
		m.Milestone.Title, m.Milestone.URL, m.Milestone.Client = title, url, client
		m.Findings[0].Rule = rule
		in.Report.Actions[0].Ref.ID, in.Report.Actions[0].Ref.URL = id, url
		root := parse(t, render(t, report.Build(in)))
		root.walk(func(n node) {
			switch n.XMLName.Local {
			case "img", "script", "iframe", "object", "embed", "b":
				t.Fatalf("tracker text became a <%s> element", n.XMLName.Local)
			}
			for _, a := range n.Attrs {
				if strings.HasPrefix(strings.ToLower(a.Name.Local), "on") {
					t.Fatalf("tracker text became an %s attribute", a.Name.Local)
				}
				if a.Name.Local == "href" && !strings.HasPrefix(a.Value, "https://") && !strings.HasPrefix(a.Value, "http://") &&
					!strings.HasPrefix(a.Value, "#") && a.Value != "data:," {
					t.Fatalf("a link to %q", a.Value)
				}
			}
		})
		want := notice.Sanitize(title)
		if want == "" || len([]rune(want)) > 100 {
			return
		}
		if !strings.Contains(root.text(), want) {
			t.Fatalf("title %q not shown as text", want)
		}
	})
}
