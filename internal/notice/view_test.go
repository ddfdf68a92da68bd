package notice

import (
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/forewarn/forewarn/internal/model"
)

// A draft's title is executed with its body's view escaped again as plain
// text (titleView), not with a view built a second time: the two must be
// the same in every field, hostile text and all, and the body's view must
// not change when the title's is made from it.
func TestTitleViewIsTheBodyViewEscapedPlain(t *testing.T) {
	r := newRenderer(t)
	for _, p := range purposes {
		for _, lang := range languages {
			for _, s := range []string{"", "@team #12 GH-3 www.x.example https://x.example forewarn:fingerprint *[x](y)*", "\u202Eé🎉\u200b\n\tx"} {
				for _, closed := range []bool{false, true} {
					req := largeFixture(lang, p)
					if s != "" {
						hostile(&req, s)
						req.History.NoticeID, req.History.NoticeURL = s, "https://x.example/"+s
					}
					if closed {
						req.Milestone.State, req.Milestone.ClosedAt = model.StateClosed, req.Now.AddDate(0, 0, -2)
					}
					for _, f := range formats {
						want := r.view(req, f, plain)
						body := r.view(req, f, Escape)
						again := r.view(req, f, Escape)
						if got := body.titleView(true); !reflect.DeepEqual(got, want) {
							t.Errorf("%s %s %s %q closed %v: the body's view escaped as plain text differs from the title's view", p, lang, f, s, closed)
						}
						if !reflect.DeepEqual(body, again) {
							t.Errorf("%s %s %s %q closed %v: making the title's view changed the body's", p, lang, f, s, closed)
						}
						if body.Milestone == want.Milestone && strings.Contains(s, "*") {
							t.Errorf("%s %s %s %q: body and title escape the milestone alike (%q); the test proves nothing", p, lang, f, s, body.Milestone)
						}
					}
				}
			}
		}
	}
}

// Drafts rendered at once (bodies share a pool of buffers) come out as
// each does alone.
func TestRenderConcurrently(t *testing.T) {
	r := newRenderer(t)
	type job struct {
		req Request
		f   model.Format
	}
	var jobs []job
	for _, p := range purposes {
		for _, lang := range languages {
			for _, f := range formats {
				jobs = append(jobs, job{fixture(lang, p), f}, job{largeFixture(lang, p), f})
			}
		}
	}
	want := make([]model.Ticket, len(jobs))
	for i, j := range jobs {
		want[i] = render(t, r, j.req, j.f)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range 3 * len(jobs) {
				i := (k*7 + g*5) % len(jobs)
				tk, err := r.Render(jobs[i].req, jobs[i].f)
				if err != nil {
					t.Error(err)
					return
				}
				if tk.Title != want[i].Title || tk.Body != want[i].Body || tk.Comment != want[i].Comment {
					t.Errorf("job %d rendered at once with others differs from alone", i)
					return
				}
			}
		}()
	}
	wg.Wait()
}
