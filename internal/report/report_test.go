package report_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/report"
	"github.com/forewarn/forewarn/internal/tracker"
)

var now = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// ms is a judged milestone with a forecast of the given status.
func ms(key, client, due string, status model.ForecastStatus, prob float64) tracker.MilestoneReport {
	m := model.Milestone{Source: "demo", Key: key, Kind: model.KindMilestone, Title: "Title of " + key,
		URL: "https://tracker.example/" + key, Client: client, Due: day(due), State: model.StateOpen}
	f := model.Forecast{MilestoneKey: key, AsOf: now, Status: status, ScopeItems: 20, DoneItems: 8, RemainingItems: 12,
		AddedAfterStart: 3}
	if status == model.ForecastOK {
		f.P50, f.P85, f.P95, f.ProbOnTime = day(due).AddDate(0, 0, -3), day(due).AddDate(0, 0, 5), day(due).AddDate(0, 0, 12), prob
	}
	if status == model.ForecastInsufficient {
		f.Why = model.ForecastReason{Code: model.ReasonThinHistory, Done: 2, Days: 20, Need: 3}
		f.Reason, f.ProbOnTime = f.Why.String(), prob // the calibrated chance, no date
	}
	if status == model.ForecastDiverging {
		f.Why = model.ForecastReason{Code: model.ReasonBeyondHorizon, HorizonDays: 730, Remaining: 12, Days: 20, Added: 12, Done: 5, Pace: 0.25}
		f.Reason = f.Why.String()
	}
	for i := range 10 {
		f.Burndown = append(f.Burndown, model.BurndownPoint{Day: now.AddDate(0, 0, i-10), Scope: 17 + i/3, Remaining: 20 - i})
	}
	return tracker.MilestoneReport{Milestone: m, Forecast: f}
}

func fixture() report.Input {
	rep := tracker.Report{Mode: tracker.ModeRun, Started: now, Milestones: []tracker.MilestoneReport{
		ms("acme-safe", "acme", "2026-12-18", model.ForecastOK, 0.9),
		ms("acme-risky", "acme", "2026-12-04", model.ForecastOK, 0.2),
		ms("acme-edge", "acme", "2026-12-10", model.ForecastOK, 0.846), // shown as 85 %: high
		ms("brouwer-new", "brouwer", "2026-12-11", model.ForecastInsufficient, 0.62),
		ms("brouwer-late", "brouwer", "2026-11-13", model.ForecastOK, 0),
		ms("brouwer-diverging", "brouwer", "2027-01-15", model.ForecastDiverging, 0),
		ms("loose", "", "2026-12-01", model.ForecastOK, 0.5),
	}}
	rep.Milestones[0].Findings = []model.Finding{{Rule: "weekly-progress-update", Severity: "info", Purpose: model.PurposeProgressUpdate}}
	rep.Milestones[1].Findings = []model.Finding{{Rule: "milestone-at-risk", Severity: "warning", Purpose: model.PurposeClientNotice}}
	rep.Actions = []tracker.Action{
		{Kind: tracker.ActionCreate, Fingerprint: "fw-1", MilestoneKey: "acme-risky", Purpose: model.PurposeClientNotice,
			Ref: model.TicketRef{ID: "ACME-900", URL: "https://jira.example/browse/ACME-900", Open: true}, Done: true},
		// An update then a comment on the same ticket: one ticket.
		{Kind: tracker.ActionUpdate, Fingerprint: "fw-2", MilestoneKey: "acme-safe", Purpose: model.PurposeProgressUpdate,
			Ref: model.TicketRef{ID: "ACME-901", URL: "javascript:alert(1)", Open: true}, Done: true},
		{Kind: tracker.ActionComment, Fingerprint: "fw-2", MilestoneKey: "acme-safe", Purpose: model.PurposeProgressUpdate,
			Ref: model.TicketRef{ID: "ACME-901", URL: "javascript:alert(1)", Open: true}, Done: true},
		{Kind: tracker.ActionNone, Fingerprint: "fw-3", MilestoneKey: "brouwer-late", Purpose: model.PurposePostMortem,
			Ref: model.TicketRef{ID: "BZ-7", URL: "https://jira.example/browse/BZ-7", Open: false}},
		{Kind: tracker.ActionCreate, Fingerprint: "fw-4", MilestoneKey: "brouwer-late", Purpose: model.PurposeClientNotice,
			Err: "jira said 500"},
	}
	rep.Failed = []tracker.FailureReport{{Source: "jira", Key: "jira:BZ/2.0", Title: "Dealer \u202eportal\u202c", Err: "reading the changelog: 502\nmore"}}
	rep.RuleFailures = []tracker.RuleFailure{{Rule: "custom", MilestoneKey: "acme-safe", Err: "division by zero"}}
	names := map[string]string{"acme": "Acme Retail", "brouwer": "Brouwer & Zonen"}
	return report.Input{Report: rep, Locale: "en",
		Client: func(id string) model.Client { return model.Client{ID: id, Name: names[id]} },
		WeekAgo: map[string]model.ForecastRecord{
			"acme-risky": {AsOf: now.AddDate(0, 0, -7), Status: model.ForecastOK, P85: day("2026-12-02"), ProbOnTime: 0.55},
			"acme-safe":  {AsOf: now.AddDate(0, 0, -7), Status: model.ForecastInsufficient},
		}}
}

