package app

import (
	"reflect"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/forewarn/forewarn/internal/diag"
	"github.com/forewarn/forewarn/internal/yamlx"
)

var leadingKey = regexp.MustCompile(`^([a-z_]+(?:\.[a-z_]+)*)(\[(\d+)\])?(: | [^ ]+: )`)

// keyOf places a section's validation error: when the message starts with
// one of the section's keys ("window_days: must be …", "confidence 0.3:
// want …", "state: dsn_env …"), the problem is reported at that key's value
// and the message names it in full ("window_days: …" → key
// "forecast.window_days"; a nested key "history.count" is followed down);
// otherwise at the section, prefixed ": ".
func keyOf(section *yaml.Node, err error) (*yaml.Node, string) {
	msg := err.Error()
	if head, rest, ok := strings.Cut(msg, ": "); ok && !strings.ContainsAny(head, " .[") && yamlx.Child(section, head) == nil {
		msg = rest // "state: …" from the store names its section itself
	}
	m := leadingKey.FindStringSubmatch(msg)
	if m == nil {
		return section, ": " + msg
	}
	v := section
	for _, k := range strings.Split(m[1], ".") { // "history.count": a nested key
		v = yamlx.Child(v, k)
	}
	if v == nil {
		return section, ": " + msg
	}
	if m[3] != "" && v.Kind == yaml.SequenceNode {
		i := 0
		for _, c := range m[3] {
			i = i*10 + int(c-'0')
		}
		if i < len(v.Content) {
			v = v.Content[i]
		}
	}
	return v, "." + msg
}

var defaultIn = regexp.MustCompile(`\(default ([^);]+)`)

// explicitZeros reports numbers written as 0 in a section whose zero
// values mean "the default": `window_days: 0` is out of range, and
// silently running with 42 days instead would hide the mistake. out is the
// section's type (its desc tags give the defaults).
func explicitZeros(file, key string, n *yaml.Node, out any, l *diag.List) {
	if n == nil || n.Kind != yaml.MappingNode {
		return
	}
	t := reflect.TypeOf(out)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch f.Type.Kind() {
		case reflect.Int, reflect.Int64, reflect.Float64:
		default:
			continue
		}
		v := yamlx.Child(n, name)
		if v == nil || v.Kind != yaml.ScalarNode || (v.ShortTag() != "!!int" && v.ShortTag() != "!!float") {
			continue
		}
		if strings.Trim(v.Value, "+-0.") != "" {
			continue
		}
		def := "the default"
		if m := defaultIn.FindStringSubmatch(f.Tag.Get("desc")); m != nil {
			def = "the default (" + m[1] + ")"
		}
		l.Add(file, v, "", "%s.%s: 0 is out of range; leave the key out for %s", key, name, def)
	}
}
