package app

import (
	"encoding/json"
	"reflect"
	"slices"
	"sort"
	"testing"

	"github.com/forewarn/forewarn/internal/config"
	"github.com/forewarn/forewarn/internal/schema"
)

// TestOneRegistry: the registry is the one list of connectors. Every
// section the configuration accepts has a connector, every connector a
// section, and the schema of each section is its registry entry's type.
func TestOneRegistry(t *testing.T) {
	keys := func(m any) []string {
		var out []string
		for _, k := range reflect.ValueOf(m).MapKeys() {
			out = append(out, k.String())
		}
		sort.Strings(out)
		return out
	}
	sorted := func(s []string) []string { s = slices.Clone(s); sort.Strings(s); return s }
	if got, want := keys(sourceKinds), sorted(config.SourceKinds); !slices.Equal(got, want) {
		t.Errorf("source connectors %v, configuration accepts %v", got, want)
	}
	if got, want := keys(targetKinds), sorted(config.TargetKinds); !slices.Equal(got, want) {
		t.Errorf("target connectors %v, configuration accepts %v", got, want)
	}

	out, err := schema.Generate("config")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Properties struct {
			Sources struct {
				Items struct {
					Properties map[string]json.RawMessage `json:"properties"`
				} `json:"items"`
			} `json:"sources"`
			Target struct {
				Properties map[string]json.RawMessage `json:"properties"`
			} `json:"target"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	check := func(where string, got map[string]json.RawMessage, key string, typ reflect.Type) {
		want, _ := json.Marshal(schema.For(typ))
		var a, b any
		json.Unmarshal(got[key], &a)
		json.Unmarshal(want, &b)
		// The field's own description is added beside the type's schema.
		if m, ok := a.(map[string]any); ok {
			delete(m, "description")
		}
		if m, ok := b.(map[string]any); ok {
			delete(m, "description")
		}
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s.%s: the schema is not the registry's %v", where, key, typ)
		}
	}
	for key, k := range sourceKinds {
		check("sources[]", doc.Properties.Sources.Items.Properties, key, k.config)
	}
	for key, k := range targetKinds {
		check("target", doc.Properties.Target.Properties, key, k.config)
	}
}
