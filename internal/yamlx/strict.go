// Package yamlx decodes YAML strictly with positions: every unknown key and
// every value of the wrong type is reported as file:line:col, all at once.
package yamlx

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/forewarn/forewarn/internal/diag"
)

// Parse reads one YAML document into a node tree. An empty document gives
// an empty mapping.
func Parse(file string, data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: 1, Column: 1}, nil
		}
		l := diag.FromYAML(file, err)
		for i, d := range l.Items {
			if d.Line == 0 {
				l.Items[i].Line, l.Items[i].Col = locate(data, d.Msg)
			}
		}
		return nil, l.Err()
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		l := &diag.List{}
		l.Add(file, &extra, "", "only one YAML document is allowed")
		return nil, l.Err()
	}
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		return doc.Content[0], nil
	}
	return &doc, nil
}

// locate finds where yaml.v3's reader and anchor errors, which come
// without a line, happened: the first byte YAML does not allow, or the
// first use of the unknown anchor. 0, 0 when it cannot tell.
func locate(data []byte, msg string) (line, col int) {
	at := -1
	if name, ok := strings.CutPrefix(msg, "unknown anchor '"); ok {
		name, _, _ = strings.Cut(name, "'")
		at = bytes.Index(data, []byte("*"+name))
	} else {
		for i := 0; i < len(data); {
			r, n := utf8.DecodeRune(data[i:])
			if (r == utf8.RuneError && n <= 1) || (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || (r >= 0x7f && r < 0xa0 && r != 0x85) {
				at = i
				break
			}
			i += n
		}
	}
	if at < 0 {
		return 0, 0
	}
	before := data[:at]
	line = bytes.Count(before, []byte("\n")) + 1
	return line, utf8.RuneCount(before[bytes.LastIndexByte(before, '\n')+1:]) + 1
}

// Decode decodes n into out (a pointer) and records every problem in l:
// unknown keys (with the keys that are allowed), duplicate keys and values
// that do not fit the field's type. rule names the rule for messages.
func Decode(file string, n *yaml.Node, out any, rule string, l *diag.List) {
	before := l.Len()
	checkKeys(file, n, reflect.TypeOf(out).Elem(), rule, l)
	if l.Len() > before {
		return
	}
	if err := n.Decode(out); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			for _, e := range te.Errors {
				l.AddAt(file, lineOf(e, n.Line), colFor(n, lineOf(e, n.Line)), rule, "%s", cleanMsg(e))
			}
			return
		}
		l.Add(file, n, rule, "%s", cleanMsg(err.Error()))
	}
}

func lineOf(msg string, def int) int {
	var line int
	if n, _ := fmt.Sscanf(strings.TrimPrefix(msg, "yaml: "), "line %d:", &line); n == 1 {
		return line
	}
	return def
}

// colFor finds the column of the first value node on a line, so type errors
// (which yaml.v3 reports by line only) point at the value.
func colFor(n *yaml.Node, line int) int {
	best := 0
	var walk func(*yaml.Node)
	walk = func(x *yaml.Node) {
		if x.Line == line && x.Kind == yaml.ScalarNode && x.Column > best {
			best = x.Column
		}
		for _, c := range x.Content {
			walk(c)
		}
	}
	walk(n)
	if best == 0 {
		return 1
	}
	return best
}

func cleanMsg(s string) string {
	s = strings.TrimPrefix(s, "yaml: ")
	if i := strings.Index(s, ": "); i >= 0 && strings.HasPrefix(s, "line ") {
		s = s[i+2:]
	}
	return s
}

var nodeType = reflect.TypeOf(yaml.Node{})

// checkKeys walks the node against the Go type and reports unknown or
// duplicate mapping keys with their positions.
func checkKeys(file string, n *yaml.Node, t reflect.Type, rule string, l *diag.List) {
	if n == nil {
		return
	}
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nodeType {
		return
	}
	// Types that decode themselves (durations, dates, enums) are checked by them.
	if reflect.PointerTo(t).Implements(reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()) {
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			if n.Tag == "!!null" {
				return
			}
			l.Add(file, n, rule, "expected a mapping, got %s", describe(n))
			return
		}
		fields := structFields(t)
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if seen[k.Value] {
				l.Add(file, k, rule, "key %q appears twice", k.Value)
				continue
			}
			seen[k.Value] = true
			f, ok := fields[k.Value]
			if !ok {
				l.Add(file, k, rule, "unknown key %q (allowed: %s)", k.Value, allowed(fields))
				continue
			}
			checkKeys(file, v, f, rule, l)
		}
	case reflect.Slice, reflect.Array:
		if n.Kind == yaml.SequenceNode {
			for _, c := range n.Content {
				checkKeys(file, c, t.Elem(), rule, l)
			}
		}
	case reflect.Map:
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				checkKeys(file, n.Content[i+1], t.Elem(), rule, l)
			}
		}
	}
}

func structFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if strings.Contains(opts, "inline") {
			for k, v := range structFields(f.Type) {
				out[k] = v
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f.Type
	}
	return out
}

func allowed(fields map[string]reflect.Type) string {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ", ")
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	default:
		return "something else"
	}
}
