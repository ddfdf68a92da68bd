// Package scale generates a large, deterministic scenario across the fake
// GitHub and the fake Jira (hundreds of milestones, tens of thousands of
// items with a realistic history), so the whole app can be measured
// against it: end-to-end time against raw fetching, requests against the
// minimum, an unchanged re-poll, and the binary's peak memory. The
// benchmarks live in this package's tests; docs/benchmarks.md has the
// figures.
package scale

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/forewarn/forewarn/internal/model"
	fakegh "github.com/forewarn/forewarn/internal/testserver/github"
	fakejira "github.com/forewarn/forewarn/internal/testserver/jira"
)

// Size is how big a scenario is.
type Size struct {
	Repos, MilestonesPerRepo     int // GitHub
	Projects, VersionsPerProject int // Jira fix versions
	Boards, SprintsPerBoard      int // Jira sprints (the last of each board is active)
	ItemsPerMilestone            int // on average (±40 %)
	// Filed: GitHub milestones whose issues are filed one a day over
	// their life (issue 13), in one more repository; three in four on
	// track, one in four falling behind.
	Filed int
}

// Large is the benchmark scenario: 232 milestones (120 GitHub milestones
// plus 12 filed over time, 60 fix versions, 40 sprints) and 20,000 items or
// more.
var Large = Size{Repos: 6, MilestonesPerRepo: 20, Projects: 2, VersionsPerProject: 30, Boards: 8, SprintsPerBoard: 5, ItemsPerMilestone: 93, Filed: 12}

// Huge is ten times Large: 2,320 milestones (1,200 GitHub milestones plus
// 120 filed over time, 600 fix versions, 400 sprints), about 200,000
// items. It measures that time and memory grow linearly with the agency.
var Huge = Size{Repos: 60, MilestonesPerRepo: 20, Projects: 20, VersionsPerProject: 30, Boards: 80, SprintsPerBoard: 5, ItemsPerMilestone: 93, Filed: 120}

// Small is the same shape at a size plain `go test` runs in a second.
var Small = Size{Repos: 2, MilestonesPerRepo: 5, Projects: 1, VersionsPerProject: 5, Boards: 1, SprintsPerBoard: 3, ItemsPerMilestone: 24, Filed: 4}

// Page sizes the connectors ask for (and the fakes grant).
const (
	ghPage        = 100 // milestones, issues and events per page
	jiraVersions  = 50  // fix versions per page
	jiraSprints   = 50  // sprints per page
	jiraSearch    = 100 // issues per search page
	ghReviewRepo  = "acme/delivery"
	jiraReviewKey = "REV"
)

// Profile is what a milestone's history looks like.
type Profile int

const (
	Healthy      Profile = iota // ahead of a straight burn-down, weeks left
	AtRisk                      // due soon, far behind
	Missed                      // due date passed with work open
	Closed                      // closed (released) recently, some late
	FiledOnTrack                // issues filed one a day; the team keeps up with them
	FiledBehind                 // issues filed one a day; the team closes half as many
)

func (p Profile) String() string {
	return [...]string{"healthy", "at-risk", "missed", "closed", "filed over time, on track", "filed over time, behind"}[p]
}

// profile spreads the profiles: 6 healthy, 2 at risk, 1 missed, 1 closed in ten.
func profile(i int) Profile {
	switch i % 10 {
	case 6, 7:
		return AtRisk
	case 8:
		return Missed
	case 9:
		return Closed
	}
	return Healthy
}

// Scenario is one generated data set.
type Scenario struct {
	Size Size
	Now  time.Time

	GitHub []GHRepo
	Jira   JiraData

	// Clients maps GitHub repositories and Jira projects to client ids.
	Clients map[string]string
	// Filed maps the key of each milestone filed over time
	// ("github:owner/name#n") to its profile.
	Filed map[string]Profile
}

// GHRepo is one GitHub repository with its milestones and issues.
type GHRepo struct {
	Name       string // owner/name
	Milestones []fakegh.Milestone
	Issues     []fakegh.Issue
	// Read is how many milestones the connector reads (open, or closed
	// within 90 days); the others are listed only.
	Read int
}

// JiraData is the Jira side.
type JiraData struct {
	Projects []string
	Boards   []int
	Versions []fakejira.Version
	Sprints  []fakejira.Sprint
	Issues   []fakejira.Issue
	// SprintProject holds the sprints' issues (not one of Projects, so its
	// issues are read only through the sprint query).
	SprintProject string
}

