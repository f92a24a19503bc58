package main

import (
	"crypto/tls"
	"crypto/x509"
	"flag"
	"os"
	"strings"

	"parley.dev/parley"
	"parley.dev/parley/sip"
)

// trunkFlags are serve's flags for TLS and for the trunk account: SIP over TLS for phones
// and gateways, the trunk's CA, digest credentials, registration and SRTP. The trunk
// password is a secret: it comes from PARLEY_TRUNK_PASSWORD or --trunk-password-file,
// never from a flag (a flag's value shows in ps), and is never logged.
type trunkFlags struct {
	sipTLS, cert, key, ca string
	user, passwordFile    string
	srtp                  string
	register              bool
	getenv                func(string) string
}

func addTrunkFlags(fs *flag.FlagSet, getenv func(string) string) *trunkFlags {
	f := &trunkFlags{getenv: getenv}
	fs.StringVar(&f.sipTLS, "sip-tls", "", "SIP over TLS listen address for phones, gateways and a TLS trunk's requests, e.g. 127.0.0.1:5061 (needs --tls-cert, --tls-key)")
	fs.StringVar(&f.cert, "tls-cert", "", "PEM certificate (chain) of --sip-tls")
	fs.StringVar(&f.key, "tls-key", "", "PEM private key of --sip-tls")
	fs.StringVar(&f.ca, "trunk-ca", "", "PEM CA certificates that verify a TLS trunk (default: the system's roots)")
	fs.StringVar(&f.user, "trunk-user", "", "username of parley's account with the trunk (digest credentials; the password from PARLEY_TRUNK_PASSWORD or --trunk-password-file)")
	fs.StringVar(&f.passwordFile, "trunk-password-file", "", "file holding the trunk password (instead of PARLEY_TRUNK_PASSWORD)")
	fs.BoolVar(&f.register, "trunk-register", false, "register with the trunk as --trunk-user (refreshed before expiry, retried with back-off)")
	fs.StringVar(&f.srtp, "trunk-srtp", string(sip.SRTPRequired), "media towards a TLS trunk: required, optional or off (SRTP keys never go to a trunk without TLS)")
	return f
}

// apply checks the flags and sets them in the SIP configuration.
func (f *trunkFlags) apply(cfg *sip.Config) error {
	switch sip.SRTPMode(f.srtp) {
	case sip.SRTPRequired, sip.SRTPOptional, sip.SRTPOff:
		cfg.TrunkSRTP = sip.SRTPMode(f.srtp)
	default:
		return usageError("--trunk-srtp must be required, optional or off")
	}
	if err := f.applyTLS(cfg); err != nil {
		return err
	}
	password, err := f.password()
	if err != nil {
		return err
	}
	if password != "" && f.user == "" {
		return usageError("a trunk password needs --trunk-user")
	}
	if f.register && f.user == "" {
		return usageError("--trunk-register needs --trunk-user")
	}
	cfg.TrunkUser, cfg.TrunkPassword, cfg.TrunkRegister = f.user, password, f.register
	return nil
}

func (f *trunkFlags) applyTLS(cfg *sip.Config) error {
	const op = "serve"
	if (f.cert != "" || f.key != "") && f.sipTLS == "" {
		return usageError("--tls-cert and --tls-key need --sip-tls")
	}
	if f.sipTLS != "" {
		if f.cert == "" || f.key == "" {
			return usageError("--sip-tls needs --tls-cert and --tls-key")
		}
		cert, err := tls.LoadX509KeyPair(f.cert, f.key)
		if err != nil {
			return parley.Errorf(op, parley.KindInvalid, "the TLS certificate or key cannot be loaded: %v", err)
		}
		cfg.TLSAddr = f.sipTLS
		cfg.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	tlsTrunk := strings.HasPrefix(cfg.Trunk, "sips:") || strings.Contains(strings.ToLower(cfg.Trunk), ";transport=tls")
	if tlsTrunk && f.sipTLS == "" {
		return usageError("a TLS trunk needs --sip-tls (its requests in a call come back over TLS)")
	}
	if f.ca != "" {
		pem, err := os.ReadFile(f.ca)
		if err != nil {
			return parley.Errorf(op, parley.KindInvalid, "--trunk-ca cannot be read")
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return usageError("--trunk-ca holds no PEM certificate")
		}
		cfg.TrunkTLS = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return nil
}

// password reads the trunk password from --trunk-password-file or PARLEY_TRUNK_PASSWORD
// (not both); empty when neither is set.
func (f *trunkFlags) password() (string, error) {
	env := f.getenv("PARLEY_TRUNK_PASSWORD")
	if f.passwordFile == "" {
		return env, nil
	}
	if env != "" {
		return "", usageError("give the trunk password in PARLEY_TRUNK_PASSWORD or --trunk-password-file, not both")
	}
	b, err := os.ReadFile(f.passwordFile)
	if err != nil {
		return "", parley.Errorf("serve", parley.KindInvalid, "--trunk-password-file cannot be read")
	}
	p := strings.TrimRight(string(b), "\r\n")
	if p == "" || strings.ContainsAny(p, "\r\n") {
		return "", usageError("--trunk-password-file must hold the password on one line")
	}
	return p, nil
}

// used reports whether any of these flags was given (they need --sip).
func (f *trunkFlags) used() bool {
	return f.sipTLS != "" || f.cert != "" || f.key != "" || f.ca != "" || f.user != "" ||
		f.passwordFile != "" || f.register || f.srtp != string(sip.SRTPRequired)
}
