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
	"sync"
	"time"

	gojira "github.com/andygrunwald/go-jira"
)

// history is one changelog entry (the same shape on both endpoints).
type history struct {
	Created string        `json:"created"`
	Items   []historyItem `json:"items"`
}

type historyItem struct {
	Field   string `json:"field"`
	FieldID string `json:"fieldId"`
	From    string `json:"from"`
	To      string `json:"to"`
}

// changelogs learns when issues joined their milestones, where it matters:
// the milestone has a start and the issue existed before it (so it may
// have been planned in, or added later). Each lookup costs a request, so
// they are capped by changelog_budget; results are kept in the snapshot
// until the issue changes again, and so is a 404 (the issue counts as
// joined when created) and an empty history (created in the milestone).
// It returns a note when the cap was hit.
func (s *Source) changelogs(ctx context.Context, cloud bool, ms []*milestone, idx members, failed map[string]error) string {
	budget := 200
	if s.cfg.ChangelogBudget != nil {
		budget = *s.cfg.ChangelogBudget
	}
	type need struct {
		r  *record
		ms []*milestone
	}
	var needs []*need
	byKey := map[string]*need{}
	for _, m := range ms {
		if m.m.Start.IsZero() || failed[m.m.Key] != nil {
			continue
		}
		for _, r := range idx.in[m.tag()] {
			if !r.Created.Before(m.m.Start) {
				continue
			}
			if _, ok := r.Joined[m.m.Key]; (ok || r.NoHistory) && r.HistoryAt.Equal(r.Updated) {
				continue
			}
			n := byKey[r.Key]
			if n == nil {
				n = &need{r: r}
				byKey[r.Key] = n
				needs = append(needs, n)
			}
			n.ms = append(n.ms, m)
		}
	}
	slices.SortFunc(needs, func(a, b *need) int { return compareKeys(a.r.Key, b.r.Key) })
	skipped := 0
	if len(needs) > budget {
		skipped = len(needs) - budget
		needs = needs[:budget]
	}
	// Each lookup touches only its own record, so up to concurrency of
	// them are in flight at once.
	workers := max(1, min(s.cfg.Concurrency, 4))
	next := make(chan *need)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for n := range next {
				s.lookUp(ctx, cloud, n.r, n.ms)
			}
		})
	}
	for _, n := range needs {
		next <- n
	}
	close(next)
	wg.Wait()
	if skipped > 0 {
		return fmt.Sprintf("jira %s: changelog lookups capped at %d; %d issues fell back to their creation time (raise changelog_budget, or the next runs catch up)", s.name, budget, skipped)
	}
	return ""
}

// lookUp reads one issue's changelog and records when it joined each of
// the milestones.
func (s *Source) lookUp(ctx context.Context, cloud bool, r *record, ms []*milestone) {
	hs, err := s.changelog(ctx, cloud, r.Key)
	if err != nil {
		s.env.Log.Warn().Str("issue", r.Key).Err(err).Msg("jira changelog unreadable; the issue counts as joined when created")
		var ae *APIError
		if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
			// Not asked again until the issue changes; anything else
			// (5xx, a lost connection) is tried again next run.
			r.NoHistory, r.HistoryAt = true, r.Updated
		}
		return
	}
	r.NoHistory = false
	if r.Joined == nil {
		r.Joined = map[string]time.Time{}
	}
	for _, m := range ms {
		r.Joined[m.m.Key] = joinedAt(hs, m, r.Created)
	}
	r.HistoryAt = r.Updated
}

// joinedAt is the last time the issue was added to the milestone, or its
// creation time when the changelog never shows it added (created in it).
func joinedAt(hs []history, m *milestone, created time.Time) time.Time {
	joined := created
	for _, h := range hs {
		at, ok := parseDateTime(h.Created)
		if !ok {
			continue
		}
		for _, it := range h.Items {
			switch {
			case m.sprint == 0 && (it.FieldID == "fixVersions" || it.Field == "Fix Version"):
				if it.To == m.version && at.After(joined) {
					joined = at.UTC()
				}
			case m.sprint != 0 && strings.EqualFold(it.Field, "Sprint"):
				id := strconv.FormatInt(m.sprint, 10)
				if slices.Contains(idSet(it.To), id) && !slices.Contains(idSet(it.From), id) && at.After(joined) {
					joined = at.UTC()
				}
			}
		}
	}
	return joined
}

// idSet splits a Sprint change value ("12, 13") into ids.
func idSet(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// changelog reads an issue's full history: Cloud's paged
// /rest/api/2/issue/{key}/changelog, or Data Center's expand=changelog.
func (s *Source) changelog(ctx context.Context, cloud bool, key string) ([]history, error) {
	if !cloud {
		jc, err := s.c.api()
		if err != nil {
			return nil, err
		}
		is, resp, err := jc.Issue.GetWithContext(ctx, key, &gojira.GetQueryOptions{Fields: "created", Expand: "changelog"})
		if err != nil {
			return nil, apiError(resp, err)
		}
		if is.Changelog == nil {
			return nil, nil
		}
		hs := make([]history, len(is.Changelog.Histories))
		for i, h := range is.Changelog.Histories {
			hs[i].Created = h.Created
			hs[i].Items = make([]historyItem, len(h.Items))
			for j, it := range h.Items {
				// Data Center's items carry no fieldId: the field's name
				// tells a fix version ("Fix Version") and a sprint.
				hs[i].Items[j] = historyItem{Field: it.Field, From: changeValue(it.From), To: changeValue(it.To)}
			}
		}
		return hs, nil
	}
	// Hand-built: go-jira v1 has no call for the paged changelog endpoint.
	var all []history
	for start := 0; ; {
		var page changelogPage
		q := url.Values{"startAt": {strconv.Itoa(start)}, "maxResults": {"100"}}
		if err := s.c.get(ctx, "rest/api/2/issue/"+url.PathEscape(key)+"/changelog?"+q.Encode(), &page); err != nil {
			return nil, err
		}
		all = append(all, page.Values...)
		if page.IsLast || len(page.Values) == 0 || page.StartAt+len(page.Values) >= page.Total {
			return all, nil
		}
		start = page.StartAt + len(page.Values)
	}
}

// changelogPage is one page of /rest/api/2/issue/{key}/changelog.
type changelogPage struct {
	StartAt int       `json:"startAt"`
	Total   int       `json:"total"`
	IsLast  bool      `json:"isLast"`
	Values  []history `json:"values"`
}

// changeValue is a changelog item's from or to as go-jira decodes it (a
// string, or nil when the field was empty).
func changeValue(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case nil:
		return ""
	default:
		return fmt.Sprint(v)
	}
}
