package auth_test

import (
	"testing"

	"parley.dev/parley/auth"
)

// BenchmarkVerifyPassword measures one argon2id verification (46 MiB, 1 pass): the cost of
// every sign-in attempt, and of every guess against a stolen hash.
func BenchmarkVerifyPassword(b *testing.B) {
	h, err := auth.HashPassword("correct horse battery")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if !auth.VerifyPassword(h, "correct horse battery") {
			b.Fatal("no match")
		}
	}
}
