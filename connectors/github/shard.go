package github

import "strings"

// RepoScope is the unit a repository is sharded by ("repo:owner/name").
func RepoScope(repo string) string { return "repo:" + strings.ToLower(repo) }

// Only returns a source that reads only the repositories whose scope keep
// accepts: one shard of this source, for one of several workers. With an
// org, the listing is read and then filtered, so repositories added later
// fall into a shard of their own. The shard has its own client; ok is false
// when the configured repositories leave it nothing to read.
func (s *Source) Only(keep func(scope string) bool) (*Source, bool) {
	if len(s.cfg.Repos) > 0 {
		any := false
		for _, r := range s.cfg.Repos {
			any = any || keep(RepoScope(r))
		}
		if !any {
			return nil, false
		}
	}
	part, err := NewSource(s.name, s.cfg, s.env)
	if err != nil {
		return nil, false // the configuration was valid for s: unreachable
	}
	part.keep = keep
	return part, true
}
