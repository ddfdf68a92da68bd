package chart

import (
	"bytes"
	"encoding/xml"
	"flag"
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
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
	// Few enough colours to be written paletted, one byte a pixel.
	if b[24] != 8 || b[25] != 3 {
		t.Errorf("%d bits a sample, colour type %d; want 8 bits paletted (3)", b[24], b[25])
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
	// Lossless: the file holds exactly the pixels drawn.
	drawn := newRaster(width, height, 1)
	draw(drawn, prepare(pts, due, f, nil))
	for y := 0; y < height; y++ {
		for x := 0; x < width; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			if c := drawn.img.RGBAAt(x, y); uint8(r>>8) != c.R || uint8(g>>8) != c.G || uint8(b>>8) != c.B {
				t.Fatalf("pixel (%d,%d) is %02x%02x%02x in the file, %02x%02x%02x drawn", x, y, r>>8, g>>8, b>>8, c.R, c.G, c.B)
			}
		}
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

// BenchmarkPNG draws and encodes a chart (the memo of recent charts is
// emptied every iteration: it measures a chart not drawn before).
func BenchmarkPNG(b *testing.B) {
	pts, due, f := fixture()
	for b.Loop() {
		pngs = &memo{max: 64}
		if _, err := PNG(pts, due, f); err != nil {
			b.Fatal(err)
		}
	}
}

// A chart asked for again is the same file, not shared with the first
// caller; one whose series differs in anything drawn is another file; the
// memo keeps at most its size.
func TestPNGMemo(t *testing.T) {
	pngs = &memo{max: 4}
	pts, due, f := fixture()
	first, err := PNG(pts, due, f)
	if err != nil {
		t.Fatal(err)
	}
	keep := bytes.Clone(first)
	first[100] ^= 0xff // the caller's copy is its own
	again, _ := PNG(pts, due, f)
	if !bytes.Equal(again, keep) {
		t.Fatal("the same chart asked for again is another file")
	}
	variants := map[string][]byte{"same": again}
	later := slices.Clone(pts)
	later[len(later)-1].Remaining--
	variants["one item less"], _ = PNG(later, due, f)
	variants["due a day later"], _ = PNG(pts, due.AddDate(0, 0, 1), f)
	variants["in Dutch"], _ = PNG(pts, due, f, Locale("nl"))
	g := f
	g.P95 = g.P95.AddDate(0, 0, 1)
	variants["P95 a day later"], _ = PNG(pts, due, g)
	for name, b := range variants {
		if name != "same" && bytes.Equal(b, keep) {
			t.Errorf("%s: the memo answered with the first chart", name)
		}
	}
	if len(pngs.data) > 4 || len(pngs.keys) != len(pngs.data) {
		t.Errorf("memo holds %d charts (%d keys), want at most 4", len(pngs.data), len(pngs.keys))
	}
	// Drawn without the memo, each variant is the same file.
	pngs = &memo{max: 4}
	fresh, _ := PNG(later, due, f)
	if !bytes.Equal(fresh, variants["one item less"]) {
		t.Error("a chart from the memo differs from the one drawn afresh")
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

// lateScope is a sprint whose items joined two days after it started: the
// first days count a scope of 0.
func lateScope() ([]model.BurndownPoint, time.Time, model.Forecast) {
	var pts []model.BurndownPoint
	for i := 0; i < 8; i++ {
		p := model.BurndownPoint{Day: d(11, 2).AddDate(0, 0, i)}
		if i >= 2 {
			p.Scope, p.Done = 12, i-2
			p.Remaining = p.Scope - p.Done
		}
		pts = append(pts, p)
	}
	return pts, d(11, 13), model.Forecast{Status: model.ForecastInsufficient, AsOf: d(11, 9), ScopeItems: 12, RemainingItems: 7}
}

// newYear runs from December 2026 into January 2027, judged in December.
func newYear() ([]model.BurndownPoint, time.Time, model.Forecast) {
	var pts []model.BurndownPoint
	for i := 0; i < 10; i++ {
		pts = append(pts, model.BurndownPoint{Day: d(12, 14).AddDate(0, 0, i), Scope: 10, Done: i / 2, Remaining: 10 - i/2})
	}
	f := model.Forecast{Status: model.ForecastOK, AsOf: d(12, 23), ScopeItems: 10, RemainingItems: 6,
		P50: time.Date(2027, 1, 12, 0, 0, 0, 0, time.UTC), P85: time.Date(2027, 1, 15, 0, 0, 0, 0, time.UTC), P95: time.Date(2027, 1, 19, 0, 0, 0, 0, time.UTC)}
	return pts, time.Date(2027, 1, 8, 0, 0, 0, 0, time.UTC), f
}

var (
	idealRe = regexp.MustCompile(`<line x1="([\d.]+)" y1="([\d.]+)" x2="([\d.]+)" y2="([\d.]+)" stroke="#97a0af" stroke-width="1.5"`)
	labelRe = regexp.MustCompile(`x-axis \[(.*)\]`)
	linesRe = regexp.MustCompile(`line \[(.*)\]`)
)

// svgIdeal reads the ideal line back from the SVG: its value on the first
// day, the day it reaches zero (days after the start) and the axis span in
// days, from the pixel geometry draw uses.
func svgIdeal(t *testing.T, svg []byte, ytop int, dueDays float64) (start, end, spanDays float64) {
	t.Helper()
	m := idealRe.FindSubmatch(svg)
	if m == nil {
		t.Fatalf("no ideal line in the SVG:\n%s", svg)
	}
	var v [4]float64
	for i := range v {
		if _, err := fmt.Sscan(string(m[i+1]), &v[i]); err != nil {
			t.Fatal(err)
		}
	}
	ph := float64(height - marginT - marginB)
	pw := float64(width - marginL - marginR)
	val := func(y float64) float64 { return float64(ytop) * (1 - (y-marginT)/ph) }
	span := pw * dueDays / (v[2] - v[0])
	return val(v[1]), val(v[3]), span
}

// The ideal line runs from the committed scope to zero on the due date,
// also when the range starts before any work joined.
func TestIdealLineStartsAtTheCommittedScope(t *testing.T) {
	pts, due, f := lateScope()
	svg := SVG(pts, due, f)
	start, end, _ := svgIdeal(t, svg, niceCeil(12), 11)
	if math.Abs(start-12) > 0.1 || math.Abs(end) > 0.1 {
		t.Errorf("SVG ideal line runs from %.1f to %.1f, want 12 to 0", start, end)
	}
	lines := linesRe.FindAllStringSubmatch(Mermaid(pts, due, f), -1)
	ideal := strings.Split(lines[1][1], ", ")
	if ideal[0] != "12" || ideal[11] != "0" {
		t.Errorf("Mermaid ideal line %v: want 12 on 2 Nov and 0 on the due date 13 Nov", ideal)
	}
}

// Dates carry their year when the chart crosses New Year or is not about
// the current year; a chart inside the current year stays short.
func TestYears(t *testing.T) {
	pts, due, f := newYear()
	svg := string(SVG(pts, due, f))
	for _, want := range []string{"items remaining (2026–2027)<", ">due 8 Jan 2027<", ">14 Dec 2026<", " 2027<", "P85 15 Jan 2027<"} {
		if !strings.Contains(svg, want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	m := Mermaid(pts, due, f)
	for _, want := range []string{`title "Items remaining (due Jan 8, 2027, P85 Jan 15, 2027)"`, `x-axis ["Dec 14, 2026", `, `"Jan 1, 2027"`} {
		if !strings.Contains(m, want) {
			t.Errorf("Mermaid lacks %q:\n%s", want, m)
		}
	}
	nl := Mermaid(pts, due, f, Locale("nl"))
	if !strings.Contains(nl, `"14 dec 2026"`) || !strings.Contains(nl, "deadline 8 jan 2027") {
		t.Errorf("Dutch Mermaid without years:\n%s", nl)
	}

	// Last year's milestone, looked at now: the year is there though the
	// range is inside one year.
	pts, due, f = fixture()
	f.AsOf = time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)
	if svg := string(SVG(pts, due, f)); !strings.Contains(svg, "items remaining (2026)<") || !strings.Contains(svg, ">due 4 Dec 2026<") {
		t.Errorf("a chart of last year does not say which year")
	}
	if m := Mermaid(pts, due, f); !strings.Contains(m, "due Dec 4, 2026") {
		t.Errorf("a Mermaid chart of last year does not say which year:\n%s", m)
	}
	// This year's: no year.
	pts, due, f = fixture()
	if svg := string(SVG(pts, due, f)); strings.Contains(svg, "2026") {
		t.Errorf("a chart inside the current year carries the year")
	}
}

// The PNG (drawn by the same code as the SVG) and the Mermaid chart are
// derived from one series: the same days on the x axis and the same ideal
// line, read back from what each one draws.
func TestSVGAndMermaidAgree(t *testing.T) {
	for name, fx := range map[string]func() ([]model.BurndownPoint, time.Time, model.Forecast){
		"fixture": fixture, "late scope": lateScope, "new year": newYear,
	} {
		t.Run(name, func(t *testing.T) {
			pts, due, f := fx()
			s := prepare(pts, due, f, nil)
			dueDays := s.due.Sub(s.start).Hours() / 24
			svgStart, svgEnd, span := svgIdeal(t, SVG(pts, due, f), niceCeil(s.ymax), dueDays)

			m := Mermaid(pts, due, f)
			labels := regexp.MustCompile(`"[^"]*"`).FindAllString(labelRe.FindStringSubmatch(m)[1], -1)
			lines := linesRe.FindAllStringSubmatch(m, -1)
			ideal := strings.Split(lines[1][1], ", ")
			// The Mermaid axis runs over the SVG's days: first and last day.
			first, last := s.start, s.start.AddDate(0, 0, int(math.Round(span)))
			if got := strings.Trim(labels[0], `"`); !strings.HasPrefix(got, s.w.axis(first)) {
				t.Errorf("Mermaid starts at %s, the SVG on %s", labels[0], first.Format(time.DateOnly))
			}
			if got := strings.Trim(labels[len(labels)-1], `"`); !strings.HasPrefix(got, s.w.axis(last)) {
				t.Errorf("Mermaid ends at %s, the SVG on %s", got, last.Format(time.DateOnly))
			}
			var v0 float64
			fmt.Sscan(ideal[0], &v0)
			if math.Abs(v0-svgStart) > 0.1 || math.Abs(svgEnd) > 0.1 {
				t.Errorf("ideal line: Mermaid starts at %v, the SVG at %.1f (ending at %.1f)", v0, svgStart, svgEnd)
			}
		})
	}
}

// Large fills are rasterised band by band, each band only as wide as the
// shape's edges within it: the chart is the one rasterising every fill over
// its whole box gives, up to the rounding of anti-aliased edges: a
// pixel's coverage differs by float rounding, and one on the boundary
// between two of the coverage steps it is painted at takes the other (at
// most one step, 255/coverageLevels in a channel, on few pixels).
func TestBandsPaintTheWholeBox(t *testing.T) {
	for name, data := range map[string]func() ([]model.BurndownPoint, time.Time, model.Forecast){"fixture": fixture, "late scope": lateScope, "new year": newYear} {
		t.Run(name, func(t *testing.T) {
			pts, due, f := data()
			s := prepare(pts, due, f, nil)
			banded, whole := newRaster(width, height, 1), newRaster(width, height, 1)
			whole.whole = true
			draw(banded, s)
			draw(whole, s)
			differ, worst := 0, 0
			for i := range banded.img.Pix {
				if d := int(banded.img.Pix[i]) - int(whole.img.Pix[i]); d != 0 {
					differ++
					worst = max(worst, d, -d)
				}
			}
			t.Logf("%d of %d channel values differ, by at most %d", differ, len(banded.img.Pix), worst)
			if step := (255 + coverageLevels - 1) / coverageLevels; worst > step || differ > len(banded.img.Pix)/10000 {
				t.Errorf("banded chart differs from the whole-box one: %d values, by up to %d", differ, worst)
			}
		})
	}
}

// Without a forecast date (too little data, or diverging) the Mermaid
// chart's line stays at today's remaining up to the due date: the zeros it
// once drew from tomorrow on read as "all done".
func TestMermaidWithoutAForecastProjectsNothing(t *testing.T) {
	pts, due, f := fixture()
	f.Status, f.P50, f.P85, f.P95 = model.ForecastInsufficient, time.Time{}, time.Time{}, time.Time{}
	today := pts[len(pts)-1]
	if !today.Day.Before(due) {
		t.Fatal("the fixture's today is not before its due date")
	}
	m := Mermaid(pts, due, f)
	labels := regexp.MustCompile(`x-axis \[(.*)\]`).FindStringSubmatch(m)
	lines := regexp.MustCompile(`line \[(.*)\]`).FindAllStringSubmatch(m, -1)
	if labels == nil || len(lines) != 2 {
		t.Fatalf("axis or lines missing:\n%s", m)
	}
	ls := strings.Split(labels[1], ", ")
	if last := ls[len(ls)-1]; last != `"`+due.Format("Jan 2")+`"` {
		t.Errorf("the axis ends at %s, want the due date:\n%s", last, m)
	}
	vals := strings.Split(lines[0][1], ", ")
	want := trimNum(float64(today.Remaining))
	for i := len(vals) - 1; i >= 0 && ls[i] != `"`+today.Day.Format("Jan 2")+`"`; i-- {
		if vals[i] != want {
			t.Errorf("after today the line is %s at %s, want today's %s remaining:\n%s", vals[i], ls[i], want, m)
		}
	}
}

// A legend with three dated projections (long labels, with years) does not
// run past the chart's right edge: it wraps to a second row. Read back
// from the PNG: nothing but background right of the plot under the axis.
func TestLegendStaysInside(t *testing.T) {
	pts, due, f := newYear()
	for _, lang := range []string{"en", "nl"} {
		b, err := PNG(pts, due, f, Locale(lang))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		for y := height - marginB + 22; y < height; y++ {
			for x := width - marginR + 4; x < width; x++ {
				if r, g, bl, _ := img.At(x, y).RGBA(); r != 0xffff || g != 0xffff || bl != 0xffff {
					t.Fatalf("%s: the legend reaches pixel (%d, %d), right of the plot", lang, x, y)
				}
			}
		}
		svg := string(SVG(pts, due, f, Locale(lang)))
		rows := map[string]bool{}
		for _, m := range legendRe.FindAllStringSubmatch(svg, -1) {
			rows[m[1]] = true
		}
		if len(rows) != 2 {
			t.Errorf("%s: legend on %d rows, want 2 (six entries with dated labels):\n%s", lang, len(rows), svg)
		}
	}
	// A due date on the axis's last day: its label is moved left to stay
	// inside (it was centred on the edge and cut).
	pts, due, f = newYear()
	f.P50, f.P85, f.P95 = due.AddDate(0, 0, -3), due.AddDate(0, 0, -2), due.AddDate(0, 0, -1)
	b, err := PNG(pts, due, f)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	for y := 20; y < marginT-2; y++ {
		for x := width - 2; x < width; x++ {
			if r, g, bl, _ := img.At(x, y).RGBA(); r != 0xffff || g != 0xffff || bl != 0xffff {
				t.Fatalf("the due label reaches pixel (%d, %d), the right edge", x, y)
			}
		}
	}
	// Without projection dates the legend keeps to one row.
	pts, due, f = fixture()
	f.P50, f.P85, f.P95 = time.Time{}, time.Time{}, time.Time{}
	rows := map[string]bool{}
	for _, m := range legendRe.FindAllStringSubmatch(string(SVG(pts, due, f)), -1) {
		rows[m[1]] = true
	}
	if len(rows) != 1 {
		t.Errorf("a three-entry legend on %d rows, want 1", len(rows))
	}
}

var legendRe = regexp.MustCompile(`<text x="[\d.]+" y="(3[4-9]\d\.\d)" text-anchor="start" font-size="12"`)

func TestBitmapText(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"items remaining (2026)", "items remaining (2026)"},
		{"items remaining (2026–2027)", "items remaining (2026-2027)"},
		{"“geëvalueerd” — café…", `"geevalueerd" - cafe...`},
		{"Ærø ✓", "?ro ?"},
	} {
		if got := bitmapText(c.in); got != c.want {
			t.Errorf("bitmapText(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
