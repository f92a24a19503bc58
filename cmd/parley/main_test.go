package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"parley.dev/parley"
)

// cli is a test harness around Main with its own data and key directories and clock.
type cli struct {
	t          *testing.T
	data, keys string
	now        time.Time
	env        map[string]string
	logs       bytes.Buffer      // every command's stderr, for the no-personal-data-in-logs check
	sender     parley.CodeSender // given to serve as Main.CodeSender (public number verification)
}

func newCLI(t *testing.T) *cli {
	t.Helper()
	root := t.TempDir()
	return &cli{t: t, data: filepath.Join(root, "data"), keys: filepath.Join(root, "keys"),
		now: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC),
		env: map[string]string{"USER": "tester", "PARLEY_LOG_LEVEL": "debug",
			"PARLEY_DRAIN": "0s"}} // stopping serve ends its calls at once, as the tests expect; the drain tests set --drain
}

// run runs one command and returns stdout, stderr and the exit status.
func (c *cli) run(args ...string) (string, string, int) {
	c.t.Helper()
	var out, errb bytes.Buffer
	m := &Main{Stdout: &out, Stderr: &errb, Stdin: strings.NewReader(""),
		Getenv: func(k string) string { return c.env[k] }, Now: func() time.Time { return c.now }}
	full := append(append([]string{}, args...), "--data", c.data, "--keys", c.keys)
	if len(args) == 0 {
		full = nil
	}
	code := m.Run(context.Background(), full)
	c.logs.Write(errb.Bytes())
	return out.String(), errb.String(), code
}

// ok runs a command that must succeed.
func (c *cli) ok(args ...string) string {
	c.t.Helper()
	out, errOut, code := c.run(args...)
	if code != 0 {
		c.t.Fatalf("parley %s: exit %d: %s", strings.Join(args, " "), code, errOut)
	}
	return out
}

// fail runs a command that must fail with the given status and a one-line reason containing
// want: apart from log records ("time=…", the harness logs at debug level), stderr is that
// one line and nothing else (no usage text).
func (c *cli) fail(code int, want string, args ...string) {
	c.t.Helper()
	_, errOut, got := c.run(args...)
	if got != code {
		c.t.Fatalf("parley %s: exit %d, want %d (stderr %q)", strings.Join(args, " "), got, code, errOut)
	}
	reason := reasonLines(errOut)
	if len(reason) != 1 || !strings.HasPrefix(reason[0], "parley: ") || !strings.Contains(reason[0], want) {
		c.t.Fatalf("parley %s: stderr %q, want exactly one line \"parley: …%s…\"", strings.Join(args, " "), errOut, want)
	}
}

// reasonLines returns the lines of stderr that are not log records.
func reasonLines(stderr string) []string {
	var out []string
	for _, l := range strings.Split(strings.TrimSuffix(stderr, "\n"), "\n") {
		if !strings.HasPrefix(l, "time=") {
			out = append(out, l)
		}
	}
	return out
}

// writeWAV writes a mono 8 kHz 16-bit WAV of a sine tone.
func writeWAV(t *testing.T, path string, freq float64, seconds int) []byte {
	t.Helper()
	n := 8000 * seconds
	var b bytes.Buffer
	hdr := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	b.WriteString("RIFF")
	hdr(uint32(36 + 2*n))
	b.WriteString("WAVEfmt ")
	hdr(uint32(16))
	hdr(uint16(1))
	hdr(uint16(1))
	hdr(uint32(8000))
	hdr(uint32(16000))
	hdr(uint16(2))
	hdr(uint16(16))
	b.WriteString("data")
	hdr(uint32(2 * n))
	for i := range n {
		hdr(int16(8000 * math.Sin(2*math.Pi*freq*float64(i)/8000)))
	}
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// seed sets up a facility, an inmate, and an import of three calls with recordings: two to
// ordinary numbers and one to a number that is already privileged.
type seeded struct {
	dir       string
	wavs      map[string][]byte // number -> audio
	names     []string
	numbers   []string // E.164 digits without '+', national forms derived in the breach test
	attorney  string   // privileged before import
	latePriv  string   // made privileged after import
	recording map[string]string
}

func seed(t *testing.T, c *cli) *seeded {
	t.Helper()
	s := &seeded{dir: t.TempDir(), wavs: map[string][]byte{}, recording: map[string]string{},
		names:   []string{"Marisol Quintanilla", "Theodore Blackwood"},
		numbers: []string{"14155552671", "12125550199", "13125557788"}}
	s.attorney, s.latePriv = "+13125557788", "+12125550199"
	c.ok("facility", "add", "--id", "cnty", "--name", "County Jail", "--type", "jail", "--adp", "250")
	c.ok("inmate", "add", "--facility", "cnty", "--id", "A1001", "--name", s.names[0], "--pin", "73915486")
	c.ok("privileged", "add", "--number", "(312) 555-7788", "--kind", "attorney", "--name", "Theodore Blackwood")
	// The calls are on one day, so their recordings share a key period (imports are filed
	// at the call's day): the shred and heal tests need survivors in the shredded period.
	csv := "facility_id,inmate_id,inmate_name,called_number,started_at,duration_seconds,recording_file\n"
	for i, n := range []string{"+14155552671", "+12125550199", "+13125557788"} {
		file := "call" + string(rune('a'+i)) + ".wav"
		s.wavs[n] = writeWAV(t, filepath.Join(s.dir, file), 300+float64(i)*200, 2)
		csv += "cnty,A1001," + s.names[0] + "," + n + ",2026-11-22T1" + string(rune('0'+i)) + ":00:00Z,120," + file + "\n"
	}
	if err := os.WriteFile(filepath.Join(s.dir, "calls.csv"), []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	out := c.ok("import", "calls", "--file", filepath.Join(s.dir, "calls.csv"), "--recordings", s.dir, "--json")
	var res struct{ Imported, Recordings, PrivilegedNotStored int }
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("import output %q: %v", out, err)
	}
	if res.Imported != 3 || res.Recordings != 2 || res.PrivilegedNotStored != 1 {
		t.Fatalf("import result %+v, want 3 imported, 2 recordings, 1 privileged not stored", res)
	}
	for _, n := range []string{"+14155552671", "+12125550199", "+13125557788"} {
		calls := searchNumber(t, c, n)
		if len(calls) != 1 {
			t.Fatalf("search found %d calls, want 1", len(calls))
		}
		s.recording[n] = calls[0].RecordingID
	}
	return s
}

// searchFacility returns every call record of a facility, newest first.
func searchFacility(t *testing.T, c *cli, facility string) []callView {
	t.Helper()
	var calls []callView
	if err := json.Unmarshal([]byte(c.ok("calls", "search", "--facility", facility, "--json")), &calls); err != nil {
		t.Fatal(err)
	}
	return calls
}

func searchNumber(t *testing.T, c *cli, number string) []callView {
	t.Helper()
	var calls []callView
	if err := json.Unmarshal([]byte(c.ok("calls", "search", "--number", number, "--json")), &calls); err != nil {
		t.Fatal(err)
	}
	return calls
}
