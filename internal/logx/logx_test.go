package logx_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/forewarn/forewarn/internal/logx"
)

// canaries are secrets of the shapes trackers hand out, and two with
// characters JSON escapes.
var canaries = []string{
	"ghp_CANARYcanary0123456789abcdefABCDEF",
	"ATATT3xFfGF0-CANARY=jira+token/with/slashes",
	`pa"ss\word-CANARY`,
	"multi\nline-CANARY-key",
}

// logEverything writes the secret at every level in every shape a careless
// call site might use.
func logEverything(log zerolog.Logger, secret string) {
	levels := []zerolog.Level{zerolog.TraceLevel, zerolog.DebugLevel, zerolog.InfoLevel, zerolog.WarnLevel,
		zerolog.ErrorLevel, zerolog.FatalLevel, zerolog.PanicLevel, zerolog.NoLevel}
	for _, lvl := range levels {
		log.WithLevel(lvl).Str("token", secret).Msg("token is " + secret)
		log.WithLevel(lvl).Err(fmt.Errorf("GET https://x:%s@api.example/: %w", secret, errors.New("401"))).Send()
		log.WithLevel(lvl).Interface("header", map[string][]string{"Authorization": {"Bearer " + secret}}).Send()
		log.WithLevel(lvl).Dict("auth", zerolog.Dict().Str("password", secret)).Msgf("%s", secret)
		log.WithLevel(lvl).Strs("env", []string{"TOKEN=" + secret}).Bytes("raw", []byte(secret)).Send()
	}
	child := log.With().Str("ctx_token", secret).Logger()
	child.Info().Msg("child logger")
}

func TestCanaryNeverLogged(t *testing.T) {
	for _, secret := range canaries {
		for _, mode := range []string{"json", "console"} {
			t.Run(mode+"/"+secret[:8], func(t *testing.T) {
				var buf bytes.Buffer
				red := &logx.Redactor{}
				red.Add(secret)
				var log zerolog.Logger
				if mode == "json" {
					var err error
					log, err = logx.NewRedacted(&buf, "trace", red)
					if err != nil {
						t.Fatal(err)
					}
				} else {
					log = zerolog.New(zerolog.ConsoleWriter{Out: red.Writer(&buf), NoColor: true}).Level(zerolog.TraceLevel)
				}
				logEverything(log, secret)
				out := buf.String()
				lines := strings.Count(out, "\n")
				if lines < 41 {
					t.Fatalf("only %d lines written; the test logs nothing?", lines)
				}
				for _, form := range forms(secret) {
					if strings.Contains(out, form) {
						t.Fatalf("the secret (form %q) appears in the log:\n%s", form, out)
					}
				}
				if !strings.Contains(out, logx.Redacted) {
					t.Fatalf("no %s marker in the log", logx.Redacted)
				}
				if mode == "json" {
					for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
						if !json.Valid([]byte(l)) {
							t.Fatalf("redaction broke a JSON line: %s", l)
						}
					}
				}
			})
		}
	}
}

// forms are the ways a secret can appear in output, and its distinctive
// middle part (a partial leak).
func forms(s string) []string {
	j, _ := json.Marshal(s)
	out := []string{s, string(j[1 : len(j)-1])}
	if len(s) > 12 {
		out = append(out, s[4:len(s)-4])
	}
	return out
}

func TestRedactorIgnoresShortValues(t *testing.T) {
	r := &logx.Redactor{}
	r.Add("", "abc", "  ")
	if got := r.String("abc abc"); got != "abc abc" {
		t.Fatalf("short values were redacted: %q", got)
	}
	var nilR *logx.Redactor
	if got := nilR.String("x"); got != "x" {
		t.Fatalf("nil redactor changed text: %q", got)
	}
}

func TestRedactorLongestFirst(t *testing.T) {
	r := &logx.Redactor{}
	r.Add("secret-token", "secret-token-extended")
	if got := r.String("a secret-token-extended b"); got != "a [REDACTED] b" {
		t.Fatalf("got %q", got)
	}
}

