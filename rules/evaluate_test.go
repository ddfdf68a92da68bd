package rules_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/rules"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) // a Monday

func mustParse(t *testing.T, src string) *rules.Set {
	t.Helper()
	s, err := rules.Parse("test.yaml", []byte(src))
	if err != nil {
		t.Fatalf("parse:\n%v", err)
	}
	return s
}

func input(key string, prob float64) rules.Input {
	return rules.Input{
		Milestone: model.Milestone{Key: key, Title: "M " + key, Kind: model.KindMilestone, Source: "demo", Client: "acme",
			State: model.StateOpen, Due: time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC)},
		Forecast: model.Forecast{MilestoneKey: key, Status: model.ForecastOK, ProbOnTime: prob,
			P85: time.Date(2026, 3, 27, 0, 0, 0, 0, time.UTC), RemainingItems: 5},
		Client: model.Client{ID: "acme", Name: "ACME", TimeZone: "Europe/Amsterdam"},
	}
}

const atRisk = `version: 1
rules:
  - name: at-risk
    when: forecast.prob_on_time < 0.5
    for: 2d
    keep_firing_for: 1d
    action: client-notice
    repeat: 1w
    annotations:
      summary: "{{ milestone.title }}: {{ percent(forecast.prob_on_time) }} by {{ ymd(milestone.due) }}"
`

// step evaluates and, like the worker, records acting on every finding it may update.
func step(s *rules.Set, now time.Time, st rules.State, in ...rules.Input) rules.Result {
	res := s.Evaluate(now, in, st)
	for _, f := range res.Findings {
		if res.MayUpdate[f.Fingerprint()] {
			res.State.Acted(f.Fingerprint(), now)
		}
	}
	return res
}

func TestForHoldsBeforeFiringAndRepeatLimitsUpdates(t *testing.T) {
	s := mustParse(t, atRisk)
	var st rules.State
	type want struct {
		at     time.Time
		prob   float64
		fires  bool
		update bool
	}
	steps := []want{
		{t0, 0.3, false, false},                         // pending
		{t0.Add(24 * time.Hour), 0.3, false, false},     // still pending (1d < 2d)
		{t0.Add(48 * time.Hour), 0.3, true, true},       // fires, first write
		{t0.Add(72 * time.Hour), 0.3, true, false},      // within repeat
		{t0.Add(84 * time.Hour), 0.9, true, false},      // condition gone, kept firing (12h < 1d)
		{t0.Add(9 * 24 * time.Hour), 0.3, false, false}, // resolved at day 5, pending again
		{t0.Add(11 * 24 * time.Hour), 0.3, true, true},  // fires again; a week since the write
	}
	for i, w := range steps {
		// A condition gap between step 4 and 5: evaluate once with the condition false past keep_firing_for.
		if i == 5 {
			st = step(s, t0.Add(5*24*time.Hour), st, input("m1", 0.9)).State
		}
		res := step(s, w.at, st, input("m1", w.prob))
		st = res.State
		if got := len(res.Findings) == 1; got != w.fires {
			t.Fatalf("step %d at %s: fires=%v, want %v (%+v)", i, w.at, got, w.fires, res.Findings)
		}
		if w.fires {
			f := res.Findings[0]
			if got := res.MayUpdate[f.Fingerprint()]; got != w.update {
				t.Errorf("step %d: may update=%v, want %v", i, got, w.update)
			}
			if f.Purpose != model.PurposeClientNotice || f.Severity != "warning" || f.Rule != "at-risk" {
				t.Errorf("step %d: finding %+v", i, f)
			}
		}
		// The state survives a JSON round trip.
		b, err := json.Marshal(st)
		if err != nil {
			t.Fatal(err)
		}
		if st, err = rules.UnmarshalState(b); err != nil {
			t.Fatal(err)
		}
	}
}

func TestFindingCarriesTimesAndRenderedAnnotations(t *testing.T) {
	s := mustParse(t, atRisk)
	st := s.Evaluate(t0, []rules.Input{input("m1", 0.25)}, rules.State{}).State
	res := s.Evaluate(t0.Add(50*time.Hour), []rules.Input{input("m1", 0.25)}, st)
	if len(res.Findings) != 1 {
		t.Fatalf("findings: %+v", res.Findings)
	}
	f := res.Findings[0]
	if !f.ActiveSince.Equal(t0) || !f.FiredAt.Equal(t0.Add(50*time.Hour)) {
		t.Errorf("active since %s fired at %s", f.ActiveSince, f.FiredAt)
	}
	if got, want := f.Annotations["summary"], "M m1: 25% by 2026-03-20"; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
}

