// Package table prints a run or a plan for people to read: the table the
// CLI prints and the Action writes to its step log.
package table

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/tracker"
)

// Print writes a run or a plan for people to read.
func Print(w io.Writer, rep tracker.Report, targetHint string) {
	verb := map[tracker.Mode]string{tracker.ModeRun: "run", tracker.ModePlan: "plan"}[rep.Mode]
	fmt.Fprintf(w, "forewarn %s: %d milestone(s) judged, %d not judged\n\n", verb, len(rep.Milestones), len(rep.Failed))
	if len(rep.Milestones) > 0 {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "MILESTONE\tDUE\tDONE\tP85\tON TIME\tRECORD\tFINDINGS")
		for _, m := range rep.Milestones {
			f := m.Forecast
			p85, prob := date(f.P85), fmt.Sprintf("%.0f%%", 100*f.ProbOnTime)
			switch f.Status {
			case model.ForecastInsufficient:
				// No date, but the calibrated chance stands on what is known
				// (time elapsed, work done, the team's record).
				p85 = "insufficient data"
				if f.ScopeItems == 0 || m.Milestone.EffectiveDue().IsZero() {
					prob = "-"
				}
			case model.ForecastDiverging:
				p85 = "diverging (no date)"
			case model.ForecastDone:
				p85 = "done"
			}
			var names []string
			for _, fd := range m.Findings {
				names = append(names, fd.Rule)
			}
			fmt.Fprintf(tw, "%s\t%s\t%d/%d\t%s\t%s\t%s\t%s\n", m.Milestone.Key, date(m.Milestone.EffectiveDue()),
				f.DoneItems, f.ScopeItems, p85, prob, record(m.Milestone.Record), orDash(strings.Join(names, ", ")))
		}
		tw.Flush()
		fmt.Fprintln(w)
	}
	for _, f := range rep.Failed {
		what := f.Source
		if f.Key != "" {
			what += " " + f.Key
		}
		fmt.Fprintf(w, "NOT JUDGED  %s: %s\n", what, firstLine(f.Err))
	}
	for _, f := range rep.RuleFailures {
		fmt.Fprintf(w, "FAILED RULE  %s on %s: %s\n", f.Rule, f.MilestoneKey, firstLine(f.Err))
	}
	if len(rep.Failed) > 0 || len(rep.RuleFailures) > 0 {
		fmt.Fprintln(w)
	}
	counts := map[tracker.ActionKind]int{}
	if len(rep.Actions) > 0 {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, a := range rep.Actions {
			kind := strings.ToUpper(string(a.Kind))
			if a.Err != "" {
				kind = "FAILED " + kind
			} else {
				counts[a.Kind]++
			}
			detail := a.Ref.ID
			if a.Err != "" {
				detail = firstLine(a.Err)
			} else if a.Reason != "" && a.Kind != tracker.ActionCreate {
				detail = strings.TrimSpace(strings.Join([]string{a.Ref.ID, "(" + firstLine(a.Reason) + ")"}, " "))
			}
			if len(a.Ops) > 1 {
				detail = strings.TrimSpace(detail + " [" + strings.Join(a.Ops, " → ") + "]")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", kind, a.Purpose, a.MilestoneKey, quoteTitle(a.Title), detail)
		}
		tw.Flush()
		fmt.Fprintln(w)
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	if rep.Mode == tracker.ModePlan {
		fmt.Fprintf(w, "Plan: %d to create, %d to update, %d to comment, %d to reopen, %d unchanged. Nothing was written.\n",
			counts[tracker.ActionCreate], counts[tracker.ActionUpdate], counts[tracker.ActionComment], counts[tracker.ActionReopen], counts[tracker.ActionNone])
		return
	}
	fmt.Fprintf(w, "Done: %d created, %d updated, %d commented, %d reopened, %d unchanged.",
		counts[tracker.ActionCreate], counts[tracker.ActionUpdate], counts[tracker.ActionComment], counts[tracker.ActionReopen], counts[tracker.ActionNone])
	if targetHint != "" {
		fmt.Fprintf(w, " Tickets: %s", targetHint)
	}
	fmt.Fprintln(w)
}

// record is the team's record in the table: how many of the earlier
// closed milestones were on time ("5/8 on time"), "-" without history.
func record(r *model.TeamRecord) string {
	if r == nil || r.Milestones == 0 {
		return "-"
	}
	return fmt.Sprintf("%d/%d on time", r.OnTime, r.Milestones)
}

func date(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Format(time.DateOnly)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

func quoteTitle(s string) string {
	r := []rune(s)
	if len(r) > 60 {
		s = string(r[:59]) + "…"
	}
	return fmt.Sprintf("%q", s)
}
