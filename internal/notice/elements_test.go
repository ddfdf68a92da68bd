package notice

import (
	"bytes"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/model/modeltest"
)

// draftPart returns the text meant for the client: from "Draft to send" to
// the background section.
func draftPart(t *testing.T, body, lang string) string {
	t.Helper()
	start, end := "### Draft to send", "### Background for the reviewer"
	if lang == langNL {
		start, end = "### Concept om te versturen", "### Achtergrond voor de reviewer"
	}
	i, j := strings.Index(body, start), strings.Index(body, end)
	if i < 0 || j < i {
		t.Fatalf("body has no draft section between %q and %q:\n%s", start, end, body)
	}
	return body[i:j]
}

func render(t *testing.T, r *Renderer, req Request, f model.Format) model.Ticket {
	t.Helper()
	tk, err := r.Render(req, f)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	return tk
}

func notice(t *testing.T, lang string, edit func(*Request)) string {
	t.Helper()
	req := fixture(lang, model.PurposeClientNotice)
	if edit != nil {
		edit(&req)
	}
	return draftPart(t, render(t, newRenderer(t), req, model.FormatMarkdown).Body, lang)
}

func mustContain(t *testing.T, text string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("missing %q in:\n%s", w, text)
		}
	}
}

func mustNotContain(t *testing.T, text string, bad ...string) {
	t.Helper()
	for _, b := range bad {
		if strings.Contains(text, b) {
			t.Errorf("unexpected %q in:\n%s", b, text)
		}
	}
}

