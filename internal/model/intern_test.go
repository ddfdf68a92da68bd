package model_test

import (
	"sync"
	"testing"
	"unsafe"

	"github.com/forewarn/forewarn/internal/model"
)

func TestInternerSharesEqualStringsAndLists(t *testing.T) {
	var in model.Interner
	a := in.String(string([]byte("in progress")))
	b := in.String(string([]byte("in progress")))
	if a != "in progress" || unsafe.StringData(a) != unsafe.StringData(b) {
		t.Fatalf("%q and %q are not one copy", a, b)
	}
	l1 := in.List([]string{"points:3", string([]byte("in progress"))})
	l2 := in.List([]string{"points:3", "in progress"})
	if len(l1) != 2 || &l1[0] != &l2[0] || unsafe.StringData(l1[1]) != unsafe.StringData(a) {
		t.Fatalf("lists %v and %v are not one copy", l1, l2)
	}
	if cap(l1) != len(l1) {
		t.Fatalf("a shared list has room (cap %d): an append would write into it", cap(l1))
	}
	grown := append(l1, "x")
	if &grown[0] == &l1[0] || len(in.List([]string{"points:3", "in progress"})) != 2 {
		t.Fatal("appending to a shared list changed it")
	}
	// Two lists whose joined text could collide stay apart.
	in.List([]string{"a", "b"})
	if got := in.List([]string{"a\x00b"}); len(got) != 1 {
		t.Fatalf("got %q", got)
	}
	if in.List(nil) != nil || in.String("") != "" {
		t.Fatal("empty input should give nil and \"\"")
	}
}

func TestInternerIsSafeForConcurrentUse(t *testing.T) {
	var in model.Interner
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 200 {
				if s := in.String([]string{"a", "b", "c"}[(i+j)%3]); s == "" {
					t.Error("empty")
				}
				in.List([]string{"x", []string{"y", "z"}[j%2]})
			}
		})
	}
	wg.Wait()
}
