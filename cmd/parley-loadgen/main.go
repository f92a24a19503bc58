// Command parley-loadgen fills a parley store with synthetic call records (encrypted and
// blind-indexed exactly as parley stores them) and measures lookup by number and the
// privilege sweep, at the scale of the 2015 leak (70 million records). See BENCHMARKS.md.
//
//	go run ./cmd/parley-loadgen -calls 1000000
//	go run ./cmd/parley-loadgen -calls 1000000 -db 'postgres://postgres@127.0.0.1:5432/test?sslmode=disable'
package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver for the scratch schema

	"parley.dev/parley"
	"parley.dev/parley/fieldcrypt"
	"parley.dev/parley/postgres"
	"parley.dev/parley/sqlite"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := Run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "parley-loadgen:", err)
		os.Exit(1)
	}
}

// Config is what one run generates and measures.
type Config struct {
	Calls   int    // call records to generate
	Numbers int    // distinct called numbers (the leak: 70M records, 1.3M numbers)
	Lookups int    // random numbers looked up
	Sweeps  int    // numbers run through the privilege sweep
	Workers int    // concurrent inserters
	Batch   int    // records per transaction (1 = one CreateCall each, as calls arrive)
	DB      string // "" (SQLite in Dir), or a postgres:// DSN
	Dir     string // where the SQLite file goes ("" = a temporary directory)
	Reuse   bool   // measure the data a previous run left in Dir instead of generating
	// IndexAfter loads the rows with the calls table's secondary indexes dropped and ids in
	// sequence, then rebuilds the indexes from their own definitions: how a bulk load of
	// tens of millions of rows is done. The rows and indexes are the same as parley's.
	IndexAfter bool
}

// runInfo is what a run with -dir leaves beside its database (loadgen.json), so a later
// run with -reuse can measure the same data again without regenerating it: the synthetic
// data's field keys, its facility and its size. The data is synthetic, so its keys may sit
// beside it; parley itself never does that.
type runInfo struct {
	EncKey, IndexKey []byte
	Facility         string
	Calls, Numbers   int
}

// Run parses flags, generates and measures, printing one line per figure.
func Run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("parley-loadgen", flag.ContinueOnError)
	var c Config
	fs.IntVar(&c.Calls, "calls", 100_000, "call records to generate")
	fs.IntVar(&c.Numbers, "numbers", 0, "distinct numbers (default calls/54, as in the leak)")
	fs.IntVar(&c.Lookups, "lookups", 1000, "lookups by number to time")
	fs.IntVar(&c.Sweeps, "sweeps", 100, "privilege sweeps to time")
	fs.IntVar(&c.Workers, "workers", 4, "concurrent inserters")
	fs.IntVar(&c.Batch, "batch", 1000, "records per transaction (1: one CreateCall per record)")
	fs.StringVar(&c.DB, "db", "", "postgres:// DSN (default SQLite)")
	fs.StringVar(&c.Dir, "dir", "", "directory for the SQLite file (default temporary)")
	fs.BoolVar(&c.Reuse, "reuse", false, "measure the data a previous run left in -dir (no generation)")
	fs.BoolVar(&c.IndexAfter, "index-after", false, "SQLite: build the calls indexes after loading (bulk load)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.Calls < 1 || c.Lookups < 1 || c.Sweeps < 0 || c.Workers < 1 || c.Batch < 1 {
		return fmt.Errorf("-calls, -lookups, -workers and -batch must be positive")
	}
	if c.Reuse && (c.Dir == "" || c.DB != "") {
		return fmt.Errorf("-reuse needs -dir (SQLite)")
	}
	if c.IndexAfter && (c.DB != "" || c.Batch < 2) {
		return fmt.Errorf("-index-after needs SQLite and -batch above 1")
	}
	if c.Numbers == 0 {
		c.Numbers = max(c.Calls/54, 10)
	}
	return Generate(ctx, c, out)
}