func keys(g report.Group) []string {
	var out []string
	for _, m := range g.Milestones {
		out = append(out, m.Key)
	}
	return out
}

func TestBuildGroupsAndSortsByRisk(t *testing.T) {
	p := report.Build(fixture())
	var got []string
	for _, g := range p.Clients {
		got = append(got, fmt.Sprintf("%s=%s", g.Name, strings.Join(keys(g), ",")))
	}
	// Brouwer first (an overdue milestone), Acme next, no client last.
	// Within a client: overdue, diverging, low probability, no forecast, …
	want := []string{
		"Brouwer & Zonen=brouwer-late,brouwer-diverging,brouwer-new",
		"Acme Retail=acme-risky,acme-edge,acme-safe",
		"=loose",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("groups:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if p.AtRisk != 3 || p.Clients[0].AtRisk != 2 || p.Clients[1].AtRisk != 1 {
		t.Errorf("at risk = %d (brouwer %d, acme %d); want 3 (2, 1): late, diverging, 20 %%", p.AtRisk, p.Clients[0].AtRisk, p.Clients[1].AtRisk)
	}
	// Open tickets: ACME-900 and ACME-901; BZ-7 is closed and fw-4 failed.
	if p.Drafts != 2 {
		t.Errorf("drafts awaiting review = %d, want 2", p.Drafts)
	}
	if p.Judged != 7 || len(p.NotJudged) != 1 || p.NotJudged[0].Title != "Dealer portal" || p.NotJudged[0].Reason != "reading the changelog: 502" {
		t.Errorf("judged %d, not judged %+v", p.Judged, p.NotJudged)
	}
	if !p.Axis.From.Before(day("2026-11-13")) || !p.Axis.To.After(day("2027-01-15")) {
		t.Errorf("axis %v–%v does not span the overdue and the latest date", p.Axis.From, p.Axis.To)
	}
}

func TestBuildRows(t *testing.T) {
	p := report.Build(fixture())
	rows := map[string]report.Milestone{}
	for _, g := range p.Clients {
		for _, m := range g.Milestones {
			rows[m.Key] = m
		}
	}
	for _, c := range []struct {
		key, likelihood, status string
		prob                    string
		atRisk, overdue         bool
	}{
		{"acme-safe", report.LikelihoodHigh, "ok", "0.90", false, false},
		{"acme-risky", report.LikelihoodLow, "ok", "0.20", true, false},
		{"acme-edge", report.LikelihoodHigh, "ok", "0.85", false, false},
		{"loose", report.LikelihoodMedium, "ok", "0.50", false, false},
		{"brouwer-new", report.LikelihoodMedium, "insufficient_data", "0.62", false, false},
		{"brouwer-diverging", "", "diverging", "nil", true, false},
		{"brouwer-late", report.LikelihoodLow, "ok", "0.00", true, true},
	} {
		m := rows[c.key]
		prob := "nil"
		if m.ProbOnTime != nil {
			prob = fmt.Sprintf("%.2f", *m.ProbOnTime)
		}
		if m.Likelihood != c.likelihood || m.Status != c.status || prob != c.prob || m.AtRisk != c.atRisk || m.Overdue != c.overdue {
			t.Errorf("%s: likelihood %q status %q prob %s at risk %v overdue %v; want %q %q %s %v %v", c.key,
				m.Likelihood, m.Status, prob, m.AtRisk, m.Overdue, c.likelihood, c.status, c.prob, c.atRisk, c.overdue)
		}
		if c.status != "ok" && !m.P50.IsZero() {
			t.Errorf("%s: a date (%v) for a forecast without one", c.key, m.P50)
		}
	}
	safe := rows["acme-safe"]
	if len(safe.Tickets) != 1 || safe.Tickets[0].URL != "" || safe.Tickets[0].ID != "ACME-901" || safe.Tickets[0].Action != "comment" {
		t.Errorf("acme-safe tickets %+v: want one, ACME-901, its javascript: link dropped", safe.Tickets)
	}
	if len(safe.Findings) != 2 || safe.Findings[1].Error != "division by zero" {
		t.Errorf("acme-safe findings %+v: want the rule and the failed one", safe.Findings)
	}
	risky := rows["acme-risky"]
	if risky.WeekAgo == nil || risky.WeekAgo.ProbOnTime == nil || *risky.WeekAgo.ProbOnTime != 0.55 || !risky.WeekAgo.P85.Equal(day("2026-12-02")) {
		t.Errorf("acme-risky week ago %+v", risky.WeekAgo)
	}
	if risky.Done != 8 || risky.Total != 20 || risky.Added != 3 || len(risky.Burndown) != 10 || risky.URL != "https://tracker.example/acme-risky" {
		t.Errorf("acme-risky work: %d/%d +%d, %d burn-down points, url %q", risky.Done, risky.Total, risky.Added, len(risky.Burndown), risky.URL)
	}
	late := rows["brouwer-late"]
	if len(late.Tickets) != 2 || late.Tickets[0].Open || !late.Tickets[1].Failed {
		t.Errorf("brouwer-late tickets %+v: want the closed post-mortem and the failed notice", late.Tickets)
	}
}

func TestBuildPlanCountsDraftsToBeWritten(t *testing.T) {
	in := fixture()
	in.Report.Mode = tracker.ModePlan
	in.Report.Actions = []tracker.Action{{Kind: tracker.ActionCreate, Fingerprint: "fw-9", MilestoneKey: "acme-risky", Purpose: model.PurposeClientNotice}}
	p := report.Build(in)
	if p.Drafts != 1 || !p.Clients[1].Milestones[0].Tickets[0].Planned {
		t.Errorf("plan: drafts %d, tickets %+v; want the planned notice counted", p.Drafts, p.Clients[1].Milestones[0].Tickets)
	}
}

func TestBuildCleansTrackerText(t *testing.T) {
	in := fixture()
	in.Report.Milestones[0].Milestone.Title = "evil\u202e\u0007 " + strings.Repeat("x", 100_000) + "END-OF-LONG-TITLE"
	in.Report.Milestones[0].Milestone.URL = "javascript:alert(1)"
	p := report.Build(in)
	for _, g := range p.Clients {
		for _, m := range g.Milestones {
			if m.Key != "acme-safe" {
				continue
			}
			if strings.ContainsAny(m.Title, "\u202e\u0007") || len([]rune(m.Title)) > 160 || strings.Contains(m.Title, "END-OF") {
				t.Errorf("title not cleaned: %d runes, %q…", len([]rune(m.Title)), m.Title[:20])
			}
			if m.URL != "" {
				t.Errorf("javascript: URL kept: %q", m.URL)
			}
		}
	}
}

// node is a parsed element of the page (the page is well-formed XML, so
// encoding/xml reads it).
type node struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Children []node     `xml:",any"`
	Text     string     `xml:",chardata"`
}

