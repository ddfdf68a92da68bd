package cli

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/forewarn/forewarn/internal/backtest"
)

// A command's help: what it does, and — for the commands whose flags live
// here — its flags with their defaults, printed from the same FlagSet the
// command parses (a flag added to the set appears in the help by itself).
type helpEntry struct {
	usage string // "forewarn run [flags]"
	about string // what the command does, a paragraph or two
	// flags builds the command's FlagSet (nil: the command has none here).
	flags func(getenv func(string) string) *flag.FlagSet
}

var helps = map[string]helpEntry{
	"run": {"forewarn run [flags]", `Polls every source, forecasts each milestone, evaluates the rules and writes
the tickets they call for (client notices, progress updates, post-mortems) to
the target. Every ticket is created once, ever: reruns update or comment.
Exit 0 ok, 1 the run failed in part, 2 bad configuration (nothing written).`, nil},
	"plan": {"forewarn plan [flags]", `Does everything run does but writes nothing: prints the tickets run would
create, update or comment on. The state store is opened read-only.`, nil},
	"check": {"forewarn check [flags]", `Validates the configuration, the rules and the templates, reporting every
problem at once as file:line:col, and prints a summary. Warns about secret
environment variables the configuration names that are unset or empty
(--strict turns those warnings into exit 2). Contacts no tracker.`, nil},
	"init": {"forewarn init [flags] TRACKER...", `Writes a commented starter forewarn.yaml for the trackers named (github,
jira, file), ready for forewarn check. Without rules: in it, the built-in
default rules are used; --rules also writes a copy of them to edit.`, nil},
	"serve": {"forewarn serve [flags]", `Runs on an interval until SIGTERM, serving the portfolio page (/),
/api/portfolio.json, /healthz, /readyz and /metrics.`, nil},
	"test": {"forewarn test FILE...", `Runs rule unit tests: each FILE gives milestones, a clock and the tickets
the rules must (and must not) call for.`, nil},
	"schema": {"forewarn schema [config|rules]", `Prints the JSON Schema of the configuration (default) or of the rules file,
for editors that complete and check YAML.`, nil},
	"backtest": {"forewarn backtest [flags]", backtest.About, func(func(string) string) *flag.FlagSet { return backtest.FlagSet() }},
	"action": {"forewarn action", `The entry point of the GitHub Action (action.yml). It takes no flags: it
reads its inputs from INPUT_CONFIG, INPUT_RULES, INPUT_MODE (plan or run),
INPUT_TOKEN, INPUT_PLAN_FILE and INPUT_LOG_LEVEL, writes the outputs to
$GITHUB_OUTPUT and a job summary to $GITHUB_STEP_SUMMARY.`, nil},
	"version": {"forewarn version", "Prints the version.", nil},
	"help":    {"forewarn help [COMMAND]", "Prints the list of commands, or the help of one.", nil},
}

// wantsHelp reports whether args ask for help (-h, -help, --help before
// a "--").
func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}

// printHelp writes the help of cmd; false when there is no such command.
func printHelp(w io.Writer, cmd string, getenv func(string) string) bool {
	h, ok := helps[cmd]
	if !ok {
		return false
	}
	fmt.Fprintf(w, "Usage: %s\n\n%s\n", h.usage, h.about)
	if h.flags != nil {
		fmt.Fprint(w, "\nFlags:\n")
		printFlags(w, h.flags(getenv))
	}
	return true
}

// printFlags lists a FlagSet as "--name VALUE  usage (default …)".
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		name, usage := flag.UnquoteUsage(f)
		head := "  --" + f.Name
		if name != "" {
			head += " " + strings.ToUpper(name)
		}
		def := f.DefValue
		switch {
		case f.Name == "config":
			def = "$FOREWARN_CONFIG, else forewarn.yaml; here " + f.DefValue
		case def == "" || def == "false" || def == "0s" && strings.Contains(usage, "default"):
			def = ""
		}
		if def != "" && !strings.Contains(usage, "(default") {
			usage += " (default " + def + ")"
		}
		if len(head) < 24 {
			head += strings.Repeat(" ", 24-len(head))
		} else {
			head += "\n" + strings.Repeat(" ", 24)
		}
		fmt.Fprintf(w, "%s%s\n", head, usage)
	})
}
