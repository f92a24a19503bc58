package billing

import (
	"testing"
	"time"

	"parley.dev/parley"
)

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		status parley.CallStatus
		reason string
		want   Ending
	}{
		{parley.CallCompleted, "inmate_hangup", EndedNormally},
		{parley.CallCompleted, "called_party_hangup", EndedNormally},
		{parley.CallCompleted, "max_duration", EndedNormally},
		{parley.CallDropped, "ended_by_staff", EndedNormally}, // not a fault: the time used is charged
		{parley.CallCompleted, "", EndedNormally},
		{parley.CallDropped, "rtp_timeout_inmate", EndedDropped},
		{parley.CallDropped, "rtp_timeout_called", EndedDropped},
		{parley.CallDropped, "shutdown", EndedDropped},
		{parley.CallDropped, "recording_failed", EndedFault},
		{parley.CallDropped, "trunk_error", EndedFault},
		{parley.CallDropped, "trunk_auth_failed", EndedFault},
		{parley.CallDropped, "trunk_no_srtp", EndedFault},
		{parley.CallDeclined, "trunk_486", EndedUnconnected},
		{parley.CallDeclined, "no_answer", EndedUnconnected},
		{parley.CallDropped, "inmate_hangup_before_connect", EndedUnconnected},
		{parley.CallDropped, "trunk_4x6", EndedFault}, // not a status code: unknown
		{parley.CallDropped, "brand_new_reason", EndedFault},
		{parley.CallCompleted, "brand_new_reason", EndedNormally},
	} {
		if got := Classify(tc.status, tc.reason); got != tc.want {
			t.Errorf("Classify(%s, %q) = %s, want %s", tc.status, tc.reason, got, tc.want)
		}
	}
}

func TestCreditReason(t *testing.T) {
	for _, tc := range []struct {
		status  parley.CallStatus
		reason  string
		bridged time.Duration
		want    string
	}{
		{parley.CallDropped, "rtp_timeout_called", 59 * time.Second, "dropped_in_first_minute:rtp_timeout_called"},
		{parley.CallDropped, "rtp_timeout_called", time.Minute, ""},
		{parley.CallDropped, "recording_failed", time.Hour, "system_fault:recording_failed"},
		{parley.CallCompleted, "inmate_hangup", 5 * time.Second, ""},
		{parley.CallDropped, "Weird Reason +1 555", time.Second, "system_fault:weird_reason__1_555"},
	} {
		if got := creditReason(tc.status, tc.reason, tc.bridged); got != tc.want {
			t.Errorf("creditReason(%s, %q, %v) = %q, want %q", tc.status, tc.reason, tc.bridged, got, tc.want)
		}
	}
}
