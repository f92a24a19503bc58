// Command parley-sipload is the SIP load benchmark (BENCHMARKS.md): it drives N concurrent
// recorded calls on loopback through a real `parley serve --sip` (SQLite, the vault, the
// call policy), with Go peers on both sides sending 20 ms PCMU, and reports the calls
// sustained, RTP loss per direction, call setup time (INVITE to bridged) and parley's CPU
// time per relayed packet next to a bare UDP relay carrying the same load in the same run.
//
//	go run ./cmd/parley-sipload                       # 20 calls, 10 s: CI's smoke run
//	go run ./cmd/parley-sipload -calls 1000 -window 20s -rate 25 -profile /tmp/sip.pprof
//
// The phones call from 127.0.0.1, a trusted gateway, key PIN and number as RFC 4733 and
// the trunk presses 1 (RFC 4733). Loss and CPU are counted over a window in which every
// call is bridged: each audio payload carries the phase it was sent in, so packets in
// flight at the window's edges count once. CPU is user+system time of the parley (or
// relay) process over the window; the load generator runs in its own process.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/netip"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"parley.dev/parley/sip/siptest"
)

func main() {
	if len(os.Args) > 2 && os.Args[1] == "-relay-child" {
		n, _ := strconv.Atoi(os.Args[2])
		if err := runRelay(n, os.Stdout, os.Stdin); err != nil {
			fmt.Fprintln(os.Stderr, "relay:", err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := Run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "parley-sipload:", err)
		os.Exit(1)
	}
}

// options are the command's flags.
type options struct {
	calls    int
	window   time.Duration
	rate     float64
	parley   string
	dir      string
	rtpPorts string
	profile  string
	guard    time.Duration
}

const (
	loadNumber = "12015550123"
)

// Run runs the benchmark with the command-line args and writes the report to out.
func Run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("parley-sipload", flag.ContinueOnError)
	var o options
	fs.IntVar(&o.calls, "calls", 20, "concurrent calls")
	fs.DurationVar(&o.window, "window", 10*time.Second, "measurement window, every call bridged")
	fs.Float64Var(&o.rate, "rate", 20, "calls started per second while ramping up")
	fs.StringVar(&o.parley, "parley", "", "the parley binary (default: go build ./cmd/parley)")
	fs.StringVar(&o.dir, "dir", "", "data directory (default: a temporary one, removed)")
	fs.StringVar(&o.rtpPorts, "rtp-ports", "30000-39999", "parley's RTP port range")
	fs.StringVar(&o.profile, "profile", "", "write parley's CPU profile (the whole serve run) to FILE")
	fs.DurationVar(&o.guard, "guard", 120*time.Second, "give up on a call not bridged after this long")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.calls < 1 || o.window < time.Second || o.rate <= 0 {
		return errors.New("need -calls ≥ 1, -window ≥ 1s, -rate > 0")
	}
	if o.dir == "" {
		d, err := os.MkdirTemp("", "parley-sipload-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		o.dir = d
	}
	if o.parley == "" {
		o.parley = filepath.Join(o.dir, "parley")
		build := exec.CommandContext(ctx, "go", "build", "-o", o.parley, "parley.dev/parley/cmd/parley")
		build.Stderr = os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("building parley: %w", err)
		}
	}
	fmt.Fprintf(out, "parley-sipload: %d calls, window %s, ramp %.0f calls/s, %s\n", o.calls, o.window, o.rate, time.Now().UTC().Format(time.RFC3339))

	relay, err := runRelayLoad(ctx, o)
	if err != nil {
		return fmt.Errorf("bare relay: %w", err)
	}
	p, err := runParleyLoad(ctx, o, out)
	if err != nil {
		return fmt.Errorf("parley: %w", err)
	}
	report(out, o, p, relay)
	if p.sustained < o.calls {
		return fmt.Errorf("only %d of %d calls sustained", p.sustained, o.calls)
	}
	return nil
}

// result is one side of the comparison.
type result struct {
	sustained  int // calls bridged at the window's start and still up at its end
	failed     int // calls that never bridged
	setups     []time.Duration
	sent, recv [2]uint64 // per direction, packets sent and received in the window
	cpu        float64   // seconds of CPU of the relaying process over the window
	window     time.Duration
	ends       map[string]int // parley's call endings by status and reason
}