func TestEvaluateDoesNotModifyPreviousState(t *testing.T) {
	s := mustParse(t, atRisk)
	st := s.Evaluate(t0, []rules.Input{input("m1", 0.25)}, rules.State{}).State
	before, _ := json.Marshal(st)
	res := s.Evaluate(t0.Add(72*time.Hour), []rules.Input{input("m1", 0.25)}, st)
	res.State.Acted(res.Findings[0].Fingerprint(), t0)
	after, _ := json.Marshal(st)
	if string(before) != string(after) {
		t.Fatalf("prev state changed:\n%s\n%s", before, after)
	}
}

func TestSilencesQuietHoursAndSupersede(t *testing.T) {
	src := `version: 1
quiet_hours: {start: "19:00", end: "07:00", weekends: true, except_severities: [critical]}
silences:
  - matchers: {milestone: "silenced*"}
    until: 2026-04-01
    comment: new date under discussion
rules:
  - name: warn
    when: forecast.prob_on_time < 0.5
    action: client-notice
  - name: crit
    when: forecast.prob_on_time < 0.1
    severity: critical
    action: client-notice
`
	s := mustParse(t, src)
	if sum := s.Summary(); !strings.Contains(sum, "silences: 1\n    - milestone=silenced* until 2026-04-01T00:00:00Z (new date under discussion)\n  quiet hours: 19:00–07:00 client time, weekends") {
		t.Errorf("summary:\n%s", sum)
	}
	day := t0 // 10:00 in Amsterdam, Monday
	night := time.Date(2026, 3, 2, 20, 0, 0, 0, time.UTC)
	cases := []struct {
		name       string
		at         time.Time
		in         rules.Input
		wantRules  []string
		wantReason string
	}{
		{"day, warning fires", day, input("m", 0.3), []string{"warn"}, ""},
		{"critical supersedes warning on the same ticket", day, input("m", 0.05), []string{"crit"}, "superseded by rule \"crit\""},
		{"silenced", day, input("silenced-1", 0.3), nil, "silenced until 2026-04-01T00:00:00Z (test.yaml line 4): new date under discussion"},
		{"quiet at 21:00 Amsterdam", night, input("m", 0.3), nil, "quiet hours in Europe/Amsterdam (Mon 21:00 local time)"},
		{"critical passes quiet hours", night, input("m", 0.05), []string{"crit"}, "quiet hours"},
		{"silence expired", time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC), input("silenced-1", 0.3), []string{"warn"}, ""},
		{"weekend", time.Date(2026, 3, 7, 12, 0, 0, 0, time.UTC), input("m", 0.3), nil, "quiet hours"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := s.Evaluate(c.at, []rules.Input{c.in}, rules.State{})
			var got []string
			for _, f := range res.Findings {
				got = append(got, f.Rule)
			}
			if strings.Join(got, ",") != strings.Join(c.wantRules, ",") {
				t.Errorf("findings %v, want %v", got, c.wantRules)
			}
			if c.wantReason == "" {
				if len(res.Suppressed) != 0 {
					t.Errorf("suppressed %+v", res.Suppressed)
				}
				return
			}
			found := false
			for _, sup := range res.Suppressed {
				found = found || strings.Contains(sup.Reason, c.wantReason)
			}
			if !found {
				t.Errorf("no suppression with %q in %+v", c.wantReason, res.Suppressed)
			}
		})
	}
}

