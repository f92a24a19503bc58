package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

// Settings of serve come from four layers, highest first: a command-line flag, its
// environment variable, the config file, the flag's default. Every serve setting is a flag
// of serve; its environment variable is PARLEY_ and the flag's name in upper case with '-'
// as '_' (--rtp-ports is PARLEY_RTP_PORTS) and its key in the config file (TOML, flat) is
// the flag's name (rtp-ports = "20000-29999"). The file is named by --config or
// PARLEY_CONFIG. This is the one table of settings: code reads them through Main.setting,
// never os.Getenv, so `serve --help` lists every variable parley reads.

// Where a setting's value came from.
const (
	fromDefault = "default"
	fromFile    = "file"
	fromEnv     = "env"
	fromFlag    = "flag"
)

// secretSettings are printed redacted by `config check`.
// The database DSN's password alone is (redactDSN).
var secretSettings = map[string]bool{"metrics-token": true}

// envName is the environment variable of a setting.
func envName(flagName string) string {
	return "PARLEY_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// layered is the outcome of parsing serve's settings: the source of each.
type layered struct {
	file    string
	sources map[string]string // flag name -> fromDefault, fromFile, fromEnv or fromFlag
}

// parseLayered parses args into fs, then fills every flag not given on the command line
// from its environment variable, else from the config file (fs must define "config").
// Unknown keys in the file are errors with their line; a bad value names its key or
// variable. The resolved values are kept for Main.setting.
func (m *Main) parseLayered(fs *flag.FlagSet, args []string) (*layered, error) {
	if _, err := parse(fs, args, 0); err != nil {
		var help *helpRequest
		if errors.As(err, &help) {
			help.flags += envHelp(fs)
		}
		return nil, err
	}
	l := &layered{sources: map[string]string{}}
	fs.VisitAll(func(f *flag.Flag) { l.sources[f.Name] = fromDefault })
	fs.Visit(func(f *flag.Flag) { l.sources[f.Name] = fromFlag })
	if l.sources["config"] != fromFlag {
		if v := m.Getenv(envName("config")); v != "" {
			_ = fs.Set("config", v)
			l.sources["config"] = fromEnv
		}
	}
	l.file = fs.Lookup("config").Value.String()
	var file map[string]string
	if l.file != "" {
		var err error
		if file, err = readConfigFile(l.file, fs); err != nil {
			return nil, err
		}
	}
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if l.sources[f.Name] != fromDefault || f.Name == "config" {
			return
		}
		if v := m.Getenv(envName(f.Name)); v != "" {
			if err := fs.Set(f.Name, v); err != nil {
				errs = append(errs, usageError("%s: bad value: %v", envName(f.Name), err))
			}
			l.sources[f.Name] = fromEnv
		} else if v, ok := file[f.Name]; ok {
			if err := fs.Set(f.Name, v); err != nil {
				errs = append(errs, usageError("%s: key %q: bad value: %v", l.file, f.Name, err))
			}
			l.sources[f.Name] = fromFile
		}
	})
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	m.settings = map[string]string{}
	fs.VisitAll(func(f *flag.Flag) { m.settings[envName(f.Name)] = f.Value.String() })
	return l, nil
}

// readConfigFile reads a flat TOML file whose keys are fs's flag names (but config) and
// returns each value as the flag would be given it.
func readConfigFile(path string, fs *flag.FlagSet) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, usageError("config file: %v", err)
	}
	// A struct with one field per flag lets the decoder refuse unknown keys with their line.
	var fields []reflect.StructField
	var names []string
	fs.VisitAll(func(f *flag.Flag) {
		if f.Name == "config" {
			return
		}
		fields = append(fields, reflect.StructField{Name: "F" + strconv.Itoa(len(fields)),
			Type: reflect.TypeFor[any](), Tag: reflect.StructTag(`toml:"` + f.Name + `"`)})
		names = append(names, f.Name)
	})
	v := reflect.New(reflect.StructOf(fields))
	dec := toml.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v.Interface()); err != nil {
		return nil, configFileError(path, err)
	}
	out := map[string]string{}
	for i, name := range names {
		switch x := v.Elem().Field(i).Interface().(type) {
		case nil:
		case string, bool, int64, float64:
			out[name] = fmt.Sprint(x)
		default:
			return nil, usageError("%s: key %q: must be a string, number or boolean", path, name)
		}
	}
	return out, nil
}

