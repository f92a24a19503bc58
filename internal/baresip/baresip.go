// Package baresip runs Debian's baresip (a SIP user agent with its own SIP stack, libre)
// headless in tests: a generated config directory, audio from a WAV file (aufile), no
// sound device, commands typed on its stdin (the stdio and menu modules), and its
// output to wait on.
//
// baresip is an external binary: without it a test is skipped, except under CI=true where
// a missing baresip fails the test, so the interop test can never silently stop running.
package baresip

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Binary returns the path of baresip, skipping the test when it is not installed (failing
// it under CI=true).
func Binary(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("baresip")
	if err == nil {
		return path
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("baresip is not installed (apt-get install baresip); CI=true requires it: %v", err)
	}
	t.Skipf("baresip is not installed (apt-get install baresip): %v", err)
	return ""
}

// ModulePath is where Debian installs baresip's modules.
const ModulePath = "/usr/lib/baresip/modules"

// Options describe one baresip.
type Options struct {
	Local          netip.AddrPort // where it listens for SIP (a free UDP port)
	Registrar      netip.AddrPort // the SIP server it registers to
	User, Password string         // the account's digest credentials
	Source         string         // WAV file it sends as its microphone (8 kHz mono 16-bit)
}

// UA is a running baresip.
type UA struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *lockedBuffer
	done  chan struct{}
	Dir   string // its config directory
}

// Start writes a config directory and runs baresip in it. It is killed when the test ends.
func Start(t testing.TB, o Options) *UA {
	t.Helper()
	bin := Binary(t)
	dir := t.TempDir()
	config := strings.Join([]string{
		"poll_method epoll",
		"sip_listen " + o.Local.String(),
		"audio_source aufile," + o.Source,
		"audio_player aubridge,parley",
		"audio_alert aubridge,parley",
		"module_path " + ModulePath,
		"module stdio.so",
		"module g711.so",
		"module aufile.so",
		"module aubridge.so",
		"module_tmp account.so",
		"module_app menu.so",
		"rtp_ports 30000-39999",
		"",
	}, "\n")
	account := fmt.Sprintf("<sip:%s@%s>;auth_pass=%s;regint=300;audio_codecs=PCMU\n", o.User, o.Registrar, o.Password)
	for name, body := range map[string]string{"config": config, "accounts": account, "contacts": ""} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	ua := &UA{out: &lockedBuffer{}, done: make(chan struct{}), Dir: dir}
	ua.cmd = exec.CommandContext(ctx, bin, "-f", dir)
	ua.cmd.Dir = dir
	ua.cmd.Stdout, ua.cmd.Stderr = ua.out, ua.out
	stdin, err := ua.cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	ua.stdin = stdin
	if err := ua.cmd.Start(); err != nil {
		cancel()
		t.Fatalf("baresip: %v", err)
	}
	go func() {
		_ = ua.cmd.Wait()
		cancel()
		close(ua.done)
	}()
	t.Cleanup(func() {
		_ = stdin.Close()
		cancel()
		<-ua.done
	})
	return ua
}

// Type writes keys to baresip's stdin, as typed on its console ("/dial sip:…\n", DTMF
// digits during a call).
func (u *UA) Type(keys string) error {
	_, err := io.WriteString(u.stdin, keys)
	return err
}

// Output returns what baresip has printed so far.
func (u *UA) Output() string { return u.out.String() }

// Done is closed when baresip has exited.
func (u *UA) Done() <-chan struct{} { return u.done }

// WaitFor waits until baresip's output satisfies cond, or fails the test after guard (a
// failure guard, not a measurement) or when baresip exits first.
func (u *UA) WaitFor(t testing.TB, what string, guard time.Duration, cond func(out string) bool) {
	t.Helper()
	deadline := time.After(guard)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond(u.Output()) {
		select {
		case <-u.done:
			t.Fatalf("baresip exited before %s:\n%s", what, u.Output())
		case <-deadline:
			t.Fatalf("baresip: no %s:\n%s", what, u.Output())
		case <-tick.C:
		}
	}
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