// One test per element of docs/product.md, each filled from the data.
func TestNoticeElements(t *testing.T) {
	t.Run("1 early: says when the risk was detected", func(t *testing.T) {
		mustContain(t, notice(t, langEN, nil), "We saw the risk on Friday 13 November 2026", "before the date rather than after it")
		mustContain(t, notice(t, langNL, nil), "We zagen het risico op vrijdag 13 november 2026")
		late := notice(t, langEN, func(r *Request) { r.Now = day(12, 7) })
		mustContain(t, late, "is not finished yet", "I should have told you sooner")
	})
	t.Run("2 ownership: apologises once, blames no one", func(t *testing.T) {
		d := notice(t, langEN, nil)
		mustContain(t, d, "That is our responsibility, and I am sorry.")
		if n := strings.Count(strings.ToLower(d), "sorry") + strings.Count(strings.ToLower(d), "apolog"); n != 1 {
			t.Errorf("the notice apologises %d times, want once", n)
		}
		mustContain(t, notice(t, langNL, nil), "Dat is onze verantwoordelijkheid, en het spijt me.")
	})
	t.Run("3 cause: a reviewer prompt with the measured hints", func(t *testing.T) {
		d := notice(t, langEN, nil)
		mustContain(t, d, "**"+ReviewerMark+":** Write one or two sentences on the cause",
			"6 items were added after the start on Monday 5 October 2026 (25% of the scope)", "finished 0.45 items a working day where 0.79 were needed", "6.5 days blocked")
	})
	t.Run("4 the client's side: their own dates", func(t *testing.T) {
		mustContain(t, notice(t, langEN, nil), "I know this delivery matters for your own plans: your Christmas campaign on Monday 14 December 2026 falls before the new date.",
			"how we can limit the impact, for example with the partial delivery below")
		two := notice(t, langEN, func(r *Request) {
			r.Client.Dates = append(r.Client.Dates, model.ClientDate{Name: "board meeting", Date: day(12, 10)}, model.ClientDate{Name: "year-end party", Date: day(12, 21)},
				model.ClientDate{Name: "kick-off", Date: day(10, 1)})
		})
		mustContain(t, two, "your Christmas campaign on Monday 14 December 2026 and your board meeting on Thursday 10 December 2026 fall before the new date.",
			" The new date still leaves 5 days before your year-end party on Monday 21 December 2026, and we will guard that margin.")
		mustNotContain(t, two, "kick-off") // already passed
		safe := notice(t, langEN, func(r *Request) { r.Client.Dates[0].Date = day(12, 21) })
		mustContain(t, safe, "I know this delivery matters for your own plans. The new date still leaves 5 days before your Christmas campaign on Monday 21 December 2026")
		none := notice(t, langEN, func(r *Request) { r.Client.Dates = nil })
		mustContain(t, none, "affects your own planning", ReviewerMark+":** No dependent dates are configured")
		mustContain(t, notice(t, langNL, nil), "belangrijk is voor jullie eigen planning: jullie kerstcampagne op maandag 14 december 2026 valt vóór de nieuwe datum.")
	})
	t.Run("5 a new date that will hold: P85, never P50", func(t *testing.T) {
		d := notice(t, langEN, nil)
		mustContain(t, d, "Our new delivery date is **Wednesday 16 December 2026**", "85% confident")
		mustNotContain(t, d, "Wednesday 9 December 2026") // the P50
		p95 := notice(t, langEN, func(r *Request) { r.Client.Confidence = 0.95 })
		mustContain(t, p95, "**Tuesday 22 December 2026**", "95% confident")
		none := notice(t, langEN, func(r *Request) {
			r.Forecast.Status = model.ForecastInsufficient
			r.Forecast.Why = model.ForecastReason{Code: model.ReasonThinHistory, Done: 2, Days: 10, Need: 3}
			r.Forecast.Reason = r.Forecast.Why.String()
		})
		mustContain(t, none, "cannot give a dependable date yet (only 2 items were finished in the last 10 working days; a forecast needs at least 3)")
		mustContain(t, notice(t, langNL, nil), "Onze nieuwe opleverdatum is **woensdag 16 december 2026**")
	})
	t.Run("6 done and remaining, with the key items", func(t *testing.T) {
		d := notice(t, langEN, nil)
		mustContain(t, d, "13 of the 24 items in this delivery are done and 11 remain",
			"* Accessibility fixes on checkout ([acme/web#113](https://github.com/acme/web/issues/113))", "* Checkout with iDEAL and cards ([acme/web#114](https://github.com/acme/web/issues/114))", "* and 3 more", "* and 8 more")
		mustContain(t, notice(t, langNL, nil), "van de 24 onderdelen in deze oplevering zijn er 13 klaar en 11 nog te doen", "Afrekenen met iDEAL en creditcard")
	})
	t.Run("7 an alternative: the cut line by the original date", func(t *testing.T) {
		d := notice(t, langEN, nil)
		mustContain(t, d, "deliver part of the work by the original date, Friday 4 December 2026:\n\n* Checkout with iDEAL and cards",
			"* Order history for customers", "The rest would follow by Wednesday 16 December 2026")
		none := notice(t, langEN, func(r *Request) { r.Forecast.CutLine = nil })
		mustContain(t, none, "nothing that remains fits before Friday 4 December 2026")
	})
	t.Run("8 a concession from the client's configuration", func(t *testing.T) {
		mustContain(t, notice(t, langEN, nil), "we would like to offer you the following: two weeks of extra support after launch at no charge.")
		mustContain(t, notice(t, langEN, func(r *Request) { r.Client.Concession = "" }), "No concession is configured for this client")
		mustContain(t, notice(t, langNL, nil), "10% korting op de factuur van deze oplevering")
	})
	t.Run("9 a quick win", func(t *testing.T) {
		// Promised for the day the forecast has it done by (half the way
		// to P85), not the next check-in a week away: a quick win months
		// out must not be promised for next week.
		d := notice(t, langEN, nil)
		mustContain(t, d, "we will deliver Favicon and app icons ([acme/web#122](https://github.com/acme/web/issues/122)) ahead of the rest, by Tuesday 1 December 2026",
			"next progress update on Monday 23 November 2026")
		later := notice(t, langEN, func(r *Request) { r.Forecast.QuickWinsBy = day(12, 10) })
		mustContain(t, later, "ahead of the rest, by Thursday 10 December 2026")
		mustContain(t, notice(t, langEN, func(r *Request) { r.Forecast.QuickWins = nil }), "No quick win was found")
	})
	t.Run("10 how we communicate next: a call, then the next update", func(t *testing.T) {
		d := notice(t, langEN, nil)
		mustContain(t, d, "I will call you to talk this through", "next progress update on Monday 23 November 2026")
		r, err := New(Options{CheckInDays: 10})
		if err != nil {
			t.Fatal(err)
		}
		tk := render(t, r, fixture(langEN, model.PurposeClientNotice), model.FormatMarkdown)
		mustContain(t, tk.Body, "next progress update on Thursday 26 November 2026")
	})
	t.Run("from the account owner to the client contact", func(t *testing.T) {
		d := notice(t, langEN, nil)
		mustContain(t, d, "Dear Dana Whitfield,", "Kind regards,\n\nSam Porter")
		bare := notice(t, langEN, func(r *Request) { r.Client = model.Client{} })
		mustContain(t, bare, "Dear \\[contact name\\],", "\\[your name\\]")
	})
}

