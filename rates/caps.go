package rates

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"time"

	"parley.dev/parley"
)

// Service is the kind of communication a cap applies to.
type Service string

// Services the FCC caps distinguish.
const (
	Audio Service = "audio"
	Video Service = "video"
)

// Valid reports whether s is a known service.
func (s Service) Valid() bool { return s == Audio || s == Video }

// Verification says how far a row of the data file has been checked.
type Verification string

// Verification levels.
const (
	OrderText       Verification = "order_text"       // checked against the order or the CFR
	SecondarySource Verification = "secondary_source" // matched a secondary summary named in the note
	Unverified      Verification = "unverified"       // from memory or a brief; must be checked
)

func (v Verification) valid() bool { return v == OrderText || v == SecondarySource || v == Unverified }

// Source cites where a figure comes from.
type Source struct {
	Order     string    // e.g. "FCC 24-75"
	OrderDate time.Time // adoption or release date of the order
	Section   string    // paragraph, section or CFR cite
	Verified  Verification
	Note      string // how the figure was obtained and what to check
}

// String renders the citation and how far it was checked, in words for people, e.g.
// "FCC 24-75 (2024-07-22), 47 CFR 64.6030; checked against a secondary summary".
func (s Source) String() string {
	return s.Citation() + "; " + s.Verified.Phrase()
}

// Citation renders the order, its date and the section, e.g. "FCC 24-75 (2024-07-22), 47 CFR 64.6030".
func (s Source) Citation() string {
	return fmt.Sprintf("%s (%s), %s", s.Order, s.OrderDate.Format(time.DateOnly), s.Section)
}

// Phrase says in words how far a figure was checked (the data file's code is for the file).
func (v Verification) Phrase() string {
	switch v {
	case OrderText:
		return "checked against the order"
	case SecondarySource:
		return "checked against a secondary summary"
	default:
		return "not yet checked against the order"
	}
}

// Tier is an inclusive range of average daily population. MaxADP < 0 means no upper bound.
type Tier struct{ MinADP, MaxADP int }

// Contains reports whether adp is in the tier.
func (t Tier) Contains(adp int) bool { return adp >= t.MinADP && (t.MaxADP < 0 || adp <= t.MaxADP) }

// String renders the tier, e.g. "ADP 100–349" or "ADP 1000 and over".
func (t Tier) String() string {
	if t.MaxADP < 0 {
		if t.MinADP == 0 {
			return "any ADP"
		}
		return fmt.Sprintf("ADP %d and over", t.MinADP)
	}
	return fmt.Sprintf("ADP %d–%d", t.MinADP, t.MaxADP)
}

// Cap is one per-minute cap: the most a caller may be charged per minute for a service at
// a kind and size of facility, from a date until the next cap for the same key.
type Cap struct {
	Effective time.Time // first day in force (UTC midnight of the calendar date)
	Facility  parley.FacilityType
	Service   Service
	Tier      Tier
	Rate      Microdollars // the cap
	Additive  Microdollars // per-minute amount allowed on top (FCC 25-75 facility costs), or 0
	Source    Source
	On        time.Time // the date CapFor was asked about; zero in Rows
}

// Max is the most a caller may be charged per minute: Rate plus Additive.
func (c Cap) Max() Microdollars { return c.Rate + c.Additive }

// Describe renders the cap for messages: "$0.13/min for audio at jails with ADP 100–349".
func (c Cap) Describe() string {
	s := c.Max().String() + "/min"
	if c.Additive != 0 {
		s += fmt.Sprintf(" (%s + %s additive)", c.Rate, c.Additive)
	}
	who := string(c.Facility) + "s"
	if c.Facility == parley.FacilityJail {
		who += " with " + c.Tier.String()
	}
	return fmt.Sprintf("%s for %s at %s", s, c.Service, who)
}

//go:embed caps.json
var embedded []byte

// Caps is a validated, versioned table of caps and fee rules. It is read-only after load
// and safe for concurrent use.
type Caps struct {
	version string
	notes   []string
	sets    map[capKey][]capSet // each slice sorted by effective date
	fees    []FeeRule
	classes map[CallClass]ClassRule
	intl    InternationalRule
}

type capKey struct {
	facility parley.FacilityType
	service  Service
}

// capSet is the complete tier table of one key from one date.
type capSet struct {
	effective time.Time
	tiers     []Cap // sorted by MinADP, covering 0..∞
}

// Default returns the caps shipped inside the binary.
func Default() (*Caps, error) { return Parse(embedded) }

// LoadFile reads and validates a caps file: an operator installs a newer one this way
// before a new binary ships.
func LoadFile(path string) (*Caps, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, parley.WrapError("rates.LoadFile", parley.KindNotFound, err)
	}
	return Parse(data)
}

// Version returns the data file's version.
func (c *Caps) Version() string { return c.version }

// Notes returns the data file's notes: what parley enforces and why.
func (c *Caps) Notes() []string { return slices.Clone(c.notes) }

