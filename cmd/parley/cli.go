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

	// settings are serve's resolved settings by environment variable (see settings.go).
	settings map[string]string
	// metrics, set by serve, are given to the services openEnv builds.
	metrics *serveMetrics
	// checkOnly makes serve print its effective settings and stop (`config check`).
	checkOnly bool
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

// Run runs the command named by args and returns the process exit status. An error is
// printed as exactly one line on stderr, "parley: reason" (a usage error names the
// command's --help, it does not print the usage); only a request for help ("parley help",
// "parley --help", "parley CMD --help") prints the full usage, on stdout.
func (m *Main) Run(ctx context.Context, args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(m.Stderr, "parley: no command given (parley --help lists them)")
		return 2
	}
	if len(args) == 1 && isHelp(args[0]) {
		m.usage()
		return 0
	}
	if len(args) == 1 && (args[0] == "--version" || args[0] == "-version") {
		args = []string{"version"}
	}
	name, rest, ok := m.lookup(args)
	if !ok {
		fmt.Fprintf(m.Stderr, "parley: %s\n", unknownCommand(args))
		return 2
	}
	err := commands[name].run(ctx, m, rest)
	var help *helpRequest
	switch {
	case err == nil:
		return 0
	case errors.As(err, &help):
		fmt.Fprintf(m.Stdout, "usage: parley %s\n", commands[name].usage)
		if help.flags != "" {
			fmt.Fprintf(m.Stdout, "\nflags:\n%s", help.flags)
		}
		return 0
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprintf(m.Stdout, "usage: parley %s\n", commands[name].usage)
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(m.Stderr, "parley: %s (see: parley %s --help)\n", oneLine(err), name)
		return 2
	default:
		m.logFailure(ctx, name, err)
		fmt.Fprintf(m.Stderr, "parley: %s\n", oneLine(err))
		return 1
	}
}

// logFailure logs the whole error, operations and wrapped causes, when the line shown to
// the person is only a sentence for its kind (an internal error, the database or the audit
// log unavailable, an integrity failure): the operator needs the detail, the screen does not.
func (m *Main) logFailure(ctx context.Context, name string, err error) {
	switch parley.ErrorKind(err) {
	case parley.KindInternal, parley.KindUnavailable, parley.KindIntegrity:
		if hiddenCause(err) {
			m.logger().ErrorContext(ctx, "command failed", "command", name, "err", err)
		}
	}
}

// hiddenCause reports whether err's chain wraps something the person's line leaves out: a
// cause that is not a *parley.Error (a driver's or the system's error) under one that is.
func hiddenCause(err error) bool {
	var pe *parley.Error
	for errors.As(err, &pe) {
		if pe.Err == nil {
			return false
		}
		var inner *parley.Error
		if !errors.As(pe.Err, &inner) {
			return true
		}
		err = pe.Err
	}
	return false
}

func isHelp(arg string) bool {
	return arg == "help" || arg == "-h" || arg == "-help" || arg == "--help"
}

// unknownCommand is the one-line reason for args that name no command: the verbs of a
// known group, or a pointer to the list.
func unknownCommand(args []string) string {
	var verbs []string
	for n := range commands {
		if group, verb, ok := strings.Cut(n, " "); ok && group == args[0] {
			verbs = append(verbs, verb)
		}
	}
	if len(verbs) > 0 {
		sort.Strings(verbs)
		return fmt.Sprintf("parley %s needs one of: %s", args[0], strings.Join(verbs, ", "))
	}
	return fmt.Sprintf("unknown command %q (parley --help lists them)", args[0])
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

// usage prints every command's usage line on stdout: it is only printed when asked for.
func (m *Main) usage() {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(m.Stdout, "usage: parley COMMAND [flags]\n\ncommands:")
	for _, n := range names {
		fmt.Fprintf(m.Stdout, "  parley %s\n", commands[n].usage)
	}
}

// oneLine flattens an error to the single line shown to the person: its messages
// (parley.ErrorMessage), never the operations or the internal notes they wrap.
func oneLine(err error) string {
	if errors.Is(err, errUsage) {
		s := err.Error()
		return strings.TrimSuffix(strings.TrimSuffix(s, errUsage.Error()), ": ")
	}
	return strings.Join(strings.Fields(parley.ErrorMessage(err)), " ")
}

// usageError returns an error that makes Run print its reason, name the command's --help
// and exit 2.
func usageError(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), errUsage)
}

// helpRequest is returned by parse for -h or --help: Run prints the command's usage line
// and these flag defaults on stdout and exits 0.
type helpRequest struct{ flags string }

func (h *helpRequest) Error() string { return "help requested" }
func (h *helpRequest) Unwrap() error { return flag.ErrHelp }

// flags returns a FlagSet that reports errors through Run rather than exiting or printing:
// the flag package would otherwise print the error and the whole usage.
func (m *Main) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parse parses args and rejects positional arguments beyond want.
func parse(fs *flag.FlagSet, args []string, want int) ([]string, error) {
	// Allow flags after positional arguments ("recordings get ID --out F").
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				var b strings.Builder
				fs.SetOutput(&b)
				fs.PrintDefaults()
				fs.SetOutput(io.Discard)
				return nil, &helpRequest{flags: b.String()}
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

// logger returns the structured logger on stderr, never carrying personal data: the level
// and format of --log-level and --log-format (serve) or PARLEY_LOG_LEVEL and
// PARLEY_LOG_FORMAT (every command); info and text when unset or unknown.
func (m *Main) logger() *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(m.setting("PARLEY_LOG_LEVEL"))); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if strings.EqualFold(m.setting("PARLEY_LOG_FORMAT"), "json") {
		return slog.New(slog.NewJSONHandler(m.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(m.Stderr, opts))
}

// choiceFlag is a string flag that takes one of a few values.
type choiceFlag struct {
	value   string
	choices []string
}

func (c *choiceFlag) String() string { return c.value }

func (c *choiceFlag) Set(v string) error {
	for _, ok := range c.choices {
		if strings.EqualFold(v, ok) {
			c.value = ok
			return nil
		}
	}
	return fmt.Errorf("must be one of %s", strings.Join(c.choices, ", "))
}

// actorContext marks the context with the operator who runs the command, for audit events.
func (m *Main) actorContext(ctx context.Context) context.Context {
	user := m.Getenv("USER")
	if user == "" {
		user = "operator"
	}
	return parley.NewContextWithActor(ctx, "cli:"+user)
}

// flagSet reports whether the flag name was given on the command line (not just left at
// its default).
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
