package jira_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn/connectors/jira"
	"github.com/forewarn/forewarn/internal/model"
	fake "github.com/forewarn/forewarn/internal/testserver/jira"
	"github.com/forewarn/forewarn/internal/tracker"
	"github.com/forewarn/forewarn/internal/tracker/targettest"
)

func newTarget(t *testing.T, s *site, mod func(*jira.TargetConfig)) *jira.Target {
	t.Helper()
	cfg := jira.TargetConfig{ConnConfig: s.conn, Project: "REV", Labels: []string{"client-comms"}, Components: []string{"Delivery"},
		Priority: "High", Assignee: "owner-1"}
	if mod != nil {
		mod(&cfg)
	}
	tg, err := jira.NewTarget(cfg, s.env)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

func ticket(host, milestoneKey string) model.Ticket {
	fp := model.Fingerprint(milestoneKey, model.PurposeClientNotice)
	return model.Ticket{Fingerprint: fp, Purpose: model.PurposeClientNotice, MilestoneKey: milestoneKey, Rule: "at-risk",
		Format: model.FormatJiraWiki, Title: "WEB 1.0 is at risk", Labels: model.TicketLabels(fp, model.PurposeClientNotice),
		Body:        "h2. Draft\nThe release moves.\n!burndown.png!\n" + model.Marker(fp, model.FormatJiraWiki),
		Attachments: []model.Attachment{{Name: "burndown.png", ContentType: "image/png", Data: []byte("\x89PNG fake")}}}
}

func TestTargetCreateFindUpdate(t *testing.T) {
	for _, cloud := range []bool{true, false} {
		name := map[bool]string{true: "cloud", false: "datacenter"}[cloud]
		t.Run(name, func(t *testing.T) {
			s := newSite(t, cloud)
			s.seed()
			s.srv.AddVersion(fake.Version{ID: "10200", Project: "REV", Name: "R1", ReleaseDate: "2026-04-01"})
			host := strings.TrimPrefix(s.srv.URL, "http://")
			tg := newTarget(t, s, nil)
			ctx := context.Background()
			tk := ticket(host, jira.VersionKey(host, "REV", "10200"))

			if ref, err := tg.Find(ctx, tk.Fingerprint); err != nil || ref != nil {
				t.Fatalf("Find before create = %v, %v", ref, err)
			}
			ref, err := tg.Create(ctx, tk)
			if err != nil {
				t.Fatal(err)
			}
			if ref.ID != "REV-1" || !ref.Open || ref.Digest != tk.Digest() {
				t.Errorf("ref = %+v", ref)
			}
			is := s.srv.Issues("REV")[0]
			if !contains(is.Labels, tk.Fingerprint) || !contains(is.Labels, "client-comms") || !model.HasMarker(is.Description, tk.Fingerprint) {
				t.Errorf("issue labels %v / description %q", is.Labels, is.Description)
			}
			if is.Priority != "High" || len(is.Components) != 1 || is.Assignee != "owner-1" || is.Type != "Task" {
				t.Errorf("issue fields %+v", is)
			}
			if len(is.FixVersions) != 1 || is.FixVersions[0] != "10200" {
				t.Errorf("fixVersions %v: the ticket is not linked to its version", is.FixVersions)
			}
			if len(is.Attachments) != 1 || is.Attachments[0].Filename != "burndown.png" || is.Attachments[0].ContentType != "image/png" ||
				is.Attachments[0].Size != len(tk.Attachments[0].Data) {
				t.Errorf("attachments %+v", is.Attachments)
			}
			found, err := tg.Find(ctx, tk.Fingerprint)
			if err != nil || found == nil || found.ID != "REV-1" || found.Digest != tk.Digest() {
				t.Fatalf("Find after create = %+v, %v", found, err)
			}
			tk2 := tk
			tk2.Title = "WEB 1.0 is late"
			if err := tg.Update(ctx, *found, tk2); err != nil {
				t.Fatal(err)
			}
			if err := tg.Comment(ctx, *found, "The forecast moved."); err != nil {
				t.Fatal(err)
			}
			is = s.srv.Issues("REV")[0]
			if is.Summary != "WEB 1.0 is late" || len(is.Comments) != 1 || len(s.srv.Issues("REV")) != 1 {
				t.Errorf("after update: %+v", is)
			}
			again, _ := tg.Find(ctx, tk.Fingerprint)
			if again.Digest != tk2.Digest() || again.Edited {
				t.Errorf("after update: digest %q (want %q), edited %v", again.Digest, tk2.Digest(), again.Edited)
			}

			// A person's edit is seen; Jira reformatting the markup is not.
			s.srv.Edit("REV-1", func(is *fake.Issue) {
				is.Description = strings.ReplaceAll(is.Description, "\n", "\r\n")
				is.Description = strings.Replace(is.Description, "h2. Draft", "h2.  Draft", 1)
			})
			if ref, _ := tg.Find(ctx, tk.Fingerprint); ref == nil || ref.Edited {
				t.Errorf("reformatted markup counts as an edit: %+v", ref)
			}
			s.srv.Edit("REV-1", func(is *fake.Issue) {
				is.Description = strings.Replace(is.Description, "The release moves.", "The release moves. Cause: a late sign-off.", 1)
			})
			if ref, _ := tg.Find(ctx, tk.Fingerprint); ref == nil || !ref.Edited {
				t.Errorf("a sentence a person added is not seen: %+v", ref)
			}
			s.srv.Edit("REV-1", func(is *fake.Issue) {
				is.Description = strings.Replace(is.Description, " Cause: a late sign-off.", "", 1)
				is.Summary = "WEB 1.0: new date agreed"
			})
			if ref, _ := tg.Find(ctx, tk.Fingerprint); ref == nil || !ref.Edited {
				t.Errorf("a new summary is not seen: %+v", ref)
			}
			for _, r := range s.srv.Requests() {
				if r.Route == "/rest/api/2/issue/{key}/attachments" && r.Header.Get("X-Atlassian-Token") != "no-check" {
					t.Error("attachment sent without X-Atlassian-Token: no-check")
				}
			}
		})
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func TestTargetWebLinkForOtherMilestones(t *testing.T) {
	s := newSite(t, true)
	s.seed()
	host := strings.TrimPrefix(s.srv.URL, "http://")
	tg := newTarget(t, s, nil)
	tk := ticket(host, jira.VersionKey(host, "WEB", "10100")) // a version of another project
	if _, err := tg.Create(context.Background(), tk); err != nil {
		t.Fatal(err)
	}
	is := s.srv.Issues("REV")[0]
	if len(is.FixVersions) != 0 || len(is.RemoteLinks) != 1 || !strings.HasSuffix(is.RemoteLinks[0].URL, "/projects/WEB/versions/10100") {
		t.Errorf("fixVersions %v, links %+v", is.FixVersions, is.RemoteLinks)
	}
}

func TestTargetLabelsNotOnScreen(t *testing.T) {
	s := newSite(t, true)
	s.seed()
	s.srv.LabelsOnScreen = false
	host := strings.TrimPrefix(s.srv.URL, "http://")
	tg := newTarget(t, s, nil)
	ctx := context.Background()
	tk := ticket(host, jira.SprintKey(host, 7))
	ref, err := tg.Create(ctx, tk)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(s.srv.Issues("REV")); n != 1 {
		t.Fatalf("%d issues, want 1", n)
	}
	if s.srv.Count("POST /rest/api/2/issue") != 2 {
		t.Errorf("creates sent: %d, want 2 (refused with labels, then without)", s.srv.Count("POST /rest/api/2/issue"))
	}
	if !strings.Contains(s.log.String(), "refused labels") {
		t.Errorf("the fallback is not logged: %s", s.log.String())
	}
	// A fresh process (no memory of the refusal) still finds it by marker.
	found, err := newTarget(t, s, nil).Find(ctx, tk.Fingerprint)
	if err != nil || found == nil || found.ID != ref.ID {
		t.Fatalf("Find by marker = %+v, %v", found, err)
	}
}

func TestTargetLostCreateResponseNoDuplicate(t *testing.T) {
	for _, cloud := range []bool{true, false} {
		s := newSite(t, cloud)
		s.seed()
		host := strings.TrimPrefix(s.srv.URL, "http://")
		tg := newTarget(t, s, nil)
		ctx := context.Background()
		tk := ticket(host, jira.SprintKey(host, 7))
		s.srv.Inject(fake.Fault{Method: "POST", Route: "/rest/api/2/issue", Kind: fake.FaultLoseResponse})
		if _, err := tg.Create(ctx, tk); err == nil {
			t.Fatal("Create reported success though the answer was lost")
		}
		if s.srv.Count("POST /rest/api/2/issue") != 1 {
			t.Errorf("cloud=%v: create sent %d times; never retried blindly", cloud, s.srv.Count("POST /rest/api/2/issue"))
		}
		found, err := tg.Find(ctx, tk.Fingerprint)
		if err != nil || found == nil {
			t.Fatalf("cloud=%v: Find after a lost create = %v, %v", cloud, found, err)
		}
		if n := len(s.srv.Issues("REV")); n != 1 {
			t.Errorf("cloud=%v: %d issues", cloud, n)
		}
	}
}

func TestTargetCreateNotRetriedOn5xx(t *testing.T) {
	s := newSite(t, true)
	s.seed()
	host := strings.TrimPrefix(s.srv.URL, "http://")
	tg := newTarget(t, s, nil)
	s.srv.Inject(fake.Fault{Method: "POST", Route: "/rest/api/2/issue", Kind: fake.FaultStatus, Status: 502})
	_, err := tg.Create(context.Background(), ticket(host, jira.SprintKey(host, 7)))
	var ae *jira.APIError
	if !errors.As(err, &ae) || ae.Status != 502 {
		t.Fatalf("err = %v", err)
	}
	if s.srv.Count("POST /rest/api/2/issue") != 1 {
		t.Errorf("a create answered 502 was sent %d times", s.srv.Count("POST /rest/api/2/issue"))
	}
}

func TestTargetCreateRetriedAfter429(t *testing.T) {
	s := newSite(t, true)
	s.seed()
	host := strings.TrimPrefix(s.srv.URL, "http://")
	tg := newTarget(t, s, nil)
	s.srv.Inject(fake.Fault{Method: "POST", Route: "/rest/api/2/issue", Kind: fake.FaultTooMany, RetryAfter: time.Second})
	start := time.Now()
	if _, err := tg.Create(context.Background(), ticket(host, jira.SprintKey(host, 7))); err != nil {
		t.Fatal(err)
	}
	if len(s.srv.Issues("REV")) != 1 || s.srv.Count("POST /rest/api/2/issue") != 2 {
		t.Errorf("issues %d, creates %d: a 429 means Jira did not act, so one retry", len(s.srv.Issues("REV")), s.srv.Count("POST /rest/api/2/issue"))
	}
	if time.Since(start) < time.Second {
		t.Errorf("Retry-After: 1 not honoured")
	}
}

func TestTargetReopenAndWontDo(t *testing.T) {
	s := newSite(t, false)
	s.seed()
	host := strings.TrimPrefix(s.srv.URL, "http://")
	tg := newTarget(t, s, nil)
	ctx := context.Background()
	tk := ticket(host, jira.SprintKey(host, 7))
	ref, err := tg.Create(ctx, tk)
	if err != nil {
		t.Fatal(err)
	}
	closed := now.Add(-48 * time.Hour)
	s.srv.Resolve(ref.ID, "Done", closed)
	found, _ := tg.Find(ctx, tk.Fingerprint)
	if found.Open || found.WontDo || !found.ClosedAt.Equal(closed) {
		t.Fatalf("closed ref = %+v", found)
	}
	if err := tg.Reopen(ctx, *found); err != nil {
		t.Fatal(err)
	}
	if is := s.srv.Issues("REV")[0]; is.Category != "new" {
		t.Errorf("after reopen: %s", is.Status)
	}
	s.srv.Resolve(ref.ID, "Won't Do", closed)
	found, _ = tg.Find(ctx, tk.Fingerprint)
	if !found.WontDo {
		t.Fatalf("won't do not recognised: %+v", found)
	}
	if err := tg.Reopen(ctx, *found); err == nil {
		t.Error("a won't-do ticket was reopened")
	}
}

func TestTargetUnauthorized(t *testing.T) {
	s := newSite(t, false)
	s.env.Getenv = func(k string) string { return map[string]string{patV: "bad-pat"}[k] }
	tg := newTarget(t, s, nil)
	_, err := tg.Find(context.Background(), "fw-0123456789abcdef")
	var ae *jira.APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusUnauthorized || strings.Contains(err.Error(), "bad-pat") {
		t.Fatalf("err = %v", err)
	}
}

var _ tracker.Target = (*jira.Target)(nil)

func TestTargetJQLErrorBody(t *testing.T) {
	s := newSite(t, true)
	s.seed()
	tg := newTarget(t, s, func(c *jira.TargetConfig) { c.Project = "NOPE" })
	_, err := tg.Find(context.Background(), "fw-0123456789abcdef")
	var ae *jira.APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusBadRequest {
		t.Fatalf("err = %v, want a 400", err)
	}
	if len(ae.Messages) != 1 || ae.Messages[0] != "The value 'NOPE' does not exist for the field 'project'." {
		t.Errorf("messages %q: Jira's errorMessages not carried", ae.Messages)
	}
	if s.srv.Count("GET /rest/api/2/search/jql") != 1 {
		t.Errorf("a 400 JQL error was retried: %v", s.srv.Counts())
	}
}

// FindMany finds every ticket of a batch in one search per fifty
// fingerprints, by label or, where the create screen refused labels, by
// the marker alone (as Find does), and says nothing of the ones that do
// not exist: the worker takes that as the answer.
func TestTargetFindManyOneSearch(t *testing.T) {
	for _, cloud := range []bool{true, false} {
		t.Run(map[bool]string{true: "cloud", false: "datacenter"}[cloud], func(t *testing.T) {
			s := newSite(t, cloud)
			s.seed()
			host := strings.TrimPrefix(s.srv.URL, "http://")
			tg := newTarget(t, s, nil)
			ctx := context.Background()
			var fps []string
			want := map[string]string{}
			create := func(tk model.Ticket) {
				ref, err := tg.Create(ctx, tk)
				if err != nil {
					t.Fatal(err)
				}
				want[tk.Fingerprint] = ref.ID
			}
			var markerOnly []model.Ticket
			for i := range 60 {
				tk := ticket(host, fmt.Sprintf("jira:%s/WEB:version:%d", host, 20000+i))
				fps = append(fps, tk.Fingerprint)
				switch {
				case i%10 == 0: // every tenth one carries the marker alone
					markerOnly = append(markerOnly, tk)
				case i%2 == 0: // every other one exists
					create(tk)
				}
			}
			s.srv.LabelsOnScreen = false
			for _, tk := range markerOnly {
				create(tk)
			}
			for _, is := range s.srv.Issues("REV") {
				if len(is.Labels) == 0 {
					markerOnly = markerOnly[1:]
				}
			}
			if len(markerOnly) != 0 {
				t.Fatalf("%d tickets carry labels that should not", len(markerOnly))
			}
			s.srv.ResetLog()
			got, err := newTarget(t, s, nil).FindMany(ctx, fps) // a fresh process: no memory of the refusal
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("found %d tickets, want %d", len(got), len(want))
			}
			for fp, id := range want {
				if got[fp] == nil || got[fp].ID != id || !got[fp].Open {
					t.Errorf("%s: got %+v, want %s", fp, got[fp], id)
				}
			}
			searches := 0
			for _, r := range s.srv.Requests() {
				if strings.Contains(r.Route, "/search") {
					searches++
				}
			}
			if searches != 2 { // 60 fingerprints: two batches of at most 50
				t.Errorf("%d searches for 60 fingerprints, want 2", searches)
			}
		})
	}
}

// TestTargetContract: the Jira target keeps the contract every target
// keeps (internal/tracker/targettest), against the fake Jira Cloud and
// Data Center.
func TestTargetContract(t *testing.T) {
	for _, cloud := range []bool{true, false} {
		t.Run(map[bool]string{true: "cloud", false: "datacenter"}[cloud], func(t *testing.T) {
			targettest.Run(t, func(t *testing.T) targettest.Harness {
				s := newSite(t, cloud)
				s.seed()
				host := strings.TrimPrefix(s.srv.URL, "http://")
				closed := now.Add(-48 * time.Hour)
				return targettest.Harness{
					Target:  newTarget(t, s, nil),
					Ticket:  ticket(host, jira.SprintKey(host, 7)),
					Creates: func() int { return s.srv.Count("POST /rest/api/2/issue") },
					Tickets: func() int { return len(s.srv.Issues("REV")) },
					LoseNextCreate: func() {
						s.srv.Inject(fake.Fault{Method: "POST", Route: "/rest/api/2/issue", Kind: fake.FaultLoseResponse})
					},
					Edit: func(ref model.TicketRef, add string) {
						s.srv.Edit(ref.ID, func(is *fake.Issue) { is.Description = add + "\n\n" + is.Description })
					},
					Close:       func(ref model.TicketRef) { s.srv.Resolve(ref.ID, "Done", closed) },
					CloseWontDo: func(ref model.TicketRef) { s.srv.Resolve(ref.ID, "Won't Do", closed) },
				}
			})
		})
	}
}
