// Command parley is the single binary of parley: the server (`parley serve`) and the
// operator's commands (facilities, inmates, the privilege registry, call records,
// recordings, imports, retention, keys and the audit log).
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first signal stops the command (serve drains); a second one ends the process at
	// once, as without a handler.
	context.AfterFunc(ctx, stop)
	code := NewMain().Run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}
