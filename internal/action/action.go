// Package action is the entry point of forewarn's GitHub Action
// (`forewarn action`, called by action.yml). It maps the INPUT_* variables
// to a run or a plan, writes the counts and the plan file to
// $GITHUB_OUTPUT and a Markdown job summary — with a Mermaid burn-down per
// milestone at risk — to $GITHUB_STEP_SUMMARY.
package action

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/rs/zerolog"

	"github.com/forewarn/forewarn/internal/config"
	"github.com/forewarn/forewarn/internal/diag"
	"github.com/forewarn/forewarn/internal/exitcode"
	"github.com/forewarn/forewarn/internal/logx"
	"github.com/forewarn/forewarn/internal/report"
	"github.com/forewarn/forewarn/internal/table"
	"github.com/forewarn/forewarn/internal/tracker"
)

// Runner is a loaded forewarn: *app.App satisfies it.
type Runner interface {
	Run(ctx context.Context, mode tracker.Mode) (tracker.Report, error)
	Close() error
}

// LoadOptions are what the Action hands its loader.
type LoadOptions struct {
	ConfigPath string
	RulesPath  string // overrides the config's rules file when set
	Log        zerolog.Logger
	Getenv     func(string) string // the token is visible under the names the config gives
}

// Loader loads the configuration; bad input comes back as *diag.List.
type Loader func(ctx context.Context, o LoadOptions) (Runner, error)

// PortfolioRunner is a Runner that also builds the portfolio page's data
// (*app.App does); the Action then writes the page for the upload step.
type PortfolioRunner interface {
	RunPortfolio(ctx context.Context, mode tracker.Mode) (tracker.Report, report.Portfolio, error)
}

// Inputs are the Action's inputs, read from INPUT_* variables.
type Inputs struct {
	Config   string // INPUT_CONFIG (default forewarn.yaml)
	Rules    string // INPUT_RULES (default: the config's rules file)
	Mode     tracker.Mode
	Token    string // INPUT_TOKEN; never printed
	PlanFile string // INPUT_PLAN_FILE (default $RUNNER_TEMP/forewarn-plan.json)
	LogLevel string // INPUT_LOG_LEVEL (default info)
	// ReportFile is where the portfolio page goes (INPUT_REPORT_FILE,
	// default $RUNNER_TEMP/forewarn-portfolio/index.html); action.yml
	// uploads its folder as an artifact.
	ReportFile string
}

// ReadInputs maps the INPUT_* variables.
func ReadInputs(getenv func(string) string) (Inputs, error) {
	in := Inputs{
		Config:   strings.TrimSpace(getenv("INPUT_CONFIG")),
		Rules:    strings.TrimSpace(getenv("INPUT_RULES")),
		Mode:     tracker.Mode(strings.ToLower(strings.TrimSpace(getenv("INPUT_MODE")))),
		Token:    strings.TrimSpace(getenv("INPUT_TOKEN")),
		PlanFile: strings.TrimSpace(getenv("INPUT_PLAN_FILE")),
		LogLevel: strings.TrimSpace(getenv("INPUT_LOG_LEVEL")),

		ReportFile: strings.TrimSpace(getenv("INPUT_REPORT_FILE")),
	}
	if in.Config == "" {
		in.Config = "forewarn.yaml"
	}
	switch in.Mode {
	case "":
		in.Mode = tracker.ModePlan
	case tracker.ModePlan, tracker.ModeRun:
	default:
		return in, fmt.Errorf("input mode: %q is neither plan nor run", in.Mode)
	}
	if in.PlanFile == "" {
		dir := getenv("RUNNER_TEMP")
		if dir == "" {
			dir = "."
		}
		in.PlanFile = filepath.Join(dir, "forewarn-plan.json")
	}
	if in.LogLevel == "" {
		in.LogLevel = "info"
	}
	if in.ReportFile == "" {
		dir := getenv("RUNNER_TEMP")
		if dir == "" {
			dir = "."
		}
		in.ReportFile = filepath.Join(dir, "forewarn-portfolio", "index.html")
	}
	return in, nil
}

// Main runs the Action with the real application (see load.go).
func Main(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) int {
	return MainWith(ctx, getenv, stdout, stderr, loadApp)
}

