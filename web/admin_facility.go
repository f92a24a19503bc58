package web

import (
	"context"
	"net/http"
	"net/netip"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/admin"
	"parley.dev/parley/authz"
	"parley.dev/parley/policy"
)

// staffTitles name the staff pages.
var staffTitles = map[string]string{
	"facility": "Facility", "inmates": "Inmates", "inmate": "Inmate", "blocks": "Blocks",
	"staff": "Staff and grants", "live": "Calls in progress", "end_call": "End a call",
}

// staffPages are the GET pages under /facilities/{id}.
var staffPages = map[string]staffPage{
	"facility": {path: "", action: authz.ManageFacility, build: buildFacility},
	"inmates":  {path: "/inmates", action: authz.ManageInmates, build: buildInmates},
	"inmate":   {path: "/inmates/{inmate}", action: authz.ManageInmates, build: buildInmate},
	"blocks":   {path: "/blocks", action: authz.ManageBlocks, build: buildBlocks},
	"staff":    {path: "/staff", action: authz.ManageStaff, build: buildStaff},
	"live":     {path: "/live", action: authz.ViewLiveCalls, build: buildLive},
	// The confirmation before a call is ended (no script can ask: the page is the question).
	"end_call": {path: "/live/{call}/end", action: authz.EndCall, build: buildEndCall, pageOnly: true},
}

// staffAPIReads are GET API routes under /api/v1/facilities/{id} with no page of their
// own: what they show is on a page already (the devices on the facility page).
var staffAPIReads = map[string]staffPage{
	"/devices": {action: authz.ManageFacility, build: buildDevices},
}

// staffOps are the state changes under /facilities/{id}.
var staffOps = []staffOp{
	{path: "/rules", action: authz.ManageFacility, page: "facility", run: opRules,
		fields: []string{"hours", "max_call", "min_gap", "monthly_quota", "max_concurrent", "open_dialing", "pin_failures", "pin_lockout"}},
	{path: "/lockdown", action: authz.ManageFacility, page: "facility", run: opLockdown, fields: []string{"lockdown"}},
	{path: "/rates", action: authz.ManageFacility, page: "facility", run: opRates, fields: []string{"audio", "video", "from"}},
	{path: "/retention", action: authz.ManageFacility, page: "facility", run: opRetention, fields: []string{"days", "class"}},
	{path: "/gateways", action: authz.ManageFacility, page: "facility", run: opGateway, fields: []string{"op", "addr"}},
	{path: "/devices", action: authz.ManageFacility, page: "facility", run: opDevice, fields: []string{"device", "name", "do_not_record"}},
	{path: "/devices/{device}/remove", action: authz.ManageFacility, page: "facility", run: opDeviceRemove, fields: []string{}},
	{path: "/phones", action: authz.ManageFacility, page: "facility", run: opPhone, fields: []string{"op", "user", "password", "digest"}},
	{path: "/holds", action: authz.ManageFacility, page: "facility", run: opHold, fields: []string{"op", "recording", "reason"}},
	{path: "/inmates", action: authz.ManageInmates, page: "inmates", run: opInmateAdd, fields: []string{"inmate", "name", "pin", "do_not_record"}},
	{path: "/inmates/{inmate}/pin", action: authz.ManageInmates, page: "inmate", run: opInmatePIN, fields: []string{"pin"}},
	{path: "/inmates/{inmate}/do-not-record", action: authz.ManageInmates, page: "inmate", run: opInmateDNR, fields: []string{"do_not_record"}},
	{path: "/inmates/{inmate}/allowed", action: authz.ManageInmates, page: "inmate", run: opAllowed, fields: []string{"op", "number", "max"}},
	{path: "/blocks", action: authz.ManageBlocks, page: "blocks", run: opBlock, fields: []string{"op", "number", "prefix"}},
	{path: "/staff", action: authz.ManageStaff, page: "staff", run: opUserAdd, fields: []string{"name", "role", "scope"}},
	{path: "/staff/{user}/account", action: authz.ManageStaff, page: "staff", run: opAccount, fields: []string{"op"}},
	{path: "/grants", action: authz.ManageStaff, page: "staff", run: opGrant, fields: []string{"op", "user", "hours", "reason", "grant"}},
	{path: "/live/{call}/end", action: authz.EndCall, page: "live", errPage: "end_call", run: opEndCall, fields: []string{"reason"}},
}

