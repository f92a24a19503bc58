package vault

import (
	"sync"
	"sync/atomic"
	"time"

	"parley.dev/parley"
)

// flushDepth is how many sealed chunks may wait for the disk behind the one being written.
// With one, sealing the next chunk overlaps writing and syncing the previous one; a writer
// blocks only when the disk is slower than the audio for two chunks in a row.
const flushDepth = 1

// chunkPool holds the buffers sealed chunks travel in. It is shared by every recorder of a
// vault: a call fills a chunk every few seconds and the disk takes milliseconds, so a
// handful of buffers serve a thousand calls.
type chunkPool struct{ p sync.Pool }

func (c *chunkPool) get() *[]byte {
	if b, ok := c.p.Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, 0, DefaultChunkSize+Overhead+16)
	return &b
}

func (c *chunkPool) put(b *[]byte) {
	*b = (*b)[:0]
	c.p.Put(b)
}

// flusher writes sealed chunks to a blob, syncing after each, in a goroutine of its own. The
// writer of a recording (a call's RTP read loop) then never waits on the disk: before, every
// chunk's write and fsync ran inline and a slow disk stalled the call's audio. Chunks are
// written in order, each synced before the next is written, so a crash still leaves a
// prefix of whole chunks; it can lose the chunk being filled and at most flushDepth+1
// sealed ones. A write or sync error is kept and returned by the next Write and by finish.
type flusher struct {
	w       parley.BlobWriter
	pool    *chunkPool
	queue   chan *[]byte
	done    chan struct{}
	abandon atomic.Bool    // skip what is still queued: the blob is about to be discarded
	pending sync.WaitGroup // chunks queued and not yet written
	onFlush func(int, time.Duration)

	mu  sync.Mutex
	err error
}

func newFlusher(w parley.BlobWriter, pool *chunkPool) *flusher {
	f := &flusher{w: w, pool: pool, queue: make(chan *[]byte, flushDepth), done: make(chan struct{})}
	go f.run()
	return f
}

// Write queues a copy of p, one sealed chunk, blocking only while flushDepth chunks wait.
func (f *flusher) Write(p []byte) (int, error) {
	if err := f.failed(); err != nil {
		return 0, err
	}
	b := f.pool.get()
	*b = append(*b, p...)
	f.pending.Add(1)
	f.queue <- b
	return len(p), nil
}

func (f *flusher) failed() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

func (f *flusher) run() {
	defer close(f.done)
	for b := range f.queue {
		if f.failed() == nil && !f.abandon.Load() {
			if err := f.write(*b); err != nil {
				f.mu.Lock()
				f.err = err
				f.mu.Unlock()
			}
		}
		f.pool.put(b)
		f.pending.Done()
	}
}

// idle waits until every chunk queued so far is written (or dropped after an error).
func (f *flusher) idle() { f.pending.Wait() }

func (f *flusher) write(p []byte) error {
	start := time.Now()
	n, err := f.w.Write(p)
	if err == nil && n != len(p) {
		err = parley.Errorf("vault.flusher", parley.KindUnavailable, "short write")
	}
	if err != nil {
		return err
	}
	if err := f.w.Sync(); err != nil {
		return err
	}
	if f.onFlush != nil {
		f.onFlush(n, time.Since(start))
	}
	return nil
}

// finish waits until every queued chunk is written and synced and returns the first error.
// Write must not be called after it.
func (f *flusher) finish() error {
	close(f.queue)
	<-f.done
	return f.failed()
}

// discard stops writing what is queued and waits for the goroutine to end, so the blob can
// be aborted and deleted with no write still under way.
func (f *flusher) discard() {
	f.abandon.Store(true)
	close(f.queue)
	<-f.done
}
