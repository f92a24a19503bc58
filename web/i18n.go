package web

import (
	"net/http"
	"strings"
	"time"
)

// The attorney and family portals speak English and Spanish (the phone menus do too). The
// language is ?lang=en|es (kept in a cookie for the next pages), else the cookie, else the
// browser's Accept-Language, else English. Page strings live in the typed catalog below,
// looked up by key in templates with {{call $.T "key"}}; a test checks that every English key
// has a Spanish entry. Staff pages are English only.

// langCookie remembers the chosen language; it holds only "en" or "es".
const langCookie = "parley_lang"

// catalog maps a language to its strings by key.
var catalog = map[string]map[string]string{
	"en": {
		"nav.account":         "My account",
		"nav.security":        "Sign-in security",
		"nav.signout":         "Sign out",
		"lang.switch":         "Español",
		"signin.title.att":    "Attorneys: sign in",
		"signin.title.fam":    "Families: sign in",
		"signin.name":         "Sign-in name",
		"signin.password":     "Password",
		"signin.code":         "Authenticator code (only if you turned one on)",
		"signin.submit":       "Sign in",
		"signin.create":       "Create an account",
		"signup.title.att":    "Attorney account: sign up",
		"signup.title.fam":    "Family account: sign up",
		"signup.intro.att":    "Register as an attorney to keep your calls with clients private: once an administrator has checked your bar number, you add your office and cell numbers; each is confirmed by a code we call it with, and from then on calls to it are never recorded, and every earlier recording to it is destroyed.",
		"signup.intro.fam":    "A family account shows the rates for calls to your number, your prepaid balance and calls, and lets you add money or block calls. You will confirm your phone number with a code we call it with.",
		"signup.name":         "Sign-in name (your e-mail address, for example)",
		"signup.password":     "Password (at least 12 characters)",
		"signup.password2":    "Password again",
		"signup.full_name":    "Full name",
		"signup.bar_number":   "Bar number",
		"signup.state":        "State of admission (two letters)",
		"signup.submit":       "Create the account",
		"signup.have_account": "I have an account: sign in",
	},
	"es": {
		"nav.account":         "Mi cuenta",
		"nav.security":        "Seguridad de acceso",
		"nav.signout":         "Cerrar sesión",
		"lang.switch":         "English",
		"signin.title.att":    "Abogados: iniciar sesión",
		"signin.title.fam":    "Familias: iniciar sesión",
		"signin.name":         "Nombre de usuario",
		"signin.password":     "Contraseña",
		"signin.code":         "Código de la aplicación de autenticación (solo si lo activó)",
		"signin.submit":       "Iniciar sesión",
		"signin.create":       "Crear una cuenta",
		"signup.title.att":    "Cuenta de abogado: registrarse",
		"signup.title.fam":    "Cuenta familiar: registrarse",
		"signup.intro.att":    "Regístrese como abogado para que sus llamadas con clientes sean privadas: cuando un administrador haya comprobado su número de colegiado, usted añade los números de su oficina y de su celular; cada uno se confirma con un código que le comunicamos por una llamada, y desde entonces las llamadas a ese número nunca se graban, y toda grabación anterior a él se destruye.",
		"signup.intro.fam":    "Una cuenta familiar muestra las tarifas de las llamadas a su número, su saldo prepagado y sus llamadas, y le permite añadir dinero o bloquear llamadas. Confirmará su número de teléfono con un código que le comunicamos por una llamada.",
		"signup.name":         "Nombre de usuario (por ejemplo, su correo electrónico)",
		"signup.password":     "Contraseña (al menos 12 caracteres)",
		"signup.password2":    "Repita la contraseña",
		"signup.full_name":    "Nombre completo",
		"signup.bar_number":   "Número de colegiado (bar number)",
		"signup.state":        "Estado de admisión (dos letras)",
		"signup.submit":       "Crear la cuenta",
		"signup.have_account": "Ya tengo una cuenta: iniciar sesión",
	},
}

// translator returns the lookup of lang; a missing key shows itself, so a gap is visible
// (and the catalog test fails first).
func translator(lang string) func(string) string {
	m := catalog[lang]
	return func(key string) string {
		if v, ok := m[key]; ok {
			return v
		}
		if v, ok := catalog["en"][key]; ok {
			return v
		}
		return key
	}
}

// publicLang decides the language of a portal page, remembering an explicit choice.
func (s *Server) publicLang(w http.ResponseWriter, r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l == "en" || l == "es" {
		http.SetCookie(w, &http.Cookie{Name: langCookie, Value: l, Path: "/", MaxAge: int((365 * 24 * time.Hour).Seconds()),
			HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteLaxMode})
		return l
	}
	if c, err := r.Cookie(langCookie); err == nil && (c.Value == "en" || c.Value == "es") {
		return c.Value
	}
	return acceptLanguage(r.Header.Get("Accept-Language"))
}

// acceptLanguage picks "es" or "en" from an Accept-Language header: the first of them in
// the order given (weights are rarely out of order in practice), English by default.
func acceptLanguage(h string) string {
	for _, part := range strings.Split(h, ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		if strings.HasSuffix(part, "q=0") {
			continue
		}
		switch {
		case tag == "es" || strings.HasPrefix(tag, "es-"):
			return "es"
		case tag == "en" || strings.HasPrefix(tag, "en-"):
			return "en"
		}
	}
	return "en"
}
