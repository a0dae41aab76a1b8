package telemetry

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// integrityCollector reads the open integrity findings at scrape time:
// one indexed count over the latest check of each scope.
type integrityCollector struct {
	open func(ctx context.Context) (map[string]int64, error)
	log  *slog.Logger
	desc *prometheus.Desc
}

// RegisterIntegrity adds sextant_integrity_findings_open{kind}: the
// findings of each scope's latest integrity check not repaired yet.
func (m *Metrics) RegisterIntegrity(open func(ctx context.Context) (map[string]int64, error), log *slog.Logger) {
	m.Registry.MustRegister(&integrityCollector{
		open: open, log: log,
		desc: prometheus.NewDesc("sextant_integrity_findings_open",
			"Findings of the latest integrity check of each scope not repaired yet, by kind.", []string{"kind"}, nil),
	})
}

func (c *integrityCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *integrityCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	open, err := c.open(ctx)
	if err != nil {
		c.log.Warn("count open integrity findings for /metrics", "err", err)
		return
	}
	for kind, n := range open {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n), kind)
	}
}
