package parley

import "context"

// BindingStore ties a data store to the one key directory its data is encrypted under,
// so that a missing or wrong key directory is refused with a clear message instead of
// being replaced by fresh keys under which nothing reads. The binding is a random id kept
// both in the store and in the key directory, with a canary sealed by the store's field
// cipher (and its blind index), so the keys themselves are checked, not only the id.
type BindingStore interface {
	// Binding returns the id the store is bound to after checking its canary under the
	// store's field cipher: KindNotFound if the store is not bound, KindIntegrity if the
	// canary does not open (the store was opened with other keys).
	Binding(ctx context.Context) (string, error)
	// Bind binds an unbound store to id (1 to 64 characters of [a-z0-9-]), sealing the
	// canary with the store's cipher. KindConflict if the store is bound already.
	Bind(ctx context.Context, id string) error
	// HoldsData reports whether the store holds anything written under a key directory:
	// a binding, a facility, an audit record, a recording, a staff or public account, a
	// ledger account.
	HoldsData(ctx context.Context) (bool, error)
	// ProbeKeys checks the store's field and index keys against one stored inmate, for
	// stores written before bindings existed: true if it opens and its blind index
	// matches, false if there is no inmate to check, KindIntegrity if the keys are not the
	// ones it was written under.
	ProbeKeys(ctx context.Context) (bool, error)
}
