package jsonx

import (
	"bytes"
	"testing"
)

// The padding itself (TestCutEscapeIsAnError shows its effect only under
// -race, where go-json's read past the end stops the process): text with
// a backslash among its last six bytes gets six NULs in a copy; other text
// is passed as it is.
func TestPadded(t *testing.T) {
	for _, c := range []struct {
		in  string
		pad bool
	}{
		{`{"\`, true},
		{`["\u00`, true},
		{`{"a":"\""}`, true},
		{`{"a":"\"b"}   `, false},
		{`{"a":1}`, false},
		{``, false},
		{`\`, true},
	} {
		in := []byte(c.in)
		buf := append(make([]byte, 0, len(in)+16), in...) // room after it: padding must not write there
		got := padded(buf)
		want := c.in
		if c.pad {
			want += "\x00\x00\x00\x00\x00\x00"
		}
		if string(got) != want {
			t.Errorf("padded(%q) = %q, want %q", c.in, got, want)
		}
		if c.pad && len(got) > 0 && &got[0] == &buf[0] {
			t.Errorf("padded(%q) wrote into the caller's buffer", c.in)
		}
		if !bytes.Equal(buf, in) || string(buf[:cap(buf)][len(in):len(in)+1]) != "\x00" {
			t.Errorf("padded(%q) changed the caller's buffer", c.in)
		}
	}
}
