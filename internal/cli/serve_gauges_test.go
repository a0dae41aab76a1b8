package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sextant-dev/sextant/internal/config"
	"github.com/sextant-dev/sextant/internal/demo/demodb"
	"github.com/sextant-dev/sextant/internal/metrics"
	"github.com/sextant-dev/sextant/internal/store"
	"github.com/sextant-dev/sextant/internal/telemetry"
)

// The DORA gauges of /metrics are the API's numbers for each repository
// over the last 30 days, plus the deployments to other environments.
func TestDORAGaugesMatchTheAPI(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "g.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	opts := demoTestOpts
	opts.Months = 2
	sum, err := demodb.Load(ctx, db, opts, log, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.DB = filepath.Join(t.TempDir(), "g.db")
	affs, err := writeDemoAffiliations(cfg.DB, sum.Roster)
	if err != nil {
		t.Fatal(err)
	}
	applyDemoSettings(&cfg, affs)
	if err := refreshDemoMetrics(ctx, db, cfg, log); err != nil {
		t.Fatal(err)
	}
	engine, err := newMetricsEngine(ctx, db, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	now := opts.End
	rows, err := doraGaugeRows(ctx, db, engine, cfg.Metrics, now)
	if err != nil {
		t.Fatal(err)
	}
	prod, other := 0, 0
	for _, r := range rows {
		if r.Environment != "production" {
			other++
			// Hand query: successful deployments to that environment in the window.
			var n int
			err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM deployments d JOIN repositories r ON r.id = d.repo_id
				WHERE r.full_name = $1 AND d.environment = $2 AND d.finished_at >= $3 AND d.finished_at < $4
				AND EXISTS (SELECT 1 FROM deployment_statuses s WHERE s.deployment_id = d.id AND s.state = 'success')`,
				r.Repo, r.Environment, now.AddDate(0, 0, -30).UnixMilli(), now.UnixMilli()).Scan(&n)
			if err != nil {
				t.Fatal(err)
			}
			if n != r.Deployments {
				t.Errorf("%s %s: gauge %d deployments, the table has %d", r.Repo, r.Environment, r.Deployments, n)
			}
			continue
		}
		prod++
		d, err := engine.DORA(ctx, metrics.Filter{Repo: r.Repo, From: now.AddDate(0, 0, -30), To: now, Interval: metrics.Week})
		if err != nil {
			t.Fatal(err)
		}
		want := telemetry.DORARow{Repo: r.Repo, Environment: "production", Deployments: d.DeploymentFrequency.Deployments,
			LeadTimeMedian: d.LeadTime.Median, ChangeFailureRate: d.ChangeFailureRate.Rate,
			TimeToRestore: d.TimeToRestore.Median, ReworkRate: d.ReworkRate.Rate}
		if fmt.Sprint(deref(r)) != fmt.Sprint(deref(want)) {
			t.Errorf("gauge row %v; the API says %v", deref(r), deref(want))
		}
	}
	if prod != len(sum.Roster.Repos) || other == 0 {
		t.Errorf("%d production rows for %d repositories, %d other rows", prod, len(sum.Roster.Repos), other)
	}

	// On /metrics, from the snapshot; unknown values are left out.
	m := telemetry.New()
	g := telemetry.NewDORAGauges(m)
	g.Set(rows, now)
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	body := get(t, srv.URL)
	r := rows[0]
	if want := fmt.Sprintf(`sextant_dora_deployments_30d{environment="production",repo=%q} %d`, r.Repo, r.Deployments); !strings.Contains(body, want) {
		t.Errorf("/metrics lacks %s", want)
	}
	if !strings.Contains(body, fmt.Sprintf("sextant_dora_refreshed_timestamp_seconds %g", float64(now.Unix()))) {
		t.Errorf("/metrics lacks the refresh time")
	}
	g.Set([]telemetry.DORARow{{Repo: "acme/quiet", Environment: "production"}}, now.Add(time.Minute))
	body = get(t, srv.URL)
	if strings.Contains(body, `sextant_dora_lead_time_median_seconds{environment="production",repo="acme/quiet"}`) {
		t.Error("an unknown lead time is shown")
	}
	if !strings.Contains(body, `sextant_dora_deployments_30d{environment="production",repo="acme/quiet"} 0`) {
		t.Error("a repository with no deployments is not shown with 0")
	}
}

// deref prints a row's values rather than its pointers.
func deref(r telemetry.DORARow) string {
	v := func(p *float64) string {
		if p == nil {
			return "nil"
		}
		return fmt.Sprintf("%.6g", *p)
	}
	return fmt.Sprintf("%s/%s %d %s %s %s %s", r.Repo, r.Environment, r.Deployments, v(r.LeadTimeMedian),
		v(r.ChangeFailureRate), v(r.TimeToRestore), v(r.ReworkRate))
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
