package notice

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/forewarn/forewarn/internal/chart"
	"github.com/forewarn/forewarn/internal/model"
)

// Limits on what a draft lists, so bodies stay readable and within limits.
const (
	maxListed     = 8   // items listed per section
	maxDoneListed = 5   // finished items listed in a client notice
	maxTextLen    = 160 // characters kept of one tracker title
	maxKeyLen     = 40  // characters kept of one tracker key
)

// Item is a work item as a template sees it: escaped for the target.
type Item struct {
	Key string
	// Ref names the item in the target's markup: a GitHub reference as a
	// link to the issue, a Jira key as the key (trusted markup).
	Ref    string
	Title  string
	Status string // todo, in_progress, done
	Points string
	Closed string // date closed, when done
	// Blocked and BlockedDays describe time spent blocked.
	Blocked     bool
	BlockedDays string // "" when not known
}

// ClientDate is one of the client's own dates that depends on the delivery.
type ClientDate struct {
	Name    string
	Date    string
	AtRisk  bool // the new date falls after it
	Passed  bool // it lies before today
	DaysGap int  // days between the new date and it (positive: new date later)
}

// Snapshot is a remembered forecast shown in a post-mortem timeline.
type Snapshot struct {
	Label      string // "T-30"
	AsOf       string
	P50, P85   string
	ProbOnTime string
	Remaining  int
	Scope      int
}

// Event is one entry of a post-mortem timeline. Kind is one of start
// (created, for a milestone with no start date of its own), committed (the
// inferred commitment point, when it differs from that day),
// forecast, detected, drafted, promised (the due date when work started,
// when the tracker's was moved later since), due, agreed, closed, today.
type Event struct {
	Date string
	Kind string
	Snap *Snapshot // for kind forecast
	at   time.Time
	ord  int
}

