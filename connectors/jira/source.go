package jira

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	gojira "github.com/andygrunwald/go-jira"

	"github.com/forewarn/forewarn/connectors"
	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/tracker"
)

// Source reads fix versions and sprints with their issues from one Jira site.
type Source struct {
	name string
	cfg  SourceConfig
	env  connectors.Env
	c    *conn
	// keep, when set, selects the fix versions this source reads (one
	// shard of them: see Only).
	keep func(scope string) bool
	// strs shares the statuses, labels, assignees and version ids of one
	// run's issues.
	strs *model.Interner
}

var _ tracker.Source = (*Source)(nil)

// NewSource builds a Jira source. It reads no secret and does no I/O.
func NewSource(name string, c SourceConfig, env connectors.Env) (*Source, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &Source{name: name, cfg: c, env: env, c: newConn(fmt.Sprintf("jira source %q", name), c.ConnConfig, env),
		strs: &model.Interner{}}, nil // one per run from Fetch on
}

// Name implements tracker.Source.
func (s *Source) Name() string { return s.name }

// Requests is the number of requests answered by the server so far.
func (s *Source) Requests() int64 { return s.c.sent.Load() }

// VersionKey is the milestone key of a fix version. It never changes.
func VersionKey(host, project, id string) string {
	return "jira:" + host + "/" + project + ":version:" + id
}

// SprintKey is the milestone key of a sprint (sprint ids are site-wide).
func SprintKey(host string, id int64) string {
	return "jira:" + host + ":sprint:" + strconv.FormatInt(id, 10)
}

// fieldIDs are the site-specific ids of the custom fields forewarn reads.
type fieldIDs struct {
	points, sprint, flagged string
}

// milestone is a version or sprint being read, with its search id.
type milestone struct {
	m       model.Milestone
	project string // versions: the project key
	version string // version id
	sprint  int64  // sprint id
	// history: closed before the lookback, read only for the team's
	// record (env.History); never judged, no changelog lookups.
	history bool
}

// Fetch implements tracker.Source.
func (s *Source) Fetch(ctx context.Context) (tracker.FetchResult, error) {
	var res tracker.FetchResult
	s.strs = &model.Interner{}
	if s.cfg.Timeout != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.cfg.Timeout.Or(10*time.Minute))
		defer cancel()
	}
	if _, err := s.c.api(); err != nil {
		return res, err
	}
	cloud, err := s.c.isCloud(ctx)
	if err != nil {
		return res, err
	}
	ids, err := s.fields(ctx)
	if err != nil {
		return res, fmt.Errorf("%s: %w", s.c.what, err)
	}
	now := s.env.Clock()
	lookback := s.cfg.ClosedLookback.Or(90 * 24 * time.Hour)

	var ms []*milestone
	if s.cfg.FixVersions == nil || *s.cfg.FixVersions {
		for _, p := range s.cfg.Projects {
			vs, err := s.versions(ctx, p, now, lookback)
			if err != nil {
				if fatal(err) {
					return res, fmt.Errorf("%s: fix versions of %s: %w", s.c.what, p, err)
				}
				res.Failed = append(res.Failed, tracker.MilestoneFailure{Key: "jira:" + s.c.host + "/" + p,
					Title: "fix versions of " + p, Err: fmt.Errorf("listing fix versions of %s: %w", p, err)})
				continue
			}
			ms = append(ms, vs...)
		}
	}
	if s.cfg.Sprints == nil || *s.cfg.Sprints {
		seen := map[int64]bool{}
		for _, b := range s.cfg.Boards {
			sp, err := s.sprints(ctx, b, now, lookback, seen)
			if err != nil {
				if fatal(err) {
					return res, fmt.Errorf("%s: sprints of board %d: %w", s.c.what, b, err)
				}
				res.Failed = append(res.Failed, tracker.MilestoneFailure{Key: fmt.Sprintf("jira:%s:board:%d", s.c.host, b),
					Title: fmt.Sprintf("sprints of board %d", b), Err: fmt.Errorf("listing sprints of board %d: %w", b, err)})
				continue
			}
			ms = append(ms, sp...)
		}
	}

	snap, err := s.loadSnapshot(ctx)
	if err != nil {
		return res, err
	}
	full := snap.Synced.IsZero() || s.cfg.FullSyncEvery.Or(24*time.Hour) == 0 ||
		now.Sub(snap.Full) >= s.cfg.FullSyncEvery.Or(24*time.Hour)
	failed, own, err := s.readIssues(ctx, cloud, ids, ms, snap, full, now)
	if err != nil {
		return res, err
	}
	if own > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("jira %s: %d of forewarn's own ticket(s) carry a version or sprint; left out of its work items", s.name, own))
	}
	idx := index(snap)
	budgetNote := s.changelogs(ctx, cloud, slices.DeleteFunc(slices.Clone(ms), func(m *milestone) bool { return m.history }), idx, failed)
	if budgetNote != "" {
		res.Notes = append(res.Notes, budgetNote)
	}
	if len(failed) == 0 && len(res.Failed) == 0 {
		snap.Synced = now
		if full {
			snap.Full = now
		}
		if err := s.saveSnapshot(ctx, snap); err != nil {
			return res, err
		}
	}
	unread := 0
	for _, m := range ms {
		key := m.m.Key
		if e, ok := failed[key]; ok {
			if m.history {
				unread++ // left out of the record, never a failure
				continue
			}
			res.Failed = append(res.Failed, tracker.MilestoneFailure{Key: key, Title: m.m.Title, Err: e})
			continue
		}
		m.m.Items = s.items(m, idx)
		if m.sprint == 0 && m.m.State == model.StateClosed {
			m.m.ClosedAt = releasedAt(m.m)
		}
		if m.m.Client == "" && m.sprint != 0 {
			m.m.Client = s.sprintClient(m.m.Items)
		}
		if m.sprint != 0 {
			if p := soleProject(m.m.Items); p != "" {
				m.m.Container = p // else its board
			}
		}
		if m.history {
			res.History = append(res.History, m.m)
			continue
		}
		res.Milestones = append(res.Milestones, m.m)
	}
	if unread > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("jira %s: %d closed milestone(s) of the team's record left unread (their issues could not be searched)", s.name, unread))
	}
	if full {
		res.Notes = append(res.Notes, fmt.Sprintf("jira %s: full sync of %d milestones", s.name, len(ms)))
	}
	return res, nil
}