// Counts are a scenario's totals.
type Counts struct {
	GHMilestones, GHIssues, GHEvents                      int // events: issues needing an events lookup
	JiraVersions, JiraSprints, JiraIssues, JiraChangelogs int
}

// Milestones is the number of milestones across both trackers.
func (c Counts) Milestones() int { return c.GHMilestones + c.JiraVersions + c.JiraSprints }

// Items is the number of items across both trackers.
func (c Counts) Items() int { return c.GHIssues + c.JiraIssues }

// Generate builds a scenario. The same size, seed and now always give the
// same data.
func Generate(size Size, seed uint64, now time.Time) *Scenario {
	now = now.UTC().Truncate(time.Second)
	sc := &Scenario{Size: size, Now: now, Clients: map[string]string{}, Filed: map[string]Profile{}}
	rng := rand.New(rand.NewPCG(seed, 0x5ca1e))
	clients := []string{"acme", "globex", "initech"}
	ms := 0 // milestone index across trackers, drives the profiles

	for r := range size.Repos {
		repo := GHRepo{Name: fmt.Sprintf("agency/client-%02d", r+1)}
		sc.Clients[repo.Name] = clients[r%len(clients)]
		num := 0
		for m := range size.MilestonesPerRepo {
			t := sc.timeline(profile(ms), rng)
			ms++
			gm := fakegh.Milestone{Number: m + 1, Title: fmt.Sprintf("Release %d.%d", r+1, m+1), CreatedAt: t.start,
				DueOn: pacificMidnight(t.due), Description: "Scale scenario milestone (" + t.profile.String() + ")"}
			if t.profile == Closed {
				gm.State, gm.ClosedAt, gm.UpdatedAt = "closed", t.closed, t.closed
			}
			repo.Milestones = append(repo.Milestones, gm)
			repo.Read++
			for _, it := range sc.items(t, rng) {
				num++
				is := fakegh.Issue{Number: num, Title: fmt.Sprintf("Client %d task %d", r+1, num), Milestone: m + 1,
					CreatedAt: it.created, UpdatedAt: it.created}
				if it.points > 0 {
					is.Labels = append(is.Labels, "points:"+strconv.Itoa(it.points))
				}
				switch {
				case !it.closed.IsZero():
					is.State, is.StateReason, is.ClosedAt, is.UpdatedAt = "closed", "completed", it.closed, it.closed
				case it.started:
					is.Labels = append(is.Labels, "in progress")
				}
				if it.blocked {
					is.Labels = append(is.Labels, "blocked")
				}
				if !it.joined.IsZero() {
					// Created before the milestone: only the events say
					// when it joined, so these are the only ones with events.
					is.Events = []fakegh.Event{{Event: "milestoned", Milestone: gm.Title, CreatedAt: it.joined}}
				}
				repo.Issues = append(repo.Issues, is)
			}
		}
		sc.GitHub = append(sc.GitHub, repo)
	}

	jd := &sc.Jira
	jd.SprintProject = "TEAM"
	vid := 10100
	keys := map[string]int{}
	key := func(p string) string { keys[p]++; return p + "-" + strconv.Itoa(keys[p]) }
	addIssue := func(project string, it item, fill func(*fakejira.Issue)) {
		is := fakejira.Issue{Key: key(project), Project: project, Summary: fmt.Sprintf("%s work item %d", project, keys[project]),
			Created: it.created, Updated: it.created, Category: "new"}
		if it.points > 0 {
			p := float64(it.points)
			is.Points = &p
		}
		switch {
		case !it.closed.IsZero():
			is.Category, is.Resolution, is.Resolved, is.Updated = "done", "Done", it.closed, it.closed
		case it.started:
			is.Category = "indeterminate"
		}
		is.Flagged = it.blocked
		fill(&is)
		jd.Issues = append(jd.Issues, is)
	}
	for p := range size.Projects {
		proj := string(rune('A'+p)) + "PP"
		if p == 0 {
			// The review project is also a source project (issue 14): it
			// holds client work in fix versions and forewarn's tickets,
			// which get the version they are about (`link: auto`).
			proj = jiraReviewKey
		}
		jd.Projects = append(jd.Projects, proj)
		sc.Clients[proj] = clients[(p+1)%len(clients)]
		for v := range size.VersionsPerProject {
			t := sc.timeline(profile(ms), rng)
			ms++
			id := strconv.Itoa(vid)
			vid++
			ver := fakejira.Version{ID: id, Project: proj, Name: fmt.Sprintf("%d.%d", p+1, v+1),
				StartDate: t.start.Format("2006-01-02"), ReleaseDate: t.due.Format("2006-01-02"), Released: t.profile == Closed}
			jd.Versions = append(jd.Versions, ver)
			for _, it := range sc.items(t, rng) {
				addIssue(proj, it, func(is *fakejira.Issue) {
					is.FixVersions = []string{id}
					if !it.joined.IsZero() {
						is.History = []fakejira.Change{{At: it.joined, Field: "Fix Version", FieldID: "fixVersions", To: id, ToString: ver.Name}}
					}
				})
			}
		}
	}
	spID := int64(100)
	for b := range size.Boards {
		board := 10 + b
		jd.Boards = append(jd.Boards, board)
		// Two-week sprints back to back; the last one is active.
		for k := range size.SprintsPerBoard {
			back := size.SprintsPerBoard - 1 - k // sprints before the active one
			start := now.Add(-time.Duration(14*back+3+b%5) * 24 * time.Hour)
			sp := fakejira.Sprint{ID: spID, Board: board, Name: fmt.Sprintf("Team %d sprint %d", b+1, k+1), State: "active",
				Start: start, End: start.Add(14 * 24 * time.Hour)}
			spID++
			t := timeline{profile: Healthy, start: sp.Start, due: model.Day(sp.End)}
			// The last closed sprint of every other board ended on its
			// date with a tenth of its work not done: Jira carried those
			// issues over to the next sprint (their sprint field keeps
			// both), so that sprint missed (issue 14).
			carry := back == 1 && b%2 == 0
			if back > 0 {
				sp.State, sp.Completed = "closed", sp.End.Add(time.Duration(k%2)*26*time.Hour)
				if carry {
					sp.Completed = sp.End
				}
				t.profile, t.closed = Closed, sp.Completed
			} else if b%3 == 1 {
				t.profile = AtRisk
			}
			ms++
			jd.Sprints = append(jd.Sprints, sp)
			for i, it := range sc.items(t, rng) {
				carried := carry && i%10 == 1
				if carried {
					it.closed, it.started = time.Time{}, false
				}
				addIssue(jd.SprintProject, it, func(is *fakejira.Issue) {
					is.Sprints = []int64{sp.ID}
					if carried {
						// The next sprint is the board's next id; Jira's
						// changelog says the issue joined it at the close.
						next := sp.ID + 1
						is.Sprints = []int64{sp.ID, next}
						is.History = append(is.History, fakejira.Change{At: sp.Completed, Field: "Sprint", FieldID: fakejira.CloudSprintField,
							From: strconv.FormatInt(sp.ID, 10), To: fmt.Sprintf("%d, %d", sp.ID, next),
							FromString: sp.Name, ToString: sp.Name + ", " + fmt.Sprintf("Team %d sprint %d", b+1, k+2)})
					}
					if !it.joined.IsZero() {
						is.History = []fakejira.Change{{At: it.joined, Field: "Sprint", FieldID: fakejira.CloudSprintField,
							To: strconv.FormatInt(sp.ID, 10), ToString: sp.Name}}
					}
				})
			}
		}
	}
	// Last, so the draws above (and the milestones they make) are the
	// same with or without these.
	if size.Filed > 0 {
		sc.GitHub = append(sc.GitHub, sc.filedRepo(size.Filed, rng))
	}
	return sc
}

