package chart

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"testing"
)

// encodePNG writes every pixel as drawn: paletted, at the fewest bits a
// pixel its colours need, up to 256 colours; as RGB beyond; through
// image/png with any transparency, even in a repeated row, the last pixel
// or after the palette overflowed. Rows repeated or not (a repeated row
// reuses the indices or filtered bytes of the one above), an odd width
// (the last packed byte of a row is partial).
func TestEncodePNG(t *testing.T) {
	const w, h = 17, 16 // 272 pixels: room for 257 colours
	// n colours: the white and blue of every image and n-2 more.
	colours := func(n int) func(img *image.RGBA) {
		return func(img *image.RGBA) {
			for i, p := 0, 0; i < n-2; p++ {
				if x, y := p%w, p/w; x != 1 || y < 4 || y >= 8 {
					img.Set(x, y, color.RGBA{uint8(i), uint8(i >> 8), 7, 255})
					i++
				}
			}
		}
	}
	for _, tc := range []struct {
		name              string
		paint             func(img *image.RGBA)
		depth, colourType byte
	}{
		{"one colour", func(img *image.RGBA) {
			for i := range img.Pix {
				img.Pix[i] = 0xff
			}
		}, 1, 3},
		{"two colours", colours(2), 1, 3},
		{"three colours", colours(3), 2, 3},
		{"opaque, rows repeated and changed", func(img *image.RGBA) {
			img.Set(3, 2, color.RGBA{200, 10, 10, 255})
			img.Set(5, 7, color.RGBA{10, 200, 10, 255})
		}, 2, 3},
		{"five colours", colours(5), 4, 3},
		{"sixteen colours", colours(16), 4, 3},
		{"seventeen colours", colours(17), 8, 3},
		{"256 colours", colours(256), 8, 3},
		{"257 colours", colours(257), 8, 2},
		{"transparent pixel in a repeated row", func(img *image.RGBA) {
			img.Set(0, 6, color.RGBA{0, 0, 0, 0})
		}, 8, 6},
		{"half-transparent last pixel", func(img *image.RGBA) {
			img.Set(w-1, h-1, color.RGBA{0, 0, 0, 128}) // premultiplied: round-trips exactly
		}, 8, 6},
		{"half-transparent pixel after the 257th colour", func(img *image.RGBA) {
			colours(258)(img)
			img.Set(w-1, h-1, color.RGBA{60, 60, 60, 60})
		}, 8, 6},
	} {
		img := image.NewRGBA(image.Rect(0, 0, w, h))
		for i := range img.Pix {
			img.Pix[i] = 0xff
		}
		for y := 4; y < 8; y++ { // rows 4-7 alike, but for what paint sets
			img.Set(1, y, color.RGBA{0, 0, 120, 255})
		}
		tc.paint(img)
		b, err := encodePNG(img)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if b[24] != tc.depth || b[25] != tc.colourType {
			t.Errorf("%s: %d bits, colour type %d; want %d bits, type %d", tc.name, b[24], b[25], tc.depth, tc.colourType)
		}
		samePixels(t, tc.name, b, img)
	}
}

// samePixels decodes a PNG with image/png and compares it with img.
func samePixels(t *testing.T, name string, file []byte, img *image.RGBA) {
	t.Helper()
	got, err := png.Decode(bytes.NewReader(file))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	b := img.Bounds()
	if got.Bounds().Size() != b.Size() {
		t.Fatalf("%s: decoded %v, drawn %v", name, got.Bounds(), b)
	}
	for y := range b.Dy() {
		for x := range b.Dx() {
			if g, w := color.RGBAModel.Convert(got.At(x, y)), img.At(b.Min.X+x, b.Min.Y+y); g != w {
				t.Fatalf("%s: pixel %d,%d is %v, drawn %v", name, x, y, g, w)
			}
		}
	}
}

// FuzzEncodePNG encodes small images (a part of a larger one, sometimes)
// of few or many colours, some not opaque: the file decodes to the same
// pixels, paletted exactly when the image is opaque with at most 256
// colours.
func FuzzEncodePNG(f *testing.F) {
	f.Add([]byte{3, 2, 0, 0, 1, 1, 2, 2, 1, 0})
	f.Add([]byte{23, 23, 1, 1, 5, 9, 200, 0xf3})
	f.Add([]byte{0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 4 {
			return
		}
		w, h, many, sub := 1+int(data[0])%24, 1+int(data[1])%24, data[2]&1 == 1, data[3]&1 == 1
		px := data[4:]
		whole := image.NewRGBA(image.Rect(0, 0, w+2, h+2))
		img := whole
		if sub {
			img = whole.SubImage(image.Rect(1, 2, w+1, h+2)).(*image.RGBA)
		}
		b := img.Bounds()
		colours := map[color.RGBA]bool{}
		opaque := true
		for i := range b.Dx() * b.Dy() {
			x, y := b.Min.X+i%b.Dx(), b.Min.Y+i/b.Dx()
			var v byte
			if len(px) > 0 {
				v = px[i%len(px)]
			}
			c := color.RGBA{v * 37, v * 91, v * 13, 255}
			switch {
			case v >= 0xf0: // premultiplied grey: round-trips exactly
				a := (v & 0xf) * 16
				c = color.RGBA{a, a, a, a}
			case many:
				c.G, c.B = uint8(x*10), uint8(y*10)
			}
			img.SetRGBA(x, y, c)
			colours[c] = true
			opaque = opaque && c.A == 0xff
		}
		file, err := encodePNG(img)
		if err != nil {
			t.Fatal(err)
		}
		samePixels(t, "fuzz", file, img)
		if paletted := file[25] == 3; paletted != (opaque && len(colours) <= 256) {
			t.Errorf("colour type %d for %d colours, opaque %v", file[25], len(colours), opaque)
		}
	})
}

// BenchmarkEncodePNG encodes the fixture's chart, drawn once.
func BenchmarkEncodePNG(b *testing.B) {
	pts, due, f := fixture()
	c := newRaster(width, height, 1)
	draw(c, prepare(pts, due, f, nil))
	for b.Loop() {
		if _, err := encodePNG(c.img); err != nil {
			b.Fatal(err)
		}
	}
}
