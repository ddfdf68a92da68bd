package jsonx_test

import (
	"encoding/json"
	"reflect"
	"sync"
	"testing"

	"github.com/forewarn/forewarn/internal/jsonx"
)

type issue[T any] struct {
	Title  string   `json:"title"`
	Labels []string `json:"labels"`
	Sub    []struct {
		N int `json:"n"`
	} `json:"sub"`
	Extra T `json:"extra"`
}

type (
	k0 struct{ X int }
	k1 struct{ X int }
	k2 struct{ X int }
	k3 struct{ X int }
)

const page = `[{"title":"a","labels":["x","y"],"sub":[{"n":1},{"n":2}],"extra":{"X":3}},{"title":"b","labels":[],"sub":[],"extra":{"X":4}}]`

// decodeAtOnce decodes page into []*issue[T] from several goroutines that
// start together, each a first use of the type, and checks every result
// against encoding/json's.
func decodeAtOnce[T any](t *testing.T, start <-chan struct{}, wg *sync.WaitGroup) {
	var want []*issue[T]
	if err := json.Unmarshal([]byte(page), &want); err != nil {
		t.Fatal(err)
	}
	for range 8 {
		wg.Go(func() {
			<-start
			var got []*issue[T]
			if err := jsonx.Unmarshal([]byte(page), &got); err != nil {
				t.Error(err)
				return
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("decoded %+v, want %+v", got, want)
			}
		})
	}
}

// Types never decoded before, decoded by many goroutines at once, decode
// as encoding/json decodes them.
func TestConcurrentFirstUse(t *testing.T) {
	start := make(chan struct{})
	var wg sync.WaitGroup
	decodeAtOnce[k0](t, start, &wg)
	decodeAtOnce[k1](t, start, &wg)
	decodeAtOnce[k2](t, start, &wg)
	decodeAtOnce[k3](t, start, &wg)
	close(start)
	wg.Wait()
}

// What go-json refuses, Unmarshal refuses too, whatever v is.
func TestErrors(t *testing.T) {
	var n int
	for _, tc := range []struct {
		name string
		data string
		v    any
	}{
		{"syntax", `{"title":`, &[]*issue[k0]{}},
		{"not a pointer", `1`, n},
		{"nil", `1`, nil},
		{"wrong type", `"x"`, &n},
	} {
		if err := jsonx.Unmarshal([]byte(tc.data), tc.v); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
	if err := jsonx.Unmarshal([]byte(`7`), &n); err != nil || n != 7 {
		t.Errorf("decoding 7: %d, %v", n, err)
	}
}

// go-json reads past the end of text cut in an escape: what lies there
// decides, and some tens of thousands of decodes in, one panics (index out
// of range; under -race checkptr stops the process). Unmarshal says the
// text is malformed, every time, and still decodes whole text that ends
// in escapes.
func TestCutEscapeIsAnError(t *testing.T) {
	type page struct {
		Token  string `json:"nextPageToken"`
		Last   bool   `json:"isLast"`
		Start  int    `json:"startAt"`
		Total  int    `json:"total"`
		Issues []struct {
			Key string `json:"key"`
		} `json:"issues"`
	}
	for _, cut := range []string{`{"\`, `{"\u00`, `{"nextPageToken":"\`, `{"nextPageToken":"\u0`, `{"issues":[{"key":"\`, `["\`} {
		for range 50_000 {
			var p page
			if err := jsonx.Unmarshal([]byte(cut), &p); err == nil {
				t.Fatalf("decoding %s: no error", cut)
			}
		}
	}
	var p page
	if err := jsonx.Unmarshal([]byte(`{"nextPageToken":"a\\\u0062\""}`), &p); err != nil || p.Token != `a\b"` {
		t.Fatalf("a token ending in escapes: %q, %v", p.Token, err)
	}
}
