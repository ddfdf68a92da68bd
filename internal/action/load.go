//go:build !forewarn_noapp

package action

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/forewarn/forewarn/internal/app"
	"github.com/forewarn/forewarn/internal/diag"
	"github.com/forewarn/forewarn/rules"
)

// loadApp loads the real application. A rules input replaces the rules
// file the configuration names (relative to the working directory, as the
// config input is).
func loadApp(ctx context.Context, o LoadOptions) (Runner, error) {
	a, err := app.Load(ctx, app.Options{ConfigPath: o.ConfigPath, Log: o.Log, Getenv: o.Getenv})
	if err != nil {
		return nil, err
	}
	if o.RulesPath != "" {
		want, _ := filepath.Abs(o.RulesPath)
		have, _ := filepath.Abs(a.Config.RulesPath)
		if want != have {
			rs, err := rules.Load(o.RulesPath)
			if err != nil {
				var dl *diag.List
				if errors.As(err, &dl) {
					return nil, err
				}
				return nil, fmt.Errorf("loading rules %s: %w", o.RulesPath, err)
			}
			a.Rules = rs
		}
	}
	return a, nil
}
