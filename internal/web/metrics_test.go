package web

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sextant-dev/sextant/internal/core"
	"github.com/sextant-dev/sextant/internal/metrics"
	"github.com/sextant-dev/sextant/internal/metrics/metricstest"
	"github.com/sextant-dev/sextant/internal/store"
	"github.com/sextant-dev/sextant/internal/store/storetest"
	"github.com/sextant-dev/sextant/internal/telemetry"
)

func june(day, hour int) time.Time { return time.Date(2026, 6, day, hour, 0, 0, 0, time.UTC) }

func fullSHA(c string) string { return strings.Repeat(c, 40) }

// seedAPI writes a small history: acme/api deploys a baseline on 06-01 and,
// on 06-02, one pull request (#1, first commit 06-01 10:00, opened 11:00,
// reviewed by bob 12:00, merged 13:00, deployed 14:00). Then it refreshes.
func seedAPI(t *testing.T, db *store.DB) *metrics.Engine {
	t.Helper()
	f := metricstest.New(t, db)
	api := f.Repo(1, "acme/api", "main")
	f.Org(core.Organization{ID: 10, Login: "acme", Name: "Acme"})
	f.Team(core.Team{ID: 20, OrgID: 10, Slug: "backend", Name: "Backend"})
	f.TeamRepo(20, api, "push")
	f.TeamMember(core.TeamMember{TeamID: 20, ActorID: 1, Since: june(1, 0).AddDate(0, -1, 0)})
	f.Actor(core.Actor{ID: 1, Login: "alice"})
	f.Actor(core.Actor{ID: 2, Login: "bob"})
	f.OrgMember(core.OrgMember{OrgID: 10, ActorID: 1, Since: june(1, 0).AddDate(0, -1, 0)})
	f.Push(core.Push{RepoID: api, AfterSHA: fullSHA("a"), Created: true, PushedAt: june(1, 8), Commits: []string{fullSHA("a")}})
	f.GitHubDeployment(api, "1", "production", fullSHA("a"), june(1, 9), "success", june(1, 9))
	f.Pull(core.PullRequest{ID: 11, RepoID: api, Number: 1, AuthorID: 1, Title: "One", State: core.StateClosed, Merged: true,
		MergeCommitSHA: fullSHA("b"), CreatedAt: june(2, 11), ClosedAt: june(2, 13), MergedAt: june(2, 13), FirstCommitAt: june(1, 10)})
	f.Review(core.Review{ID: 21, PullRequestID: 11, RepoID: api, ReviewerID: 2, SubmittedAt: june(2, 12)})
	f.Push(core.Push{RepoID: api, BeforeSHA: fullSHA("a"), AfterSHA: fullSHA("b"), PushedAt: june(2, 13), Commits: []string{fullSHA("b")}})
	f.GitHubDeployment(api, "2", "production", fullSHA("b"), june(2, 14), "success", june(2, 14))
	e := metrics.NewEngine(db, slog.New(slog.NewTextHandler(io.Discard, nil)), metrics.DefaultSettings())
	if _, err := e.Refresh(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	return e
}

func getJSON(t *testing.T, url, token string, into any) int {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s: content type %q", url, ct)
	}
	if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
		t.Fatalf("%s: %v", url, err)
	}
	return resp.StatusCode
}

// jsonAt walks a decoded JSON value: "lead_time.median_seconds", "pulls.0.author".
func jsonAt(v any, p string) any {
	for _, k := range strings.Split(p, ".") {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[k]; !ok {
				return "<missing>"
			}
		case []any:
			i := 0
			for _, c := range k {
				i = i*10 + int(c-'0')
			}
			if i >= len(x) {
				return "<missing>"
			}
			v = x[i]
		default:
			return "<missing>"
		}
	}
	return v
}

