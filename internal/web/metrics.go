package web

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/sextant-dev/sextant/internal/core"
	"github.com/sextant-dev/sextant/internal/metrics"
)

// metricsAPI serves the metrics endpoints from the metrics engine.
type metricsAPI struct {
	s      *Server
	engine *metrics.Engine
	now    func() time.Time
}

// routeMetrics registers the metric, leaderboard and entity endpoints
// (docs/API.md). Without an engine from the wiring, the default
// definitions apply.
func (s *Server) routeMetrics(engine *metrics.Engine) {
	if engine == nil {
		engine = metrics.NewEngine(s.db, s.log, metrics.DefaultSettings())
	}
	a := &metricsAPI{s: s, engine: engine, now: time.Now}
	s.mux.HandleFunc("GET /api/v1/dora", s.withRead(a.dora))
	s.mux.HandleFunc("GET /api/v1/flow", s.withRead(a.flow))
	s.mux.HandleFunc("GET /api/v1/leaderboard", s.withRead(a.leaderboard))
	s.mux.HandleFunc("GET /api/v1/pulls", s.withRead(a.pulls))
	s.mux.HandleFunc("GET /api/v1/deployments", s.withRead(a.deployments))
	s.mux.HandleFunc("GET /api/v1/incidents", s.withRead(a.incidents))
	s.mux.HandleFunc("GET /api/v1/repos", s.withRead(a.repos))
	s.mux.HandleFunc("GET /api/v1/teams", s.withRead(a.teams))
}

// answer parses a request's query and runs it: 400 with every problem by
// parameter, or 200 with the result.
func answer[Q, R any](a *metricsAPI, w http.ResponseWriter, r *http.Request,
	parse func(url.Values, time.Time) (Q, error), run func(context.Context, Q) (R, error)) {
	q, err := parse(r.URL.Query(), a.now())
	if err != nil {
		a.s.writeAPIError(w, r, err, core.ScopeRead)
		return
	}
	out, err := run(r.Context(), q)
	if err != nil {
		a.s.writeAPIError(w, r, err, core.ScopeRead)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *metricsAPI) dora(w http.ResponseWriter, r *http.Request) {
	answer(a, w, r, func(q url.Values, now time.Time) (metrics.Filter, error) { return metrics.ParseFilter(q, now) }, a.engine.DORA)
}

func (a *metricsAPI) flow(w http.ResponseWriter, r *http.Request) {
	answer(a, w, r, func(q url.Values, now time.Time) (metrics.Filter, error) { return metrics.ParseFilter(q, now) }, a.engine.Flow)
}

func (a *metricsAPI) leaderboard(w http.ResponseWriter, r *http.Request) {
	answer(a, w, r, metrics.ParseLeaderboardQuery, a.engine.Leaderboard)
}

func (a *metricsAPI) pulls(w http.ResponseWriter, r *http.Request) {
	answer(a, w, r, metrics.ParsePullQuery, a.engine.Pulls)
}

func (a *metricsAPI) deployments(w http.ResponseWriter, r *http.Request) {
	answer(a, w, r, metrics.ParseDeploymentQuery, a.engine.Deployments)
}

func (a *metricsAPI) incidents(w http.ResponseWriter, r *http.Request) {
	answer(a, w, r, metrics.ParseIncidentQuery, a.engine.Incidents)
}

func (a *metricsAPI) repos(w http.ResponseWriter, r *http.Request) {
	answer(a, w, r, func(q url.Values, _ time.Time) (metrics.EntityQuery, error) { return metrics.ParseEntityQuery(q, true) },
		func(ctx context.Context, q metrics.EntityQuery) (map[string][]metrics.Repo, error) {
			repos, err := a.engine.Repos(ctx, q)
			return map[string][]metrics.Repo{"repos": repos}, err
		})
}

func (a *metricsAPI) teams(w http.ResponseWriter, r *http.Request) {
	answer(a, w, r, func(q url.Values, _ time.Time) (metrics.EntityQuery, error) {
		return metrics.ParseEntityQuery(q, false)
	},
		func(ctx context.Context, q metrics.EntityQuery) (map[string][]metrics.Team, error) {
			teams, err := a.engine.Teams(ctx, q, a.now())
			return map[string][]metrics.Team{"teams": teams}, err
		})
}
