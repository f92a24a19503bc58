package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/sip/siptest"
)

// childEnv, when set, makes TestChildProcess run `parley` with these arguments (a JSON
// array) in this test binary's process, so a test can kill a real parley process with
// SIGKILL. Anywhere else the test does nothing.
const childEnv = "PARLEY_TEST_CHILD_ARGS"

// TestChildProcess is the child side of startChild: it runs Main with the real streams,
// environment and clock, prints "child-ready http ADDR" and "child-ready sip ADDR" when
// serve listens, and exits with Main's status.
func TestChildProcess(t *testing.T) {
	raw := os.Getenv(childEnv)
	if raw == "" {
		return // not a child: nothing to do
	}
	ready, sipReady := make(chan string, 1), make(chan string, 1)
	m := NewMain()
	m.Ready, m.SIPReady = ready, sipReady
	go func() {
		fmt.Printf("child-ready http %s\n", <-ready)
		fmt.Printf("child-ready sip %s\n", <-sipReady)
	}()
	var args []string
	if err := json.Unmarshal([]byte(raw), &args); err != nil {
		t.Fatal(err)
	}
	os.Exit(m.Run(context.Background(), args))
}

// child is a parley process started by startChild.
type child struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr *syncBuffer
	lines  chan string // stdout, line by line
	done   chan struct{}
	code   int // exit status, once done is closed
}

// startChild runs `parley args… --data … --keys …` over c's directories in a new process
// (this test binary, see TestChildProcess) with c's environment.
func startChild(t *testing.T, c *cli, args ...string) *child {
	t.Helper()
	full := append(append([]string{}, args...), "--data", c.data, "--keys", c.keys)
	cmd := exec.Command(os.Args[0], "-test.run=^TestChildProcess$", "-test.count=1")
	raw, err := json.Marshal(full)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Env = append(os.Environ(), childEnv+"="+string(raw))
	for k, v := range c.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	ch := &child{cmd: cmd, stderr: &syncBuffer{}, lines: make(chan string, 100), done: make(chan struct{})}
	cmd.Stderr = ch.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if ch.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			ch.lines <- sc.Text()
		}
		close(ch.lines)
		cmd.Wait()
		ch.code = cmd.ProcessState.ExitCode()
		close(ch.done)
	}()
	t.Cleanup(func() { ch.kill(t) })
	return ch
}

// expect waits for a stdout line starting with prefix and returns the rest of it.
func (ch *child) expect(t *testing.T, prefix string) string {
	t.Helper()
	timeout := time.After(sipGuard)
	for {
		select {
		case l, ok := <-ch.lines:
			if !ok {
				t.Fatalf("the child exited before %q: %s", prefix, ch.stderr.String())
			}
			if rest, found := strings.CutPrefix(l, prefix); found {
				return rest
			}
		case <-timeout:
			t.Fatalf("no %q from the child: %s", prefix, ch.stderr.String())
		}
	}
}

// kill sends SIGKILL (nothing runs after it: no deferred close, no final record) and
// waits for the process to be gone.
func (ch *child) kill(t *testing.T) {
	t.Helper()
	select {
	case <-ch.done:
		return
	default:
	}
	if err := ch.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	sipWaitClosed(t, "the killed process to exit", ch.done)
}

// serving returns the child's serve addresses in the form the SIP helpers take.
func (ch *child) serving(t *testing.T) *serving {
	t.Helper()
	httpAddr := ch.expect(t, "child-ready http ")
	ap, err := netip.ParseAddrPort(ch.expect(t, "child-ready sip "))
	if err != nil {
		t.Fatal(err)
	}
	return &serving{sip: ap, http: "http://" + httpAddr, stderr: ch.stderr, stdout: &syncBuffer{}}
}

// accountCents returns an account's balance, available and held cents (account show).
func accountCents(t *testing.T, c *cli, args ...string) (balance, available, held int64) {
	t.Helper()
	var v struct {
		BalanceCents   int64 `json:"balance_cents"`
		HeldCents      int64 `json:"held_cents"`
		AvailableCents int64 `json:"available_cents"`
	}
	out := c.ok(append([]string{"account", "show", "--json"}, args...)...)
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("account show output %q: %v", out, err)
	}
	return v.BalanceCents, v.AvailableCents, v.HeldCents
}

