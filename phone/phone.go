// Package phone turns telephone numbers as people and files write them ("(202) 555-0143",
// "+44 20 7946 0958", "tel:+1-201-555-0123") into parley.Number, the E.164 form every other
// package compares, indexes and stores.
//
// Normalisation uses github.com/nyaruka/phonenumbers (a port of Google's libphonenumber) and
// is strict: a number must be valid in its country's numbering plan (IsValidNumber), not
// merely of a possible length. The privilege registry matches numbers by exact equality, so
// accepting a malformed number would only create an entry that never matches a real call.
// Fictional 555-0100…0199 numbers are invalid in some area codes; tests use numbers
// libphonenumber accepts, such as +1 201 555 0123.
//
// A number with an extension ("x12", "ext. 5", ";ext=5") is refused: E.164 has none, and
// privilege, blocks, allowed lists and calls apply to the whole line, so dropping it quietly
// would let someone believe an extension was registered or dialled. Vanity letters ("1-800-FLOWERS") are mapped to
// digits as the keypad does.
package phone

import (
	"errors"
	"strings"
	"unicode"

	"github.com/nyaruka/phonenumbers"

	"parley.dev/parley"
)

// MaxInputLen is the longest raw input Normalize accepts, in bytes.
const MaxInputLen = 32

// Normalize parses raw and returns it in E.164 form. defaultRegion (an ISO 3166-1 alpha-2
// code such as "US") is used for numbers written without a leading '+' and is ignored for
// numbers that have one; with an empty region such numbers are rejected.
//
// Errors are *parley.Error of KindInvalid whose message never contains the input. For every
// n returned without error, n.Valid() holds and Normalize(string(n), any region) returns n.
func Normalize(raw string, defaultRegion string) (n parley.Number, err error) {
	const op = "phone.Normalize"
	raw = strings.TrimSpace(raw)
	switch {
	case raw == "":
		return "", parley.Errorf(op, parley.KindInvalid, "number is empty")
	case len(raw) > MaxInputLen:
		return "", parley.Errorf(op, parley.KindInvalid, "number is longer than %d characters", MaxInputLen)
	case !strings.ContainsFunc(raw, unicode.IsDigit):
		return "", parley.Errorf(op, parley.KindInvalid, "number has no digits")
	}
	// The parser is third-party code fed untrusted input (import files, SIP headers): a
	// panic in it must become an error, not take the node down.
	defer func() {
		if r := recover(); r != nil {
			n, err = "", parley.Errorf(op, parley.KindInvalid, "number could not be parsed")
		}
	}()
	region := strings.ToUpper(strings.TrimSpace(defaultRegion))
	if region == "" {
		region = "ZZ" // unknown region: only numbers with a leading '+' parse
	}
	pn, perr := phonenumbers.Parse(raw, region)
	if perr != nil {
		return "", parley.Errorf(op, parley.KindInvalid, "not a phone number (%s)", parseReason(perr))
	}
	if pn.GetExtension() != "" {
		return "", &parley.Error{Op: op, Kind: parley.KindInvalid, Err: errExtension,
			Message: "number has an extension: give the line's number without it (parley registers and calls whole lines)"}
	}
	if !phonenumbers.IsValidNumber(pn) {
		return "", parley.Errorf(op, parley.KindInvalid, "not a valid phone number for its country")
	}
	n = parley.Number(phonenumbers.Format(pn, phonenumbers.E164))
	if !n.Valid() {
		return "", parley.Errorf(op, parley.KindInvalid, "not a valid E.164 number")
	}
	return n, nil
}

// errExtension marks Normalize's refusal of a number written with an extension.
var errExtension = errors.New("extension")

// HasExtension reports whether err is Normalize's refusal of a number with an extension, so
// that a form which words its own "not a phone number" can say this instead.
func HasExtension(err error) bool { return errors.Is(err, errExtension) }

// parseReason maps the parser's errors to short fixed phrases (never echoing the input).
func parseReason(err error) string {
	switch err {
	case phonenumbers.ErrInvalidCountryCode:
		return "missing or invalid country code"
	case phonenumbers.ErrTooShortNSN, phonenumbers.ErrTooShortAfterIDD:
		return "too short"
	case phonenumbers.ErrNumTooLong:
		return "too long"
	default:
		return "unrecognised format"
	}
}