// facilityPage is a facility's settings: call rules, lockdown, rates with the caps in
// force, retention, trusted gateways, registering phones and the devices behind the
// gateways.
type facilityPage struct {
	ID            string          `json:"id"`
	Name          string          `json:"name"`
	Type          string          `json:"type"`
	ADP           int             `json:"adp"`
	Timezone      string          `json:"timezone"`
	Rules         *rulesJSON      `json:"rules"` // nil: no rules yet, every call is refused
	Rates         admin.RatesView `json:"rates"`
	RetentionDays int             `json:"retention_days"`
	ClassDays     map[string]int  `json:"class_retention_days,omitempty"`
	Gateways      []string        `json:"gateways"`
	Phones        []phoneJSON     `json:"phones"`
	Devices       []deviceJSON    `json:"devices"`
}

// deviceJSON is a device behind a gateway; ids and names are not personal data.
type deviceJSON struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	DoNotRecord bool   `json:"do_not_record"`
	AddedAt     string `json:"added_at"`
}

// devicesJSON lists a facility's devices, reading them through admin (audited).
func devicesJSON(ctx context.Context, s *Server, fac string) ([]deviceJSON, error) {
	ds, err := s.c.Admin.ListDevices(ctx, fac)
	if err != nil {
		return nil, err
	}
	out := make([]deviceJSON, 0, len(ds))
	for _, d := range ds {
		out = append(out, deviceJSON{ID: d.ID, Name: d.Name, DoNotRecord: d.DoNotRecord, AddedAt: d.CreatedAt.UTC().Format(time.RFC3339)})
	}
	return out, nil
}

// buildDevices is GET /api/v1/facilities/{id}/devices.
func buildDevices(ctx context.Context, s *Server, p *principal, r *http.Request, fac string) (any, error) {
	ds, err := devicesJSON(ctx, s, fac)
	if err != nil {
		return nil, err
	}
	return map[string]any{"devices": ds}, nil
}

// phoneJSON is a registering phone; its digest hashes are never shown.
type phoneJSON struct {
	User    string `json:"user"`
	Digest  string `json:"digest"` // the algorithms it is challenged with: sha256, md5 or sha256,md5
	AddedAt string `json:"added_at"`
}

type rulesJSON struct {
	Hours          string `json:"hours"`
	MaxCall        string `json:"max_call"`
	MinGap         string `json:"min_gap"`
	MonthlyQuota   string `json:"monthly_quota"`
	MaxConcurrent  int    `json:"max_concurrent"`
	OpenDialing    bool   `json:"open_dialing"`
	Lockdown       bool   `json:"lockdown"`
	PINMaxFailures int    `json:"pin_failures"`
	PINLockout     string `json:"pin_lockout"`
}

func viewRulesJSON(r policy.Rules) *rulesJSON {
	return &rulesJSON{Hours: admin.FormatHours(r.Hours), MaxCall: r.MaxCallLength.String(), MinGap: r.MinGap.String(),
		MonthlyQuota: r.MonthlyQuota.String(), MaxConcurrent: r.MaxConcurrent, OpenDialing: r.OpenDialing,
		Lockdown: r.Lockdown, PINMaxFailures: r.PINMaxFailures, PINLockout: r.PINLockout.String()}
}

func buildFacility(ctx context.Context, s *Server, p *principal, r *http.Request, fac string) (any, error) {
	a := s.c.Admin
	f, err := a.Store.FindFacility(ctx, fac)
	if err != nil {
		return nil, err
	}
	out := facilityPage{ID: f.ID, Name: f.Name, Type: string(f.Type), ADP: f.ADP, Timezone: f.Timezone,
		RetentionDays: f.RetentionFor(""), Gateways: []string{}}
	if f.Timezone == "" {
		out.Timezone = "UTC"
	}
	if len(f.ClassRetentionDays) > 0 {
		out.ClassDays = map[string]int{}
		for c, d := range f.ClassRetentionDays {
			out.ClassDays[string(c)] = d
		}
	}
	rules, err := a.Rules.CallRules(ctx, fac)
	switch {
	case err == nil:
		out.Rules = viewRulesJSON(rules)
	case !parley.IsKind(err, parley.KindNotFound):
		return nil, err
	}
	if out.Rates, err = a.ShowRates(ctx, fac, time.Time{}); err != nil {
		return nil, err
	}
	gws, err := a.Store.ListGateways(ctx, fac)
	if err != nil {
		return nil, err
	}
	for _, g := range gws {
		out.Gateways = append(out.Gateways, g.Addr)
	}
	phones, err := a.Store.ListPhones(ctx, fac)
	if err != nil {
		return nil, err
	}
	out.Phones = []phoneJSON{}
	for _, p := range phones {
		out.Phones = append(out.Phones, phoneJSON{User: p.Username, Digest: p.Digest, AddedAt: p.AddedAt.UTC().Format(time.RFC3339)})
	}
	if out.Devices, err = devicesJSON(ctx, s, fac); err != nil {
		return nil, err
	}
	return out, nil
}

