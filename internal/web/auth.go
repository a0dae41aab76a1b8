package web

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/sextant-dev/sextant/internal/core"
)

// authorize returns the API token of the request if it grants scope. A
// missing, malformed, unknown or revoked token is unauthorized; a token
// without the scope is forbidden. The token itself never reaches a log or
// an error message.
func (s *Server) authorize(r *http.Request, scope string) (core.APIToken, error) {
	scheme, secret, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	secret = strings.TrimSpace(secret)
	if !ok || !strings.EqualFold(scheme, "Bearer") || secret == "" {
		return core.APIToken{}, core.Errorf(core.CodeUnauthorized, "missing bearer token: send Authorization: Bearer <token>")
	}
	tok, err := s.db.Authenticate(r.Context(), secret)
	if err != nil {
		return core.APIToken{}, err
	}
	if !tok.HasScope(scope) {
		return tok, core.Errorf(core.CodeForbidden, "token %q lacks the %s scope", tok.Name, scope)
	}
	if err := s.db.TouchToken(r.Context(), tok, time.Now()); err != nil {
		// Bookkeeping only: failing the request for it would lose the event.
		s.log.Warn("record token use", "token", tok.Name, "err", err)
	}
	return tok, nil
}

// withScope wraps an API handler so that it runs only for a token that
// grants scope, and receives that token.
func (s *Server) withScope(scope string, h func(w http.ResponseWriter, r *http.Request, tok core.APIToken)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, err := s.authorize(r, scope)
		if err != nil {
			s.writeAPIError(w, r, err, scope)
			return
		}
		h(w, r, tok)
	}
}

// writeAPIError is writeError for the JSON API: invalid input also lists
// every problem by field, and 401 and 403 say which scheme and scope a
// client needs (RFC 6750).
func (s *Server) writeAPIError(w http.ResponseWriter, r *http.Request, err error, scope string) {
	switch core.ErrorCode(err) {
	case core.CodeUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="sextant"`)
	case core.CodeForbidden:
		w.Header().Set("WWW-Authenticate", `Bearer realm="sextant", error="insufficient_scope", scope="`+scope+`"`)
	case core.CodeInvalid:
		var ps core.Problems
		if errors.As(err, &ps) {
			writeJSON(w, http.StatusBadRequest, map[string]any{
				"error": core.ErrorMessage(err), "code": core.CodeInvalid, "problems": ps,
			})
			return
		}
	}
	s.writeError(w, r, err)
}

// withRead wraps a read endpoint (metrics, leaderboards, entities, data
// health): it needs a token with the read scope unless anonymous reads are
// allowed. A token that is sent is checked even then, so a revoked token
// never works.
func (s *Server) withRead(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.anonymousRead && r.Header.Get("Authorization") == "" {
			h(w, r)
			return
		}
		if _, err := s.authorize(r, core.ScopeRead); err != nil {
			s.writeAPIError(w, r, err, core.ScopeRead)
			return
		}
		h(w, r)
	}
}