func TestMetricsEndpoints(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := seedAPI(t, db)
		srv := httptest.NewServer(New(Deps{DB: db, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Metrics: telemetry.New(),
			AnonymousRead: true, MetricsEngine: e}).Handler())
		defer srv.Close()
		week := "from=2026-06-01&to=2026-06-08"
		for _, tc := range []struct {
			url  string
			want map[string]any
		}{
			// Two deployments in the week; #1's lead time is 06-01 10:00 →
			// 06-02 14:00 = 28h = 100800s; no incidents: restore unknown.
			{"/api/v1/dora?" + week + "&interval=day", map[string]any{
				"deployment_frequency.deployments": 2.0, "deployment_frequency.median_deploy_days_per_week": 2.0,
				"deployment_frequency.level": "high", "lead_time.median_seconds": 100800.0, "lead_time.p75_seconds": 100800.0,
				"lead_time.p90_seconds": 100800.0, "lead_time.changes": 1.0, "lead_time.level": "high",
				"change_failure_rate.rate": 0.0, "change_failure_rate.failed_deployments": 0.0, "change_failure_rate.deployments": 2.0,
				"change_failure_rate.level": "elite", "time_to_restore.median_seconds": nil, "time_to_restore.incidents": 0.0,
				"time_to_restore.level": nil, "rework_rate.rate": 0.0, "rework_rate.deployments": 2.0,
				"series.1.from": "2026-06-02T00:00:00Z", "series.1.deployment_frequency.deployments": 1.0,
				"previous.deployment_frequency.deployments": 0.0, "repos.0.repo": "acme/api", "teams.0.team": "acme/backend",
				"interval": "day", "thresholds.lead_time.elite": 86400.0, "thresholds.deployment_frequency.medium": 2592000.0,
				"thresholds.change_failure_rate.high": 0.1, "thresholds.rework_rate": nil}},
			{"/api/v1/pulls?" + week + "&by=deployed", map[string]any{
				"total": 1.0, "pulls.0.repo": "acme/api", "pulls.0.number": 1.0, "pulls.0.author": "alice", "pulls.0.state": "merged",
				"pulls.0.merged_at": "2026-06-02T13:00:00Z", "pulls.0.merge_commit_sha": fullSHA("b"), "pulls.0.coding_seconds": 90000.0,
				"pulls.0.pickup_seconds": 3600.0, "pulls.0.review_seconds": 3600.0, "pulls.0.deploy_seconds": 3600.0,
				"pulls.0.lead_time_seconds": 100800.0, "pulls.0.deployment": 2.0, "pulls.0.title": "One",
				"pulls.0.html_url": "https://github.com/acme/api/pull/1"}},
			{"/api/v1/pulls?" + week + "&by=merged&state=merged&author=ALICE&order=lead_time&limit=1", map[string]any{
				"total": 1.0, "pulls.0.number": 1.0}},
			{"/api/v1/pulls?" + week + "&author=bob", map[string]any{"total": 0.0}},
			{"/api/v1/deployments?" + week, map[string]any{
				"total": 2.0, "deployments.0.id": 2.0, "deployments.0.repo": "acme/api", "deployments.0.environment": "production",
				"deployments.0.sha": fullSHA("b"), "deployments.0.status": "success", "deployments.0.finished_at": "2026-06-02T14:00:00Z",
				"deployments.0.source": "github", "deployments.0.changes.0": 1.0, "deployments.0.failed": false,
				"deployments.1.baseline": true, "deployments.1.commits": nil}},
			{"/api/v1/flow?" + week, map[string]any{"throughput.merged": 1.0, "pickup.median_seconds": 3600.0, "reviews.reviewers": 1.0}},
			{"/api/v1/incidents?" + week, map[string]any{"total": 0.0, "incidents": []any{}}},
			// alice: opened 1 + merged 10; bob: a review, 3.
			{"/api/v1/leaderboard?" + week, map[string]any{"group": "person", "entries.0.rank": 1.0, "entries.0.name": "alice",
				"entries.0.score": 11.0, "entries.0.breakdown.pulls_merged.count": 1.0, "entries.0.previous_rank": nil,
				"entries.0.previous_score": nil, "entries.1.name": "bob", "entries.1.breakdown.reviews.points": 3.0,
				"entries.0.html_url": "https://github.com/alice", "entries.0.series": "<missing>"}},
			// Daily: alice's 11 points and bob's 3 are all on 06-02.
			{"/api/v1/leaderboard?" + week + "&series=true&interval=day", map[string]any{
				"periods.1.from": "2026-06-02T00:00:00Z", "periods.6.to": "2026-06-08T00:00:00Z", "periods.7": "<missing>",
				"entries.0.series.0": 0.0, "entries.0.series.1": 11.0, "entries.0.series.2": 0.0, "entries.1.series.1": 3.0}},
			{"/api/v1/leaderboard?" + week + "&group=org", map[string]any{"entries.0.name": "Acme", "entries.1.name": "Independent"}},
			{"/api/v1/leaderboard?" + week + "&group=team", map[string]any{"entries.0.name": "acme/backend", "entries.0.score": 11.0}},
			{"/api/v1/repos", map[string]any{"repos.0.repo": "acme/api", "repos.0.teams.0": "acme/backend",
				"repos.0.html_url":                  "https://github.com/acme/api",
				"repos.0.production_environments.0": "production", "repos.0.last_deployment_at": "2026-06-02T14:00:00Z"}},
			{"/api/v1/teams?org=acme", map[string]any{"teams.0.team": "acme/backend", "teams.0.repos.0": "acme/api", "teams.0.name": "Backend"}},
			{"/api/v1/dora?" + week + "&team=backend", map[string]any{"deployment_frequency.deployments": 2.0}},
			{"/api/v1/dora?" + week + "&org=acme&repo=acme/api", map[string]any{"deployment_frequency.deployments": 2.0}},
		} {
			var body any
			if code := getJSON(t, srv.URL+tc.url, "", &body); code != http.StatusOK {
				t.Errorf("%s: %d %v", tc.url, code, body)
				continue
			}
			for p, want := range tc.want {
				got := jsonAt(body, p)
				if ws, ok := want.([]any); ok {
					if gs, ok := got.([]any); !ok || len(gs) != len(ws) {
						t.Errorf("%s: %s = %v; want %v", tc.url, p, got, want)
					}
					continue
				}
				if got != want {
					t.Errorf("%s: %s = %#v; want %#v", tc.url, p, got, want)
				}
			}
		}
	})
}