// View is the data templates are executed with. Every string holding
// tracker or configuration text is already escaped for the target format;
// dates are formatted for the client's locale.
type View struct {
	Lang     string
	Jira     bool // the target is Jira wiki markup
	Purpose  string
	Rule     string
	Severity string // escaped; raised one step on a second slip
	sev      string

	Milestone string // its title, as the client knows it
	// MilestoneFull names it unambiguously, for ticket titles and
	// headings: its container (repository, Jira project or board), then
	// its title ("acme/web v1.6").
	MilestoneFull string
	MilestoneKey  string
	// MilestoneLink is the milestone as a link to it in its tracker
	// (trusted markup; the name alone when there is no usable address).
	MilestoneLink string
	// NoticeLink is the client-notice ticket of the milestone as a link,
	// "" when none exists (trusted markup).
	NoticeLink string
	Client     string
	Contact    string
	Owner      string
	Concession string

	Today        string
	Detected     string
	DetectedDays int // days between detection and today
	Drafted      string
	Due          string // the original due date
	AgreedDue    string // the latest agreed date, when re-baselined
	AgreedDates  []string
	PromisedDue  string // the date currently promised: agreed, else original
	DueDays      int    // days from today to the promised date (negative: passed)
	SecondSlip   bool   // an agreed date will be (or was) missed again
	Overdue      bool   // the promised date has passed with work open
	Closed       string // when the milestone closed, if it did
	ClosedLate   bool   // it closed after the end of the promised day

	// MovedFrom is the due date the milestone had when work started, when
	// the tracker's was moved later since and no agreed date is on record
	// (Milestone.PromisedDue): the client may still expect it. DueMoved
	// says the tracker's date was moved later (a post-mortem's timeline
	// shows both), agreed or not.
	MovedFrom string
	DueMoved  bool

	// Items in the milestone when it closed and not done by then (a
	// sprint's work Jira carried over, a version released with issues
	// open); ScopeAtClose is how many items it held then.
	CarriedOver      []Item
	CarriedOverCount int
	MoreCarriedOver  int
	ScopeAtClose     int
	Start            string
	// Sprint: the milestone is a sprint, the team's plan for two weeks or
	// so, which many clients never see: its client notice and its
	// post-mortem's letter ask the reviewer whether the client was
	// promised its work. Its agreed dates come only from the configuration.
	Sprint bool

	HasForecast  bool   // the forecast is usable
	ForecastNote string // why it is not, when it is not
	// Diverging: the forecast gives no date because the work does not
	// finish within its horizon. No date is proposed.
	Diverging bool
	// Items added after the commitment point and items done over the last
	// WindowWorkdays working days (the forecast's throughput window): the
	// numbers behind a diverging forecast, and behind Outpaced.
	AddedInWindow, DoneInWindow, WindowWorkdays int
	// InWindow says those figures in the client's language, with number
	// agreement: "in the last 22 working days 12 items were added and 5
	// finished". Growth compares them: "faster" (more added than
	// finished), "same" (added at least 80 % of finished) or "slower";
	// a diverging forecast with slower growth is one whose pace is too low
	// for the work left.
	InWindow, Growth string
	// Outpaced: the date slips and items were added faster than they were
	// done over the window; the needed pace alone (which counts only the
	// items there now) would understate why.
	Outpaced bool
	// Record is one line on the team's own record ("Based on the team's
	// last 8 sprints: 5 delivered on time"), or that there is none and the
	// forecast rests on the milestone alone; in the client's language.
	Record string
	// HasRecord: the team's record is known, so the calibrated chance
	// weighed it (the drafts say "and the team's record" only then).
	HasRecord    bool
	Conf         string // "P85"
	ConfPct      string // "85%"
	NewDate      string // forecast date at Conf
	NewDateShort string
	DaysLate     int // new date minus the promised date, in days
	P50, P85     string
	P95          string
	ProbOnTime   string
	// SimProbOnTime is the simulation's own chance, shown beside the
	// calibrated one when they differ by 5 points or more, so a reviewer
	// who sees a P85 date before the promised date and a chance under 85 %
	// knows why the two disagree.
	SimProbOnTime string
	// ChanceUnderConf: the date at Conf lies on or before the promised
	// date (on track), yet the calibrated chance of making the promised
	// date is under Conf. A draft then does not tell the client it is
	// "85 % confident" of an earlier date: it gives the calibrated chance.
	ChanceUnderConf bool

	Scope, Done, Remaining int
	RemainingPoints        string
	KeyRemaining           []Item
	MoreRemaining          int
	KeyDone                []Item
	MoreDone               int
	CutLine                []Item
	MoreCutLine            int
	QuickWin               *Item
	QuickWinBy             string       // the day the forecast has the quick win done by (95 %)
	ClientDates            []ClientDate // all, in configuration order
	AtRiskDates            []ClientDate // still ahead, and before the new date
	SafeDates              []ClientDate // still ahead, and after the new date

	CheckIn string

	// Progress update.
	Since          string
	DoneSince      []Item
	DoneSinceCount int
	MoreDoneSince  int
	Change         string // what changed since the last update, when material

	// Measures.
	PaceNeeded, PaceObserved string
	PaceShort                bool // observed below needed
	Added                    int
	Removed                  int
	AddedShare               string
	// AddedSince says after what the Added items joined, in the client's
	// language: "after the start on Monday 2 February 2026", or for a
	// milestone without a start date (its commitment point inferred) "after
	// work started on …"; "after the start" when the point is unknown.
	AddedSince string
	// CommitInferred: the milestone has no start date of its own; the
	// commitment point is the day work started in earnest.
	CommitInferred bool
	ScopeIssue     bool
	// ScopeRisk is scope growth worth naming to the client as a risk: not
	// when the forecast is on track despite it (a milestone whose issues
	// are filed over its life grows by design; growth the team keeps up
	// with is no risk).
	ScopeRisk        bool
	BlockedNow       int
	BlockedDays      string
	BlockedTime      bool // any time blocked was recorded (BlockedDays is not "0")
	BlockedItems     []Item
	BlockIssue       bool
	Stale            int
	UnestimatedShare string // "" when every item had an estimate
	PlannedWorkdays  int    // working days from start to the original due date
	PlannedScope     int    // items in the milestone at its start
	PlanPace         string // items per working day the plan needed for PlannedScope
	// PaceMet: the team finished at least the plan's pace, yet the date
	// was missed; the draft then says why (scope added, a late start) or
	// leaves the comparison out.
	PaceMet                 bool
	LateStartDays           int    // working days from the start to the first item finished, when late
	FirstDone               string // when the first item was finished
	EstimateIssue           bool
	PlannedDays, ActualDays int
	// FarLate: the new date lies further past the promised date than the
	// whole delivery was planned to take (start to due); the notice then
	// asks the reviewer to weigh a smaller scope before proposing it.
	FarLate          bool
	ActualIsForecast bool
	EstimateRatio    string
	// LateStarted lists (the first few of) the LateStartedCount items
	// started in the last LateWindowDays days before the due date, or not
	// at all; the window is a week, or a quarter of a shorter planned
	// length (in a two-week sprint, starting in its second week is normal).
	LateStarted      []Item
	LateStartedCount int
	MoreLateStarted  int
	LateWindowDays   int
	// DetectedLate: forewarn first warned after the promised date had
	// passed (it first saw the milestone overdue): the timeline does not
	// call that detecting the risk.
	DetectedLate bool
	Snapshots    []Snapshot
	Trials       int

	// Timeline is the post-mortem's chronology, oldest first.
	Timeline []Event

	// Chart is the burn-down as the target shows it (Mermaid for Markdown,
	// an attachment embed for Jira). Trusted markup.
	Chart string

	l      locale
	conf   float64
	agreed []time.Time
	// promised is the due date every chart of the draft is drawn to (the
	// Mermaid in the body and the SVG/PNG attachments alike).
	promised time.Time
	// src is what the escaped text is made of (see escape).
	src source
}

