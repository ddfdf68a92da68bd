package action

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/forewarn/forewarn/internal/chart"
	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/tracker"
)

// AtRiskBelow is the on-time likelihood under which a milestone counts as
// at risk in the summary even before a rule has fired (rules may wait a
// day with `for:`); it matches the default rule milestone-at-risk.
const AtRiskBelow = 0.5

// Summary is the job summary of one Action run.
type Summary struct {
	Mode     tracker.Mode
	Config   string
	Report   *tracker.Report // nil when the run did not happen
	Problems []string        // configuration problems or the run's error
	Version  string          // forewarn's version, in a footer ("" none)
}

// AtRisk reports whether a milestone is shown as at risk: a rule fired
// for it that is more than a routine progress update (a client notice or a
// post-mortem), or it is open with a forecast under AtRiskBelow.
func AtRisk(m tracker.MilestoneReport) bool {
	for _, f := range m.Findings {
		if f.Purpose != model.PurposeProgressUpdate {
			return true
		}
	}
	return m.Milestone.State != model.StateClosed && (m.Forecast.Status == model.ForecastDiverging ||
		m.Forecast.Status == model.ForecastOK && m.Forecast.ProbOnTime < AtRiskBelow)
}

// missed: the promised day is over and work remains.
func missed(m tracker.MilestoneReport, now time.Time) bool {
	due := m.Milestone.EffectiveDue()
	return !due.IsZero() && now.After(due.AddDate(0, 0, 1)) && m.Forecast.Status != model.ForecastDone && m.Milestone.State != model.StateClosed
}

// Outputs are the step outputs: counts (all zero when the run did not
// happen).
func (s *Summary) Outputs() map[string]string {
	out := map[string]string{"milestones": "0", "at-risk": "0", "findings": "0", "not-judged": "0",
		"created": "0", "updated": "0", "commented": "0", "reopened": "0", "failed-writes": "0", "failed-rules": "0"}
	r := s.Report
	if r == nil {
		return out
	}
	risk, findings := 0, 0
	for _, m := range r.Milestones {
		if AtRisk(m) {
			risk++
		}
		findings += len(m.Findings)
	}
	itoa := strconv.Itoa
	out["milestones"] = itoa(len(r.Milestones))
	out["at-risk"] = itoa(risk)
	out["findings"] = itoa(findings)
	out["not-judged"] = itoa(len(r.Failed))
	out["created"] = itoa(r.Count(tracker.ActionCreate))
	out["updated"] = itoa(r.Count(tracker.ActionUpdate))
	out["commented"] = itoa(r.Count(tracker.ActionComment))
	out["reopened"] = itoa(r.Count(tracker.ActionReopen))
	out["failed-writes"] = itoa(failedActions(*r))
	out["failed-rules"] = itoa(len(r.RuleFailures))
	return out
}

// Markdown renders the summary. Everything that comes from a tracker or
// the configuration is escaped, so a title cannot break a table or inject
// HTML.
func (s *Summary) Markdown() string {
	md := s.markdown()
	if s.Version != "" {
		md += fmt.Sprintf("<sub>forewarn %s</sub>\n", text(s.Version))
	}
	return md
}

