//go:build forewarn_noapp

package action

import (
	"context"
	"errors"
)

// loadApp stands in while internal/app does not build (go test -tags forewarn_noapp).
func loadApp(context.Context, LoadOptions) (Runner, error) {
	return nil, errors.New("this build has no application (built with -tags forewarn_noapp)")
}
