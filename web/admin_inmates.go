package web

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/admin"
	"parley.dev/parley/phone"
)

// inmateJSON is an inmate as staff see it: never the PIN or its hash.
type inmateJSON struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	DoNotRecord bool   `json:"do_not_record"`
}

type inmatesPage struct {
	Facility string       `json:"facility"`
	Inmates  []inmateJSON `json:"inmates"`
}

func buildInmates(ctx context.Context, s *Server, p *principal, r *http.Request, fac string) (any, error) {
	list, err := s.c.Admin.Inmates(ctx, fac)
	if err != nil {
		return nil, err
	}
	out := inmatesPage{Facility: fac, Inmates: []inmateJSON{}}
	for _, in := range list {
		out.Inmates = append(out.Inmates, inmateJSON{ID: in.ID, Name: in.Name, DoNotRecord: in.DoNotRecord})
	}
	slices.SortFunc(out.Inmates, func(a, b inmateJSON) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

type allowedJSON struct {
	Number  string `json:"number"`
	Max     string `json:"max,omitempty"`
	AddedAt string `json:"added_at"`
}

type inmatePage struct {
	Facility string        `json:"facility"`
	Inmate   inmateJSON    `json:"inmate"`
	Allowed  []allowedJSON `json:"allowed"`
}

func buildInmate(ctx context.Context, s *Server, p *principal, r *http.Request, fac string) (any, error) {
	id := r.PathValue("inmate")
	if err := validID("web.inmate", id); err != nil {
		return nil, err
	}
	in, err := s.c.Store.FindInmate(ctx, fac, id)
	if err != nil {
		return nil, err
	}
	list, err := s.c.Admin.AllowedNumbers(ctx, fac, id)
	if err != nil {
		return nil, err
	}
	out := inmatePage{Facility: fac, Inmate: inmateJSON{ID: in.ID, Name: in.Name, DoNotRecord: in.DoNotRecord}, Allowed: []allowedJSON{}}
	for _, a := range list {
		v := allowedJSON{Number: string(a.Number), AddedAt: a.AddedAt.UTC().Format(time.RFC3339)}
		if a.MaxCallLength > 0 {
			v.Max = a.MaxCallLength.String()
		}
		out.Allowed = append(out.Allowed, v)
	}
	return out, nil
}

func opInmateAdd(ctx context.Context, s *Server, p *principal, r *http.Request, fac string, in input) (any, string, error) {
	if err := required(in, "inmate", "inmate id", "name", "name", "pin", "PIN"); err != nil {
		return nil, "", err
	}
	dnr, err := optBool(in, "do_not_record", "do not record")
	if err != nil {
		return nil, "", err
	}
	inm := &parley.Inmate{FacilityID: fac, ID: in.str("inmate"), Name: in.str("name"), DoNotRecord: dnr != nil && *dnr}
	if err := s.c.Admin.AddInmate(ctx, inm, in.str("pin")); err != nil {
		return nil, "", err
	}
	return map[string]string{"id": inm.ID}, "Inmate " + inm.ID + " added.", nil
}

func inmateID(r *http.Request) (string, error) {
	id := r.PathValue("inmate")
	return id, validID("web.inmate", id)
}

func opInmatePIN(ctx context.Context, s *Server, p *principal, r *http.Request, fac string, in input) (any, string, error) {
	id, err := inmateID(r)
	if err != nil {
		return nil, "", err
	}
	if err := required(in, "pin", "the new PIN"); err != nil {
		return nil, "", err
	}
	if err := s.c.Admin.SetPIN(ctx, fac, id, in.str("pin")); err != nil {
		return nil, "", err
	}
	return nil, "PIN reset.", nil
}

func opInmateDNR(ctx context.Context, s *Server, p *principal, r *http.Request, fac string, in input) (any, string, error) {
	id, err := inmateID(r)
	if err != nil {
		return nil, "", err
	}
	on, err := optBool(in, "do_not_record", "do not record")
	if err == nil && on == nil {
		err = parley.Errorf("web.dnr", parley.KindInvalid, "do not record must be on or off")
	}
	if err != nil {
		return nil, "", err
	}
	if _, err := s.c.Store.FindInmate(ctx, fac, id); err != nil {
		return nil, "", err
	}
	if err := s.c.Admin.SetDoNotRecord(ctx, "inmate", fac, id, *on); err != nil {
		return nil, "", err
	}
	if *on {
		return nil, "Calls of this inmate are never recorded from now on.", nil
	}
	return nil, "Calls of this inmate are recorded again (unless privileged).", nil
}

// number reads and normalizes a phone number field.
func (s *Server) number(in input, name string) (parley.Number, error) {
	raw := in.str(name)
	if raw == "" {
		return "", parley.Errorf("web.number", parley.KindInvalid, "a phone number is required")
	}
	if len(raw) > 40 {
		return "", parley.Errorf("web.number", parley.KindInvalid, "number too long")
	}
	n, err := phone.Normalize(raw, s.c.Region)
	if phone.HasExtension(err) {
		return "", parley.WrapError("web.number", parley.KindInvalid, err)
	} else if err != nil {
		return "", parley.Errorf("web.number", parley.KindInvalid, "not a valid phone number")
	}
	return n, nil
}

func opAllowed(ctx context.Context, s *Server, p *principal, r *http.Request, fac string, in input) (any, string, error) {
	id, err := inmateID(r)
	if err != nil {
		return nil, "", err
	}
	verb, err := oneOf(in, "op", "op", "add", "remove")
	if err != nil {
		return nil, "", err
	}
	n, err := s.number(in, "number")
	if err != nil {
		return nil, "", err
	}
	if verb == "remove" {
		if err := s.c.Admin.RemoveAllowed(ctx, fac, id, n); err != nil {
			return nil, "", err
		}
		return nil, "Number " + n.Redacted() + " removed from the list.", nil
	}
	maxLen, err := optDuration(in, "max", "maximum call length", admin.MaxAllowedLength)
	if err != nil {
		return nil, "", err
	}
	var d time.Duration
	if maxLen != nil {
		d = *maxLen
	}
	if err := s.c.Admin.AllowNumber(ctx, fac, id, n, d); err != nil {
		return nil, "", err
	}
	return nil, "Number " + n.Redacted() + " allowed.", nil
}

// blocksPage is a facility's blocks and the called parties' own blocks that apply to it.
type blocksPage struct {
	Facility   string          `json:"facility"`
	Numbers    []string        `json:"numbers"`
	Prefixes   []string        `json:"prefixes"`
	SelfBlocks []selfBlockJSON `json:"self_blocks"`
}

// selfBlockJSON is a called party's request not to be called: from this facility or from
// every facility ("all").
type selfBlockJSON struct {
	Number  string `json:"number"`
	Scope   string `json:"scope"`
	AddedAt string `json:"added_at"`
}

func buildBlocks(ctx context.Context, s *Server, p *principal, r *http.Request, fac string) (any, error) {
	b, err := s.c.Admin.Blocks(ctx, fac) // audited: block.list
	if err != nil {
		return nil, err
	}
	sbs, err := s.c.Store.ListSelfBlocks(ctx, fac)
	if err != nil {
		return nil, err
	}
	out := blocksPage{Facility: fac, Numbers: []string{}, Prefixes: append([]string{}, b.Prefixes...), SelfBlocks: []selfBlockJSON{}}
	for _, n := range b.Numbers {
		out.Numbers = append(out.Numbers, string(n))
	}
	for _, sb := range sbs {
		scope := "this facility"
		if sb.FacilityID == "" {
			scope = "all"
		}
		out.SelfBlocks = append(out.SelfBlocks, selfBlockJSON{Number: string(sb.Number), Scope: scope, AddedAt: sb.AddedAt.UTC().Format(time.RFC3339)})
	}
	return out, nil
}

func opBlock(ctx context.Context, s *Server, p *principal, r *http.Request, fac string, in input) (any, string, error) {
	verb, err := oneOf(in, "op", "op", "add", "remove")
	if err != nil {
		return nil, "", err
	}
	b := admin.Block{FacilityID: fac, Prefix: in.str("prefix")}
	if (in.str("number") == "") == (b.Prefix == "") {
		return nil, "", parley.Errorf("web.block", parley.KindInvalid, "give exactly one of a number and a prefix")
	}
	what := "Prefix " + b.Prefix
	if b.Prefix == "" {
		if b.Number, err = s.number(in, "number"); err != nil {
			return nil, "", err
		}
		what = "Number " + b.Number.Redacted()
	}
	if err := s.c.Admin.SetBlock(ctx, b, verb == "add"); err != nil {
		return nil, "", err
	}
	if verb == "add" {
		return nil, what + " blocked.", nil
	}
	return nil, what + " unblocked.", nil
}
