package main

import (
	"context"
	"flag"
	"strconv"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/admin"
	"parley.dev/parley/phone"
)

func init() {
	register("contact allow", "contact allow --facility ID --inmate ID --number NUMBER [--max 10m] [--region US]", runContactAllow)
	register("contact remove", "contact remove --facility ID --inmate ID --number NUMBER [--region US]", runContactRemove)
	register("contact list", "contact list --facility ID --inmate ID [--json]", runContactList)
}

// contactFlags are the flags every contact command shares.
type contactFlags struct {
	df                       *dataFlags
	facility, inmate, number *string
	region                   *string
}

func (m *Main) contactFlags(name string, withNumber bool) (*contactFlags, *flag.FlagSet) {
	fs := m.flags(name)
	c := &contactFlags{df: m.addDataFlags(fs)}
	c.facility = fs.String("facility", "", "facility id")
	c.inmate = fs.String("inmate", "", "inmate id")
	if withNumber {
		c.number = fs.String("number", "", "phone number")
		c.region = fs.String("region", "US", "region for numbers without a country code")
	}
	return c, fs
}

// normalized checks the shared flags and returns the E.164 number (if the command takes one).
func (c *contactFlags) normalized() (parley.Number, error) {
	if err := need("facility", *c.facility, "inmate", *c.inmate); err != nil {
		return "", err
	}
	if c.number == nil {
		return "", nil
	}
	if err := need("number", *c.number); err != nil {
		return "", err
	}
	n, err := phone.Normalize(*c.number, *c.region)
	if err != nil {
		return "", flagError("--number", err)
	}
	return n, nil
}

// runContactAllow puts a number on an inmate's allowed list, optionally with its own
// call-length cap.
func runContactAllow(ctx context.Context, m *Main, args []string) error {
	c, fs := m.contactFlags("contact allow", true)
	maxLen := fs.Duration("max", 0, "longest call to this number, e.g. 10m (0: the facility's)")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	n, err := c.normalized()
	if err != nil {
		return err
	}
	if *maxLen < 0 || *maxLen > admin.MaxAllowedLength {
		return parley.Errorf("--max", parley.KindInvalid, "--max must be between 0 and 24h")
	}
	return m.withEnv(ctx, c.df, func(ctx context.Context, e *env) error {
		if err := e.admin(nil).AllowNumber(ctx, *c.facility, *c.inmate, n, *maxLen); err != nil {
			return err
		}
		m.printf("number %s allowed\n", n.Redacted())
		return nil
	})
}

// runContactRemove takes a number off an inmate's allowed list.
func runContactRemove(ctx context.Context, m *Main, args []string) error {
	c, fs := m.contactFlags("contact remove", true)
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	n, err := c.normalized()
	if err != nil {
		return err
	}
	return m.withEnv(ctx, c.df, func(ctx context.Context, e *env) error {
		if err := e.admin(nil).RemoveAllowed(ctx, *c.facility, *c.inmate, n); err != nil {
			return err
		}
		m.printf("number %s removed\n", n.Redacted())
		return nil
	})
}

// contactView is one line of 'contact list --json'.
type contactView struct {
	Number     string    `json:"number"`
	MaxSeconds int64     `json:"max_seconds,omitempty"`
	AddedAt    time.Time `json:"added_at"`
}

// runContactList prints an inmate's allowed numbers. Reading numbers is audited.
func runContactList(ctx context.Context, m *Main, args []string) error {
	c, fs := m.contactFlags("contact list", false)
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if _, err := c.normalized(); err != nil {
		return err
	}
	return m.withEnv(ctx, c.df, func(ctx context.Context, e *env) error {
		list, err := e.admin(nil).AllowedNumbers(ctx, *c.facility, *c.inmate)
		if err != nil {
			return err
		}
		views := make([]contactView, 0, len(list))
		rows := make([][]string, 0, len(list))
		for _, a := range list {
			views = append(views, contactView{Number: string(a.Number), MaxSeconds: int64(a.MaxCallLength / time.Second), AddedAt: a.AddedAt})
			maxCol := "-"
			if a.MaxCallLength > 0 {
				maxCol = a.MaxCallLength.String()
			}
			rows = append(rows, []string{string(a.Number), maxCol, a.AddedAt.Format(time.RFC3339)})
		}
		if *asJSON {
			return m.writeJSON(views)
		}
		if err := m.table([]string{"NUMBER", "MAX", "ADDED"}, rows); err != nil {
			return err
		}
		m.printf("%s number(s)\n", strconv.Itoa(len(list)))
		return nil
	})
}
