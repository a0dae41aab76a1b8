package cli

import (
	"context"
	"io"
	"log/slog"
	"sync"

	"github.com/sextant-dev/sextant/internal/github"
	"github.com/sextant-dev/sextant/internal/store"
	"github.com/sextant-dev/sextant/internal/telemetry"
)

// serveMetrics is every collector of serve's /metrics, made in one place so
// that what the Grafana dashboard may chart is exactly what serve exports.
type serveMetrics struct {
	*telemetry.Metrics
	webhooks *telemetry.WebhookMetrics
	dora     *telemetry.DORAGauges

	mu      sync.Mutex
	budgets []*github.Budget // of the GitHub clients, once they are made
}

// useGitHub makes /metrics show the usage and budgets of GitHub clients.
func (s *serveMetrics) useGitHub(budgets ...*github.Budget) {
	s.mu.Lock()
	s.budgets = append(s.budgets, budgets...)
	s.mu.Unlock()
}

// newServeMetrics registers the collectors. db is only read at scrape time.
func newServeMetrics(db *store.DB, log *slog.Logger) *serveMetrics {
	m := telemetry.New()
	m.RegisterQueueDepth(func(ctx context.Context) ([]telemetry.JobCount, error) {
		counts, err := db.CountJobs(ctx)
		out := make([]telemetry.JobCount, len(counts))
		for i, c := range counts {
			out[i] = telemetry.JobCount{Kind: c.Kind, State: c.State, Count: c.Count}
		}
		return out, err
	}, log)
	s := &serveMetrics{
		Metrics: m,
		webhooks: telemetry.NewWebhookMetrics(m, func(ctx context.Context) (int64, error) {
			return store.CountPendingDeliveries(ctx, db.R)
		}, log),
		dora: telemetry.NewDORAGauges(m),
	}
	// The open findings are read at scrape time: sextant check records
	// findings too, in another process.
	m.RegisterIntegrity(func(ctx context.Context) (map[string]int64, error) { return store.OpenFindings(ctx, db.R) }, log)
	m.RegisterGitHub(func() []telemetry.GitHubUsage {
		s.mu.Lock()
		defer s.mu.Unlock()
		return githubUsage(s.budgets...)()
	})
	return s
}

// MetricNames lists the metric names serve exports (without the _bucket,
// _sum and _count series of histograms).
func MetricNames() []string {
	return newServeMetrics(nil, slog.New(slog.NewTextHandler(io.Discard, nil))).Names()
}
