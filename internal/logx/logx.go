// Package logx builds forewarn's zerolog logger: JSON when stderr is not a
// terminal, a console writer when it is, and a logger carried in the context.
// Secrets are redacted at the source: a Redactor knows the secret values
// (tokens read from the environment) and scrubs them from every byte the
// logger writes, at every level, and the Secret type never prints itself.
package logx

import (
	"context"
	"io"
	"os"

	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"
)

// New returns a logger writing to w at the given level ("debug", "info",
// "warn", "error"). Console output is used when w is a terminal.
func New(w io.Writer, level string) (zerolog.Logger, error) {
	return NewRedacted(w, level, nil)
}

// NewRedacted is New with every line scrubbed of the redactor's secrets
// (nil: none).
func NewRedacted(w io.Writer, level string, r *Redactor) (zerolog.Logger, error) {
	lvl := zerolog.InfoLevel
	if level != "" {
		l, err := zerolog.ParseLevel(level)
		if err != nil {
			return zerolog.Nop(), err
		}
		lvl = l
	}
	out := r.Writer(w)
	if IsTerminal(w) {
		out = zerolog.ConsoleWriter{Out: out, TimeFormat: "15:04:05"}
	}
	return zerolog.New(out).Level(lvl).With().Timestamp().Logger(), nil
}

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// With attaches a logger to the context.
func With(ctx context.Context, l zerolog.Logger) context.Context { return l.WithContext(ctx) }

// From returns the context's logger (a disabled one when none is attached).
func From(ctx context.Context) *zerolog.Logger { return zerolog.Ctx(ctx) }
