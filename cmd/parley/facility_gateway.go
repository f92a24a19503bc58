package main

import (
	"context"
	"net/netip"

	"parley.dev/parley"
)

func init() {
	register("facility gateway", "facility gateway --facility ID [--add ADDR | --remove ADDR] [--json]", runFacilityGateway)
}

// gatewayView is one line of 'facility gateway --json'.
type gatewayView struct {
	Addr     string `json:"addr"`
	Facility string `json:"facility"`
}

// runFacilityGateway trusts (--add) or stops trusting (--remove) a SIP gateway's IP address
// for a facility, then lists the facility's gateways. Gateway addresses are not personal data.
func runFacilityGateway(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("facility gateway")
	df := m.addDataFlags(fs)
	facility := fs.String("facility", "", "facility id")
	add := fs.String("add", "", "IP address to trust")
	remove := fs.String("remove", "", "IP address to stop trusting")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if err := need("facility", *facility); err != nil {
		return err
	}
	if *add != "" && *remove != "" {
		return usageError("give at most one of --add and --remove")
	}
	for _, a := range []string{*add, *remove} {
		if _, err := netip.ParseAddr(a); a != "" && err != nil {
			return parley.Errorf("facility gateway", parley.KindInvalid, "gateway address must be an IP address")
		}
	}
	return m.withEnv(ctx, df, func(ctx context.Context, e *env) error {
		if _, err := e.store.FindFacility(ctx, *facility); err != nil {
			return err
		}
		addr, action := *add, "gateway.add"
		if *remove != "" {
			addr, action = *remove, "gateway.remove"
		}
		if addr != "" {
			if err := e.audit.Audit(ctx, parley.AuditEvent{Actor: parley.ActorFromContext(ctx), Action: action,
				Object: "facility:" + *facility, Outcome: parley.OutcomeOK, Detail: addr}); err != nil {
				return err
			}
			var err error
			if *add != "" {
				err = e.store.AddGateway(ctx, &parley.Gateway{Addr: addr, FacilityID: *facility, AddedAt: e.now()})
			} else {
				err = e.store.RemoveGateway(ctx, addr)
			}
			if err != nil {
				return err
			}
		}
		gws, err := e.store.ListGateways(ctx, *facility)
		if err != nil {
			return err
		}
		views := make([]gatewayView, 0, len(gws))
		rows := make([][]string, 0, len(gws))
		for _, g := range gws {
			views = append(views, gatewayView{Addr: g.Addr, Facility: g.FacilityID})
			rows = append(rows, []string{g.Addr, g.FacilityID})
		}
		if *asJSON {
			return m.writeJSON(views)
		}
		return m.table([]string{"ADDR", "FACILITY"}, rows)
	})
}

// gatewayFacility returns the facility that trusts the gateway address, or "" if none.
func (e *env) gatewayFacility(ctx context.Context, addr string) (string, error) {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return "", parley.Errorf("gateway", parley.KindInvalid, "gateway address must be an IP address")
	}
	gws, err := e.store.ListGateways(ctx, "")
	if err != nil {
		return "", err
	}
	for _, g := range gws {
		if b, err := netip.ParseAddr(g.Addr); err == nil && b.Unmap() == a.Unmap() {
			return g.FacilityID, nil
		}
	}
	return "", nil
}