// releasedAt is when a released version shipped, as far as the tracker
// shows: Jira keeps no release time, only the planned release date, so a
// version whose last issue was resolved after that date is taken to have
// shipped then (released late); otherwise on its date.
func releasedAt(m model.Milestone) time.Time {
	at := m.ClosedAt
	for _, it := range m.Items {
		if it.RemovedAt.IsZero() && it.Closed.After(at) && !it.Closed.Before(m.Due.Add(24*time.Hour)) {
			at = it.Closed.Time()
		}
	}
	return at
}

// fatal reports whether an error means the whole source is unreadable.
func fatal(err error) bool {
	var ae *APIError
	if errors.As(err, &ae) && (ae.Status == http.StatusUnauthorized || ae.Status == http.StatusForbidden) {
		return true
	}
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// fields finds the site's story points, sprint and flagged fields by name
// (GET /rest/api/2/field), unless story_points names an id.
func (s *Source) fields(ctx context.Context) (fieldIDs, error) {
	jc, err := s.c.api()
	if err != nil {
		return fieldIDs{}, err
	}
	list, resp, err := jc.Field.GetListWithContext(ctx)
	if err != nil {
		return fieldIDs{}, fmt.Errorf("listing fields: %w", apiError(resp, err))
	}
	var ids fieldIDs
	want := []string{"story points", "story point estimate"}
	if sp := strings.TrimSpace(s.cfg.StoryPoints); sp != "" {
		want = []string{strings.ToLower(sp)}
	}
	for _, w := range want {
		for _, f := range list {
			if ids.points == "" && (strings.EqualFold(f.ID, w) || strings.ToLower(f.Name) == w) {
				ids.points = f.ID
			}
		}
	}
	if s.cfg.StoryPoints != "" && ids.points == "" {
		if strings.HasPrefix(s.cfg.StoryPoints, "customfield_") {
			ids.points = s.cfg.StoryPoints
		} else {
			return ids, fmt.Errorf("story_points: no field named %q on this site", s.cfg.StoryPoints)
		}
	}
	for _, f := range list {
		switch {
		case ids.sprint == "" && (f.Schema.Custom == "com.pyxis.greenhopper.jira:gh-sprint" || f.Custom && f.Name == "Sprint"):
			ids.sprint = f.ID
		case ids.flagged == "" && f.Custom && strings.EqualFold(f.Name, "Flagged"):
			ids.flagged = f.ID
		}
	}
	return ids, nil
}

// version is a fix version as /rest/api/2/project/{key}/version gives it.
type version struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Archived    bool   `json:"archived"`
	Released    bool   `json:"released"`
	Overdue     bool   `json:"overdue"`
	ReleaseDate string `json:"releaseDate"`
	StartDate   string `json:"startDate"`
}

