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
		"nav.account":                 "My account",
		"nav.security":                "Sign-in security",
		"nav.signout":                 "Sign out",
		"lang.switch":                 "Español",
		"signin.title.att":            "Attorneys: sign in",
		"signin.title.fam":            "Families: sign in",
		"signin.name":                 "Sign-in name",
		"signin.password":             "Password",
		"signin.code":                 "Authenticator code (only if you turned one on)",
		"signin.submit":               "Sign in",
		"signin.create":               "Create an account",
		"signup.title.att":            "Attorney account: sign up",
		"signup.title.fam":            "Family account: sign up",
		"signup.intro.att":            "Register as an attorney to keep your calls with clients private: once an administrator has checked your bar number, you add your office and cell numbers; each is confirmed by a code we call it with, and from then on calls to it are never recorded, and every earlier recording to it is destroyed.",
		"signup.intro.fam":            "A family account shows the rates for calls to your number, your prepaid balance and calls, and lets you add money or block calls. You will confirm your phone number with a code we call it with.",
		"signup.name":                 "Sign-in name (your e-mail address, for example)",
		"signup.password":             "Password (at least 12 characters)",
		"signup.password2":            "Password again",
		"signup.full_name":            "Full name",
		"signup.bar_number":           "Bar number",
		"signup.state":                "State of admission (two letters)",
		"signup.submit":               "Create the account",
		"signup.have_account":         "I have an account: sign in",
		"att.bar":                     "Bar number",
		"att.verification":            "Verification",
		"att.verified":                "verified: you may register your numbers",
		"att.pending":                 "pending: an administrator checks your bar number before you can register numbers",
		"att.numbers":                 "Your numbers",
		"att.col.number":              "Number",
		"att.col.kind":                "Kind",
		"att.col.state":               "State",
		"att.col.recordings":          "Recordings",
		"att.registered":              "registered as privileged",
		"att.verified_not_registered": "verified, not yet registered",
		"code.waiting":                "waiting for the code",
		"att.no_recording":            "No stored recording exists for this number.",
		"att.remaining":               "stored recording(s) remain; they are being destroyed.",
		"att.destroyed":               "earlier recording(s) destroyed.",
		"code.heard":                  "Code you heard",
		"code.confirm":                "Confirm",
		"code.resend":                 "Call me with a new code",
		"att.register":                "Register it",
		"att.remove":                  "Remove this number",
		"att.none":                    "No numbers yet.",
		"att.add":                     "Add a number",
		"att.phone":                   "Phone number",
		"att.office":                  "office",
		"att.cell":                    "cell",
		"code.call":                   "Call me with a code",
		"code.note":                   "We call the number and a voice reads a 6-digit code. It works for 10 minutes and 5 tries.",
		"att.no_verification":         "Phone number verification is not available on this server yet, so numbers cannot be registered here. Ask the facility to register your number.",
		"att.remove_note":             "Removing a registered number ends your registration of it: unless someone else registered it too, calls to it may be recorded again from then on. Recordings destroyed earlier never come back.",
		"att.own_only":                "You see only your own numbers. Call contents and other people's data are never shown here.",
		"sec.title":                   "Sign-in security",
		"sec.on":                      "An authenticator app is on: every sign-in asks for its code.",
		"sec.off":                     "Your account signs in with a password only. For more protection, add an authenticator app (a second factor).",
		"sec.add":                     "Add this key to the app (time-based, SHA-256, 6 digits), then enter the code it shows:",
		"sec.password":                "Your password",
		"sec.code":                    "Code from the app",
		"sec.turn_on":                 "Turn on the authenticator",
		"sec.note":                    "Turning it on signs you out everywhere; sign in again with the password and a code.",
		"fam.title":                   "Your family account",
		"fam.number":                  "Your phone number",
		"fam.verified":                "verified",
		"fam.number_label":            "The number people in custody call",
		"fam.no_verification":         "Phone number verification is not available on this server yet, so your account cannot be linked to your number here.",
		"fam.rates":                   "Rates",
		"fam.col.facility":            "Facility",
		"fam.col.service":             "Service",
		"fam.col.price":               "Price per minute",
		"fam.col.cap":                 "Cap in force",
		"fam.col.source":              "Source of the cap",
		"fam.source":                  "Source",
		"fam.the_cap":                 "(the cap)",
		"fam.balance_title":           "Prepaid balance",
		"fam.balance":                 "Balance:",
		"fam.amount":                  "Amount in dollars",
		"fam.deposit":                 "Add money",
		"fam.simulated":               "Payment processing is simulated in this build: no card is charged, and the deposit is recorded as if paid.",
		"fam.statement":               "Statement,",
		"fam.to":                      "to",
		"fam.opening":                 "Opening balance",
		"fam.deposits":                "Deposits",
		"fam.calls":                   "Calls",
		"fam.credits":                 "Credits",
		"fam.refunds":                 "Refunds",
		"fam.col.when":                "When",
		"fam.col.what":                "What",
		"fam.col.amount":              "Amount",
		"fam.col.balance":             "Balance",
		"fam.calls_title":             "Calls to your number",
		"fam.col.date":                "Date",
		"fam.col.length":              "Length",
		"fam.col.charge":              "Charge",
		"fam.no_calls":                "No calls yet.",
		"fam.block_title":             "Block calls",
		"fam.blocked_from":            "Blocked from facility",
		"fam.blocked_all":             "Blocked from every facility",
		"fam.since":                   "since",
		"fam.unblock":                 "Unblock",
		"fam.none_blocked":            "No calls are blocked.",
		"fam.block_from":              "Block calls from",
		"fam.every":                   "every facility",
		"fam.block":                   "Block",
	},
	"es": {
		"nav.account":                 "Mi cuenta",
		"nav.security":                "Seguridad de acceso",
		"nav.signout":                 "Cerrar sesión",
		"lang.switch":                 "English",
		"signin.title.att":            "Abogados: iniciar sesión",
		"signin.title.fam":            "Familias: iniciar sesión",
		"signin.name":                 "Nombre de usuario",
		"signin.password":             "Contraseña",
		"signin.code":                 "Código de la aplicación de autenticación (solo si lo activó)",
		"signin.submit":               "Iniciar sesión",
		"signin.create":               "Crear una cuenta",
		"signup.title.att":            "Cuenta de abogado: registrarse",
		"signup.title.fam":            "Cuenta familiar: registrarse",
		"signup.intro.att":            "Regístrese como abogado para que sus llamadas con clientes sean privadas: cuando un administrador haya comprobado su número de colegiado, usted añade los números de su oficina y de su celular; cada uno se confirma con un código que le comunicamos por una llamada, y desde entonces las llamadas a ese número nunca se graban, y toda grabación anterior a él se destruye.",
		"signup.intro.fam":            "Una cuenta familiar muestra las tarifas de las llamadas a su número, su saldo prepagado y sus llamadas, y le permite añadir dinero o bloquear llamadas. Confirmará su número de teléfono con un código que le comunicamos por una llamada.",
		"signup.name":                 "Nombre de usuario (por ejemplo, su correo electrónico)",
		"signup.password":             "Contraseña (al menos 12 caracteres)",
		"signup.password2":            "Repita la contraseña",
		"signup.full_name":            "Nombre completo",
		"signup.bar_number":           "Número de colegiado (bar number)",
		"signup.state":                "Estado de admisión (dos letras)",
		"signup.submit":               "Crear la cuenta",
		"signup.have_account":         "Ya tengo una cuenta: iniciar sesión",
		"att.bar":                     "Número de colegiado",
		"att.verification":            "Verificación",
		"att.verified":                "verificado: puede registrar sus números",
		"att.pending":                 "pendiente: un administrador comprueba su número de colegiado antes de que pueda registrar números",
		"att.numbers":                 "Sus números",
		"att.col.number":              "Número",
		"att.col.kind":                "Tipo",
		"att.col.state":               "Estado",
		"att.col.recordings":          "Grabaciones",
		"att.registered":              "registrado como privilegiado",
		"att.verified_not_registered": "verificado, aún no registrado",
		"code.waiting":                "esperando el código",
		"att.no_recording":            "No existe ninguna grabación guardada de este número.",
		"att.remaining":               "grabación(es) guardada(s) quedan; se están destruyendo.",
		"att.destroyed":               "grabación(es) anterior(es) destruida(s).",
		"code.heard":                  "Código que escuchó",
		"code.confirm":                "Confirmar",
		"code.resend":                 "Llámenme con un código nuevo",
		"att.register":                "Registrarlo",
		"att.remove":                  "Quitar este número",
		"att.none":                    "Todavía no hay números.",
		"att.add":                     "Añadir un número",
		"att.phone":                   "Número de teléfono",
		"att.office":                  "oficina",
		"att.cell":                    "celular",
		"code.call":                   "Llámenme con un código",
		"code.note":                   "Llamamos al número y una voz lee un código de 6 dígitos. Sirve durante 10 minutos y 5 intentos.",
		"att.no_verification":         "La verificación de números de teléfono aún no está disponible en este servidor, así que aquí no se pueden registrar números. Pida al centro que registre su número.",
		"att.remove_note":             "Quitar un número registrado termina su registro: salvo que otra persona también lo haya registrado, las llamadas a él pueden volver a grabarse desde entonces. Las grabaciones destruidas antes nunca vuelven.",
		"att.own_only":                "Solo ve sus propios números. Aquí nunca se muestra el contenido de las llamadas ni los datos de otras personas.",
		"sec.title":                   "Seguridad de acceso",
		"sec.on":                      "Hay una aplicación de autenticación activada: cada inicio de sesión pide su código.",
		"sec.off":                     "Su cuenta inicia sesión solo con contraseña. Para más protección, añada una aplicación de autenticación (un segundo factor).",
		"sec.add":                     "Añada esta clave a la aplicación (basada en tiempo, SHA-256, 6 dígitos) y luego escriba el código que muestre:",
		"sec.password":                "Su contraseña",
		"sec.code":                    "Código de la aplicación",
		"sec.turn_on":                 "Activar la autenticación",
		"sec.note":                    "Al activarla se cierra su sesión en todas partes; vuelva a iniciar sesión con la contraseña y un código.",
		"fam.title":                   "Su cuenta familiar",
		"fam.number":                  "Su número de teléfono",
		"fam.verified":                "verificado",
		"fam.number_label":            "El número al que llaman las personas detenidas",
		"fam.no_verification":         "La verificación de números de teléfono aún no está disponible en este servidor, así que aquí su cuenta no puede vincularse a su número.",
		"fam.rates":                   "Tarifas",
		"fam.col.facility":            "Centro",
		"fam.col.service":             "Servicio",
		"fam.col.price":               "Precio por minuto",
		"fam.col.cap":                 "Tope vigente",
		"fam.col.source":              "Fuente del tope",
		"fam.source":                  "Fuente",
		"fam.the_cap":                 "(el tope)",
		"fam.balance_title":           "Saldo prepagado",
		"fam.balance":                 "Saldo:",
		"fam.amount":                  "Importe en dólares",
		"fam.deposit":                 "Añadir dinero",
		"fam.simulated":               "El procesamiento de pagos es simulado en esta versión: no se cobra ninguna tarjeta y el depósito se registra como si estuviera pagado.",
		"fam.statement":               "Estado de cuenta,",
		"fam.to":                      "a",
		"fam.opening":                 "Saldo inicial",
		"fam.deposits":                "Depósitos",
		"fam.calls":                   "Llamadas",
		"fam.credits":                 "Créditos",
		"fam.refunds":                 "Reembolsos",
		"fam.col.when":                "Cuándo",
		"fam.col.what":                "Qué",
		"fam.col.amount":              "Importe",
		"fam.col.balance":             "Saldo",
		"fam.calls_title":             "Llamadas a su número",
		"fam.col.date":                "Fecha",
		"fam.col.length":              "Duración",
		"fam.col.charge":              "Cargo",
		"fam.no_calls":                "Todavía no hay llamadas.",
		"fam.block_title":             "Bloquear llamadas",
		"fam.blocked_from":            "Bloqueadas del centro",
		"fam.blocked_all":             "Bloqueadas de todos los centros",
		"fam.since":                   "desde",
		"fam.unblock":                 "Desbloquear",
		"fam.none_blocked":            "No hay llamadas bloqueadas.",
		"fam.block_from":              "Bloquear llamadas de",
		"fam.every":                   "todos los centros",
		"fam.block":                   "Bloquear",
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