func (s *Summary) markdown() string {
	var b strings.Builder
	r := s.Report
	if r == nil {
		fmt.Fprintf(&b, "## forewarn %s: not run\n\n", s.Mode)
		if len(s.Problems) > 0 {
			b.WriteString("Nothing was written. forewarn stopped at:\n\n")
			for _, p := range s.Problems {
				fmt.Fprintf(&b, "- %s\n", text(p))
			}
			b.WriteString("\n")
		}
		return b.String()
	}
	outs := s.Outputs()
	fmt.Fprintf(&b, "## forewarn %s: %s of %d milestones at risk\n\n", r.Mode, outs["at-risk"], len(r.Milestones))
	if r.Mode == tracker.ModePlan {
		fmt.Fprintf(&b, "Plan only, nothing was written. A run would create %s, update %s, comment on %s and reopen %s tickets.\n\n",
			outs["created"], outs["updated"], outs["commented"], outs["reopened"])
	} else {
		fmt.Fprintf(&b, "Created %s, updated %s, commented on %s and reopened %s tickets", outs["created"], outs["updated"], outs["commented"], outs["reopened"])
		if n := outs["failed-writes"]; n != "0" {
			fmt.Fprintf(&b, "; **%s writes failed**", n)
		}
		b.WriteString(".\n\n")
	}
	if len(r.Milestones) > 0 {
		b.WriteString("| | Milestone | Client | Due | On time | P85 | Remaining |\n|---|---|---|---|---:|---|---:|\n")
		for _, m := range r.Milestones {
			ms, f := m.Milestone, m.Forecast
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", icon(m), link(ms.Title, ms.Key, ms.URL), cell(ms.Client),
				date(ms.EffectiveDue()), likelihood(f), p85(f), remaining(f))
		}
		b.WriteString("\n")
	}
	if acts := visible(r.Actions); len(acts) > 0 {
		title := "Tickets"
		if r.Mode == tracker.ModePlan {
			title = "Planned tickets"
		}
		fmt.Fprintf(&b, "### %s\n\n| Action | Purpose | Milestone | Title | Ticket |\n|---|---|---|---|---|\n", title)
		for _, a := range acts {
			kind := string(a.Kind)
			if a.Err != "" {
				kind += " (failed: " + a.Err + ")"
			}
			ticket := a.Ref.ID
			if ticket != "" && a.Ref.URL != "" {
				ticket = "[" + text(a.Ref.ID) + "](" + a.Ref.URL + ")"
			} else {
				ticket = cell(ticket)
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", cell(kind), cell(string(a.Purpose)), cell(a.MilestoneKey), cell(a.Title), ticket)
		}
		b.WriteString("\n")
	}
	for _, m := range r.Milestones {
		if !AtRisk(m) {
			continue
		}
		ms, f := m.Milestone, m.Forecast
		state := "at risk"
		if missed(m, r.Started) {
			state = "missed"
		}
		fmt.Fprintf(&b, "### %s: %s\n\n", text(orKey(ms.Title, ms.Key)), state)
		for _, fd := range m.Findings {
			fmt.Fprintf(&b, "- **%s** (%s, %s)", text(fd.Rule), text(fd.Severity), text(string(fd.Purpose)))
			if s := fd.Annotations["summary"]; s != "" {
				fmt.Fprintf(&b, ": %s", text(s))
			}
			b.WriteString("\n")
		}
		if len(m.Findings) == 0 {
			fmt.Fprintf(&b, "- No rule has fired yet; the forecast gives %s.\n", likelihood(f))
		}
		b.WriteString("\n")
		b.WriteString(chart.Mermaid(f.Burndown, ms.EffectiveDue(), f))
		b.WriteString("\n")
		if f.Status == model.ForecastOK {
			fmt.Fprintf(&b, "P50 %s, P85 %s, P95 %s. %d of %d items remain; the pace needed is %.1f a working day, the pace seen %.1f.\n\n",
				date(f.P50), date(f.P85), date(f.P95), f.RemainingItems, f.ScopeItems, f.PaceNeeded, f.PaceObserved)
		}
		if rec := ms.Record; rec != nil && rec.Milestones > 0 {
			fmt.Fprintf(&b, "The team's record: %d of the last %d on time (%s).\n\n", rec.OnTime, rec.Milestones, text(rec.Basis))
		}
	}
	if len(r.Failed) > 0 {
		b.WriteString("### Not judged\n\n")
		for _, f := range r.Failed {
			fmt.Fprintf(&b, "- %s %s: %s\n", text(f.Source), text(orKey(f.Title, f.Key)), text(f.Err))
		}
		b.WriteString("\n")
	}
	if len(r.RuleFailures) > 0 {
		b.WriteString("### Rules that failed\n\n")
		for _, f := range r.RuleFailures {
			fmt.Fprintf(&b, "- **%s** on %s: %s\n", text(f.Rule), text(f.MilestoneKey), text(f.Err))
		}
		b.WriteString("\n")
	}
	if len(r.Notes) > 0 {
		b.WriteString("### Notes\n\n")
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "- %s\n", text(n))
		}
		b.WriteString("\n")
	}
	return b.String()
}

// visible leaves out tickets that are up to date.
func visible(as []tracker.Action) []tracker.Action {
	var out []tracker.Action
	for _, a := range as {
		if a.Kind != tracker.ActionNone {
			out = append(out, a)
		}
	}
	return out
}

func icon(m tracker.MilestoneReport) string {
	switch {
	case AtRisk(m):
		return "🔴"
	case m.Milestone.State == model.StateClosed || m.Forecast.Status == model.ForecastDone:
		return "✅"
	case m.Forecast.Status == model.ForecastOK:
		return "🟢"
	default:
		return "⚪"
	}
}

func likelihood(f model.Forecast) string {
	switch f.Status {
	case model.ForecastOK:
		return fmt.Sprintf("%.0f %%", f.ProbOnTime*100)
	case model.ForecastDone:
		return "done"
	case model.ForecastDiverging:
		return "no date (diverging: the work does not finish within the horizon at the current pace)"
	default:
		return "not enough data"
	}
}

func p85(f model.Forecast) string {
	if f.Status != model.ForecastOK {
		return "–"
	}
	return date(f.P85)
}

func remaining(f model.Forecast) string {
	return fmt.Sprintf("%d of %d", f.RemainingItems, f.ScopeItems)
}

func date(t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	return t.UTC().Format(time.DateOnly)
}

func orKey(title, key string) string {
	if title == "" {
		return key
	}
	return title
}

func link(title, key, url string) string {
	t := text(orKey(title, key))
	if url == "" || !(strings.HasPrefix(url, "https://") || strings.HasPrefix(url, "http://")) {
		return t
	}
	return "[" + t + "](" + strings.NewReplacer("(", "%28", ")", "%29", " ", "%20", "|", "%7C").Replace(url) + ")"
}

// text escapes Markdown and HTML in a single line of text.
func text(s string) string {
	s = strings.Join(strings.Fields(s), " ") // no newlines: one line, one cell
	return mdEscaper.Replace(s)
}

// cell is text for a table cell ("–" when empty).
func cell(s string) string {
	if strings.TrimSpace(s) == "" {
		return "–"
	}
	return text(s)
}

var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "|", `\|`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`,
	"<", "&lt;", ">", "&gt;", "&", "&amp;", "#", `\#`, "~", `\~`, "!", `\!`,
)
