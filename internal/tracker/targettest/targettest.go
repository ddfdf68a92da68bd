// Package targettest is the contract every tracker.Target keeps, as one
// test suite that the outbox, the GitHub target and the Jira target all
// run against their in-process fakes (as internal/store's contract tests
// run against every driver): a ticket is found right after it is created,
// a create whose answer was lost makes no second ticket, a person's edit
// is seen, and a closed ticket is reopened while a won't-do one is known
// as such.
package targettest

import (
	"context"
	"strings"
	"testing"

	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/tracker"
)

// Harness is one target over a fresh, empty tracker, with the hooks the
// suite needs to play the tracker's side.
type Harness struct {
	Target tracker.Target
	// Ticket is a ticket the target can create (its fingerprint's marker
	// in the body, in the target's format).
	Ticket model.Ticket
	// Creates is how many create requests the target has sent.
	Creates func() int
	// Tickets is how many tickets the tracker holds.
	Tickets func() int
	// LoseNextCreate makes the tracker act on the next create but lose its
	// answer (the connection drops after the ticket exists).
	LoseNextCreate func()
	// Edit changes the ticket's body as a person would: add is a sentence
	// written into it.
	Edit func(ref model.TicketRef, add string)
	// Close closes the ticket as done; CloseWontDo as won't do (won't fix,
	// not planned).
	Close, CloseWontDo func(ref model.TicketRef)
}

// Run runs the contract; newHarness gives each case its own tracker.
func Run(t *testing.T, newHarness func(t *testing.T) Harness) {
	for _, c := range []struct {
		name string
		fn   func(t *testing.T, h Harness)
	}{
		{"found right after create, created once over two runs", findAfterCreate},
		{"a lost create answer makes no second ticket", lostCreateAnswer},
		{"a person's edit is seen, and forewarn's rewrite clears it", editedTicket},
		{"a closed ticket is reopened; a won't-do one is known", reopen},
	} {
		t.Run(c.name, func(t *testing.T) { c.fn(t, newHarness(t)) })
	}
}

// Ensure is the worker's exactly-once protocol for one ticket: find, else
// create; after a failed create, find again and never create blindly. It
// says how it got the ticket: found, created, or found after a failed create.
func Ensure(ctx context.Context, tg tracker.Target, tk model.Ticket) (model.TicketRef, string, error) {
	ref, err := tg.Find(ctx, tk.Fingerprint)
	if err != nil {
		return model.TicketRef{}, "", err
	}
	if ref != nil {
		return *ref, "found", nil
	}
	created, cerr := tg.Create(ctx, tk)
	if cerr != nil {
		found, ferr := tg.Find(ctx, tk.Fingerprint)
		if ferr != nil || found == nil {
			return model.TicketRef{}, "", cerr
		}
		return *found, "found after a failed create", nil
	}
	return created, "created", nil
}

func find(t *testing.T, h Harness) model.TicketRef {
	t.Helper()
	ref, err := h.Target.Find(context.Background(), h.Ticket.Fingerprint)
	if err != nil || ref == nil {
		t.Fatalf("Find = %v, %v; want the ticket", ref, err)
	}
	return *ref
}

func findAfterCreate(t *testing.T, h Harness) {
	ctx := context.Background()
	if ref, err := h.Target.Find(ctx, h.Ticket.Fingerprint); err != nil || ref != nil {
		t.Fatalf("Find before any create = %+v, %v; want nothing", ref, err)
	}
	ref, how, err := Ensure(ctx, h.Target, h.Ticket)
	if err != nil || how != "created" {
		t.Fatalf("first run: %s, %v", how, err)
	}
	if ref.ID == "" || !ref.Open {
		t.Fatalf("created ref %+v: want an id, open", ref)
	}
	got := find(t, h)
	if got.ID != ref.ID || !got.Open || got.Edited || got.WontDo {
		t.Fatalf("Find right after create = %+v; want %s open, not edited", got, ref.ID)
	}
	again, how, err := Ensure(ctx, h.Target, h.Ticket)
	if err != nil || how != "found" || again.ID != ref.ID {
		t.Fatalf("second run: %s %+v, %v; want found %s", how, again, err, ref.ID)
	}
	if n, c := h.Tickets(), h.Creates(); n != 1 || c != 1 {
		t.Fatalf("%d tickets after %d creates; want exactly 1 of each", n, c)
	}
}

func lostCreateAnswer(t *testing.T, h Harness) {
	ctx := context.Background()
	h.LoseNextCreate()
	if _, err := h.Target.Create(ctx, h.Ticket); err == nil {
		t.Fatal("Create reported success though its answer was lost")
	}
	ref, how, err := Ensure(ctx, h.Target, h.Ticket)
	if err != nil || how != "found" {
		t.Fatalf("the next run: %s %+v, %v; want the ticket found", how, ref, err)
	}
	if n, c := h.Tickets(), h.Creates(); n != 1 || c != 1 {
		t.Fatalf("%d tickets after %d creates; want 1 ticket from 1 create, never retried blindly", n, c)
	}
}

func editedTicket(t *testing.T, h Harness) {
	ctx := context.Background()
	ref, err := h.Target.Create(ctx, h.Ticket)
	if err != nil {
		t.Fatal(err)
	}
	if find(t, h).Edited {
		t.Fatal("a ticket as forewarn wrote it counts as edited")
	}
	h.Edit(ref, "The cause: a late sign-off from the client.")
	edited := find(t, h)
	if !edited.Edited {
		t.Fatal("a sentence a person added is not seen")
	}
	next := h.Ticket
	next.Title += " (new date)"
	next.Body = strings.Replace(next.Body, "\n", "\nThe date moved again.\n", 1)
	if err := h.Target.Update(ctx, edited, next); err != nil {
		t.Fatal(err)
	}
	if find(t, h).Edited {
		t.Fatal("still edited after forewarn rewrote the ticket")
	}
}

func reopen(t *testing.T, h Harness) {
	ctx := context.Background()
	ref, err := h.Target.Create(ctx, h.Ticket)
	if err != nil {
		t.Fatal(err)
	}
	h.Close(ref)
	closed := find(t, h)
	if closed.Open || closed.WontDo || closed.ClosedAt.IsZero() || closed.ID != ref.ID {
		t.Fatalf("closed as done: %+v; want closed with its time, not won't do", closed)
	}
	if err := h.Target.Reopen(ctx, closed); err != nil {
		t.Fatal(err)
	}
	if got := find(t, h); !got.Open || got.ID != ref.ID {
		t.Fatalf("after Reopen: %+v; want open", got)
	}
	h.CloseWontDo(ref)
	if got := find(t, h); got.Open || !got.WontDo {
		t.Fatalf("closed as won't do: %+v; want WontDo (never reopened by the worker)", got)
	}
	if n := h.Tickets(); n != 1 {
		t.Fatalf("%d tickets; want 1", n)
	}
}
