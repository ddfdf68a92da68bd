package chart

import (
	"bytes"
	"encoding/xml"
	"flag"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn/internal/model"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func d(m time.Month, day int) time.Time { return time.Date(2026, m, day, 0, 0, 0, 0, time.UTC) }

// burndown: 20 items from 5 October, scope growing to 26, 11 left on
// 16 November; due 4 December, P50/P85/P95 9/16/22 December.
func fixture() ([]model.BurndownPoint, time.Time, model.Forecast) {
	var pts []model.BurndownPoint
	scope, done := 20, 0
	for i := 0; i <= 42; i++ {
		if i%7 == 3 {
			scope++
		}
		if i%3 == 1 {
			done++
		}
		pts = append(pts, model.BurndownPoint{Day: d(10, 5).AddDate(0, 0, i), Scope: scope, Done: done, Remaining: scope - done})
	}
	f := model.Forecast{Status: model.ForecastOK, AsOf: d(11, 16), ScopeItems: scope, RemainingItems: scope - done,
		P50: d(12, 9), P85: d(12, 16), P95: d(12, 22)}
	return pts, d(12, 4), f
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading %s (run with -update to create it): %v", path, err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; run with -update and look at the result", name)
	}
}

func TestSVG(t *testing.T) {
	pts, due, f := fixture()
	svg := SVG(pts, due, f)
	golden(t, "burndown.svg", svg)
	// Well-formed XML.
	dec := xml.NewDecoder(bytes.NewReader(svg))
	for {
		_, err := dec.Token()
		if err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("SVG is not well-formed: %v", err)
			}
			break
		}
	}
	for _, want := range []string{">due 4 Dec<", ">P85 16 Dec<", ">P50 9 Dec<", ">P95 22 Dec<", ">remaining<", ">today<", "<polyline"} {
		if !bytes.Contains(svg, []byte(want)) {
			t.Errorf("SVG lacks %q", want)
		}
	}
}

func TestPNG(t *testing.T) {
	pts, due, f := fixture()
	b, err := PNG(pts, due, f)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if img.Bounds().Dx() != width || img.Bounds().Dy() != height {
		t.Errorf("size %v", img.Bounds())
	}
	// The P85 line (orange) and the remaining line (blue) are painted.
	var orange, blue int
	for y := 0; y < height; y++ {
		for x := 0; x < width; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			switch {
			case r>>8 == 0xff && g>>8 == 0x8b && b>>8 == 0:
				orange++
			case r>>8 == 0 && g>>8 == 0x52 && b>>8 == 0xcc:
				blue++
			}
		}
	}
	if orange < 100 || blue < 200 {
		t.Errorf("lines missing: %d orange, %d blue pixels", orange, blue)
	}
}

// Without history or a forecast date the axis is the due date alone,
// not a span from year 1.
func TestMermaidWithoutAnyDate(t *testing.T) {
	_, due, _ := fixture()
	want := `x-axis ["` + due.Format("Jan 2") + `"]`
	if m := Mermaid(nil, due, model.Forecast{Status: model.ForecastInsufficient}); !strings.Contains(m, want) {
		t.Errorf("want %s:\n%s", want, m)
	}
	_, due, f := fixture()
	f.AsOf = due.AddDate(0, 0, -10)
	if m := Mermaid(nil, due, f); !strings.Contains(m, "x-axis") {
		t.Errorf("no chart from the forecast date alone:\n%s", m)
	}
}

