package logx

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/url"
	"regexp"
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

// Add registers secrets. Each is scrubbed in every form forewarn could
// send or print it: as written, JSON-escaped, Go-quoted, URL-encoded
// (query and path), base64 (standard and URL alphabets) and, for a secret
// of several lines (a PEM key), line by line. Values shorter than
// MinSecretLen are ignored.
func (r *Redactor) Add(secrets ...string) {
	var fs []string
	for _, s := range secrets {
		fs = append(fs, Forms(s)...)
	}
	r.addForms(fs)
}

// AddBasic registers the credentials of HTTP basic authentication: the
// secret itself (as Add) and the base64 of user:secret that the
// Authorization header carries.
func (r *Redactor) AddBasic(user, secret string) {
	if len(strings.TrimSpace(secret)) < MinSecretLen {
		return
	}
	r.Add(secret)
	r.addForms(Forms(user + ":" + secret))
}

// Forms returns every form of a secret that a Redactor scrubs (none for
// one shorter than MinSecretLen). The Action registers the same forms with
// the runner (::add-mask::).
func Forms(s string) []string {
	if len(strings.TrimSpace(s)) < MinSecretLen {
		return nil
	}
	j, _ := json.Marshal(s)
	q := strconv.Quote(s)
	out := []string{s, string(j[1 : len(j)-1]), q[1 : len(q)-1], url.QueryEscape(s), url.PathEscape(s),
		base64.StdEncoding.EncodeToString([]byte(s)), base64.URLEncoding.EncodeToString([]byte(s)),
		base64.RawStdEncoding.EncodeToString([]byte(s)), base64.RawURLEncoding.EncodeToString([]byte(s))}
	if strings.ContainsAny(s, "\r\n") {
		for _, l := range strings.FieldsFunc(s, func(c rune) bool { return c == '\n' || c == '\r' }) {
			if len(strings.TrimSpace(l)) >= MinSecretLen && !strings.HasPrefix(l, "-----") {
				out = append(out, l)
			}
		}
	}
	seen := map[string]bool{}
	uniq := out[:0]
	for _, f := range out {
		if !seen[f] {
			seen[f] = true
			uniq = append(uniq, f)
		}
	}
	return uniq
}

func (r *Redactor) addForms(fs []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.forms == nil {
		r.forms = map[string]bool{}
	}
	changed := false
	for _, f := range fs {
		if !r.forms[f] {
			r.forms[f], changed = true, true
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

// Secrets returns every registered form, longest first (for
// ::add-mask::).
func (r *Redactor) Secrets() []string {
	if r == nil {
		return nil
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]string, 0, len(r.forms))
	for f := range r.forms {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool {
		if len(out[i]) != len(out[j]) {
			return len(out[i]) > len(out[j])
		}
		return out[i] < out[j]
	})
	return out
}

// Credentials forewarn does not hold as a value but that a server may echo
// back: installation tokens minted at run time, the JWTs signing for a
// GitHub App, any Authorization header. They are scrubbed by shape.
var shapes = []struct {
	re   *regexp.Regexp
	with string
}{
	// A PEM block (a private key quoted whole).
	{regexp.MustCompile(`-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----`), Redacted},
	// An Authorization header quoted back, however short its credential.
	{regexp.MustCompile(`(?i)(authorization\W{0,6}\s*)(Basic|Bearer|token)(\s+)[^\s"',;\[\]\\]+`), "${1}${2}${3}" + Redacted},
	// The credential of an Authorization header: Basic, Bearer, token.
	{regexp.MustCompile(`(?i)\b(Basic|Bearer|token)(\s+|%20|\+)[A-Za-z0-9\-._~+/]{16,}=*`), "${1}${2}" + Redacted},
	// A JSON web token.
	{regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+`), Redacted},
	// GitHub's token prefixes.
	{regexp.MustCompile(`\b(gh[pousr]_[A-Za-z0-9_]{16,}|github_pat_[A-Za-z0-9_]{20,})`), Redacted},
}

func scrubShapes(s string) string {
	for _, sh := range shapes {
		s = sh.re.ReplaceAllString(s, sh.with)
	}
	return s
}

// AddFromEnv registers the values of the named environment variables.
func (r *Redactor) AddFromEnv(getenv func(string) string, names ...string) {
	for _, n := range names {
		v := getenv(n)
		r.Add(v, strings.TrimSpace(v))
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
	if rep != nil {
		s = rep.Replace(s)
	}
	return scrubShapes(s)
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
