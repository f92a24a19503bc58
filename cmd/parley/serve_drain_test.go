package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"parley.dev/parley/sip/siptest"
)

// TestMain lets the tests run the test binary as the parley command itself, a real
// process that gets real signals (see startServeProcess).
func TestMain(m *testing.M) {
	if os.Getenv("PARLEY_TEST_AS_COMMAND") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// serveProcess is `parley serve` in a process of its own, logging JSON.
type serveProcess struct {
	*serving
	cmd  *exec.Cmd
	mu   sync.Mutex
	logs []map[string]any
	exit chan error
}

// startServeProcess runs serve over c's data and keys in a new process with SIP toward
// trunk and waits until SIP listens.
func startServeProcess(t *testing.T, c *cli, trunk string, flags ...string) *serveProcess {
	t.Helper()
	lo := 40000 + rand.IntN(400)*50
	args := append([]string{"serve", "--data", c.data, "--keys", c.keys, "--http", "127.0.0.1:0",
		"--sip", "127.0.0.1:0", "--trunk", trunk, "--rtp-ports", strconv.Itoa(lo) + "-" + strconv.Itoa(lo+48),
		"--log-format", "json"}, flags...)
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = []string{"PARLEY_TEST_AS_COMMAND=1", "USER=tester", "PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sp := &serveProcess{serving: &serving{stderr: &syncBuffer{}, stdout: &syncBuffer{}}, cmd: cmd, exit: make(chan error, 1)}
	sipAddr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			sp.stderr.Write([]byte(line + "\n"))
			var rec map[string]any
			if json.Unmarshal([]byte(line), &rec) != nil {
				continue
			}
			sp.mu.Lock()
			sp.logs = append(sp.logs, rec)
			sp.mu.Unlock()
			if rec["msg"] == "parley serving SIP" {
				sipAddr <- rec["udp"].(string)
			}
		}
		sp.exit <- cmd.Wait()
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
		}
	})
	select {
	case a := <-sipAddr:
		sp.sip = netip.MustParseAddrPort(a)
	case err := <-sp.exit:
		t.Fatalf("serve exited: %v\n%s", err, sp.stderr.String())
	case <-time.After(sipGuard):
		t.Fatalf("serve did not start:\n%s", sp.stderr.String())
	}
	return sp
}

// logged reports whether serve logged a record with the message.
func (sp *serveProcess) logged(msg string) bool {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	for _, r := range sp.logs {
		if r["msg"] == msg {
			return true
		}
	}
	return false
}

// waitExit waits for the process to end and checks its status is 0.
func (sp *serveProcess) waitExit(t *testing.T) {
	t.Helper()
	select {
	case err := <-sp.exit:
		var ee *exec.ExitError
		if errors.As(err, &ee) || err != nil {
			t.Fatalf("serve exited with %v:\n%s", err, sp.stderr.String())
		}
	case <-time.After(sipGuard):
		t.Fatalf("serve did not exit:\n%s", sp.stderr.String())
	}
}

// drainSetup makes a facility whose inmate may call sipDialed and a phone that registers.
func drainSetup(t *testing.T) (*cli, *siptest.Trunk) {
	c := newCLI(t)
	c.ok("facility", "add", "--id", "cnty", "--name", "County Jail", "--type", "jail", "--adp", "250", "--gateway", "127.0.0.1")
	c.ok("inmate", "add", "--facility", "cnty", "--id", "A1001", "--name", "Marisol Quintanilla", "--pin", sipPIN)
	c.ok("facility", "rules", "--facility", "cnty", "--hours", "daily 00:00-24:00", "--max-call", "15m")
	c.ok("contact", "allow", "--facility", "cnty", "--inmate", "A1001", "--number", sipDialed)
	c.ok("phone", "add", "--facility", "cnty", "--user", phoneUser, "--password", phonePassword)
	trunk, err := siptest.NewTrunk(netip.MustParseAddr("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(trunk.Close)
	return c, trunk
}

// TestServeDrain: SIGTERM to a real serve process with a call in progress: a new INVITE is
// refused with 503, registrations still work, the call goes on (each side still hears the
// other's tone) until it hangs up, and then the process exits 0.
func TestServeDrain(t *testing.T) {
	c, trunk := drainSetup(t)
	srv := startServeProcess(t, c, trunk.URI(), "--drain", "2m")
	ctx, cancel := context.WithTimeout(context.Background(), sipGuard)
	defer cancel()
	p := dialIn(t, srv.serving, sipPIN)
	tc := answerTrunk(t, srv.serving, trunk, "1")
	talk(t, p, tc)

	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	sipWaitFor(t, "serve to drain", func() bool { return srv.logged("draining: new calls refused") })
	late, err := siptest.NewPhone(netip.MustParseAddr("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(late.Close)
	if code, err := late.Call(ctx, srv.sip, "pod-2", nil); code != 503 {
		t.Fatalf("a new call while draining: %d %v, want 503", code, err)
	}
	if res, err := late.Register(ctx, srv.sip, phoneUser, phonePassword, 300); err != nil || res.StatusCode != 200 {
		t.Fatalf("REGISTER while draining: %v %v", res, err)
	}
	// The call in progress is still bridged: both sides hear more of each other.
	in, out := siptest.ToneFrames(tc.Media.Received(), sipToneIn), siptest.ToneFrames(p.Media.Received(), sipToneOut)
	sipWaitFor(t, "more audio both ways while draining", func() bool {
		return siptest.ToneFrames(tc.Media.Received(), sipToneIn) >= in+sipHeardMany &&
			siptest.ToneFrames(p.Media.Received(), sipToneOut) >= out+sipHeardMany
	})
	if err := p.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	sipWaitClosed(t, "the trunk leg to end", tc.Ended())
	srv.waitExit(t)
	calls := searchFacility(t, c, "cnty")
	if len(calls) != 1 || calls[0].Status != "completed" || calls[0].Reason != "inmate_hangup" {
		t.Fatalf("call records %+v", calls)
	}
	if strings.Contains(srv.stderr.String(), "drain time over") {
		t.Error("the drain ran out although the call ended first")
	}
}

// TestServeDrainTimeEndsCalls: a call still up when --drain runs out is ended by serve,
// its record says shutdown, and the process exits 0.
func TestServeDrainTimeEndsCalls(t *testing.T) {
	c, trunk := drainSetup(t)
	srv := startServeProcess(t, c, trunk.URI(), "--drain", "1s")
	p := dialIn(t, srv.serving, sipPIN)
	tc := answerTrunk(t, srv.serving, trunk, "1")
	talk(t, p, tc)
	if err := srv.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	sipWaitClosed(t, "serve to hang up the inmate", p.Ended())
	sipWaitClosed(t, "serve to hang up the called party", tc.Ended())
	srv.waitExit(t)
	if !srv.logged("drain time over: ending the calls left") {
		t.Errorf("no word of the drain's end:\n%s", srv.stderr.String())
	}
	calls := searchFacility(t, c, "cnty")
	if len(calls) != 1 || calls[0].Status != "dropped" || calls[0].Reason != "shutdown" {
		t.Fatalf("call records %+v", calls)
	}
}
