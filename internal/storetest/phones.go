package storetest

import (
	"strings"
	"testing"
	"time"

	"parley.dev/parley"
)

func sipPhone(user, facilityID string) *parley.SIPPhone {
	return &parley.SIPPhone{Username: user, FacilityID: facilityID, Realm: "parley",
		Digest: "sha256,md5", HA1: strings.Repeat("ab", 16), HA1SHA256: strings.Repeat("cd", 32), AddedAt: base}
}

func testPhones(t *testing.T, s parley.Store) {
	mustFacility(t, s, "f1")
	mustFacility(t, s, "f2")
	p := sipPhone("pod-a-1", "f1")
	ok(t, "add", s.AddPhone(ctx(t), p))
	got, err := s.FindPhone(ctx(t), "pod-a-1")
	ok(t, "find", err)
	want := *p
	want.AddedAt = us(base)
	equal(t, "round trip", got, &want)

	wantKind(t, "same user", s.AddPhone(ctx(t), sipPhone("pod-a-1", "f1")), parley.KindConflict)
	wantKind(t, "same user other facility", s.AddPhone(ctx(t), sipPhone("pod-a-1", "f2")), parley.KindConflict)
	wantKind(t, "no facility", s.AddPhone(ctx(t), sipPhone("pod-x", "f9")), parley.KindNotFound)
	for name, mod := range map[string]func(p *parley.SIPPhone){
		"empty user":           func(p *parley.SIPPhone) { p.Username = "" },
		"bad user":             func(p *parley.SIPPhone) { p.Username = "has space" },
		"no realm":             func(p *parley.SIPPhone) { p.Realm = "" },
		"short HA1":            func(p *parley.SIPPhone) { p.HA1 = "abcd" },
		"non-hex HA1":          func(p *parley.SIPPhone) { p.HA1 = strings.Repeat("zz", 16) },
		"no SHA-256":           func(p *parley.SIPPhone) { p.HA1SHA256 = "" },
		"password":             func(p *parley.SIPPhone) { p.HA1 = "correct horse battery staple!!!!" },
		"no digest":            func(p *parley.SIPPhone) { p.Digest = "" },
		"bad digest":           func(p *parley.SIPPhone) { p.Digest = "sha1" },
		"not canonical digest": func(p *parley.SIPPhone) { p.Digest = "md5,sha256" },
		"md5 without HA1":      func(p *parley.SIPPhone) { p.Digest, p.HA1SHA256, p.HA1 = "md5", "", "" },
		"md5 with SHA-256":     func(p *parley.SIPPhone) { p.Digest = "md5" },
		"sha256 with HA1":      func(p *parley.SIPPhone) { p.Digest = "sha256" },
		"sha256 without hash":  func(p *parley.SIPPhone) { p.Digest, p.HA1, p.HA1SHA256 = "sha256", "", "" },
	} {
		bad := sipPhone("pod-bad", "f1")
		mod(bad)
		wantKind(t, name, s.AddPhone(ctx(t), bad), parley.KindInvalid)
	}
	_, err = s.FindPhone(ctx(t), "pod-bad")
	wantKind(t, "invalid phones not stored", err, parley.KindNotFound)

	ok(t, "add second", s.AddPhone(ctx(t), sipPhone("pod-a-0", "f1")))
	ok(t, "add other facility", s.AddPhone(ctx(t), sipPhone("pod-b-1", "f2")))
	list, err := s.ListPhones(ctx(t), "f1")
	ok(t, "list", err)
	if len(list) != 2 || list[0].Username != "pod-a-0" || list[1].Username != "pod-a-1" {
		t.Fatalf("list f1: %+v", list)
	}
	all, err := s.ListPhones(ctx(t), "")
	ok(t, "list all", err)
	if len(all) != 3 || all[2].Username != "pod-b-1" {
		t.Fatalf("list all: %+v", all)
	}

	testPhoneDigest(t, s)

	ok(t, "remove", s.RemovePhone(ctx(t), "pod-a-1"))
	_, err = s.FindPhone(ctx(t), "pod-a-1")
	wantKind(t, "removed", err, parley.KindNotFound)
	wantKind(t, "remove again", s.RemovePhone(ctx(t), "pod-a-1"), parley.KindNotFound)
}

// testPhoneDigest: a phone is stored with one algorithm's hash alone, and its algorithms
// and hashes are replaced together (the facility and the date stay).
func testPhoneDigest(t *testing.T, s parley.Store) {
	md := &parley.SIPPhone{Username: "pod-md5", FacilityID: "f1", Realm: "parley", Digest: "md5",
		HA1: strings.Repeat("12", 16), AddedAt: base}
	ok(t, "add md5", s.AddPhone(ctx(t), md))
	got, err := s.FindPhone(ctx(t), "pod-md5")
	ok(t, "find md5", err)
	if got.Digest != "md5" || got.HA1 != md.HA1 || got.HA1SHA256 != "" {
		t.Fatalf("md5 phone %+v", got)
	}
	sha := &parley.SIPPhone{Username: "pod-md5", FacilityID: "f2", Realm: "other", Digest: "sha256",
		HA1SHA256: strings.Repeat("34", 32), AddedAt: base.Add(time.Hour)}
	ok(t, "to sha256", s.UpdatePhoneDigest(ctx(t), sha))
	got, err = s.FindPhone(ctx(t), "pod-md5")
	ok(t, "find updated", err)
	want := &parley.SIPPhone{Username: "pod-md5", FacilityID: "f1", Realm: "other", Digest: "sha256",
		HA1SHA256: sha.HA1SHA256, AddedAt: us(base)}
	equal(t, "updated", got, want)
	bad := *sha
	bad.HA1 = strings.Repeat("12", 16) // a hash sha256 alone does not name
	wantKind(t, "update invalid", s.UpdatePhoneDigest(ctx(t), &bad), parley.KindInvalid)
	missing := *sha
	missing.Username = "pod-none"
	wantKind(t, "update missing", s.UpdatePhoneDigest(ctx(t), &missing), parley.KindNotFound)
	ok(t, "remove md5", s.RemovePhone(ctx(t), "pod-md5"))
}