// source is the untrusted text of a view and the work items its lists
// show, before escaping: a draft's body and its title are escaped apart
// (the title as plain text) from the same facts.
type source struct {
	f                                       model.Format
	rule, title, full, key                  string // the finding's rule; the milestone's title, full name, key
	client, contact, owner, concession, url string // the client's; the milestone's address
	noticeID, noticeURL                     string
	reason, record, sev                     string // why no forecast (when none), the team's record, the severity
	dates                                   []model.ClientDate
	today, newDate                          time.Time
	// The items each list shows (at most maxListed).
	remaining, done, cut, carried, doneSince, blocked, late []*model.WorkItem
	quick                                                   *model.WorkItem
}

type escaper func(string, model.Format) string

// confidence is the quantile a draft's new date is taken from.
func (r *Renderer) confidence(c model.Client) float64 {
	if c.Confidence > 0 && c.Confidence < 1 {
		return c.Confidence
	}
	return r.opts.Confidence
}

// quantileLabel names the quantile Forecast.Quantile will return for q.
func quantileLabel(q float64) (string, float64) {
	switch {
	case q <= 0.675:
		return "P50", 0.50
	case q <= 0.9:
		return "P85", 0.85
	}
	return "P95", 0.95
}

// view is the data a template is executed with, its text escaped by esc.
func (r *Renderer) view(req Request, f model.Format, esc escaper) View {
	v := r.facts(req, f)
	v.escape(esc, true)
	return v
}

// titleView is the view a draft's title is executed with: its body's view
// v with the text escaped as plain text, the item lists too when the title
// reads them (lists; see readsLists), else none. v is not changed.
func (v View) titleView(lists bool) View {
	v.escape(plain, lists)
	return v
}

// escape sets every field of v that holds tracker or configuration text,
// escaped by esc, from v.src; the item lists only when lists is true, else
// it leaves them empty. It assigns new slices and never writes into the
// ones v holds, which a copy of v may share.
func (v *View) escape(esc escaper, lists bool) {
	s, l, f := &v.src, v.l, v.src.f
	e := func(s string, n int) string { return esc(clip(Sanitize(s), n), f) }
	v.Rule = e(s.rule, 80)
	v.Milestone, v.MilestoneFull, v.MilestoneKey = e(s.title, 200), e(s.full, 200), e(s.key, 120)
	v.Client, v.Contact, v.Owner = e(s.client, 120), e(s.contact, 120), e(s.owner, 120)
	v.Concession = e(s.concession, 600)
	// Placeholders where the configuration says nothing.
	ph := func(field *string, en, nl string) {
		if *field == "" {
			if l.lang == langNL {
				*field = esc(nl, f)
			} else {
				*field = esc(en, f)
			}
		}
	}
	ph(&v.Contact, "[contact name]", "[naam contactpersoon]")
	ph(&v.Owner, "[your name]", "[je naam]")
	ph(&v.Client, "[client]", "[klant]")
	v.MilestoneLink = link(v.MilestoneFull, s.url, f)
	v.NoticeLink = ""
	if s.noticeID != "" {
		v.NoticeLink = refLink(s.noticeID, s.noticeURL, f, esc)
	}
	v.ForecastNote = ""
	if !v.HasForecast {
		v.ForecastNote = e(s.reason, 300)
	}
	v.Record = esc(s.record, f)
	v.Severity = e(s.sev, 40)

	item := func(it *model.WorkItem) Item {
		x := Item{Key: e(it.Key, maxKeyLen), Ref: itemRef(it, f, esc), Title: e(it.Title, maxTextLen), Status: string(it.Status), Blocked: it.Blocked}
		if it.BlockedDays > 0 {
			x.BlockedDays = l.num(it.BlockedDays)
		}
		if it.Points > 0 {
			x.Points = l.num(it.Points)
		}
		if !it.Closed.IsZero() {
			x.Closed = l.short(model.DayIn(it.Closed.Time(), l.loc))
		}
		return x
	}
	items := func(ws []*model.WorkItem) []Item {
		if ws == nil || !lists {
			return nil
		}
		out := make([]Item, len(ws))
		for i, w := range ws {
			out[i] = item(w)
		}
		return out
	}
	v.KeyRemaining, v.KeyDone, v.CutLine = items(s.remaining), items(s.done), items(s.cut)
	v.CarriedOver, v.DoneSince = items(s.carried), items(s.doneSince)
	v.BlockedItems, v.LateStarted = items(s.blocked), items(s.late)
	v.QuickWin = nil
	if s.quick != nil && lists {
		x := item(s.quick)
		v.QuickWin = &x
	}

	// The client's own dates.
	v.ClientDates, v.AtRiskDates, v.SafeDates = nil, nil, nil
	for _, d := range s.dates {
		cd := ClientDate{Name: e(d.Name, 120), Date: l.long(model.Day(d.Date)), Passed: model.Day(d.Date).Before(s.today)}
		if v.HasForecast {
			cd.DaysGap = daysBetween(model.Day(d.Date), s.newDate)
			cd.AtRisk = cd.DaysGap > 0
		}
		v.ClientDates = append(v.ClientDates, cd)
		switch {
		case cd.Passed:
		case cd.AtRisk:
			v.AtRiskDates = append(v.AtRiskDates, cd)
		case v.HasForecast:
			v.SafeDates = append(v.SafeDates, cd)
		}
	}
}

