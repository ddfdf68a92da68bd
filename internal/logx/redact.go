package logx

import (
	"encoding/json"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Redacted is what a secret is replaced with.
const Redacted = "[REDACTED]"

// MinSecretLen is the shortest value a Redactor scrubs: shorter ones would
// mangle ordinary text and are not credentials anyway.
const MinSecretLen = 6

// Redactor scrubs known secret values from text. The zero value is ready;
// a nil *Redactor scrubs nothing. It is safe for concurrent use.
type Redactor struct {
	mu       sync.RWMutex
	replacer *strings.Replacer
	forms    map[string]bool
}

// Add registers secrets. Each is scrubbed as written and in its JSON- and
// Go-quoted forms (so a secret with a quote or a backslash is caught in
// JSON logs too). Values shorter than MinSecretLen are ignored.
func (r *Redactor) Add(secrets ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.forms == nil {
		r.forms = map[string]bool{}
	}
	changed := false
	for _, s := range secrets {
		if len(strings.TrimSpace(s)) < MinSecretLen {
			continue
		}
		j, _ := json.Marshal(s)
		q := strconv.Quote(s)
		for _, f := range []string{s, string(j[1 : len(j)-1]), q[1 : len(q)-1]} {
			if !r.forms[f] {
				r.forms[f], changed = true, true
			}
		}
	}
	if !changed {
		return
	}
	forms := make([]string, 0, len(r.forms))
	for f := range r.forms {
		forms = append(forms, f)
	}
	// Longest first, so a secret containing another is replaced whole.
	sort.Slice(forms, func(i, j int) bool {
		if len(forms[i]) != len(forms[j]) {
			return len(forms[i]) > len(forms[j])
		}
		return forms[i] < forms[j]
	})
	pairs := make([]string, 0, 2*len(forms))
	for _, f := range forms {
		pairs = append(pairs, f, Redacted)
	}
	r.replacer = strings.NewReplacer(pairs...)
}

// AddFromEnv registers the values of the named environment variables.
func (r *Redactor) AddFromEnv(getenv func(string) string, names ...string) {
	for _, n := range names {
		r.Add(getenv(n))
	}
}

// String returns s with every secret replaced.
func (r *Redactor) String(s string) string {
	if r == nil {
		return s
	}
	r.mu.RLock()
	rep := r.replacer
	r.mu.RUnlock()
	if rep == nil {
		return s
	}
	return rep.Replace(s)
}

// Writer returns a writer that scrubs secrets from each write before
// passing it on. zerolog writes one whole event per call, so a secret is
// never split between two writes.
func (r *Redactor) Writer(w io.Writer) io.Writer {
	if r == nil {
		return w
	}
	return &redactWriter{r: r, w: w}
}

type redactWriter struct {
	r *Redactor
	w io.Writer
}

func (rw *redactWriter) Write(p []byte) (int, error) {
	s := string(p)
	clean := rw.r.String(s)
	if clean == s {
		return rw.w.Write(p)
	}
	if _, err := io.WriteString(rw.w, clean); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Secret is a credential that never prints itself: in logs (as a field, in
// JSON, through %v or %s) it shows as [REDACTED]. Reveal returns the value
// for the one place that needs it (an Authorization header).
type Secret string

// Reveal returns the secret's value.
func (s Secret) Reveal() string { return string(s) }

// String implements fmt.Stringer.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return Redacted
}

// GoString implements fmt.GoStringer (%#v).
func (s Secret) GoString() string { return `logx.Secret("` + s.String() + `")` }

// MarshalText implements encoding.TextMarshaler (JSON, YAML, zerolog's Interface).
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
