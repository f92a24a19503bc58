package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"parley.dev/parley"
)

// Plain describes a database for the plain-table benchmarks: the same call row shape with
// the number and names in clear and a plain index on the number, so the encrypted store's
// cost can be compared with it.
type Plain struct {
	DB *sql.DB
	// Dollar uses $1, $2, … placeholders instead of '?'.
	Dollar bool
	// Blob and Int are the column types for bytes and 64-bit integers.
	Blob, Int string
}

func (p Plain) q(query string) string {
	if !p.Dollar {
		return query
	}
	var b strings.Builder
	n := 0
	for _, c := range query {
		if c == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// benchNumbers is how many distinct numbers the lookup benchmarks spread their calls over.
const benchNumbers = 20

func benchNumber(i int) parley.Number { return parley.Number(fmt.Sprintf("+1555%07d", i%benchNumbers)) }

func benchCall(i int) *parley.CallRecord {
	return &parley.CallRecord{FacilityID: "bench", InmateID: fmt.Sprintf("I%06d", i%500), InmateName: "Bench Person",
		DeviceID: "pod-1", Number: benchNumber(i), StartedAt: base.Add(time.Duration(i) * time.Second),
		Duration: time.Minute, Status: parley.CallCompleted, Recording: parley.RecordingNone, Source: "sip"}
}

func (p Plain) create(b *testing.B) {
	b.Helper()
	_, _ = p.DB.Exec(`DROP TABLE IF EXISTS plain_calls`)
	_, err := p.DB.Exec(`CREATE TABLE plain_calls (id TEXT PRIMARY KEY, facility_id TEXT NOT NULL, inmate_id TEXT,
		inmate_name TEXT, device_id TEXT NOT NULL, number TEXT NOT NULL, started_at ` + p.Int + ` NOT NULL,
		duration_ns ` + p.Int + ` NOT NULL, status TEXT NOT NULL, reason TEXT NOT NULL, privileged BOOLEAN NOT NULL DEFAULT FALSE,
		recording_state TEXT NOT NULL,
		recording_id TEXT NOT NULL, source TEXT NOT NULL, import_key TEXT, extra ` + p.Blob + `, updated_at ` + p.Int + `,
		charge_cents ` + p.Int + ` NOT NULL DEFAULT 0, credit_reason TEXT NOT NULL DEFAULT '', paying_account TEXT NOT NULL DEFAULT '')`)
	if err != nil {
		b.Fatal(err)
	}
	// The same indexes as parley's calls table, on plain columns instead of blind indexes:
	// the comparison measures the cost of sealing and blind indexing, not of the features.
	for _, idx := range []string{`CREATE INDEX plain_calls_number ON plain_calls (number, started_at)`,
		`CREATE INDEX plain_calls_inmate ON plain_calls (facility_id, inmate_id, started_at)`,
		`CREATE INDEX plain_calls_facility ON plain_calls (facility_id, started_at)`,
		`CREATE INDEX plain_calls_recording ON plain_calls (recording_id) WHERE recording_id <> ''`,
		`CREATE UNIQUE INDEX plain_calls_import_key ON plain_calls (import_key) WHERE import_key IS NOT NULL`} {
		if _, err := p.DB.Exec(idx); err != nil {
			b.Fatal(err)
		}
	}
	b.Cleanup(func() { _, _ = p.DB.Exec(`DROP TABLE IF EXISTS plain_calls`) })
}

// insert adds call i. Its id is random, like parley's: ids in insertion order would land
// at the end of the primary key's tree and make the plain side look cheaper for a reason
// that has nothing to do with encryption.
func (p Plain) insert(ctx context.Context, i int) error {
	c := benchCall(i)
	var id [16]byte
	_, _ = rand.Read(id[:])
	_, err := p.DB.ExecContext(ctx, p.q(`INSERT INTO plain_calls (id, facility_id, inmate_id, inmate_name, device_id, number,
		started_at, duration_ns, status, reason, recording_state, recording_id, source, import_key, extra, updated_at,
		charge_cents, credit_reason, paying_account)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		hex.EncodeToString(id[:]), c.FacilityID, c.InmateID, c.InmateName, c.DeviceID, string(c.Number),
		c.StartedAt.UnixMicro(), int64(c.Duration), string(c.Status), "", string(c.Recording), "", c.Source, nil, nil,
		c.StartedAt.UnixMicro(), 0, "", "")
	return err
}

// BenchInsertEncrypted measures CreateCall on s (fields sealed, blind indexes computed).
func BenchInsertEncrypted(b *testing.B, s parley.Store) {
	ctx := b.Context()
	if err := s.CreateFacility(ctx, &parley.Facility{ID: "bench", Name: "Bench", Type: parley.FacilityJail}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if err := s.CreateCall(ctx, benchCall(i)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchInsertPlain measures the same insert into a plain table.
func BenchInsertPlain(b *testing.B, p Plain) {
	p.create(b)
	ctx := b.Context()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if err := p.insert(ctx, i); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchInsertSideBySide alternates one insert into s and one into the plain table per
// iteration and reports each side's mean and their ratio. Both sides then see the same
// machine at the same moments; two benchmarks run one after the other on a shared machine
// can differ by more than the cost of encryption.
func BenchInsertSideBySide(b *testing.B, s parley.Store, p Plain) {
	ctx := b.Context()
	if err := s.CreateFacility(ctx, &parley.Facility{ID: "bench", Name: "Bench", Type: parley.FacilityJail}); err != nil {
		b.Fatal(err)
	}
	p.create(b)
	var enc, plain time.Duration
	for i := 0; b.Loop(); i++ {
		t0 := time.Now()
		if err := s.CreateCall(ctx, benchCall(i)); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if err := p.insert(ctx, i); err != nil {
			b.Fatal(err)
		}
		enc, plain = enc+t1.Sub(t0), plain+time.Since(t1)
	}
	reportSideBySide(b, enc, plain)
}

// reportSideBySide reports the two sides' means per operation and their ratio.
func reportSideBySide(b *testing.B, enc, plain time.Duration) {
	b.ReportMetric(float64(enc.Nanoseconds())/float64(b.N), "enc-ns/op")
	b.ReportMetric(float64(plain.Nanoseconds())/float64(b.N), "plain-ns/op")
	b.ReportMetric(enc.Seconds()/plain.Seconds(), "enc/plain")
}

// seedEncrypted stores the facility and seed calls in s.
func seedEncrypted(b *testing.B, s parley.Store, seed int) {
	ctx := b.Context()
	if err := s.CreateFacility(ctx, &parley.Facility{ID: "bench", Name: "Bench", Type: parley.FacilityJail}); err != nil {
		b.Fatal(err)
	}
	for i := range seed {
		if err := s.CreateCall(ctx, benchCall(i)); err != nil {
			b.Fatal(err)
		}
	}
}

// seedPlain creates the plain table with seed calls.
func seedPlain(b *testing.B, p Plain, seed int) {
	p.create(b)
	for i := range seed {
		if err := p.insert(b.Context(), i); err != nil {
			b.Fatal(err)
		}
	}
}

// findEncrypted looks up the calls to number i's number through the store.
func findEncrypted(b *testing.B, s parley.Store, i int) {
	got, err := s.FindCalls(b.Context(), parley.CallFilter{Number: benchNumber(i), Limit: 100})
	if err != nil || len(got) == 0 {
		b.Fatalf("find: %d results, %v", len(got), err)
	}
}

// findPlain runs the same lookup on the plain table, reading every column.
func findPlain(b *testing.B, p Plain, i int) {
	rows, err := p.DB.QueryContext(b.Context(), p.q(`SELECT id, facility_id, inmate_id, inmate_name, device_id, number, started_at,
		duration_ns, status, reason, privileged, recording_state, recording_id, source, import_key, updated_at,
		charge_cents, credit_reason, paying_account FROM plain_calls
		WHERE number = ? ORDER BY started_at DESC, id DESC LIMIT 100`), string(benchNumber(i)))
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for rows.Next() {
		var id, fac, dev, num, status, reason, state, recID, source, credit, payer string
		var inmate, name, key sql.NullString
		var started, dur, updated, charge int64
		var privileged bool
		if err := rows.Scan(&id, &fac, &inmate, &name, &dev, &num, &started, &dur, &status, &reason, &privileged,
			&state, &recID, &source, &key, &updated, &charge, &credit, &payer); err != nil {
			b.Fatal(err)
		}
		n++
	}
	if err := rows.Close(); err != nil || n == 0 {
		b.Fatalf("find: %d results, %v", n, err)
	}
}

// BenchFindEncrypted measures FindCalls by number over seed calls (sealed fields opened).
func BenchFindEncrypted(b *testing.B, s parley.Store, seed int) {
	seedEncrypted(b, s, seed)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		findEncrypted(b, s, i)
	}
}

// BenchFindPlain measures the same lookup on the plain table.
func BenchFindPlain(b *testing.B, p Plain, seed int) {
	seedPlain(b, p, seed)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		findPlain(b, p, i)
	}
}

// BenchFindSideBySide alternates the two lookups per iteration, like BenchInsertSideBySide.
func BenchFindSideBySide(b *testing.B, s parley.Store, p Plain, seed int) {
	seedEncrypted(b, s, seed)
	seedPlain(b, p, seed)
	var enc, plain time.Duration
	for i := 0; b.Loop(); i++ {
		t0 := time.Now()
		findEncrypted(b, s, i)
		t1 := time.Now()
		findPlain(b, p, i)
		enc, plain = enc+t1.Sub(t0), plain+time.Since(t1)
	}
	reportSideBySide(b, enc, plain)
}
