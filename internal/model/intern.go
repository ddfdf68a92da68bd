package model

import (
	"encoding/binary"
	"slices"
	"strings"
	"sync"
)

// Interner hands out one copy of each string and of each list of strings
// it is given, so the many work items that carry the same labels,
// assignees, statuses or resolutions share them instead of each holding
// its own decoded copy (a ten-times agency reads 200,000 items). Lists are
// shared: they are clipped, so an append copies, and must not be changed
// in place. Safe for concurrent use; the zero value is ready.
type Interner struct {
	mu    sync.Mutex
	strs  map[string]string
	lists map[string][]string
}

// String returns the interned copy of s.
func (in *Interner) String(s string) string {
	if s == "" {
		return ""
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.str(s)
}

func (in *Interner) str(s string) string {
	if v, ok := in.strs[s]; ok {
		return v
	}
	if in.strs == nil {
		in.strs = map[string]string{}
	}
	s = strings.Clone(s) // not a slice of a larger buffer kept alive
	in.strs[s] = s
	return s
}

// List returns the interned copy of l (nil when l is empty), its strings
// interned too.
func (in *Interner) List(l []string) []string {
	if len(l) == 0 {
		return nil
	}
	var k []byte
	for _, s := range l { // each string's length, then the string: no two lists share a key
		k = binary.AppendUvarint(k, uint64(len(s)))
		k = append(k, s...)
	}
	key := string(k)
	in.mu.Lock()
	defer in.mu.Unlock()
	if v, ok := in.lists[key]; ok {
		return v
	}
	if in.lists == nil {
		in.lists = map[string][]string{}
	}
	out := make([]string, len(l))
	for i, s := range l {
		out[i] = in.str(s)
	}
	out = slices.Clip(out)
	in.lists[key] = out
	return out
}
