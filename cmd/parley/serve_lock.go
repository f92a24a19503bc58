package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"time"

	"parley.dev/parley"
)

// errServing is the reason a second serve gives: parley runs one node per data directory
// and database until several nodes are supported (two would both run the refund and
// retention jobs, and both answer the same phones).
const errServing = "another parley serve is running on this %s (%s); stop it first (other parley commands work while it runs)"

// lockServe makes this the only serve of the data directory, with an OS lock on
// DATA/serve.lock, and, on PostgreSQL, of the database schema, with a session advisory
// lock on a connection of its own. Both are held until release is called (or the process
// ends: the OS and the server drop them with it).
func (e *env) lockServe(ctx context.Context) (release func(), err error) {
	const op = "serve.lock"
	path := filepath.Join(e.dataDir, "serve.lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, parley.WrapError(op, parley.KindUnavailable, err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		if errors.Is(err, errLocked) {
			return nil, parley.Errorf(op, parley.KindConflict, errServing, "data directory", path)
		}
		return nil, parley.WrapError(op, parley.KindUnavailable, err)
	}
	release = func() { f.Close() } // closing the file drops its lock
	if !e.postgres {
		return release, nil
	}
	conn, err := e.db.SQL().Conn(ctx)
	if err != nil {
		release()
		return nil, parley.WrapError(op, parley.KindUnavailable, err)
	}
	var got bool
	var schema string
	err = conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock(hashtext('parley serve ' || current_schema())), current_schema()`).Scan(&got, &schema)
	if err == nil && !got {
		err = parley.Errorf(op, parley.KindConflict, errServing, "database", "schema "+schema)
	}
	if err != nil {
		conn.Close()
		release()
		return nil, err
	}
	return func() {
		// Closing a database/sql connection returns it to the pool: unlock first (the
		// session's end, when the process dies, drops the lock too).
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, _ = conn.ExecContext(ctx, `SELECT pg_advisory_unlock(hashtext('parley serve ' || current_schema()))`)
		conn.Close()
		f.Close()
	}, nil
}
