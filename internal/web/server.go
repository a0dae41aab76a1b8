// Package web is Sextant's HTTP surface: the JSON API, the webhook and CI
// event endpoints, health checks, /metrics and the dashboard.
package web

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/sextant-dev/sextant/internal/core"
	ghmap "github.com/sextant-dev/sextant/internal/github"
	"github.com/sextant-dev/sextant/internal/ingest"
	"github.com/sextant-dev/sextant/internal/metrics"
	"github.com/sextant-dev/sextant/internal/store"
	"github.com/sextant-dev/sextant/internal/telemetry"
)

// Server routes requests to handlers. Build it with New and serve Handler().
type Server struct {
	db            *store.DB
	log           *slog.Logger
	metrics       *telemetry.Metrics
	anonymousRead bool
	ci            *ingest.CIEvents
	mux           *http.ServeMux

	webhooks     *ingest.Webhooks
	verifier     *ghmap.Verifier
	webhookCount ingest.WebhookCounters
	githubUsage  func() []telemetry.GitHubUsage
}

// Deps are what the server needs from the rest of the program.
type Deps struct {
	DB      *store.DB
	Log     *slog.Logger
	Metrics *telemetry.Metrics
	// Events receives every processed event (log line, OTLP); may be nil.
	Events *telemetry.Events
	// AnonymousRead lets read endpoints answer without a token (the
	// default for a server listening on loopback only).
	AnonymousRead bool

	// Webhooks stores GitHub webhook deliveries; WebhookSecrets verify them
	// (github.webhook_secret). Without both, POST /webhooks/github answers
	// 503. WebhookCounters counts deliveries and rejections for /metrics.
	Webhooks        *ingest.Webhooks
	WebhookSecrets  []string
	WebhookCounters ingest.WebhookCounters
	// MetricsEngine answers the metric endpoints; nil uses the default
	// definitions.
	MetricsEngine *metrics.Engine

	// GitHubUsage tells the GitHub API budget (GET /api/v1/health/data);
	// nil when the sync is off.
	GitHubUsage func() []telemetry.GitHubUsage
}

// New builds a server with every route registered.
func New(d Deps) *Server {
	s := &Server{db: d.DB, log: d.Log, metrics: d.Metrics, anonymousRead: d.AnonymousRead,
		ci: ingest.NewCIEvents(d.DB, d.Log, d.Events), mux: http.NewServeMux(),
		webhooks: d.Webhooks, verifier: ghmap.NewVerifier(d.WebhookSecrets), webhookCount: d.WebhookCounters,
		githubUsage: d.GitHubUsage}
	if d.Webhooks != nil {
		s.ci.FollowWebhooks(d.Webhooks)
	}
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.Handle("GET /metrics", d.Metrics.Handler())
	s.routeEvents()
	s.routeWebhooks()
	s.routeMetrics(d.MetricsEngine)
	s.routePages()
	s.routeHealth()
	return s
}

// Handler is the server's root handler, with request metrics around it.
func (s *Server) Handler() http.Handler {
	return s.instrument(s.mux)
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	if err := s.db.Ping(ctx); err != nil {
		s.log.Warn("readyz: database unreachable", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "error": "database unreachable"})
		return
	}
	current, err := s.db.MigrationsCurrent(ctx)
	if err != nil {
		s.log.Warn("readyz: migration status", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "error": "cannot read migration status"})
		return
	}
	if !current {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "error": "database migrations pending: run sextant migrate"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// instrument counts requests by route pattern (never the raw path, which
// would make unbounded label values) and status.
func (s *Server) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		if rec.code == 0 {
			rec.code = http.StatusOK
		}
		s.metrics.HTTPRequests.WithLabelValues(route, r.Method, strconv.Itoa(rec.code)).Inc()
		s.metrics.HTTPDuration.WithLabelValues(route, r.Method).Observe(time.Since(start).Seconds())
	})
}

// statusOf maps an error kind to its HTTP status: the one place that does.
func statusOf(code core.Code) int {
	switch code {
	case core.CodeInvalid:
		return http.StatusBadRequest
	case core.CodeNotFound:
		return http.StatusNotFound
	case core.CodeConflict:
		return http.StatusConflict
	case core.CodeUnauthorized:
		return http.StatusUnauthorized
	case core.CodeForbidden:
		return http.StatusForbidden
	case core.CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	case core.CodeUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// writeError answers with err's status and user-facing message; internal
// causes go to the log only.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := core.ErrorCode(err)
	status := statusOf(code)
	if status >= 500 {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeJSON(w, status, map[string]string{"error": core.ErrorMessage(err), "code": string(code)})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
