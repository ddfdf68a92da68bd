package fault_test

import (
	"testing"

	"github.com/forewarn/forewarn/internal/testserver/fault"
)

// TestScriptMatches: a fault hits requests of its method and route, after
// Skip of them, Times times (default once, -1 for ever); the first pending
// fault that matches wins.
func TestScriptMatches(t *testing.T) {
	var s fault.Script
	s.Inject(fault.Fault{Method: "POST", Route: "/issues", Kind: fault.LoseResponse, Skip: 1})
	s.Inject(fault.Fault{Route: "/issues", Kind: fault.Status, Status: 502, Times: 2})
	s.Inject(fault.Fault{Method: "GET", Kind: fault.Slow, Times: -1})
	kind := func(method, route string) string {
		if f := s.Next(method, route); f != nil {
			return f.Kind.String()
		}
		return "-"
	}
	for i, c := range []struct{ method, route, want string }{
		{"POST", "/issues", "status"},        // the first is skipped once; the second matches any method
		{"POST", "/issues", "lose-response"}, // then hits
		{"POST", "/issues", "status"},        // the first is spent; the second's second time
		{"POST", "/issues", "-"},             // all spent
		{"GET", "/milestones", "slow"},
		{"GET", "/issues", "slow"},
		{"PATCH", "/milestones", "-"},
	} {
		if got := kind(c.method, c.route); got != c.want {
			t.Errorf("request %d (%s %s): %s, want %s", i, c.method, c.route, got, c.want)
		}
	}
	s.Clear()
	if f := s.Next("GET", "/issues"); f != nil {
		t.Fatalf("after Clear: %v", f.Kind)
	}
}
