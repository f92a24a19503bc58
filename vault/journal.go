package vault

import (
	"context"
	"encoding/binary"
	"slices"
	"strconv"

	"parley.dev/parley"
)

// Journals keeps re-wrap journals beside the period keys. *keydir.Dir implements it; a
// parley.PeriodKeys that does not cannot have its survivors healed after a database
// restore (see Heal). Implementations must destroy the journal of a generation when they
// destroy its period key.
type Journals interface {
	// WriteJournal durably writes (replacing) the opaque journal of (period, gen).
	// KindNotFound if the period key of gen does not exist.
	WriteJournal(ctx context.Context, period string, gen int, data []byte) error
	// ReadJournal returns the journal of (period, gen). KindNotFound if there is none.
	ReadJournal(ctx context.Context, period string, gen int) ([]byte, error)
}

// journalMagic starts every re-wrap journal.
const journalMagic = "PRLYRWJ1"

// maxJournalEntries bounds the entry count read from a journal before allocating.
const maxJournalEntries = 1 << 20

// journalAAD binds a journal to its period and generation.
func journalAAD(period string, gen int) []byte {
	return []byte("parley/rewrap/v1\x00" + period + "\x00" + strconv.Itoa(gen))
}

// sealJournal renders a journal: journalMagic, then AES-256-GCM under the period key of
// gen (random nonce first) of a big-endian uint32 entry count followed by, for each
// survivor in id order, a uint16-prefixed recording id and a uint16-prefixed data key
// wrapped under gen. The additional data binds the period and generation, so a journal
// copied to another period or generation, edited, truncated or extended does not open.
func sealJournal(op string, periodKey []byte, period string, gen int, entries map[string][]byte) ([]byte, error) {
	ids := make([]string, 0, len(entries))
	for id := range entries {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	pt := binary.BigEndian.AppendUint32(nil, uint32(len(ids)))
	for _, id := range ids {
		w := entries[id]
		if len(id) == 0 || len(id) > 0xffff || len(w) == 0 || len(w) > 0xffff {
			return nil, parley.Errorf(op, parley.KindInternal, "journal entry out of range")
		}
		pt = binary.BigEndian.AppendUint16(pt, uint16(len(id)))
		pt = append(pt, id...)
		pt = binary.BigEndian.AppendUint16(pt, uint16(len(w)))
		pt = append(pt, w...)
	}
	aead, err := newGCM(op, periodKey)
	if err != nil {
		return nil, err
	}
	return aead.Seal([]byte(journalMagic), nil, pt, journalAAD(period, gen)), nil
}

// openJournal authenticates and parses a journal sealed by sealJournal. KindIntegrity if it
// does not authenticate or is malformed.
func openJournal(op string, periodKey, b []byte, period string, gen int) (map[string][]byte, error) {
	bad := parley.Errorf(op, parley.KindIntegrity, "re-wrap journal does not authenticate")
	if len(b) < len(journalMagic) || string(b[:len(journalMagic)]) != journalMagic {
		return nil, bad
	}
	aead, err := newGCM(op, periodKey)
	if err != nil {
		return nil, err
	}
	pt, err := aead.Open(nil, nil, b[len(journalMagic):], journalAAD(period, gen))
	if err != nil || len(pt) < 4 {
		return nil, bad
	}
	n := binary.BigEndian.Uint32(pt)
	if n > maxJournalEntries {
		return nil, bad
	}
	pt = pt[4:]
	field := func() ([]byte, bool) {
		if len(pt) < 2 {
			return nil, false
		}
		l := int(binary.BigEndian.Uint16(pt))
		if l == 0 || len(pt) < 2+l {
			return nil, false
		}
		f := pt[2 : 2+l]
		pt = pt[2+l:]
		return f, true
	}
	out := make(map[string][]byte, n)
	for range n {
		id, ok1 := field()
		w, ok2 := field()
		if !ok1 || !ok2 {
			return nil, bad
		}
		if _, dup := out[string(id)]; dup {
			return nil, bad
		}
		out[string(id)] = slices.Clone(w)
	}
	if len(pt) != 0 {
		return nil, bad
	}
	return out, nil
}

// writeJournal seals the survivors of a shred (recording id -> data key wrapped under gen)
// with the period key of gen and stores the journal beside it, before the shred commits.
// Without a Journals store it logs that survivors will not be healable after a restore.
func (v *Vault) writeJournal(ctx context.Context, op string, periodKey []byte, period string, gen int, entries map[string][]byte) error {
	if v.journals == nil {
		v.logger.Warn("the period key store keeps no re-wrap journal; survivors cannot be healed after a database restore",
			"period", period, "gen", gen)
		return nil
	}
	b, err := sealJournal(op, periodKey, period, gen, entries)
	if err != nil {
		return err
	}
	if err := v.journals.WriteJournal(ctx, period, gen, b); err != nil {
		return parley.WrapError(op, parley.KindUnavailable, err)
	}
	return nil
}