func (n node) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func (n node) walk(f func(node)) {
	f(n)
	for _, c := range n.Children {
		c.walk(f)
	}
}

func (n node) text() string {
	var b strings.Builder
	n.walk(func(c node) { b.WriteString(c.Text) })
	return b.String()
}

func parse(t testing.TB, page []byte) node {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(page))
	d.Strict = true
	var root node
	if err := d.Decode(&root); err != nil {
		t.Fatalf("the page is not well-formed: %v", err)
	}
	// Nothing after </html> but white space.
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if cd, ok := tok.(xml.CharData); err != nil || !ok || strings.TrimSpace(string(cd)) != "" {
			t.Fatalf("content after the root element: %v %v", tok, err)
		}
	}
	return root
}

func render(t testing.TB, p report.Portfolio) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := report.Render(&b, p); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestRenderPage(t *testing.T) {
	page := render(t, report.Build(fixture()))
	root := parse(t, page)
	if root.attr("lang") != "en" {
		t.Errorf("lang = %q", root.attr("lang"))
	}
	var rows []node
	var csp, summary string
	var scripts, externals []string
	root.walk(func(n node) {
		switch n.XMLName.Local {
		case "tr":
			if n.attr("data-key") != "" {
				rows = append(rows, n)
			}
		case "meta":
			if n.attr("http-equiv") == "Content-Security-Policy" {
				csp = n.attr("content")
			}
		case "p":
			if n.attr("id") == "summary" {
				summary = n.text()
			}
		case "script", "iframe", "object", "embed", "img":
			scripts = append(scripts, n.XMLName.Local)
		}
		for _, a := range []string{"src", "srcset", "data"} {
			if v := n.attr(a); v != "" {
				externals = append(externals, v)
			}
		}
		if n.XMLName.Local == "link" && n.attr("href") != "data:," {
			externals = append(externals, n.attr("href"))
		}
	})
	var order []string
	for _, r := range rows {
		order = append(order, r.attr("data-key"))
	}
	want := "brouwer-late,brouwer-diverging,brouwer-new,acme-risky,acme-edge,acme-safe,loose"
	if strings.Join(order, ",") != want {
		t.Errorf("rows %s, want %s", strings.Join(order, ","), want)
	}
	if csp != report.ContentSecurityPolicy || len(scripts) > 0 || len(externals) > 0 {
		t.Errorf("CSP %q, active elements %v, external resources %v", csp, scripts, externals)
	}
	for _, part := range []string{"3 dates at risk", "2 drafts awaiting review", "1 milestone not judged"} {
		if !strings.Contains(summary, part) {
			t.Errorf("summary %q lacks %q", summary, part)
		}
	}
	for _, r := range rows {
		key, txt := r.attr("data-key"), r.text()
		var rects, links []string
		r.walk(func(n node) {
			if n.XMLName.Local == "rect" {
				rects = append(rects, n.attr("class"))
			}
			if n.XMLName.Local == "a" {
				links = append(links, n.attr("href"))
			}
		})
		switch key {
		case "acme-risky":
			if strings.Join(rects, ",") != "p95,p85" || !strings.Contains(txt, "20 %") || !strings.Contains(txt, "Unlikely (<\u00a050\u00a0%)") ||
				!strings.Contains(txt, "55 % → 20 % (down 35 pts); P85 7 days later") || !strings.Contains(txt, "+3 added") ||
				!strings.Contains(txt, "8 of 20 done") || !strings.Contains(txt, "At risk") {
				t.Errorf("acme-risky: rects %v, text %q", rects, txt)
			}
			if strings.Join(links, " ") != "https://tracker.example/acme-risky https://jira.example/browse/ACME-900" {
				t.Errorf("acme-risky links %v", links)
			}
		case "acme-edge":
			if !strings.Contains(txt, "85 %") || !strings.Contains(txt, "Likely (≥\u00a085\u00a0%)") || strings.Contains(txt, "At risk") {
				t.Errorf("acme-edge text %q", txt)
			}
		case "brouwer-new":
			// No date, but the calibrated chance, in its band's colour.
			if len(rects) != 0 || !strings.Contains(txt, "No date: not enough history (history too thin: 2 items completed in the last 20 working days (need 3))") ||
				!strings.Contains(txt, "62 %") || !strings.Contains(string(page), `<span class="prob">62 %</span> <span class="lk lk-medium">`) {
				t.Errorf("brouwer-new: rects %v, text %q", rects, txt)
			}
		case "brouwer-diverging":
			if len(rects) != 0 || !strings.Contains(txt, "No date: the forecast does not converge (P85 is beyond the 730-day horizon: 12 items remain; over the last 20 working days 12 items were added and 5 done (0.25 done a working day))") {
				t.Errorf("brouwer-diverging: rects %v, text %q", rects, txt)
			}
		case "brouwer-late":
			if !strings.Contains(txt, "overdue") || !strings.Contains(txt, "write failed") || !strings.Contains(txt, "closed") {
				t.Errorf("brouwer-late text %q", txt)
			}
		case "acme-safe":
			if len(links) != 1 || !strings.Contains(txt, "ACME-901") || !strings.Contains(txt, "rule failed") {
				t.Errorf("acme-safe: links %v (the javascript: one must not be a link), text %q", links, txt)
			}
		}
	}
}

