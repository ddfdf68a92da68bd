package file_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn/connectors"
	"github.com/forewarn/forewarn/connectors/file"
	"github.com/forewarn/forewarn/internal/model"
)

// An export made from a tracker whose review project is also a source can
// hold forewarn's own tickets (issue 14, item 1): they are no work items.
func TestSourceLeavesOwnTicketsOut(t *testing.T) {
	dir := t.TempDir()
	fp := model.Fingerprint("file:demo/checkout", model.PurposeClientNotice)
	export := `version: 1
milestones:
  - key: checkout
    title: Checkout
    due: 2026-12-04
    start: 2026-10-05
    items:
      - {key: A-1, title: Cart, created: 2026-10-05}
      - {key: REV-7, title: "Client notice draft: Checkout", created: 2026-11-02, labels: [forewarn, ` + fp + `, forewarn-client-notice]}
      - {key: REV-8, title: "Post-mortem: Checkout", created: 2026-11-03, labels: [` + fp + `]}
`
	if err := os.WriteFile(filepath.Join(dir, "export.yaml"), []byte(export), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := file.NewSource("demo", file.SourceConfig{Path: "export.yaml"}, connectors.Env{Dir: dir, Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if items := res.Milestones[0].Items; len(items) != 1 || items[0].Key != "A-1" {
		t.Errorf("items %+v, want only A-1", items)
	}
	if !slices.ContainsFunc(res.Notes, func(n string) bool { return strings.Contains(n, "2 of forewarn's own ticket(s)") }) {
		t.Errorf("notes %q", res.Notes)
	}
}