func (r result) relayed() uint64 { return r.recv[0] + r.recv[1] }

func (r result) loss(dir int) float64 {
	if r.sent[dir] == 0 {
		return 0
	}
	return 1 - float64(r.recv[dir])/float64(r.sent[dir])
}

func (r result) cpuPerPacket() time.Duration {
	if r.relayed() == 0 {
		return 0
	}
	return time.Duration(r.cpu / float64(r.relayed()) * float64(time.Second))
}

// measure runs the window: stamps packets with phaseWindow for its length, reads the
// process's CPU at both ends, then lets in-flight packets land.
func measure(ctx context.Context, m *meter, pid int, window time.Duration) (result, error) {
	// The totals are summed later over the calls that stayed up (see total).
	var r result
	cpu0, err := processCPU(pid)
	if err != nil {
		return r, err
	}
	start := time.Now()
	m.phase.Store(phaseWindow)
	select {
	case <-time.After(window):
	case <-ctx.Done():
		return r, ctx.Err()
	}
	m.phase.Store(phaseAfter)
	r.window = time.Since(start)
	cpu1, err := processCPU(pid)
	if err != nil {
		return r, err
	}
	r.cpu = cpu1 - cpu0
	time.Sleep(500 * time.Millisecond) // packets of the window still in flight
	return r, nil
}

// total sums the window's packets of the calls, per direction, into r.
func (r *result) total(m *meter, calls []uint32) {
	for d := range 2 {
		r.sent[d], r.recv[d] = 0, 0
		for _, c := range calls {
			r.sent[d] += m.sent[d][phaseWindow][c].Load()
			r.recv[d] += m.recv[d][phaseWindow][c].Load()
		}
	}
}

// runRelayLoad runs the bare relay in a child process with the same streams as the
// parley run: one phone and one trunk stream per call, 20 ms PCMU both ways.
func runRelayLoad(ctx context.Context, o options) (result, error) {
	self, err := os.Executable()
	if err != nil {
		return result{}, err
	}
	cmd := exec.CommandContext(ctx, self, "-relay-child", strconv.Itoa(o.calls))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return result{}, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return result{}, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return result{}, err
	}
	defer func() {
		stdin.Close()
		_ = cmd.Wait()
	}()
	pairs, err := readRelayPorts(bufio.NewReader(stdout))
	if err != nil {
		return result{}, err
	}
	m := newMeter(o.calls)
	p := newPacer(m)
	defer p.close()
	var streams []*stream
	defer func() {
		for _, s := range streams {
			s.close()
		}
	}()
	lo := netip.MustParseAddr("127.0.0.1")
	for i, pair := range pairs {
		a, err := newStream(sidePhone, uint32(i+1), m)
		if err != nil {
			return result{}, err
		}
		b, err := newStream(sideTrunk, uint32(i+1), m)
		if err != nil {
			a.close()
			return result{}, err
		}
		streams = append(streams, a, b)
		a.start(netip.AddrPortFrom(lo, uint16(pair[0])))
		b.start(netip.AddrPortFrom(lo, uint16(pair[1])))
		p.add(a)
		p.add(b)
	}
	// Both sides latch within a packet or two; wait until every stream hears the other.
	deadline := time.Now().Add(o.guard)
	for _, s := range streams {
		select {
		case <-s.bridged:
		case <-time.After(time.Until(deadline)):
			return result{}, errors.New("relay streams did not connect")
		}
	}
	r, err := measure(ctx, m, cmd.Process.Pid, o.window)
	all := make([]uint32, o.calls)
	for i := range all {
		all[i] = uint32(i + 1)
	}
	r.total(m, all)
	r.sustained = o.calls
	return r, err
}

// loadPIN is the PIN of the inmate placing call i: unique in the facility.
func loadPIN(i int) string { return fmt.Sprintf("7%07d", i+1) }

