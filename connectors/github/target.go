package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	gh "github.com/google/go-github/v62/github"

	"github.com/forewarn/forewarn/connectors"
	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/tracker"
)

// maxBody is GitHub's limit on an issue body, in characters.
const maxBody = 65536

// digestRe finds the hidden digest forewarn appends to a body it writes,
// so that runs without a state store (GitHub Actions) can tell an
// unchanged ticket from a changed one without rewriting it.
var digestRe = regexp.MustCompile(`<!-- forewarn:digest=([0-9a-f]{8,64})(?: content=([0-9a-f]{8,64}))? -->`)

// withDigest is the body as sent: the ticket's body, shortened to fit, and
// a hidden line carrying the ticket's digest and the content hash of title
// and body as sent (to tell a person's edit, model.ContentHash).
func withDigest(tk model.Ticket) string {
	body := fitBody(tk.Body, tk.Fingerprint)
	return body + "\n<!-- forewarn:digest=" + tk.Digest() + " content=" + model.ContentHash(tk.Title, body) + " -->\n"
}

// edited reports whether a person changed title or body since forewarn
// wrote them: the content hash in the digest line no longer matches.
func edited(title, body string) bool {
	loc := digestRe.FindAllStringSubmatchIndex(body, -1)
	if len(loc) == 0 {
		return false
	}
	last := loc[len(loc)-1]
	if last[4] < 0 { // written before the content hash existed
		return false
	}
	return model.ContentHash(title, body[:last[0]]) != body[last[4]:last[5]]
}

// Target opens forewarn's tickets as GitHub issues.
type Target struct {
	cfg         TargetConfig
	owner, repo string
	env         connectors.Env
	c           *conn

	mu        sync.Mutex
	noLabelAt time.Time // when GitHub last refused forewarn's labels here
	listed    bool      // FindMany listed the repository (Settle lists it again)
}

var (
	_ tracker.Target      = (*Target)(nil)
	_ tracker.BatchFinder = (*Target)(nil)
	_ tracker.Settler     = (*Target)(nil)
)

// NewTarget builds a GitHub target. It reads no secret and does no I/O.
func NewTarget(c TargetConfig, env connectors.Env) (*Target, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	owner, repo, _ := strings.Cut(c.Repo, "/")
	return &Target{cfg: c, owner: owner, repo: repo, env: env,
		c: newConn(fmt.Sprintf("github target %s", c.Repo), c.AuthConfig, env)}, nil
}

// Name implements tracker.Target.
func (t *Target) Name() string { return "github:" + t.cfg.Repo }

// Format implements tracker.Target.
func (t *Target) Format() model.Format { return model.FormatMarkdown }

// Requests is the number of requests sent that counted against the rate limit.
func (t *Target) Requests() int64 { return t.c.sent.Load() }

// Find implements tracker.Target. It lists the repository's issues carrying
// the fingerprint label, in every state, and checks the hidden marker in
// each body. Unlike search, a labelled list sees an issue created a moment
// ago; with the ETag cache an unchanged answer costs nothing.
func (t *Target) Find(ctx context.Context, fingerprint string) (*model.TicketRef, error) {
	api, err := t.c.api()
	if err != nil {
		return nil, err
	}
	opt := findOptions(fingerprint)
	for {
		list, resp, err := t.listPage(ctx, api, opt)
		if err != nil {
			return nil, fmt.Errorf("looking for %s in %s: %w", fingerprint, t.cfg.Repo, t.c.explain(err))
		}
		for _, is := range list {
			if is.IsPullRequest() || !model.HasMarker(is.GetBody(), fingerprint) {
				continue
			}
			ref := t.ref(fingerprint, is)
			return &ref, nil // oldest first: the original wins over any copy
		}
		if resp.NextPage == 0 {
			return t.findRecent(ctx, api, fingerprint)
		}
		opt.Page = resp.NextPage
	}
}

// batchPages caps FindMany's listing: a repository with more issues than
// that is looked up one ticket at a time (Find), as before.
const batchPages = 20

var markerRe = regexp.MustCompile(model.MarkerPattern)

