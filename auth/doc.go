// Package auth signs staff in: accounts with a one-time enrolment secret, passwords hashed
// with argon2id, a TOTP second factor (SHA-256, so it works under GODEBUG=fips140=only),
// lockout after repeated failures, replayed codes refused, and sessions whose random tokens
// are stored only as hashes and end on idle, on an absolute timeout and when a factor
// changes. A password alone never yields a session. Sign-in and sign-out are audit events
// that name the account by id, never by name.
package auth