// MainWith runs the Action with the given loader.
func MainWith(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer, load Loader) int {
	in, err := ReadInputs(getenv)
	// Every secret is known, and registered with the runner, before
	// anything is printed.
	names := TokenEnvNames(in.Config)
	red := config.Redactor(in.Config, getenv, names...)
	red.Add(in.Token)
	addMasks(stdout, red)
	safeOut, safeErr := red.Writer(stdout), red.Writer(stderr)
	fmt.Fprintf(safeOut, "forewarn %s (action)\n", Version)
	summary := &Summary{Mode: in.Mode, Config: in.Config, Version: Version}
	if err != nil {
		fmt.Fprintf(safeOut, "::error::%s\n", escapeData(err.Error()))
		summary.Problems = []string{err.Error()}
		return finish(getenv, safeErr, red, summary, nil, exitcode.Usage)
	}
	log, err := logx.NewRedacted(stderr, in.LogLevel, red)
	if err != nil {
		fmt.Fprintf(safeOut, "::error::input log-level: %s\n", escapeData(err.Error()))
		return finish(getenv, safeErr, red, summary, nil, exitcode.Usage)
	}

	env := func(k string) string {
		if in.Token != "" {
			for _, n := range names {
				if k == n {
					return in.Token
				}
			}
		}
		return getenv(k)
	}
	r, err := load(ctx, LoadOptions{ConfigPath: in.Config, RulesPath: in.Rules, Log: log, Getenv: env})
	if err != nil {
		var dl *diag.List
		if errors.As(err, &dl) {
			for _, d := range dl.Items {
				fmt.Fprintln(safeOut, annotation(d))
				summary.Problems = append(summary.Problems, d.String())
			}
		} else {
			fmt.Fprintf(safeOut, "::error::%s\n", escapeData(err.Error()))
			summary.Problems = append(summary.Problems, err.Error())
		}
		return finish(getenv, safeErr, red, summary, nil, exitcode.Usage)
	}
	defer r.Close()

	var (
		rep       tracker.Report
		portfolio *report.Portfolio
	)
	if pr, ok := r.(PortfolioRunner); ok {
		var p report.Portfolio
		rep, p, err = pr.RunPortfolio(ctx, in.Mode)
		portfolio = &p
	} else {
		rep, err = r.Run(ctx, in.Mode)
	}
	if err != nil {
		fmt.Fprintf(safeOut, "::error::forewarn %s: %s\n", in.Mode, escapeData(err.Error()))
		summary.Problems = append(summary.Problems, err.Error())
		return finish(getenv, safeErr, red, summary, nil, exitcode.Partial)
	}
	summary.Report = &rep
	out := map[string]string{}
	if err := writePlan(in.PlanFile, rep, red); err != nil {
		fmt.Fprintf(safeOut, "::warning::could not write the plan file: %s\n", escapeData(err.Error()))
	} else {
		out["plan-file"] = in.PlanFile
	}
	if portfolio != nil {
		if err := writePage(in.ReportFile, *portfolio, red); err != nil {
			fmt.Fprintf(safeOut, "::warning::could not write the portfolio page: %s\n", escapeData(err.Error()))
		} else {
			out["report-file"] = in.ReportFile
		}
	}
	// The step log: the same table and notes the CLI prints, then an
	// annotation for each thing that went wrong, so it shows on the run's
	// page without opening the log.
	table.Print(safeOut, rep, "")
	for _, a := range annotations(rep) {
		fmt.Fprintln(safeOut, a)
	}
	code := exitcode.OK
	if rep.Partial() {
		code = exitcode.Partial
		fmt.Fprintf(safeOut, "::warning::forewarn %s finished in part: %d not judged, %d failed writes, %d failed rules (see the job summary)\n",
			in.Mode, len(rep.Failed), failedActions(rep), len(rep.RuleFailures))
	}
	return finish(getenv, safeErr, red, summary, out, code)
}

// Version is forewarn's version, stamped into the step log and the job
// summary (the CLI sets it from its build stamp before calling Main).
var Version = "dev"