// batchOptions is the first page of FindMany's listing: every issue of the
// repository, in every state, oldest first.
func batchOptions() *gh.IssueListByRepoOptions {
	return &gh.IssueListByRepoOptions{State: "all", Sort: "created", Direction: "asc", ListOptions: gh.ListOptions{PerPage: 100}}
}

// FindMany implements tracker.BatchFinder: one listing of every issue of
// the repository (pages of 100, oldest first, labelled or not), each body
// checked for the markers of the fingerprints asked for; the oldest issue
// carrying a marker is its ticket. It sees every issue Find would (the
// labelled list and the newest issues are among them), so a fingerprint it
// does not return has no ticket. A repository of more than 2,000 issues
// is refused (an error): the worker then looks each ticket up with Find.
// With the ETag cache an unchanged listing costs no rate-limit point; a
// run that writes lists it again at its end (Settle).
func (t *Target) FindMany(ctx context.Context, fps []string) (map[string]*model.TicketRef, error) {
	api, err := t.c.api()
	if err != nil {
		return nil, err
	}
	want := make(map[string]bool, len(fps))
	for _, fp := range fps {
		want[fp] = true
	}
	found := map[string]*model.TicketRef{}
	err = t.list(ctx, api, func(list []*gh.Issue) {
		for _, is := range list {
			if is.IsPullRequest() {
				continue
			}
			for _, m := range markerRe.FindAllStringSubmatch(is.GetBody(), -1) {
				if fp := m[1]; want[fp] && found[fp] == nil {
					ref := t.ref(fp, is)
					found[fp] = &ref
				}
			}
		}
	})
	if err != nil {
		return nil, fmt.Errorf("looking for %d tickets in %s: %w", len(fps), t.cfg.Repo, err)
	}
	t.mu.Lock()
	t.listed = true
	t.mu.Unlock()
	return found, nil
}

// listPage reads one page of the repository's issues (Find's labelled
// list or FindMany's whole listing).
func (t *Target) listPage(ctx context.Context, api *gh.Client, opt *gh.IssueListByRepoOptions) ([]*gh.Issue, *gh.Response, error) {
	var list []*gh.Issue
	resp, err := t.c.call(ctx, func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		list, resp, err = api.Issues.ListByRepo(ctx, t.owner, t.repo, opt)
		return resp, err
	})
	return list, resp, err
}

// list walks FindMany's listing page by page.
func (t *Target) list(ctx context.Context, api *gh.Client, page func([]*gh.Issue)) error {
	opt := batchOptions()
	for n := 1; ; n++ {
		if n > batchPages {
			return fmt.Errorf("more than %d issues to list in one go", batchPages*opt.PerPage)
		}
		list, resp, err := t.listPage(ctx, api, opt)
		if err != nil {
			return t.c.explain(err)
		}
		page(list)
		if resp.NextPage == 0 {
			return nil
		}
		opt.Page = resp.NextPage
	}
}

// Settle implements tracker.Settler: after a run's writes it lists the
// repository again as FindMany did, so the cache holds the pages that
// include the writes (the points are spent in the run that wrote) and the
// next run's FindMany is answered 304. A failure only costs those points
// on the next run.
func (t *Target) Settle(ctx context.Context) {
	t.mu.Lock()
	listed := t.listed
	t.mu.Unlock()
	if !listed || t.env.Cache == nil {
		return
	}
	api, err := t.c.api()
	if err == nil {
		err = t.list(ctx, api, func([]*gh.Issue) {})
	}
	if err != nil {
		t.env.Log.Debug().Str("repo", t.cfg.Repo).Err(err).Msg("could not refresh the cached listing after the writes")
	}
}