// facts fills everything of a view but its escaped text, and keeps what
// that text is made of in v.src.
func (r *Renderer) facts(req Request, f model.Format) View {
	m, fc, c, h := req.Milestone, req.Forecast, req.Client, req.History
	l := newLocale(c.Locale, location(c))
	now := req.Now
	if now.IsZero() {
		now = fc.AsOf
	}
	today := model.DayIn(now, l.loc)
	q := r.confidence(c)
	confLabel, qSnap := quantileLabel(q)

	v := View{
		Lang: l.lang, Jira: f == model.FormatJiraWiki, Purpose: string(req.Purpose),
		Today: l.long(today),
		Conf:  confLabel, ConfPct: l.pct(qSnap),
		l: l, conf: q,
		src: source{f: f, rule: req.Finding.Rule, title: m.Title, full: m.DisplayName(), key: m.Key,
			client: firstNonEmpty(c.Name, c.ID, m.Client), contact: c.Contact, owner: c.Owner, concession: c.Concession,
			url: m.URL, noticeID: h.NoticeID, noticeURL: h.NoticeURL, dates: c.Dates, today: today},
	}

	// Detection.
	detected := firstTime(h.FirstDetected, req.Finding.FiredAt, req.Finding.ActiveSince, now)
	v.Detected = l.long(model.DayIn(detected, l.loc))
	v.DetectedDays = max(0, daysBetween(model.DayIn(detected, l.loc), today))
	if !h.NoticeDrafted.IsZero() {
		v.Drafted = l.long(model.DayIn(h.NoticeDrafted, l.loc))
	}
	if !m.Start.IsZero() {
		v.Start = l.long(model.Day(m.Start))
	}
	if !m.ClosedAt.IsZero() {
		v.Closed = l.long(model.DayIn(m.ClosedAt, l.loc))
	}
	v.Sprint = m.Kind == model.KindSprint

	// Dates promised: the original, every agreed one, the current one.
	v.Due = l.long(model.Day(m.Due))
	agreed := append([]time.Time(nil), h.AgreedDates...)
	if !m.AgreedDue.IsZero() && !containsDay(agreed, m.AgreedDue) {
		agreed = append(agreed, m.AgreedDue)
	}
	sort.Slice(agreed, func(i, j int) bool { return agreed[i].Before(agreed[j]) })
	for _, a := range agreed {
		v.AgreedDates = append(v.AgreedDates, l.long(model.Day(a)))
	}
	v.agreed = agreed
	promised := model.Day(m.Due)
	if len(agreed) > 0 {
		promised = model.Day(agreed[len(agreed)-1])
		v.AgreedDue = l.long(promised)
	}
	v.PromisedDue = l.long(promised)
	v.promised = promised
	v.MovedFrom, v.DueMoved = "", !m.PromisedDue.IsZero()
	if p := m.PromisedDue; !p.IsZero() && len(agreed) == 0 && m.State != model.StateClosed {
		v.MovedFrom = l.long(model.Day(p))
	}
	v.DueDays = daysBetween(today, promised)
	open := m.State != model.StateClosed && fc.Status != model.ForecastDone
	v.Overdue = open && today.After(promised)

	// Forecast.
	v.Scope, v.Done, v.Remaining = fc.ScopeItems, fc.DoneItems, fc.RemainingItems
	v.RemainingPoints = l.num(fc.RemainingPoints)
	v.ProbOnTime = l.pct(fc.ProbOnTime)
	if simRan := fc.Status == model.ForecastOK || fc.Status == model.ForecastDiverging; simRan && math.Abs(fc.SimProbOnTime-fc.ProbOnTime) >= 0.05 {
		v.SimProbOnTime = l.pct(fc.SimProbOnTime)
	}
	newDate := model.Day(fc.Quantile(q))
	v.src.newDate = newDate
	if fc.Status == model.ForecastOK && !fc.Quantile(q).IsZero() {
		v.HasForecast = true
		v.NewDate = l.long(newDate)
		v.NewDateShort = l.short(newDate)
		v.DaysLate = daysBetween(promised, newDate)
		v.P50, v.P85, v.P95 = l.long(model.Day(fc.P50)), l.long(model.Day(fc.P85)), l.long(model.Day(fc.P95))
	} else {
		v.src.reason = l.reason(fc.Status, fc.Why)
	}
	v.Diverging = fc.Status == model.ForecastDiverging
	v.AddedInWindow, v.DoneInWindow, v.WindowWorkdays = fc.AddedInWindow, fc.DoneInWindow, len(fc.Explanation.Samples)
	if x := fc.Explanation; v.WindowWorkdays == 0 && !x.WindowStart.IsZero() && !x.WindowEnd.Before(x.WindowStart) {
		// A forecast that kept its window but not the day-by-day samples.
		v.WindowWorkdays = workdays(model.Day(x.WindowStart), model.Day(x.WindowEnd))
	}
	v.InWindow, v.Growth = l.inWindow(fc.AddedInWindow, fc.DoneInWindow, v.WindowWorkdays), growth(fc.AddedInWindow, fc.DoneInWindow)
	v.Outpaced = v.HasForecast && v.DaysLate > 0 && fc.AddedInWindow > fc.DoneInWindow && v.WindowWorkdays > 0
	v.src.record = l.record(m.Kind, m.Record)
	v.HasRecord = m.Record != nil && m.Record.Milestones > 0
	v.ChanceUnderConf = v.HasForecast && v.DaysLate <= 0 && math.Round(fc.ProbOnTime*100) < math.Round(qSnap*100)
	v.SecondSlip = len(agreed) > 0 && open && (v.Overdue || (v.HasForecast && newDate.After(promised)))
	v.sev = req.Finding.Severity
	if v.SecondSlip {
		v.sev = Escalate(req.Finding.Severity)
	}
	v.src.sev = v.sev

	// Items: pointers into m.Items (a work item is about 200 bytes, a
	// milestone holds hundreds), done and remaining in one array sized once.
	removed := func(it *model.WorkItem) bool { return !it.RemovedAt.IsZero() && !it.RemovedAt.After(now) }
	isDone := func(it *model.WorkItem) bool { return it.Status == model.StatusDone || it.DoneAt(now) }
	kept, nDone := 0, 0
	for i := range m.Items {
		if it := &m.Items[i]; !removed(it) {
			kept++
			if isDone(it) {
				nDone++
			}
		}
	}
	both := make([]*model.WorkItem, kept)
	done, remaining := both[:0:nDone], both[nDone:nDone:kept]
	for i := range m.Items {
		it := &m.Items[i]
		if removed(it) {
			continue
		}
		if isDone(it) {
			done = append(done, it)
		} else {
			remaining = append(remaining, it)
		}
	}
	if v.Scope == 0 && v.Done == 0 && v.Remaining == 0 {
		v.Scope, v.Done, v.Remaining = len(done)+len(remaining), len(done), len(remaining)
	}
	sortRemaining(remaining)
	v.src.remaining, v.MoreRemaining = list(remaining)
	slices.SortStableFunc(done, func(a, b *model.WorkItem) int { return b.Closed.Compare(a.Closed) })
	v.src.done, v.MoreDone = list(done)
	if len(v.src.done) > maxDoneListed { // a letter needs only the latest few
		v.MoreDone += len(v.src.done) - maxDoneListed
		v.src.done = v.src.done[:maxDoneListed]
	}
	// byKey indexes the items not removed, for the cut line and the quick
	// wins (the last of a key wins).
	var byKey map[string]int
	if len(fc.CutLine) > 0 || len(fc.QuickWins) > 0 {
		byKey = make(map[string]int, len(m.Items))
		for i := range m.Items {
			if it := &m.Items[i]; !removed(it) {
				byKey[it.Key] = i
			}
		}
	}
	var cut []*model.WorkItem
	for _, k := range fc.CutLine {
		if i, ok := byKey[k]; ok {
			cut = append(cut, &m.Items[i])
		}
	}
	v.src.cut, v.MoreCutLine = list(cut)
	if m.State == model.StateClosed && !m.ClosedAt.IsZero() {
		v.ClosedLate = !m.ClosedAt.Before(promised.Add(24 * time.Hour))
		var carried []*model.WorkItem
		for i := range m.Items {
			if it := &m.Items[i]; it.InMilestoneAt(m.ClosedAt) {
				v.ScopeAtClose++
				if !it.DoneAt(m.ClosedAt) {
					carried = append(carried, it)
				}
			}
		}
		sortRemaining(carried)
		v.CarriedOverCount = len(carried)
		v.src.carried, v.MoreCarriedOver = list(carried)
	}
	// A quick win is promised for the day the forecast has it done by,
	// never earlier: half the way to the new date can be months away.
	v.QuickWinBy = ""
	for _, k := range fc.QuickWins {
		if fc.QuickWinsBy.IsZero() {
			break
		}
		if i, ok := byKey[k]; ok && m.Items[i].Status != model.StatusDone {
			v.src.quick = &m.Items[i]
			v.QuickWinBy = l.long(model.Day(fc.QuickWinsBy))
			break
		}
	}

	v.CheckIn = l.long(nextWorkday(today.AddDate(0, 0, r.opts.CheckInDays)))

	// Progress since the last update.
	// Since the last update: the day it was written, unless that is today
	// (the same update drawn again, say by a second run the same day,
	// must come out the same, not as "nothing since this morning").
	// Items closed before the last update was written, on its day, were
	// in it already: they count from its moment, not its day (they were
	// listed to the client twice, and the count disagreed with the
	// change since the last update).
	since := today.AddDate(0, 0, -r.opts.CheckInDays)
	var after time.Time // the last update's moment, when counting from it
	if h.LastWritten != nil && !h.LastWritten.AsOf.IsZero() && model.DayIn(h.LastWritten.AsOf, l.loc).Before(today) {
		since, after = model.DayIn(h.LastWritten.AsOf, l.loc), h.LastWritten.AsOf
	}
	v.Since = l.long(since)
	var doneSince []*model.WorkItem
	for _, it := range done {
		switch closed := it.Closed.Time(); {
		case it.Closed.IsZero():
		case !after.IsZero() && closed.After(after), after.IsZero() && !model.DayIn(closed, l.loc).Before(since):
			doneSince = append(doneSince, it)
		}
	}
	v.DoneSinceCount = len(doneSince)
	v.src.doneSince, v.MoreDoneSince = list(doneSince)
	if h.LastWritten != nil {
		if material, s := change(*h.LastWritten, fc, q, l, true); material {
			v.Change = s
		}
	}

	r.measures(&v, req, l, today, promised, remaining, done)
	if f == model.FormatJiraWiki {
		v.Chart = "!" + ChartPNG + "|width=760!"
	} else {
		v.Chart = chart.Mermaid(fc.Burndown, promised, fc, chart.Locale(l.lang))
	}
	return v
}

