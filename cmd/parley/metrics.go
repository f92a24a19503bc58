package main

import (
	"crypto/subtle"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"parley.dev/parley"
)

// serveMetrics are what an operator pages on, in one registry with the web's and the Go
// runtime's. Labels are fixed words (statuses, reasons, legs, statement kinds), never ids
// or personal data, so their number stays small.
type serveMetrics struct {
	reg      *prometheus.Registry
	calls    *prometheus.CounterVec
	setup    prometheus.Histogram
	rtpLoss  *prometheus.HistogramVec
	jitter   *prometheus.HistogramVec
	rtpIn    *prometheus.CounterVec
	rtpLost  *prometheus.CounterVec
	recBytes prometheus.Counter
	flush    prometheus.Histogram
	audit    prometheus.Histogram
	db       *prometheus.HistogramVec
}

func newServeMetrics() *serveMetrics {
	ms := &serveMetrics{reg: prometheus.NewRegistry(),
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "parley_calls_total",
			Help: "Calls ended, by final status and reason."}, []string{"status", "reason"}),
		setup: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "parley_call_setup_seconds",
			Help:    "Post-dial delay: from the INVITE to the trunk to its first ringing or answer.",
			Buckets: []float64{.05, .1, .25, .5, 1, 2, 4, 8, 16}}),
		rtpLoss: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "parley_rtp_loss_ratio",
			Help:    "Share of RTP audio packets lost per call leg, observed when the leg ends.",
			Buckets: []float64{0, .001, .005, .01, .02, .05, .1, .2, .5}}, []string{"leg"}),
		jitter: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "parley_rtp_jitter_seconds",
			Help:    "RTP interarrival jitter (RFC 3550) per call leg, observed when the leg ends.",
			Buckets: []float64{.001, .005, .01, .02, .03, .05, .1, .2}}, []string{"leg"}),
		rtpIn: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "parley_rtp_packets_received_total",
			Help: "RTP audio packets received, by leg (counted when the leg ends)."}, []string{"leg"}),
		rtpLost: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "parley_rtp_packets_lost_total",
			Help: "RTP audio packets lost, by leg (counted when the leg ends)."}, []string{"leg"}),
		recBytes: prometheus.NewCounter(prometheus.CounterOpts{Name: "parley_recording_bytes_total",
			Help: "Sealed recording bytes written and synced to the vault."}),
		flush: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "parley_vault_flush_seconds",
			Help: "Time to write and sync one sealed recording chunk.", Buckets: prometheus.ExponentialBuckets(.0005, 2, 14)}),
		audit: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "parley_audit_append_seconds",
			Help: "Time to append one audit event and sign its checkpoint.", Buckets: prometheus.ExponentialBuckets(.0005, 2, 14)}),
		db: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "parley_db_seconds",
			Help:    "Database statement (exec, query) and transaction (tx) latency.",
			Buckets: prometheus.ExponentialBuckets(.0001, 2, 16)}, []string{"kind"}),
	}
	ms.reg.MustRegister(ms.calls, ms.setup, ms.rtpLoss, ms.jitter, ms.rtpIn, ms.rtpLost, ms.recBytes,
		ms.flush, ms.audit, ms.db, collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return ms
}

// CallEnded, CallSetup and LegMedia implement sip.Metrics.
func (ms *serveMetrics) CallEnded(status parley.CallStatus, reason string) {
	ms.calls.WithLabelValues(string(status), reason).Inc()
}

func (ms *serveMetrics) CallSetup(d time.Duration) { ms.setup.Observe(d.Seconds()) }

func (ms *serveMetrics) LegMedia(leg string, received, lost uint64, jitter time.Duration) {
	ms.rtpIn.WithLabelValues(leg).Add(float64(received))
	ms.rtpLost.WithLabelValues(leg).Add(float64(lost))
	ms.rtpLoss.WithLabelValues(leg).Observe(float64(lost) / float64(received+lost))
	ms.jitter.WithLabelValues(leg).Observe(jitter.Seconds())
}

func (ms *serveMetrics) flushed(n int, took time.Duration) {
	ms.recBytes.Add(float64(n))
	ms.flush.Observe(took.Seconds())
}

func (ms *serveMetrics) audited(took time.Duration) { ms.audit.Observe(took.Seconds()) }

func (ms *serveMetrics) dbTimed(kind string, took time.Duration) {
	ms.db.WithLabelValues(kind).Observe(took.Seconds())
}

// handler serves the registry; with a token, only to requests bearing it.
func (ms *serveMetrics) handler(token string) http.Handler {
	h := promhttp.HandlerFor(ms.reg, promhttp.HandlerOpts{})
	if token == "" {
		return h
	}
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "metrics need the bearer token", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}