// findRecent looks for the marker among the 100 newest issues. GitHub drops
// the labels of an issue created without push access; when the answer to
// that create was lost, or the run died before adding the labels, the
// ticket exists unlabelled and the labelled list cannot see it.
func (t *Target) findRecent(ctx context.Context, api *gh.Client, fp string) (*model.TicketRef, error) {
	opt := &gh.IssueListByRepoOptions{State: "all", Sort: "created", Direction: "desc", ListOptions: gh.ListOptions{PerPage: 100}}
	var list []*gh.Issue
	_, err := t.c.call(ctx, func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		list, resp, err = api.Issues.ListByRepo(ctx, t.owner, t.repo, opt)
		return resp, err
	})
	if err != nil {
		return nil, fmt.Errorf("looking for %s among the newest issues of %s: %w", fp, t.cfg.Repo, t.c.explain(err))
	}
	for _, is := range slices.Backward(list) { // oldest first: the original wins over any copy
		if !is.IsPullRequest() && model.HasMarker(is.GetBody(), fp) {
			ref := t.ref(fp, is)
			return &ref, nil
		}
	}
	return nil, nil
}

func (t *Target) ref(fp string, is *gh.Issue) model.TicketRef {
	ref := model.TicketRef{Fingerprint: fp, Target: t.Name(), ID: fmt.Sprintf("%s#%d", t.cfg.Repo, is.GetNumber()),
		URL: is.GetHTMLURL(), Open: is.GetState() == "open"}
	if all := digestRe.FindAllStringSubmatch(is.GetBody(), -1); len(all) > 0 {
		ref.Digest = all[len(all)-1][1]
		ref.Edited = edited(is.GetTitle(), is.GetBody())
	}
	if !ref.Open {
		ref.ClosedAt = is.GetClosedAt().Time.UTC()
		ref.WontDo = is.GetStateReason() == "not_planned"
	}
	return ref
}

// Create implements tracker.Target. The POST is sent once: the HTTP stack
// repeats it only after a rate-limit refusal (the server did not act), and
// an ambiguous failure (5xx, reset, timeout) is returned for the worker to
// Find. A 422 naming the assignees (a login that cannot be assigned) is
// definite, so the issue is created once more without them.
func (t *Target) Create(ctx context.Context, tk model.Ticket) (model.TicketRef, error) {
	api, err := t.c.api()
	if err != nil {
		return model.TicketRef{}, err
	}
	labels := union(t.cfg.Labels, tk.Labels)
	if !contains(labels, tk.Fingerprint) {
		labels = append(labels, tk.Fingerprint)
	}
	assignees := append([]string(nil), t.cfg.Assignees...)
	if tk.Assignee != "" && !contains(assignees, tk.Assignee) {
		assignees = append(assignees, tk.Assignee)
	}
	body := withDigest(tk)
	req := &gh.IssueRequest{Title: gh.String(tk.Title), Body: gh.String(body), Labels: &labels}
	if len(assignees) > 0 {
		req.Assignees = &assignees
	}
	if err := t.canLabel(ctx); err != nil {
		return model.TicketRef{}, err
	}
	var is *gh.Issue
	create := func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		is, resp, err = api.Issues.Create(ctx, t.owner, t.repo, req)
		return resp, err
	}
	_, err = t.c.call(ctx, create)
	if err != nil && req.Assignees != nil && unassignable(err) {
		t.env.Log.Warn().Strs("assignees", assignees).Str("repo", t.cfg.Repo).
			Msg("GitHub refused the assignees (422); creating the issue without them")
		req.Assignees = nil
		_, err = t.c.call(ctx, create)
	}
	if err != nil {
		return model.TicketRef{}, fmt.Errorf("creating an issue in %s: %w", t.cfg.Repo, t.c.explain(err))
	}
	ref := t.ref(tk.Fingerprint, is)
	ref.Digest = tk.Digest()
	if !hasLabel(is, tk.Fingerprint) {
		// GitHub drops the labels of a new issue when the caller lacks push
		// access (triage may add them afterwards). Find depends on the
		// fingerprint label, so put it on now.
		_, lerr := t.c.call(ctx, func() (*gh.Response, error) {
			_, resp, err := api.Issues.AddLabelsToIssue(ctx, t.owner, t.repo, is.GetNumber(), labels)
			return resp, err
		})
		if lerr != nil {
			if err := t.markNoLabel(ctx); err != nil {
				t.env.Log.Error().Str("repo", t.cfg.Repo).Err(err).
					Msg("could not save that GitHub drops forewarn's labels here: this process creates no more tickets in the repository, but the next run may")
			}
			t.env.Log.Error().Str("ticket", ref.ID).Err(t.c.explain(lerr)).
				Msg("GitHub dropped forewarn's labels and refused to add them: this ticket cannot be found by its fingerprint; no more tickets are created in this repository until the credentials get triage or write access")
		}
	}
	t.refresh(ctx, api, tk.Fingerprint)
	return ref, nil
}

