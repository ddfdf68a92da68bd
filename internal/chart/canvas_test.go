package chart

import (
	"image"
	"image/color"
	imagedraw "image/draw"
	"testing"

	"golang.org/x/image/vector"
)

// A fill is painted at coverageLevels steps of coverage: a line over a
// flat background is the rasteriser's anti-aliased line to within half a
// step in every channel, and its edges take at most coverageLevels-1
// colours between the line's and the background's. Where one line's edge
// crosses another's, it is painted at half steps: within a quarter of
// the contrast.
func TestCoverageSteps(t *testing.T) {
	const w, h = 120, 60
	lines := []struct {
		x1, y1, x2, y2, width float64
		col                   string
	}{{3.3, 5.1, 115.8, 52.6, 2.5, "#0052cc"}, {2, 40.5, 110, 38.2, 1, "#ff8b00"}}
	c := newRaster(w, h, 1)
	c.rect(0, 0, w, h, "#ffffff")
	// The same lines painted at full precision by the rasteriser.
	exact := image.NewRGBA(image.Rect(0, 0, w, h))
	imagedraw.Draw(exact, exact.Bounds(), image.White, image.Point{}, imagedraw.Src)
	var touched [w * h]int // how many of the lines cover a pixel in part
	for _, l := range lines {
		c.fill(l.col, func(z *path) { c.segment(z, l.x1, l.y1, l.x2, l.y2, l.width) })
		alone := newRaster(w, h, 1)
		alone.rect(0, 0, w, h, "#ffffff")
		alone.fill(l.col, func(z *path) { alone.segment(z, l.x1, l.y1, l.x2, l.y2, l.width) })
		for i := range touched {
			if alone.img.Pix[4*i]&alone.img.Pix[4*i+1]&alone.img.Pix[4*i+2] != 0xff {
				touched[i]++
			}
		}
		var p path
		c.segment(&p, l.x1, l.y1, l.x2, l.y2, l.width)
		z := vector.NewRasterizer(w, h)
		for _, o := range p.ops {
			switch o.kind {
			case 'M':
				z.MoveTo(o.x, o.y)
			case 'L':
				z.LineTo(o.x, o.y)
			default:
				z.ClosePath()
			}
		}
		z.Draw(exact, exact.Bounds(), image.NewUniform(parseColor(l.col)), image.Point{})
	}

	colours := map[color.RGBA]bool{}
	halfStep := (255 + 2*coverageLevels - 1) / (2 * coverageLevels)
	worst, crossing := 0, 0
	for y := range h {
		for x := range w {
			got, want := c.img.RGBAAt(x, y), exact.RGBAAt(x, y)
			d := max(absDiff(got.R, want.R), absDiff(got.G, want.G), absDiff(got.B, want.B))
			if touched[y*w+x] > 1 {
				// Where the lines cross, the second line's edge over the
				// first's is painted at half coverage or none or full.
				crossing = max(crossing, d)
				continue
			}
			worst = max(worst, d)
			colours[got] = true
		}
	}
	t.Logf("%d colours; off by at most %d of 255 (%d where the lines cross)", len(colours), worst, crossing)
	if worst > halfStep {
		t.Errorf("a pixel is %d of 255 off the rasteriser's, want at most %d", worst, halfStep)
	}
	if crossing > 255/4+halfStep {
		t.Errorf("a pixel where the lines cross is %d of 255 off the rasteriser's, want at most %d", crossing, 255/4+halfStep)
	}
	// Away from the crossing: white, the two lines' colours and each
	// line's edges over white.
	if max := 3 + 2*(coverageLevels-1); len(colours) > max {
		t.Errorf("%d colours, want at most %d", len(colours), max)
	}
}

func absDiff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

// A canvas reused for another chart forgets the colours of the last one
// once the background is painted: which pixels count as edges depends on
// the chart drawn, not on the one before.
func TestFlatColoursStartWithTheBackground(t *testing.T) {
	c := newRaster(8, 8, 1)
	c.rect(0, 0, 8, 8, "#ffffff")
	c.rect(2, 2, 2, 2, "#ff8b00")
	orange := []uint8{0xff, 0x8b, 0x00, 0xff}
	if !c.isFlat(orange) {
		t.Fatal("a colour painted is not flat")
	}
	c.rect(0, 0, 8, 8, "#ffffff")
	if c.isFlat(orange) {
		t.Error("the last picture's colour is still flat after a new background")
	}
	if !c.isFlat([]uint8{0xff, 0xff, 0xff, 0xff}) {
		t.Error("the background is not flat")
	}
}