// Rows returns every cap, ordered by facility, service, effective date and tier.
func (c *Caps) Rows() []Cap {
	var out []Cap
	for _, k := range []capKey{{parley.FacilityPrison, Audio}, {parley.FacilityPrison, Video},
		{parley.FacilityJail, Audio}, {parley.FacilityJail, Video}} {
		for _, set := range c.sets[k] {
			out = append(out, set.tiers...)
		}
	}
	return out
}

// CapFor returns the cap in force on date's calendar day (in date's own location: pass
// the call's start in the facility's time zone) for a facility of type ft and average
// daily population adp. A call is priced under the cap in force when it starts.
// It returns KindInvalid for a bad argument and KindNotFound when no cap is in force
// for that day (before the first federal cap for the service): parley does not price
// such calls.
func (c *Caps) CapFor(date time.Time, ft parley.FacilityType, adp int, service Service) (Cap, error) {
	const op = "rates.CapFor"
	switch {
	case !ft.Valid():
		return Cap{}, parley.Errorf(op, parley.KindInvalid, "facility type must be prison or jail")
	case !service.Valid():
		return Cap{}, parley.Errorf(op, parley.KindInvalid, "service must be audio or video")
	case adp < 0 || adp > 1_000_000:
		return Cap{}, parley.Errorf(op, parley.KindInvalid, "adp must be between 0 and 1000000")
	case date.IsZero():
		return Cap{}, parley.Errorf(op, parley.KindInvalid, "a date is required")
	}
	day := civilDay(date)
	sets := c.sets[capKey{ft, service}]
	i, _ := slices.BinarySearchFunc(sets, day, func(s capSet, d time.Time) int { return s.effective.Compare(d) })
	if i < len(sets) && sets[i].effective.Equal(day) {
		i++
	}
	if i == 0 {
		first := "none in the data"
		if len(sets) > 0 {
			first = "the first takes effect " + sets[0].effective.Format(time.DateOnly) + " (" + sets[0].tiers[0].Source.Order + ")"
		}
		return Cap{}, parley.Errorf(op, parley.KindNotFound,
			"no federal cap for %s calls at %ss is in force on %s (%s); parley does not price them",
			service, ft, day.Format(time.DateOnly), first)
	}
	for _, cp := range sets[i-1].tiers {
		if cp.Tier.Contains(adp) {
			cp.On = day
			return cp, nil
		}
	}
	// Unreachable: validate guarantees the tiers cover 0..∞.
	return Cap{}, parley.Errorf(op, parley.KindInternal, "no tier covers adp %d", adp)
}