func TestTicketFields(t *testing.T) {
	r := newRenderer(t)
	req := fixture(langEN, model.PurposeClientNotice)
	for _, f := range formats {
		tk := render(t, r, req, f)
		fp := model.Fingerprint(req.Milestone.Key, model.PurposeClientNotice)
		if tk.Fingerprint != fp || tk.Purpose != model.PurposeClientNotice || tk.MilestoneKey != req.Milestone.Key ||
			tk.Rule != "p85-after-due" || tk.Severity != "warning" || tk.Format != f || tk.Assignee != "sam.porter" {
			t.Errorf("%s: ticket fields wrong: %+v", f, tk)
		}
		if !strings.HasSuffix(tk.Body, model.Marker(fp, f)+"\n") {
			t.Errorf("%s: body does not end with the marker", f)
		}
		if got, ok := modeltest.ParseMarker(tk.Body); !ok || got != fp {
			t.Errorf("%s: ParseMarker = %q, %v", f, got, ok)
		}
		want := append(model.TicketLabels(fp, model.PurposeClientNotice), "severity-warning")
		if strings.Join(tk.Labels, ",") != strings.Join(want, ",") {
			t.Errorf("%s: labels %v, want %v", f, tk.Labels, want)
		}
		// Both charts are made on demand (a plan writes none), the SVG
		// first, and are real images when they are.
		if len(tk.Attachments) != 2 || tk.Attachments[0].Name != ChartSVG || tk.Attachments[0].Data != nil {
			t.Fatalf("%s: want a lazily made SVG first, got %+v", f, tk.Attachments)
		}
		if svg, err := tk.Attachments[0].Bytes(); err != nil || !strings.HasPrefix(string(svg), "<svg") {
			t.Errorf("%s: no SVG burn-down attachment (%v)", f, err)
		}
		if tk.Attachments[1].Name != ChartPNG || tk.Attachments[1].Data != nil {
			t.Fatalf("%s: want a lazily made PNG second, got %+v", f, tk.Attachments)
		}
		data, err := tk.Attachments[1].Bytes()
		if err != nil {
			t.Fatalf("%s: making the PNG: %v", f, err)
		}
		if img, err := png.Decode(bytes.NewReader(data)); err != nil || img.Bounds().Dx() < 400 {
			t.Errorf("%s: the PNG does not decode (%v)", f, err)
		}
		if tk.Comment != "" {
			t.Errorf("%s: first write has a comment: %q", f, tk.Comment)
		}
	}
}

func TestCommentOnMaterialChange(t *testing.T) {
	r := newRenderer(t)
	req := fixture(langEN, model.PurposeClientNotice)
	same := req.Forecast.Record()
	req.History.LastWritten = &same
	if tk := render(t, r, req, model.FormatMarkdown); tk.Comment != "" {
		t.Errorf("unchanged forecast gave a comment: %q", tk.Comment)
	}
	before := req.Forecast.Record()
	before.P85, before.Scope, before.Remaining = day(12, 7), 10, 7
	req.History.LastWritten = &before
	tk := render(t, r, req, model.FormatJiraWiki)
	mustContain(t, tk.Comment, "*Forecast updated:* the P85 date moved 9 days later (from 7 Dec 2026 to 16 Dec 2026) because 14 items were added")
}

