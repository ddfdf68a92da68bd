package yamlx

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// The node helpers every reader of a YAML file uses to place a problem at
// the key or list element it is about. Each takes nil and nodes of the
// wrong kind, so a caller can chain them on a file it is still checking.

// Child is the value of key in the mapping n; nil when n is nil, not a
// mapping or lacks the key.
func Child(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// Item is element i of the sequence n; n itself when n is not a sequence
// or is shorter, so a problem is still placed near it (nil stays nil).
func Item(n *yaml.Node, i int) *yaml.Node {
	if n == nil || n.Kind != yaml.SequenceNode || i >= len(n.Content) {
		return n
	}
	return n.Content[i]
}

// Or is a, or b when a is nil: the key a problem is about when it is
// written, else the section around it.
func Or(a, b *yaml.Node) *yaml.Node {
	if a != nil {
		return a
	}
	return b
}

// Describe says what a node is, for messages: "a list", "a mapping" or the
// scalar quoted.
func Describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	default:
		return "something else"
	}
}
