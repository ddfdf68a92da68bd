package app

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/forewarn/forewarn/connectors"
	"github.com/forewarn/forewarn/connectors/file"
	"github.com/forewarn/forewarn/connectors/github"
	"github.com/forewarn/forewarn/connectors/jira"
	"github.com/forewarn/forewarn/internal/diag"
	"github.com/forewarn/forewarn/internal/tracker"
	"github.com/forewarn/forewarn/internal/yamlx"
)

// The connectors forewarn knows, by the key that selects them in the
// configuration: the one list of them. Each entry gives the type of its
// section (decoded here strictly, validated, and reported with positions;
// the configuration's schema describes the section with it, see schema.go)
// and the constructor that takes it.
var (
	sourceKinds = map[string]sourceKind{
		"file":   source(file.NewSource),
		"github": source(github.NewSource),
		"jira":   source(jira.NewSource), // issue 4
		// connectors: sources
	}
	targetKinds = map[string]targetKind{
		"outbox": target(file.NewTarget),
		"github": target(github.NewTarget),
		"jira":   target(jira.NewTarget), // issue 4
		// connectors: targets
	}
)

// build is what a factory needs to make one connector.
type build struct {
	file  string     // config file, for messages
	what  string     // "sources[0] (demo): file" or "target: outbox"
	key   string     // the section's key path: "sources[0].file", "target.outbox"
	name  string     // source name
	node  *yaml.Node // the connector's section
	env   connectors.Env
	diags *diag.List
}

// sourceKind and targetKind are a registry entry: the section's type and
// how to build the connector from a section.
type (
	sourceKind struct {
		config reflect.Type
		build  func(b build) tracker.Source
	}
	targetKind struct {
		config reflect.Type
		build  func(b build) tracker.Target
	}
)

func source[C any, S tracker.Source](newFn func(string, C, connectors.Env) (S, error)) sourceKind {
	return sourceKind{config: reflect.TypeFor[C](), build: func(b build) tracker.Source {
		var c C
		if !decode(b, &c) || !knownClients(b, c) {
			return nil
		}
		s, err := newFn(b.name, c, b.env)
		if err != nil {
			b.diags.Add(b.file, b.node, "", "%s: %v", b.what, err)
			return nil
		}
		return s
	}}
}

func target[C any, T tracker.Target](newFn func(C, connectors.Env) (T, error)) targetKind {
	return targetKind{config: reflect.TypeFor[C](), build: func(b build) tracker.Target {
		var c C
		if !decode(b, &c) {
			return nil
		}
		t, err := newFn(c, b.env)
		if err != nil {
			b.diags.Add(b.file, b.node, "", "%s: %v", b.what, err)
			return nil
		}
		return t
	}}
}

// knownClients refuses a source that names a client id clients: does not
// define: its milestones would all be refused at run time, or drafted for
// nobody. Reported at the key that names it.
func knownClients(b build, c any) bool {
	n, ok := c.(interface{ ClientIDs() map[string]string })
	if !ok || b.env.KnownClient == nil {
		return true
	}
	ids := n.ClientIDs()
	keys := make([]string, 0, len(ids))
	for k := range ids {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	good := true
	for _, k := range keys {
		if id := ids[k]; !b.env.KnownClient(id) {
			field, _, _ := strings.Cut(k, "[")
			at, _ := keyOf(b.node, fmt.Errorf("%s: x", field))
			b.diags.Add(b.file, at, "", "%s: %s: unknown client %q (define it under clients:)", b.what, k, id)
			good = false
		}
	}
	return good
}

// decode reads a section strictly into c and runs its Validate method
// (also after a type error, so every problem is reported at once; the
// checks a mistyped value fails are dropped by diag.List). Each problem
// is placed at the key it names.
func decode(b build, c any) bool {
	before := b.diags.Len()
	yamlx.DecodeAt(b.file, b.node, c, "", b.key, b.diags)
	if v, ok := c.(interface{ Validate() error }); ok {
		if err := v.Validate(); err != nil {
			for _, e := range split(err) {
				at, _ := keyOf(b.node, e)
				b.diags.Add(b.file, at, "", "%s: %v", b.what, e)
			}
		}
	}
	return b.diags.Len() == before
}

// split undoes errors.Join so each problem gets its own line.
func split(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, split(e)...)
		}
		return out
	}
	return []error{err}
}

var errUnknownKind = errors.New("unknown connector")
