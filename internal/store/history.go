package store

import (
	"sort"
	"time"

	"github.com/forewarn/forewarn/internal/model"
)

// SnapshotOf condenses a milestone as it stands at now: the burn-down point
// of the day, its dates and the keys of the items in it. Pure.
func SnapshotOf(m model.Milestone, now time.Time) Snapshot {
	day := model.Day(now)
	next := day.AddDate(0, 0, 1)
	s := Snapshot{MilestoneKey: m.Key, Taken: now.UTC(), Title: m.Title, State: m.State,
		Due: utc(m.Due), AgreedDue: utc(m.AgreedDue), Point: model.BurndownPoint{Day: day}}
	for _, it := range m.Items {
		if !it.RemovedAt.IsZero() && !it.RemovedAt.Before(day) && it.RemovedAt.Before(next) && !it.RemovedAt.After(now) {
			s.Point.Removed++
		}
		if !it.InMilestoneAt(now) {
			continue
		}
		s.Items = append(s.Items, it.Key)
		s.Point.Scope++
		s.Point.ScopePoints += it.Points
		if it.DoneAt(now) {
			s.Point.Done++
			s.Point.DonePoints += it.Points
		}
		joined := it.JoinedAt
		if joined.IsZero() {
			joined = it.Created
		}
		if !joined.Before(day) && (m.Start.IsZero() || joined.After(m.Start)) {
			s.Point.Added++
		}
	}
	s.Point.Remaining = s.Point.Scope - s.Point.Done
	s.Point.RemainingPoints = s.Point.ScopePoints - s.Point.DonePoints
	sort.Strings(s.Items)
	return s
}

// ScopeChange is what entered and left a milestone between two snapshots.
type ScopeChange struct {
	From    time.Time `json:"from"` // Taken of the earlier snapshot
	To      time.Time `json:"to"`   // Taken of the later one
	Added   []string  `json:"added,omitempty"`
	Removed []string  `json:"removed,omitempty"`
}

// ScopeChanges compares consecutive snapshots (oldest first, as Snapshots
// returns them) and lists the changes, skipping intervals with none.
func ScopeChanges(snaps []Snapshot) []ScopeChange {
	var out []ScopeChange
	for i := 1; i < len(snaps); i++ {
		prev, cur := set(snaps[i-1].Items), set(snaps[i].Items)
		c := ScopeChange{From: snaps[i-1].Taken, To: snaps[i].Taken}
		for _, k := range snaps[i].Items {
			if !prev[k] {
				c.Added = append(c.Added, k)
			}
		}
		for _, k := range snaps[i-1].Items {
			if !cur[k] {
				c.Removed = append(c.Removed, k)
			}
		}
		if len(c.Added)+len(c.Removed) > 0 {
			sort.Strings(c.Added)
			sort.Strings(c.Removed)
			out = append(out, c)
		}
	}
	return out
}

func set(keys []string) map[string]bool {
	m := make(map[string]bool, len(keys))
	for _, k := range keys {
		m[k] = true
	}
	return m
}

// DateChange is a change of a milestone's promised date seen between two
// snapshots: the tracker's due date moved, or a new date was agreed.
type DateChange struct {
	At    time.Time `json:"at"`    // Taken of the snapshot that first showed it
	Field string    `json:"field"` // "due" or "agreed_due"
	From  time.Time `json:"from,omitzero"`
	To    time.Time `json:"to,omitzero"`
}

// Rebaselines lists every change of Due and AgreedDue across snapshots
// (oldest first).
func Rebaselines(snaps []Snapshot) []DateChange {
	var out []DateChange
	for i := 1; i < len(snaps); i++ {
		p, c := snaps[i-1], snaps[i]
		if !p.Due.Equal(c.Due) {
			out = append(out, DateChange{At: c.Taken, Field: "due", From: p.Due, To: c.Due})
		}
		if !p.AgreedDue.Equal(c.AgreedDue) {
			out = append(out, DateChange{At: c.Taken, Field: "agreed_due", From: p.AgreedDue, To: c.AgreedDue})
		}
	}
	return out
}

// Burndown returns the recorded burn-down points, one a day, oldest first.
// Unlike a burn-down rebuilt from item timestamps, it keeps items that were
// later deleted or moved out and the scope as it was each day.
func Burndown(snaps []Snapshot) []model.BurndownPoint {
	out := make([]model.BurndownPoint, 0, len(snaps))
	for _, s := range snaps {
		p := s.Point
		if p.Day.IsZero() {
			p.Day = s.Day()
		}
		out = append(out, p)
	}
	return out
}
