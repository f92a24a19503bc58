package main

import (
	"context"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/callpolicy"
	"parley.dev/parley/policy"
)

func init() {
	register("policy check", "policy check --facility ID --pin PIN --number NUMBER [--device ID] [--at RFC3339] [--region US] [--json]", runPolicyCheck)
}

// dryRun is the store of a policy check: it reads everything Decide reads, and records no
// wrong PIN, so an operator's test never locks an inmate or a phone.
type dryRun struct{ callpolicy.Store }

// SavePINState records nothing.
func (dryRun) SavePINState(context.Context, string, parley.PINSubject, parley.PINState) error {
	return nil
}

// decisionView is the --json form of a decision.
type decisionView struct {
	Allow       bool   `json:"allow"`
	Reason      string `json:"reason,omitempty"`
	Prompt      string `json:"prompt,omitempty"`
	MaxDuration string `json:"max_duration,omitempty"`
	MaxSeconds  int64  `json:"max_seconds,omitempty"`
	Limit       string `json:"limit,omitempty"`
}

// runPolicyCheck asks the call-policy engine what it would decide for a call placed with
// the PIN to the number at --at (default now), with no calls in progress: the operator's way
// to test rules before SIP is wired. It is a dry run: wrong PINs are not counted.
func runPolicyCheck(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("policy check")
	df := m.addDataFlags(fs)
	facility := fs.String("facility", "", "facility id")
	pinCode := fs.String("pin", "", "the PIN the inmate would enter")
	number := fs.String("number", "", "the number the inmate would dial")
	device := fs.String("device", "", "the phone the call would come from (its lockout is checked)")
	at := fs.String("at", "", "when, RFC 3339 (default: now)")
	region := fs.String("region", "US", "region for numbers without a country code")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if err := need("facility", *facility, "pin", *pinCode, "number", *number); err != nil {
		return err
	}
	now := m.Now()
	if *at != "" {
		t, err := time.Parse(time.RFC3339, *at)
		if err != nil {
			return usageError("--at must be RFC 3339, e.g. 2026-11-23T14:00:00-06:00")
		}
		now = t
	}
	return m.withEnv(ctx, df, func(ctx context.Context, e *env) error {
		if _, err := e.db.CallRules(ctx, *facility); err != nil {
			return err
		}
		svc := &callpolicy.Service{Store: dryRun{e.db}, Region: *region, Logger: e.logger}
		d, _, err := svc.Decide(ctx, *facility, *device, *pinCode, *number, now)
		if err != nil {
			return err
		}
		outcome := "refuse " + string(d.Reason)
		if d.Allow {
			outcome = "allow " + d.MaxDuration.String() + " (" + string(d.Limit) + ")"
		}
		if err := e.audit.Audit(ctx, parley.AuditEvent{Actor: parley.ActorFromContext(ctx), Action: "policy.check",
			Object: "facility:" + *facility, Outcome: parley.OutcomeOK, Detail: outcome}); err != nil {
			return err
		}
		if *asJSON {
			return m.writeJSON(viewDecision(d))
		}
		m.printf("%s\n", outcome)
		return nil
	})
}

func viewDecision(d policy.Decision) decisionView {
	v := decisionView{Allow: d.Allow, Reason: string(d.Reason), Prompt: d.Prompt, Limit: string(d.Limit)}
	if d.Allow {
		v.MaxDuration, v.MaxSeconds = d.MaxDuration.String(), int64(d.MaxDuration/time.Second)
	}
	return v
}
