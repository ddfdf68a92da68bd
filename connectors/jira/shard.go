package jira

import (
	"slices"
	"strconv"
)

// VersionScope is the unit a fix version is sharded by: the version
// itself, so the versions of one large project spread over every worker.
func VersionScope(project, id string) string { return "version:" + project + "/" + id }

// BoardScope is the unit of one board's sprints.
func BoardScope(id int) string { return "board:" + strconv.Itoa(id) }

// Only returns a source that reads only the fix versions and boards whose
// scope keep accepts: one shard of this source, for one of several
// workers. Every shard lists the versions of every project (one request a
// project) and searches the issues of its own versions only; a board's
// sprints go whole to one shard (a board is listed in one request, and
// every shard listing every board would cost more than it balances). It
// has its own client; ok is false when nothing is left.
func (s *Source) Only(keep func(scope string) bool) (*Source, bool) {
	c := s.cfg
	c.Boards = slices.DeleteFunc(slices.Clone(c.Boards), func(b int) bool { return !keep(BoardScope(b)) })
	versions := len(c.Projects) > 0 && (c.FixVersions == nil || *c.FixVersions)
	sprints := len(c.Boards) > 0 && (c.Sprints == nil || *c.Sprints)
	if !versions && !sprints {
		return nil, false
	}
	return &Source{name: s.name, cfg: c, env: s.env, c: newConn(s.c.what, c.ConnConfig, s.env), keep: keep}, true
}
