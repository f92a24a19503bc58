package main

import (
	"context"
	"io"
	"net/http"
	"net/netip"
	"regexp"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"parley.dev/parley/sip/siptest"
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

// metricValue sums a family's values: counters and gauges, and histograms' counts.
func metricValue(mf *dto.MetricFamily) float64 {
	var v float64
	for _, m := range mf.GetMetric() {
		switch {
		case m.Counter != nil:
			v += m.Counter.GetValue()
		case m.Gauge != nil:
			v += m.Gauge.GetValue()
		case m.Histogram != nil:
			v += float64(m.Histogram.GetSampleCount())
		}
	}
	return v
}

// scrape reads a /metrics endpoint without credentials and parses it.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", url, resp.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return mfs
}

// TestServeMetricsAfterCall: after a real SIP call through serve, /metrics on its own
// listener (--metrics) has every family an operator pages on with a non-zero value, each
// RTP family for both legs; the portals' --http listener has no /metrics without a token;
// no label value is an id or personal data.
func TestServeMetricsAfterCall(t *testing.T) {
	c := newCLI(t)
	c.ok("facility", "add", "--id", "cnty", "--name", "County Jail", "--type", "jail", "--adp", "250")
	c.ok("inmate", "add", "--facility", "cnty", "--id", "A1001", "--name", "Marisol Quintanilla", "--pin", sipPIN)
	c.ok("facility", "rules", "--facility", "cnty", "--hours", "daily 00:00-24:00", "--max-call", "15m")
	c.ok("contact", "allow", "--facility", "cnty", "--inmate", "A1001", "--number", sipDialed)
	c.ok("facility", "gateway", "--facility", "cnty", "--add", "127.0.0.1")
	trunk, err := siptest.NewTrunk(netip.MustParseAddr("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(trunk.Close)
	srv := startServe(t, c, trunk.URI(), "--metrics", "127.0.0.1:0")
	m := regexp.MustCompile(`msg="parley serving metrics" addr=(\S+)`).FindStringSubmatch(srv.stderr.String())
	if m == nil {
		t.Fatalf("no metrics address logged:\n%s", srv.stderr.String())
	}
	metricsURL := "http://" + m[1] + "/metrics"
	if resp, err := http.Get(srv.http + "/metrics"); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("GET /metrics on --http without a token: %v %v, want 404", resp, err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), sipGuard)
	defer cancel()
	p := dialIn(t, srv, sipPIN)
	tc := answerTrunk(t, srv, trunk, "1")
	talk(t, p, tc)
	if err := p.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	sipWaitClosed(t, "the trunk leg to end", tc.Ended())

	families := []string{"parley_calls_total", "parley_call_setup_seconds", "parley_rtp_loss_ratio",
		"parley_rtp_jitter_seconds", "parley_rtp_packets_received_total", "parley_recording_bytes_total",
		"parley_vault_flush_seconds", "parley_audit_append_seconds", "parley_db_seconds",
		"go_goroutines", "go_memstats_alloc_bytes", "process_resident_memory_bytes", "parley_http_requests_total"}
	var mfs map[string]*dto.MetricFamily
	sipWaitFor(t, "every metric family to count the call", func() bool {
		mfs = scrape(t, metricsURL)
		for _, f := range families {
			if mfs[f] == nil || metricValue(mfs[f]) == 0 {
				return false
			}
		}
		// Both legs' media are reported when they end.
		return len(mfs["parley_rtp_jitter_seconds"].GetMetric()) == 2
	})
	var completed bool
	for _, mm := range mfs["parley_calls_total"].GetMetric() {
		labels := map[string]string{}
		for _, l := range mm.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		if labels["status"] == "completed" && labels["reason"] == "inmate_hangup" && mm.Counter.GetValue() == 1 {
			completed = true
		}
	}
	if !completed {
		t.Errorf("parley_calls_total lacks the completed call: %v", mfs["parley_calls_total"])
	}
	for _, leg := range mfs["parley_rtp_loss_ratio"].GetMetric() {
		if h := leg.GetHistogram(); h.GetSampleCount() != 1 || h.GetSampleSum() > 0.05 {
			t.Errorf("RTP loss of a local call: %v", leg)
		}
	}
	// No label value names the call, the inmate, the number or the facility.
	for name, mf := range mfs {
		for _, mm := range mf.GetMetric() {
			for _, l := range mm.GetLabel() {
				v := l.GetValue()
				for _, bad := range []string{"cnty", "A1001", "5550123", "pod-1"} {
					if strings.Contains(v, bad) {
						t.Errorf("%s has label %s=%q", name, l.GetName(), v)
					}
				}
				if len(v) >= 16 && regexp.MustCompile(`^[0-9a-f]+$`).MatchString(v) {
					t.Errorf("%s has an id as label %s=%q", name, l.GetName(), v)
				}
			}
		}
	}
}