type versionPage struct {
	StartAt    int       `json:"startAt"`
	MaxResults int       `json:"maxResults"`
	Total      int       `json:"total"`
	IsLast     bool      `json:"isLast"`
	Values     []version `json:"values"`
}

// versions lists a project's fix versions (paged), keeping those with a
// release date that are unreleased or released within the lookback.
// Hand-built: go-jira v1 has no call for the paged
// /rest/api/2/project/{key}/version (Project.Get carries every version in
// one answer, unordered and with the whole project).
func (s *Source) versions(ctx context.Context, project string, now time.Time, lookback time.Duration) ([]*milestone, error) {
	var out []*milestone
	for start := 0; ; {
		var page versionPage
		q := url.Values{"startAt": {strconv.Itoa(start)}, "maxResults": {"50"}, "orderBy": {"releaseDate"}}
		if err := s.c.get(ctx, "rest/api/2/project/"+url.PathEscape(project)+"/version?"+q.Encode(), &page); err != nil {
			return nil, err
		}
		for _, v := range page.Values {
			if v.Archived && !s.cfg.Archived {
				continue
			}
			mine := s.keep == nil || s.keep(VersionScope(project, v.ID))
			due, ok := parseDate(v.ReleaseDate)
			if !ok {
				continue // no promise, nothing to forecast
			}
			m := model.Milestone{Source: s.name, Key: VersionKey(s.c.host, project, v.ID), Kind: model.KindFixVersion,
				Title: project + " " + v.Name, Container: project, URL: strings.TrimRight(s.cfg.BaseURL, "/") + "/projects/" + project + "/versions/" + v.ID,
				Due: due, State: model.StateOpen, Client: s.client(project)}
			if st, ok := parseDate(v.StartDate); ok {
				m.Start = st
			}
			// A version has no field for a date agreed with the client after
			// the release date was missed: teams write it into the description.
			if ag, ok := model.DescriptionDate(v.Description, "agreed", false); ok {
				m.AgreedDue = ag
			}
			hist := false
			if v.Released {
				if lookback == 0 || now.Sub(due) > lookback || !mine {
					if !s.inHistory(now, due) {
						continue
					}
					hist = true // another shard's released versions count for the record too
				}
				m.State, m.ClosedAt = model.StateClosed, due
			}
			if !mine && !hist {
				continue // another shard's
			}
			out = append(out, &milestone{m: m, project: project, version: v.ID, history: hist})
		}
		if page.IsLast || len(page.Values) == 0 || (page.Total > 0 && page.StartAt+len(page.Values) >= page.Total) {
			return s.lastClosed(out), nil
		}
		start = page.StartAt + len(page.Values)
	}
}

