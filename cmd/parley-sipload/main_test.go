package main

import (
	"bufio"
	"strings"
	"testing"
	"time"
)

func TestParseStatCPU(t *testing.T) {
	// pid (comm with spaces) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime …
	got, err := parseStatCPU("4242 (parley serve) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 12 0")
	if err != nil || got != 3.25 {
		t.Fatalf("parseStatCPU = %v, %v; want 3.25", got, err)
	}
	for _, bad := range []string{"", "4242 parley S 1", "4242 (x) S 1 2 3", "4242 (x) S 1 4242 4242 0 -1 1 1 0 0 0 u s"} {
		if _, err := parseStatCPU(bad); err == nil {
			t.Errorf("parseStatCPU(%q): no error", bad)
		}
	}
}

func TestReadRelayPorts(t *testing.T) {
	pairs, err := readRelayPorts(bufio.NewReader(strings.NewReader("4000 4002\n4004 4006\nready\n")))
	if err != nil || len(pairs) != 2 || pairs[1] != [2]int{4004, 4006} {
		t.Fatalf("pairs %v, %v", pairs, err)
	}
	for _, bad := range []string{"", "4000\nready\n", "a b\nready\n", "4000 4002\n"} {
		if _, err := readRelayPorts(bufio.NewReader(strings.NewReader(bad))); err == nil {
			t.Errorf("readRelayPorts(%q): no error", bad)
		}
	}
}

func TestMediaAddr(t *testing.T) {
	ap, err := mediaAddr([]byte("v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 30002 RTP/AVP 0 101\r\n"))
	if err != nil || ap.String() != "127.0.0.1:30002" {
		t.Fatalf("mediaAddr = %v, %v", ap, err)
	}
	for _, bad := range []string{"", "c=IN IP4 127.0.0.1\r\n", "m=audio 70000 RTP/AVP 0\r\nc=IN IP4 127.0.0.1\r\n", "c=IN IP4 host\r\nm=audio 4000 RTP/AVP 0\r\n"} {
		if _, err := mediaAddr([]byte(bad)); err == nil {
			t.Errorf("mediaAddr(%q): no error", bad)
		}
	}
}

func TestPercentileAndLoss(t *testing.T) {
	d := []time.Duration{5, 1, 4, 2, 3}
	if percentile(d, 0.5) != 3 || percentile(d, 1) != 5 || percentile(nil, 0.5) != 0 {
		t.Errorf("percentiles of %v", d)
	}
	r := result{sent: [2]uint64{1000, 0}, recv: [2]uint64{999, 0}, cpu: 0.5}
	if l := r.loss(0); l < 0.000999 || l > 0.001001 || r.loss(1) != 0 {
		t.Errorf("loss %v %v", r.loss(0), r.loss(1))
	}
	if r.cpuPerPacket() != 500500*time.Nanosecond {
		t.Errorf("cpu per packet %v", r.cpuPerPacket())
	}
}

func TestRunBadFlags(t *testing.T) {
	var out strings.Builder
	for _, args := range [][]string{{"-calls", "0"}, {"-window", "10ms"}, {"-rate", "0"}, {"-nope"}} {
		if err := Run(t.Context(), args, &out); err == nil {
			t.Errorf("Run%q: no error", args)
		}
	}
}

func TestEndReasons(t *testing.T) {
	log := `time=2026-11-23T22:00:00Z level=INFO msg="call ended" call=ab leg=x status=completed reason=inmate_hangup
time=2026-11-23T22:00:01Z level=INFO msg="call ended" call=cd status=declined reason="no response from called party"
time=2026-11-23T22:00:02Z level=INFO msg="call bridged" call=ef recorded=true
time=2026-11-23T22:00:03Z level=INFO msg="call ended" call=gh status=completed reason=inmate_hangup
`
	got := endReasons(log)
	if len(got) != 2 || got["completed inmate_hangup"] != 2 || got["declined no response from called party"] != 1 {
		t.Fatalf("endReasons = %v", got)
	}
}
