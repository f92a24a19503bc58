package web

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"parley.dev/parley"
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

// opEndCall ends a call in progress at the facility, audited ("call.end") before the
// hang-up. Ending a privileged call is allowed: it reveals nothing of it.
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
		reason = "ended by an officer"
	}
	calls, err := s.c.Live.ListLive(ctx, []string{fac})
	if err != nil {
		return nil, "", err
	}
	var found *parley.LiveCall
	for i := range calls {
		if calls[i].ID == id && calls[i].FacilityID == fac {
			found = &calls[i]
		}
	}
	if found == nil {
		return nil, "", parley.Errorf(op, parley.KindNotFound, "no such call in progress at this facility")
	}
	detail := "facility " + fac + ": " + reason
	if found.Privileged {
		detail += " (privileged call)"
	}
	if err := s.c.Audit.Audit(ctx, parley.AuditEvent{Actor: parley.ActorFromContext(ctx), Action: "call.end",
		Object: "call:" + id, Outcome: parley.OutcomeOK, Detail: detail}); err != nil {
		return nil, "", parley.WrapError(op, parley.KindUnavailable, err)
	}
	if err := s.c.Live.Hangup(ctx, id, reason); err != nil {
		return nil, "", err
	}
	return nil, "Call " + id + " ended.", nil
}
