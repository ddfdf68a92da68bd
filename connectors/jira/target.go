package jira

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	gojira "github.com/andygrunwald/go-jira"

	"github.com/forewarn/forewarn/connectors"
	"github.com/forewarn/forewarn/internal/httpx"
	"github.com/forewarn/forewarn/internal/jsonx"
	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/tracker"
)

// maxDescription is Jira's limit on a text field, in characters.
const maxDescription = 32767

// digestRe finds the dimmed digest line forewarn appends to a description,
// so runs without a state store can tell an unchanged ticket.
var digestRe = regexp.MustCompile(`forewarn:digest=([0-9a-f]{8,64})(?: content=([0-9a-f]{8,64}))?`)

// edited reports whether a person changed summary or description since
// forewarn wrote them: the content hash on the digest line (letters and
// digits only, so Jira's own reformatting does not count) no longer
// matches. A description without it (older tickets) counts as not edited.
func edited(summary, desc string) bool {
	loc := digestRe.FindAllStringSubmatchIndex(desc, -1)
	if len(loc) == 0 {
		return false
	}
	last := loc[len(loc)-1]
	if last[4] < 0 {
		return false
	}
	cut := last[0]
	if i := strings.LastIndex(desc[:cut], "{color"); i >= 0 && cut-i <= 24 {
		cut = i // the dimming macro around the digest line is not content
	}
	return model.ContentHash(summary, desc[:cut]) != desc[last[4]:last[5]]
}

// Target opens forewarn's tickets as Jira issues in a review project.
type Target struct {
	cfg TargetConfig
	env connectors.Env
	c   *conn

	mu       sync.Mutex
	noLabels bool  // the create screen refused labels: the marker alone identifies tickets
	created  []int // ids created by this process, for Cloud's search reconciliation
}

var _ tracker.Target = (*Target)(nil)

// NewTarget builds a Jira target. It reads no secret and does no I/O.
func NewTarget(c TargetConfig, env connectors.Env) (*Target, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &Target{cfg: c, env: env, c: newConn("jira target "+c.Project, c.ConnConfig, env)}, nil
}

// Name implements tracker.Target.
func (t *Target) Name() string { return "jira:" + t.c.host + "/" + t.cfg.Project }

// Format implements tracker.Target: wiki markup for REST API v2.
func (t *Target) Format() model.Format { return model.FormatJiraWiki }

// Requests is the number of requests answered by the server so far.
func (t *Target) Requests() int64 { return t.c.sent.Load() }

var findFields = []string{"summary", "status", "resolution", "resolutiondate", "description", "labels", "created"}

// Find implements tracker.Target: a JQL search of the review project for
// the fingerprint label, then (when labels could not be set, or nothing
// carries the label) a text search for the fingerprint. Every hit is
// checked for the marker or the label; the oldest wins.
func (t *Target) Find(ctx context.Context, fp string) (*model.TicketRef, error) {
	cloud, err := t.c.isCloud(ctx)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	reconcile := slices.Clone(t.created)
	t.mu.Unlock()
	// One search for the label or the marker text (projects whose create
	// screen drops labels have only the marker): a new ticket costs one
	// search, not two. The oldest ticket carrying either wins.
	q := And(Eq("project", t.cfg.Project), Or(Eq("labels", fp), "text ~ "+Phrase(fp))) + " ORDER BY created ASC"
	var found *gojira.Issue
	err = t.c.search(ctx, cloud, q, findFields, 50, reconcile, func(is *gojira.Issue) {
		if found != nil || is.Fields == nil {
			return
		}
		if model.HasMarker(is.Fields.Description, fp) || slices.Contains(is.Fields.Labels, fp) {
			found = is
		}
	})
	if err != nil {
		return nil, fmt.Errorf("looking for %s in %s: %w", fp, t.cfg.Project, err)
	}
	if found == nil {
		return nil, nil
	}
	ref := t.ref(fp, found)
	return &ref, nil
}

