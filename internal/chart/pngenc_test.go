package chart

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"testing"
)

// encodePNG writes every pixel as drawn, rows repeated or not (a repeated
// row reuses the filtered bytes of the one above), and an image with any
// transparency, even in a repeated row or the last pixel, keeps it.
func TestEncodePNG(t *testing.T) {
	for _, tc := range []struct {
		name  string
		paint func(img *image.RGBA)
	}{
		{"opaque, rows repeated and changed", func(img *image.RGBA) {
			img.Set(3, 2, color.RGBA{200, 10, 10, 255})
			img.Set(5, 7, color.RGBA{10, 200, 10, 255})
		}},
		{"transparent pixel in a repeated row", func(img *image.RGBA) {
			img.Set(0, 6, color.RGBA{0, 0, 0, 0})
		}},
		{"half-transparent last pixel", func(img *image.RGBA) {
			img.Set(7, 9, color.RGBA{0, 0, 0, 128}) // premultiplied: round-trips exactly
		}},
	} {
		img := image.NewRGBA(image.Rect(0, 0, 8, 10))
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
		got, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		for y := range 10 {
			for x := range 8 {
				if g, w := color.RGBAModel.Convert(got.At(x, y)), img.At(x, y); g != w {
					t.Fatalf("%s: pixel %d,%d is %v, drawn %v", tc.name, x, y, g, w)
				}
			}
		}
	}
}
