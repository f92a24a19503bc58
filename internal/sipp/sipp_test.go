package sipp

import (
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// recordingTB is a testing.TB that records how a helper gave up instead of giving up.
type recordingTB struct {
	testing.TB
	fatal, skip string
}

func (r *recordingTB) Helper() {}
func (r *recordingTB) Fatalf(f string, a ...any) {
	r.fatal = fmt.Sprintf(f, a...)
	runtime.Goexit()
}
func (r *recordingTB) Skipf(f string, a ...any) {
	r.skip = fmt.Sprintf(f, a...)
	runtime.Goexit()
}

// call runs f with a recordingTB in its own goroutine (Goexit ends only that one).
func call(t *testing.T, f func(testing.TB)) *recordingTB {
	r := &recordingTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r
}

func TestBinaryMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv("CI", "true")
	if r := call(t, func(tb testing.TB) { Binary(tb) }); !strings.Contains(r.fatal, "CI=true requires it") || r.skip != "" {
		t.Errorf("under CI a missing sipp: fatal %q, skip %q", r.fatal, r.skip)
	}
	t.Setenv("CI", "")
	if r := call(t, func(tb testing.TB) { Binary(tb) }); r.skip == "" || r.fatal != "" {
		t.Errorf("outside CI a missing sipp: fatal %q, skip %q", r.fatal, r.skip)
	}
}

func TestPcapDirMissing(t *testing.T) {
	t.Setenv("SIPP_PCAPS", t.TempDir())
	t.Setenv("CI", "true")
	if r := call(t, func(tb testing.TB) { PcapDir(tb) }); !strings.Contains(r.fatal, "pcaps are missing") {
		t.Errorf("under CI missing pcaps: fatal %q, skip %q", r.fatal, r.skip)
	}
}

func TestFreeUDPPorts(t *testing.T) {
	lo := netip.MustParseAddr("127.0.0.1")
	base, err := FreeUDPPorts(lo, 4)
	if err != nil {
		t.Fatal(err)
	}
	if base%2 != 0 {
		t.Errorf("base port %d is odd", base)
	}
	for i := range 4 {
		c, err := net.ListenPacket("udp", netip.AddrPortFrom(lo, uint16(base+i)).String())
		if err != nil {
			t.Fatalf("port %d was reported free: %v", base+i, err)
		}
		c.Close()
	}
}

// TestScenarios checks the committed scenarios are well-formed XML, that each call
// plays pcaps, and that they exist among sipp's bundled ones (when sipp is installed).
func TestScenarios(t *testing.T) {
	files, err := filepath.Glob("../../sip/testdata/sipp/*.xml")
	if err != nil || len(files) < 3 {
		t.Fatalf("scenarios: %v %v", files, err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		d := xml.NewDecoder(strings.NewReader(string(data)))
		d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil } // ASCII
		var pcaps []string
		for {
			tok, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "exec" {
				for _, a := range se.Attr {
					if a.Name.Local == "play_pcap_audio" {
						pcaps = append(pcaps, a.Value)
					}
				}
			}
		}
		if len(pcaps) == 0 && strings.Contains(string(data), "INVITE") { // a call plays media; a REGISTER has none
			t.Errorf("%s plays no pcap", f)
		}
		if _, err := os.Stat(DefaultPcapDir); err != nil {
			continue
		}
		for _, p := range pcaps {
			if _, err := os.Stat(filepath.Join(DefaultPcapDir, p)); err != nil {
				t.Errorf("%s: %v", f, err)
			}
		}
	}
}
