package store_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn/internal/store"
)

// The canary must never appear in an error, in any form.
const canary = "Canary-pw/7Zq+x"

func assertNoCanary(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		t.Fatal("Open succeeded; want an error")
	}
	for _, form := range []string{canary, url.QueryEscape(canary), url.PathEscape(canary), url.UserPassword("u", canary).String(), "Canary-pw"} {
		if strings.Contains(err.Error(), form) {
			t.Fatalf("the password (%q) leaked into the error: %v", form, err)
		}
	}
}

func openPG(dsn string) error {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := store.Open(c, store.Config{Driver: "postgres", DSNEnv: "STATE_DSN"},
		func(k string) string {
			if k == "STATE_DSN" {
				return dsn
			}
			return ""
		})
	if err == nil {
		s.Close()
	}
	return err
}

func TestPostgresErrorsHideTheDSN(t *testing.T) {
	esc := url.UserPassword("forewarn", canary).String()
	cases := []struct {
		name, dsn string
	}{
		{"nothing listens", "postgres://" + esc + "@127.0.0.1:1/state?sslmode=disable&connect_timeout=3"},
		{"bad port", "postgres://" + esc + "@127.0.0.1:notaport/state"},
		{"unknown sslmode", "postgres://" + esc + "@127.0.0.1:5432/state?sslmode=sometimes"},
		{"key=value form", "host=127.0.0.1 port=1 user=forewarn password='" + canary + "' dbname=state sslmode=disable connect_timeout=3"},
		{"key=value, unparseable", "host=127.0.0.1 port=x password=" + canary},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := openPG(c.dsn)
			assertNoCanary(t, err)
			if !strings.Contains(err.Error(), "STATE_DSN") {
				t.Fatalf("the error does not say where the DSN came from: %v", err)
			}
		})
	}
	t.Run("variable unset", func(t *testing.T) {
		err := openPG("")
		if err == nil || !strings.Contains(err.Error(), "STATE_DSN") || !strings.Contains(err.Error(), "empty or unset") {
			t.Fatalf("err = %v", err)
		}
	})
}

// A real server refusing a wrong password: its error names the user and
// host, never the password.
func TestPostgresWrongPasswordHidden(t *testing.T) {
	u, err := url.Parse(pgDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), canary)
	err = openPG(u.String())
	assertNoCanary(t, err)
	if !strings.Contains(err.Error(), "password authentication failed") {
		t.Fatalf("want the server's refusal, got: %v", err)
	}
}
