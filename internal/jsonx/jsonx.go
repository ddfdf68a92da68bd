// Package jsonx decodes JSON with go-json, safely from many goroutines.
//
// go-json compiles a decoder for each Go type on its first use and keeps
// it in a cache that, outside race-detector builds, is written and read
// without synchronisation. Two goroutines decoding a type for the first
// time at once can then see a half-written entry and call a nil decoder
// (a nil-pointer panic inside go-json: upstream issues 474 and 495). The
// GitHub source decodes two milestones' pages at once and every source
// runs in its own goroutine, and CI's kill loop met that panic once in a
// few hundred runs. Unmarshal compiles each type once, under a sync.Once,
// before any goroutine decodes with it.
package jsonx

import (
	"bytes"
	"fmt"
	"reflect"
	"sync"

	gojson "github.com/goccy/go-json"
)

// cutEscape is the longest escape (`\uXXXX`) go-json may read past the end.
const cutEscape = 6

// compiled holds a *sync.Once per destination type.
var compiled sync.Map

// Unmarshal is go-json's Unmarshal, with v's type compiled once before its
// first concurrent use.
//
// go-json ends the text it decodes with one NUL and reads past it when
// the text ends in an escape cut short (`{"\`, `["\u0`): it steps over
// the NUL and reads whatever memory follows until, some tens of thousands
// of decodes in, an index is out of range (or, under -race, checkptr
// stops the process). Text with a backslash among its last bytes is
// given more NULs first (a copy, which no whole page needs), and any
// panic left is an error like any malformed JSON.
func Unmarshal(data []byte, v any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("malformed JSON (the decoder failed: %v)", r)
		}
	}()
	data = padded(data)
	t := reflect.TypeOf(v)
	once, ok := compiled.Load(t)
	if !ok {
		once, _ = compiled.LoadOrStore(t, new(sync.Once))
	}
	once.(*sync.Once).Do(func() {
		if t != nil && t.Kind() == reflect.Pointer {
			// Decoding null compiles the decoder of t (go-json compiles
			// before it reads) and writes nothing.
			_ = gojson.Unmarshal([]byte("null"), reflect.New(t.Elem()).Interface())
		}
	})
	return gojson.Unmarshal(data, v)
}

// padded is data with cutEscape NULs after it when a backslash is among
// its last cutEscape bytes (a copy: the caller's buffer is not written),
// else data itself.
func padded(data []byte) []byte {
	if n := len(data); bytes.IndexByte(data[max(0, n-cutEscape):], '\\') >= 0 {
		return append(data[:n:n], make([]byte, cutEscape)...)
	}
	return data
}
