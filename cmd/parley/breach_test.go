package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"parley.dev/parley/internal/testingutil"
)

// numberForms returns the ways a US number is written in the wild, from its 11 digits.
func numberForms(d string) []string {
	a, x, l := d[1:4], d[4:7], d[7:]
	return []string{"+" + d, d, d[1:], a + "-" + x + "-" + l, "(" + a + ") " + x + "-" + l,
		a + "." + x + "." + l, a + " " + x + " " + l}
}

// scanDir returns every needle found in any file under dir, ignoring case.
func scanDir(t *testing.T, dir string, needles []string) []string {
	t.Helper()
	var hits []string
	for path, b := range readTree(t, dir) {
		for _, n := range needles {
			if bytes.Contains(bytes.ToLower(b), bytes.ToLower([]byte(n))) {
				hits = append(hits, n+" in "+path)
			}
		}
	}
	return hits
}

// readTree returns every file under dir by its path relative to dir.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		files[rel] = b
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// byteaHex matches a bytea value as pg_dump (COPY text) and the SELECT fallback print it.
var byteaHex = regexp.MustCompile(`\\+x((?:[0-9a-fA-F]{2})+)`)

// unhexBytea replaces each hex-encoded bytea value of a dump by its bytes, so a value stored
// in clear in a bytea column (an audit record, a RIFF header) is scanned as the thief reads it.
func unhexBytea(dump []byte) []byte {
	return byteaHex.ReplaceAllFunc(dump, func(m []byte) []byte {
		b, err := hex.DecodeString(string(byteaHex.FindSubmatch(m)[1]))
		if err != nil {
			return m
		}
		return b
	})
}

// TestBreach is the Securus scenario on the embedded default (SQLite): steal everything
// under --data and find no number, no name, no inmate id and no audio.
func TestBreach(t *testing.T) { breach(t, newCLI(t), nil) }

// TestBreachPostgres is the same theft with the database on PostgreSQL: the thief holds
// --data (vault, audit checkpoint) and a pg_dump of the database.
func TestBreachPostgres(t *testing.T) {
	c := newCLI(t)
	schema := testingutil.PostgresSchema(t)
	c.env["PARLEY_DB"] = testingutil.WithSearchPath(testingutil.PostgresDSN(), schema)
	breach(t, c, func(t *testing.T) []byte { return testingutil.PostgresDump(t, schema) })
	if _, err := os.Stat(filepath.Join(c.data, "parley.db")); err == nil {
		t.Fatal("with --db postgres://… a SQLite database was created anyway")
	}
}

