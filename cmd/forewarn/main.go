// Command forewarn watches the deadlines a team promised its clients,
// forecasts them, and drafts the honest conversation before a date slips.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/forewarn/forewarn/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}
