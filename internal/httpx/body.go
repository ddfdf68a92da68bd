package httpx

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync"
)

// Body hands the body of a read, as the client read it in full inside
// its attempt, to the caller that asked for it (WithBody) without another
// copy: the GitHub ETag cache keeps it, the Jira source decodes it.
type Body struct {
	resp *http.Response
	b    []byte
}

type bodyKey struct{}

// WithBody returns a context for a read whose body Bytes then returns.
func WithBody(ctx context.Context) (context.Context, *Body) {
	b := &Body{}
	return context.WithValue(ctx, bodyKey{}, b), b
}

// Bytes returns the body of resp as read; ok is false when resp is not the
// response the client read last (read resp.Body then). The bytes are the
// caller's: nothing else writes to them.
func (b *Body) Bytes(resp *http.Response) ([]byte, bool) {
	if b == nil || b.resp == nil || b.resp != resp {
		return nil, false
	}
	return b.b, true
}

// ReadBody reads a body in full into a buffer of its size: one of the
// length the server said, or one read from a pooled buffer (a length
// unknown, as for a chunked or compressed answer) rather than one grown
// by doubling, which allocated about twice the body. The answer to a HEAD
// gives the length a GET's body would have and has none (net/http hands
// it over with that ContentLength and no body): it is read as it comes.
func ReadBody(resp *http.Response) ([]byte, error) {
	head := resp.Body == http.NoBody || resp.Request != nil && resp.Request.Method == http.MethodHead
	if n := resp.ContentLength; n > 0 && n <= maxSized && !head {
		buf := make([]byte, n)
		if _, err := io.ReadFull(resp.Body, buf); err != nil {
			return nil, err
		}
		if rest, err := io.ReadAll(resp.Body); err != nil || len(rest) > 0 { // longer than said
			return append(buf, rest...), err
		}
		return buf, nil
	}
	pb := readBufs.Get().(*bytes.Buffer)
	defer func() {
		if pb.Cap() <= 4<<20 { // a rare huge answer is not kept
			pb.Reset()
			readBufs.Put(pb)
		}
	}()
	if _, err := pb.ReadFrom(resp.Body); err != nil {
		return nil, err
	}
	return bytes.Clone(pb.Bytes()), nil
}

// maxSized is the largest length a body is read into a buffer of before
// any byte arrived: a larger one (no tracker page comes near it) is read as
// it comes, so a length the server says but does not send costs nothing.
const maxSized = 16 << 20

var readBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}