// breach seeds c through the CLI (a facility, an inmate with a name and PIN, a privileged
// number, imported calls with recordings, audited searches and a playback), then scans
// every byte under --data, and the database dump when dump is not nil, for the numbers in
// every format, the names, the inmate id, the PIN and the audio (RIFF/WAVE headers and raw
// samples), raw and hex-encoded. The logs are scanned too. There must be no hit.
func breach(t *testing.T, c *cli, dump func(*testing.T) []byte) {
	t.Helper()
	s := seed(t, c)
	played := s.recording["+14155552671"]
	c.ok("calls", "search", "--inmate", "A1001")
	c.ok("calls", "search", "--number", "(415) 555-2671")
	out := filepath.Join(t.TempDir(), "played.wav")
	c.ok("recordings", "get", played, "--out", out, "--purpose", "breach test playback")
	if got, err := os.ReadFile(out); err != nil || !bytes.Equal(got, s.wavs["+14155552671"]) {
		t.Fatalf("playback differs from the imported audio (%v)", err)
	}
	var events []struct{ Action, Object string }
	if err := json.Unmarshal([]byte(c.ok("audit", "list", "--json", "--limit", "10000")), &events); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range events {
		seen[e.Action] = true
	}
	for _, action := range []string{"facility.add", "privileged.add", "import.calls", "calls.search", "recording.read"} {
		if !seen[action] {
			t.Errorf("no %s event in the audit log (%d events): the scan would miss its records", action, len(events))
		}
	}
	c.ok("audit", "verify")

	// The keys live apart: nothing under --data is a key, and the keyring is where --keys says.
	if rel, err := filepath.Rel(c.data, c.keys); err != nil || !strings.HasPrefix(rel, "..") {
		t.Fatalf("the key directory %s is inside the data directory %s", c.keys, c.data)
	}
	if _, err := os.Stat(filepath.Join(c.keys, "kek")); err != nil {
		t.Fatalf("no keyring in the key directory: %v", err)
	}

	// What the thief holds: every file under --data and, on PostgreSQL, the dump.
	stolen := readTree(t, c.data)
	vaultBytes, audioBytes := 0, 0
	for path, b := range stolen {
		if strings.HasSuffix(path, ".key") || strings.HasPrefix(path, "kek"+string(filepath.Separator)) {
			t.Errorf("a key file is under --data: %s", path)
		}
		if strings.HasPrefix(path, "vault"+string(filepath.Separator)) {
			vaultBytes += len(b)
		}
	}
	for n, w := range s.wavs {
		if s.recording[n] != "" {
			audioBytes += len(w)
		}
	}
	var rawDump []byte
	if dump != nil {
		rawDump = dump(t)
		stolen["database dump"] = unhexBytea(rawDump)
	}
	// Positive controls: the scan reads the encrypted audio, the facility name stored in
	// clear and the audit records; otherwise it is not reading the data at all.
	if vaultBytes < audioBytes {
		t.Fatalf("the vault under --data holds %d bytes for %d bytes of stored audio: the scan missed it", vaultBytes, audioBytes)
	}
	for _, clear := range []string{"County Jail", `"action":"recording.read"`} {
		found := false
		for _, b := range stolen {
			found = found || bytes.Contains(b, []byte(clear))
		}
		if !found {
			t.Fatalf("the stolen data does not contain %q, stored in clear: the scan is not reading the database", clear)
		}
	}

	// Text is searched ignoring case; audio byte for byte.
	var text []string
	for _, d := range s.numbers {
		text = append(text, numberForms(d)...)
	}
	for _, name := range s.names {
		text = append(text, name)
		text = append(text, strings.Fields(name)...)
	}
	text = append(text, "A1001", "73915486")
	audio := []string{"RIFF", "WAVEfmt "}
	for _, w := range s.wavs {
		audio = append(audio, string(w[:12]), string(w[100:132])) // RIFF....WAVE, a run of raw samples
	}
	var hits []string
	for path, b := range stolen {
		lower := bytes.ToLower(b)
		for _, n := range text {
			if bytes.Contains(lower, bytes.ToLower([]byte(n))) {
				hits = append(hits, "text "+redactNeedle(n)+" in "+path)
			}
		}
		for _, n := range audio {
			if bytes.Contains(b, []byte(n)) {
				hits = append(hits, "audio in "+path)
			}
		}
	}
	// A value hex-encoded into a text column survives unhexBytea: look for it in the raw dump.
	for _, n := range append(append([]string{}, text...), audio...) {
		for _, form := range []string{n, strings.ToLower(n)} {
			if rawDump != nil && bytes.Contains(bytes.ToLower(rawDump), []byte(hex.EncodeToString([]byte(form)))) {
				hits = append(hits, "hex-encoded "+redactNeedle(n)+" in the database dump")
				break
			}
		}
	}
	if len(hits) > 0 {
		t.Fatalf("the stolen data reveals personal data or audio: %v", hits)
	}
	if hits := scanDir(t, c.keys, text); len(hits) > 0 {
		t.Fatalf("the key directory reveals personal data: %v", hits)
	}
	for _, n := range text {
		if strings.Contains(strings.ToLower(c.logs.String()), strings.ToLower(n)) {
			t.Errorf("the logs contain %s", redactNeedle(n))
		}
	}
}

// redactNeedle names a needle in a failure without printing it whole.
func redactNeedle(n string) string {
	if len(n) <= 3 {
		return "…"
	}
	return strings.ToValidUTF8(n[:3], "?") + "…"
}
