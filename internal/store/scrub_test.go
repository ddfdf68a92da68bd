package store

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

func TestScrubber(t *testing.T) {
	const pw = "s3cr/t+pw"
	urlDSN := "postgres://forewarn:" + url.PathEscape(pw) + "@db.internal:5432/state"
	cases := []struct{ name, dsn, text string }{
		{"the DSN itself", urlDSN, "cannot reach " + urlDSN},
		{"raw password", urlDSN, "auth failed for password " + pw},
		{"query-escaped", urlDSN, "x=" + url.QueryEscape(pw)},
		{"userinfo of another URL", urlDSN, "dial postgres://someone:other-secret@host/db failed"},
		{"key=value", "host=db password='" + pw + "'", "parse error near password='" + pw + "' here"},
		{"key=value, bare", "host=db password=" + pw, "bad: password=" + pw + " sslmode=x"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := scrubber(c.dsn, pw)(c.text)
			for _, leak := range []string{pw, url.QueryEscape(pw), url.PathEscape(pw), "other-secret"} {
				if strings.Contains(got, leak) {
					t.Fatalf("scrubbed text %q still holds %q", got, leak)
				}
			}
			if !strings.Contains(got, "[redacted]") {
				t.Fatalf("nothing redacted in %q", got)
			}
		})
	}
}

func TestRedactKeepsCancellation(t *testing.T) {
	scrub := scrubber("postgres://u:pw-123@h/d", "pw-123")
	err := redact(scrub, fmt.Errorf("query with pw-123: %w", context.DeadlineExceeded))
	if !errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "pw-123") {
		t.Fatalf("redact = %v", err)
	}
	inner := errors.New("dsn postgres://u:pw-123@h/d")
	if err := redact(scrub, fmt.Errorf("x: %w", inner)); errors.Is(err, inner) {
		t.Fatal("the redacted error still wraps the driver's error, whose text holds the secret")
	}
}

// Whatever the password, neither it nor its escaped forms survive in a
// text holding the DSN and the password.
func FuzzScrubber(f *testing.F) {
	for _, s := range []string{"hunter2", "p@ss:word/with?odd&chars", "ünïcødé-pw", "a b c", "'quoted'"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, pw string) {
		if len(pw) < 3 || strings.ContainsAny(pw, "[]\n") || strings.Contains("[redacted]", pw) {
			t.Skip()
		}
		dsn := "postgres://" + url.UserPassword("forewarn", pw).String() + "@127.0.0.1:5432/state"
		text := dsn + "\n" + pw + "\n" + url.QueryEscape(pw)
		got := strings.ReplaceAll(scrubber(dsn, pw)(text), "[redacted]", "")
		for _, leak := range []string{pw, url.QueryEscape(pw), url.PathEscape(pw)} {
			if len(leak) >= 3 && strings.Contains(got, leak) {
				t.Fatalf("%q leaked %q: %q", pw, leak, got)
			}
		}
	})
}
