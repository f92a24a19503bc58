package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"parley.dev/parley"
)

// retentionGuard bounds every wait of the serve retention test.
const retentionGuard = 30 * time.Second

// TestServeRunsRetention: `parley serve` expires recordings in the background. The run at
// start-up finds nothing expired; once the clock passes the facility's retention, a later
// run of the loop (--retention-every) destroys the expired recording and audits it, while
// a recording on legal hold survives; serve then stops cleanly.
func TestServeRunsRetention(t *testing.T) {
	c := newCLI(t)
	s := seed(t, c)
	held, expired := s.recording["+14155552671"], s.recording["+12125550199"]
	if held == "" || expired == "" {
		t.Fatalf("seed stored no recordings: %v", s.recording)
	}
	c.ok("facility", "retention", "--id", "cnty", "--days", "2") // the seeded calls are a day and a bit old
	c.ok("recordings", "hold", held, "--reason", "court order 2026-CV-77")

	// serve's clock, moved by the test while serve runs.
	var clock atomic.Int64
	clock.Store(c.now.UnixNano())
	srv := startServeWith(t, c, func() time.Time { return time.Unix(0, clock.Load()).UTC() }, false,
		"--http", "127.0.0.1:0", "--retention-every", "1s")

	first := waitAudit(t, c, "the retention run at start-up", func(evs []parley.AuditEvent) bool {
		return retentionEnded(evs, 0) > 0
	})
	if destroyedIn(first, expired) || destroyedIn(first, held) {
		t.Fatal("the run at start-up destroyed a recording that had not expired")
	}

	clock.Store(c.now.Add(2 * 24 * time.Hour).UnixNano()) // past the 2-day retention
	evs := waitAudit(t, c, "the expired recording's destruction", func(evs []parley.AuditEvent) bool {
		return destroyedIn(evs, expired) && retentionEnded(evs, 1) > 0
	})
	if destroyedIn(evs, held) {
		t.Fatal("serve's retention destroyed a recording on legal hold")
	}
	for _, e := range evs {
		if e.Action == "recording.destroy" && e.Object == "recording:"+expired && (e.Detail != "retention" || e.Actor != "system:retention") {
			t.Errorf("destruction audited as %+v, want the retention job and its reason", e)
		}
	}
	srv.stop(t)
	if !strings.Contains(srv.stderr.String(), "retention run done") {
		t.Errorf("serve did not log its retention runs: %s", srv.stderr.String())
	}

	// The records agree: one destroyed, the held one stored and playable.
	for number, want := range map[string]string{"+12125550199": "destroyed", "+14155552671": "stored"} {
		if got := searchNumber(t, c, number)[0].Recording; got != want {
			t.Errorf("after serve's retention a call's recording is %q, want %q", got, want)
		}
	}
	out := filepath.Join(t.TempDir(), "held.wav")
	c.ok("recordings", "get", held, "--out", out, "--purpose", "hold review")
	if got, err := os.ReadFile(out); err != nil || !bytes.Equal(got, s.wavs["+14155552671"]) {
		t.Fatalf("the held recording no longer plays back as imported (%v)", err)
	}
	c.fail(1, "destroyed", "recordings", "get", expired, "--out", out+"x", "--purpose", "p")
	c.ok("audit", "verify")
}

// waitAudit reads the audit log (`audit list`, which writes nothing) until cond holds and
// returns the events, or fails after retentionGuard.
func waitAudit(t *testing.T, c *cli, what string, cond func([]parley.AuditEvent) bool) []parley.AuditEvent {
	t.Helper()
	deadline := time.Now().Add(retentionGuard)
	for {
		var evs []parley.AuditEvent
		if err := json.Unmarshal([]byte(c.ok("audit", "list", "--json", "--limit", "10000")), &evs); err != nil {
			t.Fatal(err)
		}
		if cond(evs) {
			return evs
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s (%d audit events)", what, len(evs))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// destroyedIn reports whether the events hold the destruction of recording id.
func destroyedIn(evs []parley.AuditEvent, id string) bool {
	for _, e := range evs {
		if e.Action == "recording.destroy" && e.Object == "recording:"+id && e.Outcome == parley.OutcomeOK {
			return true
		}
	}
	return false
}

// retentionEnded counts the retention runs that ended having destroyed n recordings.
func retentionEnded(evs []parley.AuditEvent, n int) int {
	count := 0
	for _, e := range evs {
		if e.Action == "retention.run" && e.Actor == "system:retention" && e.Outcome == parley.OutcomeOK &&
			e.Detail == "end destroyed="+strconv.Itoa(n) {
			count++
		}
	}
	return count
}
