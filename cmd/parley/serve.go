package main

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"parley.dev/parley"
	"parley.dev/parley/billing"
	"parley.dev/parley/media/prompts"
	"parley.dev/parley/sip"
)

func init() {
	register("serve", "serve [--data DIR] [--keys DIR] [--db postgres://…] [--http ADDR] [--retention-every DURATION] [--sip ADDR --trunk URI [--rtp-ports LO-HI] [--media-ip IP] [--lang choice|en|es] [--rtp-timeout 30s] [--sip-tls ADDR --tls-cert FILE --tls-key FILE] [--trunk-ca FILE] [--trunk-user USER [--trunk-password-file FILE] [--trunk-register]] [--trunk-srtp required|optional|off]] [--demo] [--config FILE] [--log-level LEVEL] [--log-format text|json] [--metrics ADDR] [--drain 2m]", runServe)
}

// runServe runs parley: the HTTP health endpoint, the background jobs (recovery of
// recordings whose writer died, sweeping of superseded period keys, retention) and, with
// --sip, the SIP B2BUA (package sip) wired to the store, the call policy and the vault.
// The trusted gateways are read from the database at start-up.
func runServe(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("serve")
	df := m.addDataFlags(fs)
	addr := fs.String("http", "127.0.0.1:8080", "HTTP listen address")
	every := fs.Duration("retention-every", time.Hour, "how often the retention job runs")
	sipAddr := fs.String("sip", "", "SIP listen address, UDP and TCP, e.g. 127.0.0.1:5060 (empty: no SIP)")
	trunk := fs.String("trunk", "", "SIP trunk URI outbound calls go to, e.g. sip:198.51.100.1:5060 (required with --sip)")
	rtpPorts := fs.String("rtp-ports", "20000-29999", "RTP port range LO-HI")
	mediaIP := fs.String("media-ip", "", "IP address put in SDP (default: the IP of --sip)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to FILE (benchmarks)")
	demo := fs.Bool("demo", false, "seed a demo facility, inmate, numbers and phone (once) and print how to call; without --trunk a built-in called party answers")
	rtpTimeout := fs.Duration("rtp-timeout", 30*time.Second, "end a call when one of its answered legs sends no RTP for this long (its reason says which side)")
	lang := fs.String("lang", "choice", "prompt language: choice (the inmate presses 1 for English, 2 for Spanish), en or es (no choice)")
	trunkOpts := addTrunkFlags(fs, m.Getenv)
	ops := addOpsFlags(fs)
	layers, err := m.parseLayered(fs, args)
	if err != nil {
		return err
	}
	if err := ops.check(); err != nil {
		return err
	}
	if err := m.checkHTTPSettings(); err != nil {
		return err
	}
	if *cpuProfile != "" && !m.checkOnly {
		stop, err := startCPUProfile(*cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	if *every < time.Second {
		return usageError("--retention-every must be at least 1s")
	}
	var sipCfg *sip.Config
	var party *demoCalledParty
	if *demo {
		if *sipAddr == "" {
			*sipAddr = "127.0.0.1:5060"
		}
		if *trunk == "" && !m.checkOnly {
			var err error
			if party, err = startDemoCalledParty(); err != nil {
				return err
			}
			defer party.Close()
			*trunk = party.URI()
		} else if *trunk == "" {
			*trunk = "sip:demo-called-party" // config check: the built-in party serve would start
		}
	}
	if *sipAddr != "" {
		cfg, err := sipConfig(*sipAddr, *trunk, *rtpPorts, *mediaIP)
		if err != nil {
			return err
		}
		if err := setLanguage(&cfg, *lang); err != nil {
			return err
		}
		if *rtpTimeout < time.Second {
			return usageError("--rtp-timeout must be at least 1s")
		}
		cfg.MediaTimeout = *rtpTimeout
		if err := trunkOpts.apply(&cfg); err != nil {
			return err
		}
		sipCfg = &cfg
	} else if *trunk != "" || *mediaIP != "" || trunkOpts.used() {
		return usageError("--trunk, --media-ip and the TLS and trunk account flags need --sip")
	}
	if m.checkOnly {
		m.printSettings(fs, layers)
		return nil
	}
	m.metrics = newServeMetrics()
	return m.withEnv(ctx, df, func(ctx context.Context, e *env) error {
		log := e.logger
		unlock, err := e.lockServe(ctx)
		if err != nil {
			return err
		}
		defer unlock()
		// A recording still "writing" (or a call record unfinished) at start-up lost its
		// writer. With SQLite this node is the only writer; with PostgreSQL other nodes may
		// be mid-call, so leave recent ones.
		cutoff := e.now()
		if e.postgres {
			cutoff = cutoff.Add(-6 * time.Hour)
		}
		if n, err := e.vault.Recover(ctx, cutoff); err != nil {
			return err
		} else if n > 0 {
			log.Info("recovered interrupted recordings", "count", n)
		}
		// Call records a crashed server left unfinished (it never wrote their end), their
		// holds released in the same transaction.
		if sipCfg != nil {
			if n, err := billing.EndInterrupted(ctx, e.db, cutoff, "server_restart"); err != nil {
				return err
			} else if n > 0 {
				log.Info("ended calls interrupted by a restart", "count", n)
			}
		}
		// Imported recordings an import killed mid-way left behind, named by no call.
		if n, err := e.vault.ReapOrphans(ctx); err != nil {
			return err
		} else if n > 0 {
			log.Info("destroyed recordings an interrupted import left behind", "count", n)
		}
		if n, err := e.vault.SweepKeys(ctx); err != nil {
			return err
		} else if n > 0 {
			log.Info("destroyed superseded period keys", "count", n)
		}
		ln, err := net.Listen("tcp", *addr)
		if err != nil {
			return err
		}
		// The staff pages see the SIP server's calls in progress through live, set once the
		// server exists; without --sip there is no call server to show.
		var live *liveCalls
		var staffLive parley.LiveCalls
		if sipCfg != nil {
			live = &liveCalls{}
			staffLive = live
		}
		sender, sipSender := m.codeSender(sipCfg != nil)
		if party != nil && m.CodeSender == nil {
			// The built-in called party cannot hear a code: the demo prints it instead.
			sender, sipSender = &demoCodeSender{out: m.Stdout}, nil
		}
		handler, err := m.httpHandler(e, staffLive, sender)
		if err != nil {
			ln.Close()
			return err
		}
		srv := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second}
		jobs, stopJobs := context.WithCancel(ctx)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); e.retentionJob().Loop(jobs, *every) }()
		charger, err := e.callCharger(ctx, m)
		if err != nil {
			stopJobs()
			wg.Wait()
			ln.Close()
			return err
		}
		e.startBillingJobs(jobs, &wg, charger)
		// The store closes when this function returns: stop the jobs first.
		defer wg.Wait()
		defer stopJobs()
		log.Info("parley serving", "http", ln.Addr().String(), "data", e.dataDir)
		if m.Ready != nil {
			m.Ready <- ln.Addr().String()
		}
		errc := make(chan error, 2)
		go func() { errc <- srv.Serve(ln) }()
		metricsSrv, err := e.serveMetrics(*ops.metrics, m.setting("PARLEY_METRICS_TOKEN"), errc)
		if err != nil {
			srv.Close()
			return err
		}
		if metricsSrv != nil {
			defer metricsSrv.Close()
		}
		var demoSeeded []string
		var demoAccts *demoAccounts
		if *demo {
			if demoSeeded, err = e.seedDemo(ctx); err != nil {
				srv.Close()
				return err
			}
			var more []string
			if demoAccts, more, err = e.seedDemoAccounts(ctx, m); err != nil {
				srv.Close()
				return err
			}
			demoSeeded = append(demoSeeded, more...)
		}
		var sipSrv *sip.Server
		if sipCfg != nil {
			if sipSrv, err = e.startSIP(ctx, *sipCfg, charger, live); err != nil {
				srv.Close()
				return err
			}
			if sipSender != nil {
				sipSender.srv.Store(sipSrv) // phone numbers are verified by a call from now on
			}
			log.Info("parley serving SIP", "udp", sipSrv.UDPAddr().String(), "tcp", sipSrv.TCPAddr().String())
			if *demo {
				m.printDemo(demoBanner{sip: sipSrv.UDPAddr(), web: "http://" + ln.Addr().String(), added: demoSeeded,
					accounts: demoAccts, builtInParty: party != nil})
			}
			if m.SIPReady != nil {
				m.SIPReady <- sipSrv.UDPAddr().String()
			}
		}
		select {
		case err = <-errc:
		case <-ctx.Done():
		}
		// SIP first: its calls write call records and recordings, so it stops before the
		// store closes (when this function returns). On a signal, calls in progress may
		// go on for --drain while new ones are refused; then the rest are ended.
		var sipErr error
		if sipSrv != nil {
			if err == nil && *ops.drain > 0 {
				drain, cancel := context.WithTimeout(context.Background(), *ops.drain)
				if sipSrv.Drain(drain) != nil {
					log.Info("drain time over: ending the calls left", "calls", sipSrv.ActiveCalls())
				}
				cancel()
			}
		}
		shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if sipSrv != nil {
			sipErr = sipSrv.Shutdown(shutdown)
		}
		if err == nil {
			err = srv.Shutdown(shutdown)
		}
		if metricsSrv != nil {
			_ = metricsSrv.Shutdown(shutdown)
		}
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		log.Info("parley stopped")
		return errors.Join(err, sipErr)
	})
}