// runParleyLoad sets up parley through its CLI, serves SIP, ramps the calls up, measures,
// hangs up and stops parley.
func runParleyLoad(ctx context.Context, o options, out io.Writer) (result, error) {
	var r result
	data, keys := filepath.Join(o.dir, "data"), filepath.Join(o.dir, "keys")
	cli := func(args ...string) error {
		cmd := exec.CommandContext(ctx, o.parley, append(args, "--data", data, "--keys", keys)...)
		cmd.Env = append(os.Environ(), "PARLEY_LOG_LEVEL=warn")
		if b, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("parley %s: %v: %s", strings.Join(args, " "), err, b)
		}
		return nil
	}
	// One inmate per call: an inmate is on one call at a time (the policy refuses a second
	// as inmate_busy). Open dialing spares an allowed-number list per inmate.
	setup := [][]string{
		{"facility", "add", "--id", "load", "--name", "Load Test Jail", "--type", "jail", "--adp", "5000"},
		{"facility", "rules", "--facility", "load", "--hours", "daily 00:00-24:00", "--max-call", "2h", "--open-dialing"},
		{"facility", "gateway", "--facility", "load", "--add", "127.0.0.1"},
	}
	for i := range o.calls {
		setup = append(setup, []string{"inmate", "add", "--facility", "load", "--id", fmt.Sprintf("L%d", i+1),
			"--name", fmt.Sprintf("Load Tester %d", i+1), "--pin", loadPIN(i)})
	}
	setupStart := time.Now()
	for _, args := range setup {
		if err := cli(args...); err != nil {
			return r, err
		}
	}
	fmt.Fprintf(out, "setup: %d inmates in %s\n", o.calls, time.Since(setupStart).Round(time.Millisecond))
	m := newMeter(o.calls)
	pc := newPacer(m)
	defer pc.close()
	tr, err := newTrunk(m, pc)
	if err != nil {
		return r, err
	}
	defer tr.close()

	sipPort, err := freeUDPPort()
	if err != nil {
		return r, err
	}
	sipAddr := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(sipPort))
	args := []string{"serve", "--data", data, "--keys", keys, "--http", "127.0.0.1:0",
		"--sip", sipAddr.String(), "--trunk", tr.uri(), "--rtp-ports", o.rtpPorts,
		"--lang", "en", // one language: the load peers key the PIN at once
		"--drain", "0s"} // the run is over when serve is stopped: no call waits
	if o.profile != "" {
		args = append(args, "--cpuprofile", o.profile)
	}
	serve := exec.Command(o.parley, args...)
	serve.Env = append(os.Environ(), "PARLEY_LOG_LEVEL=warn")
	serveLog, err := os.Create(filepath.Join(o.dir, "serve.log"))
	if err != nil {
		return r, err
	}
	defer serveLog.Close()
	serve.Stdout, serve.Stderr = serveLog, serveLog
	if err := serve.Start(); err != nil {
		return r, err
	}
	stopped := false
	stopServe := func() error {
		if stopped {
			return nil
		}
		stopped = true
		_ = serve.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- serve.Wait() }()
		select {
		case err := <-done:
			return err
		case <-time.After(60 * time.Second):
			_ = serve.Process.Kill()
			return errors.New("serve did not stop")
		}
	}
	defer stopServe()
	if err := waitSIP(ctx, sipAddr, 30*time.Second); err != nil {
		return r, err
	}
	ph, err := newPhones(sipAddr, m, pc)
	if err != nil {
		return r, err
	}
	defer ph.close()

	// Ramp up.
	calls := make([]*call, o.calls)
	var wg sync.WaitGroup
	rampStart := time.Now()
	interval := time.Duration(float64(time.Second) / o.rate)
	for i := range o.calls {
		if err := ctx.Err(); err != nil {
			return r, err
		}
		time.Sleep(time.Until(rampStart.Add(time.Duration(i) * interval)))
		wg.Add(1)
		go func() {
			defer wg.Done()
			calls[i] = ph.place(ctx, uint32(i+1), loadPIN(i), loadNumber, o.guard)
		}()
	}
	wg.Wait()
	fmt.Fprintf(out, "ramp-up: %d calls placed in %s\n", o.calls, time.Since(rampStart).Round(time.Millisecond))
	var up []*call
	var firstErr error
	for _, c := range calls {
		if c.err != nil {
			r.failed++
			if firstErr == nil {
				firstErr = c.err
			}
			continue
		}
		r.setups = append(r.setups, c.setup)
		up = append(up, c)
	}
	if firstErr != nil {
		fmt.Fprintf(out, "calls not bridged: %d (first: %v)\n", r.failed, firstErr)
	}
	time.Sleep(time.Second) // settle: the last calls' first packets
	w, err := measure(ctx, m, serve.Process.Pid, o.window)
	if err != nil {
		return r, err
	}
	w.failed, w.setups = r.failed, r.setups
	r = w
	var sustained []uint32
	for _, c := range up {
		if c.up() {
			sustained = append(sustained, c.id)
		}
	}
	r.sustained = len(sustained)
	r.total(m, sustained)
	// Hang up, 50 at a time.
	sem := make(chan struct{}, 50)
	for _, c := range calls {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c.hangup()
		}()
	}
	wg.Wait()
	if err := stopServe(); err != nil {
		return r, fmt.Errorf("serve: %w (log %s)", err, serveLog.Name())
	}
	if b, err := os.ReadFile(serveLog.Name()); err == nil {
		r.ends = endReasons(string(b))
	}
	return r, nil
}