// refresh asks again, right after a write, the labelled list Find sends
// for the fingerprint, so the conditional-request cache holds the answer
// that includes the write. Without it the next run's Find would carry the
// validator of the answer from before the write, get a changed 200 and pay
// a rate-limit point per ticket written; with it an unchanged re-poll right
// after the writes answers 304 (free). The point is spent now instead, in
// the run that wrote. A failure only costs that point on the next run.
func (t *Target) refresh(ctx context.Context, api *gh.Client, fp string) {
	if t.env.Cache == nil || fp == "" {
		return
	}
	_, err := t.c.call(ctx, func() (*gh.Response, error) {
		_, resp, err := api.Issues.ListByRepo(ctx, t.owner, t.repo, findOptions(fp))
		return resp, err
	})
	if err != nil {
		t.env.Log.Debug().Str("fingerprint", fp).Err(t.c.explain(err)).Msg("could not refresh the cached lookup after a write")
	}
}

// findOptions is the first page of Find's labelled list.
func findOptions(fp string) *gh.IssueListByRepoOptions {
	return &gh.IssueListByRepoOptions{State: "all", Labels: []string{fp}, Sort: "created", Direction: "asc",
		ListOptions: gh.ListOptions{PerPage: 100}}
}

func hasLabel(is *gh.Issue, name string) bool {
	for _, l := range is.Labels {
		if strings.EqualFold(l.GetName(), name) {
			return true
		}
	}
	return false
}

// canLabel refuses to create while the repository is known to drop
// forewarn's labels: forewarn finds its tickets by their fingerprint label,
// so every ticket it could not label would be created again on the next
// run. The mark is kept in the sync state for a day, so fixing the access
// takes effect by the next day at the latest. A sync state that cannot be
// read refuses too: the mark may be there.
func (t *Target) canLabel(ctx context.Context) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	at := t.noLabelAt
	if t.env.State != nil {
		b, ok, err := t.env.State.Load(ctx, t.noLabelKey())
		if err != nil {
			return fmt.Errorf("%s: reading whether GitHub drops forewarn's labels in %s (sync state): %w", t.c.what, t.cfg.Repo, err)
		}
		if ts, perr := time.Parse(time.RFC3339, string(b)); ok && perr == nil && ts.After(at) {
			at = ts
		}
	}
	if !at.IsZero() && t.env.Clock().Sub(at) < 24*time.Hour {
		return fmt.Errorf("%s: GitHub dropped forewarn's labels on an issue in %s at %s and refused to add them; forewarn finds its tickets by label, so it creates no more there until the credentials get triage or write access (retried after 24 h)",
			t.c.what, t.cfg.Repo, at.UTC().Format(time.RFC3339))
	}
	return nil
}

func (t *Target) noLabelKey() string { return "nolabel:" + t.cfg.Repo }

func (t *Target) markNoLabel(ctx context.Context) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.noLabelAt = t.env.Clock()
	if t.env.State == nil {
		return nil
	}
	if err := t.env.State.Save(ctx, t.noLabelKey(), []byte(t.noLabelAt.UTC().Format(time.RFC3339))); err != nil {
		return fmt.Errorf("%s: saving the no-label mark of %s (sync state): %w", t.c.what, t.cfg.Repo, err)
	}
	return nil
}

func unassignable(err error) bool {
	var er *gh.ErrorResponse
	if !errors.As(err, &er) || er.Response == nil || er.Response.StatusCode != http.StatusUnprocessableEntity {
		return false
	}
	for _, e := range er.Errors {
		if e.Field == "assignees" || e.Field == "assignee" {
			return true
		}
	}
	return false
}

