package main

import (
	"context"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/phone"
	"parley.dev/parley/records"
)

func init() {
	register("calls search", "calls search [--number NUMBER] [--inmate ID] [--facility ID] (at least one of these three) [--from RFC3339] [--to RFC3339] [--limit N] [--purpose TEXT] [--case ID] [--json]", runCallsSearch)
}

// callView is the --json shape of a call record.
type callView struct {
	ID          string `json:"id"`
	FacilityID  string `json:"facility_id"`
	InmateID    string `json:"inmate_id"`
	InmateName  string `json:"inmate_name"`
	DeviceID    string `json:"device_id,omitempty"`
	Number      string `json:"number"`
	StartedAt   string `json:"started_at"`
	Seconds     int64  `json:"duration_seconds"`
	Status      string `json:"status"`
	Reason      string `json:"reason,omitempty"`
	Privileged  bool   `json:"privileged"`
	Recording   string `json:"recording"`
	RecordingID string `json:"recording_id,omitempty"`
	Source      string `json:"source,omitempty"`
	// Money, set by billing when the call ends.
	ChargeCents   int64  `json:"charge_cents"`
	CreditReason  string `json:"credit_reason,omitempty"`
	PayingAccount string `json:"paying_account,omitempty"`
}

func viewCall(c *parley.CallRecord) callView {
	return callView{ID: c.ID, FacilityID: c.FacilityID, InmateID: c.InmateID, InmateName: c.InmateName,
		DeviceID: c.DeviceID, Number: string(c.Number), StartedAt: c.StartedAt.UTC().Format(time.RFC3339),
		Seconds: int64(c.Duration / time.Second), Status: string(c.Status), Reason: c.Reason,
		Privileged: c.Privileged, Recording: string(c.Recording), RecordingID: c.RecordingID, Source: c.Source,
		ChargeCents: c.ChargeCents, CreditReason: c.CreditReason, PayingAccount: c.PayingAccount}
}

func runCallsSearch(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("calls search")
	df := m.addDataFlags(fs)
	raw := fs.String("number", "", "called number")
	inmate := fs.String("inmate", "", "inmate id")
	facility := fs.String("facility", "", "facility id (default: every facility for --inmate)")
	from := fs.String("from", "", "calls started at or after (RFC 3339)")
	to := fs.String("to", "", "calls started before (RFC 3339)")
	limit := fs.Int("limit", 0, "at most this many records (capped at 1000)")
	purpose := fs.String("purpose", "operator query", "why the records are read (audited)")
	caseID := fs.String("case", "", "case number (audited)")
	region := fs.String("region", "US", "region for numbers without a country code")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if *raw == "" && *inmate == "" && *facility == "" {
		return usageError("give at least one of --number, --inmate or --facility")
	}
	var f parley.CallFilter
	var err error
	if *raw != "" {
		if f.Number, err = phone.Normalize(*raw, *region); err != nil {
			return err
		}
	}
	if f.From, err = parseTime("from", *from); err != nil {
		return err
	}
	if f.To, err = parseTime("to", *to); err != nil {
		return err
	}
	f.Limit, f.InmateID, f.FacilityID = *limit, *inmate, *facility
	return m.withEnv(ctx, df, func(ctx context.Context, e *env) error {
		if f.FacilityID != "" {
			// An unknown facility is a mistake, not a facility without calls.
			if _, err := e.store.FindFacility(ctx, f.FacilityID); parley.IsKind(err, parley.KindNotFound) {
				return parley.Errorf("calls search", parley.KindNotFound, "facility %q not found", f.FacilityID)
			} else if err != nil {
				return err
			}
		}
		filters := []parley.CallFilter{f}
		if f.InmateID != "" && f.FacilityID == "" {
			// Inmate ids are unique per facility: search each facility.
			all, err := e.store.ListFacilities(ctx)
			if err != nil {
				return err
			}
			filters = filters[:0]
			for _, fac := range all {
				g := f
				g.FacilityID = fac.ID
				filters = append(filters, g)
			}
		}
		var found []*parley.CallRecord
		for _, g := range filters {
			calls, err := e.searcher.Search(ctx, records.Query{Filter: g, Purpose: *purpose, Case: *caseID})
			if err != nil {
				return err
			}
			found = append(found, calls...)
		}
		views := make([]callView, 0, len(found))
		for _, c := range found {
			views = append(views, viewCall(c))
		}
		if *asJSON {
			return m.writeJSON(views)
		}
		var rows [][]string
		for _, v := range views {
			rows = append(rows, []string{v.ID, v.StartedAt, v.FacilityID, v.InmateID, v.Number,
				(time.Duration(v.Seconds) * time.Second).String(), v.Status, v.Recording})
		}
		return m.table([]string{"ID", "STARTED", "FACILITY", "INMATE", "NUMBER", "DURATION", "STATUS", "RECORDING"}, rows)
	})
}

func parseTime(name, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, usageError("--%s must be an RFC 3339 time like 2026-01-02T15:04:05Z", name)
	}
	return t, nil
}
