package web

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sextant-dev/sextant/internal/store"
	"github.com/sextant-dev/sextant/internal/store/storetest"
	"github.com/sextant-dev/sextant/internal/telemetry"
)

var healthAt = time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)

// seedHealth stores what the data health endpoint reports: sync states of
// a repository and an organization (and a team's, not shown), a webhook
// of the repository, checks of the repository, the organization, a hook
// and the store (the repository's twice: only the latest counts), one
// finding with its queued repair, and jobs.
func seedHealth(t testing.TB, db *store.DB) (repairJob int64) {
	t.Helper()
	ctx := context.Background()
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		for _, st := range []store.SyncState{
			{Scope: "acme/api", Kind: "pulls", Watermark: healthAt.Add(-2 * time.Hour), UpdatedAt: healthAt.Add(-time.Hour)},
			{Scope: "acme/api", Kind: "issues", Watermark: healthAt.Add(-3 * time.Hour), UpdatedAt: healthAt.Add(-30 * time.Minute)},
			{Scope: "acme", Kind: "repos", UpdatedAt: healthAt.Add(-5 * time.Hour)},
			{Scope: "team:acme/core", Kind: "members:member", UpdatedAt: healthAt},
			{Scope: "demo", Kind: "demo", UpdatedAt: healthAt},
		} {
			if err := store.PutSyncState(ctx, tx, st); err != nil {
				return err
			}
		}
		if _, err := store.InsertDeliveries(ctx, tx, []store.WebhookDelivery{{DeliveryID: "g1", Event: "push",
			RepoFullName: "acme/api", ReceivedAt: healthAt.Add(-10 * time.Minute), Body: []byte("x"), BodyEncoding: "gzip", BodySize: 1}}); err != nil {
			return err
		}
		var err error
		repairJob, _, err = store.EnqueueJobIn(ctx, tx, store.NewJob{Kind: "integrity.repair", UniqueKey: "integrity.repair:acme/api:pulls"}, healthAt)
		if err != nil {
			return err
		}
		if _, _, err := store.EnqueueJobIn(ctx, tx, store.NewJob{Kind: "github.sync_repo"}, healthAt); err != nil {
			return err
		}
		check := func(scope string, at time.Time, findings []store.IntegrityFinding, errText string) error {
			id, err := store.StartIntegrityCheck(ctx, tx, scope, at)
			if err != nil {
				return err
			}
			for _, f := range findings {
				f.CheckID, f.Scope, f.FoundAt = id, scope, at
				if _, err := store.AddIntegrityFinding(ctx, tx, f); err != nil {
					return err
				}
			}
			status := store.CheckClean
			switch {
			case errText != "":
				status = store.CheckError
			case len(findings) > 0:
				status = store.CheckGaps
			}
			return store.FinishIntegrityCheck(ctx, tx, store.IntegrityCheck{ID: id, FinishedAt: at.Add(time.Second), Requests: 1,
				Findings: int64(len(findings)), Status: status, Error: errText})
		}
		if err := check("acme/api", healthAt.Add(-2*time.Hour), []store.IntegrityFinding{{Kind: "issues", Expected: 3, Found: 1}}, ""); err != nil {
			return err
		}
		if err := check("acme/api", healthAt.Add(-time.Hour), []store.IntegrityFinding{{Kind: "pull_requests", Expected: 120, Found: 118,
			RepairJobID: repairJob}}, ""); err != nil {
			return err
		}
		if err := check("acme", healthAt.Add(-time.Hour), nil, ""); err != nil {
			return err
		}
		if err := check("hook:org:acme:12", healthAt.Add(-time.Hour), nil, "github: deliveries of hook 12 of acme: 404 Not Found"); err != nil {
			return err
		}
		return check("store", healthAt.Add(-time.Hour), nil, "")
	})
	if err != nil {
		t.Fatal(err)
	}
	return repairJob
}

func healthUsage() []telemetry.GitHubUsage {
	return []telemetry.GitHubUsage{
		{Token: "token", Resource: "core", Known: true, Limit: 5000, Remaining: 4200, Reset: healthAt.Add(time.Hour)},
		{Token: "token", Resource: "graphql", Known: true, Limit: 5000, Remaining: 4990, Reset: healthAt.Add(time.Hour)},
		{Token: "token", Resource: "search"}, // never answered: no reading
	}
}

