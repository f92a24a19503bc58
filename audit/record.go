package audit

import (
	"bytes"
	"encoding/json"
	"time"

	"parley.dev/parley"
)

// recordVersion is the version of the canonical record encoding.
const recordVersion = 1

// maxRecordSize bounds one encoded record; events are meant to be short.
const maxRecordSize = 4096

// record is the canonical form of an audit event: its JSON encoding, with the fields in
// this order and the time in RFC 3339 UTC with nanoseconds, is what the Merkle tree hashes.
// Never reorder, rename or remove fields; add new ones only with a new version.
type record struct {
	V       int    `json:"v"`
	Time    string `json:"time"`
	Actor   string `json:"actor"`
	Action  string `json:"action"`
	Object  string `json:"object,omitempty"`
	Outcome string `json:"outcome"`
	Purpose string `json:"purpose,omitempty"`
	Case    string `json:"case,omitempty"`
	Detail  string `json:"detail,omitempty"`
}

// validateEvent checks the fields an event must have.
func validateEvent(op string, e parley.AuditEvent) error {
	switch {
	case e.Actor == "":
		return parley.Errorf(op, parley.KindInvalid, "audit event has no actor")
	case e.Action == "":
		return parley.Errorf(op, parley.KindInvalid, "audit event has no action")
	case e.Outcome == "":
		return parley.Errorf(op, parley.KindInvalid, "audit event has no outcome")
	}
	switch e.Outcome {
	case parley.OutcomeOK, parley.OutcomeDenied, parley.OutcomeError:
	default:
		return parley.Errorf(op, parley.KindInvalid, "audit outcome must be ok, denied or error")
	}
	return nil
}

// encodeEvent returns the canonical one-line encoding of e. e.Time must be set.
func encodeEvent(op string, e parley.AuditEvent) ([]byte, error) {
	r := record{
		V:       recordVersion,
		Time:    e.Time.UTC().Format(time.RFC3339Nano),
		Actor:   e.Actor,
		Action:  e.Action,
		Object:  e.Object,
		Outcome: e.Outcome,
		Purpose: e.Purpose,
		Case:    e.Case,
		Detail:  e.Detail,
	}
	data, err := json.Marshal(r)
	if err != nil {
		return nil, &parley.Error{Op: op, Kind: parley.KindInvalid, Message: "cannot encode audit event", Err: err}
	}
	if len(data) > maxRecordSize {
		return nil, parley.Errorf(op, parley.KindInvalid, "audit event is longer than %d bytes", maxRecordSize)
	}
	return data, nil
}

// decodeEvent parses a record and reports whether it is in canonical form (re-encoding it
// gives the same bytes).
func decodeEvent(data []byte) (parley.AuditEvent, bool) {
	var r record
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil || dec.More() || r.V != recordVersion {
		return parley.AuditEvent{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, r.Time)
	if err != nil {
		return parley.AuditEvent{}, false
	}
	e := parley.AuditEvent{
		Time:    t.UTC(),
		Actor:   r.Actor,
		Action:  r.Action,
		Object:  r.Object,
		Outcome: r.Outcome,
		Purpose: r.Purpose,
		Case:    r.Case,
		Detail:  r.Detail,
	}
	again, err := encodeEvent("", e)
	if err != nil || !bytes.Equal(again, data) || validateEvent("", e) != nil {
		return e, false
	}
	return e, true
}
