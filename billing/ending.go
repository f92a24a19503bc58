package billing

import (
	"strings"
	"time"

	"parley.dev/parley"
)

// Ending is how a call ended, as far as money goes.
type Ending string

// Endings.
const (
	// EndedNormally: a party hung up, or the call reached its time or money limit. The
	// bridged time is charged.
	EndedNormally Ending = "normal"
	// EndedDropped: parley or the trunk cut a bridged call (media timeout, shutdown). The
	// charge is credited back if the call was dropped in its first minute.
	EndedDropped Ending = "dropped"
	// EndedFault: a system fault ended the call (recording failure, internal, media or
	// trunk errors). Whatever was charged is credited back.
	EndedFault Ending = "fault"
	// EndedUnconnected: the call was never bridged (declined, no answer, refused, hung
	// up while ringing). There is nothing to charge.
	EndedUnconnected Ending = "unconnected"
)

// endings classifies every CallRecord.Reason the sip package ends a call with (see
// sip/invite.go, outbound.go, bridge.go and server.go). The side that ended the call is
// in the comment.
var endings = map[string]Ending{
	"":                              EndedNormally,    // completed with no reason
	"inmate_hangup":                 EndedNormally,    // inmate
	"called_party_hangup":           EndedNormally,    // called party (a BYE from the trunk)
	"max_duration":                  EndedNormally,    // parley: the policy or money limit
	"ended_by_staff":                EndedNormally,    // an officer ended it (audited): the time used is charged
	"shutdown":                      EndedDropped,     // parley: the node was stopped
	"rtp_timeout_inmate":            EndedDropped,     // parley side: no media from the facility phone
	"rtp_timeout_called":            EndedDropped,     // trunk: no media from the called party
	"recording_failed":              EndedFault,       // parley: the recorder failed mid-call
	"recorder_unavailable":          EndedFault,       // parley
	"media_error":                   EndedFault,       // parley
	"internal_error":                EndedFault,       // parley
	"policy_error":                  EndedFault,       // parley
	"no_rtp_port":                   EndedFault,       // parley
	"inmate_no_ack":                 EndedFault,       // facility phone never acknowledged
	"trunk_unreachable":             EndedFault,       // trunk
	"trunk_error":                   EndedFault,       // trunk
	"bad_answer_sdp":                EndedFault,       // trunk
	"trunk_auth_failed":             EndedFault,       // trunk: it refused parley's credentials
	"trunk_no_srtp":                 EndedFault,       // trunk: it answered without the SRTP required
	"no_input":                      EndedUnconnected, // inmate entered nothing
	"inmate_hangup_before_connect":  EndedUnconnected, // inmate
	"no_answer":                     EndedUnconnected, // called party
	"refused by called party":       EndedUnconnected, // called party pressed 2
	"blocked by called party":       EndedUnconnected, // called party pressed 9
	"no response from called party": EndedUnconnected, // called party
}

// Classify returns how a call with this final status and reason ended. A reason of the
// form trunk_NNN (a SIP final response to the outbound INVITE) is unconnected. A reason
// not in the table counts as a fault when the status is dropped — the caller gets the
// benefit of the doubt — and as a normal end otherwise.
func Classify(status parley.CallStatus, reason string) Ending {
	if e, ok := endings[reason]; ok {
		return e
	}
	if rest, ok := strings.CutPrefix(reason, "trunk_"); ok && len(rest) == 3 && allDigits(rest) {
		return EndedUnconnected
	}
	if status == parley.CallDropped {
		return EndedFault
	}
	return EndedNormally
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// FreeFirstMinute is how long a dropped call may have lasted and still be credited.
const FreeFirstMinute = time.Minute

// Credit codes, set in CallRecord.CreditReason followed by ":" and the end reason.
const (
	CreditFirstMinuteDrop = "dropped_in_first_minute"
	CreditSystemFault     = "system_fault"
)

// creditReason says whether a call that ended so, bridged for that long, is credited,
// and why: a fault always, a drop within FreeFirstMinute. Empty means charged.
func creditReason(status parley.CallStatus, reason string, bridged time.Duration) string {
	switch Classify(status, reason) {
	case EndedFault:
		return CreditSystemFault + ":" + safeReason(reason)
	case EndedDropped:
		if bridged < FreeFirstMinute {
			return CreditFirstMinuteDrop + ":" + safeReason(reason)
		}
	}
	return ""
}

// safeReason keeps a reason code short and printable for the credit memo.
func safeReason(r string) string {
	if r == "" {
		return "unspecified"
	}
	var b strings.Builder
	for _, c := range strings.ToLower(r) {
		if b.Len() >= 40 {
			break
		}
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' {
			b.WriteRune(c)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}