// filedRepo is the repository of the milestones filed over time (issue
// 13): created 21–41 days ago and due in 14–34 days, one issue filed each
// calendar day since (at 09:00–15:00), none before. Each working day at
// 17:00 the team closes the oldest open issues: on track up to 1–3 (two on
// average, where the filings need 1.4 a working day), so it often closes
// everything open; behind 0–1 (half an issue a day).
func (sc *Scenario) filedRepo(n int, rng *rand.Rand) GHRepo {
	day := 24 * time.Hour
	repo := GHRepo{Name: "agency/client-filed"}
	sc.Clients[repo.Name] = "acme"
	num := 0
	for m := range n {
		p := FiledOnTrack
		if m%4 == 3 {
			p = FiledBehind
		}
		created := model.Day(sc.Now.Add(-time.Duration(21+rng.IntN(21)) * day)).Add(9 * time.Hour)
		due := model.Day(sc.Now.Add(time.Duration(14+rng.IntN(21)) * day))
		gm := fakegh.Milestone{Number: m + 1, Title: fmt.Sprintf("Sprint board %d", m+1), CreatedAt: created,
			DueOn: pacificMidnight(due), Description: "Scale scenario milestone (" + p.String() + ")"}
		repo.Milestones = append(repo.Milestones, gm)
		repo.Read++
		sc.Filed["github:"+repo.Name+"#"+strconv.Itoa(gm.Number)] = p
		first := len(repo.Issues)
		next := first // the oldest open issue
		for d := model.Day(created); !d.After(sc.Now); d = d.Add(day) {
			if at := d.Add(9*time.Hour + time.Duration(rng.IntN(360))*time.Minute); at.Before(sc.Now) {
				num++
				repo.Issues = append(repo.Issues, fakegh.Issue{Number: num, Title: fmt.Sprintf("Filed issue %d", num),
					Milestone: m + 1, CreatedAt: at, UpdatedAt: at})
			}
			closeAt := d.Add(17 * time.Hour)
			if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday || !closeAt.Before(sc.Now) {
				continue
			}
			quota := 1 + rng.IntN(3)
			if p == FiledBehind {
				quota = rng.IntN(2)
			}
			for ; quota > 0 && next < len(repo.Issues); quota-- {
				is := &repo.Issues[next]
				is.State, is.StateReason, is.ClosedAt, is.UpdatedAt = "closed", "completed", closeAt, closeAt
				next++
			}
		}
	}
	return repo
}

