package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/rs/zerolog"

	"github.com/forewarn/forewarn/internal/action"
	"github.com/forewarn/forewarn/internal/app"
	"github.com/forewarn/forewarn/internal/backtest"
	"github.com/forewarn/forewarn/internal/exitcode"
	"github.com/forewarn/forewarn/internal/forecast"
	"github.com/forewarn/forewarn/internal/metrics"
	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/schema"
	"github.com/forewarn/forewarn/internal/serve"
	"github.com/forewarn/forewarn/rules/ruletest"
)

// The subcommands whose flags and output belong to other packages.
func init() {
	extra["test"] = func(ctx context.Context, args []string, stdout, stderr io.Writer, _ func(string) string) int {
		return ruletest.Main(ctx, args, stdout, stderr)
	}
	extra["schema"] = func(_ context.Context, args []string, stdout, stderr io.Writer, _ func(string) string) int {
		return schema.Main(args, stdout, stderr)
	}
	extra["backtest"] = func(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
		// -config replays the user's own milestones: the app reads the
		// configured sources once (no state, no writes, no logs).
		load := func(ctx context.Context, path string) ([]model.Milestone, time.Time, forecast.Options, []string, error) {
			a, err := app.Load(ctx, app.Options{ConfigPath: path, Getenv: getenv, Log: zerolog.Nop()})
			if err != nil {
				return nil, time.Time{}, forecast.Options{}, nil, err
			}
			defer a.Close()
			return a.Milestones(ctx)
		}
		return backtest.MainWith(ctx, args, stdout, stderr, load)
	}
	extra["action"] = func(ctx context.Context, _ []string, stdout, stderr io.Writer, getenv func(string) string) int {
		action.Version = version()
		return action.Main(ctx, getenv, stdout, stderr)
	}
	extra["serve"] = serveCommand
	h := helps["serve"]
	h.flags = func(getenv func(string) string) *flag.FlagSet { fs, _, _ := serveFlags(getenv); return fs }
	helps["serve"] = h
}

// serveFlags is the FlagSet of serve (help prints it too).
func serveFlags(getenv func(string) string) (*flag.FlagSet, *common, *serve.Options) {
	fs := flag.NewFlagSet("forewarn serve", flag.ContinueOnError)
	var c common
	c.register(fs, getenv)
	return fs, &c, serve.RegisterFlags(fs)
}

// serveCommand runs forever on an interval (until SIGTERM) with the
// health and metrics endpoints; connectors report requests and rate
// limits to the metrics.
func serveCommand(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fs, c, so := serveFlags(getenv)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return exitcode.Usage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "forewarn serve: unexpected argument %q\n", fs.Arg(0))
		return exitcode.Usage
	}
	if err := serve.CheckFlags(fs, so); err != nil {
		fmt.Fprintf(stderr, "forewarn serve: %v\n", err)
		return exitcode.Usage
	}
	opts, red, err := c.options(stderr, getenv)
	stderr = red.Writer(stderr)
	if err != nil {
		fmt.Fprintf(stderr, "forewarn serve: %v\n", err)
		return exitcode.Usage
	}
	m := metrics.New()
	opts.Observe, opts.RateLimit = m.Observe, m.RateLimit
	a, err := app.Load(ctx, opts)
	if err != nil {
		return reportLoadError(stderr, "serve", err)
	}
	defer a.Close()
	so.ReportPath = a.Report().Path
	if err := serve.Serve(ctx, a, *so, m, opts.Log); err != nil {
		fmt.Fprintf(stderr, "forewarn serve: %v\n", err)
		return exitcode.Partial
	}
	return exitcode.OK
}
