package main

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"testing"

	"parley.dev/parley"
)

// TestWebNoRandomRequestAllowedWithoutARule: random requests — any route of the matrix,
// any role, own or other facility, with or without grant, with a random or garbled body —
// never succeed where the matrix has no rule allowing them (403), whatever the body.
func TestWebNoRandomRequestAllowedWithoutARule(t *testing.T) {
	w := newMatrixWorld(t)
	rng := rand.New(rand.NewPCG(5, 23))
	bodies := []func(n int) any{
		func(int) any { return nil },
		func(int) any { return []byte(`{"op":"add","number":"+12025550123","prefix":"+1900"}`) },
		func(n int) any {
			return map[string]string{"op": "issue", "user": "admin-plain", "hours": "1", "reason": "x"}
		},
		func(n int) any { return []byte(fmt.Sprintf(`{"days":%d,"lockdown":"on","audio":"0.01"}`, n)) },
		func(int) any { return []byte(`not json`) },
	}
	denied := 0
	for i := 0; i < 400; i++ {
		rt := matrixRoutes[rng.IntN(len(matrixRoutes))]
		role := parley.Roles[rng.IntN(len(parley.Roles))]
		granted := rng.IntN(2) == 0
		fac := []string{"cnty", "city"}[rng.IntN(2)]
		name := string(role) + "-plain"
		if granted {
			name = string(role) + "-granted"
		}
		var body any
		if rt.method != "GET" {
			body = bodies[rng.IntN(len(bodies))](1000 + i)
		}
		status, b := w.signIn(t, name).do(rt.method, rt.url(fac, w), body)
		if rt.want(role, fac == "cnty", granted) == http.StatusForbidden {
			denied++
			if status != http.StatusForbidden {
				t.Errorf("%s %s as %s: %d (%.200s), but no rule allows it", rt.method, rt.url(fac, w), name, status, b)
			}
		}
	}
	if denied < 100 {
		t.Fatalf("only %d requests had no rule: the test explores too little", denied)
	}
}
