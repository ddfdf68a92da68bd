package notice

import (
	"reflect"
	"strings"
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
