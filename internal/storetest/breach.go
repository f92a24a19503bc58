package storetest

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"parley.dev/parley"
)

// Dumper returns the raw bytes an attacker would hold after stealing the database (the
// files, or a dump), taken from the store RunBreach's open call returned.
type Dumper func(t *testing.T) []byte

// The personal data RunBreach seeds. Every value is distinctive, so a hit is never chance.
var (
	breachNumbers = []string{"+13125550147", "+17735550199", "+442079460321", "+15551234567"}
	breachNames   = []string{"Zebulon Quartermaine", "Philippa Vandersnoot", "Ignatius Brackenbury", "Counsel Wexford-Tully"}
	breachInmates = []string{"DOC-7734219", "BK2026X0459"}
	breachBars    = []string{"ARDC-6290417"}
	breachKeys    = []string{"legacy-7f3c9e-import-key"}
	breachPINs    = []string{"90817263"}
	// A phone's digest hashes (secrets) and a number filled in after the call started.
	breachHA1    = []string{"5e1a9c0d7b3f2468ace013579bdf2468", "9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0"}
	breachLateNo = "+13125550993"
	// breachFacility is stored in clear: finding it proves the dump is real.
	breachFacility = "Breach Control County Jail"
)

// numberForms returns the ways a number might show up in clear: E.164, digits with and
// without the country code, and common national formats.
func numberForms(e164 string) []string {
	digits := strings.TrimPrefix(e164, "+")
	forms := []string{e164, digits}
	if strings.HasPrefix(digits, "1") && len(digits) == 11 {
		nat := digits[1:]
		forms = append(forms, nat, nat[:3]+"-"+nat[3:6]+"-"+nat[6:], "("+nat[:3]+") "+nat[3:6]+"-"+nat[6:],
			nat[:3]+"."+nat[3:6]+"."+nat[6:])
	} else {
		forms = append(forms, digits[2:])
	}
	return forms
}

// RunBreach seeds a store from open with known personal data (numbers, names, inmate ids,
// bar numbers) in every table, then scans the bytes dump returns for each of them in
// several formats, raw and hex-encoded (as pg_dump shows bytea): there must be no hit. The
// facility name, stored in clear, must be found, or the dump is not a real one.
func RunBreach(t *testing.T, open Opener, dump Dumper) {
	s := open(t)
	seedBreach(t, s)
	data := dump(t)
	lower := bytes.ToLower(data)
	var needles []string
	for _, n := range breachNumbers {
		needles = append(needles, numberForms(n)...)
	}
	needles = append(needles, breachNames...)
	needles = append(needles, breachInmates...)
	needles = append(needles, breachBars...)
	needles = append(needles, breachKeys...)
	needles = append(needles, breachPINs...)
	needles = append(needles, breachTOTP)
	needles = append(needles, breachHA1...)
	needles = append(needles, numberForms(breachLateNo)...)
	if !bytes.Contains(data, []byte(breachFacility)) {
		t.Fatalf("the dump (%d bytes) does not contain the facility name stored in clear; it is not a real dump", len(data))
	}
	for _, needle := range needles {
		forms := map[string]string{
			"raw":   strings.ToLower(needle),
			"hex":   hex.EncodeToString([]byte(needle)),
			"utf16": strings.ToLower(string(utf16le(needle))),
		}
		for form, f := range forms {
			if bytes.Contains(lower, []byte(f)) {
				t.Errorf("the dump contains personal data in clear (%s form of a seeded value %q…)", form, redact(needle))
			}
		}
	}
}

func redact(s string) string {
	if len(s) <= 3 {
		return "…"
	}
	return s[:3]
}

func utf16le(s string) []byte {
	out := make([]byte, 0, 2*len(s))
	for i := 0; i < len(s); i++ {
		out = append(out, s[i], 0)
	}
	return out
}

