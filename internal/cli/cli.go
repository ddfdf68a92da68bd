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
	"github.com/forewarn/forewarn/internal/exitcode"
	"github.com/forewarn/forewarn/internal/logx"
	"github.com/forewarn/forewarn/internal/report"
	"github.com/forewarn/forewarn/internal/table"
	"github.com/forewarn/forewarn/internal/tracker"
)

// Version is set at build time with -ldflags "-X .../internal/cli.Version=v1.2.3".
var Version = ""

const usage = `forewarn watches client deadlines, forecasts them and drafts the notices.

Usage:
  forewarn run      [flags]   poll, forecast, evaluate the rules and write tickets
  forewarn plan     [flags]   the same computation; prints what run would do, writes nothing
  forewarn check    [flags]   validate the configuration, rules and templates
  forewarn init     TRACKER...  write a commented starter forewarn.yaml (github, jira, file)
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
forewarn help COMMAND (or forewarn COMMAND --help) describes one command.
NO_COLOR or TERM=dumb turn colour off.
`

// Run executes forewarn with args (without the program name).
func Run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitcode.Usage
	}
	cmd, rest := args[0], args[1:]
	if cmd == "help" && len(rest) > 0 {
		if !printHelp(stdout, rest[0], getenv) {
			fmt.Fprintf(stderr, "forewarn help: unknown command %q\n\n%s", rest[0], usage)
			return exitcode.Usage
		}
		return exitcode.OK
	}
	if _, known := helps[cmd]; known && cmd != "help" && wantsHelp(rest) {
		printHelp(stdout, cmd, getenv)
		return exitcode.OK
	}
	if h, ok := extra[cmd]; ok {
		return h(ctx, rest, stdout, stderr, getenv)
	}
	switch cmd {
	case "run", "plan", "check":
		return runCommand(ctx, cmd, rest, stdout, stderr, getenv)
	case "version", "--version":
		fmt.Fprintf(stdout, "forewarn %s\n", version())
		return exitcode.OK
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return exitcode.OK
	}
	fmt.Fprintf(stderr, "forewarn: unknown command %q\n\n%s", cmd, usage)
	return exitcode.Usage
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
	shard    string
}

func (c *common) register(fs *flag.FlagSet, getenv func(string) string) {
	def := getenv("FOREWARN_CONFIG")
	if def == "" {
		def = "forewarn.yaml"
	}
	fs.StringVar(&c.config, "config", def, "configuration `file`")
	fs.StringVar(&c.logLevel, "log-level", "info", "log `level`: debug, info, warn or error")
	fs.StringVar(&c.now, "now", "", "freeze the clock at `time` (YYYY-MM-DD or RFC 3339), to reproduce a run")
	fs.BoolVar(&c.json, "json", false, "print the report (check: the summary) as JSON")
	fs.StringVar(&c.shard, "shard", "", "judge only part `i/N` of the milestones, fix versions and boards (e.g. 0/3), beside other workers sharing the state")
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
	log, err := logx.NewFor(stderr, c.logLevel, red, getenv)
	if err != nil {
		return app.Options{}, red, fmt.Errorf("--log-level: %w", err)
	}
	now, err := c.clock()
	if err != nil {
		return app.Options{}, red, err
	}
	shard, err := app.ParseShard(c.shard)
	if err != nil {
		return app.Options{}, red, err
	}
	return app.Options{ConfigPath: c.config, Log: log, Getenv: getenv, Now: now, Shard: shard}, red, nil
}

// runArgs are the parsed flags of run, plan and check.
type runArgs struct {
	common
	report string // run, plan: the portfolio page
	strict bool   // check: warnings are errors
}

// runFlags is the FlagSet of run, plan or check (help prints it too).
func runFlags(cmd string, getenv func(string) string) (*flag.FlagSet, *runArgs) {
	fs := flag.NewFlagSet("forewarn "+cmd, flag.ContinueOnError)
	var r runArgs
	r.register(fs, getenv)
	if cmd == "check" {
		fs.BoolVar(&r.strict, "strict", false, "exit 2 on warnings too (a secret variable unset or empty)")
	} else {
		fs.StringVar(&r.report, "report", "", "write the portfolio page (one self-contained HTML `file`) to FILE")
	}
	return fs, &r
}

func init() {
	for _, cmd := range []string{"run", "plan", "check"} {
		h := helps[cmd]
		h.flags = func(getenv func(string) string) *flag.FlagSet { fs, _ := runFlags(cmd, getenv); return fs }
		helps[cmd] = h
	}
}

func runCommand(ctx context.Context, cmd string, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fs, r := runFlags(cmd, getenv)
	fs.SetOutput(stderr)
	c := &r.common
	if err := fs.Parse(args); err != nil {
		return exitcode.Usage
	}
	reportPath := r.report
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "forewarn %s: unexpected argument %q\n", cmd, fs.Arg(0))
		return exitcode.Usage
	}
	// On a terminal, a line per source and one for the tickets, redrawn
	// in place while the run goes on (log lines go through it, so they are
	// never drawn over); nothing elsewhere.
	prog, stderr := logx.NewProgress(stderr, logx.IsTerminal(stderr))
	ctx = logx.WithProgress(ctx, prog)
	opts, red, err := c.options(stderr, getenv)
	stdout, stderr = red.Writer(stdout), red.Writer(stderr)
	if err != nil {
		fmt.Fprintf(stderr, "forewarn %s: %v\n", cmd, err)
		return exitcode.Usage
	}
	a, err := app.Load(ctx, opts)
	if err != nil {
		return reportLoadError(stderr, cmd, err)
	}
	defer a.Close()
	if cmd == "check" {
		return check(stdout, stderr, a, c.json, r.strict)
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
		return exitcode.Partial
	}
	if reportPath != "" {
		if err := report.WriteFile(reportPath, portfolio); err != nil {
			fmt.Fprintf(stderr, "forewarn %s: %v\n", cmd, err)
			return exitcode.Partial
		}
	}
	if c.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return exitcode.Partial
		}
	} else {
		table.Print(stdout, rep, a.TargetHint())
	}
	if rep.Partial() {
		return exitcode.Partial
	}
	return exitcode.OK
}

// check prints what check found: the summary (or, with asJSON, the
// summary as JSON) on stdout, warnings on stderr. With strict, a warning
// is exit 2.
func check(stdout, stderr io.Writer, a *app.App, asJSON, strict bool) int {
	rep := a.Check()
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return exitcode.Partial
		}
	} else {
		fmt.Fprintln(stdout, a.Summary())
	}
	for _, w := range rep.Warnings {
		fmt.Fprintf(stderr, "forewarn check: warning: %s\n", w)
	}
	if strict && len(rep.Warnings) > 0 {
		fmt.Fprintf(stderr, "forewarn check: %d warning(s) and --strict: exit 2\n", len(rep.Warnings))
		return exitcode.Usage
	}
	return exitcode.OK
}

// reportLoadError prints configuration problems and picks the exit code.
func reportLoadError(stderr io.Writer, cmd string, err error) int {
	if diag.IsConfigError(err) {
		fmt.Fprintln(stderr, err)
		n := strings.Count(err.Error(), "\n") + 1
		fmt.Fprintf(stderr, "forewarn %s: %d problem(s) found; nothing was written\n", cmd, n)
		return exitcode.Usage
	}
	fmt.Fprintf(stderr, "forewarn %s: %v\n", cmd, err)
	return exitcode.Usage
}