// civilDay returns t's calendar date, in t's location, as UTC midnight.
func civilDay(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// CheckRate returns nil if rate (per minute) is at most the cap, or a KindForbidden error
// naming the cap and its source. A negative rate is KindInvalid.
func CheckRate(rate Microdollars, c Cap) error {
	const op = "rates.CheckRate"
	if rate < 0 {
		return parley.Errorf(op, parley.KindInvalid, "rate %s/min is negative", rate)
	}
	if rate <= c.Max() {
		return nil
	}
	on := c.On
	if on.IsZero() {
		on = c.Effective
	}
	return parley.Errorf(op, parley.KindForbidden, "rate %s/min is above the cap of %s in force on %s (%s)",
		rate, c.Describe(), on.Format(time.DateOnly), c.Source.Citation())
}

// file is the JSON form of the data file.
type file struct {
	Version string             `json:"version"`
	Notes   []string           `json:"notes"`
	Caps    []fileCap          `json:"caps"`
	Fees    []fileFee          `json:"fees"`
	Classes []fileClass        `json:"call_classes"`
	Intl    *fileInternational `json:"international"`
}

type fileSource struct {
	Order      string       `json:"order"`
	OrderDate  string       `json:"order_date"`
	Section    string       `json:"section"`
	Verified   Verification `json:"verified"`
	SourceNote string       `json:"source_note"`
}

type fileCap struct {
	Effective string              `json:"effective"`
	Facility  parley.FacilityType `json:"facility"`
	Service   Service             `json:"service"`
	MinADP    int                 `json:"min_adp"`
	MaxADP    *int                `json:"max_adp"`
	Rate      string              `json:"rate"`
	Additive  string              `json:"additive"`
	fileSource
}

// maxCap bounds a cap: a per-minute cap above $1.00 in this file is a typo.
const maxCap = Dollar

// Parse validates a caps file: a version; every row complete with a date, facility type,
// service, tier, rate and source; rows in date order; for each facility type, service
// and date a set of tiers that cover every ADP from 0 up exactly once; fee rules that do
// not overlap. Any fault is a KindInvalid error naming the row.
func Parse(data []byte) (*Caps, error) {
	const op = "rates.Parse"
	bad := func(format string, args ...any) (*Caps, error) {
		return nil, parley.Errorf(op, parley.KindInvalid, format, args...)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f file
	if err := dec.Decode(&f); err != nil {
		return nil, &parley.Error{Op: op, Kind: parley.KindInvalid, Message: "caps file is not valid JSON", Err: err}
	}
	if f.Version == "" {
		return bad("caps file has no version")
	}
	if len(f.Caps) == 0 {
		return bad("caps file has no caps")
	}
	c := &Caps{version: f.Version, notes: f.Notes, sets: map[capKey][]capSet{}}
	var prev time.Time
	for i, fc := range f.Caps {
		row := fmt.Sprintf("cap %d (%s %s %s)", i+1, fc.Effective, fc.Facility, fc.Service)
		cp, err := fc.parse()
		if err != nil {
			return bad("%s: %v", row, err)
		}
		if cp.Effective.Before(prev) {
			return bad("%s: rows must be in date order", row)
		}
		prev = cp.Effective
		k := capKey{cp.Facility, cp.Service}
		sets := c.sets[k]
		if n := len(sets); n == 0 || !sets[n-1].effective.Equal(cp.Effective) {
			sets = append(sets, capSet{effective: cp.Effective})
		}
		sets[len(sets)-1].tiers = append(sets[len(sets)-1].tiers, cp)
		c.sets[k] = sets
	}
	for k, sets := range c.sets {
		for _, set := range sets {
			if err := checkTiers(set.tiers); err != nil {
				return bad("%s %s caps from %s: %v", k.facility, k.service, set.effective.Format(time.DateOnly), err)
			}
		}
	}
	fees, err := parseFees(f.Fees)
	if err != nil {
		return nil, parley.WrapError(op, parley.KindInvalid, err)
	}
	c.fees = fees
	if c.classes, err = parseClasses(f.Classes); err != nil {
		return nil, parley.WrapError(op, parley.KindInvalid, err)
	}
	if c.intl, err = parseInternational(f.Intl); err != nil {
		return nil, parley.WrapError(op, parley.KindInvalid, err)
	}
	return c, nil
}

// parse checks and converts one row.
func (fc fileCap) parse() (Cap, error) {
	eff, err := time.Parse(time.DateOnly, fc.Effective)
	if err != nil {
		return Cap{}, fmt.Errorf("effective must be a date like 2026-04-06")
	}
	src, err := fc.fileSource.parse()
	if err != nil {
		return Cap{}, err
	}
	cp := Cap{Effective: eff, Facility: fc.Facility, Service: fc.Service, Source: src,
		Tier: Tier{MinADP: fc.MinADP, MaxADP: -1}}
	if fc.MaxADP != nil {
		cp.Tier.MaxADP = *fc.MaxADP
	}
	switch {
	case !fc.Facility.Valid():
		return Cap{}, fmt.Errorf("facility must be prison or jail")
	case !fc.Service.Valid():
		return Cap{}, fmt.Errorf("service must be audio or video")
	case fc.MinADP < 0 || fc.MaxADP != nil && *fc.MaxADP < fc.MinADP:
		return Cap{}, fmt.Errorf("min_adp must be >= 0 and max_adp, if set, >= min_adp")
	}
	if cp.Rate, err = ParseDollars(fc.Rate); err != nil {
		return Cap{}, fmt.Errorf("rate: %w", err)
	}
	if cp.Additive, err = ParseDollars(fc.Additive); err != nil {
		return Cap{}, fmt.Errorf("additive: %w", err)
	}
	if cp.Rate == 0 || cp.Max() > maxCap {
		return Cap{}, fmt.Errorf("rate plus additive must be above $0 and at most %s per minute", maxCap)
	}
	return cp, nil
}

func (fs fileSource) parse() (Source, error) {
	d, err := time.Parse(time.DateOnly, fs.OrderDate)
	switch {
	case fs.Order == "" || fs.Section == "" || fs.SourceNote == "":
		return Source{}, fmt.Errorf("order, section and source_note are required")
	case err != nil:
		return Source{}, fmt.Errorf("order_date must be a date")
	case !fs.Verified.valid():
		return Source{}, fmt.Errorf("verified must be order_text, secondary_source or unverified")
	}
	return Source{Order: fs.Order, OrderDate: d, Section: fs.Section, Verified: fs.Verified, Note: fs.SourceNote}, nil
}

// checkTiers sorts one date's tiers and checks they cover 0..∞ without gap or overlap.
func checkTiers(tiers []Cap) error {
	slices.SortFunc(tiers, func(a, b Cap) int { return a.Tier.MinADP - b.Tier.MinADP })
	next := 0
	for i, t := range tiers {
		switch {
		case t.Tier.MinADP > next:
			return fmt.Errorf("no tier covers ADP %d–%d", next, t.Tier.MinADP-1)
		case t.Tier.MinADP < next || next < 0:
			return fmt.Errorf("tiers overlap at ADP %d", t.Tier.MinADP)
		case t.Tier.MaxADP < 0 && i != len(tiers)-1:
			return fmt.Errorf("tier %s is open-ended but is not the last", t.Tier)
		}
		next = t.Tier.MaxADP + 1
		if t.Tier.MaxADP < 0 {
			next = -1
		}
	}
	if next >= 0 {
		return fmt.Errorf("no tier covers ADP %d and over", next)
	}
	return nil
}
