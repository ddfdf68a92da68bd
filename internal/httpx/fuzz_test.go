package httpx_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/forewarn/forewarn/internal/httpx"
)

// FuzzWait: whatever a server puts in its rate-limit headers, the wait is
// never negative and parsing never panics.
func FuzzWait(f *testing.F) {
	for _, s := range [][3]string{
		{"60", "", ""},
		{"Wed, 21 Oct 2015 07:28:00 GMT", "", ""},
		{"", "0", "1700000030"},
		{"", "0", "-5"},
		{"-1", "0", "99999999999999999999"},
		{"1e9", "", ""},
	} {
		f.Add(s[0], s[1], s[2])
	}
	now := time.Unix(1_700_000_000, 0)
	f.Fuzz(func(t *testing.T, retryAfter, remaining, reset string) {
		r := &http.Response{StatusCode: 403, Header: http.Header{}}
		r.Header.Set("Retry-After", retryAfter)
		r.Header.Set("X-RateLimit-Remaining", remaining)
		r.Header.Set("X-RateLimit-Reset", reset)
		d, ok := httpx.Wait(r, now)
		if d < 0 {
			t.Fatalf("negative wait %v", d)
		}
		if !ok && d != 0 {
			t.Fatalf("no wait reported but %v given", d)
		}
	})
}
