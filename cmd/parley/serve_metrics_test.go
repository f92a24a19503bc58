package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// testMetricsToken is the bearer token tests give serve for /metrics on --http.
const testMetricsToken = "metrics-token-for-tests-0123456789"

// scrapeMetrics reads /metrics from s's server with the test token, after checking that
// without it (or with a wrong one) the answer is 401 and no metric.
func scrapeMetrics(t *testing.T, s *staff) []byte {
	t.Helper()
	for _, auth := range []string{"", "Bearer wrong", testMetricsToken} {
		h := http.Header{}
		if auth != "" {
			h.Set("Authorization", auth)
		}
		resp := s.raw("GET", "/metrics", nil, h)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || strings.Contains(string(b), "parley_") {
			t.Errorf("GET /metrics with Authorization %q: %d, want 401", auth, resp.StatusCode)
		}
	}
	h := http.Header{"Authorization": {"Bearer " + testMetricsToken}}
	resp := s.raw("GET", "/metrics", nil, h)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics with the token: %d %v", resp.StatusCode, err)
	}
	return b
}
