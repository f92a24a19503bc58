package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
)

// runRelay is the bare UDP relay the benchmark compares parley with: for each call two
// sockets, each read by one goroutine that forwards every datagram, untouched, to the
// address the other socket last heard from (symmetric RTP, as parley latches). No
// parsing, no rewriting, no recording. It prints the socket pairs' ports, one pair a line,
// then relays until stdin closes.
func runRelay(calls int, out io.Writer, in io.Reader) error {
	type side struct {
		conn *net.UDPConn
		peer atomic.Pointer[netip.AddrPort]
	}
	var all []*side
	w := bufio.NewWriter(out)
	for range calls {
		var pair [2]*side
		for i := range pair {
			c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			if err != nil {
				return err
			}
			pair[i] = &side{conn: c}
			all = append(all, pair[i])
		}
		fmt.Fprintf(w, "%d %d\n", pair[0].conn.LocalAddr().(*net.UDPAddr).Port, pair[1].conn.LocalAddr().(*net.UDPAddr).Port)
		for i := range pair {
			from, to := pair[i], pair[1-i]
			go func() {
				buf := make([]byte, 1500)
				for {
					n, src, err := from.conn.ReadFromUDPAddrPort(buf)
					if err != nil {
						if errors.Is(err, net.ErrClosed) {
							return
						}
						continue
					}
					if p := from.peer.Load(); p == nil || *p != src {
						from.peer.Store(&src)
					}
					if dst := to.peer.Load(); dst != nil {
						_, _ = to.conn.WriteToUDPAddrPort(buf[:n], *dst)
					}
				}
			}()
		}
	}
	fmt.Fprintln(w, "ready")
	if err := w.Flush(); err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, in) // until the parent closes stdin
	for _, s := range all {
		_ = s.conn.Close()
	}
	return nil
}

// readRelayPorts reads the relay's port pairs up to "ready".
func readRelayPorts(r *bufio.Reader) ([][2]int, error) {
	var pairs [][2]int
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return nil, fmt.Errorf("relay: %w", err)
		}
		line = strings.TrimSpace(line)
		if line == "ready" {
			return pairs, nil
		}
		f := strings.Fields(line)
		if len(f) != 2 {
			return nil, fmt.Errorf("relay: bad line %q", line)
		}
		a, err1 := strconv.Atoi(f[0])
		b, err2 := strconv.Atoi(f[1])
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("relay: bad line %q", line)
		}
		pairs = append(pairs, [2]int{a, b})
	}
}

// processCPU returns the user+system CPU time a process has used, from /proc (Linux:
// the same counters getrusage reports, in clock ticks of 10 ms).
func processCPU(pid int) (float64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	return parseStatCPU(string(b))
}

// parseStatCPU reads utime and stime (fields 14 and 15) of a /proc/PID/stat line, in
// seconds. The command name (field 2) may contain spaces: fields are counted after its
// closing parenthesis.
func parseStatCPU(stat string) (float64, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("bad /proc stat")
	}
	f := strings.Fields(stat[i+1:])
	if len(f) < 13 {
		return 0, errors.New("bad /proc stat")
	}
	utime, err1 := strconv.ParseUint(f[11], 10, 64)
	stime, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, errors.New("bad /proc stat")
	}
	const clockTicks = 100 // USER_HZ on Linux
	return float64(utime+stime) / clockTicks, nil
}
