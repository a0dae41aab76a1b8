package cli

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/sextant-dev/sextant/internal/config"
	"github.com/sextant-dev/sextant/internal/metrics"
	"github.com/sextant-dev/sextant/internal/store"
	"github.com/sextant-dev/sextant/internal/telemetry"
)

// doraGaugeEnvironment labels the DORA gauges of production, whatever the
// production environments are called in each repository.
const doraGaugeEnvironment = "production"

// runDORAGauges recomputes the DORA gauges every interval until ctx ends.
// Every replica keeps its own snapshot (the queries are cheap, and a
// scheduled job would refresh only the replica that ran it).
func runDORAGauges(ctx context.Context, db *store.DB, engine *metrics.Engine, cfg config.Metrics,
	gauges *telemetry.DORAGauges, log *slog.Logger) {
	refresh := func() {
		now := time.Now().UTC()
		rows, err := doraGaugeRows(ctx, db, engine, cfg, now)
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("refresh DORA gauges", "err", err)
			}
			return
		}
		gauges.Set(rows, now)
	}
	refresh()
	t := time.NewTicker(cfg.GaugeInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			refresh()
		}
	}
}

// doraGaugeRows are the last 30 days of DORA metrics per repository in
// production (deduplicated, as the API counts them), and the successful
// deployments to every other environment.
func doraGaugeRows(ctx context.Context, db *store.DB, engine *metrics.Engine, cfg config.Metrics, now time.Time) ([]telemetry.DORARow, error) {
	from := now.AddDate(0, 0, -30)
	d, err := engine.DORA(ctx, metrics.Filter{From: from, To: now, Interval: metrics.Month})
	if err != nil {
		return nil, err
	}
	var rows []telemetry.DORARow
	for _, r := range d.Repos {
		rows = append(rows, telemetry.DORARow{
			Repo: r.Repo, Environment: doraGaugeEnvironment,
			Deployments:       r.DeploymentFrequency.Deployments,
			LeadTimeMedian:    r.LeadTime.Median,
			ChangeFailureRate: r.ChangeFailureRate.Rate,
			TimeToRestore:     r.TimeToRestore.Median,
			ReworkRate:        r.ReworkRate.Rate,
		})
	}
	counts, err := db.SuccessfulDeployments(ctx, from, now)
	if err != nil {
		return nil, err
	}
	perRepo, err := config.RepoEnvironments(cfg.RepoProductionEnvironments)
	if err != nil {
		return nil, err
	}
	for _, c := range counts {
		prod := perRepo[strings.ToLower(c.Repo)]
		if prod == nil {
			prod = cfg.ProductionEnvironments
		}
		if slices.ContainsFunc(prod, func(e string) bool { return strings.EqualFold(e, c.Environment) }) {
			continue // counted once above
		}
		rows = append(rows, telemetry.DORARow{Repo: c.Repo, Environment: c.Environment, Deployments: int(c.Count)})
	}
	return rows, nil
}
