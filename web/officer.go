package web

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"parley.dev/parley"
	"parley.dev/parley/audit"
)

// liveGauge counts the call server's calls in progress at every facility (-1 when it
// cannot be asked).
func (s *Server) liveGauge() prometheus.Collector {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "parley_calls_live",
		Help: "Calls in progress on the call server."}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		fs, err := s.c.Store.ListFacilities(ctx)
		if err != nil {
			return -1
		}
		ids := make([]string, 0, len(fs))
		for _, f := range fs {
			ids = append(ids, f.ID)
		}
		calls, err := s.c.Live.ListLive(ctx, ids)
		if err != nil {
			return -1
		}
		return float64(len(calls))
	})
}

// livePage is a facility's calls in progress. Live calls never show a number or a name;
// a privileged one is flagged and can never be monitored, but an officer may end it.
type livePage struct {
	Facility  string            `json:"facility"`
	Connected bool              `json:"connected"` // a call server is wired to this web server
	Calls     []parley.LiveCall `json:"calls"`
}

func buildLive(ctx context.Context, s *Server, p *principal, r *http.Request, fac string) (any, error) {
	out := livePage{Facility: fac, Calls: []parley.LiveCall{}, Connected: s.c.Live != nil}
	if s.c.Live == nil {
		return out, nil
	}
	calls, err := s.c.Live.ListLive(ctx, []string{fac})
	if err != nil {
		return nil, err
	}
	for _, c := range calls {
		if c.FacilityID == fac {
			out.Calls = append(out.Calls, c)
		}
	}
	return out, nil
}

// liveCall returns the call in progress id at the facility, or KindNotFound.
func (s *Server) liveCall(ctx context.Context, fac, id string) (*parley.LiveCall, error) {
	const op = "web.endCall"
	if err := validID(op, id); err != nil {
		return nil, err
	}
	if s.c.Live == nil {
		return nil, parley.Errorf(op, parley.KindUnavailable, "no call server is connected")
	}
	calls, err := s.c.Live.ListLive(ctx, []string{fac})
	if err != nil {
		return nil, err
	}
	for i := range calls {
		if calls[i].ID == id && calls[i].FacilityID == fac {
			return &calls[i], nil
		}
	}
	return nil, parley.Errorf(op, parley.KindNotFound, "no such call in progress at this facility")
}

// endCallPage asks an officer to confirm ending a call, with a reason.
type endCallPage struct {
	Facility string
	Call     parley.LiveCall
}

func buildEndCall(ctx context.Context, s *Server, p *principal, r *http.Request, fac string) (any, error) {
	c, err := s.liveCall(ctx, fac, r.PathValue("call"))
	if err != nil {
		return nil, err
	}
	return endCallPage{Facility: fac, Call: *c}, nil
}

// opEndCall ends a call in progress at the facility, audited ("call.end") before the
// hang-up, with the officer's reason (required; the confirmation page asks for it). Ending
// a privileged call is allowed: it reveals nothing of it.
func opEndCall(ctx context.Context, s *Server, p *principal, r *http.Request, fac string, in input) (any, string, error) {
	const op = "web.endCall"
	id := r.PathValue("call")
	if err := validID(op, id); err != nil {
		return nil, "", err
	}
	if s.c.Live == nil {
		return nil, "", parley.Errorf(op, parley.KindUnavailable, "no call server is connected")
	}
	reason := in.str("reason")
	if len(reason) > 200 {
		return nil, "", parley.Errorf(op, parley.KindInvalid, "reason must be at most 200 characters")
	}
	if reason == "" {
		return nil, "", parley.Errorf(op, parley.KindInvalid, "give the reason for ending the call: it goes to the audit log")
	}
	found, err := s.liveCall(ctx, fac, id)
	if err != nil {
		return nil, "", err
	}
	detail := "facility " + fac + ": " + reason
	if found.Privileged {
		detail += " (privileged call)"
	}
	ev := parley.AuditEvent{Actor: parley.ActorFromContext(ctx), Action: "call.end", Object: "call:" + id, Detail: detail}
	if err := audit.Attempt(ctx, s.c.Audit, ev, func() error { return s.c.Live.Hangup(ctx, id, reason) }); err != nil {
		return nil, "", err
	}
	return nil, "Call " + id + " ended.", nil
}
