package action

import (
	"os"
	"sort"

	"github.com/forewarn/forewarn/internal/yamlx"
	"go.yaml.in/yaml/v3"
)

// TokenEnvNames returns the environment variables the configuration reads
// GitHub tokens from: token_env of every github source and of a github
// target (GITHUB_TOKEN when unset), and always GITHUB_TOKEN itself. The
// Action makes its token input visible under these names. A config that
// cannot be read gives just GITHUB_TOKEN; loading it reports the problem.
func TokenEnvNames(configPath string) []string {
	names := map[string]bool{"GITHUB_TOKEN": true}
	data, err := os.ReadFile(configPath)
	if err != nil {
		return []string{"GITHUB_TOKEN"}
	}
	var root yaml.Node
	if yaml.Unmarshal(data, &root) != nil || len(root.Content) == 0 {
		return []string{"GITHUB_TOKEN"}
	}
	doc := root.Content[0]
	github := func(section *yaml.Node) {
		gh := yamlx.Child(section, "github")
		if gh == nil || gh.Kind != yaml.MappingNode {
			return
		}
		if te := yamlx.Child(gh, "token_env"); te != nil && te.Kind == yaml.ScalarNode && te.Value != "" {
			names[te.Value] = true
		}
	}
	if srcs := yamlx.Child(doc, "sources"); srcs != nil && srcs.Kind == yaml.SequenceNode {
		for _, s := range srcs.Content {
			github(s)
		}
	}
	if t := yamlx.Child(doc, "target"); t != nil {
		github(t)
	}
	return sortedKeys(names)
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
