package chart

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/png"
	"sync"

	"github.com/klauspost/compress/zlib"
)

// encoders keeps what encoding a chart needs between charts: a zlib writer
// and the buffers. The deflater is klauspost/compress's at BestSpeed, not
// the standard library's: on a chart it compresses 2.5–3× faster for a
// file about 9 % larger, and it is the same format (the standard library's
// image/png decodes it; TestPNG checks every pixel).
var encoders = sync.Pool{New: func() any {
	zw, err := zlib.NewWriterLevel(nil, zlib.BestSpeed)
	if err != nil {
		panic(err) // BestSpeed is a valid level
	}
	return &encoder{zw: zw}
}}

type encoder struct {
	zw   *zlib.Writer
	data bytes.Buffer // the compressed rows
	// The paletted image: each row a filter byte and then one index a
	// pixel (packed to fewer bits once the palette's size is known).
	idx []byte
	pal []uint32 // the palette's colours as read from the image's bytes (R in the low byte)
	// An open-addressing table from a colour to its index; 0 is an empty
	// slot (no opaque colour reads as 0: its alpha byte is 0xff).
	keys [512]uint32
	vals [512]uint8
	row  []byte // a filtered row of the RGB path
}

// encodePNG writes an opaque RGBA image as a PNG holding exactly its
// pixels. A chart is a few flat colours and the anti-aliased edges between
// them (the rasteriser paints coverage in few steps, see raster): at most
// 256 colours, so it is written paletted, one byte a pixel (or fewer bits
// when the palette is small enough), a third of the bytes to compress of
// an RGB image. An image with more colours is written as RGB, and one with
// any transparency (a chart has none: it starts with a white background)
// goes to image/png.
func encodePNG(img *image.RGBA) ([]byte, error) {
	e := encoders.Get().(*encoder)
	defer encoders.Put(e)
	switch e.index(img) {
	case indexed:
		return e.paletted(img.Bounds().Dx(), img.Bounds().Dy())
	case tooManyColours:
		return e.rgb(img)
	}
	var out bytes.Buffer
	err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&out, img)
	return out.Bytes(), err
}

// What index found.
const (
	indexed = iota
	tooManyColours
	transparent
)

// index maps every pixel of img to its colour's index in e.pal, building
// the palette as it goes, into e.idx (rows filtered with None: the
// indices of neighbouring pixels are not numbers that differ by little,
// and Sub or Up compress no better; see docs/benchmarks.md). A pixel like
// the one to its left and a row like the one above are not looked up
// again. It stops at the first transparent pixel or at the 257th colour.
func (e *encoder) index(img *image.RGBA) int {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	stride := 1 + w
	if cap(e.idx) < stride*h {
		e.idx = make([]byte, stride*h)
	}
	e.idx = e.idx[:stride*h]
	e.pal = e.pal[:0]
	clear(e.keys[:])
	var above []byte
	for y := range h {
		pix := img.Pix[img.PixOffset(b.Min.X, b.Min.Y+y):][:4*w]
		out := e.idx[y*stride:][:stride]
		out[0] = 0 // filter type None
		if above != nil && bytes.Equal(pix, above) {
			copy(out[1:], e.idx[(y-1)*stride+1:][:w])
			continue
		}
		above = pix
		// The colour of the pixel before, twice: two pixels like it are
		// compared at once.
		var pair uint64
		var pi uint8
		o := out[1:]
		for x := 0; x < w; {
			if x > 0 && x+2 <= w && binary.LittleEndian.Uint64(pix[4*x:]) == pair {
				o[x], o[x+1] = pi, pi
				x += 2
				continue
			}
			if c := binary.LittleEndian.Uint32(pix[4*x:]); x == 0 || c != uint32(pair) {
				if c>>24 != 0xff {
					return transparent
				}
				i, ok := e.lookup(c)
				if !ok {
					return tooManyColours
				}
				pair, pi = uint64(c)<<32|uint64(c), i
			}
			o[x] = pi
			x++
		}
	}
	return indexed
}

// lookup is c's index in the palette, adding c when it is new; ok is false
// when the palette is full.
func (e *encoder) lookup(c uint32) (uint8, bool) {
	const mask = len(e.keys) - 1
	for h := int(c*0x9e3779b1>>23) & mask; ; h = (h + 1) & mask {
		switch e.keys[h] {
		case c:
			return e.vals[h], true
		case 0:
			if len(e.pal) == 256 {
				return 0, false
			}
			e.keys[h], e.vals[h] = c, uint8(len(e.pal))
			e.pal = append(e.pal, c)
			return e.vals[h], true
		}
	}
}

