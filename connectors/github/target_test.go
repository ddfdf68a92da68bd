package github_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn/connectors/github"
	"github.com/forewarn/forewarn/internal/model"
	fakegh "github.com/forewarn/forewarn/internal/testserver/github"
	"github.com/forewarn/forewarn/internal/tracker/targettest"
)

func newTarget(t *testing.T, s *fakegh.Server, cfg github.TargetConfig, cache *memCache) *github.Target {
	t.Helper()
	if cfg.Repo == "" {
		cfg.Repo = "acme/delivery"
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = s.URL
	}
	tg, err := github.NewTarget(cfg, testEnv(cache, nil))
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

func ticket(milestone string, p model.Purpose) model.Ticket {
	fp := model.Fingerprint(milestone, p)
	return model.Ticket{Fingerprint: fp, Purpose: p, MilestoneKey: milestone, Rule: "slipping", Format: model.FormatMarkdown,
		Title:  "Checkout v2 will be late",
		Body:   "Dear client,\n\nthe new date is 18 December.\n\n" + model.Marker(fp, model.FormatMarkdown) + "\n",
		Labels: model.TicketLabels(fp, p), Assignee: "dora"}
}

// ensure is targettest.Ensure on the GitHub target.
func ensure(ctx context.Context, tg *github.Target, tk model.Ticket) (model.TicketRef, string, error) {
	return targettest.Ensure(ctx, tg, tk)
}

func TestCreateThenFindExactlyOnce(t *testing.T) {
	s := fakegh.New(testToken)
	defer s.Close()
	s.AddRepo("acme/delivery")
	tg := newTarget(t, s, github.TargetConfig{Labels: []string{"client-comms"}, Assignees: []string{"lead"}}, newCache())
	ctx := context.Background()
	tk := ticket("github:acme/web#1", model.PurposeClientNotice)

	ref, how, err := ensure(ctx, tg, tk)
	if err != nil || how != "created" {
		t.Fatalf("first run: %v %s", err, how)
	}
	if ref.ID != "acme/delivery#1" || !ref.Open || ref.Target != "github:acme/delivery" || ref.URL == "" {
		t.Fatalf("ref %+v", ref)
	}
	// Run twice: found, not created again.
	again, how, err := ensure(ctx, tg, tk)
	if err != nil || how != "found" || again.ID != ref.ID {
		t.Fatalf("second run: %v %s %+v", err, how, again)
	}
	iss := s.Issues("acme/delivery")
	if len(iss) != 1 {
		t.Fatalf("%d issues, want exactly 1", len(iss))
	}
	is := iss[0]
	for _, l := range []string{"client-comms", "forewarn", tk.Fingerprint, "forewarn-client-notice"} {
		if !contains(is.Labels, l) {
			t.Errorf("labels %v lack %q", is.Labels, l)
		}
	}
	if !contains(is.Assignees, "lead") || !contains(is.Assignees, "dora") {
		t.Errorf("assignees %v, want lead and dora", is.Assignees)
	}
	if !model.HasMarker(is.Body, tk.Fingerprint) {
		t.Errorf("body lacks the marker: %q", is.Body)
	}
	if st := s.Stats()["POST /repos/{owner}/{repo}/issues"]; st.Requests != 1 {
		t.Errorf("POST issues sent %d times, want 1", st.Requests)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestLostResponseAfterCreateMakesNoDuplicate(t *testing.T) {
	s := fakegh.New(testToken)
	defer s.Close()
	s.AddRepo("acme/delivery")
	s.Inject(fakegh.Fault{Method: "POST", Route: "/repos/{owner}/{repo}/issues", Kind: fakegh.FaultLoseResponse})
	tg := newTarget(t, s, github.TargetConfig{}, newCache())
	ctx := context.Background()
	tk := ticket("github:acme/web#1", model.PurposeClientNotice)

	if _, err := tg.Create(ctx, tk); err == nil {
		t.Fatal("Create succeeded although the response was lost")
	}
	ref, how, err := ensure(ctx, tg, tk)
	if err != nil || how != "found" || ref.ID != "acme/delivery#1" {
		t.Fatalf("after the lost response: %v %s %+v", err, how, ref)
	}
	if n := len(s.Issues("acme/delivery")); n != 1 {
		t.Fatalf("%d issues, want 1", n)
	}
	if st := s.Stats()["POST /repos/{owner}/{repo}/issues"]; st.Requests != 1 {
		t.Fatalf("POST sent %d times, want exactly 1 (never retried blindly)", st.Requests)
	}
}

func TestCreateAnswered502IsSentOnceAndFoundLater(t *testing.T) {
	s := fakegh.New(testToken)
	defer s.Close()
	s.AddRepo("acme/delivery")
	// A 502 says nothing about whether GitHub acted: here it did not.
	s.Inject(fakegh.Fault{Method: "POST", Route: "/repos/{owner}/{repo}/issues", Kind: fakegh.FaultStatus, Status: 502})
	tg := newTarget(t, s, github.TargetConfig{}, nil)
	ctx := context.Background()
	tk := ticket("github:acme/web#1", model.PurposePostMortem)
	if _, _, err := ensure(ctx, tg, tk); err == nil || !strings.Contains(err.Error(), "502") {
		t.Fatalf("want the 502 reported, got %v", err)
	}
	if st := s.Stats()["POST /repos/{owner}/{repo}/issues"]; st.Requests != 1 {
		t.Fatalf("POST answered 502 sent %d times, want 1", st.Requests)
	}
	// The next run finds nothing and creates it, once.
	if _, how, err := ensure(ctx, tg, tk); err != nil || how != "created" {
		t.Fatalf("next run: %v %s", err, how)
	}
	if n := len(s.Issues("acme/delivery")); n != 1 {
		t.Fatalf("%d issues, want 1", n)
	}
}

func TestCreateWaitsOutSecondaryLimit(t *testing.T) {
	s := fakegh.New(testToken)
	defer s.Close()
	s.AddRepo("acme/delivery")
	s.Inject(fakegh.Fault{Method: "POST", Route: "/repos/{owner}/{repo}/issues", Kind: fakegh.FaultSecondary, RetryAfter: time.Second})
	tg := newTarget(t, s, github.TargetConfig{}, nil)
	if _, err := tg.Create(context.Background(), ticket("github:acme/web#1", model.PurposeClientNotice)); err != nil {
		t.Fatalf("Create: %v", err)
	}
	if n := len(s.Issues("acme/delivery")); n != 1 {
		t.Fatalf("%d issues, want 1", n)
	}
	if st := s.Stats()["POST /repos/{owner}/{repo}/issues"]; st.Requests != 2 {
		t.Fatalf("POST sent %d times, want 2 (refused by the limit, then accepted)", st.Requests)
	}
}

func TestUnassignableLoginStillCreatesOnce(t *testing.T) {
	s := fakegh.New(testToken)
	defer s.Close()
	s.AddRepo("acme/delivery")
	tg := newTarget(t, s, github.TargetConfig{}, nil)
	tk := ticket("github:acme/web#1", model.PurposeClientNotice)
	tk.Assignee = "ghost-user"
	if _, err := tg.Create(context.Background(), tk); err != nil {
		t.Fatalf("Create: %v", err)
	}
	iss := s.Issues("acme/delivery")
	if len(iss) != 1 || len(iss[0].Assignees) != 0 {
		t.Fatalf("issues %+v: want one, unassigned", iss)
	}
}

func TestClosedAsNotPlannedIsWontDoAndNeverReopened(t *testing.T) {
	s := fakegh.New(testToken)
	defer s.Close()
	s.AddRepo("acme/delivery")
	tg := newTarget(t, s, github.TargetConfig{}, newCache())
	ctx := context.Background()
	tk := ticket("github:acme/web#1", model.PurposeClientNotice)
	ref, err := tg.Create(ctx, tk)
	if err != nil {
		t.Fatal(err)
	}
	s.Edit("acme/delivery", 1, func(is *fakegh.Issue) {
		is.State, is.StateReason, is.ClosedAt = "closed", "not_planned", now
	})
	found, err := tg.Find(ctx, tk.Fingerprint)
	if err != nil || found == nil {
		t.Fatalf("Find: %v %v", found, err)
	}
	if found.Open || !found.WontDo || found.ClosedAt.IsZero() || found.ID != ref.ID {
		t.Fatalf("ref %+v: want closed, WontDo", found)
	}
	if err := tg.Reopen(ctx, *found); err == nil {
		t.Fatal("Reopen of a not-planned ticket succeeded")
	}
	if s.Issues("acme/delivery")[0].State != "closed" {
		t.Fatal("the issue was reopened")
	}
	// Closed as completed: reopened on request.
	s.Edit("acme/delivery", 1, func(is *fakegh.Issue) { is.StateReason = "completed" })
	found, _ = tg.Find(ctx, tk.Fingerprint)
	if found.WontDo {
		t.Fatal("completed reported as WontDo")
	}
	if err := tg.Reopen(ctx, *found); err != nil {
		t.Fatal(err)
	}
	if s.Issues("acme/delivery")[0].State != "open" {
		t.Fatal("not reopened")
	}
}

func TestUpdateKeepsPeoplesLabelsAndComments(t *testing.T) {
	s := fakegh.New(testToken)
	defer s.Close()
	s.AddRepo("acme/delivery")
	tg := newTarget(t, s, github.TargetConfig{}, nil)
	ctx := context.Background()
	tk := ticket("github:acme/web#1", model.PurposeProgressUpdate)
	ref, err := tg.Create(ctx, tk)
	if err != nil {
		t.Fatal(err)
	}
	s.Edit("acme/delivery", 1, func(is *fakegh.Issue) { is.Labels = append(is.Labels, "reviewed") })
	tk.Title = "Checkout v2: week 3"
	if err := tg.Update(ctx, ref, tk); err != nil {
		t.Fatal(err)
	}
	if err := tg.Comment(ctx, ref, "Forecast moved to 18 December."); err != nil {
		t.Fatal(err)
	}
	is := s.Issues("acme/delivery")[0]
	if is.Title != "Checkout v2: week 3" || !contains(is.Labels, "reviewed") || !contains(is.Labels, tk.Fingerprint) {
		t.Fatalf("after update: title %q labels %v", is.Title, is.Labels)
	}
	if len(is.Comments) != 1 {
		t.Fatalf("comments %v", is.Comments)
	}
}

func TestFindIgnoresIssuesWithTheLabelButNoMarker(t *testing.T) {
	s := fakegh.New(testToken)
	defer s.Close()
	tk := ticket("github:acme/web#1", model.PurposeClientNotice)
	// Someone copied the label by hand onto an unrelated issue.
	s.AddIssue("acme/delivery", fakegh.Issue{Title: "unrelated", Labels: []string{tk.Fingerprint}, Body: "no marker"})
	tg := newTarget(t, s, github.TargetConfig{}, nil)
	ref, err := tg.Find(context.Background(), tk.Fingerprint)
	if err != nil || ref != nil {
		t.Fatalf("Find = %+v, %v; want nothing", ref, err)
	}
}

func TestLongBodyKeepsTheMarker(t *testing.T) {
	s := fakegh.New(testToken)
	defer s.Close()
	s.AddRepo("acme/delivery")
	tg := newTarget(t, s, github.TargetConfig{}, nil)
	tk := ticket("github:acme/web#1", model.PurposePostMortem)
	tk.Body = strings.Repeat("x", 70000) + "\n" + model.Marker(tk.Fingerprint, model.FormatMarkdown)
	if _, err := tg.Create(context.Background(), tk); err != nil {
		t.Fatal(err)
	}
	ref, err := tg.Find(context.Background(), tk.Fingerprint)
	if err != nil || ref == nil {
		t.Fatalf("a shortened body lost its marker: %v %v", ref, err)
	}
}

func TestTargetConfigValidate(t *testing.T) {
	if err := (github.TargetConfig{Repo: "acme/delivery"}).Validate(); err != nil {
		t.Fatal(err)
	}
	err := (github.TargetConfig{Repo: "acme", Labels: []string{"a,b"}, Assignees: []string{"not a login"}}).Validate()
	for _, want := range []string{"repo:", "labels[0]:", "assignees[0]:"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not name %q", err, want)
		}
	}
	if err := (github.TargetConfig{}).Validate(); err == nil || !strings.Contains(err.Error(), "repo: required") {
		t.Errorf("missing repo: %v", err)
	}
}

func TestTargetFormatAndName(t *testing.T) {
	tg, err := github.NewTarget(github.TargetConfig{Repo: "acme/delivery"}, testEnv(nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	if tg.Format() != model.FormatMarkdown || tg.Name() != "github:acme/delivery" {
		t.Fatalf("%s %s", tg.Format(), tg.Name())
	}
}

func TestTriageAccessLabelsAfterCreating(t *testing.T) {
	s := fakegh.New(testToken)
	defer s.Close()
	s.SetRole("acme/delivery", "triage")
	tg := newTarget(t, s, github.TargetConfig{}, newCache())
	tk := ticket("github:acme/web#1", model.PurposeClientNotice)
	ref, how, err := ensure(context.Background(), tg, tk)
	if err != nil || how != "created" {
		t.Fatalf("%v %s", err, how)
	}
	// GitHub dropped the labels on create; they were added afterwards, so
	// the next run finds the ticket.
	if _, how, err := ensure(context.Background(), tg, tk); err != nil || how != "found" {
		t.Fatalf("second run: %v %s (ref %s)", err, how, ref.ID)
	}
	if n := len(s.Issues("acme/delivery")); n != 1 {
		t.Fatalf("%d issues, want 1", n)
	}
}

func TestReadOnlyAccessStopsCreatingAfterTheFirstUnlabelledIssue(t *testing.T) {
	s := fakegh.New(testToken)
	defer s.Close()
	s.SetRole("acme/delivery", "read")
	cache := newCache()
	ctx := context.Background()
	tk := ticket("github:acme/web#1", model.PurposeClientNotice)
	if _, _, err := ensure(ctx, newTarget(t, s, github.TargetConfig{}, cache), tk); err != nil {
		t.Fatalf("first: %v", err)
	}
	// A new process, the same state: it finds the unlabelled ticket among
	// the newest issues by its marker, and creates nothing more there.
	if _, how, err := ensure(ctx, newTarget(t, s, github.TargetConfig{}, cache), tk); err != nil || how != "found" {
		t.Fatalf("second run, same ticket: %v %s; want it found by its marker", err, how)
	}
	_, _, err := ensure(ctx, newTarget(t, s, github.TargetConfig{}, cache), ticket("github:acme/web#2", model.PurposeClientNotice))
	if err == nil || !strings.Contains(err.Error(), "triage or write access") {
		t.Fatalf("second run: %v; want a refusal that says what access is missing", err)
	}
	if n := len(s.Issues("acme/delivery")); n != 1 {
		t.Fatalf("%d issues, want 1", n)
	}
}

// A person editing the title or the body is seen by Find (Edited), so the
// worker comments instead of overwriting; GitHub turning line endings into
// CRLF, or labels a person adds, are not edits of the text.
func TestFindSeesAPersonsEdit(t *testing.T) {
	s := fakegh.New(testToken)
	defer s.Close()
	s.AddRepo("acme/delivery")
	tg := newTarget(t, s, github.TargetConfig{}, nil)
	ctx := context.Background()
	tk := ticket("github:acme/web#1", model.PurposeClientNotice)
	if _, err := tg.Create(ctx, tk); err != nil {
		t.Fatal(err)
	}
	find := func() *model.TicketRef {
		t.Helper()
		ref, err := tg.Find(ctx, tk.Fingerprint)
		if err != nil || ref == nil {
			t.Fatalf("Find = %v, %v", ref, err)
		}
		return ref
	}
	if find().Edited {
		t.Fatal("a ticket as written counts as edited")
	}
	s.Edit("acme/delivery", 1, func(is *fakegh.Issue) {
		is.Body = strings.ReplaceAll(is.Body, "\n", "\r\n")
		is.Labels = append(is.Labels, "reviewed")
	})
	if find().Edited {
		t.Fatal("CRLF line endings and a new label count as an edit")
	}
	s.Edit("acme/delivery", 1, func(is *fakegh.Issue) {
		is.Body = strings.Replace(is.Body, "Dear client,", "Dear client,\r\n\r\nThe cause: a late sign-off.", 1)
	})
	if !find().Edited {
		t.Fatal("a sentence a person added is not seen")
	}
	// forewarn writing the ticket again makes it its own once more.
	if err := tg.Update(ctx, *find(), tk); err != nil {
		t.Fatal(err)
	}
	if find().Edited {
		t.Fatal("edited after forewarn rewrote it")
	}
	s.Edit("acme/delivery", 1, func(is *fakegh.Issue) { is.Title = "Checkout v2: new date agreed" })
	if !find().Edited {
		t.Fatal("a new title is not seen")
	}
}

// TestTargetContract: the GitHub target keeps the contract every target
// keeps (internal/tracker/targettest), against the fake GitHub.
func TestTargetContract(t *testing.T) {
	targettest.Run(t, func(t *testing.T) targettest.Harness {
		s := fakegh.New(testToken)
		t.Cleanup(s.Close)
		s.AddRepo("acme/delivery")
		number := func(ref model.TicketRef) int {
			n, err := strconv.Atoi(strings.TrimPrefix(ref.ID, "acme/delivery#"))
			if err != nil {
				t.Fatalf("ticket id %q", ref.ID)
			}
			return n
		}
		closeAs := func(reason string) func(model.TicketRef) {
			return func(ref model.TicketRef) {
				s.Edit("acme/delivery", number(ref), func(is *fakegh.Issue) { is.State, is.StateReason, is.ClosedAt = "closed", reason, now })
			}
		}
		return targettest.Harness{
			Target:  newTarget(t, s, github.TargetConfig{}, newCache()),
			Ticket:  ticket("github:acme/web#1", model.PurposeClientNotice),
			Creates: func() int { return s.Stats()["POST /repos/{owner}/{repo}/issues"].Requests },
			Tickets: func() int { return len(s.Issues("acme/delivery")) },
			LoseNextCreate: func() {
				s.Inject(fakegh.Fault{Method: "POST", Route: "/repos/{owner}/{repo}/issues", Kind: fakegh.FaultLoseResponse})
			},
			Edit: func(ref model.TicketRef, add string) {
				s.Edit("acme/delivery", number(ref), func(is *fakegh.Issue) { is.Body = add + "\n\n" + is.Body })
			},
			Close:       closeAs("completed"),
			CloseWontDo: closeAs("not_planned"),
		}
	})
}

// FindMany answers for every fingerprint as Find does, in one listing of
// the repository: a labelled ticket, a closed one, one beyond the first
// page of 100 issues, none for a fingerprint without a ticket, and no pull
// request (even one carrying a marker); the oldest of two copies wins. It
// also finds a ticket whose labels GitHub dropped when it is older than
// the 100 newest issues Find looks through for one.
func TestFindManyAnswersAsFind(t *testing.T) {
	s := fakegh.New(testToken)
	defer s.Close()
	s.AddRepo("acme/delivery")
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	fp := func(i int) string {
		return model.Fingerprint(fmt.Sprintf("github:acme/web#%d", i), model.PurposeClientNotice)
	}
	body := func(i int) string { return "Dear client\n\n" + model.Marker(fp(i), model.FormatMarkdown) + "\n" }
	add := func(is fakegh.Issue) {
		is.CreatedAt = base.Add(time.Duration(len(s.Issues("acme/delivery"))) * time.Minute)
		is.UpdatedAt = is.CreatedAt
		s.AddIssue("acme/delivery", is)
	}
	add(fakegh.Issue{Title: "labelled", Body: body(1), State: "open", Labels: []string{fp(1), "forewarn"}})
	add(fakegh.Issue{Title: "labels dropped", Body: body(2), State: "open"})
	add(fakegh.Issue{Title: "closed", Body: body(3), State: "closed", StateReason: "not_planned", ClosedAt: base.Add(48 * time.Hour), Labels: []string{fp(3)}})
	add(fakegh.Issue{Title: "a pull request", Body: body(4), State: "open", PullRequest: true, Labels: []string{fp(4)}})
	for i := range 120 {
		add(fakegh.Issue{Title: fmt.Sprintf("unrelated %d", i), Body: "nothing of ours", State: "open"})
	}
	add(fakegh.Issue{Title: "beyond the first page", Body: body(5), State: "open", Labels: []string{fp(5)}})
	add(fakegh.Issue{Title: "a later copy", Body: body(1), State: "open", Labels: []string{fp(1)}})

	tg := newTarget(t, s, github.TargetConfig{}, newCache())
	ctx := context.Background()
	fps := []string{fp(1), fp(2), fp(3), fp(4), fp(5), fp(6)}
	s.ResetLog()
	many, err := tg.FindMany(ctx, fps)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(s.Requests()); n != 2 {
		t.Errorf("FindMany sent %d requests for 125 issues, want 2 pages", n)
	}
	for _, f := range fps {
		one, err := tg.Find(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		got := many[f]
		if one != nil && (got == nil || *one != *got) || one == nil && got != nil && f != fp(2) {
			t.Errorf("%s: FindMany %+v, Find %+v", f, got, one)
		}
	}
	// The ticket whose labels were dropped is older than the 100 newest
	// issues Find looks through for it; the listing sees it all the same.
	if r := many[fp(2)]; r == nil || r.ID != "acme/delivery#2" {
		t.Errorf("FindMany missed the unlabelled ticket: %+v", r)
	}
	if many[fp(1)] == nil || many[fp(1)].ID != "acme/delivery#1" || many[fp(4)] != nil || many[fp(6)] != nil || many[fp(3)] == nil || many[fp(3)].Open || !many[fp(3)].WontDo {
		t.Errorf("FindMany = %v", many)
	}
}