func TestRenderDutch(t *testing.T) {
	in := fixture()
	in.Locale = "nl"
	page := render(t, report.Build(in))
	root := parse(t, page)
	txt := root.text()
	for _, w := range []string{"Klantdeadlines", "3 data in gevaar", "2 concepten wachten op review", "Onwaarschijnlijk (<\u00a050\u00a0%)",
		"Waarschijnlijk (≥\u00a085\u00a0%)", "Geen datum: te weinig historie", "4 dec", "Niet beoordeeld",
		// The forecast's reason as the Dutch drafts say it, not its English.
		"Geen datum: te weinig historie (in de laatste 20 werkdagen zijn er maar 2 onderdelen afgerond; een prognose heeft er minstens 3 nodig)",
		"Geen datum: de prognose convergeert niet (in het huidige tempo is het werk niet binnen 730 dagen af"} {
		if !strings.Contains(txt, w) {
			t.Errorf("Dutch page lacks %q", w)
		}
	}
	if root.attr("lang") != "nl" || strings.Contains(txt, "Unlikely") || strings.Contains(txt, "history too thin") || strings.Contains(txt, "beyond the") {
		t.Errorf("lang %q; English words on the Dutch page: %s", root.attr("lang"), txt)
	}
}

// The hostile corpus's titles render as text: escaped, never as markup.
func TestRenderHostileText(t *testing.T) {
	in := fixture()
	hostile := `<img src=x onerror=alert(1)> <script>alert(2)</script> "quoted" & 'single' </td></tr></table><a href="javascript:x">`
	in.Report.Milestones[0].Milestone.Title = hostile
	in.Report.Milestones[0].Findings[0].Rule = `<b>rule</b>`
	in.Report.Milestones[0].Milestone.Client = `"><svg onload=alert(3)>`
	page := render(t, report.Build(in))
	root := parse(t, page)
	var found bool
	root.walk(func(n node) {
		switch n.XMLName.Local {
		case "img", "script", "b":
			t.Errorf("hostile text became a <%s> element", n.XMLName.Local)
		case "a":
			if strings.HasPrefix(n.attr("href"), "javascript") {
				t.Errorf("live javascript: link")
			}
		case "svg":
			if n.attr("onload") != "" {
				t.Errorf("hostile client id became an attribute")
			}
		}
		if n.attr("data-key") == "acme-safe" && strings.Contains(n.text(), hostile) {
			found = true
		}
	})
	if !found {
		t.Error("the hostile title is not shown as text")
	}
}

