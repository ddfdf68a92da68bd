package duration

import (
	"fmt"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/forewarn/forewarn/internal/yamlx"
)

// Duration is a duration in a configuration file, parsed once when the
// file is decoded: a value Parse refuses is a decoding error at the value
// (file:line:col), never a string parsed again where it is used. A field
// of type *Duration is nil when its key is absent, so an explicit 0 and
// "the default" stay apart (see Or).
type Duration time.Duration

// UnmarshalYAML implements yaml.Unmarshaler. Its errors are
// *yaml.TypeError, so the decoder goes on and every bad value in a file is
// reported at once.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: want %s, got %s", n.Line, want, yamlx.Describe(n))}}
	}
	v, err := Parse(strings.TrimSpace(n.Value))
	if err != nil {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %q is not a duration (e.g. 36h, 14d, 2w)", n.Line, n.Value)}}
	}
	*d = Duration(v)
	return nil
}

const want = "a duration (such as 90s, 10m or 14d)"

// YAMLWant says what a duration looks like, for type errors.
func (Duration) YAMLWant() string { return want }

// JSONSchema describes Duration for `forewarn schema`.
func (Duration) JSONSchema() map[string]any {
	return map[string]any{"type": "string",
		"description": "A duration: number and unit pairs, units w, d, h, m, s (e.g. 90s, 10m, 36h, 14d, 2w), a Go duration (1h30m, 500ms), or 0."}
}

// Or returns the duration the file gives, or def when the key is absent
// (d is nil).
func (d *Duration) Or(def time.Duration) time.Duration {
	if d == nil {
		return def
	}
	return time.Duration(*d)
}
