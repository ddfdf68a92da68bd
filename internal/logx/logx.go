// Package logx builds forewarn's zerolog logger: JSON when stderr is not a
// terminal, a console writer when it is, and a logger carried in the context.
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
	lvl := zerolog.InfoLevel
	if level != "" {
		l, err := zerolog.ParseLevel(level)
		if err != nil {
			return zerolog.Nop(), err
		}
		lvl = l
	}
	out := w
	if f, ok := w.(*os.File); ok && isatty.IsTerminal(f.Fd()) {
		out = zerolog.ConsoleWriter{Out: w, TimeFormat: "15:04:05"}
	}
	return zerolog.New(out).Level(lvl).With().Timestamp().Logger(), nil
}

// With attaches a logger to the context.
func With(ctx context.Context, l zerolog.Logger) context.Context { return l.WithContext(ctx) }

// From returns the context's logger (a disabled one when none is attached).
func From(ctx context.Context) *zerolog.Logger { return zerolog.Ctx(ctx) }