// timeline is a milestone's dates.
type timeline struct {
	profile    Profile
	start, due time.Time // due: midnight UTC of the due day
	closed     time.Time // Closed: when
}

// pacificMidnight is how GitHub stores a due date: midnight US Pacific.
func pacificMidnight(day time.Time) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day(), 8, 0, 0, 0, time.UTC)
}

func (sc *Scenario) timeline(p Profile, rng *rand.Rand) timeline {
	day := 24 * time.Hour
	now := sc.Now
	t := timeline{profile: p}
	switch p {
	case Healthy:
		t.start = now.Add(-time.Duration(20+rng.IntN(40)) * day)
		t.due = model.Day(now.Add(time.Duration(20+rng.IntN(30)) * day))
	case AtRisk:
		t.start = now.Add(-time.Duration(30+rng.IntN(30)) * day)
		t.due = model.Day(now.Add(time.Duration(5+rng.IntN(10)) * day))
	case Missed:
		t.start = now.Add(-time.Duration(50+rng.IntN(30)) * day)
		t.due = model.Day(now.Add(-time.Duration(3+rng.IntN(15)) * day))
	case Closed:
		t.start = now.Add(-time.Duration(60+rng.IntN(30)) * day)
		t.closed = now.Add(-time.Duration(5+rng.IntN(30)) * day)
		// Half closed on time, half a few days late.
		t.due = model.Day(t.closed.Add(time.Duration(rng.IntN(7)-4) * day))
	}
	return t
}

// item is one generated work item.
type item struct {
	created, closed time.Time
	joined          time.Time // set when created before the milestone started
	points          int       // 0: no estimate
	started         bool      // open and in progress
	blocked         bool
}

// items draws a milestone's items with a history that fits its profile.
func (sc *Scenario) items(t timeline, rng *rand.Rand) []item {
	day := 24 * time.Hour
	avg := sc.Size.ItemsPerMilestone
	n := avg*6/10 + rng.IntN(avg*8/10+1)
	end := sc.Now
	if t.profile == Closed {
		end = t.closed
	}
	elapsed := end.Sub(t.start)
	var done float64 // share of items closed by end
	switch t.profile {
	case Healthy:
		// Ahead of the straight line from start to due.
		done = min(0.9, 1.5*float64(sc.Now.Sub(t.start))/float64(t.due.Sub(t.start)))
	case AtRisk:
		done = 0.15 + 0.15*rng.Float64()
	case Missed:
		done = 0.55 + 0.2*rng.Float64()
	case Closed:
		done = 1
	}
	sizes := []int{1, 2, 3, 5, 8}
	out := make([]item, n)
	for i := range out {
		it := &out[i]
		switch {
		case i == 0:
			// One item per milestone predates it and joined two days in.
			it.created = t.start.Add(-10 * day)
			it.joined = t.start.Add(2 * day)
		case i%10 == 9:
			// Scope growth: about a tenth joins after the start.
			it.created = t.start.Add(time.Duration(rng.Int64N(int64(elapsed))))
		default:
			it.created = t.start.Add(time.Duration(rng.Int64N(int64(6 * time.Hour))))
		}
		if rng.IntN(10) < 7 {
			it.points = sizes[rng.IntN(len(sizes))]
		}
		if float64(i) < done*float64(n) {
			from := it.created
			if it.joined.After(from) {
				from = it.joined
			}
			if span := end.Sub(from); span > time.Hour {
				it.closed = from.Add(time.Duration(rng.Int64N(int64(span))))
			} else {
				it.closed = from.Add(time.Minute)
			}
			continue
		}
		it.started = rng.IntN(4) == 0
		it.blocked = rng.IntN(50) == 0
	}
	return out
}