// FindMany implements tracker.BatchFinder: one search per fifty
// fingerprints for what Find asks of each, the label or the marker text
// (`labels in (…) OR text ~ "fp1" OR …`), every hit checked for the marker
// or the label, oldest ticket first. So a fingerprint it does not return
// has no ticket, as far as Find would know either.
func (t *Target) FindMany(ctx context.Context, fps []string) (map[string]*model.TicketRef, error) {
	cloud, err := t.c.isCloud(ctx)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	reconcile := slices.Clone(t.created)
	t.mu.Unlock()
	found := map[string]*model.TicketRef{}
	for chunk := range slices.Chunk(fps, 50) {
		either := []string{In("labels", chunk)}
		for _, fp := range chunk {
			either = append(either, "text ~ "+Phrase(fp))
		}
		q := And(Eq("project", t.cfg.Project), Or(either...)) + " ORDER BY created ASC"
		err := t.c.search(ctx, cloud, q, findFields, 100, reconcile, func(is *gojira.Issue) {
			if is.Fields == nil {
				return
			}
			for _, fp := range chunk {
				if found[fp] == nil && (slices.Contains(is.Fields.Labels, fp) || model.HasMarker(is.Fields.Description, fp)) {
					ref := t.ref(fp, is)
					found[fp] = &ref
				}
			}
		})
		if err != nil {
			return nil, fmt.Errorf("looking for %d tickets in %s: %w", len(chunk), t.cfg.Project, err)
		}
	}
	return found, nil
}

func (t *Target) ref(fp string, is *gojira.Issue) model.TicketRef {
	ref := model.TicketRef{Fingerprint: fp, Target: t.Name(), ID: is.Key,
		URL: strings.TrimRight(t.cfg.BaseURL, "/") + "/browse/" + is.Key, Open: true}
	f := is.Fields
	if f == nil {
		return ref
	}
	if all := digestRe.FindAllStringSubmatch(f.Description, -1); len(all) > 0 {
		ref.Digest = all[len(all)-1][1]
		ref.Edited = edited(f.Summary, f.Description)
	}
	if f.Status != nil && f.Status.StatusCategory.Key == "done" {
		ref.Open = false
		ref.ClosedAt = time.Time(f.Resolutiondate).UTC()
		if f.Resolution != nil {
			ref.WontDo = t.wontDo(f.Resolution.Name)
		}
	}
	return ref
}

var defaultWontDo = []string{"Won't Fix", "Won't Do", "Declined", "Duplicate", "Cannot Reproduce", "Won’t Fix", "Won’t Do"}

func (t *Target) wontDo(resolution string) bool {
	list := t.cfg.WontDoResolutions
	if list == nil {
		list = defaultWontDo
	}
	return slices.ContainsFunc(list, func(s string) bool { return strings.EqualFold(s, resolution) })
}

// description is the body as sent: the draft (shortened to fit, marker
// kept) and a dimmed line carrying the ticket's digest.
func description(tk model.Ticket) string {
	body := tk.Body
	marker := model.Marker(tk.Fingerprint, model.FormatJiraWiki)
	if !model.HasMarker(body, tk.Fingerprint) {
		body += "\n" + marker
	}
	digestLen := len("{color:#97a0af}forewarn:digest=") + 24 + len(" content=") + 16 + len("{color}")
	if n := utf8.RuneCountInString(body) + digestLen + 1; n > maxDescription {
		r := []rune(body)
		keep := maxDescription - digestLen - len(marker) - 40
		body = string(r[:keep]) + "\n\n_(shortened)_\n" + marker
	}
	return body + "\n{color:#97a0af}forewarn:digest=" + tk.Digest() + " content=" + model.ContentHash(summary(tk.Title), body+"\n") + "{color}"
}

func (t *Target) labels(tk model.Ticket) []string {
	ls := slices.Clone(t.cfg.Labels)
	for _, l := range tk.Labels {
		if !slices.Contains(ls, l) {
			ls = append(ls, l)
		}
	}
	if !slices.Contains(ls, tk.Fingerprint) {
		ls = append(ls, tk.Fingerprint)
	}
	return ls
}