func TestPrepareExemptsMilestonesAndItems(t *testing.T) {
	s := mustParse(t, atRisk)
	m := model.Milestone{Key: "m", Items: []model.WorkItem{{Key: "a"}, {Key: "b", Labels: []string{"Forewarn:Ignore"}}, {Key: "c"}}}
	got, skip := s.Prepare(m)
	if skip || len(got.Items) != 2 || got.Items[0].Key != "a" || got.Items[1].Key != "c" {
		t.Fatalf("prepare: skip=%v items=%+v", skip, got.Items)
	}
	if len(m.Items) != 3 || m.Items[1].Key != "b" {
		t.Fatal("prepare modified its input")
	}
	m.Labels = []string{"client-facing", "forewarn:ignore"}
	if _, skip := s.Prepare(m); !skip {
		t.Fatal("labelled milestone not skipped")
	}
	in := input("m", 0.1)
	in.Milestone.Labels = m.Labels
	st := s.Evaluate(t0, []rules.Input{in}, rules.State{}).State
	if res := s.Evaluate(t0.Add(72*time.Hour), []rules.Input{in}, st); len(res.Findings) != 0 || len(res.State.Alerts) != 0 {
		t.Fatalf("an exempt milestone judged anyway fired: %+v", res)
	}
	custom := mustParse(t, "version: 1\nexempt: {labels: [internal]}\n"+atRisk[len("version: 1\n"):])
	if _, skip := custom.Prepare(model.Milestone{Labels: []string{"forewarn:ignore"}}); skip {
		t.Fatal("configured labels replace the default")
	}
	if _, skip := custom.Prepare(model.Milestone{Labels: []string{"internal"}}); !skip {
		t.Fatal("configured label does not exempt")
	}
}

func TestScopeSelectsMilestones(t *testing.T) {
	s := mustParse(t, `version: 1
rules:
  - name: sprints-of-acme
    scope: {clients: [acme], kinds: [sprint], labels: [client-facing], sources: [jira]}
    when: "true"
    action: progress-update
`)
	in := input("m", 0.9)
	in.Milestone.Kind, in.Milestone.Source, in.Milestone.Labels = model.KindSprint, "jira", []string{"client-facing"}
	if res := s.Evaluate(t0, []rules.Input{in}, rules.State{}); len(res.Findings) != 1 {
		t.Fatalf("in scope, no finding: %+v", res)
	}
	for name, mut := range map[string]func(*rules.Input){
		"other client": func(i *rules.Input) { i.Milestone.Client = "globex" },
		"other kind":   func(i *rules.Input) { i.Milestone.Kind = model.KindFixVersion },
		"no label":     func(i *rules.Input) { i.Milestone.Labels = nil },
		"other source": func(i *rules.Input) { i.Milestone.Source = "github" },
	} {
		x := in
		mut(&x)
		if res := s.Evaluate(t0, []rules.Input{x}, rules.State{}); len(res.Findings) != 0 {
			t.Errorf("%s: fired", name)
		}
	}
}

func TestBudgetAndSummary(t *testing.T) {
	s := mustParse(t, "version: 1\noperations_budget: 12\n"+atRisk[len("version: 1\n"):])
	if s.Budget() != 12 {
		t.Fatalf("budget %d", s.Budget())
	}
	sum := s.Summary()
	for _, want := range []string{"rules: 1", "at-risk → client-notice (warning, for 2d, repeat 1w)", "operations budget: 12 per run", "exempt labels: forewarn:ignore"} {
		if !strings.Contains(sum, want) {
			t.Errorf("summary lacks %q:\n%s", want, sum)
		}
	}
}

func TestEscalationIsNotHeldBackByRepeat(t *testing.T) {
	s := mustParse(t, `version: 1
rules:
  - name: warn
    when: forecast.prob_on_time < 0.5
    action: client-notice
    repeat: 1w
  - name: crit
    when: forecast.prob_on_time < 0.1
    severity: critical
    action: client-notice
    repeat: 1w
`)
	res := step(s, t0, rules.State{}, input("m", 0.3))
	if len(res.Findings) != 1 || !res.MayUpdate[res.Findings[0].Fingerprint()] {
		t.Fatalf("first: %+v", res)
	}
	res = step(s, t0.Add(24*time.Hour), res.State, input("m", 0.3))
	if res.MayUpdate[res.Findings[0].Fingerprint()] {
		t.Fatal("same severity within repeat may update")
	}
	res = step(s, t0.Add(48*time.Hour), res.State, input("m", 0.05))
	if f := res.Findings[0]; f.Rule != "crit" || !res.MayUpdate[f.Fingerprint()] {
		t.Fatalf("escalation held back: %+v %v", f, res.MayUpdate)
	}
	res = step(s, t0.Add(72*time.Hour), res.State, input("m", 0.05))
	if res.MayUpdate[res.Findings[0].Fingerprint()] {
		t.Fatal("critical again within repeat may update")
	}
	// Falling back to a warning is no escalation either.
	res = step(s, t0.Add(96*time.Hour), res.State, input("m", 0.3))
	if res.MayUpdate[res.Findings[0].Fingerprint()] {
		t.Fatal("de-escalation may update within repeat")
	}
}

