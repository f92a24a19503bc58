package web

import (
	"encoding/json"
	"errors"
	"net/http"

	"parley.dev/parley"
)

// apiError is an error with its HTTP status and stable code.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.message }

func tooMany() error {
	return &apiError{http.StatusTooManyRequests, "rate_limited", "too many reads for this account; try later"}
}

// statusOf maps an error to its HTTP status, stable code and a message safe to show.
// Internal errors show a generic message (the detail goes to the log, which holds no
// personal data because parley errors never carry any).
func statusOf(err error) (int, string, string) {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.status, ae.code, ae.message
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return http.StatusRequestEntityTooLarge, "too_large", "request body too large"
	}
	kind := parley.ErrorKind(err)
	status := map[parley.Kind]int{
		parley.KindInvalid:      http.StatusBadRequest,
		parley.KindNotFound:     http.StatusNotFound,
		parley.KindConflict:     http.StatusConflict,
		parley.KindForbidden:    http.StatusForbidden,
		parley.KindUnauthorized: http.StatusUnauthorized,
		parley.KindUnavailable:  http.StatusServiceUnavailable,
		parley.KindDestroyed:    http.StatusGone,
	}[kind]
	if status == 0 {
		return http.StatusInternalServerError, "internal", "internal error"
	}
	return status, kind.String(), publicMessage(err)
}

// publicMessage is what a person reads of err: its messages without their operation names
// or wrapped notes ("purpose is required", not "web.reason: purpose is required").
func publicMessage(err error) string {
	if msg := parley.ErrorMessage(err); msg != "" {
		return msg
	}
	return "request refused"
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}

func writeJSONError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": message}})
}

// fail writes err as a JSON error and logs server-side failures.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, code, msg := statusOf(err)
	if status >= 500 {
		s.c.Logger.ErrorContext(r.Context(), "request failed", "route", r.Pattern, "err", err)
	}
	writeJSONError(w, status, code, msg)
}