func opRules(ctx context.Context, s *Server, p *principal, r *http.Request, fac string, in input) (any, string, error) {
	var c admin.RulesChange
	var err error
	if h := in.str("hours"); h != "" {
		wk, err := admin.ParseHours(h)
		if err != nil {
			return nil, "", err
		}
		c.Hours = &wk
	}
	for _, d := range []struct {
		name, label string
		dst         **time.Duration
		max         time.Duration
	}{{"max_call", "maximum call length", &c.MaxCall, policy.MaxCallCeiling}, {"min_gap", "least gap between calls", &c.MinGap, 24 * time.Hour},
		{"monthly_quota", "monthly quota", &c.MonthlyQuota, 31 * 24 * time.Hour}, {"pin_lockout", "PIN lockout", &c.PINLockout, 7 * 24 * time.Hour}} {
		if *d.dst, err = optDuration(in, d.name, d.label, d.max); err != nil {
			return nil, "", err
		}
	}
	if c.MaxConcurrent, err = optInt(in, "max_concurrent", "most calls at once", 0, 100000); err != nil {
		return nil, "", err
	}
	if c.PINMaxFailures, err = optInt(in, "pin_failures", "wrong PINs before a lockout", 0, 100); err != nil {
		return nil, "", err
	}
	if c.OpenDialing, err = optBool(in, "open_dialing", "open dialing"); err != nil {
		return nil, "", err
	}
	rules, err := s.c.Admin.SetRules(ctx, fac, c)
	if err != nil {
		return nil, "", err
	}
	return viewRulesJSON(rules), "Call rules saved.", nil
}

func opLockdown(ctx context.Context, s *Server, p *principal, r *http.Request, fac string, in input) (any, string, error) {
	on, err := optBool(in, "lockdown", "lockdown")
	if err == nil && on == nil {
		err = parley.Errorf("web.lockdown", parley.KindInvalid, "lockdown must be on or off")
	}
	if err != nil {
		return nil, "", err
	}
	rules, err := s.c.Admin.SetRules(ctx, fac, admin.RulesChange{Lockdown: on})
	if err != nil {
		return nil, "", err
	}
	msg := "Lockdown lifted: calls follow the rules again."
	if *on {
		msg = "Lockdown on: every call is refused."
	}
	return viewRulesJSON(rules), msg, nil
}

func opRates(ctx context.Context, s *Server, p *principal, r *http.Request, fac string, in input) (any, string, error) {
	var day time.Time
	if v := in.str("from"); v != "" {
		d, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return nil, "", parley.Errorf("web.rates", parley.KindInvalid, "first day must be a date like 2026-11-23")
		}
		day = d
	}
	lines, day, err := s.c.Admin.SetRates(ctx, admin.RateRequest{FacilityID: fac, Audio: in.str("audio"), Video: in.str("video"), Day: day})
	if err != nil {
		return nil, "", err
	}
	return map[string]any{"from": day.Format(time.DateOnly), "rates": lines}, "Rates set from " + day.Format(time.DateOnly) + ".", nil
}

func opRetention(ctx context.Context, s *Server, p *principal, r *http.Request, fac string, in input) (any, string, error) {
	days, err := optInt(in, "days", "days", 1, 36500)
	if err == nil && days == nil {
		err = parley.Errorf("web.retention", parley.KindInvalid, "days is required")
	}
	if err != nil {
		return nil, "", err
	}
	if err := s.c.Admin.SetRetention(ctx, fac, parley.RecordClass(in.str("class")), *days); err != nil {
		return nil, "", err
	}
	return nil, "Retention set to " + plural(*days, "day") + ".", nil
}