// Counts tallies the scenario.
func (sc *Scenario) Counts() Counts {
	var c Counts
	for _, r := range sc.GitHub {
		c.GHMilestones += len(r.Milestones)
		c.GHIssues += len(r.Issues)
		for _, is := range r.Issues {
			if len(is.Events) > 0 {
				c.GHEvents++
			}
		}
	}
	c.JiraVersions, c.JiraSprints, c.JiraIssues = len(sc.Jira.Versions), len(sc.Jira.Sprints), len(sc.Jira.Issues)
	for _, is := range sc.Jira.Issues {
		if len(is.History) > 0 {
			c.JiraChangelogs++
		}
	}
	return c
}

// Populate loads the scenario into fresh fakes. The review project (Jira
// target) and repository are created empty.
func (sc *Scenario) Populate(gh *fakegh.Server, jr *fakejira.Server) {
	for _, r := range sc.GitHub {
		gh.AddRepo(r.Name)
		for _, m := range r.Milestones {
			gh.AddMilestone(r.Name, m)
		}
		for _, is := range r.Issues {
			is.Labels = append([]string(nil), is.Labels...)
			gh.AddIssue(r.Name, is)
		}
	}
	gh.AddRepo(ghReviewRepo)
	for _, v := range sc.Jira.Versions {
		jr.AddVersion(v)
	}
	for _, sp := range sc.Jira.Sprints {
		jr.AddSprint(sp)
	}
	for _, is := range sc.Jira.Issues {
		jr.AddIssue(is)
	}
	jr.AddProject(jiraReviewKey)
}

// Minimum is the fewest requests a first sync can make, per tracker:
// every listing page, every issue page, one lookup per item whose join
// date only the history can tell, and the writes.
type Minimum struct {
	GitHub, Jira int
}

// ReadMinimum is the minimum number of read requests of a first sync,
// with the connectors' page sizes.
func (sc *Scenario) ReadMinimum() Minimum {
	var m Minimum
	for _, r := range sc.GitHub {
		m.GitHub += pages(len(r.Milestones), ghPage)
		per := map[int]int{}
		for _, is := range r.Issues {
			per[is.Milestone]++
			if len(is.Events) > 0 {
				m.GitHub++ // one events page
			}
		}
		for _, ms := range r.Milestones {
			m.GitHub += max(1, pages(per[ms.Number], ghPage))
		}
	}
	j := sc.Jira
	m.Jira++ // the field list (custom field ids differ per site)
	perProject := map[string]int{}
	for _, v := range j.Versions {
		perProject[v.Project]++
	}
	for _, p := range j.Projects {
		m.Jira += max(1, pages(perProject[p], jiraVersions))
	}
	perBoard := map[int]int{}
	for _, sp := range j.Sprints {
		perBoard[sp.Board]++
	}
	for _, b := range j.Boards {
		m.Jira += max(1, pages(perBoard[b], jiraSprints))
	}
	// Search pages: the distinct issues of the versions and sprints, 100 a
	// page (an issue in both is read once).
	distinct := 0
	for _, is := range j.Issues {
		if len(is.FixVersions) > 0 || len(is.Sprints) > 0 {
			distinct++
		}
		if len(is.History) > 0 {
			m.Jira++ // one changelog page
		}
	}
	m.Jira += pages(distinct, jiraSearch)
	return m
}

func pages(n, per int) int { return (n + per - 1) / per }

// MissedSprints are the sprints the shipped rules must open a post-mortem
// for: closed at most 14 days before now, and closed after the end of
// their last day or with issues not done when they closed.
func (sc *Scenario) MissedSprints() []int64 {
	var out []int64
	for _, sp := range sc.Jira.Sprints {
		if sp.State != "closed" || sc.Now.Sub(sp.Completed) > 14*24*time.Hour {
			continue
		}
		missed := !sp.Completed.Before(model.Day(sp.End).Add(24 * time.Hour))
		for _, is := range sc.Jira.Issues {
			if slices.Contains(is.Sprints, sp.ID) && (is.Resolved.IsZero() || is.Resolved.After(sp.Completed)) {
				missed = true
			}
		}
		if missed {
			out = append(out, sp.ID)
		}
	}
	return out
}