// configFileError names the file, line and key of a decoding error, never the file's text
// (it may hold a secret).
func configFileError(path string, err error) error {
	var strict *toml.StrictMissingError
	if errors.As(err, &strict) {
		var errs []error
		for _, e := range strict.Errors {
			row, _ := e.Position()
			errs = append(errs, usageError("%s:%d: unknown key %q", path, row, strings.Join(e.Key(), ".")))
		}
		return errors.Join(errs...)
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		row, col := de.Position()
		return usageError("%s:%d:%d: %v", path, row, col, strings.TrimPrefix(de.Error(), "toml: "))
	}
	return usageError("%s: %v", path, err)
}

// setting returns the value of the setting whose environment variable is env: serve's
// resolved value once its settings are parsed, else the environment (other commands).
func (m *Main) setting(env string) string {
	if v, ok := m.settings[env]; ok {
		return v
	}
	return m.Getenv(env)
}

// envHelp lists every environment variable of fs's flags, for serve --help.
func envHelp(fs *flag.FlagSet) string {
	var b strings.Builder
	b.WriteString("\nenvironment (a flag beats its variable, which beats the --config file's key of the flag's name):\n")
	fs.VisitAll(func(f *flag.Flag) { fmt.Fprintf(&b, "  %-26s --%s\n", envName(f.Name), f.Name) })
	b.WriteString("variables with no flag:\n")
	for _, v := range envOnly {
		fmt.Fprintf(&b, "  %-26s -- %s\n", v.name, v.what)
	}
	return b.String()
}

// envOnly are the variables that have no flag: secrets a flag would show in ps, and hooks.
var envOnly = []struct{ name, what string }{
	{"PARLEY_TRUNK_PASSWORD", "the trunk password for --trunk-user (or --trunk-password-file); never logged"},
	{"PARLEY_TEST_PAUSE_IMPORT", "tests only: 'import calls' stops after writing a recording until stdin closes"},
}

// printSettings prints the effective settings, secrets redacted, with their sources.
func (m *Main) printSettings(fs *flag.FlagSet, l *layered) {
	if l.file != "" {
		m.printf("# config file: %s\n", l.file)
	}
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	sort.Strings(names)
	for _, n := range names {
		v := fs.Lookup(n).Value.String()
		switch {
		case v == "":
		case n == "db":
			v = redactDSN(v)
		case secretSettings[n]:
			v = "(redacted)"
		}
		src := l.sources[n]
		switch src {
		case fromEnv:
			src += " " + envName(n)
		case fromFile:
			src += " " + l.file
		}
		m.printf("%-16s = %-24s # %s\n", n, strconv.Quote(v), src)
	}
}

// redactDSN hides a database DSN's password, and the whole DSN if it may hold one that
// cannot be cut out (a query parameter, a keyword/value DSN).
func redactDSN(v string) string {
	if strings.HasPrefix(v, "sqlite:") {
		return v
	}
	if u, err := url.Parse(v); err == nil && u.Host != "" {
		if _, has := u.User.Password(); has {
			return u.Redacted()
		}
		if !u.Query().Has("password") {
			return v
		}
	}
	return "(redacted)"
}

// readDataSettings reads the data, keys and db keys of a config file for the commands other
// than serve; the file's other keys are serve's (config check checks them).
func readDataSettings(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, usageError("config file (PARLEY_CONFIG): %v", err)
	}
	var v struct {
		Data string `toml:"data"`
		Keys string `toml:"keys"`
		DB   string `toml:"db"`
	}
	if err := toml.Unmarshal(b, &v); err != nil {
		return nil, configFileError(path, err)
	}
	return map[string]string{"data": v.Data, "keys": v.Keys, "db": v.DB}, nil
}
