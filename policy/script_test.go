package policy

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"parley.dev/parley"
)

// Scenario files (testdata/*.txt) drive Evaluate line by line, in the manner of
// prometheus' promqltest. Blank lines and lines starting with '#' are ignored. Commands:
//
//	rules [tz=ZONE] [facility=ID] [max=DUR] [gap=DUR] [quota=DUR] [concurrent=N]
//	      [open=BOOL] [pin=N/DUR]     new rules (max defaults to 1h); clears hours and blocks
//	hours DAYS WINDOW...              e.g. "hours mon-fri 08:00-12:00 13:00-22:00", "hours all 00:00-24:00"
//	lockdown on [until=TIME] | off
//	block NUMBER | block-prefix PREFIX
//	self-block NUMBER all|here|FACILITY
//	inmate [max=DUR] [quota=DUR]      a new inmate state, PIN verified, no allowed numbers
//	no-inmate                         no inmate matched the PIN
//	allow NUMBER [max=DUR]            add to the allowed list
//	pin ok|bad                        whether the PIN entered matched
//	pin-fail [locked|unlocked]        RegisterPINFailure now, optionally checking the result
//	pin-reset                         ResetPINFailures
//	used DUR | last-call TIME|none | active [facility=N] [inmate=N]
//	at TIME [ZONE]                    TIME is 2006-01-02T15:04[:05], in ZONE (default UTC)
//	advance DUR                       move now on by real (elapsed) time
//	dial NUMBER
//	expect allow [max DUR] [limit LIMIT] | expect refuse REASON | expect invalid FIELD
//
// TIMEs in lockdown and last-call are in the zone of the last "at".
type script struct {
	t     *testing.T
	pos   string
	facts Facts
	zone  *time.Location
}

func TestScenarios(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenario files: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) { runScript(t, file) })
	}
}

