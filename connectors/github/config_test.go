package github_test

import (
	"strings"
	"testing"

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
	if c.TokenEnv != "ACME_GH_TOKEN" || c.Sizes.Labels["size/M"] != 3 || *c.JoinedEventsMax != 50 || c.Clients["acme/app"] != "acme-mobile" {
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
