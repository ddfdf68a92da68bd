package notice

import (
	"fmt"
	"testing"

	"github.com/forewarn/forewarn/internal/model"
)

// BenchmarkRender renders a client notice with its charts (SVG and PNG).
func BenchmarkRender(b *testing.B) {
	r := newRenderer(b)
	req := fixture(langEN, model.PurposeClientNotice)
	for _, f := range formats {
		b.Run(string(f), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.Render(req, f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	// large renders the drafts of a large agency's run, twelve an op: every
	// purpose in English and Dutch for both targets, each milestone of
	// about a hundred items (the large scenario's average is 93).
	b.Run("large", func(b *testing.B) {
		var reqs []Request
		for _, p := range purposes {
			for _, lang := range languages {
				reqs = append(reqs, largeFixture(lang, p))
			}
		}
		b.ReportAllocs()
		for b.Loop() {
			for _, req := range reqs {
				for _, f := range formats {
					if _, err := r.Render(req, f); err != nil {
						b.Fatal(err)
					}
				}
			}
		}
	})
}

// largeFixture is fixture with its 24 items four times over (96, under
// other keys and ranks).
func largeFixture(lang string, p model.Purpose) Request {
	req := fixture(lang, p)
	items := req.Milestone.Items
	n := len(items)
	for k := 1; k < 4; k++ {
		for i := range n {
			it := items[i]
			it.Key = fmt.Sprintf("acme/web#%d", 101+k*n+i)
			it.URL = fmt.Sprintf("https://github.com/acme/web/issues/%d", 101+k*n+i)
			it.Title = fmt.Sprintf("%s (part %d)", it.Title, k+1)
			it.Rank += k * n
			items = append(items, it)
		}
	}
	req.Milestone.Items = items
	req.Forecast.ScopeItems *= 4
	req.Forecast.DoneItems *= 4
	req.Forecast.RemainingItems *= 4
	return req
}

func BenchmarkEscapeMarkdown(b *testing.B) {
	s := "Checkout with iDEAL & cards — @team see https://example.com/x #12 [link](y) *bold*"
	b.ReportAllocs()
	for b.Loop() {
		EscapeMarkdown(s)
	}
}

func BenchmarkNew(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := New(Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
