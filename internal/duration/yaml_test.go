package duration_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/forewarn/forewarn/internal/duration"
)

// A configured duration is parsed when the file is decoded; an absent key
// is nil and keeps the default, an explicit 0 is 0.
func TestDurationFromYAML(t *testing.T) {
	var c struct {
		Timeout *duration.Duration `yaml:"timeout"`
		Within  *duration.Duration `yaml:"within"`
		Absent  *duration.Duration `yaml:"absent"`
	}
	if err := yaml.Unmarshal([]byte("timeout: 1d12h\nwithin: 0\n"), &c); err != nil {
		t.Fatal(err)
	}
	if c.Timeout.Or(0) != 36*time.Hour || c.Within == nil || c.Within.Or(time.Hour) != 0 || c.Absent.Or(time.Hour) != time.Hour {
		t.Fatalf("decoded %v %v %v", c.Timeout.Or(0), c.Within.Or(time.Hour), c.Absent.Or(time.Hour))
	}
	for in, want := range map[string]string{
		"timeout: soon\n":   `line 1: "soon" is not a duration`,
		"timeout: -1h\n":    `line 1: "-1h" is not a duration`,
		"timeout: [1h]\n":   "line 1: want a duration (such as 90s, 10m or 14d), got a list",
		"timeout: {a: 1}\n": "line 1: want a duration (such as 90s, 10m or 14d), got a mapping",
	} {
		err := yaml.Unmarshal([]byte(in), &c)
		var te *yaml.TypeError
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", in, err, want)
		} else if !errors.As(err, &te) {
			t.Errorf("%q: %T is not a *yaml.TypeError: the decoder would stop at the first bad value", in, err)
		}
	}
}
