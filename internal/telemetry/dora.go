package telemetry

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// DORARow is the DORA metrics of one repository and environment over the
// last 30 days. A nil value is unknown (no deployments, no incidents) and
// is left out of /metrics rather than shown as zero.
type DORARow struct {
	Repo, Environment string
	Deployments       int
	LeadTimeMedian    *float64 // seconds
	ChangeFailureRate *float64 // 0..1
	TimeToRestore     *float64 // seconds, median
	ReworkRate        *float64 // 0..1
}

// DORAGauges serves the DORA metrics on /metrics from a snapshot that is
// refreshed on a schedule (Set), so a scrape never runs a query.
type DORAGauges struct {
	mu        sync.Mutex
	rows      []DORARow
	refreshed time.Time

	deployments, leadTime, cfr, restore, rework, updated *prometheus.Desc
}

// NewDORAGauges registers the gauges with m's registry.
func NewDORAGauges(m *Metrics) *DORAGauges {
	labels := []string{"repo", "environment"}
	g := &DORAGauges{
		deployments: prometheus.NewDesc("sextant_dora_deployments_30d",
			"Successful deployments in the last 30 days, by repository and environment.", labels, nil),
		leadTime: prometheus.NewDesc("sextant_dora_lead_time_median_seconds",
			"Median lead time for changes (first commit to deployed) over the last 30 days, production.", labels, nil),
		cfr: prometheus.NewDesc("sextant_dora_change_failure_rate",
			"Share of successful production deployments in the last 30 days that caused a failure.", labels, nil),
		restore: prometheus.NewDesc("sextant_dora_time_to_restore_median_seconds",
			"Median time to restore over the incidents resolved in the last 30 days.", labels, nil),
		rework: prometheus.NewDesc("sextant_dora_rework_rate",
			"Share of successful production deployments in the last 30 days that were unplanned fixes.", labels, nil),
		updated: prometheus.NewDesc("sextant_dora_refreshed_timestamp_seconds",
			"When the DORA gauges were last computed (Unix seconds).", nil, nil),
	}
	m.Registry.MustRegister(g)
	return g
}

// Set replaces the snapshot.
func (g *DORAGauges) Set(rows []DORARow, at time.Time) {
	g.mu.Lock()
	g.rows, g.refreshed = rows, at
	g.mu.Unlock()
}

// Describe implements prometheus.Collector.
func (g *DORAGauges) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{g.deployments, g.leadTime, g.cfr, g.restore, g.rework, g.updated} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (g *DORAGauges) Collect(ch chan<- prometheus.Metric) {
	g.mu.Lock()
	rows, at := g.rows, g.refreshed
	g.mu.Unlock()
	if at.IsZero() {
		return
	}
	ch <- prometheus.MustNewConstMetric(g.updated, prometheus.GaugeValue, float64(at.Unix()))
	for _, r := range rows {
		ch <- prometheus.MustNewConstMetric(g.deployments, prometheus.GaugeValue, float64(r.Deployments), r.Repo, r.Environment)
		for _, v := range []struct {
			d *prometheus.Desc
			x *float64
		}{{g.leadTime, r.LeadTimeMedian}, {g.cfr, r.ChangeFailureRate}, {g.restore, r.TimeToRestore}, {g.rework, r.ReworkRate}} {
			if v.x != nil {
				ch <- prometheus.MustNewConstMetric(v.d, prometheus.GaugeValue, *v.x, r.Repo, r.Environment)
			}
		}
	}
}
