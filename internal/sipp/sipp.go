// Package sipp runs the sipp SIP traffic generator (Debian package sip-tester) in tests, so
// parley's interop tests drive it with a real third-party SIP stack and real RTP (sipp's
// bundled pcaps: RFC 4733 DTMF on payload type 101, A-law speech in 30 ms packets).
//
// sipp is an external binary: without it a test is skipped, except under CI=true where a
// missing sipp fails the test, so the interop suite can never silently stop running.
package sipp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// DefaultPcapDir is where Debian's sip-tester installs its pcaps.
const DefaultPcapDir = "/usr/share/sip-tester"

// Binary returns the path of sipp. When it is not installed the test is skipped, or fails
// when the environment says CI=true.
func Binary(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("sipp")
	if err == nil {
		return path
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("sipp is not installed (apt-get install sip-tester); CI=true requires it: %v", err)
	}
	t.Skipf("sipp is not installed (apt-get install sip-tester): %v", err)
	return ""
}

// PcapDir returns the directory of sipp's bundled pcaps (SIPP_PCAPS, or Debian's), with
// the same skip-or-fail rule as Binary when they are missing.
func PcapDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("SIPP_PCAPS")
	if dir == "" {
		dir = DefaultPcapDir
	}
	if _, err := os.Stat(filepath.Join(dir, "g711a.pcap")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("sipp's pcaps are missing: %v", err)
		}
		t.Skipf("sipp's pcaps are missing: %v", err)
	}
	return dir
}

// Options describe one sipp run.
type Options struct {
	Scenario string         // path of the XML scenario
	Remote   netip.AddrPort // the peer to call (UAC scenarios); zero for a UAS
	Local    netip.Addr     // SIP and media address (127.0.0.1 when zero)
	Calls    int            // calls to place or answer before exiting (1 when zero)
	// Timeout ends sipp (which then fails) when the scenario has not finished (60 s when
	// zero). It is a guard against a hung peer, not a measurement.
	Timeout time.Duration
	Keys    map[string]string // -key name value, for [name] in the scenario
	// Service is the request URI's user ([service], -s); User and Password the digest
	// credentials [authentication] answers a challenge with (-au, -ap).
	Service, User, Password string
}

// Process is a running sipp.
type Process struct {
	SIPPort   int // sipp's SIP port
	MediaPort int // sipp's RTP port

	cmd    *exec.Cmd
	out    *lockedBuffer
	logDir string
	done   chan struct{}
	err    error
}

// Start runs sipp with the scenario. sipp runs in the pcap directory so scenarios name
// the bundled pcaps by file name. The process is killed when the test ends.
func Start(t testing.TB, o Options) *Process {
	t.Helper()
	bin := Binary(t)
	pcaps := PcapDir(t)
	if !o.Local.IsValid() {
		o.Local = netip.MustParseAddr("127.0.0.1")
	}
	if o.Calls <= 0 {
		o.Calls = 1
	}
	if o.Timeout <= 0 {
		o.Timeout = 60 * time.Second
	}
	scenario, err := filepath.Abs(o.Scenario)
	if err != nil {
		t.Fatal(err)
	}
	sipPort, err := FreeUDPPorts(o.Local, 1)
	if err != nil {
		t.Fatal(err)
	}
	// sipp binds the media port, +1 (RTCP) and +2, +3 (video): keep four free.
	mediaPort, err := FreeUDPPorts(o.Local, 4)
	if err != nil {
		t.Fatal(err)
	}
	p := &Process{SIPPort: sipPort, MediaPort: mediaPort, out: &lockedBuffer{}, logDir: t.TempDir(), done: make(chan struct{})}
	args := []string{"-sf", scenario, "-m", strconv.Itoa(o.Calls),
		"-i", o.Local.String(), "-mi", o.Local.String(),
		"-p", strconv.Itoa(sipPort), "-mp", strconv.Itoa(mediaPort),
		"-timeout", strconv.Itoa(int(o.Timeout/time.Second)) + "s", "-timeout_error",
		"-nostdin", "-trace_err", "-error_file", filepath.Join(p.logDir, "errors.log"),
		"-trace_msg", "-message_file", filepath.Join(p.logDir, "messages.log")}
	for k, v := range o.Keys {
		args = append(args, "-key", k, v)
	}
	for flag, v := range map[string]string{"-s": o.Service, "-au": o.User, "-ap": o.Password} {
		if v != "" {
			args = append(args, flag, v)
		}
	}
	if o.Remote.IsValid() {
		args = append(args, o.Remote.String())
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.Timeout+30*time.Second)
	p.cmd = exec.CommandContext(ctx, bin, args...)
	p.cmd.Dir = pcaps
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		cancel()
		t.Fatalf("sipp: %v", err)
	}
	go func() {
		p.err = p.cmd.Wait()
		cancel()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// Done is closed when sipp has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Wait waits for sipp to exit and returns its exit status (0: every step of the scenario
// passed) and what it wrote, its error log and its message trace, for failure reports.
func (p *Process) Wait() (int, string) {
	<-p.done
	code := 0
	if p.err != nil {
		var ee *exec.ExitError
		if errors.As(p.err, &ee) {
			code = ee.ExitCode()
		} else {
			code = -1
		}
	}
	return code, p.Logs()
}

// Logs returns sipp's output so far with its error log and message trace.
func (p *Process) Logs() string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "sipp %v\n", p.cmd.Args[1:])
	b.WriteString(lastBytes(p.out.String(), 4000))
	for _, f := range []string{"errors.log", "messages.log"} {
		if data, err := os.ReadFile(filepath.Join(p.logDir, f)); err == nil {
			fmt.Fprintf(&b, "\n--- %s\n%s", f, lastBytes(string(data), 12000))
		}
	}
	return b.String()
}

func lastBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// FreeUDPPorts returns the first of n consecutive UDP ports on ip (the first one even)
// that were free when checked.
func FreeUDPPorts(ip netip.Addr, n int) (int, error) {
	for range 200 {
		base := 20000 + 2*rand.IntN(20000)
		ok := true
		var conns []net.PacketConn
		for i := range n {
			c, err := net.ListenPacket("udp", netip.AddrPortFrom(ip, uint16(base+i)).String())
			if err != nil {
				ok = false
				break
			}
			conns = append(conns, c)
		}
		for _, c := range conns {
			_ = c.Close()
		}
		if ok {
			return base, nil
		}
	}
	return 0, errors.New("sipp: no free UDP ports")
}

// lockedBuffer is a bytes.Buffer safe for the process's writers and the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
