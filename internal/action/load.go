package action

import (
	"context"

	"github.com/forewarn/forewarn/internal/app"
)

// loadApp loads the real application. A rules input replaces the rules
// file the configuration names (relative to the working directory, as the
// config input is).
func loadApp(ctx context.Context, o LoadOptions) (Runner, error) {
	return app.Load(ctx, app.Options{ConfigPath: o.ConfigPath, RulesPath: o.RulesPath, Log: o.Log, Getenv: o.Getenv})
}
