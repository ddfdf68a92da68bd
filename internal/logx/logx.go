// Package logx builds forewarn's zerolog logger: JSON when stderr is not a
// terminal, a console writer when it is, and a logger carried in the context.
// Secrets are redacted at the source: a Redactor knows the secret values
// (tokens read from the environment) and scrubs them from every byte the
// logger writes, at every level, and the Secret type never prints itself.
package logx

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"
)

func init() {
	// Durations carry their unit: "took":"1.52s", never a bare 1520.
	zerolog.DurationFieldFormat = zerolog.DurationFormatString
}

// Levels are the names --log-level accepts.
var Levels = []string{"debug", "info", "warn", "error"}

// ParseLevel reads a --log-level value; the error is one line naming the
// accepted values.
func ParseLevel(s string) (zerolog.Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return zerolog.InfoLevel, nil
	case "trace":
		return zerolog.TraceLevel, nil
	case "debug":
		return zerolog.DebugLevel, nil
	case "info":
		return zerolog.InfoLevel, nil
	case "warn", "warning":
		return zerolog.WarnLevel, nil
	case "error":
		return zerolog.ErrorLevel, nil
	}
	return zerolog.NoLevel, fmt.Errorf("unknown level %q (want %s)", s, strings.Join(Levels, ", "))
}

// ColorOff reports whether the environment asks for no colour: NO_COLOR
// set to anything (no-color.org) or TERM=dumb.
func ColorOff(getenv func(string) string) bool {
	return getenv("NO_COLOR") != "" || getenv("TERM") == "dumb"
}

// NewRedacted returns a logger writing to w at the given level ("debug",
// "info", "warn", "error"), every line scrubbed of the redactor's secrets
// (nil: none). Console output is used when w is a terminal.
func NewRedacted(w io.Writer, level string, r *Redactor) (zerolog.Logger, error) {
	return NewFor(w, level, r, os.Getenv)
}

// NewFor is NewRedacted reading NO_COLOR and TERM through getenv.
func NewFor(w io.Writer, level string, r *Redactor, getenv func(string) string) (zerolog.Logger, error) {
	lvl, err := ParseLevel(level)
	if err != nil {
		return zerolog.Nop(), err
	}
	out := r.Writer(w)
	if IsTerminal(w) {
		out = zerolog.ConsoleWriter{Out: out, TimeFormat: "15:04:05", NoColor: ColorOff(getenv)}
	}
	// The connectors, the worker and the write loop log from their own
	// goroutines, and w is whatever the caller gave (a buffer in tests, a
	// writer of its own when forewarn is embedded): one event at a time.
	return zerolog.New(zerolog.SyncWriter(out)).Level(lvl).With().Timestamp().Logger(), nil
}

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(interface{ Fd() uintptr })
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}