// paletted writes the image index built as a paletted PNG: 8 bits a pixel,
// or 4, 2 or 1 when the palette has at most 16, 4 or 2 colours.
func (e *encoder) paletted(w, h int) ([]byte, error) {
	depth := 8
	for _, d := range []int{1, 2, 4} {
		if len(e.pal) <= 1<<d {
			depth = d
			break
		}
	}
	rows := e.idx
	if depth < 8 {
		// Pack each row in place: a row's packed bytes start no later
		// than its indices, and a byte is written after the indices it
		// packs are read.
		per := 8 / depth
		packed := 1 + (w*depth+7)/8
		for y := range h {
			src := e.idx[y*(1+w)+1:][:w]
			dst := e.idx[y*packed:][:packed]
			dst[0] = 0 // filter type None
			for j := 1; j < packed; j++ {
				var v byte
				for k := range per {
					v <<= depth
					if x := (j-1)*per + k; x < w {
						v |= src[x]
					}
				}
				dst[j] = v
			}
		}
		rows = e.idx[:packed*h]
	}
	if err := e.compress(rows); err != nil {
		return nil, err
	}
	plte := make([]byte, 3*len(e.pal))
	for i, c := range e.pal {
		plte[3*i], plte[3*i+1], plte[3*i+2] = byte(c), byte(c>>8), byte(c>>16)
	}
	return e.file(w, h, byte(depth), 3, plte), nil
}

func (e *encoder) compress(rows []byte) error {
	e.data.Reset()
	e.zw.Reset(&e.data)
	if _, err := e.zw.Write(rows); err != nil {
		return err
	}
	return e.zw.Close()
}

// file is the PNG around the compressed rows: colour type 3 (paletted,
// with plte) or 2 (RGB).
func (e *encoder) file(w, h int, depth, colourType byte, plte []byte) []byte {
	var out bytes.Buffer
	out.Grow(8 + 25 + 12 + len(plte) + 12 + e.data.Len() + 12)
	out.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(kind string, data []byte) {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(data)))
		out.Write(n[:])
		crc := crc32.NewIEEE()
		crc.Write([]byte(kind))
		crc.Write(data)
		out.WriteString(kind)
		out.Write(data)
		binary.BigEndian.PutUint32(n[:], crc.Sum32())
		out.Write(n[:])
	}
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8], ihdr[9] = depth, colourType
	chunk("IHDR", ihdr[:])
	if plte != nil {
		chunk("PLTE", plte)
	}
	chunk("IDAT", e.data.Bytes())
	chunk("IEND", nil)
	return out.Bytes()
}

// rgb writes an opaque RGBA image as an 8-bit RGB PNG, every row filtered
// with Sub. image/png tries all five filters on every row to pick the one
// that compresses best; on a chart (flat areas, thin lines) Sub alone
// compresses about as well, and that trial was most of the time a chart
// took. A row like the one above it filters to the same bytes, so it is
// not filtered again. An image with any transparency (the alpha is
// checked as the rows are filtered) goes to image/png.
func (e *encoder) rgb(img *image.RGBA) ([]byte, error) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	e.data.Reset()
	e.zw.Reset(&e.data)
	if cap(e.row) < 1+3*w {
		e.row = make([]byte, 1+3*w)
	}
	row := e.row[:1+3*w]
	row[0] = 1 // filter type Sub: each byte minus the one a pixel to its left
	alpha := byte(0xff)
	var above []byte
	for y := b.Min.Y; y < b.Max.Y; y++ {
		pix := img.Pix[img.PixOffset(b.Min.X, y):][:4*w]
		if above == nil || !bytes.Equal(pix, above) {
			var pr, pg, pb byte
			for x, i, o := 0, 0, 1; x < w; x, i, o = x+1, i+4, o+3 {
				r, g, bl := pix[i], pix[i+1], pix[i+2]
				alpha &= pix[i+3]
				row[o], row[o+1], row[o+2] = r-pr, g-pg, bl-pb
				pr, pg, pb = r, g, bl
			}
			above = pix
		}
		if _, err := e.zw.Write(row); err != nil {
			return nil, err
		}
	}
	if err := e.zw.Close(); err != nil {
		return nil, err
	}
	if alpha != 0xff {
		var out bytes.Buffer
		err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&out, img)
		return out.Bytes(), err
	}
	return e.file(w, h, 8, 2, nil), nil
}
