package web

import (
	"strings"
	"testing"
)

// TestCatalogComplete: every English key has a Spanish entry and the other way round, none
// empty, and the Spanish differs from the English (a copy is not a translation), except
// where a word is the same in both.
func TestCatalogComplete(t *testing.T) {
	en, es := catalog["en"], catalog["es"]
	for k, v := range en {
		if strings.TrimSpace(es[k]) == "" {
			t.Errorf("no Spanish for %q", k)
		} else if es[k] == v {
			t.Errorf("the Spanish of %q is the English", k)
		}
		if strings.TrimSpace(v) == "" {
			t.Errorf("empty English for %q", k)
		}
	}
	for k := range es {
		if _, ok := en[k]; !ok {
			t.Errorf("Spanish key %q has no English", k)
		}
	}
	if got := translator("es")("nav.signout"); got != "Cerrar sesión" {
		t.Fatalf("translator(es) = %q", got)
	}
	if got := translator("es")("no.such.key"); got != "no.such.key" {
		t.Fatalf("a missing key shows %q", got)
	}
}

func TestAcceptLanguage(t *testing.T) {
	for h, want := range map[string]string{"": "en", "es": "es", "es-MX,es;q=0.9,en;q=0.8": "es", "en-US,en;q=0.9,es;q=0.8": "en",
		"fr-FR,es;q=0.5": "es", "de": "en", "es;q=0,en": "en", "garbage;;,": "en"} {
		if got := acceptLanguage(h); got != want {
			t.Errorf("acceptLanguage(%q) = %q, want %q", h, got, want)
		}
	}
}