// annotations are the workflow commands for what went wrong: a warning per
// milestone or source not judged, an error per failed ticket write and per
// rule that could not be evaluated.
func annotations(rep tracker.Report) []string {
	var out []string
	for _, f := range rep.Failed {
		what := f.Source
		if f.Key != "" {
			what += " " + f.Key
		}
		out = append(out, fmt.Sprintf("::warning title=forewarn: not judged::%s", escapeData(what+": "+f.Err)))
	}
	for _, a := range rep.Actions {
		if a.Err != "" {
			out = append(out, fmt.Sprintf("::error title=forewarn: %s failed::%s", a.Kind, escapeData(fmt.Sprintf("%s %s (%s): %s", a.Purpose, a.MilestoneKey, a.Title, a.Err))))
		}
	}
	for _, f := range rep.RuleFailures {
		out = append(out, fmt.Sprintf("::error title=forewarn: rule failed::%s", escapeData(fmt.Sprintf("rule %q on %s: %s", f.Rule, f.MilestoneKey, f.Err))))
	}
	return out
}

// addMasks registers every form of every secret with the runner
// (::add-mask::), so that the runner hides it in the log even if it
// reached the log some way forewarn does not control. A secret of several
// lines is masked line by line, as the runner matches lines.
func addMasks(stdout io.Writer, red *logx.Redactor) {
	for _, s := range red.Secrets() {
		if strings.ContainsAny(s, "\r\n") {
			continue // its lines are forms of their own
		}
		fmt.Fprintf(stdout, "::add-mask::%s\n", escapeData(s))
	}
}

// finish writes the outputs and the summary; failures to write them are
// reported and turn success into a partial failure.
func finish(getenv func(string) string, stderr io.Writer, red *logx.Redactor, s *Summary, extra map[string]string, code int) int {
	outs := s.Outputs()
	for k, v := range extra {
		outs[k] = v
	}
	outs["exit-code"] = strconv.Itoa(code)
	if p := getenv("GITHUB_OUTPUT"); p != "" {
		if err := appendFile(p, red.String(formatOutputs(outs))); err != nil {
			fmt.Fprintf(stderr, "forewarn action: writing outputs: %v\n", err)
			code = max(code, exitcode.Partial)
		}
	}
	if p := getenv("GITHUB_STEP_SUMMARY"); p != "" {
		if err := appendFile(p, red.String(s.Markdown())); err != nil {
			fmt.Fprintf(stderr, "forewarn action: writing the job summary: %v\n", err)
			code = max(code, exitcode.Partial)
		}
	}
	return code
}

func failedActions(r tracker.Report) int {
	n := 0
	for _, a := range r.Actions {
		if a.Err != "" {
			n++
		}
	}
	return n
}

// writePage writes the portfolio page, scrubbed of every secret like the
// plan file, readable by the upload step.
func writePage(path string, p report.Portfolio, red *logx.Redactor) error {
	var b bytes.Buffer
	if err := report.Render(&b, p); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(red.String(b.String())), 0o644)
}

// writePlan writes the report as JSON, scrubbed of every secret (the
// documented workflow uploads it as an artifact).
func writePlan(path string, rep tracker.Report, red *logx.Redactor) error {
	data, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding the report: %w", err)
	}
	data = []byte(red.String(string(data)))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

func appendFile(path, text string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(f, text); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// formatOutputs renders name=value lines in a stable order; values with a
// newline use the delimiter form GitHub documents.
func formatOutputs(outs map[string]string) string {
	var b strings.Builder
	for _, k := range sortedKeys(outs) {
		v := outs[k]
		if strings.ContainsAny(v, "\r\n") {
			delim := "FOREWARN_EOF"
			for strings.Contains(v, delim) {
				delim += "_"
			}
			fmt.Fprintf(&b, "%s<<%s\n%s\n%s\n", k, delim, v, delim)
			continue
		}
		fmt.Fprintf(&b, "%s=%s\n", k, v)
	}
	return b.String()
}

// annotation renders a diagnostic as a workflow command, so GitHub shows
// it on the line of the file.
func annotation(d diag.Diagnostic) string {
	msg := d.Msg
	if d.Rule != "" {
		msg = fmt.Sprintf("rule %q: %s", d.Rule, msg)
	}
	props := "file=" + escapeProperty(d.File)
	if d.Line > 0 {
		props += fmt.Sprintf(",line=%d,col=%d", d.Line, max(d.Col, 1))
	}
	return fmt.Sprintf("::error %s::%s", props, escapeData(msg))
}

// escapeData and escapeProperty follow the workflow-command escaping of
// the actions toolkit.
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