// sprints lists a board's active and closed sprints through the Agile API
// (paged), keeping closed ones completed within the lookback.
func (s *Source) sprints(ctx context.Context, board int, now time.Time, lookback time.Duration, seen map[int64]bool) ([]*milestone, error) {
	jc, err := s.c.api()
	if err != nil {
		return nil, err
	}
	var out []*milestone
	for start := 0; ; {
		page, resp, err := jc.Board.GetAllSprintsWithOptionsWithContext(ctx, board,
			&gojira.GetAllSprintsOptions{State: "active,closed", SearchOptions: gojira.SearchOptions{StartAt: start, MaxResults: 50}})
		if err != nil {
			return nil, apiError(resp, err)
		}
		for _, sp := range page.Values {
			id := int64(sp.ID)
			if seen[id] || sp.EndDate == nil {
				continue
			}
			end := *sp.EndDate
			m := model.Milestone{Source: s.name, Key: SprintKey(s.c.host, id), Kind: model.KindSprint,
				Title: sp.Name, Container: fmt.Sprintf("board %d", board), Due: model.DayIn(end, end.Location()), State: model.StateOpen, Client: s.cfg.Client,
				URL: strings.TrimRight(s.cfg.BaseURL, "/") + "/secure/GHGoToBoard.jspa?sprintId=" + strconv.FormatInt(id, 10)}
			if sp.StartDate != nil {
				m.Start = sp.StartDate.UTC()
			}
			hist := false
			if strings.EqualFold(sp.State, "closed") {
				done := end
				if sp.CompleteDate != nil {
					done = *sp.CompleteDate
				}
				if lookback == 0 || now.Sub(done) > lookback {
					if !s.inHistory(now, done) {
						continue
					}
					hist = true
				}
				m.State, m.ClosedAt = model.StateClosed, done.UTC()
			}
			seen[id] = true
			out = append(out, &milestone{m: m, sprint: id, history: hist})
		}
		if page.IsLast || len(page.Values) == 0 || (page.Total > 0 && page.StartAt+len(page.Values) >= page.Total) {
			return s.lastClosed(out), nil
		}
		start = page.StartAt + len(page.Values)
	}
}

// inHistory reports whether a milestone closed at t, before the lookback,
// falls in the window of the team's record (env.History).
func (s *Source) inHistory(now, t time.Time) bool {
	h := s.env.History
	return h.Count > 0 && !t.After(now) && !t.Before(now.AddDate(0, -max(h.Months, 1), 0))
}

// lastClosed keeps, of a project's versions or a board's sprints, the
// history ones among the last env.History.Count closed (those closed within
// the lookback are read and judged anyway, and count for the record too).
func (s *Source) lastClosed(ms []*milestone) []*milestone {
	var closed []*milestone
	for _, m := range ms {
		if m.m.State == model.StateClosed {
			closed = append(closed, m)
		}
	}
	slices.SortStableFunc(closed, func(a, b *milestone) int { return b.m.ClosedAt.Compare(a.m.ClosedAt) })
	keep := map[*milestone]bool{}
	for _, m := range closed[:min(max(s.env.History.Count, 0), len(closed))] {
		keep[m] = true
	}
	return slices.DeleteFunc(ms, func(m *milestone) bool { return m.history && !keep[m] })
}

func (s *Source) client(project string) string {
	if c, ok := s.cfg.Clients[project]; ok {
		return c
	}
	return s.cfg.Client
}

// sprintClient is the client of a sprint: the one its items' projects map
// to when they agree, else the source's.
func (s *Source) sprintClient(items []model.WorkItem) string {
	found := ""
	for _, it := range items {
		p, _, _ := strings.Cut(it.Key, "-")
		c, ok := s.cfg.Clients[p]
		if !ok {
			continue
		}
		if found != "" && found != c {
			return s.cfg.Client
		}
		found = c
	}
	if found != "" {
		return found
	}
	return s.cfg.Client
}

// soleProject is the project key all of a sprint's items share, or "".
func soleProject(items []model.WorkItem) string {
	found := ""
	for _, it := range items {
		p, _, _ := strings.Cut(it.Key, "-")
		if found != "" && p != found {
			return ""
		}
		found = p
	}
	return found
}

// parseDate reads a platform API date ("2026-03-01") or an Agile API
// date-time, returning midnight UTC of that calendar day.
func parseDate(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, true
	}
	if t, ok := parseDateTime(s); ok {
		return model.DayIn(t, t.Location()), true
	}
	return time.Time{}, false
}