// TestServeKilledMidCall: a real `parley serve` process is killed with SIGKILL during a
// bridged, recorded call paid from the called party's prepaid account. After a restart
// the call record says dropped/server_restart with nothing charged (a call the system
// dropped is a fault, credited in full, and its bridged time is unknown), the hold is
// released at once — the whole $5.00 is available again, not at the next hourly
// stale-hold run — the recording is closed as truncated and plays back the audio flushed
// before the kill, and the ledger, the vault and the audit log verify.
func TestServeKilledMidCall(t *testing.T) {
	c := newCLI(t)
	c.now = time.Now().UTC() // serve runs on the wall clock: the restart's cutoff is "now"
	c.ok("facility", "add", "--id", "cnty", "--name", "County Jail", "--type", "jail", "--adp", "250")
	c.ok("inmate", "add", "--facility", "cnty", "--id", "A1001", "--name", "Marisol Quintanilla", "--pin", sipPIN)
	c.ok("facility", "rules", "--facility", "cnty", "--hours", "daily 00:00-24:00", "--max-call", "15m")
	c.ok("contact", "allow", "--facility", "cnty", "--inmate", "A1001", "--number", sipDialed)
	c.ok("facility", "gateway", "--facility", "cnty", "--add", "127.0.0.1")
	c.ok("rates", "set", "--facility", "cnty", "--audio", "0.10", "--from", "2026-04-06")
	c.ok("account", "deposit", "--number", sipDialed, "--amount", "5.00", "--key", "receipt-1")
	trunk, err := siptest.NewTrunk(netip.MustParseAddr("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(trunk.Close)

	lo := 40000 + rand.IntN(400)*50
	proc := startChild(t, c, "serve", "--http", "127.0.0.1:0", "--sip", "127.0.0.1:0", "--trunk", trunk.URI(),
		"--rtp-ports", strconv.Itoa(lo)+"-"+strconv.Itoa(lo+48))
	srv := proc.serving(t)
	p := dialIn(t, srv, sipPIN)
	tc := answerTrunk(t, srv, trunk, "1")
	talk(t, p, tc)
	calls := searchFacility(t, c, "cnty")
	if len(calls) != 1 || calls[0].Status != "accepted" {
		t.Fatalf("the bridged call's record: %+v", calls)
	}
	call := calls[0]
	var recID string // the record names its recording when the call ends; the vault knows it now
	if err := openTestDB(t, c).QueryRow(`SELECT id FROM recordings WHERE call_id = ? AND status = 'writing'`, call.ID).Scan(&recID); err != nil {
		t.Fatalf("the call's recording: %v", err)
	}
	partial := filepath.Join(c.data, "vault", parley.BlobKey(recID)+".partial")
	sipWaitFor(t, "a sealed chunk of the recording on disk", func() bool {
		fi, err := os.Stat(partial)
		return err == nil && fi.Size() > 0
	})
	if bal, avail, held := accountCents(t, c, "--number", sipDialed); bal != 500 || held == 0 || avail != bal-held {
		t.Fatalf("during the call: balance %d¢, available %d¢, held %d¢; want a hold on 500¢", bal, avail, held)
	}
	proc.kill(t)
	p.Close()

	if got := searchFacility(t, c, "cnty")[0]; got.Status != "accepted" {
		t.Fatalf("after the kill, before the restart: %+v", got)
	}
	c.now = time.Now().UTC() // the restart's cutoff: after the call's start
	again := startServe(t, c, trunk.URI())
	again.stop(t)

	got := searchFacility(t, c, "cnty")[0]
	if got.Status != "dropped" || got.Reason != "server_restart" || got.ChargeCents != 0 ||
		got.Recording != "stored" || got.RecordingID != recID {
		t.Fatalf("after the restart: %+v, want dropped/server_restart, 0¢, its recording %s stored", got, recID)
	}
	var status string
	if err := openTestDB(t, c).QueryRow(`SELECT status FROM recordings WHERE id = ?`, recID).Scan(&status); err != nil || status != "truncated" {
		t.Fatalf("the recording after the restart: %q, %v; want truncated", status, err)
	}
	if bal, avail, held := accountCents(t, c, "--number", sipDialed); bal != 500 || avail != 500 || held != 0 {
		t.Errorf("after the restart: balance %d¢, available %d¢, held %d¢; want all 500¢ available", bal, avail, held)
	}
	stmt := c.ok("account", "statement", "--number", sipDialed)
	if !strings.Contains(stmt, "ended by a restart") {
		t.Errorf("the statement does not show the release:\n%s", stmt)
	}
	left, right := recordingChannels(t, c, recID)
	if toneFrames(left, sipToneIn) == 0 || toneFrames(right, sipToneOut) == 0 {
		t.Errorf("the truncated recording holds %d/%d frames of the phone's/trunk's tone, want some of each",
			toneFrames(left, sipToneIn), toneFrames(right, sipToneOut))
	}
	if heal := c.ok("vault", "heal"); !strings.HasPrefix(heal, "0 key period(s) healed") {
		t.Fatalf("the vault needed healing: %q", heal)
	}
	c.ok("ledger", "verify")
	c.ok("audit", "verify")
	if n := c.sqlCount("recordings WHERE status = 'writing'"); n != 0 {
		t.Errorf("%d recordings still writing", n)
	}
}
