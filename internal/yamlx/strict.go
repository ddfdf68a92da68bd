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
	"time"
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
// that do not fit the field's type, each of those naming its key. rule
// names the rule for messages. What fits is decoded even when something
// else does not, so the caller can go on checking values and report
// everything at once. It returns false when nothing could be decoded (a
// key given twice): checking the values then says nothing.
func Decode(file string, n *yaml.Node, out any, rule string, l *diag.List) bool {
	return DecodeAt(file, n, out, rule, "", l)
}

// DecodeAt is Decode for a section of a larger file: path ("forecast",
// "sources[0].github") prefixes the keys named in messages.
func DecodeAt(file string, n *yaml.Node, out any, rule, path string, l *diag.List) bool {
	before := l.Len()
	checkKeys(file, n, reflect.TypeOf(out).Elem(), rule, path, l)
	reported := map[int]bool{}
	for _, d := range l.Items[before:] {
		reported[d.Line] = true
	}
	if err := n.Decode(out); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			decoded := true
			for _, e := range te.Errors {
				if strings.Contains(e, "already defined") {
					decoded = false // a key given twice: yaml decodes nothing
				}
				line := lineOf(e, n.Line)
				if !reported[line] {
					l.AddAt(file, line, colFor(n, line), rule, "%s", cleanMsg(e))
					l.Items[len(l.Items)-1].Type = true
				}
			}
			return decoded
		}
		if l.Len() == before {
			l.Add(file, n, rule, "%s", cleanMsg(err.Error()))
		}
		return false
	}
	return true
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

var (
	nodeType     = reflect.TypeOf(yaml.Node{})
	durationType = reflect.TypeOf(time.Duration(0))
)

// Wanted is implemented by types that say what a value of theirs looks
// like, for messages ("want a duration (such as 2d), got a list").
type Wanted interface{ YAMLWant() string }

// checkKeys walks the node against the Go type and reports unknown or
// duplicate mapping keys and values of the wrong type with their
// positions, naming the key by its path.
func checkKeys(file string, n *yaml.Node, t reflect.Type, rule, path string, l *diag.List) {
	if n == nil {
		return
	}
	at := n // problems are reported where the value is written
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nodeType {
		return
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // the zero value
	}
	// Types that decode themselves (durations, dates, enums) are checked
	// by them; their complaint is reported here, at the value, naming it.
	if reflect.PointerTo(t).Implements(reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()) {
		if err := n.Decode(reflect.New(t).Interface()); err != nil {
			msg := cleanMsg(err.Error())
			var te *yaml.TypeError
			if errors.As(err, &te) && len(te.Errors) > 0 {
				msg = cleanMsg(te.Errors[0])
			}
			last := path[strings.LastIndexAny(path, ".]")+1:]
			msg = strings.TrimPrefix(strings.TrimPrefix(msg, last+" "), last+": ")
			l.AddType(file, at, rule, "%s%s", keyed(path), msg)
		}
		return
	}
	bad := func(want string) {
		if w, ok := reflect.Zero(t).Interface().(Wanted); ok {
			want = w.YAMLWant()
		}
		l.AddType(file, at, rule, "%swant %s, got %s", keyed(path), want, Describe(n))
	}
	if t == durationType {
		if n.Kind != yaml.ScalarNode {
			bad("a duration (such as 90s or 2h)")
		}
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			if path == "" {
				l.AddType(file, at, rule, "expected a mapping, got %s", Describe(n))
			} else {
				bad("a mapping")
			}
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
			checkKeys(file, v, f, rule, join(path, k.Value), l)
		}
	case reflect.Slice, reflect.Array:
		if n.Kind != yaml.SequenceNode {
			if t.Elem().Kind() == reflect.Uint8 && n.Kind == yaml.ScalarNode {
				return // []byte from a string
			}
			bad("a list")
			return
		}
		for i, c := range n.Content {
			checkKeys(file, c, t.Elem(), rule, fmt.Sprintf("%s[%d]", path, i), l)
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			bad("a mapping")
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			checkKeys(file, n.Content[i+1], t.Elem(), rule, join(path, n.Content[i].Value), l)
		}
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			bad("a string")
		}
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
			bad("true or false")
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
			bad("an integer")
		}
	case reflect.Float32, reflect.Float64:
		if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!int" && n.ShortTag() != "!!float") {
			bad("a number")
		}
	}
}

// keyed is "path: " for a message, or nothing at the top.
func keyed(path string) string {
	if path == "" {
		return ""
	}
	return path + ": "
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
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
