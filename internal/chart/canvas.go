package chart

import (
	"fmt"
	"html"
	"image"
	"image/color"
	imagedraw "image/draw"
	"math"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

// canvas is what the burn-down is drawn on: an SVG document or a raster
// image. Coordinates are pixels from the top left.
type canvas interface {
	rect(x, y, w, h float64, fill string)
	line(x1, y1, x2, y2 float64, stroke string, width float64, dash []float64)
	polyline(xs, ys []float64, stroke string, width float64, dash []float64)
	circle(cx, cy, r float64, fill string)
	// text draws s with its baseline at y; anchor is start, middle or end.
	text(x, y float64, s, fill, anchor string, size float64, bold bool)
}

// svgCanvas writes SVG elements.
type svgCanvas struct{ b strings.Builder }

func dashAttr(d []float64) string {
	if len(d) == 0 {
		return ""
	}
	parts := make([]string, len(d))
	for i, v := range d {
		parts[i] = strconv.FormatFloat(v, 'f', -1, 64)
	}
	return ` stroke-dasharray="` + strings.Join(parts, " ") + `"`
}

func (c *svgCanvas) rect(x, y, w, h float64, fill string) {
	fmt.Fprintf(&c.b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`+"\n", x, y, w, h, fill)
}

func (c *svgCanvas) line(x1, y1, x2, y2 float64, stroke string, width float64, dash []float64) {
	fmt.Fprintf(&c.b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="%g"%s/>`+"\n", x1, y1, x2, y2, stroke, width, dashAttr(dash))
}

func (c *svgCanvas) polyline(xs, ys []float64, stroke string, width float64, dash []float64) {
	pts := make([]string, len(xs))
	for i := range xs {
		pts[i] = fmt.Sprintf("%.1f,%.1f", xs[i], ys[i])
	}
	fmt.Fprintf(&c.b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="%g" stroke-linejoin="round"%s/>`+"\n", strings.Join(pts, " "), stroke, width, dashAttr(dash))
}

func (c *svgCanvas) circle(cx, cy, r float64, fill string) {
	fmt.Fprintf(&c.b, `<circle cx="%.1f" cy="%.1f" r="%g" fill="%s"/>`+"\n", cx, cy, r, fill)
}

func (c *svgCanvas) text(x, y float64, s, fill, anchor string, size float64, bold bool) {
	weight := ""
	if bold {
		weight = ` font-weight="bold"`
	}
	fmt.Fprintf(&c.b, `<text x="%.1f" y="%.1f" text-anchor="%s" font-size="%g"%s fill="%s">%s</text>`+"\n", x, y, anchor, size, weight, fill, html.EscapeString(s))
}

// rasterCanvas draws anti-aliased shapes into an RGBA image with the
// pure-Go rasteriser of golang.org/x/image/vector, and text with its
// built-in 7×13 bitmap face.
type rasterCanvas struct {
	img   *image.RGBA
	scale float64
	z     *vector.Rasterizer // reused by every fill (Reset keeps its buffers)
	mask  image.Alpha        // a fill's coverage, reused likewise
	path  path               // the fill being drawn, reused likewise
	band  path               // the shapes of a fill that reach a band, reused likewise
	// The colours painted since the background (R, G and B bytes, R
	// lowest): a pixel of one of them is flat, any other is an
	// anti-aliased edge.
	flat  []uint32
	whole bool // rasterise every fill over its whole box, not in bands (a test compares)
}

func newRaster(w, h int, scale float64) *rasterCanvas {
	return &rasterCanvas{img: image.NewRGBA(image.Rect(0, 0, int(float64(w)*scale), int(float64(h)*scale))), scale: scale}
}

// rasters keeps canvases of the chart's size between charts: a run draws
// hundreds, and each canvas holds a 1 MB image and the rasteriser's
// buffers. A chart paints its whole background first, so what a reused
// image held does not show.
var rasters = sync.Pool{New: func() any { return newRaster(width, height, 1) }}

func parseColor(s string) color.RGBA {
	if len(s) == 7 && s[0] == '#' {
		if v, err := strconv.ParseUint(s[1:], 16, 32); err == nil {
			return color.RGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 255}
		}
	}
	return color.RGBA{0, 0, 0, 255}
}

// path records a shape so it can be rasterised over its bounding box only.
type path struct {
	ops []pathOp
}

type pathOp struct {
	kind byte // 'M', 'L', 'Z'
	x, y float32
}

func (p *path) MoveTo(x, y float32) { p.ops = append(p.ops, pathOp{'M', x, y}) }
func (p *path) LineTo(x, y float32) { p.ops = append(p.ops, pathOp{'L', x, y}) }
func (p *path) ClosePath()          { p.ops = append(p.ops, pathOp{kind: 'Z'}) }

// fill rasterises the path built by build and paints it in col. The
// rasteriser covers only the path's bounding box, and a shape whose box is
// large (a line across the plot) band by band, each band only as wide as
// the path's edges within its rows: the cost of a fill is the area
// rasterised, and a diagonal line's box is mostly empty.
func (c *rasterCanvas) fill(col string, build func(z *path)) {
	p := &c.path
	p.ops = p.ops[:0]
	build(p)
	if len(p.ops) == 0 {
		return
	}
	minX, minY := float32(math.Inf(1)), float32(math.Inf(1))
	maxX, maxY := float32(math.Inf(-1)), float32(math.Inf(-1))
	for _, o := range p.ops {
		if o.kind == 'Z' {
			continue
		}
		minX, minY = min(minX, o.x), min(minY, o.y)
		maxX, maxY = max(maxX, o.x), max(maxY, o.y)
	}
	box := image.Rect(int(math.Floor(float64(minX))), int(math.Floor(float64(minY))),
		int(math.Ceil(float64(maxX)))+1, int(math.Ceil(float64(maxY)))+1).Intersect(c.img.Bounds())
	if box.Empty() {
		return
	}
	src := parseColor(col)
	if c.whole || box.Dx()*box.Dy() <= bandArea {
		c.raster(p, box, src)
		return
	}
	// A band gets only the closed shapes that reach its rows (a dashed
	// line is a shape a dash): a shape above or below them adds nothing
	// to their coverage.
	shapes := p.shapes()
	for y0 := box.Min.Y; y0 < box.Max.Y; y0 += bandRows {
		y1 := min(y0+bandRows, box.Max.Y)
		c.band.ops = c.band.ops[:0]
		for _, sh := range shapes {
			if sh.maxY >= float32(y0) && sh.minY <= float32(y1) {
				c.band.ops = append(c.band.ops, p.ops[sh.from:sh.to]...)
			}
		}
		lo, hi, ok := c.band.xSpan(float32(y0), float32(y1))
		if !ok {
			continue
		}
		// Two pixels either side: an edge's anti-aliasing reaches the
		// pixel after the one it crosses.
		band := image.Rect(int(math.Floor(float64(lo)))-2, y0, int(math.Ceil(float64(hi)))+2, y1).Intersect(box)
		if !band.Empty() {
			c.raster(&c.band, band, src)
		}
	}
}

// shape is a closed part of a path: its ops and vertical extent.
type shape struct {
	from, to   int
	minY, maxY float32
}

// shapes splits the path at each MoveTo.
func (p *path) shapes() []shape {
	var out []shape
	for i, o := range p.ops {
		switch {
		case o.kind == 'M':
			out = append(out, shape{from: i, to: i + 1, minY: o.y, maxY: o.y})
		case len(out) == 0: // every shape drawn here starts with MoveTo
		default:
			sh := &out[len(out)-1]
			sh.to = i + 1
			if o.kind != 'Z' {
				sh.minY, sh.maxY = min(sh.minY, o.y), max(sh.maxY, o.y)
			}
		}
	}
	return out
}

// Fills whose box is larger than bandArea pixels are rasterised in bands
// of bandRows rows.
const (
	bandArea = 64 * 64
	bandRows = 16
)

// raster rasterises the whole path over box only and paints it there in
// col. The rasteriser writes the coverage of box's pixels into a mask (its
// fastest path), and each pixel is blended with col at its coverage
// rounded to one of coverageLevels steps: an anti-aliased edge over a flat
// colour takes at most coverageLevels-1 colours between the two. Over a
// pixel that is itself an edge (lines crossing or running close) the
// coverage is rounded to none, half or full, so that colours of colours
// do not multiply: a chart keeps few enough colours for a paletted PNG
// (see encodePNG), and looks the same (TestCoverageSteps measures how
// close). The canvas is opaque (a chart paints its background first).
// Rows are independent in the rasteriser, and a band is as wide as every
// edge crossing its rows, so the pixels painted are those a rasterisation
// of the whole box would paint there (up to float rounding, as the band's
// origin differs).
func (c *rasterCanvas) raster(p *path, box image.Rectangle, col color.RGBA) {
	w, h := box.Dx(), box.Dy()
	ox, oy := float32(box.Min.X), float32(box.Min.Y)
	if c.z == nil {
		c.z = vector.NewRasterizer(w, h)
	} else {
		c.z.Reset(w, h)
	}
	z := c.z
	z.DrawOp = imagedraw.Src
	for _, o := range p.ops {
		switch o.kind {
		case 'M':
			z.MoveTo(o.x-ox, o.y-oy)
		case 'L':
			z.LineTo(o.x-ox, o.y-oy)
		default:
			z.ClosePath()
		}
	}
	if cap(c.mask.Pix) < w*h {
		c.mask.Pix = make([]uint8, w*h)
	}
	c.mask.Pix, c.mask.Stride, c.mask.Rect = c.mask.Pix[:w*h], w, image.Rect(0, 0, w, h)
	z.Draw(&c.mask, c.mask.Rect, image.Opaque, image.Point{})
	c.addFlat(col)
	var blends [coverageLevels][3]uint32 // col's channels times each step
	for q := range blends {
		blends[q] = [3]uint32{uint32(col.R) * uint32(q), uint32(col.G) * uint32(q), uint32(col.B) * uint32(q)}
	}
	for y := range h {
		m := c.mask.Pix[y*w:][:w]
		pix := c.img.Pix[c.img.PixOffset(box.Min.X, box.Min.Y+y):][:4*w]
		for x, a := range m {
			q := coverage[a]
			switch q {
			case 0:
			case coverageLevels:
				pix[4*x], pix[4*x+1], pix[4*x+2], pix[4*x+3] = col.R, col.G, col.B, 0xff
			default:
				d := pix[4*x:][:4]
				if !c.isFlat(d) {
					switch {
					case q < coverageLevels/4:
						continue
					case q > coverageLevels*3/4:
						d[0], d[1], d[2] = col.R, col.G, col.B
						continue
					}
					q = coverageLevels / 2
				}
				// Each channel is the mix of col's and what is there.
				b, r := &blends[q], uint32(coverageLevels-q)
				d[0] = uint8((uint32(d[0])*r + b[0] + coverageLevels/2) / coverageLevels)
				d[1] = uint8((uint32(d[1])*r + b[1] + coverageLevels/2) / coverageLevels)
				d[2] = uint8((uint32(d[2])*r + b[2] + coverageLevels/2) / coverageLevels)
			}
		}
	}
}

func (c *rasterCanvas) addFlat(col color.RGBA) {
	k := uint32(col.R) | uint32(col.G)<<8 | uint32(col.B)<<16
	for _, f := range c.flat {
		if f == k {
			return
		}
	}
	c.flat = append(c.flat, k)
}

func (c *rasterCanvas) isFlat(d []uint8) bool {
	k := uint32(d[0]) | uint32(d[1])<<8 | uint32(d[2])<<16
	for _, f := range c.flat {
		if f == k {
			return true
		}
	}
	return false
}

// coverageLevels is how many steps of coverage an anti-aliased pixel is
// painted at, and coverage the step of each coverage byte, rounded.
const coverageLevels = 16

var coverage = func() (t [256]uint8) {
	for a := range t {
		t[a] = uint8((a*coverageLevels + 127) / 255)
	}
	return t
}()

// xSpan is the horizontal extent of the path's edges (closing edges
// included) within the rows from y0 to y1; ok is false when no edge
// reaches them.
func (p *path) xSpan(y0, y1 float32) (lo, hi float32, ok bool) {
	lo, hi = float32(math.Inf(1)), float32(math.Inf(-1))
	edge := func(ax, ay, bx, by float32) {
		if ay > by {
			ax, ay, bx, by = bx, by, ax, ay
		}
		if by < y0 || ay > y1 {
			return
		}
		// The edge's x where it enters and leaves the rows.
		at := func(y float32) float32 {
			if by == ay {
				return ax
			}
			return ax + (bx-ax)*(y-ay)/(by-ay)
		}
		xa, xb := ax, bx
		if ay < y0 {
			xa = at(y0)
		}
		if by > y1 {
			xb = at(y1)
		}
		lo, hi = min(lo, xa, xb), max(hi, xa, xb)
		ok = true
	}
	var sx, sy, px, py float32 // every shape drawn here is closed (ClosePath)
	for _, o := range p.ops {
		switch o.kind {
		case 'M':
			sx, sy, px, py = o.x, o.y, o.x, o.y
		case 'L':
			edge(px, py, o.x, o.y)
			px, py = o.x, o.y
		default:
			edge(px, py, sx, sy)
			px, py = sx, sy
		}
	}
	return lo, hi, ok
}

func (c *rasterCanvas) rect(x, y, w, h float64, fill string) {
	// On whole pixels the rasteriser covers every pixel fully (colours are
	// opaque): painting them directly gives the same image, without
	// accumulating coverage over the whole background (3 ms a chart).
	r := image.Rect(int(x*c.scale), int(y*c.scale), int((x+w)*c.scale), int((y+h)*c.scale))
	if float64(r.Min.X) == x*c.scale && float64(r.Min.Y) == y*c.scale && float64(r.Max.X) == (x+w)*c.scale && float64(r.Max.Y) == (y+h)*c.scale {
		if r.In(c.img.Bounds()) && c.img.Bounds().In(r) {
			c.flat = c.flat[:0] // a new picture: none of the old colours is left
		}
		c.addFlat(parseColor(fill))
		imagedraw.Draw(c.img, r.Intersect(c.img.Bounds()), image.NewUniform(parseColor(fill)), image.Point{}, imagedraw.Over)
		return
	}
	s := float32(c.scale)
	c.fill(fill, func(z *path) {
		z.MoveTo(float32(x)*s, float32(y)*s)
		z.LineTo(float32(x+w)*s, float32(y)*s)
		z.LineTo(float32(x+w)*s, float32(y+h)*s)
		z.LineTo(float32(x)*s, float32(y+h)*s)
		z.ClosePath()
	})
}

// segment adds a thick segment as a quad, always wound the same way so
// overlapping pieces of one stroke add up instead of cancelling.
func (c *rasterCanvas) segment(z *path, x1, y1, x2, y2, width float64) {
	dx, dy := x2-x1, y2-y1
	l := math.Hypot(dx, dy)
	if l == 0 {
		return
	}
	nx, ny := -dy/l*width/2, dx/l*width/2
	s := c.scale
	pts := [4][2]float64{{x1 + nx, y1 + ny}, {x2 + nx, y2 + ny}, {x2 - nx, y2 - ny}, {x1 - nx, y1 - ny}}
	z.MoveTo(float32(pts[0][0]*s), float32(pts[0][1]*s))
	for _, p := range pts[1:] {
		z.LineTo(float32(p[0]*s), float32(p[1]*s))
	}
	z.ClosePath()
}

// dashed splits a polyline into its visible pieces.
func dashed(xs, ys []float64, dash []float64, emit func(x1, y1, x2, y2 float64)) {
	if len(dash) == 0 {
		for i := 1; i < len(xs); i++ {
			emit(xs[i-1], ys[i-1], xs[i], ys[i])
		}
		return
	}
	di, left, on := 0, dash[0], true
	for i := 1; i < len(xs); i++ {
		x, y := xs[i-1], ys[i-1]
		seg := math.Hypot(xs[i]-x, ys[i]-y)
		if seg == 0 {
			continue
		}
		ux, uy := (xs[i]-x)/seg, (ys[i]-y)/seg
		for seg > 0 {
			step := math.Min(left, seg)
			if on {
				emit(x, y, x+ux*step, y+uy*step)
			}
			x, y = x+ux*step, y+uy*step
			seg -= step
			left -= step
			if left <= 1e-9 {
				di = (di + 1) % len(dash)
				left, on = dash[di], !on
			}
		}
	}
}

func (c *rasterCanvas) polyline(xs, ys []float64, stroke string, width float64, dash []float64) {
	c.fill(stroke, func(z *path) {
		dashed(xs, ys, dash, func(x1, y1, x2, y2 float64) {
			// Extend each piece by half the width so joints close.
			l := math.Hypot(x2-x1, y2-y1)
			ex, ey := (x2-x1)/l*width/2, (y2-y1)/l*width/2
			if len(dash) > 0 {
				ex, ey = 0, 0
			}
			c.segment(z, x1-ex, y1-ey, x2+ex, y2+ey, width)
		})
	})
}

func (c *rasterCanvas) line(x1, y1, x2, y2 float64, stroke string, width float64, dash []float64) {
	c.polyline([]float64{x1, x2}, []float64{y1, y2}, stroke, width, dash)
}

func (c *rasterCanvas) circle(cx, cy, r float64, fill string) {
	s := c.scale
	c.fill(fill, func(z *path) {
		const n = 24
		for i := 0; i <= n; i++ {
			a := 2 * math.Pi * float64(i) / n
			x, y := float32((cx+r*math.Cos(a))*s), float32((cy+r*math.Sin(a))*s)
			if i == 0 {
				z.MoveTo(x, y)
			} else {
				z.LineTo(x, y)
			}
		}
		z.ClosePath()
	})
}

func (c *rasterCanvas) text(x, y float64, s, fill, anchor string, _ float64, bold bool) {
	c.addFlat(parseColor(fill))
	d := &font.Drawer{Dst: c.img, Src: image.NewUniform(parseColor(fill)), Face: basicfont.Face7x13}
	s = bitmapText(s)
	w := float64(d.MeasureString(s).Round())
	px := x * c.scale
	switch anchor {
	case "middle":
		px -= w / 2
	case "end":
		px -= w
	}
	py := y*c.scale - 1
	d.Dot = fixed.P(int(math.Round(px)), int(math.Round(py)))
	d.DrawString(s)
	if bold { // overstrike one pixel to the right
		d.Dot = fixed.P(int(math.Round(px))+1, int(math.Round(py)))
		d.DrawString(s)
	}
}

// bitmapText spells s in the ASCII the PNG's bitmap face has glyphs for:
// a rune outside it would be drawn as a box (the title's "2026–2027").
// Dashes, quotes and the ellipsis become their ASCII forms, Latin-1
// letters lose their accents; any other rune becomes '?'.
func bitmapText(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf:
			b.WriteRune(r)
		case r == '–' || r == '—' || r == '−' || r == '‐':
			b.WriteByte('-')
		case r == '‘' || r == '’':
			b.WriteByte('\'')
		case r == '“' || r == '”':
			b.WriteByte('"')
		case r == '…':
			b.WriteString("...")
		case r == '\u00a0':
			b.WriteByte(' ')
		default:
			if i := strings.IndexRune(latin1Accented, r); i >= 0 {
				b.WriteByte(latin1Base[utf8.RuneCountInString(latin1Accented[:i])])
			} else {
				b.WriteByte('?')
			}
		}
	}
	return b.String()
}

// latin1Accented and latin1Base pair each accented Latin-1 letter with its
// base letter, position for position.
const (
	latin1Accented = "ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖØÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöøùúûüýÿ"
	latin1Base     = "AAAAAACEEEEIIIINOOOOOOUUUUYaaaaaaceeeeiiiinoooooouuuuyy"
)