func seedBreach(t *testing.T, s parley.Store) {
	f := &parley.Facility{ID: "breach-jail", Name: breachFacility, Type: parley.FacilityJail, ADP: 300,
		ClassRetentionDays: map[parley.RecordClass]int{parley.ClassImported: 30}}
	ok(t, "facility", s.CreateFacility(ctx(t), f))
	ok(t, "device", s.CreateDevice(ctx(t), &parley.Device{FacilityID: f.ID, ID: "pod-b-2", Name: "Pod B"}))
	for i, id := range breachInmates {
		ok(t, "inmate", s.CreateInmate(ctx(t), &parley.Inmate{FacilityID: f.ID, ID: id, Name: breachNames[i],
			PINHash: "$argon2id$v=19$m=65536,t=3,p=2$c2FsdA$aGFzaA"}))
	}
	ok(t, "privileged", s.CreatePrivileged(ctx(t), &parley.PrivilegedNumber{Number: parley.Number(breachNumbers[0]),
		Kind: parley.PrivilegeAttorney, Source: parley.SourceStaff, Name: breachNames[3], BarNumber: breachBars[0],
		AddedBy: "cli:operator"}))
	period := f.ID + "/" + base.Format("2006-01-02")
	for i, n := range breachNumbers {
		inmate := breachInmates[i%len(breachInmates)]
		c := &parley.CallRecord{FacilityID: f.ID, InmateID: inmate, InmateName: breachNames[i%len(breachInmates)],
			DeviceID: "pod-b-2", Number: parley.Number(n), StartedAt: base.Add(time.Duration(i) * time.Minute),
			Duration: time.Minute, Status: parley.CallCompleted, Recording: parley.RecordingStored, Source: "sip"}
		if i == 1 {
			c.ImportKey, c.Source, c.Status = breachKeys[0], "import", parley.CallImported
		}
		ok(t, "call", s.CreateCall(ctx(t), c))
		r := recording("breach-rec-"+string(rune('a'+i)), c.ID, f.ID, period, 1, base)
		ok(t, "recording", s.CreateRecording(ctx(t), r))
		c.RecordingID = r.ID
		ok(t, "update call", s.UpdateCall(ctx(t), c))
	}
	_, err := s.MarkCallsPrivileged(ctx(t), parley.Number(breachNumbers[0]))
	ok(t, "mark privileged", err)
	recs, err := s.ListPeriodRecordings(ctx(t), period)
	ok(t, "list", err)
	sh := parley.PeriodShred{Period: period, FromGen: 1, ToGen: 2, Rewrapped: map[string][]byte{},
		Reason: "privileged_number", At: base}
	for _, r := range recs {
		if r.ID == "breach-rec-a" {
			sh.Destroyed = append(sh.Destroyed, r.ID)
		} else {
			sh.Rewrapped[r.ID] = []byte("rewrapped")
		}
	}
	ok(t, "shred", s.ShredPeriod(ctx(t), sh))
	seedBreachContacts(t, s, f.ID)
	seedBreachStaff(t, s, f.ID)
	seedBreachPublic(t, s)
	ok(t, "phone", s.AddPhone(ctx(t), &parley.SIPPhone{Username: "pod-b-2", FacilityID: f.ID, Realm: "parley",
		Digest: "sha256,md5", HA1: breachHA1[0], HA1SHA256: breachHA1[1]}))
	late := &parley.CallRecord{FacilityID: f.ID, DeviceID: "pod-b-2", StartedAt: base, Status: parley.CallAttempted,
		Recording: parley.RecordingNone, Source: "sip"}
	ok(t, "attempt", s.CreateCall(ctx(t), late))
	late.InmateID, late.InmateName, late.Number = breachInmates[0], breachNames[0], parley.Number(breachLateNo)
	late.Status = parley.CallRefused
	ok(t, "parties later", s.UpdateCall(ctx(t), late))
	for _, probe := range []func() error{
		func() error {
			_, err := s.FindCalls(ctx(t), parley.CallFilter{Number: parley.Number(breachNumbers[1])})
			return err
		},
		func() error { _, err := s.FindInmate(ctx(t), f.ID, breachInmates[0]); return err },
		func() error { _, err := s.FindPrivileged(ctx(t), parley.Number(breachNumbers[0])); return err },
	} {
		ok(t, "read back", probe())
	}
}

// seedBreachContacts fills the call-policy tables: every number of breachNumbers on an
// allowed list, blocked at the facility and self-blocked, and a PIN index.
func seedBreachContacts(t *testing.T, s parley.Store, facilityID string) {
	for i, n := range breachNumbers {
		num := parley.Number(n)
		ok(t, "allow", s.AddAllowedNumber(ctx(t), &parley.AllowedNumber{FacilityID: facilityID,
			InmateID: breachInmates[i%len(breachInmates)], Number: num, MaxCallLength: 10 * time.Minute}))
		ok(t, "block", s.AddBlockedNumber(ctx(t), facilityID, num))
		ok(t, "self-block", s.AddSelfBlock(ctx(t), &parley.SelfBlock{Number: num}))
		ok(t, "scoped self-block", s.AddSelfBlock(ctx(t), &parley.SelfBlock{Number: num, FacilityID: facilityID}))
	}
	ok(t, "prefix", s.AddBlockedPrefix(ctx(t), facilityID, "+1900"))
	ok(t, "pin", s.SetInmatePIN(ctx(t), facilityID, breachInmates[0], "$argon2id$v=19$m=65536,t=3,p=2$c2FsdA$aGFzaA", breachPINs[0]))
	ok(t, "pin state", s.SavePINState(ctx(t), facilityID, parley.PINSubject{InmateID: breachInmates[0]}, parley.PINState{Failures: 2}))
	ok(t, "gateway", s.AddGateway(ctx(t), &parley.Gateway{Addr: "192.0.2.10", FacilityID: facilityID}))
	if _, err := s.FindInmateByPIN(ctx(t), facilityID, breachPINs[0]); err != nil {
		t.Fatalf("read back PIN: %v", err)
	}
	if _, err := s.ListAllowedNumbers(ctx(t), facilityID, breachInmates[0]); err != nil {
		t.Fatalf("read back allowed: %v", err)
	}
}
