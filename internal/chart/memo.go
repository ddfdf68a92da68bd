package chart

import (
	"crypto/sha256"
	"encoding/binary"
	"sync"
	"time"
)

// The PNGs drawn last, by a hash of what they are drawn from. The drafts
// of one milestone (its client notice, progress update and post-mortem)
// show the same chart, drafted one after another, and a draft made again
// (its history changed while the run wrote) asks for the chart already
// drawn: a run of 227 Jira tickets drew 262 PNGs of 188 different
// charts. PNG is a pure function of its arguments, so a chart of the same
// series is the same file.
var pngs = &memo{max: 64}

// memo is a small least-recently-used map from a series' key to its PNG.
type memo struct {
	mu   sync.Mutex
	max  int
	keys [][sha256.Size]byte // oldest first
	data map[[sha256.Size]byte][]byte
}

func (m *memo) get(k [sha256.Size]byte) ([]byte, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.data[k]
	if ok {
		m.touch(k)
	}
	return b, ok
}

func (m *memo) put(k [sha256.Size]byte, b []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.data == nil {
		m.data = map[[sha256.Size]byte][]byte{}
	}
	if _, ok := m.data[k]; ok {
		m.touch(k)
		return
	}
	if len(m.keys) >= m.max {
		delete(m.data, m.keys[0])
		m.keys = m.keys[1:]
	}
	m.keys = append(m.keys, k)
	m.data[k] = b
}

// touch moves k to the newest end.
func (m *memo) touch(k [sha256.Size]byte) {
	for i, x := range m.keys {
		if x == k {
			m.keys = append(append(m.keys[:i:i], m.keys[i+1:]...), k)
			return
		}
	}
}

// key hashes everything draw reads of a series.
func (s series) key() [sha256.Size]byte {
	h := sha256.New()
	var buf [8]byte
	num := func(v int64) {
		binary.LittleEndian.PutUint64(buf[:], uint64(v))
		h.Write(buf[:])
	}
	day := func(t time.Time) {
		if t.IsZero() {
			num(-1 << 62)
			return
		}
		num(t.UnixNano())
	}
	str := func(v string) {
		num(int64(len(v)))
		h.Write([]byte(v))
	}
	num(int64(len(s.points)))
	for _, p := range s.points {
		day(p.Day)
		num(int64(p.Scope))
		num(int64(p.Remaining))
	}
	for _, t := range []time.Time{s.start, s.end, s.due, s.today, s.p50, s.p85, s.p95} {
		day(t)
	}
	num(int64(s.ymax))
	num(int64(s.initial))
	num(int64(s.left))
	if s.years {
		num(1)
	} else {
		num(0)
	}
	for _, v := range []string{s.w.title, s.w.today, s.w.due, s.w.remaining, s.w.scope, s.w.ideal} {
		str(v)
	}
	for _, v := range s.w.months {
		str(v)
	}
	var k [sha256.Size]byte
	h.Sum(k[:0])
	return k
}