// versionOf reads a fix version milestone key of this site:
// jira:<host>/<PROJECT>:version:<id>.
func (t *Target) versionOf(key string) (project, id string, ok bool) {
	rest, ok := strings.CutPrefix(key, "jira:"+t.c.host+"/")
	if !ok {
		return "", "", false
	}
	project, id, ok = strings.Cut(rest, ":version:")
	return project, id, ok && isNumber(id)
}

// createFields are the fields of a create, as go-jira's IssueFields
// encodes the ones forewarn sets (the same JSON: TestCreateBodyAsGoJira):
// IssueFields marshals through fatih/structs into a map first, by
// reflection on each of its fifty fields, then encodes the map — a third
// of a create's CPU in the write loop. The assignee is a userRef:
// IssueFields would send go-jira's User with its Password field.
type createFields struct {
	Assignee    *userRef  `json:"assignee,omitempty"`
	Components  []nameRef `json:"components,omitempty"`
	Description string    `json:"description,omitempty"`
	FixVersions []idRef   `json:"fixVersions,omitempty"`
	Type        nameRef   `json:"issuetype"`
	Labels      []string  `json:"labels,omitempty"`
	Priority    *nameRef  `json:"priority,omitempty"`
	Project     keyRef    `json:"project"`
	Summary     string    `json:"summary,omitempty"`
}

// createBody is a create's request body.
type createBody struct {
	Fields *createFields `json:"fields"`
}

// updateFields are the fields an update sets, as go-jira's IssueFields
// encodes them (TestUpdateBodyAsGoJira), and updateBody the request's body
// (go-jira's Issue with its key).
type updateFields struct {
	Description string   `json:"description,omitempty"`
	Labels      []string `json:"labels,omitempty"`
	Summary     string   `json:"summary,omitempty"`
}

type updateBody struct {
	Key    string        `json:"key,omitempty"`
	Fields *updateFields `json:"fields"`
}

// userRef names an assignee: accountId on Cloud, the user name on Data
// Center.
type userRef struct {
	AccountID string `json:"accountId,omitempty"`
	Name      string `json:"name,omitempty"`
}

type nameRef struct {
	Name string `json:"name,omitempty"`
}

type idRef struct {
	ID string `json:"id,omitempty"`
}

type keyRef struct {
	Key string `json:"key,omitempty"`
}

// created is what forewarn reads of a create's answer.
type created struct {
	ID  string `json:"id"`
	Key string `json:"key"`
}

