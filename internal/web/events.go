package web

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sextant-dev/sextant/internal/core"
	"github.com/sextant-dev/sextant/internal/ingest"
	"github.com/sextant-dev/sextant/internal/store"
)

// Listing limits of GET /api/v1/events.
const (
	defaultEventPage = 100
	maxEventPage     = 1000
)

// routeEvents registers the CI/CD event endpoints.
func (s *Server) routeEvents() {
	s.mux.HandleFunc("POST /api/v1/events", s.withScope(core.ScopeEventsWrite, s.postEvent))
	s.mux.HandleFunc("POST /process-event", s.withScope(core.ScopeEventsWrite, s.postLegacyEvent))
	s.mux.HandleFunc("GET /api/v1/events", s.withScope(core.ScopeEventsRead, s.listEvents))
}

// postEvent stores a version 1 event: 201 with the stored event, or 200
// with the event stored earlier under the same idempotency key.
func (s *Server) postEvent(w http.ResponseWriter, r *http.Request, tok core.APIToken) {
	s.recordEvent(w, r, tok, ingest.ParseCIEvent, http.StatusCreated)
}

// postLegacyEvent stores an event in the older DevOps service's payload.
// It answers 200, as that service did, so scripts that check for it keep
// working.
func (s *Server) postLegacyEvent(w http.ResponseWriter, r *http.Request, tok core.APIToken) {
	s.recordEvent(w, r, tok, ingest.ParseLegacyCIEvent, http.StatusOK)
}

func (s *Server) recordEvent(w http.ResponseWriter, r *http.Request, tok core.APIToken,
	parse func([]byte, time.Time) (core.CIEvent, error), createdStatus int) {
	body, err := readBody(w, r, ingest.MaxCIBody)
	if err != nil {
		s.rejectEvent(w, r, "unknown", err)
		return
	}
	now := time.Now()
	e, err := parse(body, now)
	if err != nil {
		s.rejectEvent(w, r, e.Event, err)
		return
	}
	stored, created, err := s.ci.Record(r.Context(), tok.ID, e, now)
	if err != nil {
		s.rejectEvent(w, r, e.Event, err)
		return
	}
	status, outcome := http.StatusOK, "duplicate"
	if created {
		status, outcome = createdStatus, "stored"
	}
	s.metrics.CIEvents.WithLabelValues(ciEventLabel(stored.Event), outcome).Inc()
	writeJSON(w, status, stored)
}

// rejectEvent answers a refused event and counts it by its error code.
func (s *Server) rejectEvent(w http.ResponseWriter, r *http.Request, event string, err error) {
	s.metrics.CIEvents.WithLabelValues(ciEventLabel(event), string(core.ErrorCode(err))).Inc()
	s.writeAPIError(w, r, err, core.ScopeEventsWrite)
}

// ciEventLabel keeps the event label's values bounded: custom names, which
// clients choose freely, share one label value.
func ciEventLabel(event string) string {
	switch event {
	case core.EventPush, core.EventDeploy, core.EventTestPass, core.EventTestFail,
		core.EventIncidentOpened, core.EventIncidentResolved, core.EventRollback:
		return event
	case "", "unknown":
		return "unknown"
	}
	return "custom"
}

// readBody reads a request body of at most limit bytes; a larger one is a
// too-large error, before or after reading (chunked bodies have no length).
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	tooLarge := core.Errorf(core.CodeTooLarge, "request body is larger than %d bytes (1 MiB)", limit)
	if r.ContentLength > limit {
		return nil, tooLarge
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, tooLarge
	}
	if err != nil {
		return nil, &core.Error{Code: core.CodeInvalid, Message: "could not read the request body", Err: err}
	}
	return body, nil
}

// eventPage is the answer of GET /api/v1/events.
type eventPage struct {
	Events     []core.CIEvent `json:"events"`
	NextCursor string         `json:"next_cursor,omitempty"`
}

// listEvents lists events newest first, a page at a time.
func (s *Server) listEvents(w http.ResponseWriter, r *http.Request, tok core.APIToken) {
	f, err := eventFilter(r)
	if err != nil {
		s.writeAPIError(w, r, err, core.ScopeEventsRead)
		return
	}
	limit := f.Limit
	f.Limit++ // one more tells whether there is a next page
	events, err := s.db.ListCIEvents(r.Context(), f)
	if err != nil {
		s.writeAPIError(w, r, err, core.ScopeEventsRead)
		return
	}
	page := eventPage{Events: events}
	if len(events) > limit {
		page.Events = events[:limit]
		last := page.Events[limit-1]
		page.NextCursor = encodeCursor(last.Time, last.ID)
	}
	if page.Events == nil {
		page.Events = []core.CIEvent{}
	}
	writeJSON(w, http.StatusOK, page)
}

// eventFilter reads the query of GET /api/v1/events, reporting every
// problem by parameter.
func eventFilter(r *http.Request) (store.CIEventFilter, error) {
	q := r.URL.Query()
	var ps core.Problems
	f := store.CIEventFilter{Repo: q.Get("repo"), Event: q.Get("event"), Limit: defaultEventPage}
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if v := q.Get(p.name); v != "" {
			t, err := parseQueryTime(v)
			if err != nil {
				ps.Add(p.name, fmt.Sprintf("%q is not an RFC 3339 time or a date such as 2024-05-01", v))
			}
			*p.dst = t
		}
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		ps.Add("to", "must be after from")
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxEventPage {
			ps.Add("limit", fmt.Sprintf("%q is not a number from 1 to %d", v, maxEventPage))
		}
		f.Limit = n
	}
	if v := q.Get("cursor"); v != "" {
		t, id, err := decodeCursor(v)
		if err != nil {
			ps.Add("cursor", "is not a cursor returned by this endpoint")
		}
		f.AfterTime, f.AfterID = t, id
	}
	return f, ps.Invalid("invalid query")
}

func parseQueryTime(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	return time.Parse(time.DateOnly, v)
}

// A cursor is the position of the last event of a page: its time and id,
// which order the listing. It is opaque to clients.
func encodeCursor(t time.Time, id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(t.UnixMilli(), 10) + ":" + strconv.FormatInt(id, 10)))
}

func decodeCursor(c string) (time.Time, int64, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return time.Time{}, 0, err
	}
	ms, idText, ok := strings.Cut(string(b), ":")
	if !ok {
		return time.Time{}, 0, errors.New("no separator")
	}
	at, err1 := strconv.ParseInt(ms, 10, 64)
	id, err2 := strconv.ParseInt(idText, 10, 64)
	if err := errors.Join(err1, err2); err != nil || id <= 0 {
		return time.Time{}, 0, fmt.Errorf("bad cursor: %v", err)
	}
	return time.UnixMilli(at).UTC(), id, nil
}