// measures fills the post-mortem's measured causes and the risks.
func (r *Renderer) measures(v *View, req Request, l locale, today, promised time.Time, remaining, done []*model.WorkItem) {
	m, fc, h := req.Milestone, req.Forecast, req.History
	observed := fc.PaceObserved
	if m.State == model.StateClosed && !m.ClosedAt.IsZero() && !m.Start.IsZero() {
		// A closed milestone's pace is the one it had while it ran, not
		// the team's since (which moves every day after the close).
		if n := workdays(model.Day(m.Start), model.DayIn(m.ClosedAt, l.loc)); n > 0 {
			observed = math.Round(float64(v.ScopeAtClose-v.CarriedOverCount)/float64(n)*100) / 100
		}
	}
	v.PaceNeeded, v.PaceObserved = l.num(fc.PaceNeeded), l.num(observed)
	v.PaceShort = fc.PaceNeeded > 0 && observed < fc.PaceNeeded
	v.Added, v.Removed = fc.AddedAfterStart, fc.RemovedAfterStart
	share := fc.Signals.ScopeCreep
	if share == 0 && fc.ScopeItems > 0 {
		share = float64(fc.AddedAfterStart) / float64(fc.ScopeItems)
	}
	v.AddedShare = l.pct(share)
	v.CommitInferred = m.Start.IsZero() || m.StartBasis == model.StartCreated
	v.AddedSince = l.addedSince(fc.Explanation.Commitment, v.CommitInferred)
	v.ScopeIssue = fc.AddedAfterStart > 0 && share >= 0.1
	v.ScopeRisk = v.ScopeIssue && !(v.HasForecast && v.DaysLate <= 0)
	v.BlockedNow = fc.Signals.BlockedItems
	v.BlockedDays = l.num(fc.Signals.BlockedDays)
	v.BlockedTime = v.BlockedDays != "0"
	var blocked []*model.WorkItem
	for _, part := range [2][]*model.WorkItem{remaining, done} {
		for _, it := range part {
			if it.Blocked || it.BlockedDays > 0 {
				blocked = append(blocked, it)
			}
		}
	}
	slices.SortStableFunc(blocked, func(a, b *model.WorkItem) int { // most days blocked first
		switch {
		case a.BlockedDays > b.BlockedDays:
			return -1
		case b.BlockedDays > a.BlockedDays:
			return 1
		}
		return 0
	})
	v.src.blocked, _ = list(blocked)
	v.BlockIssue = fc.Signals.BlockedDays >= 3 || fc.Signals.BlockedItems > 0
	v.Stale = fc.Signals.StaleInProgress
	if fc.Signals.UnestimatedShare > 0 {
		v.UnestimatedShare = l.pct(fc.Signals.UnestimatedShare)
	}

	// Estimate error: the duration planned (start to the original due date)
	// against the duration taken, or forecast at the confidence used.
	if !m.Start.IsZero() {
		start := model.Day(m.Start)
		v.PlannedDays = daysBetween(start, model.Day(m.Due))
		v.FarLate = v.HasForecast && v.PlannedDays > 0 && v.DaysLate > v.PlannedDays
		v.PlannedWorkdays = workdays(start, model.Day(m.Due))
		v.PlannedScope = fc.ScopeItems - fc.AddedAfterStart + fc.RemovedAfterStart
		if v.PlannedWorkdays > 0 && v.PlannedScope > 0 {
			plan := float64(v.PlannedScope) / float64(v.PlannedWorkdays)
			v.PlanPace = l.num(plan)
			// The pace achieved beat the plan's and the date was still
			// missed: only scope added or a late start can explain it.
			v.PaceMet = observed > 0 && observed >= plan*0.995
		}
		if v.PaceMet && v.Added > 0 {
			// The post-mortem then says the date was missed because of
			// the items added: its actions and follow-up address scope,
			// however small the share.
			v.ScopeIssue = true
		}
		first := time.Time{}
		for _, it := range done {
			if !it.Closed.IsZero() && (first.IsZero() || it.Closed.Before(first)) {
				first = it.Closed.Time()
			}
		}
		if !first.IsZero() {
			v.FirstDone = l.long(model.DayIn(first, l.loc))
			if n := workdays(start, model.Day(first)) - 1; v.PlannedWorkdays > 0 && n*5 >= v.PlannedWorkdays {
				v.LateStartDays = n // a fifth of the planned time or more went by before anything was done
			}
		}
		switch {
		case !m.ClosedAt.IsZero():
			v.ActualDays = daysBetween(start, model.DayIn(m.ClosedAt, l.loc))
		case v.HasForecast:
			v.ActualDays = daysBetween(start, model.Day(fc.Quantile(v.conf)))
			v.ActualIsForecast = true
		}
		if v.PlannedDays > 0 && v.ActualDays > 0 {
			ratio := float64(v.ActualDays) / float64(v.PlannedDays)
			v.EstimateRatio = l.num(math.Round(ratio*10) / 10)
			v.EstimateIssue = ratio >= 1.2
		}
	}
	if fc.Signals.UnestimatedShare >= 0.3 {
		v.EstimateIssue = true
	}

	// Late starts: open items never started, or started in the final week
	// before the original due date.
	v.LateWindowDays = 7
	if v.PlannedDays > 0 && v.PlannedDays < 28 {
		v.LateWindowDays = max(1, v.PlannedDays/4)
	}
	lateFrom := model.Day(m.Due).AddDate(0, 0, -v.LateWindowDays)
	var late []*model.WorkItem
	for _, part := range [2][]*model.WorkItem{remaining, done} {
		for _, it := range part {
			if (it.Started.IsZero() && it.Status == model.StatusTodo) || (!it.Started.IsZero() && !model.Day(it.Started.Time()).Before(lateFrom)) {
				late = append(late, it)
			}
		}
	}
	sortRemaining(late)
	v.LateStartedCount = len(late)
	v.src.late, v.MoreLateStarted = list(late)

	// Forecasts recorded 30, 14 and 7 days before the original due date.
	due := model.Day(m.Due)
	for _, n := range []int{30, 14, 7} {
		at := due.AddDate(0, 0, -n)
		var best *model.ForecastRecord
		for i := range h.Forecasts {
			rec := h.Forecasts[i]
			d := model.Day(rec.AsOf)
			if !d.After(at) && d.After(at.AddDate(0, 0, -7)) {
				best = &h.Forecasts[i]
			}
		}
		if best == nil {
			continue
		}
		s := Snapshot{Label: fmt.Sprintf("T-%d", n), AsOf: l.long(model.DayIn(best.AsOf, l.loc)), ProbOnTime: l.pct(best.ProbOnTime),
			Remaining: best.Remaining, Scope: best.Scope}
		if best.Status == model.ForecastOK {
			s.P50, s.P85 = l.short(model.Day(best.P50)), l.short(model.Day(best.P85))
		}
		v.Snapshots = append(v.Snapshots, s)
		v.Timeline = append(v.Timeline, Event{Date: s.AsOf, Kind: "forecast", Snap: &v.Snapshots[len(v.Snapshots)-1], at: model.DayIn(best.AsOf, l.loc), ord: 1})
	}
	// Snapshots may have moved when appended to; point at the final slice.
	for i := range v.Timeline {
		v.Timeline[i].Snap = &v.Snapshots[i]
	}
	ev := func(t time.Time, kind string, ord int) {
		if !t.IsZero() {
			v.Timeline = append(v.Timeline, Event{Date: l.long(t), Kind: kind, at: t, ord: ord})
		}
	}
	if !m.Start.IsZero() {
		ev(model.Day(m.Start), "start", 0)
	}
	if c := model.Day(fc.Explanation.Commitment); v.CommitInferred && !c.IsZero() && !c.Equal(model.Day(m.Start)) {
		ev(c, "committed", 0)
	}
	// forewarn's first warning, unless it came after the milestone had
	// closed: then forewarn first saw it finished (a first run, a new
	// source), and "first detected the risk" after the delivery misleads.
	if d := model.DayIn(firstTime(h.FirstDetected, req.Finding.FiredAt, req.Finding.ActiveSince), l.loc); m.ClosedAt.IsZero() || !d.After(model.DayIn(m.ClosedAt, l.loc)) {
		ev(d, "detected", 2)
		v.DetectedLate = d.After(v.promised)
	}
	if !h.NoticeDrafted.IsZero() {
		ev(model.DayIn(h.NoticeDrafted, l.loc), "drafted", 3)
	}
	if !m.PromisedDue.IsZero() {
		ev(model.Day(m.PromisedDue), "promised", 4)
	}
	ev(model.Day(m.Due), "due", 4)
	for _, a := range v.agreed {
		ev(model.Day(a), "agreed", 5)
	}
	if !m.ClosedAt.IsZero() {
		ev(model.DayIn(m.ClosedAt, l.loc), "closed", 6)
	} else {
		ev(today, "today", 7)
	}
	sort.SliceStable(v.Timeline, func(i, j int) bool {
		a, b := v.Timeline[i], v.Timeline[j]
		if !a.at.Equal(b.at) {
			return a.at.Before(b.at)
		}
		return a.ord < b.ord
	})
	v.Trials = fc.Explanation.Trials
}

