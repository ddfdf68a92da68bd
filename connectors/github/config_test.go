package github_test

import (
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn/connectors/github"
	"github.com/forewarn/forewarn/internal/diag"
	"github.com/forewarn/forewarn/internal/yamlx"
)

// The sections decode strictly, as the app's registry decodes them.
func TestSectionsDecodeStrictly(t *testing.T) {
	src := `repos: [acme/web, acme/app]
client: acme
clients:
  acme/app: acme-mobile
token_env: ACME_GH_TOKEN
sizes:
  prefixes: ["points:"]
  labels: {size/S: 2, size/M: 3}
  default: 1
closed_within: 90d
joined_events: all
joined_events_max: 50
budget: 500
concurrency: 2
max_wait: 30s
timeout: 5m
base_url: https://ghe.example.com/api/v3
`
	n, err := yamlx.Parse("forewarn.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var c github.SourceConfig
	l := &diag.List{}
	yamlx.Decode("forewarn.yaml", n, &c, "", l)
	if err := l.Err(); err != nil {
		t.Fatalf("decode: %v", err)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("validate: %v", err)
	}
	if c.ClosedWithin.Or(0) != 90*24*time.Hour || c.Timeout.Or(0) != 5*time.Minute || c.MaxWait.Or(0) != 30*time.Second {
		t.Fatalf("durations %v %v %v", c.ClosedWithin.Or(0), c.Timeout.Or(0), c.MaxWait.Or(0))
	}
	if c.TokenEnv != "ACME_GH_TOKEN" || c.Sizes.Labels["size/M"] != 3 || *c.JoinedEventsMax != 50 || c.Clients["acme/app"] != "acme-mobile" || c.Concurrency != 2 {
		t.Fatalf("decoded %+v", c)
	}

	bad := "repo: acme/delivery\nlabels: [x]\nassignee: sam\n"
	n, _ = yamlx.Parse("forewarn.yaml", []byte(bad))
	var tc github.TargetConfig
	l = &diag.List{}
	yamlx.Decode("forewarn.yaml", n, &tc, "", l)
	if err := l.Err(); err == nil || !strings.Contains(err.Error(), "forewarn.yaml:3:1") || !strings.Contains(err.Error(), `unknown key "assignee"`) {
		t.Fatalf("want the unknown key with its position, got %v", err)
	}
}

// TestDurationsAreTypedAtDecode: a duration is parsed once, when the
// section is decoded; a bad one is reported at its value (file:line:col),
// every one at once, and an absent one keeps its default.
func TestDurationsAreTypedAtDecode(t *testing.T) {
	src := "repos: [acme/web]\nclosed_within: soon\nmax_wait: [60s]\ntimeout: 1 hour\n"
	n, err := yamlx.Parse("forewarn.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var c github.SourceConfig
	l := &diag.List{}
	yamlx.DecodeAt("forewarn.yaml", n, &c, "", "sources[0].github", l)
	got := l.Err()
	for _, want := range []string{
		`forewarn.yaml:2:16: sources[0].github.closed_within: "soon" is not a duration (e.g. 36h, 14d, 2w)`,
		`forewarn.yaml:3:11: sources[0].github.max_wait: want a duration (such as 90s, 10m or 14d), got a list`,
		`forewarn.yaml:4:10: sources[0].github.timeout: "1 hour" is not a duration (e.g. 36h, 14d, 2w)`,
	} {
		if got == nil || !strings.Contains(got.Error(), want) {
			t.Errorf("missing %q in\n%v", want, got)
		}
	}
	if len(c.Repos) != 1 {
		t.Errorf("the rest of the section was not decoded: %+v", c)
	}

	var zero github.SourceConfig
	n, _ = yamlx.Parse("forewarn.yaml", []byte("repos: [acme/web]\nclosed_within: 0\n"))
	l = &diag.List{}
	yamlx.Decode("forewarn.yaml", n, &zero, "", l)
	if l.Err() != nil || zero.ClosedWithin == nil || zero.ClosedWithin.Or(time.Hour) != 0 || zero.Timeout.Or(time.Hour) != time.Hour {
		t.Fatalf("closed_within 0 must stay 0 and an absent timeout its default: %v %+v", l.Err(), zero)
	}
}