// Generate runs the whole benchmark.
func Generate(ctx context.Context, c Config, out io.Writer) error {
	key := func() []byte { k := make([]byte, 32); rand.Read(k); return k }
	info := runInfo{EncKey: key(), IndexKey: key(), Facility: fmt.Sprintf("lg%d", time.Now().UnixNano()%1e9),
		Calls: c.Calls, Numbers: c.Numbers}
	infoPath := filepath.Join(c.Dir, "loadgen.json")
	if c.Reuse {
		b, err := os.ReadFile(infoPath)
		if err != nil {
			return fmt.Errorf("-reuse: %w", err)
		}
		if err := json.Unmarshal(b, &info); err != nil {
			return fmt.Errorf("-reuse: %s: %w", infoPath, err)
		}
	}
	fc, err := fieldcrypt.New(info.EncKey, info.IndexKey)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	var store parley.Store
	if strings.HasPrefix(c.DB, "postgres") {
		dsn, drop, err := scratchSchema(ctx, c.DB)
		if err != nil {
			return err
		}
		defer drop()
		store, err = postgres.Open(ctx, dsn, fc, logger)
		if err != nil {
			return err
		}
	} else {
		dir := c.Dir
		if dir == "" {
			if dir, err = os.MkdirTemp("", "parley-loadgen-"); err != nil {
				return err
			}
			defer os.RemoveAll(dir)
		}
		if store, err = sqlite.Open(ctx, filepath.Join(dir, "parley.db"), fc, logger); err != nil {
			return err
		}
	}
	defer store.Close()

	numbers := make([]parley.Number, info.Numbers)
	for i := range numbers {
		numbers[i] = parley.Number(fmt.Sprintf("+1%03d555%04d", 201+i/10000%700, i%10000))
	}
	if c.Reuse {
		fmt.Fprintf(out, "measuring %d call records to %d numbers left by an earlier run\n", info.Calls, info.Numbers)
	} else {
		if err := store.CreateFacility(ctx, &parley.Facility{ID: info.Facility, Name: "Load", Type: parley.FacilityPrison, ADP: 5000}); err != nil {
			return err
		}
		if c.Dir != "" && c.DB == "" {
			b, _ := json.Marshal(info)
			if err := os.WriteFile(infoPath, b, 0o600); err != nil {
				return err
			}
		}
		fmt.Fprintf(out, "generating %d call records to %d numbers (%s, %d per transaction)\n", c.Calls, c.Numbers, backend(c.DB), c.Batch)
		start := time.Now()
		var rebuild func() error
		if c.IndexAfter {
			if rebuild, err = dropCallIndexes(ctx, store); err != nil {
				return err
			}
		}
		if err := insert(ctx, store, info.Facility, numbers, c, out); err != nil {
			return err
		}
		if rebuild != nil {
			t0 := time.Now()
			if err := rebuild(); err != nil {
				return err
			}
			fmt.Fprintf(out, "indexes rebuilt in %s\n", time.Since(t0).Round(time.Second))
		}
		elapsed := time.Since(start)
		fmt.Fprintf(out, "insert: %d records in %s = %.0f records/s\n", c.Calls, elapsed.Round(time.Millisecond), float64(c.Calls)/elapsed.Seconds())
	}

	// Numbers drawn afresh each run: a -reuse run looking up the numbers an earlier run
	// looked up (and swept) would find their pages cached and their calls already marked.
	r := mrand.New(mrand.NewPCG(uint64(time.Now().UnixNano()), 2))
	lat := make([]time.Duration, 0, c.Lookups)
	found := 0
	for range c.Lookups {
		n := numbers[r.IntN(len(numbers))]
		t0 := time.Now()
		calls, err := store.FindCalls(ctx, parley.CallFilter{Number: n, Limit: parley.MaxCallResults})
		if err != nil {
			return err
		}
		lat = append(lat, time.Since(t0))
		found += len(calls)
	}
	fmt.Fprintf(out, "lookup by number: %s (%.1f records per number)\n", summary(lat), float64(found)/float64(c.Lookups))

	lat = lat[:0]
	marked := 0
	for range c.Sweeps {
		n := numbers[r.IntN(len(numbers))]
		t0 := time.Now()
		k, err := store.MarkCallsPrivileged(ctx, n)
		if err != nil {
			return err
		}
		if _, err := store.FindRecordingsByNumber(ctx, n); err != nil {
			return err
		}
		lat = append(lat, time.Since(t0))
		marked += k
	}
	if c.Sweeps > 0 {
		fmt.Fprintf(out, "privilege sweep (mark calls + find recordings): %s (%d calls marked)\n", summary(lat), marked)
	}
	return nil
}

