package jira_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/forewarn/forewarn/connectors/jira"
	"github.com/forewarn/forewarn/internal/model"
	fake "github.com/forewarn/forewarn/internal/testserver/jira"
)

// BenchmarkFetch reads 10 fix versions with 1,000 issues from the fake
// (Cloud and Data Center), first sync each iteration (no snapshot), and
// reports the requests one fetch takes.
func BenchmarkFetch(b *testing.B) {
	for _, cloud := range []bool{true, false} {
		b.Run(map[bool]string{true: "cloud", false: "datacenter"}[cloud], func(b *testing.B) {
			s := newSite(b, cloud)
			for v := 0; v < 10; v++ {
				s.srv.AddVersion(fake.Version{ID: fmt.Sprint(10100 + v), Project: "WEB", Name: fmt.Sprintf("v%d", v), ReleaseDate: "2026-04-01"})
			}
			for i := 0; i < 1000; i++ {
				p := float64(i%5 + 1)
				s.srv.AddIssue(fake.Issue{Project: "WEB", Summary: "task", FixVersions: []string{fmt.Sprint(10100 + i%10)}, Points: &p,
					Created: day("2026-02-01")})
			}
			s.env.Cache, s.env.State = nil, nil // no snapshot: every iteration is a first sync
			src, err := jira.NewSource("bench", jira.SourceConfig{ConnConfig: s.conn, Projects: []string{"WEB"}}, s.env)
			if err != nil {
				b.Fatal(err)
			}
			s.srv.ResetLog()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				res, err := src.Fetch(context.Background())
				if err != nil || len(res.Milestones) != 10 {
					b.Fatalf("%v, %d milestones", err, len(res.Milestones))
				}
			}
			b.ReportMetric(float64(s.srv.Total())/float64(b.N), "requests/op")
		})
	}
}

func BenchmarkQuote(b *testing.B) {
	name := `Release "Q1" \ AND order` + "\n"
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = jira.In("fixVersion", []string{name, name, name})
	}
}

// BenchmarkCreate creates one ticket an iteration in the fake's review
// project as a first sync's write loop does: the issue (a 3 kB
// description), its 50 kB chart attachment and the web link to its
// sprint, three requests.
func BenchmarkCreate(b *testing.B) {
	s := newSite(b, true)
	s.seed()
	host := strings.TrimPrefix(s.srv.URL, "http://")
	tg, err := jira.NewTarget(jira.TargetConfig{ConnConfig: s.conn, Project: "REV", Labels: []string{"client-comms"}}, s.env)
	if err != nil {
		b.Fatal(err)
	}
	png := make([]byte, 50<<10)
	r := rand.New(rand.NewPCG(1, 2))
	for k := range png {
		png[k] = byte(r.Uint32())
	}
	ctx := context.Background()
	s.srv.ResetLog()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		tk := ticket(host, jira.SprintKey(host, int64(7+i%3)))
		i++
		tk.Fingerprint = fmt.Sprintf("fw-%016x", i)
		tk.Body = strings.Repeat("The release moves by a week; the work left is 40 points. ", 55) + model.Marker(tk.Fingerprint, model.FormatJiraWiki)
		tk.Attachments = []model.Attachment{{Name: "burndown.png", ContentType: "image/png", Data: png}}
		if _, err := tg.Create(ctx, tk); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(s.srv.Total())/float64(b.N), "requests/op")
}