func TestAddFromEnv(t *testing.T) {
	env := map[string]string{"GITHUB_TOKEN": "ghs_fromtheenv123", "EMPTY": ""}
	r := &logx.Redactor{}
	r.AddFromEnv(func(k string) string { return env[k] }, "GITHUB_TOKEN", "EMPTY", "UNSET")
	if got := r.String("token ghs_fromtheenv123"); got != "token [REDACTED]" {
		t.Fatalf("got %q", got)
	}
}

func TestNewLevels(t *testing.T) {
	tests := []struct {
		level   string
		wantErr bool
		debug   bool
	}{
		{"", false, false}, {"debug", false, true}, {"info", false, false}, {"warn", false, false}, {"loud", true, false},
	}
	for _, tc := range tests {
		t.Run(tc.level, func(t *testing.T) {
			var buf bytes.Buffer
			log, err := logx.NewRedacted(&buf, tc.level, nil)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v", err)
			}
			log.Debug().Msg("d")
			if got := buf.Len() > 0; got != tc.debug {
				t.Fatalf("debug written = %v, want %v", got, tc.debug)
			}
		})
	}
}

func TestTerminalProgress(t *testing.T) {
	var buf bytes.Buffer
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	p := logx.NewTerminalProgress(&buf, func() time.Time { return now })
	ctx := logx.WithProgress(context.Background(), p)
	pr := logx.ProgressFrom(ctx)
	pr.Add("acme-gh", "pages", 1)            // first update: drawn
	pr.Set("acme-gh", "requests left", 4999) // within 100 ms: not drawn
	now = now.Add(150 * time.Millisecond)
	pr.Add("shop-jira", "pages", 2)
	pr.Set("acme-gh", "milestones", 4)
	pr.Done("acme-gh")
	pr.Set("write", "written", 0)
	pr.Set("write", "of planned", 3)
	now = now.Add(150 * time.Millisecond)
	pr.Add("write", "written", 1)
	want := "\033[2Kacme-gh: 1 pages\n" +
		"\033[1F\033[2Kacme-gh: 1 pages, 4999 requests left\n\033[2Kshop-jira: 2 pages\n" +
		"\033[2F\033[2Kacme-gh: 1 pages, 4999 requests left, 4 milestones, done\n\033[2Kshop-jira: 2 pages\n" +
		"\033[2F\033[2Kacme-gh: 1 pages, 4999 requests left, 4 milestones, done\n\033[2Kshop-jira: 2 pages\n\033[2Kwrite: 1 written of 3 planned\n"
	if got := buf.String(); got != want {
		t.Fatalf("drawn:\n%q\nwant:\n%q", got, want)
	}
}

func TestProgressOffTerminalIsSilent(t *testing.T) {
	var buf bytes.Buffer
	p, w := logx.NewProgress(&buf, false)
	if w != io.Writer(&buf) {
		t.Fatal("off a terminal, the writer is not passed through")
	}
	p.Add("github acme/web", "pages", 1)
	p.Done("github acme/web")
	if buf.Len() != 0 {
		t.Fatalf("wrote to a non-terminal: %q", buf.String())
	}
	logx.ProgressFrom(context.Background()).Add("x", "pages", 1) // no display: no panic
	if logx.TaskFrom(logx.WithTask(context.Background(), "src")) != "src" {
		t.Fatal("task lost")
	}
}

