package billing

import (
	"encoding/hex"

	"parley.dev/parley"
	"parley.dev/parley/ledger"
)

// Indexer computes keyed blind indexes (parley.FieldCipher has it). Account ids and
// holder references are derived from them, so the ledger never holds a telephone number
// or an inmate id, yet the same person always maps to the same account.
type Indexer interface {
	BlindIndex(column string, value []byte) []byte
}

// holder returns the hex blind index of value under column: an opaque holder reference.
func holder(ix Indexer, column, value string) string {
	return hex.EncodeToString(ix.BlindIndex(column, []byte(value)))
}

// InmateAccount returns the debit account of an inmate at a facility: id
// "inmate-<32 hex>", holder the blind index of facility NUL inmate id (column
// "inmate_id", the digest the other tables search inmates by).
func InmateAccount(ix Indexer, facilityID, inmateID string) ledger.Account {
	h := holder(ix, "inmate_id", facilityID+"\x00"+inmateID)
	return ledger.Account{ID: "inmate-" + h[:32], Kind: ledger.InmateDebit, Holder: h, Active: true}
}

// PrepaidAccount returns the prepaid account a called party holds for their number:
// id "prepaid-<32 hex>", holder the blind index of the E.164 number (column "number").
func PrepaidAccount(ix Indexer, n parley.Number) ledger.Account {
	h := holder(ix, "number", string(n))
	return ledger.Account{ID: "prepaid-" + h[:32], Kind: ledger.Prepaid, Holder: h, Active: true}
}

// CollectAccount returns the account collect calls to a number are billed to: id
// "collect-<32 hex>", the same holder reference as the number's prepaid account. parley
// extends no credit, so the called party funds it in advance like a prepaid account.
func CollectAccount(ix Indexer, n parley.Number) ledger.Account {
	h := holder(ix, "number", string(n))
	return ledger.Account{ID: "collect-" + h[:32], Kind: ledger.Collect, Holder: h, Active: true}
}

// PayingCandidates returns, in the order Authorize tries them, the accounts that may pay
// for a call: the inmate's debit account, then the prepaid account the called party
// holds for their number, then the called party's collect account. The inmate pays first
// because the call is theirs; a family pays only when the inmate cannot; collect comes
// last because it bills the called party for a call they have not yet accepted.
func PayingCandidates(ix Indexer, call *parley.CallRecord) []ledger.Account {
	var out []ledger.Account
	if call.FacilityID != "" && call.InmateID != "" {
		out = append(out, InmateAccount(ix, call.FacilityID, call.InmateID))
	}
	if call.Number != "" {
		out = append(out, PrepaidAccount(ix, call.Number), CollectAccount(ix, call.Number))
	}
	return out
}