// Create implements tracker.Target. The POST is sent once: the HTTP stack
// repeats it only after a rate-limit refusal (the server did not act); an
// ambiguous failure (5xx, reset, timeout) is returned for the worker to
// Find. A 400 naming one field (labels not on the create screen, an
// unknown assignee, fix versions) is definite — nothing was created — so
// the issue is created once more without that field, and the log says so.
func (t *Target) Create(ctx context.Context, tk model.Ticket) (model.TicketRef, error) {
	cloud, err := t.c.isCloud(ctx)
	if err != nil {
		return model.TicketRef{}, err
	}
	if _, err := t.c.api(); err != nil {
		return model.TicketRef{}, err
	}
	f := &createFields{
		Project:     keyRef{Key: t.cfg.Project},
		Type:        nameRef{Name: firstNonEmpty(t.cfg.IssueType, "Task")},
		Summary:     summary(tk.Title),
		Description: description(tk),
	}
	t.mu.Lock()
	noLabels := t.noLabels
	t.mu.Unlock()
	if !noLabels {
		f.Labels = t.labels(tk)
	}
	for _, c := range t.cfg.Components {
		f.Components = append(f.Components, nameRef{Name: c})
	}
	if t.cfg.Priority != "" {
		f.Priority = &nameRef{Name: t.cfg.Priority}
	}
	if a := firstNonEmpty(tk.Assignee, t.cfg.Assignee); a != "" {
		f.Assignee = &userRef{Name: a}
		if cloud {
			f.Assignee = &userRef{AccountID: a}
		}
	}
	link := firstNonEmpty(t.cfg.Link, "auto")
	webLink := link == "web_link"
	if p, id, ok := t.versionOf(tk.MilestoneKey); ok && p == t.cfg.Project && (link == "auto" || link == "fix_version") {
		f.FixVersions = []idRef{{ID: id}}
	} else if link == "auto" {
		webLink = true
	}

	var out created
	for attempt := 0; ; attempt++ {
		out, err = t.create(ctx, f)
		var ae *APIError
		if err == nil || attempt >= 3 || !errors.As(err, &ae) || ae.Status != http.StatusBadRequest {
			break
		}
		dropped := ""
		for _, name := range []string{"labels", "assignee", "fixVersions", "components", "priority"} {
			if _, named := ae.Fields[name]; named && dropField(f, name) {
				dropped = name
				break
			}
		}
		if dropped == "" {
			break
		}
		ev := t.env.Log.Warn().Str("project", t.cfg.Project).Str("field", dropped).Str("jira", ae.Fields[dropped])
		switch dropped {
		case "labels":
			t.mu.Lock()
			t.noLabels = true
			t.mu.Unlock()
			ev.Msg("Jira refused labels on the create screen; tickets carry their fingerprint only in the description marker and are found by text search (add the Labels field to the create screen of " + t.cfg.Project + ")")
		case "fixVersions":
			webLink = link == "auto"
			ev.Msg("Jira refused fixVersions on the create screen; linking the version by a web link instead")
		default:
			ev.Msg("Jira refused a field on the create screen; creating the ticket without it")
		}
	}
	if err != nil {
		return model.TicketRef{}, fmt.Errorf("creating an issue in %s: %w", t.cfg.Project, err)
	}
	if id, perr := strconv.Atoi(out.ID); perr == nil {
		t.mu.Lock()
		t.created = append(t.created, id)
		t.mu.Unlock()
	}
	ref := model.TicketRef{Fingerprint: tk.Fingerprint, Target: t.Name(), ID: out.Key,
		URL: strings.TrimRight(t.cfg.BaseURL, "/") + "/browse/" + out.Key, Open: true, Digest: tk.Digest()}
	// The ticket exists now: what follows is best effort and never fails
	// the create (which the worker would then look up, not repeat).
	t.attach(ctx, out.Key, tk)
	if webLink {
		t.linkMilestone(ctx, out.Key, tk.MilestoneKey)
	}
	return ref, nil
}

// create sends one create request, POST rest/api/2/issue, through
// go-jira's client (the request go-jira's IssueService.Create builds,
// with createFields for its IssueFields), and reads the new issue's id
// and key from the answer.
func (t *Target) create(ctx context.Context, f *createFields) (created, error) {
	jc, err := t.c.api()
	if err != nil {
		return created{}, err
	}
	req, err := jc.NewRequestWithContext(ctx, http.MethodPost, "rest/api/2/issue", createBody{f})
	if err != nil {
		return created{}, fmt.Errorf("building the create request: %w", err)
	}
	resp, err := jc.Do(req, nil)
	if err != nil {
		return created{}, apiError(resp, err)
	}
	defer resp.Body.Close()
	// The server acted: an answer that cannot be read is reported like
	// any ambiguous failure, and the worker looks the ticket up.
	data, err := httpx.ReadBody(resp.Response)
	if err != nil {
		return created{}, &APIError{Status: resp.StatusCode, Err: fmt.Errorf("reading the answer: %w", err)}
	}
	var out created
	if jsonx.Unmarshal(data, &out) != nil {
		// Not the decoder's words: they may quote the body, and a proxy's
		// page can echo the request's headers, credentials included.
		return created{}, &APIError{Status: resp.StatusCode, Err: fmt.Errorf("decoding the answer: %d bytes that are not a Jira issue", len(data))}
	}
	return out, nil
}

// dropField clears a field Jira refused on the create screen, and says
// whether it was set.
func dropField(f *createFields, name string) bool {
	switch name {
	case "labels":
		set := f.Labels != nil
		f.Labels = nil
		return set
	case "assignee":
		set := f.Assignee != nil
		f.Assignee = nil
		return set
	case "fixVersions":
		set := f.FixVersions != nil
		f.FixVersions = nil
		return set
	case "components":
		set := f.Components != nil
		f.Components = nil
		return set
	case "priority":
		set := f.Priority != nil
		f.Priority = nil
		return set
	}
	return false
}