func opGateway(ctx context.Context, s *Server, p *principal, r *http.Request, fac string, in input) (any, string, error) {
	verb, err := oneOf(in, "op", "op", "add", "remove")
	if err != nil {
		return nil, "", err
	}
	addr := in.str("addr")
	if _, err := netip.ParseAddr(addr); err != nil {
		return nil, "", parley.Errorf("web.gateway", parley.KindInvalid, "gateway address must be an IP address")
	}
	if err := s.c.Admin.SetGateway(ctx, fac, addr, verb == "add"); err != nil {
		return nil, "", err
	}
	if verb == "add" {
		return nil, "Gateway " + addr + " trusted.", nil
	}
	return nil, "Gateway " + addr + " no longer trusted.", nil
}

func opDevice(ctx context.Context, s *Server, p *principal, r *http.Request, fac string, in input) (any, string, error) {
	if err := required(in, "device", "device id"); err != nil {
		return nil, "", err
	}
	dnr, err := optBool(in, "do_not_record", "do not record")
	if err != nil {
		return nil, "", err
	}
	d := &parley.Device{FacilityID: fac, ID: in.str("device"), Name: in.str("name"), DoNotRecord: dnr != nil && *dnr}
	if err := s.c.Admin.AddDevice(ctx, d); err != nil {
		return nil, "", err
	}
	return nil, "Phone " + d.ID + " added.", nil
}

// opDeviceRemove retires a device behind a gateway of this facility; a device of another
// facility looks like a missing one (devices are keyed by facility).
func opDeviceRemove(ctx context.Context, s *Server, p *principal, r *http.Request, fac string, in input) (any, string, error) {
	id := r.PathValue("device")
	if err := validID("web.deviceRemove", id); err != nil {
		return nil, "", err
	}
	if err := s.c.Admin.RemoveDevice(ctx, fac, id); err != nil {
		return nil, "", err
	}
	return nil, "Device " + id + " removed.", nil
}

// opHold places or lifts a legal hold on a recording of this facility. A recording of
// another facility, or of a privileged call, looks like a missing one.
func opHold(ctx context.Context, s *Server, p *principal, r *http.Request, fac string, in input) (any, string, error) {
	const op = "web.hold"
	verb, err := oneOf(in, "op", "op", "hold", "release")
	if err != nil {
		return nil, "", err
	}
	id := in.str("recording")
	if err := validID(op, id); err != nil {
		return nil, "", err
	}
	if err := required(in, "reason", "reason"); err != nil {
		return nil, "", err
	}
	rec, err := s.c.Store.FindRecording(ctx, id)
	if err != nil {
		return nil, "", err
	}
	privileged := false
	if rec.CallID != "" {
		c, err := s.c.Store.FindCall(ctx, rec.CallID)
		if err != nil && !parley.IsKind(err, parley.KindNotFound) {
			return nil, "", err
		}
		privileged = c != nil && c.Privileged
	}
	if rec.FacilityID != fac || privileged {
		return nil, "", parley.Errorf(op, parley.KindNotFound, "recording not found at this facility")
	}
	if err := s.c.Admin.SetLegalHold(ctx, id, verb == "hold", in.str("reason")); err != nil {
		return nil, "", err
	}
	if verb == "hold" {
		return nil, "Recording " + id + " is on legal hold.", nil
	}
	return nil, "Legal hold on recording " + id + " released.", nil
}

// opPhone adds (user, password, digest) or removes (user) a phone that registers with
// digest authentication, or sets its password and algorithms (op password: changing the
// algorithms needs the password); the password is never stored or shown again.
func opPhone(ctx context.Context, s *Server, p *principal, r *http.Request, fac string, in input) (any, string, error) {
	verb, err := oneOf(in, "op", "op", "add", "remove", "password")
	if err != nil {
		return nil, "", err
	}
	user := in.str("user")
	if err := validID("web.phone", user); err != nil {
		return nil, "", parley.Errorf("web.phone", parley.KindInvalid, "the phone's user name must be a simple name (letters, digits, '-', '_', '.')")
	}
	if verb == "remove" {
		if err := s.c.Admin.RemovePhone(ctx, fac, user); err != nil {
			return nil, "", err
		}
		return nil, "Phone " + user + " removed.", nil
	}
	if verb == "password" {
		ph, err := s.c.Admin.SetPhonePassword(ctx, fac, user, in.Get("password"), in.str("digest"))
		if err != nil {
			return nil, "", err
		}
		return nil, "Phone " + user + ": password set, digest " + ph.Digest + ".", nil
	}
	ph, err := s.c.Admin.AddPhone(ctx, fac, user, in.Get("password"), "", in.str("digest"))
	if err != nil {
		return nil, "", err
	}
	return nil, "Phone " + user + " added (digest " + ph.Digest + "): it may register now.", nil
}
