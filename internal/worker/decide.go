package worker

import (
	"fmt"
	"time"

	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/tracker"
)

// OpKind is one step the worker takes (or would take) on a target.
type OpKind string

const (
	OpCreate  OpKind = "create"  // open the ticket (the exactly-once protocol)
	OpUpdate  OpKind = "update"  // write title, body and labels in full
	OpComment OpKind = "comment" // add the draft's comment
	OpReopen  OpKind = "reopen"  // reopen a closed ticket
	OpLeave   OpKind = "leave"   // write nothing to the target
	// OpDiscard writes nothing to the target: the ticket is gone from it,
	// and the ledger records it as discarded.
	OpDiscard OpKind = "discard"
)

// Op is one step of reconciling a firing with its ticket, with its reason.
// Decide returns them in the order they are performed; Leave is always last.
type Op struct {
	Kind   OpKind
	Reason string
	// FollowUp marks a comment that belongs to the update before it
	// (what changed, said where the client's reviewer reads it).
	FollowUp bool
	// Record: once the ops succeed the ledger records the ticket (with
	// Digest as the content it is known to hold). Set on the last op.
	Record bool
	Digest string
}

// Situation is everything Decide looks at for one firing: what the rules
// asked for, what the ledger remembers, what the target holds and what the
// draft now says.
type Situation struct {
	Firing Firing
	Entry  *tracker.LedgerEntry // nil: the ledger knows nothing of it
	Found  *model.TicketRef     // nil: no ticket carries the fingerprint
	Draft  model.Ticket
	Target string // the target's name (a ledger entry of another target is not this one's ticket)
}

// Decide is the reconciliation state machine, pure: given a situation and
// the time, the ops that make the target hold the ticket the firing asks
// for. It never writes; the executor performs the ops one at a time, and a
// plan prints them.
//
//   - nothing found where the ledger knows a ticket (created, complete or
//     already discarded) in this target: discarded, nothing written;
//   - nothing found: create (a comment-only firing leaves: nothing to
//     comment on yet);
//   - closed as won't do: leave, never reopened; closed outside the reopen
//     window: leave; closed inside it: reopen, then what follows;
//   - a create cut short (ledger not complete): update in full once;
//   - comment-only: comment when there is something to say and it may;
//   - unchanged, or changed before the repeat interval: leave;
//   - edited by a person: never overwritten; a material change is a
//     comment (only with a ledger to remember it);
//   - otherwise: update, and comment with what changed.
func Decide(s Situation, now time.Time, reopenWithin time.Duration) []Op {
	f, ref, draft := s.Firing, s.Found, s.Draft
	if ref == nil {
		if op, ok := discarded(s); ok {
			return []Op{op}
		}
		if f.Finding.CommentOnly {
			return []Op{{Kind: OpLeave, Reason: "no ticket to comment on yet"}}
		}
		return []Op{{Kind: OpCreate}}
	}
	var ops []Op
	if !ref.Open {
		switch {
		case ref.WontDo:
			return []Op{{Kind: OpLeave, Reason: "closed as won't do: never reopened"}}
		case ref.ClosedAt.IsZero() || now.Sub(ref.ClosedAt) > reopenWithin:
			return []Op{{Kind: OpLeave, Reason: "closed: the rule fires again, but not within the reopen window"}}
		}
		ops = append(ops, Op{Kind: OpReopen, Reason: fmt.Sprintf("closed %s ago and the rule fires again", now.Sub(ref.ClosedAt).Round(time.Hour))})
	}
	kept := ref.Digest
	if (kept == "" || ref.Edited) && s.Entry != nil && s.Entry.Digest != "" {
		// An edited ticket still carries the digest of forewarn's last
		// write; the ledger knows the last draft it considered, so one
		// change is reported once.
		kept = s.Entry.Digest
	}
	last := func(k OpKind, reason, digest string) []Op {
		return append(ops, Op{Kind: k, Reason: reason, Record: true, Digest: digest})
	}

	// A run created this ticket and did not live to record it in full
	// (killed between the create and the ledger, or it could not complete
	// it): the chart or labels may be missing, so write it once in full.
	if s.Entry != nil && s.Entry.State != tracker.LedgerComplete && !f.Finding.CommentOnly {
		return last(OpUpdate, "completing a create that was interrupted", draft.Digest())
	}

	changed := kept != draft.Digest()
	switch {
	case f.Finding.CommentOnly:
		if draft.Comment == "" || !f.MayUpdate {
			return last(OpLeave, "nothing new to say", kept)
		}
		return last(OpComment, "", kept)
	case !changed:
		return last(OpLeave, "up to date", kept)
	case !f.MayUpdate:
		return last(OpLeave, "changed, but the rule's repeat interval has not passed", kept)
	}
	if ref.Edited {
		// A person has worked on this ticket (the notice asks them to):
		// never overwrite their words. Say what changed in a comment.
		switch {
		case draft.Comment == "":
			return last(OpLeave, "edited by a person: left as it is (the change is not material)", draft.Digest())
		case s.Entry == nil:
			// Without a ledger (state: none, or state lost) nothing would
			// remember the comment, and every run would post it again.
			return last(OpLeave, "edited by a person: left as it is (no state store to remember a comment)", draft.Digest())
		}
		return last(OpComment, "edited by a person: not overwritten; the change is in a comment", draft.Digest())
	}
	reason := "the draft changed"
	if draft.Comment != "" {
		reason = draft.Comment
		ops = append(ops, Op{Kind: OpUpdate, Reason: reason})
		return append(ops, Op{Kind: OpComment, FollowUp: true, Record: true, Digest: draft.Digest()})
	}
	return last(OpUpdate, reason, draft.Digest())
}

// discarded reports whether a ticket that is not found was discarded: the
// ledger knows it existed in this target, or already recorded it as
// discarded. A person deleted it; a new draft would undo their decision,
// so it stays discarded until its ledger record is removed
// (docs/drafts.md). A pending entry is a create that may never have
// happened: that one is created.
func discarded(s Situation) (Op, bool) {
	e := s.Entry
	if e == nil || e.Target != s.Target || s.Firing.Finding.CommentOnly {
		return Op{}, false
	}
	switch e.State {
	case tracker.LedgerCreated, tracker.LedgerComplete:
		return Op{Kind: OpDiscard, Record: true, Reason: fmt.Sprintf("gone from %s: recorded as discarded, not re-created", s.Target)}, true
	case tracker.LedgerDiscarded:
		return Op{Kind: OpDiscard, Reason: fmt.Sprintf("discarded on %s: not re-created", e.Updated.UTC().Format(time.DateOnly))}, true
	}
	return Op{}, false
}

// summary is how a firing's ops read in the report: the first op that is
// not a reopen or a follow-up names the action; a reopen followed only by
// leaving is reported as the reopen, with the reason for leaving.
func summary(ops []Op) (tracker.ActionKind, string) {
	reopened := false
	for _, op := range ops {
		switch op.Kind {
		case OpReopen:
			reopened = true
			continue
		case OpLeave:
			if reopened {
				return tracker.ActionReopen, op.Reason
			}
			return tracker.ActionNone, op.Reason
		}
		if op.FollowUp {
			continue
		}
		return actionKind[op.Kind], op.Reason
	}
	return tracker.ActionNone, ""
}

var actionKind = map[OpKind]tracker.ActionKind{
	OpCreate: tracker.ActionCreate, OpUpdate: tracker.ActionUpdate, OpComment: tracker.ActionComment,
	OpReopen: tracker.ActionReopen, OpLeave: tracker.ActionNone, OpDiscard: tracker.ActionDiscarded,
}