func summary(s string) string {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r", " "), "\n", " ")
	if r := []rune(s); len(r) > 254 {
		s = string(r[:253]) + "…"
	}
	return s
}

// attach uploads the ticket's attachments (the burn-down chart) as
// multipart/form-data with X-Atlassian-Token: no-check, all in one request.
// Hand-built: go-jira's PostAttachment sends one file per request, each
// typed application/octet-stream (Jira would then not preview the SVG
// chart), with the token header spelled "nocheck".
func (t *Target) attach(ctx context.Context, key string, tk model.Ticket) {
	if t.cfg.AttachmentsEnabled != nil && !*t.cfg.AttachmentsEnabled || len(tk.Attachments) == 0 {
		return
	}
	jc, err := t.c.api()
	if err != nil {
		return
	}
	datas, made := make([][]byte, len(tk.Attachments)), make([]bool, len(tk.Attachments))
	size := 0
	for i, a := range tk.Attachments {
		data, err := a.Bytes()
		if err != nil {
			t.env.Log.Warn().Err(err).Str("ticket", key).Msg("could not make the attachment; the ticket goes without it")
			continue
		}
		datas[i], made[i] = data, true
		size += len(data) + 512 // the part's boundary and headers
	}
	// The body in one allocation: grown as it was written, the buffer was
	// reallocated and copied a dozen times a chart, in the write loop.
	var buf bytes.Buffer
	buf.Grow(size + 128)
	mw := multipart.NewWriter(&buf)
	for i, a := range tk.Attachments {
		if !made[i] {
			continue
		}
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, a.Name))
		h.Set("Content-Type", firstNonEmpty(a.ContentType, "application/octet-stream"))
		w, err := mw.CreatePart(h)
		if err != nil {
			return
		}
		w.Write(datas[i])
	}
	mw.Close()
	req, err := jc.NewMultiPartRequestWithContext(ctx, http.MethodPost, "rest/api/2/issue/"+url.PathEscape(key)+"/attachments", &buf)
	if err != nil {
		return
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("X-Atlassian-Token", "no-check")
	req.Header.Set("Accept", "application/json")
	resp, err := jc.Do(req, nil)
	if err != nil {
		t.env.Log.Warn().Str("ticket", key).Err(apiError(resp, err)).Msg("could not attach the burn-down chart to the Jira ticket")
		return
	}
	drain(resp)
}

// milestoneURL is a browsable address of the milestone a key names, when
// one can be derived from the key alone.
func (t *Target) milestoneURL(key string) (string, string) {
	if p, id, ok := t.versionOf(key); ok {
		return strings.TrimRight(t.cfg.BaseURL, "/") + "/projects/" + p + "/versions/" + id, "Fix version " + p + " " + id
	}
	if rest, ok := strings.CutPrefix(key, "github:"); ok {
		if repo, n, ok := strings.Cut(rest, "#"); ok && isNumber(n) {
			return "https://github.com/" + repo + "/milestone/" + n, "Milestone " + rest
		}
	}
	if rest, ok := strings.CutPrefix(key, "jira:"); ok {
		if host, id, ok := strings.Cut(rest, ":sprint:"); ok && isNumber(id) {
			scheme := "https://"
			if strings.HasPrefix(t.cfg.BaseURL, "http://") {
				scheme = "http://"
			}
			return scheme + host + "/secure/GHGoToBoard.jspa?sprintId=" + id, "Sprint " + id
		}
	}
	return "", ""
}

// linkMilestone adds a web link from the ticket to its milestone. The
// globalId makes it idempotent: Jira updates a link with the same id.
func (t *Target) linkMilestone(ctx context.Context, key, milestone string) {
	u, title := t.milestoneURL(milestone)
	if u == "" {
		return
	}
	jc, err := t.c.api()
	if err != nil {
		return
	}
	link := &gojira.RemoteLink{GlobalID: "forewarn:" + milestone, Object: &gojira.RemoteLinkObject{URL: u, Title: title}}
	if _, resp, err := jc.Issue.AddRemoteLinkWithContext(ctx, key, link); err != nil {
		t.env.Log.Warn().Str("ticket", key).Err(apiError(resp, err)).Msg("could not link the Jira ticket to its milestone")
	}
}