func TestSecondSlipEscalates(t *testing.T) {
	r := newRenderer(t)
	req := fixture(langEN, model.PurposeClientNotice)
	req.History.AgreedDates = []time.Time{day(12, 10)} // agreed after the first notice; P85 is 16 Dec
	tk := render(t, r, req, model.FormatMarkdown)
	if tk.Severity != "critical" {
		t.Errorf("severity %q, want critical (escalated from warning)", tk.Severity)
	}
	if !strings.HasPrefix(tk.Title, "SECOND SLIP: ") {
		t.Errorf("title does not say it: %q", tk.Title)
	}
	mustContain(t, tk.Body, "**This is a second slip.**", "agreed Thursday 10 December 2026 with Northwind Traders as the new date",
		"Severity has been raised to critical", "This is the second time we have had to move this date",
		// The part that fits is offered by the date now promised, the agreed one.
		"deliver part of the work by the date we agreed, Thursday 10 December 2026:")
	mustNotContain(t, tk.Body, "by the original date")
	if !contains(tk.Labels, "severity-critical") && !strings.Contains(strings.Join(tk.Labels, ","), "severity-critical") {
		t.Errorf("labels %v lack severity-critical", tk.Labels)
	}
	// The agreed date holding: no escalation.
	req.History.AgreedDates = []time.Time{day(12, 18)}
	tk = render(t, r, req, model.FormatMarkdown)
	if tk.Severity != "warning" || strings.Contains(tk.Title, "SECOND SLIP") {
		t.Errorf("agreed date still holds, yet escalated: %q %q", tk.Severity, tk.Title)
	}
	nl := fixture(langNL, model.PurposeClientNotice)
	nl.Milestone.AgreedDue = day(12, 10) // agreed date from the tracker
	tk = render(t, r, nl, model.FormatJiraWiki)
	mustContain(t, tk.Title, "TWEEDE UITLOOP")
	mustContain(t, tk.Body, "*Dit is de tweede uitloop.*", "een deel van het werk nog op de afgesproken datum, donderdag 10 december 2026, opleveren:")
}