var endLine = regexp.MustCompile(`msg="call ended" .*status=(\S+) reason=("[^"]*"|\S*)`)

// endReasons counts parley's "call ended" log lines by status and reason.
func endReasons(log string) map[string]int {
	out := map[string]int{}
	for _, m := range endLine.FindAllStringSubmatch(log, -1) {
		out[m[1]+" "+strings.Trim(m[2], `"`)]++
	}
	return out
}

// waitSIP waits until parley answers OPTIONS on addr.
func waitSIP(ctx context.Context, addr netip.AddrPort, guard time.Duration) error {
	ep, err := siptest.NewEndpoint(loopback, "load-probe")
	if err != nil {
		return err
	}
	defer ep.Close()
	ep.Serve()
	deadline := time.Now().Add(guard)
	for time.Now().Before(deadline) {
		if err := probeOptions(ctx, ep, addr); err == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("parley does not answer SIP on %s", addr)
}

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := int(float64(len(s)-1) * p)
	return s[i]
}

func report(out io.Writer, o options, p, relay result) {
	fmt.Fprintf(out, "\nconcurrent calls sustained: %d of %d (not bridged: %d)\n", p.sustained, o.calls, p.failed)
	keys := slices.Sorted(maps.Keys(p.ends))
	for _, k := range keys {
		fmt.Fprintf(out, "  parley ended %d calls: %s\n", p.ends[k], k)
	}
	fmt.Fprintf(out, "call setup, INVITE to bridged: p50 %s, p99 %s, max %s (%d calls)\n",
		percentile(p.setups, 0.5).Round(time.Millisecond), percentile(p.setups, 0.99).Round(time.Millisecond),
		percentile(p.setups, 1).Round(time.Millisecond), len(p.setups))
	fmt.Fprintf(out, "\n%-34s %14s %14s\n", "over the window (sustained calls)", "parley", "bare relay")
	fmt.Fprintf(out, "%-34s %14s %14s\n", "window", p.window.Round(time.Millisecond), relay.window.Round(time.Millisecond))
	for d, name := range []string{"phone→trunk", "trunk→phone"} {
		fmt.Fprintf(out, "%-34s %14s %14s\n", name+" sent/received",
			fmt.Sprintf("%d/%d", p.sent[d], p.recv[d]), fmt.Sprintf("%d/%d", relay.sent[d], relay.recv[d]))
		fmt.Fprintf(out, "%-34s %13.3f%% %13.3f%%\n", name+" loss", 100*p.loss(d), 100*relay.loss(d))
	}
	fmt.Fprintf(out, "%-34s %13.2fs %13.2fs\n", "process CPU", p.cpu, relay.cpu)
	fmt.Fprintf(out, "%-34s %13.1f%% %13.1f%%\n", "CPU use (of one core)", 100*p.cpu/p.window.Seconds(), 100*relay.cpu/relay.window.Seconds())
	fmt.Fprintf(out, "%-34s %14s %14s\n", "CPU per relayed packet", p.cpuPerPacket(), relay.cpuPerPacket())
	ratio := 0.0
	if relay.cpuPerPacket() > 0 {
		ratio = float64(p.cpuPerPacket()) / float64(relay.cpuPerPacket())
	}
	fmt.Fprintf(out, "\nCPU per packet, parley / bare relay: %.2f× (target ≤ 1.3×)\n", ratio)
	fmt.Fprintf(out, "worst loss: %.3f%% (target ≤ 0.1%%)\n", 100*max(p.loss(0), p.loss(1)))
}