// dropCallIndexes drops the SQLite calls table's secondary indexes and returns a function
// that creates them again from the definitions the migrations gave them.
func dropCallIndexes(ctx context.Context, store parley.Store) (func() error, error) {
	raw, ok := store.(interface{ SQL() *sql.DB })
	if !ok {
		return nil, fmt.Errorf("-index-after: the store exposes no database")
	}
	db := raw.SQL()
	rows, err := db.QueryContext(ctx, `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'calls' AND sql IS NOT NULL`)
	if err != nil {
		return nil, err
	}
	var names, defs []string
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			rows.Close()
			return nil, err
		}
		names, defs = append(names, name), append(defs, def)
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	if len(defs) == 0 {
		return nil, fmt.Errorf("-index-after: no indexes on calls")
	}
	for _, name := range names {
		if _, err := db.ExecContext(ctx, `DROP INDEX `+name); err != nil {
			return nil, err
		}
	}
	return func() error {
		for _, def := range defs {
			if _, err := db.ExecContext(ctx, def); err != nil {
				return err
			}
		}
		return nil
	}, nil
}

// scratchSchema creates a schema of its own on the PostgreSQL server, so a run never writes
// into a database's public schema, and returns a DSN using it and a function that drops it.
func scratchSchema(ctx context.Context, dsn string) (string, func(), error) {
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		return "", nil, err
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "parley_loadgen_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		return "", nil, err
	}
	drop := func() {
		admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		admin.Close()
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + "search_path=" + schema, drop, nil
}

func backend(db string) string {
	if strings.HasPrefix(db, "postgres") {
		return "postgres"
	}
	return "sqlite"
}

// insert writes c.Calls records from c.Workers goroutines, c.Batch per transaction, and
// prints progress every million.
func insert(ctx context.Context, store parley.Store, facility string, numbers []parley.Number, c Config, out io.Writer) error {
	bulk, isBulk := store.(interface {
		CreateCalls(ctx context.Context, calls []*parley.CallRecord) error
	})
	if c.Batch > 1 && !isBulk {
		return fmt.Errorf("this store has no bulk insert; use -batch 1")
	}
	var wg sync.WaitGroup
	errc := make(chan error, c.Workers)
	var done atomic.Int64
	start := time.Now()
	per := (c.Calls + c.Workers - 1) / c.Workers
	base := time.Date(2011, 12, 1, 0, 0, 0, 0, time.UTC)
	span := int64(2.5 * 365 * 24 * 3600)
	inmates := max(c.Calls/1000, 1)
	for w := range c.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := mrand.New(mrand.NewPCG(uint64(w), 7))
			batch := make([]*parley.CallRecord, 0, c.Batch)
			flush := func() error {
				var err error
				if c.Batch == 1 {
					err = store.CreateCall(ctx, batch[0])
				} else {
					err = bulk.CreateCalls(ctx, batch)
				}
				if n := done.Add(int64(len(batch))); n/1_000_000 != (n-int64(len(batch)))/1_000_000 {
					el := time.Since(start)
					fmt.Fprintf(out, "  %d records, %s, %.0f records/s\n", n, el.Round(time.Second), float64(n)/el.Seconds())
				}
				batch = batch[:0]
				return err
			}
			for i := w * per; i < min((w+1)*per, c.Calls); i++ {
				id := ""
				if c.IndexAfter {
					id = fmt.Sprintf("lg%014d", i) // appended to the primary key, not scattered
				}
				batch = append(batch, &parley.CallRecord{ID: id,
					FacilityID: facility, InmateID: fmt.Sprintf("I%07d", r.IntN(inmates)), InmateName: "Synthetic Person",
					Number: numbers[r.IntN(len(numbers))], StartedAt: base.Add(time.Duration(r.Int64N(span)) * time.Second),
					Duration: time.Duration(r.IntN(900)) * time.Second, Status: parley.CallCompleted,
					Recording: parley.RecordingNone, Source: "loadgen",
				})
				if len(batch) == c.Batch {
					if err := flush(); err != nil {
						errc <- err
						return
					}
				}
			}
			if len(batch) > 0 {
				if err := flush(); err != nil {
					errc <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	return <-errc
}

// summary formats mean, median and 99th percentile.
func summary(d []time.Duration) string {
	if len(d) == 0 {
		return "no samples"
	}
	slices.Sort(d)
	var sum time.Duration
	for _, x := range d {
		sum += x
	}
	return fmt.Sprintf("mean %s p50 %s p99 %s over %d", (sum / time.Duration(len(d))).Round(time.Microsecond),
		d[len(d)/2].Round(time.Microsecond), d[len(d)*99/100].Round(time.Microsecond), len(d))
}
