// Package schema generates JSON Schema (draft 2020-12) from forewarn's Go
// types by reflection over their yaml tags, so editors validate and complete
// the configuration and rules files. Field tags it reads:
//
//	yaml:"key"        the property name (",inline" merges a struct)
//	desc:"..."        the description
//	required:"true"   the key must be present
//	enum:"a,b,c"      allowed values (of the items, for lists)
//	pattern:"^...$"   a regular expression for strings
//
// A type with a method JSONSchema() map[string]any describes itself.
package schema

import (
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/forewarn/forewarn/rules"
	"github.com/forewarn/forewarn/rules/ruletest"
)

// Draft is the JSON Schema dialect generated.
const Draft = "https://json-schema.org/draft/2020-12/schema"

type entry struct {
	t     reflect.Type
	title string
}

var (
	mu       sync.RWMutex
	registry = map[string]entry{}
	fields   = map[fieldKey]reflect.Type{}
)

type fieldKey struct {
	t   reflect.Type
	key string
}

func init() {
	Register("rules", reflect.TypeOf(rules.FileSpec{}), "forewarn rules file (rules.yaml)")
	Register("rules-test", reflect.TypeOf(ruletest.FileSpec{}), "forewarn rule unit tests (forewarn test)")
}

// Register makes a schema available to Main under name (e.g. "config").
// t is the Go type the file decodes into; title heads the schema.
func Register(name string, t reflect.Type, title string) {
	mu.Lock()
	defer mu.Unlock()
	registry[name] = entry{t: t, title: title}
}

// RegisterField describes the yaml key of struct type parent as type t —
// for fields kept as yaml.Node and decoded later by their owner (e.g. the
// configuration's forecast section is a forecast.Options).
func RegisterField(parent reflect.Type, key string, t reflect.Type) {
	mu.Lock()
	defer mu.Unlock()
	fields[fieldKey{parent, key}] = t
}

// Names lists the registered schemas.
func Names() []string {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]string, 0, len(registry))
	for k := range registry {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Generate returns the schema registered under name, as indented JSON.
func Generate(name string) ([]byte, error) {
	mu.RLock()
	e, ok := registry[name]
	mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("no schema %q (known: %s)", name, strings.Join(Names(), ", "))
	}
	s := For(e.t)
	s["$schema"] = Draft
	s["title"] = e.title
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding the %s schema: %w", name, err)
	}
	return append(b, '\n'), nil
}

// Main prints the schema named by args[0] (default rules). Exit 0, or 2 on
// bad usage.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) > 1 || (len(args) == 1 && strings.HasPrefix(args[0], "-")) {
		fmt.Fprintf(stderr, "usage: forewarn schema [%s]\n", strings.Join(Names(), "|"))
		if len(args) == 1 && (args[0] == "-h" || args[0] == "--help") {
			return 0
		}
		return 2
	}
	name := "rules"
	if len(args) == 1 {
		name = args[0]
	}
	b, err := Generate(name)
	if err != nil {
		fmt.Fprintf(stderr, "forewarn schema: %v\n", err)
		return 2
	}
	if _, err := stdout.Write(b); err != nil {
		fmt.Fprintf(stderr, "forewarn schema: %v\n", err)
		return 1
	}
	return 0
}

var (
	schemaerType = reflect.TypeOf((*interface{ JSONSchema() map[string]any })(nil)).Elem()
	timeType     = reflect.TypeOf(time.Time{})
	nodeType     = reflect.TypeOf(yaml.Node{})
)

// For returns the schema of a Go type.
func For(t reflect.Type) map[string]any {
	return forType(t, 0)
}

func forType(t reflect.Type, depth int) map[string]any {
	if depth > 32 {
		return map[string]any{}
	}
	for t.Kind() == reflect.Pointer {
		if t.Implements(schemaerType) && !t.Elem().Implements(schemaerType) && t.Elem().Kind() != reflect.Struct {
			break
		}
		t = t.Elem()
	}
	if t.Implements(schemaerType) {
		return reflect.Zero(t).Interface().(interface{ JSONSchema() map[string]any }).JSONSchema()
	}
	switch t {
	case timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case nodeType:
		return map[string]any{}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if t == reflect.TypeOf(time.Duration(0)) {
			return map[string]any{"type": "string", "description": "A Go duration, e.g. 90s or 10m."}
		}
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": forType(t.Elem(), depth+1)}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": forType(t.Elem(), depth+1)}
	case reflect.Struct:
		return forStruct(t, depth)
	case reflect.Interface:
		return map[string]any{}
	}
	return map[string]any{}
}

func forStruct(t reflect.Type, depth int) map[string]any {
	props := map[string]any{}
	var required []string
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name == "-" {
				continue
			}
			if strings.Contains(opts, "inline") {
				ft := f.Type
				for ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				walk(ft)
				continue
			}
			if name == "" {
				name = strings.ToLower(f.Name)
			}
			ft := f.Type
			mu.RLock()
			if o, ok := fields[fieldKey{t, name}]; ok {
				ft = o
			}
			mu.RUnlock()
			p := forType(ft, depth+1)
			// Copy: self-describing types may return shared maps.
			q := make(map[string]any, len(p)+2)
			for k, v := range p {
				q[k] = v
			}
			if d := f.Tag.Get("desc"); d != "" {
				q["description"] = d
			}
			if e := f.Tag.Get("enum"); e != "" {
				vals := strings.Split(e, ",")
				if items, ok := q["items"].(map[string]any); ok && q["type"] == "array" {
					it := make(map[string]any, len(items)+1)
					for k, v := range items {
						it[k] = v
					}
					it["enum"] = vals
					q["items"] = it
				} else {
					q["enum"] = vals
				}
			}
			if pat := f.Tag.Get("pattern"); pat != "" {
				q["pattern"] = pat
			}
			if f.Tag.Get("required") == "true" {
				required = append(required, name)
			}
			props[name] = q
		}
	}
	walk(t)
	out := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		sort.Strings(required)
		out["required"] = required
	}
	return out
}
