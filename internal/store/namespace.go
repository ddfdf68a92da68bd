package store

import (
	"fmt"
	"hash/fnv"
	"regexp"
	"strings"
)

// A namespace lets several installations share one database: every table
// is named <namespace>__<table> and every advisory lock key is derived
// from the namespace. The empty namespace is today's installation: plain
// table names and the historic lock keys, so existing databases keep
// working unchanged.

// tables are every table (and index) the migrations create, longest first
// so that no name is replaced inside a longer one.
var tables = []string{
	"schema_migrations", "ledger_milestone", "scope_rule_state", "runs_outcome",
	"rule_state", "sync_state", "http_cache", "forecasts", "due_dates", "snapshots", "ledger", "runs",
}

// names fills the #table placeholders of the queries with the namespace's
// table names.
type names struct{ r *strings.Replacer }

func newNames(ns string) names {
	var pairs []string
	for _, t := range tables {
		pairs = append(pairs, "#"+t, Table(ns, t))
	}
	return names{strings.NewReplacer(pairs...)}
}

func (n names) Replace(q string) string { return n.r.Replace(q) }

// Table is the name of table t in namespace ns.
func Table(ns, t string) string {
	if ns == "" {
		return t
	}
	return ns + "__" + t
}

// namespacePattern: lower-case letters, digits and single underscores,
// starting with a letter, at most 32 characters — a valid unquoted SQL
// identifier in every database, with room for the table name (PostgreSQL
// cuts identifiers at 63 bytes). "__" is refused because it separates the
// namespace from the table name.
var namespacePattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

func validNamespace(ns string) error {
	if ns == "" {
		return nil
	}
	if !namespacePattern.MatchString(ns) || strings.Contains(ns, "__") || strings.HasSuffix(ns, "_") {
		return fmt.Errorf("state: namespace %q must be lower-case letters, digits and single underscores, start with a letter, not end with an underscore, at most 32 characters", truncate(ns))
	}
	return nil
}

// lockKey is the 64-bit advisory lock key of a purpose ("run", "migr") in a
// namespace: the historic constant for the empty namespace, a hash
// otherwise.
func lockKey(ns string, historic int64, purpose string) int64 {
	if ns == "" {
		return historic
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "forewarn\x00%s\x00%s", purpose, ns)
	return int64(h.Sum64())
}