func TestDataHealth(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		job := seedHealth(t, db)
		s := New(Deps{DB: db, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Metrics: telemetry.New(), AnonymousRead: true,
			GitHubUsage: healthUsage})
		srv := httptest.NewServer(s.Handler())
		defer srv.Close()
		resp, err := http.Get(srv.URL + "/api/v1/health/data")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
		var got map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
			t.Fatal(err)
		}
		ts := func(d time.Duration) string { return healthAt.Add(d).Format(time.RFC3339) }
		clean := func(at time.Duration, errText any) map[string]any {
			status := "clean"
			if errText != nil {
				status = "error"
			}
			return map[string]any{"checked_at": ts(at), "status": status, "requests": 1.0, "error": errText, "findings": []any{}}
		}
		want := map[string]any{
			"repos": []any{map[string]any{
				"repo": "acme/api", "synced_at": ts(-30 * time.Minute), "last_webhook_at": ts(-10 * time.Minute),
				"watermarks": map[string]any{"pulls": ts(-2 * time.Hour), "issues": ts(-3 * time.Hour)},
				"check": map[string]any{"checked_at": ts(-time.Hour + time.Second), "status": "gaps", "requests": 1.0, "error": nil,
					"findings": []any{map[string]any{"kind": "pull_requests", "expected": 120.0, "found": 118.0,
						"repair_status": "queued", "repair_job": float64(job), "repaired_at": nil}}},
			}},
			"orgs": []any{map[string]any{"org": "acme", "synced_at": ts(-5 * time.Hour), "last_webhook_at": nil,
				"check": clean(-time.Hour+time.Second, nil)}},
			"hooks": []any{map[string]any{"hook": "hook:org:acme:12", "synced_at": nil, "last_webhook_at": nil,
				"check": clean(-time.Hour+time.Second, "github: deliveries of hook 12 of acme: 404 Not Found")}},
			"store": clean(-time.Hour+time.Second, nil),
			"rate_limits": []any{
				map[string]any{"token": "token", "resource": "core", "limit": 5000.0, "remaining": 4200.0, "reset_at": ts(time.Hour)},
				map[string]any{"token": "token", "resource": "graphql", "limit": 5000.0, "remaining": 4990.0, "reset_at": ts(time.Hour)},
			},
			"queue": []any{
				map[string]any{"kind": "github.sync_repo", "state": "pending", "count": 1.0},
				map[string]any{"kind": "integrity.repair", "state": "pending", "count": 1.0},
			},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("GET /api/v1/health/data (-want +got):\n%s", diff)
		}
	})
}

// Without a token it needs one, as every read endpoint.
func TestDataHealthNeedsReadScope(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	s := New(Deps{DB: db, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Metrics: telemetry.New()})
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/api/v1/health/data")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("status %d without a token; want 401", resp.StatusCode)
	}
}

// The data health page shows what the real endpoint answers.
func TestBrowserDataHealthFromTheAPI(t *testing.T) {
	browser := newBrowser(t)
	d := startDashboard(t, dashboardOptions{anonymousRead: true})
	seedHealth(t, d.DB)
	d.server.githubUsage = healthUsage
	tb := newTab(t, browser, laptop)
	tb.open(d.URL + "/data-health")
	checkShown(t, "data health", tb.shown(), map[string]want{
		"limit-core-remaining":           {text: "4,200", value: "4200"},
		"limit-graphql-remaining":        {text: "4,990", value: "4990"},
		"queue-github.sync_repo-pending": {value: "1"},
		"queue-integrity.repair-pending": {value: "1"},
		"findings-acme/api":              {value: "1"},
		"findings-acme":                  {value: "0"},
		"findings-table":                 {text: "pull_requests"},
		"sync-repos":                     {text: "acme/api"},
	})
	if got := tb.shown()["findings-table"].Text; !strings.Contains(got, "queued") || strings.Contains(got, "issues") {
		t.Errorf("findings table %q: want the latest check's finding with its repair queued, not the earlier check's", got)
	}
	tb.noProblems()
}
