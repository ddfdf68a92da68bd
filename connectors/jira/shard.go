package jira

import (
	"slices"
	"strconv"
)

// ProjectScope and BoardScope are the units a Jira source is sharded by.
func ProjectScope(key string) string { return "project:" + key }

// BoardScope is the unit of one board's sprints.
func BoardScope(id int) string { return "board:" + strconv.Itoa(id) }

// Only returns a source that reads only the projects and boards whose
// scope keep accepts: one shard of this source, for one of several
// workers. It has its own client; ok is false when nothing is left.
func (s *Source) Only(keep func(scope string) bool) (*Source, bool) {
	c := s.cfg
	c.Projects = slices.DeleteFunc(slices.Clone(c.Projects), func(p string) bool { return !keep(ProjectScope(p)) })
	c.Boards = slices.DeleteFunc(slices.Clone(c.Boards), func(b int) bool { return !keep(BoardScope(b)) })
	if len(c.Projects) == 0 && len(c.Boards) == 0 {
		return nil, false
	}
	return &Source{name: s.name, cfg: c, env: s.env, c: newConn(s.c.what, c.ConnConfig, s.env)}, true
}
