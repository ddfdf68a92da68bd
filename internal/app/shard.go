package app

import (
	"context"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"

	"github.com/forewarn/forewarn/connectors/github"
	"github.com/forewarn/forewarn/connectors/jira"
	"github.com/forewarn/forewarn/internal/store"
	"github.com/forewarn/forewarn/internal/tracker"
	"github.com/forewarn/forewarn/rules"
)

// Shard is one worker's part of the work when several workers share one
// state (--shard i/N): the GitHub milestones, Jira fix versions and Jira
// boards whose scope hashes to Index modulo Count. The zero Shard (and
// 0/1) is all of it.
type Shard struct{ Index, Count int }

// ParseShard reads "i/N" with 0 <= i < N.
func ParseShard(s string) (Shard, error) {
	if s == "" {
		return Shard{}, nil
	}
	i, n, ok := strings.Cut(s, "/")
	idx, err1 := strconv.Atoi(strings.TrimSpace(i))
	cnt, err2 := strconv.Atoi(strings.TrimSpace(n))
	if !ok || err1 != nil || err2 != nil || cnt < 1 || idx < 0 || idx >= cnt || cnt > 1024 {
		return Shard{}, fmt.Errorf("--shard %q: want i/N with 0 <= i < N <= 1024, e.g. 0/3", s)
	}
	return Shard{Index: idx, Count: cnt}, nil
}

// sharded reports whether the work is split at all.
func (s Shard) sharded() bool { return s.Count > 1 }

// String is "i/N", or "" when the work is not split.
func (s Shard) String() string {
	if !s.sharded() {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}

// keeps reports whether a scope (a milestone, fix version, board or a
// whole source that cannot be split) belongs to this shard. A hash of the
// scope alone, not its position in a list nor a weight read from the
// tracker: every worker decides the same for a milestone whatever it read
// of the others, and adding a milestone moves no other one.
func (s Shard) keeps(scope string) bool {
	h := fnv.New32a()
	h.Write([]byte(scope))
	return int(h.Sum32()%uint32(s.Count)) == s.Index
}

// part is a source's share of a shard and the unit of work it is locked by.
type part struct {
	src  tracker.Source
	unit string
}

// split cuts every source to this shard: GitHub by milestone, Jira by fix
// version and board, any other source whole (it belongs to the shard its
// name hashes to). Sources with nothing in the shard are left out.
func (s Shard) split(sources []tracker.Source) []part {
	var out []part
	for _, src := range sources {
		unit := src.Name() + "#" + s.String()
		inner := src
		if ps, ok := src.(progressSource); ok {
			inner = ps.Source
		}
		switch v := inner.(type) {
		case *github.Source:
			if p, ok := v.Only(s.keeps); ok {
				out = append(out, part{progressSource{p}, unit})
			}
		case *jira.Source:
			if p, ok := v.Only(s.keeps); ok {
				out = append(out, part{progressSource{p}, unit})
			}
		default:
			if s.keeps("source:" + src.Name()) {
				out = append(out, part{src, unit})
			}
		}
	}
	return out
}

// claiming is a source whose milestones are claimed before they are
// judged: a milestone another live worker holds (shards of another count
// during a change of N, a sharded and an unsharded run at once) is left to
// it. The claim holds until the run releases its lease.
type claiming struct {
	tracker.Source
	lease *store.Lease
}

func (c claiming) Fetch(ctx context.Context) (tracker.FetchResult, error) {
	return c.FetchStream(ctx, nil)
}

// FetchStream hands over what the source it wraps streams, unclaimed: a
// part is a preview, and the result, claimed, is what is judged.
func (c claiming) FetchStream(ctx context.Context, part func(tracker.FetchResult)) (tracker.FetchResult, error) {
	res, err := tracker.FetchParts(ctx, c.Source, part)
	if err != nil {
		return res, err
	}
	kept := res.Milestones[:0]
	for _, m := range res.Milestones {
		ok, err := c.lease.Claim(ctx, m.Key)
		switch {
		case err != nil:
			res.Failed = append(res.Failed, tracker.MilestoneFailure{Key: m.Key, Title: m.Title, Err: fmt.Errorf("claiming it for this worker: %w", err)})
		case !ok:
			res.Notes = append(res.Notes, fmt.Sprintf("%s is being judged by another worker; left to it", m.Key))
		default:
			kept = append(kept, m)
		}
	}
	res.Milestones = kept
	return res, nil
}

func (c claiming) Unwrap() tracker.Source { return c.Source }

// ruleScope is the key of this shard's rule state row: the way the work
// is split and i/N. Rows of another count or another way of splitting
// (shards by repository and project, before they were by milestone) hold
// other milestones, so a shard never takes one of them as its own.
func (s Shard) ruleScope() string { return "by milestone " + s.String() }

// scopedRules keeps the rule state of one shard in its own row, so workers
// judging disjoint shards never overwrite each other's. A shard with no
// row yet (the first sharded run, a new shard count or way of splitting)
// starts from all the rows there are, merged: holds and repeat intervals
// carry over.
type scopedRules struct {
	store.Store
	scope string
}

func (s scopedRules) RuleState(ctx context.Context) ([]byte, error) {
	b, ok, err := s.ScopeRuleState(ctx, s.scope)
	if err != nil || ok {
		return b, err
	}
	all, err := s.RuleStates(ctx)
	if err != nil {
		return nil, err
	}
	return mergeRuleStates(all)
}

func (s scopedRules) SaveRuleState(ctx context.Context, b []byte) error {
	return s.SaveScopeRuleState(ctx, s.scope, b)
}

// mergeRuleStates unions rule states: per milestone and rule the alert
// seen last, per ticket the latest write.
func mergeRuleStates(blobs [][]byte) ([]byte, error) {
	var out rules.State
	for _, b := range blobs {
		st, err := rules.UnmarshalState(b)
		if err != nil {
			return nil, err
		}
		for key, byRule := range st.Alerts {
			for name, a := range byRule {
				if out.Alerts == nil {
					out.Alerts = map[string]map[string]rules.Alert{}
				}
				if out.Alerts[key] == nil {
					out.Alerts[key] = map[string]rules.Alert{}
				}
				if cur, ok := out.Alerts[key][name]; !ok || a.LastSeen.After(cur.LastSeen) {
					out.Alerts[key][name] = a
				}
			}
		}
		for fp, w := range st.Written {
			if out.Written == nil {
				out.Written = map[string]rules.Written{}
			}
			if cur, ok := out.Written[fp]; !ok || w.At.After(cur.At) {
				out.Written[fp] = w
			}
		}
	}
	if out.Alerts == nil && out.Written == nil {
		return nil, nil
	}
	return out.Marshal()
}