// Update implements tracker.Target: summary, description and labels, then
// the fresh chart.
func (t *Target) Update(ctx context.Context, ref model.TicketRef, tk model.Ticket) error {
	jc, err := t.c.api()
	if err != nil {
		return err
	}
	f := &updateFields{Summary: summary(tk.Title), Description: description(tk)}
	t.mu.Lock()
	noLabels := t.noLabels
	t.mu.Unlock()
	if !noLabels {
		f.Labels = t.labels(tk)
	}
	update := func() error {
		// The request go-jira's IssueService.Update builds, with
		// updateFields for its IssueFields (see createFields).
		req, err := jc.NewRequestWithContext(ctx, http.MethodPut, "rest/api/2/issue/"+ref.ID, updateBody{Key: ref.ID, Fields: f})
		if err != nil {
			return fmt.Errorf("building the update request: %w", err)
		}
		resp, err := jc.Do(req, nil)
		if err != nil {
			return apiError(resp, err)
		}
		drain(resp)
		return nil
	}
	err = update()
	var ae *APIError
	if errors.As(err, &ae) && ae.Status == http.StatusBadRequest && ae.Fields["labels"] != "" && !noLabels {
		f.Labels = nil
		t.env.Log.Warn().Str("ticket", ref.ID).Msg("Jira refused labels on the edit screen; updating without them")
		err = update()
	}
	if err != nil {
		return fmt.Errorf("updating %s: %w", ref.ID, err)
	}
	t.attach(ctx, ref.ID, tk)
	return nil
}

// Comment implements tracker.Target.
func (t *Target) Comment(ctx context.Context, ref model.TicketRef, body string) error {
	jc, err := t.c.api()
	if err != nil {
		return err
	}
	if _, resp, err := jc.Issue.AddCommentWithContext(ctx, ref.ID, &gojira.Comment{Body: body}); err != nil {
		return fmt.Errorf("commenting on %s: %w", ref.ID, apiError(resp, err))
	}
	return nil
}

var defaultReopen = []string{"Reopen", "Reopen Issue", "Back to To Do", "To Do", "Back to in progress"}

// Reopen implements tracker.Target through the workflow: the first
// configured transition available, else any leading to a status that is
// not done. The worker never calls it for won't-do tickets.
func (t *Target) Reopen(ctx context.Context, ref model.TicketRef) error {
	if ref.WontDo {
		return fmt.Errorf("reopening %s: closed as won't do; forewarn never reopens those", ref.ID)
	}
	jc, err := t.c.api()
	if err != nil {
		return err
	}
	list, resp, err := jc.Issue.GetTransitionsWithContext(ctx, ref.ID)
	if err != nil {
		return fmt.Errorf("reopening %s: listing transitions: %w", ref.ID, apiError(resp, err))
	}
	names := t.cfg.ReopenTransitions
	if names == nil {
		names = defaultReopen
	}
	var pick *gojira.Transition
	for _, n := range names {
		for i, tr := range list {
			if pick == nil && strings.EqualFold(tr.Name, n) {
				pick = &list[i]
			}
		}
	}
	for i, tr := range list {
		if pick == nil && tr.To.StatusCategory.Key != "" && tr.To.StatusCategory.Key != "done" {
			pick = &list[i]
		}
	}
	if pick == nil {
		return fmt.Errorf("reopening %s: the workflow offers no transition out of done (tried %s)", ref.ID, strings.Join(names, ", "))
	}
	resp, err = jc.Issue.DoTransitionWithContext(ctx, ref.ID, pick.ID)
	if err != nil {
		return fmt.Errorf("reopening %s (transition %q): %w", ref.ID, pick.Name, apiError(resp, err))
	}
	drain(resp)
	return nil
}
