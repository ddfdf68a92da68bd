// Package forewarn holds what the binary carries from the repository root:
// the default rules (rules.yaml), used when a configuration leaves rules:
// out and copied by `forewarn init --rules`.
package forewarn

import _ "embed"

// DefaultRules is rules.yaml as built into the binary.
//
//go:embed rules.yaml
var DefaultRules []byte
