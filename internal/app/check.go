package app

import (
	"strings"

	"github.com/forewarn/forewarn/internal/config"
)

// CheckReport is what `forewarn check` found in a valid configuration:
// its summary as data (check --json) and its warnings.
type CheckReport struct {
	Config    string        `json:"config"`
	Sources   []CheckSource `json:"sources"`
	Target    string        `json:"target"`
	Clients   int           `json:"clients"`
	State     CheckState    `json:"state"`
	RulesFile string        `json:"rules_file"`
	Rules     []string      `json:"rules"`
	// Warnings are problems a run would meet that the files themselves do
	// not have: a secret variable the configuration names that is unset.
	Warnings []string `json:"warnings"`
}

// CheckSource is one configured source.
type CheckSource struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
}

// CheckState is the state store a run would use.
type CheckState struct {
	Driver    string `json:"driver"`
	Namespace string `json:"namespace"`
}

// Check reports what a run needs beyond valid files.
func (a *App) Check() CheckReport {
	r := CheckReport{Config: a.Config.Path, Target: a.Config.Target.Kind, Clients: len(a.Config.Clients),
		State: CheckState{Driver: a.storeCfg.Driver, Namespace: a.storeCfg.Namespace}, RulesFile: a.Config.RulesPath,
		Rules: a.Rules.Names(), Sources: []CheckSource{}, Warnings: []string{}}
	if r.State.Driver == "" {
		r.State.Driver = "sqlite"
	}
	for _, s := range a.Config.Sources {
		r.Sources = append(r.Sources, CheckSource{Name: s.Name, Kind: s.Kind})
	}
	for _, name := range config.SecretEnvNames(a.Config.Path) {
		if strings.TrimSpace(a.opts.Getenv(name)) == "" {
			r.Warnings = append(r.Warnings, "environment variable "+name+" (named by the configuration) is unset or empty: a run will fail to authenticate")
		}
	}
	return r
}
