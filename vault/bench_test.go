package vault

import (
	"context"
	"crypto/rand"
	"slices"
	"testing"
	"time"

	"parley.dev/parley"
)

const (
	benchSize  = 4 << 20  // bytes per recording
	benchWrite = 32 << 10 // bytes per Write call, like a media pipeline
)

// recordOnce records benchSize bytes through the vault (seal, write, sync per chunk,
// commit, finish).
func recordOnce(b *testing.B, e *env, buf []byte) {
	r, _, err := e.v.Record(context.Background(), "call", parties, parley.ClassCall)
	if err != nil {
		b.Fatal(err)
	}
	for n := 0; n < benchSize; n += benchWrite {
		if _, err := r.Write(buf); err != nil {
			b.Fatal(err)
		}
	}
	if err := r.Close(); err != nil {
		b.Fatal(err)
	}
}

// plainOnce writes the same bytes to a file.Store blob without encryption, syncing every
// 64 KiB like the recorder does (its chunks take 64 KiB on disk). Its key is random like a recording id: the
// store shards blobs into directories by key, and keys in sequence would always find their
// directory made, which random ones do not.
func plainOnce(b *testing.B, e *env, buf []byte) {
	w, err := e.blobs.Create(context.Background(), parley.BlobKey(newID()))
	if err != nil {
		b.Fatal(err)
	}
	for n := 0; n < benchSize; n += benchWrite {
		if _, err := w.Write(buf); err != nil {
			b.Fatal(err)
		}
		if (n+benchWrite)%(64<<10) == 0 {
			if err := w.Sync(); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := w.Commit(); err != nil {
		b.Fatal(err)
	}
}

func benchBuf() []byte {
	buf := make([]byte, benchWrite)
	rand.Read(buf)
	return buf
}

// BenchmarkRecordWrite measures the vault's recording write.
func BenchmarkRecordWrite(b *testing.B) {
	e, buf := newEnv(b, 0), benchBuf()
	b.SetBytes(benchSize)
	for b.Loop() {
		recordOnce(b, e, buf)
	}
}

// BenchmarkPlainWrite measures the same write without encryption.
func BenchmarkPlainWrite(b *testing.B) {
	e, buf := newEnv(b, 0), benchBuf()
	b.SetBytes(benchSize)
	for b.Loop() {
		plainOnce(b, e, buf)
	}
}

// BenchmarkRecordVsPlain alternates one encrypted and one plain recording per iteration and
// reports each side's throughput and the median of the per-pair ratios, so both see the
// same machine: on a shared machine, two benchmarks run one after the other can differ by
// more than the cost measured, and one slow fsync can swing a ratio of totals.
func BenchmarkRecordVsPlain(b *testing.B) {
	e, buf := newEnv(b, 0), benchBuf()
	var enc, plain time.Duration
	var ratios []float64
	for b.Loop() {
		t0 := time.Now()
		recordOnce(b, e, buf)
		t1 := time.Now()
		plainOnce(b, e, buf)
		t2 := time.Now()
		enc, plain = enc+t1.Sub(t0), plain+t2.Sub(t1)
		ratios = append(ratios, t1.Sub(t0).Seconds()/t2.Sub(t1).Seconds())
	}
	mbps := func(d time.Duration) float64 { return float64(b.N) * benchSize / 1e6 / d.Seconds() }
	slices.Sort(ratios)
	b.ReportMetric(mbps(enc), "enc-MB/s")
	b.ReportMetric(mbps(plain), "plain-MB/s")
	b.ReportMetric(ratios[len(ratios)/2], "enc/plain-median")
}