func TestRenderEmpty(t *testing.T) {
	page := render(t, report.Build(report.Input{Report: tracker.Report{Mode: tracker.ModeRun, Started: now}}))
	if txt := parse(t, page).text(); !strings.Contains(txt, "No milestones with a due date were found.") || !strings.Contains(txt, "0 dates at risk") {
		t.Errorf("empty page text %q", txt)
	}
}

func TestPortfolioJSON(t *testing.T) {
	b, err := json.Marshal(report.Build(fixture()))
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		AtRisk  int `json:"at_risk"`
		Drafts  int `json:"drafts_awaiting_review"`
		Clients []struct {
			Milestones []struct {
				Key        string   `json:"key"`
				ProbOnTime *float64 `json:"prob_on_time"`
			} `json:"milestones"`
		} `json:"clients"`
	}
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	// brouwer-new has no date (insufficient data) but a calibrated chance.
	if back.AtRisk != 3 || back.Drafts != 2 || len(back.Clients) != 3 || back.Clients[0].Milestones[2].ProbOnTime == nil ||
		*back.Clients[0].Milestones[2].ProbOnTime != 0.62 || back.Clients[0].Milestones[1].ProbOnTime != nil {
		t.Errorf("JSON round trip: %s", b)
	}
}

func TestOptionsValidate(t *testing.T) {
	if err := (report.Options{Locale: "de"}).Validate(); err == nil || !strings.Contains(err.Error(), `"de"`) {
		t.Errorf("locale de: %v", err)
	}
	for _, l := range []string{"", "en", "nl"} {
		if err := (report.Options{Locale: l}).Validate(); err != nil {
			t.Errorf("locale %q: %v", l, err)
		}
	}
}

func TestWriteFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "site", "index.html")
	if err := report.WriteFile(path, report.Build(fixture())); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o644 {
		t.Fatalf("stat %v, %v: want a 0644 file", fi, err)
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".portfolio-*"))
	if len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}
