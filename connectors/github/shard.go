package github

import (
	"strconv"
	"strings"
)

// MilestoneScope is the unit a GitHub milestone is sharded by
// ("milestone:owner/name#3"): the milestone itself, so the milestones of
// one large repository spread over every worker instead of loading one.
func MilestoneScope(repo string, number int) string {
	return "milestone:" + strings.ToLower(repo) + "#" + strconv.Itoa(number)
}

// Only returns a source that reads only the milestones whose scope keep
// accepts: one shard of this source, for one of several workers. Every
// shard lists the milestones of every repository (one request per
// repository, conditional on a re-poll) and reads the issues of its own
// milestones only, where nearly all of the requests go. With an org, the
// repository listing is read by every shard too, so repositories added
// later spread like the others. The shard has its own client; ok is
// false only if the configuration cannot build a source (it was valid
// for s, so never).
func (s *Source) Only(keep func(scope string) bool) (*Source, bool) {
	part, err := NewSource(s.name, s.cfg, s.env)
	if err != nil {
		return nil, false
	}
	part.keep = keep
	return part, true
}
