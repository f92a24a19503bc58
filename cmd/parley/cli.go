package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"
	"time"

	"parley.dev/parley"
)

// Main runs one parley command. Tests drive it directly with their own streams, environment
// and clock.
type Main struct {
	Stdout, Stderr io.Writer
	Stdin          io.Reader
	Getenv         func(string) string
	Now            func() time.Time
	// Ready, if set, receives the HTTP address once `serve` listens.
	Ready chan<- string
	// SIPReady, if set, receives the SIP UDP address once `serve --sip` listens (after Ready).
	SIPReady chan<- string
	// CodeSender, if set, delivers phone verification codes for `serve` (tests set a fake).
	// Unset, serve has no sender until a SIP one exists, and says verification is unavailable.
	CodeSender parley.CodeSender
}

// NewMain returns a Main wired to the process's streams and environment.
func NewMain() *Main {
	return &Main{Stdout: os.Stdout, Stderr: os.Stderr, Stdin: os.Stdin, Getenv: os.Getenv, Now: time.Now}
}

// command is one subcommand: its usage line and the function that runs it.
type command struct {
	usage string
	run   func(ctx context.Context, m *Main, args []string) error
}

// commands maps "group verb" (or a lone word) to its implementation; each lives in its own
// file.
var commands = map[string]command{}

func register(name, usage string, run func(ctx context.Context, m *Main, args []string) error) {
	commands[name] = command{usage: usage, run: run}
}

// errUsage marks a usage error: exit status 2.
var errUsage = errors.New("usage")

// Run runs the command named by args and returns the process exit status. Errors are
// printed as one line, "parley: reason".
func (m *Main) Run(ctx context.Context, args []string) int {
	name, rest, ok := m.lookup(args)
	if !ok {
		m.usage()
		return 2
	}
	err := commands[name].run(ctx, m, rest)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(m.Stderr, "parley: %s\nusage: parley %s\n", oneLine(err), commands[name].usage)
		return 2
	default:
		fmt.Fprintf(m.Stderr, "parley: %s\n", oneLine(err))
		return 1
	}
}

func (m *Main) lookup(args []string) (string, []string, bool) {
	if len(args) >= 2 {
		if _, ok := commands[args[0]+" "+args[1]]; ok {
			return args[0] + " " + args[1], args[2:], true
		}
	}
	if len(args) >= 1 {
		if _, ok := commands[args[0]]; ok {
			return args[0], args[1:], true
		}
	}
	return "", nil, false
}

func (m *Main) usage() {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(m.Stderr, "usage: parley COMMAND [flags]\n\ncommands:")
	for _, n := range names {
		fmt.Fprintf(m.Stderr, "  parley %s\n", commands[n].usage)
	}
}

// oneLine flattens an error to a single line.
func oneLine(err error) string {
	if errors.Is(err, errUsage) {
		s := err.Error()
		return strings.TrimSuffix(strings.TrimSuffix(s, errUsage.Error()), ": ")
	}
	return strings.Join(strings.Fields(err.Error()), " ")
}

// usageError returns an error that makes Run print the usage line and exit 2.
func usageError(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), errUsage)
}

// flags returns a FlagSet that reports errors through Run rather than exiting.
func (m *Main) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parse parses args and rejects positional arguments beyond want.
func parse(fs *flag.FlagSet, args []string, want int) ([]string, error) {
	// Allow flags after positional arguments ("recordings get ID --out F").
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError("%v", err)
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	if len(pos) != want {
		return nil, usageError("expected %d argument(s), got %d", want, len(pos))
	}
	return pos, nil
}

// logger returns the structured logger: text on stderr, never carrying personal data.
func (m *Main) logger() *slog.Logger {
	level := slog.LevelInfo
	if strings.EqualFold(m.Getenv("PARLEY_LOG_LEVEL"), "debug") {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(m.Stderr, &slog.HandlerOptions{Level: level}))
}

// actorContext marks the context with the operator who runs the command, for audit events.
func (m *Main) actorContext(ctx context.Context) context.Context {
	user := m.Getenv("USER")
	if user == "" {
		user = "operator"
	}
	return parley.NewContextWithActor(ctx, "cli:"+user)
}
