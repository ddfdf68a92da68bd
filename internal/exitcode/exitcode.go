// Package exitcode holds the process exit codes every forewarn entry point
// (the CLI and the GitHub Action) returns, so the two can never disagree.
package exitcode

// Exit codes.
const (
	OK      = 0 // everything worked
	Partial = 1 // the run failed in part (a source, a milestone, a rule or a write); the rest was judged and written
	Usage   = 2 // bad usage, configuration or rules: nothing was written
)