// TestRedactorEveryEncoding: a secret is scrubbed in each form forewarn
// sends it (basic-auth base64, bearer, URL-encoded, JSON-escaped), and
// credentials forewarn never held as a value (a minted installation token,
// a JWT, a PEM key) are scrubbed by shape when a server quotes them back.
func TestRedactorEveryEncoding(t *testing.T) {
	const email, token, pat = "pm@example.com", "ATATT3x/CANARY+tok=en", `pat"CANARY\x`
	r := &logx.Redactor{}
	r.AddBasic(email, token)
	r.Add(pat)
	basic := base64.StdEncoding.EncodeToString([]byte(email + ":" + token))
	jpat, _ := json.Marshal(pat)
	for name, text := range map[string]string{
		"basic header":       "Authorization: Basic " + basic,
		"basic in json":      `{"Authorization":["Basic ` + basic + `"]}`,
		"basic alone":        "echo " + basic + " echo",
		"token raw":          "token=" + token,
		"token query":        "?t=" + url.QueryEscape(token),
		"token path":         "/x/" + url.PathEscape(token),
		"token base64url":    base64.URLEncoding.EncodeToString([]byte(token)),
		"pat bearer":         "Bearer " + pat,
		"pat json":           `{"p":` + string(jpat) + `}`,
		"installation token": `{"Authorization":["token ghs_fake7000000000000000000000000001001"]}`,
		"short echoed":       `you sent Authorization: token ghs_x1; ok`,
		"jwt":                "Bearer eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiI0MjQyIn0.c2lnbmF0dXJlc2lnbmF0dXJl",
		"pem":                "key: -----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----",
	} {
		got := r.String(text)
		if strings.Contains(got, logx.Redacted+"]") || strings.Contains(got, "["+logx.Redacted) {
			t.Errorf("%s: redacted twice over: %q", name, got)
		}
		if !strings.Contains(got, logx.Redacted) {
			t.Errorf("%s: nothing redacted in %q", name, got)
		}
		for _, leak := range []string{basic, token, url.QueryEscape(token), "CANARY", "ghs_fake", "ghs_x1", "eyJ", "MIIEpA"} {
			if strings.Contains(got, leak) {
				t.Errorf("%s: %q survives in %q", name, leak, got)
			}
		}
	}
	// Ordinary words next to a scheme are left alone.
	for _, text := range []string{"Basic auth with token_env", "no GitHub token: JIRA_TOKEN is unset", "the Bearer token was refused"} {
		if got := r.String(text); got != text {
			t.Errorf("ordinary text changed: %q → %q", text, got)
		}
	}
}

// TestColorOffAndLevels: NO_COLOR (any value) and TERM=dumb turn colour
// off; an unknown level is one line naming the accepted ones; durations
// carry their unit.
func TestColorOffAndLevels(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for m, want := range map[*map[string]string]bool{
		{"TERM": "xterm-256color"}: false, {"TERM": "dumb"}: true, {"NO_COLOR": "1", "TERM": "xterm"}: true, {}: false,
	} {
		if got := logx.ColorOff(env(*m)); got != want {
			t.Errorf("%v: ColorOff = %v, want %v", *m, got, want)
		}
	}
	if _, err := logx.ParseLevel("loud"); err == nil || err.Error() != `unknown level "loud" (want debug, info, warn, error)` {
		t.Errorf("ParseLevel(loud) = %v", err)
	}
	var buf bytes.Buffer
	log, err := logx.NewRedacted(&buf, "info", nil)
	if err != nil {
		t.Fatal(err)
	}
	log.Info().Dur("took", 1520*time.Millisecond).Send()
	if !strings.Contains(buf.String(), `"took":"1.52s"`) {
		t.Errorf("duration without its unit: %s", buf.String())
	}
}

// overlapWriter is a writer that is not safe for concurrent use, as a
// bytes.Buffer is not, and notices when two writes overlap.
type overlapWriter struct {
	busy    atomic.Bool
	overlap atomic.Bool
	mu      sync.Mutex
	lines   []string
}

func (w *overlapWriter) Write(p []byte) (int, error) {
	if !w.busy.CompareAndSwap(false, true) {
		w.overlap.Store(true)
	}
	time.Sleep(50 * time.Microsecond) // a write that takes a while, as a slow pipe's
	w.mu.Lock()
	w.lines = append(w.lines, string(p))
	w.mu.Unlock()
	w.busy.Store(false)
	return len(p), nil
}

// The connectors, the worker and the write loop log from goroutines of
// their own, into whatever writer the caller gave: the logger hands it one
// event at a time, each whole.
func TestLoggerWritesOneEventAtATime(t *testing.T) {
	w := &overlapWriter{}
	log, err := logx.NewFor(w, "info", &logx.Redactor{}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 40 {
				log.Info().Int("goroutine", g).Int("i", i).Msg("event")
			}
		})
	}
	wg.Wait()
	if w.overlap.Load() {
		t.Error("two log events were written at once")
	}
	if len(w.lines) != 320 {
		t.Fatalf("%d events written, want 320", len(w.lines))
	}
	for _, l := range w.lines {
		var ev map[string]any
		if err := json.Unmarshal([]byte(l), &ev); err != nil || ev["message"] != "event" {
			t.Fatalf("not one whole event: %q (%v)", l, err)
		}
	}
}
