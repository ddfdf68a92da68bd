package notice

import (
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
