package yamlx_test

import (
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/forewarn/forewarn/internal/yamlx"
)

func TestNodeHelpers(t *testing.T) {
	root, err := yamlx.Parse("f.yaml", []byte("name: a\nlist:\n  - x\n  - {k: v}\nmap: {k: 1}\n"))
	if err != nil {
		t.Fatal(err)
	}
	list := yamlx.Child(root, "list")
	pos := func(n *yaml.Node) [2]int {
		if n == nil {
			return [2]int{}
		}
		return [2]int{n.Line, n.Column}
	}
	for _, c := range []struct {
		name string
		got  *yaml.Node
		want [2]int
	}{
		{"child of a mapping", yamlx.Child(root, "name"), [2]int{1, 7}},
		{"missing key", yamlx.Child(root, "nope"), [2]int{}},
		{"child of a scalar", yamlx.Child(yamlx.Child(root, "name"), "k"), [2]int{}},
		{"child of nil", yamlx.Child(nil, "k"), [2]int{}},
		{"item", yamlx.Item(list, 1), [2]int{4, 5}},
		{"item past the end is the list", yamlx.Item(list, 5), [2]int{3, 3}},
		{"item of a mapping is the mapping", yamlx.Item(root, 0), [2]int{1, 1}},
		{"item of nil", yamlx.Item(nil, 0), [2]int{}},
		{"chained", yamlx.Child(yamlx.Item(list, 1), "k"), [2]int{4, 9}},
		{"or takes the first", yamlx.Or(yamlx.Child(root, "map"), root), [2]int{5, 6}},
		{"or falls back", yamlx.Or(yamlx.Child(root, "nope"), list), [2]int{3, 3}},
	} {
		if got := pos(c.got); got != c.want {
			t.Errorf("%s: at %v, want %v", c.name, got, c.want)
		}
	}
	for n, want := range map[*yaml.Node]string{list: "a list", yamlx.Child(root, "map"): "a mapping", yamlx.Child(root, "name"): `"a"`, {Kind: yaml.AliasNode}: "something else"} {
		if got := yamlx.Describe(n); got != want {
			t.Errorf("Describe = %q, want %q", got, want)
		}
	}
}
