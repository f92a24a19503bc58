// Package vault stores call recordings encrypted and destroys them by crypto-shredding.
//
// # Keys
//
// Every recording has its own random 256-bit data key (DEK). The audio is sealed with it in
// chunks (see the stream format below) and written to a parley.BlobStore; the blob store
// only ever sees ciphertext. The DEK is wrapped (AES-256-GCM, additional data binding the
// recording id, the period and the generation) by the key of the recording's period — the
// facility and the UTC day, with a generation number — and the wrapped DEK is stored in the
// database (parley.RecordingService). Period keys live only in the key directory
// (parley.PeriodKeys), never in the database or the blob store, and the key directory is
// never inside the data directory nor backed up with its history.
//
// # Crypto-shredding: re-wrap, then destroy
//
// To destroy some recordings of a period at generation g, Destroy creates the key of
// generation g+1, unwraps every survivor's DEK with g and wraps it under g+1, commits that
// in one database transaction (RecordingService.ShredPeriod: survivors get their new
// wrapped DEKs, the destroyed lose theirs), and only then destroys the key of g. Destroying
// every recording of a period simply destroys the period key.
//
// Why a backup taken before the shred cannot bring a destroyed recording back: the backup
// holds the recording's ciphertext and its DEK wrapped under generation g. After the shred
// the key of g exists nowhere — not in the database, not in the blob store, not in the key
// directory — and g+1 never wrapped that DEK. Without the DEK the ciphertext is noise. The
// survivors, re-wrapped under g+1, read on. A crash between the commit and the key's
// destruction leaves an old key file behind; SweepKeys destroys it.
//
// # Healing after a database restore
//
// Restoring a database backup taken before a shred brings back the survivors' data keys
// wrapped under generation g, whose key is gone: without help they would be unreadable
// too. So before each shred commits, the vault durably writes a re-wrap journal beside
// the key of g+1 in the key directory (never the data directory): every survivor's id and
// its data key wrapped under g+1 — the very bytes ShredPeriod stores — sealed as a whole
// with the key of g+1 (additional data binding the period and generation), mode 0600. It
// holds nothing usable without the key directory, destroyed recordings never appear in
// it, and it is destroyed with its key, so the newest journal of a period always lists
// its full survivor set. After a restore, run `parley vault heal` (Heal) before serving:
// for each period whose recordings' key is gone, it re-applies, in one ShredPeriod from
// the restored generation to the newest journal's, exactly what happened since the
// backup: the journal's survivors get their keys back and read byte-identical; every
// other recording of the period was destroyed since the backup and is destroyed again.
// A period with no journal (destroyed whole since the backup) has its recordings marked
// destroyed as unrecoverable, so the call records tell the truth. Until Heal has run,
// Record refuses to create a fresh key for a generation the database still uses, and
// Destroy refuses to shred a period whose key is gone.
//
// # One door
//
// Record is the only way to obtain a Recorder. It asks the parley.RecordGate ("may this
// call be recorded?") before anything is created: if the answer is no, there is no key, no
// row, no blob, no temporary file — nothing to leak or to forget to delete. It asks the gate
// again right before the recording's row is created, so a number registered as privileged
// in the meantime still wins.
//
// # Stream format
//
// A blob is a header — Magic ("PRLYREC1") and the plaintext chunk size as a big-endian
// uint32 — then chunks. Each chunk is a big-endian uint32 length and that many bytes of
// random 12-byte nonce followed by AES-256-GCM ciphertext (cipher.NewGCMWithRandomNonce,
// which Go allows under GODEBUG=fips140=only). The additional data of chunk i is
// "parley/rec/v1", the length-prefixed recording id, the header's chunk size, uint64(i)
// and a final flag byte; the last chunk has the flag set (an empty recording is one empty
// final chunk). Every chunk but the last holds exactly the chunk size of plaintext. So a
// flipped byte, a dropped, swapped or moved chunk, a blob copied to another recording, a
// changed header, trailing data and truncation are all detected (KindIntegrity; truncation
// wraps ErrTruncated). Lengths are capped before anything is allocated.
//
// The recorder buffers at most one chunk of plaintext in memory, so clear audio never
// touches storage. Sealed chunks are written and synced one by one by a goroutine of the
// recorder's own, so the caller (a call's RTP read loop) never waits on the disk unless it
// falls two chunks behind; a crash loses the chunk being filled and at most two sealed ones
// (64 KiB is four seconds of a stereo G.711 call). Recover turns such recordings into
// truncated ones readable up to the last whole chunk.
//
// # Reads
//
// Open requires a stated purpose, and audits every successful open (actor, purpose, case)
// before it returns any audio; if the audit fails, nothing is returned.
package vault
