package vault

import (
	"context"
	"crypto/rand"
	"fmt"
	"testing"

	"parley.dev/parley"
)

const (
	benchSize  = 4 << 20  // bytes per recording
	benchWrite = 32 << 10 // bytes per Write call, like a media pipeline
)

// BenchmarkRecordWrite records benchSize bytes through the vault (seal, write, sync per
// chunk, commit, finish). Compare with BenchmarkPlainWrite for the encryption overhead.
func BenchmarkRecordWrite(b *testing.B) {
	e := newEnv(b, 0)
	buf := make([]byte, benchWrite)
	rand.Read(buf)
	ctx := context.Background()
	b.SetBytes(benchSize)
	b.ResetTimer()
	for range b.N {
		r, _, err := e.v.Record(ctx, "call", parties, parley.ClassCall)
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
}

// BenchmarkPlainWrite writes the same bytes to a file.Store blob without encryption,
// syncing every DefaultChunkSize bytes like the recorder does.
func BenchmarkPlainWrite(b *testing.B) {
	e := newEnv(b, 0)
	buf := make([]byte, benchWrite)
	rand.Read(buf)
	ctx := context.Background()
	b.SetBytes(benchSize)
	b.ResetTimer()
	for i := range b.N {
		w, err := e.blobs.Create(ctx, parley.BlobKey(fmt.Sprintf("%032x", i)))
		if err != nil {
			b.Fatal(err)
		}
		for n := 0; n < benchSize; n += benchWrite {
			if _, err := w.Write(buf); err != nil {
				b.Fatal(err)
			}
			if (n+benchWrite)%DefaultChunkSize == 0 {
				if err := w.Sync(); err != nil {
					b.Fatal(err)
				}
			}
		}
		if err := w.Commit(); err != nil {
			b.Fatal(err)
		}
	}
}