// fitBody shortens a body over GitHub's limit, keeping the marker.
func fitBody(body, fp string) string {
	if len([]rune(body)) <= maxBody {
		return body
	}
	marker := model.Marker(fp, model.FormatMarkdown)
	note := "\n\n… (shortened to fit GitHub's limit on issue bodies)\n\n"
	r := []rune(body)
	keep := maxBody - len([]rune(marker)) - len([]rune(note)) - 128 // room for the digest line
	return string(r[:keep]) + note + marker + "\n"
}

func (t *Target) number(ref model.TicketRef) (int, error) {
	i := strings.LastIndexByte(ref.ID, '#')
	if i < 0 {
		return 0, fmt.Errorf("ticket id %q is not owner/repo#number", ref.ID)
	}
	if ref.ID[:i] != t.cfg.Repo {
		return 0, fmt.Errorf("ticket %s is not in %s", ref.ID, t.cfg.Repo)
	}
	n, err := strconv.Atoi(ref.ID[i+1:])
	if err != nil {
		return 0, fmt.Errorf("ticket id %q is not owner/repo#number", ref.ID)
	}
	return n, nil
}

// Update implements tracker.Target: it replaces the title and body, and
// adds forewarn's labels without removing any a person added.
func (t *Target) Update(ctx context.Context, ref model.TicketRef, tk model.Ticket) error {
	api, err := t.c.api()
	if err != nil {
		return err
	}
	n, err := t.number(ref)
	if err != nil {
		return err
	}
	body := withDigest(tk)
	_, err = t.c.call(ctx, func() (*gh.Response, error) {
		_, resp, err := api.Issues.Edit(ctx, t.owner, t.repo, n, &gh.IssueRequest{Title: gh.String(tk.Title), Body: gh.String(body)})
		return resp, err
	})
	if err != nil {
		return fmt.Errorf("updating %s: %w", ref.ID, t.c.explain(err))
	}
	if labels := union(t.cfg.Labels, tk.Labels); len(labels) > 0 {
		_, err = t.c.call(ctx, func() (*gh.Response, error) {
			_, resp, err := api.Issues.AddLabelsToIssue(ctx, t.owner, t.repo, n, labels)
			return resp, err
		})
		if err != nil {
			return fmt.Errorf("labelling %s: %w", ref.ID, t.c.explain(err))
		}
	}
	t.refresh(ctx, api, ref.Fingerprint)
	return nil
}

// Comment implements tracker.Target.
func (t *Target) Comment(ctx context.Context, ref model.TicketRef, body string) error {
	api, err := t.c.api()
	if err != nil {
		return err
	}
	n, err := t.number(ref)
	if err != nil {
		return err
	}
	_, err = t.c.call(ctx, func() (*gh.Response, error) {
		_, resp, err := api.Issues.CreateComment(ctx, t.owner, t.repo, n, &gh.IssueComment{Body: gh.String(body)})
		return resp, err
	})
	if err != nil {
		return fmt.Errorf("commenting on %s: %w", ref.ID, t.c.explain(err))
	}
	t.refresh(ctx, api, ref.Fingerprint)
	return nil
}

// Reopen implements tracker.Target. It refuses a ticket closed as not
// planned, whatever the caller thinks.
func (t *Target) Reopen(ctx context.Context, ref model.TicketRef) error {
	if ref.WontDo {
		return fmt.Errorf("%s was closed as not planned: it is never reopened", ref.ID)
	}
	api, err := t.c.api()
	if err != nil {
		return err
	}
	n, err := t.number(ref)
	if err != nil {
		return err
	}
	_, err = t.c.call(ctx, func() (*gh.Response, error) {
		_, resp, err := api.Issues.Edit(ctx, t.owner, t.repo, n, &gh.IssueRequest{State: gh.String("open")})
		return resp, err
	})
	if err != nil {
		return fmt.Errorf("reopening %s: %w", ref.ID, t.c.explain(err))
	}
	t.refresh(ctx, api, ref.Fingerprint)
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

func union(a, b []string) []string {
	out := append([]string(nil), a...)
	for _, x := range b {
		if !contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}