func TestEscalate(t *testing.T) {
	for in, want := range map[string]string{"info": "warning", "warning": "critical", "low": "medium", "medium": "high", "high": "critical", "critical": "critical", "": "critical"} {
		if got := Escalate(in); got != want {
			t.Errorf("Escalate(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLocaleDates(t *testing.T) {
	tests := []struct {
		name, locale, tz string
		detected         time.Time
		want             []string
	}{
		{"British English", "en-GB", "Europe/London", time.Date(2026, 11, 13, 8, 0, 0, 0, time.UTC),
			[]string{"We saw the risk on Friday 13 November 2026", "**Wednesday 16 December 2026**"}},
		{"US English", "en-US", "America/New_York", time.Date(2026, 11, 13, 8, 0, 0, 0, time.UTC),
			[]string{"We saw the risk on Friday, November 13, 2026", "**Wednesday, December 16, 2026**"}},
		{"late evening UTC is the next day in Amsterdam", "nl", "Europe/Amsterdam", time.Date(2026, 11, 13, 23, 30, 0, 0, time.UTC),
			[]string{"We zagen het risico op zaterdag 14 november 2026", "**woensdag 16 december 2026**"}},
		{"calendar dates never shift west of Greenwich", "en-US", "America/Los_Angeles", time.Date(2026, 11, 13, 20, 0, 0, 0, time.UTC),
			[]string{"Friday, November 13, 2026", "by Friday, December 4, 2026"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := notice(t, language(tt.locale), func(r *Request) {
				r.Client.Locale, r.Client.TimeZone, r.History.FirstDetected = tt.locale, tt.tz, tt.detected
			})
			mustContain(t, d, tt.want...)
		})
	}
}

func TestProgressUpdateAndPostMortem(t *testing.T) {
	r := newRenderer(t)
	pu := render(t, r, fixture(langEN, model.PurposeProgressUpdate), model.FormatMarkdown)
	mustContain(t, pu.Body, "**Done since Monday 9 November 2026:** 3 items.", "* Gift cards", "**Remaining:** 11 of 24 items.",
		"we now expect to finish by Wednesday 16 December 2026 (85% confidence)", "**Risks:**", "1 item is waiting on something outside",
		"next update on Monday 23 November 2026", "Since the last update, the expected delivery date moved 6 days later")
	// The client reads no "P85"; the reviewer's comment keeps it.
	mustNotContain(t, draftPart(t, pu.Body, langEN), "P85")
	if !strings.Contains(pu.Comment, "the P85 date moved 6 days later") {
		t.Errorf("comment %q", pu.Comment)
	}
	pm := render(t, r, fixture(langEN, model.PurposePostMortem), model.FormatMarkdown)
	mustContain(t, pm.Body,
		"* **Monday 5 October 2026**: work started.",
		"* **Monday 2 November 2026** (T-30): forecast P50 1 Dec 2026, P85 7 Dec 2026",
		"(T-14)", "(T-7)",
		"* **Friday 13 November 2026**: forewarn first detected the risk.",
		"* **Friday 13 November 2026**: client notice drafted.",
		"* **Friday 4 December 2026**: original due date.",
		"**Scope:** 6 items were added after the start on Monday 5 October 2026 (25% of the scope)",
		"**Estimates:** 60 days were planned", "**Capacity:** the team finished 0.45 items per working day, more than the 0.4 a day the 18 items planned at the start needed; the date was missed anyway because 6 items were added after the start on Monday 5 October 2026.",
		"**Blocked time:** 6.5 days in total", "Stock sync with the warehouse ([acme/web#116](https://github.com/acme/web/issues/116)): 6.5 days blocked, still blocked",
		"- [ ] Communication:", "- [ ] Estimating:", "- [ ] Capacity:", "- [ ] Scope:", "- [ ] Dependencies:",
		"### Corrective actions to agree", "### Follow-up message for the client (draft)",
		"I want to apologise again", "from now on, any work added during a delivery will come with a revised date")
	if !strings.HasPrefix(pm.Title, "Post-mortem: acme/web Webshop relaunch") {
		t.Errorf("title %q", pm.Title)
	}
}

// Scope added after the start is a risk to tell the client only while it
// threatens the date: a milestone whose issues are filed over its life and
// whose forecast is on track grows by design (issue 13). The reviewer's
// background still shows the figure.
func TestScopeGrowthIsARiskOnlyWhenOffTrack(t *testing.T) {
	r := newRenderer(t)
	for _, lang := range []string{langEN, langNL} {
		late := render(t, r, fixture(lang, model.PurposeProgressUpdate), model.FormatMarkdown)
		onTrack := fixture(lang, model.PurposeProgressUpdate)
		onTrack.Forecast.P50, onTrack.Forecast.P85, onTrack.Forecast.P95 = day(11, 30), day(12, 3), day(12, 8)
		onTrack.Forecast.ProbOnTime, onTrack.Forecast.SimProbOnTime = 0.88, 0.9
		ok := render(t, r, onTrack, model.FormatMarkdown)
		risk := map[string]string{langEN: "6 items were added after the start on Monday 5 October 2026", langNL: "Er zijn 6 onderdelen bijgekomen na de start op maandag 5 oktober 2026"}[lang]
		if !strings.Contains(late.Body, risk) {
			t.Errorf("%s: a late milestone's update does not name the scope added as a risk:\n%s", lang, late.Body)
		}
		if strings.Contains(ok.Body, risk) {
			t.Errorf("%s: an on-track milestone's update names the scope added as a risk:\n%s", lang, ok.Body)
		}
		if !strings.Contains(ok.Body, map[string]string{langEN: "on track for", langNL: "op schema"}[lang]) {
			t.Errorf("%s: the on-track case is not on track:\n%s", lang, ok.Body)
		}
	}
}

// An item blocked since today has no blocked days yet: the reviewer's data
// says it is blocked now, not "0 days blocked".
func TestBlockedNowWithoutBlockedDays(t *testing.T) {
	r := newRenderer(t)
	for lang, want := range map[string]string{langEN: "; 1 item is blocked now.", langNL: "; 1 onderdeel staat nu geblokkeerd."} {
		req := fixture(lang, model.PurposeClientNotice)
		req.Forecast.Signals.BlockedDays = 0
		for i := range req.Milestone.Items {
			req.Milestone.Items[i].BlockedDays = 0
		}
		n := render(t, r, req, model.FormatMarkdown)
		mustContain(t, n.Body, want)
		mustNotContain(t, n.Body, "items spent 0 days blocked", "in totaal 0 dagen geblokkeerd.")
		full := render(t, r, fixture(lang, model.PurposeClientNotice), model.FormatMarkdown)
		mustContain(t, full.Body, map[string]string{langEN: "; items spent 6.5 days blocked.", langNL: "; onderdelen stonden in totaal 6,5 dagen geblokkeerd."}[lang])
	}
}