// healthHandler serves /healthz: 200 when the database and the audit log answer.
func (e *env) healthHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		status, code := "ok", http.StatusOK
		if _, err := e.store.AuditSize(r.Context()); err != nil {
			status, code = "database unavailable", http.StatusServiceUnavailable
		}
		w.WriteHeader(code)
		json.NewEncoder(w).Encode(map[string]string{"status": status})
	})
	return mux
}

// sipConfig checks the SIP flags of serve and returns the server's configuration (without
// gateways, which come from the database).
func sipConfig(addr, trunk, ports, mediaIP string) (sip.Config, error) {
	cfg := sip.Config{UDPAddr: addr, TCPAddr: addr, Trunk: trunk, Realm: sipRealm} // UDP and TCP on one port
	if trunk == "" {
		return cfg, usageError("--trunk is required with --sip")
	}
	if !strings.HasPrefix(trunk, "sip:") && !strings.HasPrefix(trunk, "sips:") {
		return cfg, usageError("--trunk must be a sip: or sips: URI")
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return cfg, usageError("--sip must be HOST:PORT")
	}
	lo, hi, ok := strings.Cut(ports, "-")
	var err1, err2 error
	cfg.RTPPortMin, err1 = strconv.Atoi(strings.TrimSpace(lo))
	cfg.RTPPortMax, err2 = strconv.Atoi(strings.TrimSpace(hi))
	if !ok || err1 != nil || err2 != nil || cfg.RTPPortMin <= 0 || cfg.RTPPortMax > 65535 || cfg.RTPPortMax <= cfg.RTPPortMin {
		return cfg, usageError("--rtp-ports must be LO-HI with 0 < LO < HI <= 65535")
	}
	if mediaIP != "" {
		ip, err := netip.ParseAddr(mediaIP)
		if err != nil || ip.IsUnspecified() {
			return cfg, usageError("--media-ip must be an IP address")
		}
		cfg.MediaIP = ip.Unmap()
	}
	return cfg, nil
}

