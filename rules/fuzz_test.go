package rules_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/forewarn/forewarn/rules"
)

// FuzzParse: the loader never panics, whatever the input; what loads also
// evaluates without panicking. The seed corpus is the shipped rules, the
// broken files in testdata/errors and testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/errors/*.yaml")
	seeds = append(seeds, "../rules.yaml")
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	in := []rules.Input{input("m1", 0.3), input("m2", 0.9)}
	f.Fuzz(func(t *testing.T, data []byte) {
		set, err := rules.Parse("fuzz.yaml", data)
		if err != nil {
			if set != nil {
				t.Fatal("both a set and an error")
			}
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		set.Summary()
		st := rules.State{}
		for i := range 3 {
			res := set.Evaluate(t0.Add(time.Duration(i)*36*time.Hour), in, st)
			st = res.State
		}
	})
}
