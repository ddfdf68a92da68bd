package config_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn/internal/config"
	"github.com/forewarn/forewarn/internal/diag"
)

func TestParseValid(t *testing.T) {
	c, err := config.Load(filepath.Join("testdata", "valid.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if c.RulesPath != filepath.Join("testdata", "..", "rules", "custom.yaml") && c.RulesPath != filepath.Join("rules", "custom.yaml") {
		t.Errorf("rules path %q", c.RulesPath)
	}
	if len(c.Sources) != 2 || c.Sources[0].Kind != "github" || c.Sources[1].Name != "jira.cloud" || c.Sources[1].Kind != "jira" {
		t.Errorf("sources %+v", c.Sources)
	}
	if c.Target.Kind != "github" || c.Target.Node == nil || c.Target.Node.Line != 20 {
		t.Errorf("target %+v", c.Target)
	}
	if c.State == nil || c.State.Line != 4 || c.Forecast == nil || c.Drafts != nil {
		t.Errorf("sections: state %v forecast %v drafts %v", c.State, c.Forecast, c.Drafts)
	}
	cl := c.Client("acme")
	if cl.Locale != "nl" || cl.Confidence != 0.9 || len(cl.Dates) != 1 || !cl.Dates[0].Date.Equal(time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("client %+v", cl)
	}
	if other := c.Client("unknown"); other.Name != "unknown" || other.Locale != "en" {
		t.Errorf("unconfigured client %+v", other)
	}
	// Agreed dates come back in order, whatever the file's order.
	ag := c.Agreed["github:acme/web#1"]
	if len(ag) != 2 || !ag[0].Before(ag[1]) {
		t.Errorf("agreed %v", ag)
	}
	if c.ReopenWithin != 14*24*time.Hour {
		t.Errorf("reopen_within %v", c.ReopenWithin)
	}

	// Defaults.
	c, err = config.Parse("/etc/forewarn/forewarn.yaml", []byte("version: 1\nsources: [{name: a, file: {path: x}}]\ntarget: {outbox: {dir: o}}\nclients: [{id: b, name: B}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.RulesPath != config.BuiltinRules || c.ReopenWithin != 14*24*time.Hour || c.Client("b").Locale != "en" {
		t.Errorf("defaults: rules %q, reopen %v, locale %q", c.RulesPath, c.ReopenWithin, c.Client("b").Locale)
	}
}

const head = "version: 1\nsources: [{name: a, file: {path: x}}]\ntarget: {outbox: {dir: o}}\n"

// Each bad configuration and every diagnostic it gives, exactly.
func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string
	}{
		{"empty", "", []string{
			"c.yaml:1:1: version must be 1 (got 0)",
			"c.yaml:1:1: sources: at least one source is required",
			"c.yaml:1:1: target: give exactly one of outbox, github or jira"}},
		{"unknown key", head + "sourcs: []\n", []string{`c.yaml:4:1: unknown key "sourcs" (allowed: `}},
		{"duplicate key", head + "version: 1\n", []string{`c.yaml:4:1: key "version" appears twice`}},
		{"wrong type", "version: [1]\n", []string{
			"c.yaml:1:1: sources: at least one source is required",
			"c.yaml:1:1: target: give exactly one of outbox, github or jira",
			"c.yaml:1:10: version: want an integer, got a list"}},
		{"every problem at once", head + "reopen_within: [1]\nas_of: {a: 1}\nclients: [{id: a, name: [A], locale: fr, confidence: high}]\n", []string{
			"c.yaml:4:16: reopen_within: want a duration (such as 90s, 10m or 14d), got a list",
			"c.yaml:5:8: as_of: want a string, got a mapping",
			"c.yaml:6:25: clients[0].name: want a string, got a list",
			`c.yaml:6:38: clients[0].locale (a): must be en or nl (got "fr")`,
			`c.yaml:6:54: clients[0].confidence: want a number, got "high"`}},
		{"tab", "version: 1\n\tsources: []\n", []string{"c.yaml:2:1: found a tab character that violates indentation"}},
		{"two documents", head + "---\nversion: 1\n", []string{"c.yaml:4:1: only one YAML document is allowed"}},
		{"version", strings.Replace(head, "version: 1", "version: 2", 1), []string{"c.yaml:1:10: version must be 1 (got 2)"}},
		{"sources", "version: 1\nsources:\n  - {name: \"a b\", file: {path: x}}\n  - {name: c, file: {path: x}, jira: {}}\n  - {name: c, github: {}}\ntarget: {outbox: {dir: o}, jira: {}}\n", []string{
			`c.yaml:3:12: sources[0].name: must be letters, digits, '.', '_' or '-' (got "a b")`,
			"c.yaml:4:5: sources[1] (c): give exactly one of file, github or jira",
			`c.yaml:5:12: sources[2].name: "c" is used twice`,
			"c.yaml:6:9: target: give exactly one of outbox, github or jira"}},
		{"clients", head + "clients:\n  - {id: a, name: A, locale: fr, time_zone: Mars/Base, confidence: 1}\n  - {id: a, dates: [{name: x, date: 2026-02-30}]}\n", []string{
			`c.yaml:5:30: clients[0].locale (a): must be en or nl (got "fr")`,
			`c.yaml:5:45: clients[0].time_zone (a): unknown time zone "Mars/Base"`,
			"c.yaml:5:68: clients[0].confidence (a): must be at least 0.5 and below 1 (got 1)",
			"c.yaml:6:5: clients[1].name (a): required",
			`c.yaml:6:10: clients[1].id: "a" is used twice`,
			`c.yaml:6:37: clients[1].dates[0].date (a): "2026-02-30" is not a date (want YYYY-MM-DD)`}},
		{"agreed dates", head + "agreed_dates:\n  - {date: 2026-12-01}\n  - {milestone: m, date: 12/01/2026}\n", []string{
			"c.yaml:5:5: agreed_dates[0].milestone: required",
			`c.yaml:6:26: agreed_dates[1].date: "12/01/2026" is not a date (want YYYY-MM-DD)`}},
		{"durations", head + "reopen_within: -1h\n", []string{`c.yaml:4:16: reopen_within: "-1h" is not a duration (e.g. 36h, 14d, 2w)`}},
		{"NUL", "version: 1\x00\n", []string{"c.yaml:1:11: control characters are not allowed"}},
		{"unknown anchor", head + "reopen_within: *nope\n", []string{"c.yaml:4:16: unknown anchor 'nope' referenced"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := config.Parse("c.yaml", []byte(tc.in))
			if err == nil {
				t.Fatalf("accepted: %+v", c)
			}
			if !diag.IsConfigError(err) {
				t.Fatalf("%v is not a diagnostics list", err)
			}
			got := strings.Split(err.Error(), "\n")
			if len(got) != len(tc.want) {
				t.Fatalf("got\n%s\nwant\n%s", err, strings.Join(tc.want, "\n"))
			}
			for i := range got {
				// Allowed-key lists are checked by prefix: they grow with the format.
				if got[i] != tc.want[i] && !(strings.HasSuffix(tc.want[i], "(allowed: ") && strings.HasPrefix(got[i], tc.want[i])) {
					t.Errorf("line %d:\n got %s\nwant %s", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "none.yaml")
	_, err := config.Load(p)
	if err == nil || err.Error() != p+": cannot read configuration: no such file or directory" {
		t.Fatalf("err = %v", err)
	}
}

func TestDates(t *testing.T) {
	if _, err := config.ParseDate("2026-02-29"); err == nil {
		t.Error("2026-02-29 accepted")
	}
	if d, err := config.ParseDate("2028-02-29"); err != nil || d.Day() != 29 {
		t.Errorf("leap day: %v %v", d, err)
	}
}

func TestSecretEnvNames(t *testing.T) {
	got := config.SecretEnvNames(filepath.Join("testdata", "valid.yaml"))
	want := []string{"FW_DSN", "GH_APP_KEY", "GH_READ_TOKEN", "GH_WRITE_TOKEN", "JIRA_EMAIL", "JIRA_TOKEN"}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	dir := t.TempDir()
	// Unreadable or unparsable files give none; an alias bomb is not expanded.
	os.WriteFile(filepath.Join(dir, "bad.yaml"), []byte("a: [\n"), 0o644)
	bomb := "a: &a {token_env: T}\nb: &b [*a, *a, *a, *a]\nc: &c [*b, *b, *b, *b]\nd: [*c, *c, *c, *c]\n"
	os.WriteFile(filepath.Join(dir, "bomb.yaml"), []byte(bomb), 0o644)
	for name, want := range map[string][]string{"none.yaml": {}, "bad.yaml": {}, "bomb.yaml": {"T"}} {
		if got := config.SecretEnvNames(filepath.Join(dir, name)); !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
			t.Errorf("%s: %v, want %v", name, got, want)
		}
	}
}

// FuzzConfigParse: Parse never panics; it returns a config, a diagnostics
// list, or both (what could be read of a YAML file with problems), never
// neither, and an accepted config has a source, one target and a rules
// path.
func FuzzConfigParse(f *testing.F) {
	for _, p := range []string{"testdata/valid.yaml", "../../examples/demo/forewarn.yaml"} {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(head))
	f.Add([]byte(head + "clients: [{id: a, name: A, dates: [{date: 2026-02-30}]}]\nreopen_within: 3d\n"))
	f.Add([]byte("a: &a [x]\nb: &b [*a, *a]\nversion: *b\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := config.Parse("fuzz.yaml", data)
		if c == nil && err == nil {
			t.Fatalf("config %v and error %v", c, err)
		}
		if err != nil {
			if !diag.IsConfigError(err) || err.Error() == "" {
				t.Fatalf("not a diagnostics list: %v", err)
			}
			return
		}
		if len(c.Sources) == 0 || c.Target.Kind == "" || c.RulesPath == "" {
			t.Fatalf("accepted an incomplete config: %+v", c)
		}
	})
}