// workdays counts Monday-to-Friday days from a up to and including b.
func workdays(a, b time.Time) int {
	n := 0
	for d := a; !d.After(b); d = d.AddDate(0, 0, 1) {
		if d.Weekday() != time.Saturday && d.Weekday() != time.Sunday {
			n++
		}
	}
	return n
}

// sortRemaining orders open items by what matters to the client: in
// progress first, then by rank (unranked last), then by key.
func sortRemaining(items []*model.WorkItem) {
	slices.SortStableFunc(items, func(a, b *model.WorkItem) int {
		if (a.Status == model.StatusInProgress) != (b.Status == model.StatusInProgress) {
			if a.Status == model.StatusInProgress {
				return -1
			}
			return 1
		}
		ra, rb := a.Rank, b.Rank
		if ra == 0 {
			ra = math.MaxInt
		}
		if rb == 0 {
			rb = math.MaxInt
		}
		if ra != rb {
			return cmp.Compare(ra, rb)
		}
		return strings.Compare(a.Key, b.Key)
	})
}

// list keeps the first maxListed items and says how many more there are.
// The list is never nil: nil stands for a list a view does not show.
func list(items []*model.WorkItem) ([]*model.WorkItem, int) {
	if items == nil {
		return []*model.WorkItem{}, 0
	}
	n := min(len(items), maxListed)
	return items[:n:n], len(items) - n
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			return s
		}
	}
	return ""
}

func firstTime(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

func containsDay(ts []time.Time, t time.Time) bool {
	for _, x := range ts {
		if model.Day(x).Equal(model.Day(t)) {
			return true
		}
	}
	return false
}

// Escalate raises a severity one step, for a second slip: info → warning →
// critical, low → medium → high → critical. Unknown or empty severities
// become "critical".
func Escalate(sev string) string {
	switch strings.ToLower(strings.TrimSpace(sev)) {
	case "info", "notice":
		return "warning"
	case "low":
		return "medium"
	case "medium", "moderate":
		return "high"
	case "warning", "warn", "high", "major", "error":
		return "critical"
	}
	return "critical"
}