func TestMetricsValidation(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	seedAPI(t, db)
	srv := httptest.NewServer(New(Deps{DB: db, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Metrics: telemetry.New(), AnonymousRead: true}).Handler())
	defer srv.Close()
	for _, tc := range []struct {
		url    string
		fields []string
	}{
		{"/api/v1/dora?from=soon&to=2026-01-01&interval=hourly&repo=api", []string{"from", "interval", "repo"}},
		{"/api/v1/dora?from=2026-06-02&to=2026-06-01", []string{"to"}},
		{"/api/v1/dora?repo=acme/nope", []string{"repo"}},
		{"/api/v1/dora?team=nope", []string{"team"}},
		{"/api/v1/flow?org=initech", []string{"org"}},
		{"/api/v1/leaderboard?group=company&limit=0", []string{"group", "limit"}},
		{"/api/v1/leaderboard?group=team&company=Acme", []string{"company"}},
		{"/api/v1/pulls?by=opened&state=draft&bots=maybe&cursor=zz&order=slow", []string{"by", "state", "bots", "cursor", "order"}},
		{"/api/v1/leaderboard?series=maybe", []string{"series"}},
		{"/api/v1/leaderboard?series=true&interval=day&from=2025-01-01&to=2026-06-01", []string{"interval"}},
		{"/api/v1/deployments?status=ok&failed=yes&limit=5000", []string{"status", "failed", "limit"}},
		{"/api/v1/incidents?by=closed&source=pagerduty&linked=1x", []string{"by", "source", "linked"}},
		{"/api/v1/repos?from=2026-01-01", []string{"from"}},
		{"/api/v1/teams?team=backend", []string{"team"}},
		{"/api/v1/dora?intervl=day", []string{"intervl"}},
	} {
		var body struct {
			Code     string         `json:"code"`
			Problems []core.Problem `json:"problems"`
		}
		if code := getJSON(t, srv.URL+tc.url, "", &body); code != http.StatusBadRequest || body.Code != "invalid" {
			t.Errorf("%s: %d %+v; want 400 invalid", tc.url, code, body)
			continue
		}
		got := map[string]bool{}
		for _, p := range body.Problems {
			got[p.Field] = true
			if p.Message == "" {
				t.Errorf("%s: problem of %s has no message", tc.url, p.Field)
			}
		}
		for _, f := range tc.fields {
			if !got[f] {
				t.Errorf("%s: no problem for %s in %+v", tc.url, f, body.Problems)
			}
		}
	}
}

func TestMetricsNeedReadScope(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	reader, _, err := db.CreateToken(ctx, "dash", []string{core.ScopeRead}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	writer, _, err := db.CreateToken(ctx, "ci", []string{core.ScopeEventsWrite}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(New(Deps{DB: db, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Metrics: telemetry.New()}).Handler())
	defer srv.Close()
	for _, p := range []string{"dora", "flow", "leaderboard", "pulls", "deployments", "incidents", "repos", "teams"} {
		for _, c := range []struct {
			token string
			want  int
		}{{"", 401}, {writer, 403}, {reader, 200}} {
			var body map[string]any
			if code := getJSON(t, srv.URL+"/api/v1/"+p, c.token, &body); code != c.want {
				t.Errorf("/api/v1/%s with token %q: %d %v; want %d", p, c.token, code, body, c.want)
			}
		}
	}
}
