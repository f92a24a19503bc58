package sip

import (
	"testing"
	"time"
)

func TestParseInfoDTMF(t *testing.T) {
	for _, tt := range []struct {
		ct, body  string
		key       byte
		ok, valid bool
	}{
		{"application/dtmf-relay", "Signal=5\r\nDuration=160\r\n", '5', true, true},
		{"Application/DTMF-Relay; charset=x", "Duration=160\r\nsignal = #\r\n", '#', true, true},
		{"application/dtmf-relay", "Signal=11\r\n", '#', true, true},
		{"application/dtmf-relay", "Signal=10\r\n", '*', true, true},
		{"application/dtmf", "5", '5', true, true},
		{"application/dtmf", " d\r\n", 'D', true, true},
		{"application/dtmf", "", 0, true, false},
		{"application/dtmf-relay", "Duration=160", 0, true, false},
		{"application/dtmf", "x", 0, true, false},
		{"text/plain", "5", 0, false, false},
		{"", "5", 0, false, false},
	} {
		key, ok, valid := parseInfoDTMF(tt.ct, []byte(tt.body))
		if key != tt.key || ok != tt.ok || valid != tt.valid {
			t.Errorf("%q %q: %q %v %v", tt.ct, tt.body, key, ok, valid)
		}
	}
}

func TestDigitDedup(t *testing.T) {
	l := &leg{digits: make(chan byte, 32)}
	t0 := time.Unix(1000, 0)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	l.pushDigit('5', digitRTP, ms(0))
	l.pushDigit('5', digitINFO, ms(10))   // the same press by INFO: dropped
	l.pushDigit('5', digitINFO, ms(300))  // second press, INFO first this time: dropped...
	l.pushDigit('5', digitRTP, ms(310))   // ...its RFC 4733 copy counts
	l.pushDigit('6', digitINFO, ms(320))  // another key: counted
	l.pushDigit('6', digitINFO, ms(400))  // same key, same method: a new press
	l.pushDigit('6', digitRTP, ms(2000))  // long after: counted
	l.pushDigit('7', digitINFO, ms(2010)) // counted
	close(l.digits)
	var got []byte
	for k := range l.digits {
		got = append(got, k)
	}
	if string(got) != "556667" {
		t.Errorf("keys %q, want 556667", got)
	}
}
