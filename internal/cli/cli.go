// Package cli is forewarn's command line: it parses flags, builds the app
// and maps what happened to an exit code. main only adds the signals.
package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
	"time"

	"github.com/forewarn/forewarn/internal/app"
	"github.com/forewarn/forewarn/internal/config"
	"github.com/forewarn/forewarn/internal/diag"
	"github.com/forewarn/forewarn/internal/logx"
	"github.com/forewarn/forewarn/internal/report"
	"github.com/forewarn/forewarn/internal/tracker"
)

// Exit codes.
const (
	ExitOK      = 0 // everything worked
	ExitPartial = 1 // the run failed in part (a source, a milestone or a write)
	ExitUsage   = 2 // bad usage, configuration or rules: nothing was written
)

// Version is set at build time with -ldflags "-X .../internal/cli.Version=v1.2.3".
var Version = ""

const usage = `forewarn watches client deadlines, forecasts them and drafts the notices.

Usage:
  forewarn run      [flags]   poll, forecast, evaluate the rules and write tickets
  forewarn plan     [flags]   the same computation; prints what run would do, writes nothing
  forewarn check    [flags]   validate the configuration, rules and templates
  forewarn test     FILE...   run rule unit tests
  forewarn schema   [config|rules]  print JSON Schema for the configuration or rules file
  forewarn backtest [flags]   replay histories and score the forecasting methods
  forewarn serve    [flags]   run on an interval with /healthz, /readyz and /metrics
  forewarn action             entry point of the GitHub Action (reads INPUT_*)
  forewarn version            print the version

Flags of run, plan, check and serve:
  --config PATH      configuration file (default $FOREWARN_CONFIG, else forewarn.yaml)
  --log-level LEVEL  debug, info, warn or error (default info)
  --now TIME         freeze the clock (YYYY-MM-DD or RFC 3339), to reproduce a run
  --json             print the report as JSON
  --report FILE      (run, plan) also write the portfolio page: one self-contained HTML file

Exit codes: 0 ok, 1 the run failed in part, 2 bad usage, configuration or rules.
`

// Run executes forewarn with args (without the program name).
func Run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return ExitUsage
	}
	cmd, rest := args[0], args[1:]
	if h, ok := extra[cmd]; ok {
		return h(ctx, rest, stdout, stderr, getenv)
	}
	switch cmd {
	case "run", "plan", "check":
		return runCommand(ctx, cmd, rest, stdout, stderr, getenv)
	case "version", "--version":
		fmt.Fprintf(stdout, "forewarn %s\n", version())
		return ExitOK
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return ExitOK
	}
	fmt.Fprintf(stderr, "forewarn: unknown command %q\n\n%s", cmd, usage)
	return ExitUsage
}

// extra holds the subcommands other packages provide (test, schema,
// backtest, serve, action); see commands.go.
var extra = map[string]func(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int{}

func version() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// common are the flags shared by run, plan, check and serve.
type common struct {
	config   string
	logLevel string
	now      string
	json     bool
}

func (c *common) register(fs *flag.FlagSet, getenv func(string) string) {
	def := getenv("FOREWARN_CONFIG")
	if def == "" {
		def = "forewarn.yaml"
	}
	fs.StringVar(&c.config, "config", def, "configuration file")
	fs.StringVar(&c.logLevel, "log-level", "info", "log level")
	fs.StringVar(&c.now, "now", "", "freeze the clock (YYYY-MM-DD or RFC 3339)")
	fs.BoolVar(&c.json, "json", false, "print the report as JSON")
}

func (c *common) clock() (func() time.Time, error) {
	if c.now == "" {
		return nil, nil // the config's as_of, else the real time
	}
	t, err := config.ParseTime(c.now)
	if err != nil {
		return nil, fmt.Errorf("--now: %w", err)
	}
	return func() time.Time { return t }, nil
}

// options builds app options from the common flags. Every secret the
// configuration names (a key ending in _env) is scrubbed from the log and
// from what the command prints: red wraps stdout and stderr.
func (c *common) options(stderr io.Writer, getenv func(string) string) (app.Options, *logx.Redactor, error) {
	// GITHUB_TOKEN too: a GitHub section without token_env reads it.
	red := config.Redactor(c.config, getenv, "GITHUB_TOKEN")
	log, err := logx.NewRedacted(stderr, c.logLevel, red)
	if err != nil {
		return app.Options{}, red, fmt.Errorf("--log-level: %w", err)
	}
	now, err := c.clock()
	if err != nil {
		return app.Options{}, red, err
	}
	return app.Options{ConfigPath: c.config, Log: log, Getenv: getenv, Now: now}, red, nil
}

func runCommand(ctx context.Context, cmd string, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := flag.NewFlagSet("forewarn "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs, getenv)
	var reportPath string
	if cmd != "check" {
		fs.StringVar(&reportPath, "report", "", "write the portfolio page (one self-contained HTML file) to FILE")
	}
	if err := fs.Parse(args); err != nil {
		return ExitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "forewarn %s: unexpected argument %q\n", cmd, fs.Arg(0))
		return ExitUsage
	}
	opts, red, err := c.options(stderr, getenv)
	stdout, stderr = red.Writer(stdout), red.Writer(stderr)
	if err != nil {
		fmt.Fprintf(stderr, "forewarn %s: %v\n", cmd, err)
		return ExitUsage
	}
	a, err := app.Load(ctx, opts)
	if err != nil {
		return reportLoadError(stderr, cmd, err)
	}
	defer a.Close()
	if cmd == "check" {
		fmt.Fprintln(stdout, a.Summary())
		return ExitOK
	}
	mode := tracker.ModeRun
	if cmd == "plan" {
		mode = tracker.ModePlan
	}
	if reportPath == "" {
		reportPath = a.Report().Path
	}
	var (
		rep       tracker.Report
		portfolio report.Portfolio
	)
	if reportPath != "" {
		rep, portfolio, err = a.RunPortfolio(ctx, mode)
	} else {
		rep, err = a.Run(ctx, mode)
	}
	if err != nil {
		// A held lock is a run that did not happen: exit 1 like any
		// failed run, so cron and CI notice it.
		fmt.Fprintf(stderr, "forewarn %s: %v\n", cmd, err)
		return ExitPartial
	}
	if reportPath != "" {
		if err := report.WriteFile(reportPath, portfolio); err != nil {
			fmt.Fprintf(stderr, "forewarn %s: %v\n", cmd, err)
			return ExitPartial
		}
	}
	if c.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return ExitPartial
		}
	} else {
		PrintReport(stdout, rep, a.TargetHint())
	}
	if rep.Partial() {
		return ExitPartial
	}
	return ExitOK
}

// reportLoadError prints configuration problems and picks the exit code.
func reportLoadError(stderr io.Writer, cmd string, err error) int {
	if diag.IsConfigError(err) {
		fmt.Fprintln(stderr, err)
		n := strings.Count(err.Error(), "\n") + 1
		fmt.Fprintf(stderr, "forewarn %s: %d problem(s) found; nothing was written\n", cmd, n)
		return ExitUsage
	}
	fmt.Fprintf(stderr, "forewarn %s: %v\n", cmd, err)
	return ExitUsage
}
