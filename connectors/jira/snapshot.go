package jira

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"slices"

	"github.com/klauspost/compress/gzip"
)

// The snapshot is kept gzip-compressed: its JSON is about 225 bytes an
// issue (20 MB for a ten-times agency's 90,000 issues) and compresses to
// a sixth. It is written record by record into the compressor, so the
// whole JSON is never in memory: encoded in one piece, json.Marshal's
// growing buffer and its copy of the result took about 50 MB of heap at
// the end of a first sync, and the store held the 20 MB value again.

// encodeSnapshot is the snapshot as it is kept: the JSON json.Marshal
// gives for it (byte for byte: fields in order, records by key), gzipped.
func encodeSnapshot(snap *snapshot) ([]byte, error) {
	var out bytes.Buffer
	zw, err := gzip.NewWriterLevel(&out, gzip.BestSpeed)
	if err != nil {
		return nil, err
	}
	if err := writeSnapshotJSON(zw, snap); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// writeSnapshotJSON writes json.Marshal(snap) to w a record at a time.
func writeSnapshotJSON(w io.Writer, snap *snapshot) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf) // escapes HTML as json.Marshal does
	// value appends v's JSON to buf, without the Encoder's newline.
	value := func(v any) error {
		if err := enc.Encode(v); err != nil {
			return err
		}
		buf.Truncate(buf.Len() - 1)
		return nil
	}
	flush := func() error {
		_, err := w.Write(buf.Bytes())
		buf.Reset()
		return err
	}
	buf.WriteString(`{"synced":`)
	if err := value(snap.Synced); err != nil {
		return err
	}
	buf.WriteString(`,"full":`)
	if err := value(snap.Full); err != nil {
		return err
	}
	buf.WriteString(`,"items":`)
	if snap.Items == nil {
		buf.WriteString("null")
	} else {
		keys := make([]string, 0, len(snap.Items))
		for k := range snap.Items {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		buf.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := value(k); err != nil {
				return err
			}
			buf.WriteByte(':')
			if err := value(snap.Items[k]); err != nil {
				return err
			}
			if buf.Len() >= 32<<10 {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		buf.WriteByte('}')
	}
	if len(snap.Known) > 0 {
		buf.WriteString(`,"known":`)
		if err := value(snap.Known); err != nil {
			return err
		}
	}
	buf.WriteByte('}')
	return flush()
}

// decodeSnapshot reads what encodeSnapshot wrote, or a snapshot kept as
// plain JSON (before it was compressed).
func decodeSnapshot(b []byte) (*snapshot, error) {
	if len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b { // gzip's magic; JSON starts with '{'
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		var out bytes.Buffer
		// gzip's trailer gives the size (mod 4 GiB): one allocation, not
		// a doubling buffer's several (a damaged trailer cannot ask for
		// more than a generous ratio).
		size := min(int(binary.LittleEndian.Uint32(b[len(b)-4:])), 64*len(b))
		out.Grow(size + bytes.MinRead)
		if _, err := out.ReadFrom(zr); err != nil {
			return nil, err
		}
		b = out.Bytes()
	}
	var snap snapshot
	if err := json.Unmarshal(b, &snap); err != nil {
		return nil, err
	}
	if snap.Items == nil {
		return nil, fmt.Errorf("no items")
	}
	return &snap, nil
}