func TestMermaid(t *testing.T) {
	pts, due, f := fixture()
	m := Mermaid(pts, due, f)
	golden(t, "burndown.mermaid", []byte(m))
	if !strings.HasPrefix(m, "```mermaid\nxychart-beta\n") || !strings.HasSuffix(m, "```\n") {
		t.Fatalf("not a fenced xychart block:\n%s", m)
	}
	labels := regexp.MustCompile(`x-axis \[(.*)\]`).FindStringSubmatch(m)
	lines := regexp.MustCompile(`line \[(.*)\]`).FindAllStringSubmatch(m, -1)
	if labels == nil || len(lines) != 2 {
		t.Fatalf("axis or lines missing:\n%s", m)
	}
	n := len(strings.Split(labels[1], ", "))
	for _, l := range lines {
		if got := len(strings.Split(l[1], ", ")); got != n {
			t.Errorf("a line has %d values for %d labels", got, n)
		}
	}
	if n > mermaidMaxPoints+1 {
		t.Errorf("%d x labels, want at most %d", n, mermaidMaxPoints+1)
	}
	if !strings.Contains(m, `"Dec 16"`) || !strings.Contains(m, "P85 Dec 16") {
		t.Errorf("the axis does not reach the P85 date:\n%s", m)
	}
	// The observed line ends at zero on the P85 date.
	vals := strings.Split(lines[0][1], ", ")
	if vals[len(vals)-1] != "0" {
		t.Errorf("projection does not reach zero: %s", lines[0][1])
	}
}

func TestEmptyAndDegenerate(t *testing.T) {
	for name, f := range map[string]model.Forecast{
		"no data":       {Status: model.ForecastInsufficient},
		"all done":      {Status: model.ForecastDone, ScopeItems: 4},
		"dates missing": {Status: model.ForecastOK},
	} {
		t.Run(name, func(t *testing.T) {
			svg := SVG(nil, d(12, 4), f)
			if !bytes.HasPrefix(svg, []byte("<svg")) || bytes.Contains(svg, []byte("NaN")) || bytes.Contains(svg, []byte("Inf")) {
				t.Errorf("bad SVG:\n%s", svg)
			}
			if _, err := PNG(nil, time.Time{}, f); err != nil {
				t.Error(err)
			}
			if m := Mermaid(nil, d(12, 4), f); strings.Contains(m, "NaN") || !strings.Contains(m, "line [") {
				t.Errorf("bad Mermaid:\n%s", m)
			}
		})
	}
}

func TestDump(t *testing.T) {
	dir := os.Getenv("CHART_DUMP")
	if dir == "" {
		t.Skip("set CHART_DUMP=dir to write the fixture chart for a look")
	}
	pts, due, f := fixture()
	b, _ := PNG(pts, due, f)
	os.WriteFile(filepath.Join(dir, "fixture.png"), b, 0o644)
	os.WriteFile(filepath.Join(dir, "fixture.svg"), SVG(pts, due, f), 0o644)
}

func BenchmarkPNG(b *testing.B) {
	pts, due, f := fixture()
	for b.Loop() {
		if _, err := PNG(pts, due, f); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSVG(b *testing.B) {
	pts, due, f := fixture()
	for b.Loop() {
		SVG(pts, due, f)
	}
}

// A Dutch draft's chart speaks Dutch; English stays the default.
func TestLocale(t *testing.T) {
	pts, due, f := fixture()
	nl := string(SVG(pts, due, f, Locale("nl")))
	for _, want := range []string{"Burn-down: onderdelen te gaan", "vandaag", "deadline 4 dec", "te gaan", "omvang", "ideaal"} {
		if !strings.Contains(nl, want) {
			t.Errorf("Dutch SVG lacks %q", want)
		}
	}
	en := string(SVG(pts, due, f))
	if strings.Contains(en, "vandaag") || !strings.Contains(en, "due 4 Dec") {
		t.Error("the default is not English")
	}
	m := Mermaid(pts, due, f, Locale("nl"))
	if !strings.Contains(m, `title "Onderdelen te gaan (deadline 4 dec, P85 16 dec)"`) || !strings.Contains(m, `y-axis "Onderdelen"`) {
		t.Errorf("Dutch Mermaid:\n%s", m)
	}
	if _, err := PNG(pts, due, f, Locale("nl")); err != nil {
		t.Error(err)
	}
}
