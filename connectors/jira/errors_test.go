package jira_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/forewarn/forewarn/connectors/jira"
	"github.com/forewarn/forewarn/internal/model"
)

// Every Jira call's failure goes through one translator into an
// *jira.APIError, whichever way go-jira handed it back: a typed service
// that parsed Jira's error body (AddComment), one that left it unread
// (Create), and a hand-built request (serverInfo). Jira's errorMessages and
// errors map are carried; any other body — a gateway's page quoting the
// request's Authorization header — is not, so no credential reaches the
// error text.
func TestOneErrorTranslator(t *testing.T) {
	basic := base64.StdEncoding.EncodeToString([]byte(email + ":" + token))
	for _, answer := range []struct {
		name         string
		status       int
		contentType  string
		body         string
		wantMessages []string
		wantFields   map[string]string
	}{
		{"jira's error body", http.StatusBadRequest, "application/json;charset=UTF-8",
			`{"errorMessages":["Issue does not exist or you do not have permission to see it."],"errors":{"summary":"You must specify a summary of the issue."}}`,
			[]string{"Issue does not exist or you do not have permission to see it."}, map[string]string{"summary": "You must specify a summary of the issue."}},
		{"a proxy's page echoing the credential", http.StatusForbidden, "text/html",
			`<html><body>Forbidden by proxy. Your request: Authorization: Basic ` + basic + `</body></html>`, nil, nil},
		{"JSON echoing the credential in other keys", http.StatusBadRequest, "application/json",
			`{"message":"upstream failed","request":{"headers":{"Authorization":"Basic ` + basic + `"}}}`, nil, nil},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", answer.contentType)
			w.WriteHeader(answer.status)
			w.Write([]byte(answer.body))
		}))
		t.Cleanup(srv.Close)
		env := newSite(t, true).env
		conn := jira.ConnConfig{BaseURL: srv.URL, Auth: jira.AuthConfig{EmailEnv: emailV, TokenEnv: tokenV}, Deployment: jira.DeployCloud}
		tg, err := jira.NewTarget(jira.TargetConfig{ConnConfig: conn, Project: "REV"}, env)
		if err != nil {
			t.Fatal(err)
		}
		conn.Deployment = "" // asks serverInfo, a hand-built request
		src, err := jira.NewSource("jira", jira.SourceConfig{ConnConfig: conn, Projects: []string{"WEB"}}, env)
		if err != nil {
			t.Fatal(err)
		}
		ref := model.TicketRef{ID: "REV-1"}
		calls := map[string]func() error{
			"Create (typed, go-jira leaves the body unread)": func() error {
				_, err := tg.Create(context.Background(), model.Ticket{Fingerprint: "fw-1", Title: "t", Body: "b", MilestoneKey: "m"})
				return err
			},
			"Comment (typed, go-jira parses the body)": func() error { return tg.Comment(context.Background(), ref, "hello") },
			"Reopen (typed, go-jira parses the body)":  func() error { return tg.Reopen(context.Background(), ref) },
			"Fetch (hand-built serverInfo)": func() error {
				_, err := src.Fetch(context.Background())
				return err
			},
		}
		for name, call := range calls {
			err := call()
			var ae *jira.APIError
			if !errors.As(err, &ae) || ae.Status != answer.status {
				t.Errorf("%s / %s: %v; want an APIError with status %d", answer.name, name, err, answer.status)
				continue
			}
			if !reflect.DeepEqual(ae.Messages, answer.wantMessages) || !reflect.DeepEqual(ae.Fields, answer.wantFields) {
				t.Errorf("%s / %s: messages %q fields %v; want %q %v", answer.name, name, ae.Messages, ae.Fields, answer.wantMessages, answer.wantFields)
			}
			if ae.Definite() != (answer.status < 500) {
				t.Errorf("%s / %s: Definite() = %v for status %d", answer.name, name, ae.Definite(), answer.status)
			}
			for _, secret := range []string{basic, token} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("%s / %s: the error carries a credential: %v", answer.name, name, err)
				}
			}
		}
	}
}
