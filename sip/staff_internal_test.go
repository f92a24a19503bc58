package sip

import (
	"context"
	"testing"
	"time"

	"parley.dev/parley"
)

// TestListLiveHidesEndedCalls: a call whose context is done (hung up by a side, an officer
// or a failure) or that its bridge ended (the time limit) leaves the staff's live list at
// once, while its goroutine still flushes the recording, writes the record and sends the
// BYEs; it can no longer be "ended" either. A call in progress stays listed.
func TestListLiveHidesEndedCalls(t *testing.T) {
	s := &Server{calls: map[*call]struct{}{}}
	add := func(id string) *call {
		ctx, cancel := context.WithCancelCause(context.Background())
		t.Cleanup(func() { cancel(nil) })
		c := &call{srv: s, ctx: ctx, cancel: cancel,
			view: staffView{id: id, facilityID: "cnty", started: time.Unix(int64(len(s.calls)), 0), state: stateConnected}}
		s.calls[c] = struct{}{}
		return c
	}
	hungUp, limited, going := add("c-hung-up"), add("c-limit"), add("c-going")
	ids := func() []string {
		calls, err := s.ListLive(context.Background(), []string{"cnty"})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range calls {
			out = append(out, c.ID)
		}
		return out
	}
	if got := ids(); len(got) != 3 {
		t.Fatalf("live %v, want 3 calls", got)
	}
	hungUp.cancel(&endCause{side: "called", reason: "bye"})
	limited.setView(func(v *staffView) { v.ended = true })
	if got := ids(); len(got) != 1 || got[0] != going.view.id {
		t.Fatalf("live %v after two calls ended, want only c-going", got)
	}
	for _, id := range []string{"c-hung-up", "c-limit"} {
		if err := s.Hangup(context.Background(), id, "test"); !parley.IsKind(err, parley.KindNotFound) {
			t.Fatalf("Hangup of ended %s: %v, want not found", id, err)
		}
	}
	if err := s.Hangup(context.Background(), "c-going", "test"); err != nil {
		t.Fatalf("Hangup of a call in progress: %v", err)
	}
	if got := ids(); len(got) != 0 {
		t.Fatalf("live %v after the officer ended the last call", got)
	}
}