func runScript(t *testing.T, file string) {
	fh, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	s := &script{t: t, zone: time.UTC}
	s.reset()
	sc := bufio.NewScanner(fh)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		s.pos = fmt.Sprintf("%s:%d", file, line)
		if err := s.exec(strings.Fields(text)); err != nil {
			t.Fatalf("%s: %q: %v", s.pos, text, err)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
}

func (s *script) reset() {
	s.facts.Rules = Rules{FacilityID: "fac-1", MaxCallLength: time.Hour}
}

func (s *script) exec(f []string) error {
	cmd, args := f[0], f[1:]
	in := s.facts.Inmate
	needInmate := func() error {
		if in == nil {
			return fmt.Errorf("%s needs an inmate", cmd)
		}
		return nil
	}
	r := &s.facts.Rules
	switch cmd {
	case "rules":
		s.reset()
		return s.options(args, map[string]func(string) error{
			"tz":         func(v string) error { r.Timezone = v; return nil },
			"facility":   func(v string) error { r.FacilityID = v; return nil },
			"max":        durOpt(&r.MaxCallLength),
			"gap":        durOpt(&r.MinGap),
			"quota":      durOpt(&r.MonthlyQuota),
			"concurrent": intOpt(&r.MaxConcurrent),
			"open":       func(v string) (err error) { r.OpenDialing, err = strconv.ParseBool(v); return err },
			"pin": func(v string) error {
				n, d, _ := strings.Cut(v, "/")
				if err := intOpt(&r.PINMaxFailures)(n); err != nil {
					return err
				}
				return durOpt(&r.PINLockout)(d)
			},
		})
	case "hours":
		if len(args) < 2 {
			return fmt.Errorf("usage: hours DAYS WINDOW...")
		}
		days, err := parseDays(args[0])
		if err != nil {
			return err
		}
		for _, a := range args[1:] {
			w, err := ParseWindow(a)
			if err != nil {
				return err
			}
			for _, d := range days {
				r.Hours[d] = append(r.Hours[d], w)
			}
		}
	case "lockdown":
		r.Lockdown, r.LockdownUntil = len(args) > 0 && args[0] == "on", time.Time{}
		if len(args) > 1 {
			return s.options(args[1:], map[string]func(string) error{"until": s.timeOpt(&r.LockdownUntil)})
		}
	case "block":
		r.BlockedNumbers = append(r.BlockedNumbers, parley.Number(arg(args, 0)))
	case "block-prefix":
		r.BlockedPrefixes = append(r.BlockedPrefixes, arg(args, 0))
	case "self-block":
		scope := arg(args, 1)
		switch scope {
		case "all":
			scope = ""
		case "here":
			scope = r.FacilityID
		}
		s.facts.SelfBlocks = append(s.facts.SelfBlocks, SelfBlock{Number: parley.Number(arg(args, 0)), FacilityID: scope})
	case "inmate":
		s.facts.Inmate, s.facts.PINVerified = &Inmate{ID: "inm-1"}, true
		return s.options(args, map[string]func(string) error{
			"max":   durOpt(&s.facts.Inmate.MaxCallLength),
			"quota": durOpt(&s.facts.Inmate.MonthlyQuota),
		})
	case "no-inmate":
		s.facts.Inmate = nil
	case "allow":
		if err := needInmate(); err != nil {
			return err
		}
		a := AllowedNumber{Number: parley.Number(arg(args, 0))}
		in.Allowed = append(in.Allowed, a)
		return s.options(args[1:], map[string]func(string) error{"max": durOpt(&in.Allowed[len(in.Allowed)-1].MaxCallLength)})
	case "pin":
		s.facts.PINVerified = arg(args, 0) == "ok"
	case "pin-fail":
		if err := needInmate(); err != nil {
			return err
		}
		next, locked := RegisterPINFailure(*in, s.facts.Now, *r)
		*in = next
		if want := arg(args, 0); want != "" && (want == "locked") != locked {
			return fmt.Errorf("RegisterPINFailure: locked = %v, want %s", locked, want)
		}
	case "pin-reset":
		if err := needInmate(); err != nil {
			return err
		}
		*in = ResetPINFailures(*in)
	case "used":
		return durOpt(&s.facts.UsedThisMonth)(arg(args, 0))
	case "last-call":
		if arg(args, 0) == "none" {
			s.facts.LastCallEnd = time.Time{}
			return nil
		}
		return s.timeOpt(&s.facts.LastCallEnd)(arg(args, 0))
	case "active":
		return s.options(args, map[string]func(string) error{
			"facility": intOpt(&s.facts.FacilityActive),
			"inmate":   intOpt(&s.facts.InmateActive),
		})
	case "at":
		s.zone = time.UTC
		if len(args) > 1 {
			loc, err := time.LoadLocation(args[1])
			if err != nil {
				return err
			}
			s.zone = loc
		}
		return s.timeOpt(&s.facts.Now)(arg(args, 0))
	case "advance":
		var d time.Duration
		if err := durOpt(&d)(arg(args, 0)); err != nil {
			return err
		}
		s.facts.Now = s.facts.Now.Add(d)
	case "dial":
		s.facts.Dialed = parley.Number(arg(args, 0))
	case "expect":
		return s.expect(args)
	default:
		return fmt.Errorf("unknown command %q", cmd)
	}
	return nil
}

func (s *script) expect(args []string) error {
	switch arg(args, 0) {
	case "invalid":
		err := s.facts.Validate()
		if !parley.IsKind(err, parley.KindInvalid) || !strings.Contains(err.Error(), arg(args, 1)+":") {
			return fmt.Errorf("Validate() = %v, want KindInvalid naming %s", err, arg(args, 1))
		}
		return nil
	case "allow", "refuse":
	default:
		return fmt.Errorf("usage: expect allow|refuse|invalid ...")
	}
	d := Evaluate(s.facts)
	if arg(args, 0) == "refuse" {
		want := Reason(arg(args, 1))
		if d.Allow || d.Reason != want || d.Prompt != "refused_"+string(want) || d.MaxDuration != 0 {
			return fmt.Errorf("got %+v, want refusal %s", d, want)
		}
		return nil
	}
	if !d.Allow || d.Reason != ReasonNone || d.Prompt != "" {
		return fmt.Errorf("got %+v, want allow", d)
	}
	for i := 1; i+1 < len(args); i += 2 {
		switch args[i] {
		case "max":
			var want time.Duration
			if err := durOpt(&want)(args[i+1]); err != nil {
				return err
			}
			if d.MaxDuration != want {
				return fmt.Errorf("MaxDuration = %s (%s), want %s", d.MaxDuration, d.Limit, want)
			}
		case "limit":
			if string(d.Limit) != args[i+1] {
				return fmt.Errorf("Limit = %s, want %s", d.Limit, args[i+1])
			}
		default:
			return fmt.Errorf("unknown expectation %q", args[i])
		}
	}
	return nil
}

// options applies key=value arguments.
func (s *script) options(args []string, set map[string]func(string) error) error {
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		fn := set[k]
		if !ok || fn == nil {
			return fmt.Errorf("unknown option %q", a)
		}
		if err := fn(v); err != nil {
			return fmt.Errorf("%s: %v", k, err)
		}
	}
	return nil
}

func (s *script) timeOpt(dst *time.Time) func(string) error {
	return func(v string) error {
		for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05"} {
			if t, err := time.ParseInLocation(layout, v, s.zone); err == nil {
				*dst = t
				return nil
			}
		}
		return fmt.Errorf("bad time %q", v)
	}
}

func durOpt(dst *time.Duration) func(string) error {
	return func(v string) (err error) { *dst, err = time.ParseDuration(v); return err }
}

func intOpt(dst *int) func(string) error {
	return func(v string) (err error) { *dst, err = strconv.Atoi(v); return err }
}

func arg(args []string, i int) string {
	if i < len(args) {
		return args[i]
	}
	return ""
}

var dayAbbrev = map[string]time.Weekday{"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}

// parseDays parses "all", "mon", "mon-fri", "sat,sun" or "fri-mon" (wrapping).
func parseDays(s string) ([]time.Weekday, error) {
	if s == "all" {
		s = "sun-sat"
	}
	var out []time.Weekday
	for part := range strings.SplitSeq(s, ",") {
		a, b, isRange := strings.Cut(part, "-")
		from, ok1 := dayAbbrev[a]
		to, ok2 := dayAbbrev[b]
		if !isRange {
			to, ok2 = from, true
		}
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("bad days %q", s)
		}
		for d := from; ; d = (d + 1) % 7 {
			out = append(out, d)
			if d == to {
				break
			}
		}
	}
	return out, nil
}
