package jira

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"testing"
	"time"
)

func sampleSnapshot(n int) *snapshot {
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 123_000_000, time.UTC)
	snap := &snapshot{Synced: t0, Full: t0.Add(-time.Hour), Items: map[string]*record{}, Known: map[string]bool{"jira:x:version:1": true}}
	for i := range n {
		p := float64(i % 5)
		r := &record{Key: fmt.Sprintf("ACME-%d", i), Summary: fmt.Sprintf("Fix <b>&</b> \"quotes\" %d ✓", i),
			Created: t0.Add(time.Duration(i) * time.Minute), Updated: t0.Add(time.Duration(i) * time.Hour), Status: "indeterminate",
			Labels: []string{"a", "b"}, Assignee: "Ana", Versions: []string{"10001"}, Sprints: []int64{7}}
		if i%2 == 0 {
			r.Points, r.Resolved, r.Resolution, r.Status = &p, t0.Add(48*time.Hour), "Done", "done"
		}
		if i%3 == 0 {
			r.Left = map[string]time.Time{"jira:x:sprint:6": t0}
			r.Joined = map[string]time.Time{"jira:x:version:1": t0.Add(time.Minute)}
			r.HistoryAt, r.NoHistory, r.Blocked = r.Updated, i%2 == 1, true
		}
		snap.Items[r.Key] = r
	}
	return snap
}

// The snapshot is kept as the JSON json.Marshal gives for it, byte for
// byte, only gzipped and written a record at a time.
func TestSnapshotIsMarshalJSONGzipped(t *testing.T) {
	for _, snap := range []*snapshot{sampleSnapshot(0), sampleSnapshot(1), sampleSnapshot(2500),
		{Items: map[string]*record{}}, {Synced: time.Now().UTC()}} {
		want, err := json.Marshal(snap)
		if err != nil {
			t.Fatal(err)
		}
		b, err := encodeSnapshot(snap)
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("not gzip: %v", err)
		}
		got, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%d records: the JSON differs from json.Marshal's\n got %.300s\nwant %.300s", len(snap.Items), got, want)
		}
		if len(snap.Items) > 1000 && len(b)*4 > len(want) {
			t.Errorf("%d records: %d bytes kept for %d of JSON", len(snap.Items), len(b), len(want))
		}
	}
}

// What is kept reads back as it was; so does a snapshot kept as plain
// JSON before the snapshot was compressed (an upgrade syncs
// incrementally); a damaged one is an error (the source reads
// everything again).
func TestSnapshotReadsBack(t *testing.T) {
	snap := sampleSnapshot(300)
	b, err := encodeSnapshot(snap)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := json.Marshal(snap)
	if err != nil {
		t.Fatal(err)
	}
	var want snapshot
	if err := json.Unmarshal(plain, &want); err != nil {
		t.Fatal(err)
	}
	for name, in := range map[string][]byte{"gzipped": b, "plain JSON": plain} {
		got, err := decodeSnapshot(in)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(*got, want) {
			t.Errorf("%s: read back differently", name)
		}
	}
	for name, in := range map[string][]byte{
		"truncated":   b[:len(b)/2],
		"bad trailer": append(append([]byte{}, b[:len(b)-4]...), 0xff, 0xff, 0xff, 0x7f),
		"no items":    []byte(`{"synced":"2026-03-01T00:00:00Z"}`),
		"not json":    []byte("snapshot"),
	} {
		if _, err := decodeSnapshot(in); err == nil {
			t.Errorf("%s: read without an error", name)
		}
	}
}