// parseDateTime reads Jira's instants: "…T14:19:13.000-0800" (issue fields),
// "…+10:00" or "…Z" (Agile).
func parseDateTime(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	for _, l := range []string{"2006-01-02T15:04:05.999-0700", time.RFC3339Nano, "2006-01-02T15:04:05.999Z0700", "2006-01-02T15:04-0700", "2006-01-02T15:04Z07:00"} {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// ---- issues ----

// snapshot is what the source remembers between runs (its sync state): every
// issue of its milestones as last read, and when it last synced.
type snapshot struct {
	Synced time.Time          `json:"synced"`
	Full   time.Time          `json:"full"`
	Items  map[string]*record `json:"items"`
	// Known are the milestones whose issues were read in full.
	Known map[string]bool `json:"known,omitempty"`
}

// record is one issue as remembered.
type record struct {
	Key        string    `json:"key"`
	Summary    string    `json:"summary"`
	Created    time.Time `json:"created"`
	Updated    time.Time `json:"updated"`
	Resolved   time.Time `json:"resolved,omitzero"`
	Status     string    `json:"status"` // statusCategory key: new, indeterminate, done
	Resolution string    `json:"resolution,omitempty"`
	Labels     []string  `json:"labels,omitempty"`
	Assignee   string    `json:"assignee,omitempty"`
	Points     *float64  `json:"points,omitempty"`
	Blocked    bool      `json:"blocked,omitempty"`
	Versions   []string  `json:"versions,omitempty"`
	Sprints    []int64   `json:"sprints,omitempty"`
	// Left: milestone key → when the issue was seen to have left it.
	Left map[string]time.Time `json:"left,omitempty"`
	// Joined: milestone key → when it joined, from the changelog.
	Joined    map[string]time.Time `json:"joined,omitempty"`
	HistoryAt time.Time            `json:"history_at,omitzero"` // Updated when the changelog was read
	// NoHistory: the changelog lookup at HistoryAt answered 404 (the issue
	// hides its history from this account); not asked again until the
	// issue changes.
	NoHistory bool `json:"no_history,omitempty"`
}

// snapshotKey names the snapshot in the source's sync state: another site
// (a changed base_url) starts afresh.
func (s *Source) snapshotKey() string { return "snapshot:v1:" + s.c.host }

// loadSnapshot reads the snapshot. A state store that cannot answer fails
// the source: taking that for "no snapshot" would be a full sync at best,
// and a snapshot overwritten by a partial one at worst. An unreadable
// snapshot is read again in full.
func (s *Source) loadSnapshot(ctx context.Context) (*snapshot, error) {
	snap := &snapshot{Items: map[string]*record{}}
	if s.env.State == nil {
		return snap, nil
	}
	b, ok, err := s.env.State.Load(ctx, s.snapshotKey())
	if err != nil {
		return nil, fmt.Errorf("%s: reading its sync snapshot: %w", s.c.what, err)
	}
	if !ok {
		return snap, nil
	}
	got, err := decodeSnapshot(b)
	if err != nil {
		s.env.Log.Warn().Str("source", s.name).Msg("jira sync snapshot unreadable; reading everything again")
		return snap, nil
	}
	return got, nil
}

// saveSnapshot keeps the snapshot; a plan's state keeps nothing, so it is
// not even encoded.
func (s *Source) saveSnapshot(ctx context.Context, snap *snapshot) error {
	if s.env.State == nil || s.env.State.ReadOnly() {
		return nil
	}
	b, err := encodeSnapshot(snap)
	if err != nil {
		return fmt.Errorf("%s: encoding its sync snapshot: %w", s.c.what, err)
	}
	if err := s.env.State.Save(ctx, s.snapshotKey(), b); err != nil {
		return fmt.Errorf("%s: saving its sync snapshot: %w", s.c.what, err)
	}
	s.env.Log.Debug().Int("issues", len(snap.Items)).Int("bytes", len(b)).Msg("jira sync snapshot saved")
	return nil
}

// chunk is how many milestone ids (fix versions and sprints together)
// go into one JQL query: about 1 kB of JQL, well within what the search
// endpoints take in a GET.
const chunk = 100

// readIssues searches the milestones' issues and merges them into the
// snapshot. A full sync replaces the milestones' members; an incremental
// one asks only for issues updated since the last sync (minus the margin).
// Fix versions and sprints are read in one union query
// (`fixVersion in (…) OR sprint in (…)`), so an issue in both is read once
// and split among its milestones in memory (items).
// It returns the milestones whose issues could not be read, and how many
// of forewarn's own tickets it left out.
//
// forewarn's own tickets are never work items, even when the review
// project is also a source and a ticket carries the version it is about
// (`link: auto`): the search leaves out issues carrying the fingerprint
// marker (tickets whose create screen refused labels have only that), and
// issues carrying forewarn's labels are dropped as they arrive.
func (s *Source) readIssues(ctx context.Context, cloud bool, ids fieldIDs, ms []*milestone, snap *snapshot, full bool, now time.Time) (map[string]error, int, error) {
	failed := map[string]error{}
	// Milestones the snapshot has not read in full yet (new versions and
	// sprints, a project or board just configured) are read in full even
	// in an incremental sync.
	// A closed milestone read for the team's record does not change: once
	// read, a full sync does not read it again and keeps its issues (an
	// incremental one still sees its issues that changed).
	var known, fresh []*milestone
	keepTags := map[string]bool{}
	for _, m := range ms {
		switch {
		case full && m.history && snap.Known[m.m.Key]:
			keepTags[m.tag()] = true
		case !full && snap.Known[m.m.Key]:
			known = append(known, m)
		default:
			fresh = append(fresh, m)
		}
	}
	type query struct {
		jql   string
		group []*milestone
	}
	var queries []query
	// union is one query per chunk of milestones; extra joins one more
	// clause to the first of them (its failure fails every milestone).
	union := func(group []*milestone, since, extra string) {
		for i := 0; i < len(group) || (i == 0 && extra != ""); i += chunk {
			part := group[i:min(i+chunk, len(group))]
			var versions []string
			var sprints []int64
			for _, m := range part {
				if m.sprint != 0 {
					sprints = append(sprints, m.sprint)
				} else {
					versions = append(versions, m.version)
				}
			}
			var clauses []string
			if len(versions) > 0 {
				clauses = append(clauses, In("fixVersion", versions))
			}
			if len(sprints) > 0 {
				clauses = append(clauses, InIDs("sprint", sprints))
			}
			if i == 0 && extra != "" {
				clauses = append(clauses, extra)
				part = ms
			}
			queries = append(queries, query{And(Or(clauses...), since), part})
		}
	}
	union(fresh, "", "")
	if len(known) > 0 {
		margin := s.cfg.SafetyMargin.Or(15 * time.Minute)
		since := UpdatedWithin(int64(now.Sub(snap.Synced.Add(-margin)).Minutes()) + 1)
		// Issues that left every milestone of this source no longer match
		// the membership clauses; the project clause still sees them.
		extra := ""
		if len(s.cfg.Projects) > 0 {
			extra = In("project", s.cfg.Projects)
		}
		union(known, since, extra)
	}
	seen := map[string]bool{}
	own := map[string]bool{}
	for _, q := range queries {
		err := s.search(ctx, cloud, ids, And(q.jql, notOwnTicket)+" ORDER BY key ASC", func(r *record) {
			if model.OwnTicket(r.Labels, "") {
				own[r.Key] = true
				delete(snap.Items, r.Key)
				return
			}
			seen[r.Key] = true
			old := snap.Items[r.Key]
			if old != nil {
				r.Joined, r.HistoryAt, r.NoHistory, r.Left = old.Joined, old.HistoryAt, old.NoHistory, old.Left
				noteLeft(old, r)
			}
			snap.Items[r.Key] = r
		})
		if err != nil {
			if fatal(err) {
				return nil, 0, fmt.Errorf("%s: searching issues: %w", s.c.what, err)
			}
			for _, m := range q.group {
				failed[m.m.Key] = fmt.Errorf("searching its issues: %w", err)
			}
		}
	}
	if full && len(failed) == 0 {
		// A full read is the truth: forget issues it did not see (but
		// those of the record's closed milestones, read incrementally).
		for k, r := range snap.Items {
			if !seen[k] && !r.inAny(keepTags) {
				delete(snap.Items, k)
			}
		}
		snap.Known = map[string]bool{}
	}
	if snap.Known == nil {
		snap.Known = map[string]bool{}
	}
	for _, m := range ms {
		if failed[m.m.Key] == nil {
			snap.Known[m.m.Key] = true
		}
	}
	return failed, len(own), nil
}

// inAny reports whether the issue is in a milestone of tags.
func (r *record) inAny(tags map[string]bool) bool {
	if len(tags) == 0 {
		return false
	}
	for _, v := range r.Versions {
		if tags["v:"+v] {
			return true
		}
	}
	for _, sp := range r.Sprints {
		if tags["s:"+strconv.FormatInt(sp, 10)] {
			return true
		}
	}
	return false
}

// notOwnTicket leaves forewarn's tickets out of a search by their marker.
var notOwnTicket = "NOT " + "text ~ " + Phrase("forewarn:fingerprint")

// noteLeft records when an issue left a milestone it was in.
func noteLeft(old, cur *record) {
	mark := func(key string) {
		if cur.Left == nil {
			cur.Left = map[string]time.Time{}
		}
		if _, ok := cur.Left[key]; !ok {
			cur.Left[key] = cur.Updated
		}
	}
	for _, v := range old.Versions {
		if !slices.Contains(cur.Versions, v) {
			mark("v:" + v)
		}
	}
	for _, sp := range old.Sprints {
		if !slices.Contains(cur.Sprints, sp) {
			mark("s:" + strconv.FormatInt(sp, 10))
		}
	}
	for _, v := range cur.Versions {
		delete(cur.Left, "v:"+v)
	}
	for _, sp := range cur.Sprints {
		delete(cur.Left, "s:"+strconv.FormatInt(sp, 10))
	}
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// tag names a milestone in record.Left and in a members index.
func (m *milestone) tag() string {
	if m.sprint != 0 {
		return "s:" + strconv.FormatInt(m.sprint, 10)
	}
	return "v:" + m.version
}

// members indexes the snapshot by milestone tag: the records in a
// milestone now, and those that left it. Built once a fetch, so splitting
// the issues among milestones is linear in their memberships rather than
// milestones × issues.
type members struct {
	in, left map[string][]*record
}

func index(snap *snapshot) members {
	idx := members{in: map[string][]*record{}, left: map[string][]*record{}}
	for _, r := range snap.Items {
		for _, v := range r.Versions {
			idx.in["v:"+v] = append(idx.in["v:"+v], r)
		}
		for _, sp := range r.Sprints {
			t := "s:" + strconv.FormatInt(sp, 10)
			idx.in[t] = append(idx.in[t], r)
		}
		for t := range r.Left {
			idx.left[t] = append(idx.left[t], r)
		}
	}
	return idx
}

// items builds a milestone's work items from the snapshot.
func (s *Source) items(m *milestone, idx members) []model.WorkItem {
	tag := m.tag()
	// Disjoint: noteLeft forgets a departure once the issue is back.
	rs := append(slices.Clip(idx.in[tag]), idx.left[tag]...)
	out := make([]model.WorkItem, 0, len(rs))
	for _, r := range rs {
		in := m.sprint == 0 && slices.Contains(r.Versions, m.version) || m.sprint != 0 && slices.Contains(r.Sprints, m.sprint)
		left, wasIn := r.Left[tag]
		if !in && !wasIn {
			continue
		}
		it := model.WorkItem{Key: r.Key, Title: r.Summary, URL: strings.TrimRight(s.cfg.BaseURL, "/") + "/browse/" + r.Key,
			Created: model.At(r.Created), Labels: r.Labels, Blocked: r.Blocked, Resolution: r.Resolution}
		it.JoinedAt = it.Created
		if r.Assignee != "" {
			it.Assignees = s.strs.List([]string{r.Assignee})
		}
		switch r.Status {
		case "done":
			it.Status = model.StatusDone
			it.Closed = model.At(r.Resolved)
			if it.Closed.IsZero() {
				it.Closed = model.At(r.Updated)
			}
		case "indeterminate":
			it.Status = model.StatusInProgress
		default:
			it.Status = model.StatusTodo
		}
		if r.Points != nil {
			it.Points, it.Estimated = *r.Points, true
		} else {
			it.Points = s.cfg.DefaultSize
			if it.Points == 0 {
				it.Points = 1
			}
		}
		if j, ok := r.Joined[m.m.Key]; ok {
			it.JoinedAt, it.JoinedKnown = model.At(j), true
		}
		if !in {
			it.RemovedAt = model.At(left)
		}
		out = append(out, it)
	}
	slices.SortFunc(out, func(a, b model.WorkItem) int { return compareKeys(a.Key, b.Key) })
	return out
}

// compareKeys orders issue keys by project, then number.
func compareKeys(a, b string) int {
	pa, na, _ := strings.Cut(a, "-")
	pb, nb, _ := strings.Cut(b, "-")
	if c := strings.Compare(pa, pb); c != 0 {
		return c
	}
	ia, _ := strconv.Atoi(na)
	ib, _ := strconv.Atoi(nb)
	return ia - ib
}