// startSIP starts the SIP server with this environment's adapters and gateways.
func (e *env) startSIP(ctx context.Context, cfg sip.Config, billing sip.Billing, live *liveCalls) (*sip.Server, error) {
	gws, err := e.sipGateways(ctx)
	if err != nil {
		return nil, err
	}
	if len(gws) == 0 {
		e.logger.Info("no SIP gateways configured yet: gateways added with 'facility gateway' count at once; phones register ('phone add')")
	}
	if err := e.warnMD5Phones(ctx); err != nil {
		return nil, err
	}
	deps := e.sipDeps(live)
	deps.Billing = billing
	s, err := sip.New(cfg, deps)
	if err != nil {
		return nil, err
	}
	live.srv.Store(s)
	if err := s.Start(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// setLanguage applies serve's --lang: "choice" offers English (1) and Spanish (2) at the
// start of each call; "en" or "es" plays every prompt in that language without asking.
func setLanguage(cfg *sip.Config, lang string) error {
	switch lang {
	case "choice":
		cfg.Lang, cfg.Languages = prompts.English, []prompts.Lang{prompts.English, prompts.Spanish}
	case string(prompts.English), string(prompts.Spanish):
		cfg.Lang, cfg.Languages = prompts.Lang(lang), nil
	default:
		return usageError("--lang must be choice, en or es")
	}
	return nil
}