// A Set is shared by concurrent runs (serve mode): run with -race.
func TestConcurrentEvaluate(t *testing.T) {
	s := mustParse(t, atRisk)
	done := make(chan rules.Result)
	for i := range 4 {
		go func() {
			in := input("m", 0.2)
			in.Client.TimeZone = []string{"Europe/Amsterdam", "America/New_York", "Asia/Tokyo", ""}[i]
			st := s.Evaluate(t0, []rules.Input{in}, rules.State{}).State
			done <- s.Evaluate(t0.Add(72*time.Hour), []rules.Input{in}, st)
		}()
	}
	for range 4 {
		if res := <-done; len(res.Findings) != 1 {
			t.Errorf("findings %+v", res.Findings)
		}
	}
}

// Acted on a state that did not come from Evaluate records no severity:
// repeat still holds the ticket (no escalation can be assumed).
func TestActedWithoutEvaluateHoldsRepeat(t *testing.T) {
	s := mustParse(t, atRisk)
	in := input("m1", 0.2)
	var st rules.State
	st.Acted(model.Fingerprint("m1", model.PurposeClientNotice), t0)
	st = s.Evaluate(t0, []rules.Input{in}, st).State
	res := s.Evaluate(t0.Add(48*time.Hour), []rules.Input{in}, st)
	if len(res.Findings) != 1 || res.MayUpdate[res.Findings[0].Fingerprint()] {
		t.Fatalf("may update within repeat: %+v %v", res.Findings, res.MayUpdate)
	}
}

// A rule can match the forecast's reason by its code, which does not change
// with the wording of the English reason.
func TestRuleMatchesReasonCode(t *testing.T) {
	s := mustParse(t, `version: 1
rules:
  - name: thin
    when: forecast.reason_code == "thin_history" && forecast.insufficient
    action: progress-update
`)
	thin := input("thin", 0.4)
	thin.Forecast.Status = model.ForecastInsufficient
	thin.Forecast.Why = model.ForecastReason{Code: model.ReasonThinHistory, Done: 1, Days: 10, Need: 3}
	thin.Forecast.Reason = thin.Forecast.Why.String()
	short := input("short", 0.4)
	short.Forecast.Status = model.ForecastInsufficient
	short.Forecast.Why = model.ForecastReason{Code: model.ReasonShortHistory, Since: t0, Days: 2, Need: 5}
	short.Forecast.Reason = short.Forecast.Why.String()
	res := s.Evaluate(t0, []rules.Input{thin, short, input("ok", 0.4)}, rules.State{})
	if len(res.Findings) != 1 || res.Findings[0].MilestoneKey != "thin" {
		t.Fatalf("findings %+v, want one for the thin history only", res.Findings)
	}
}

// A due date moved later in the tracker (Milestone.PromisedDue, from the
// due dates the worker saw) is there for rules: due_moved and
// promised_due, beside the tracker's original_due.
func TestRuleMatchesAMovedDueDate(t *testing.T) {
	s := mustParse(t, `version: 1
rules:
  - name: quietly-moved
    when: milestone.due_moved && !milestone.rebaselined && days(milestone.original_due - milestone.promised_due) >= 7
    action: progress-update
    annotations:
      summary: "{{ ymd(milestone.promised_due) }} became {{ ymd(milestone.original_due) }}"
`)
	moved := input("moved", 0.9)
	moved.Milestone.PromisedDue = time.Date(2026, 3, 6, 0, 0, 0, 0, time.UTC)
	nudged := input("nudged", 0.9)
	nudged.Milestone.PromisedDue = time.Date(2026, 3, 18, 0, 0, 0, 0, time.UTC)
	res := s.Evaluate(t0, []rules.Input{moved, nudged, input("kept", 0.9)}, rules.State{})
	if len(res.Findings) != 1 || res.Findings[0].MilestoneKey != "moved" || res.Findings[0].Annotations["summary"] != "2026-03-06 became 2026-03-20" {
		t.Fatalf("findings %+v, want one for the date moved by two weeks", res.Findings)
	}
}
