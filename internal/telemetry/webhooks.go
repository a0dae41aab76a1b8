package telemetry

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// WebhookMetrics count GitHub webhook deliveries. It implements
// ingest.WebhookCounters (and the web handler's rejections use it too).
type WebhookMetrics struct {
	deliveries       *prometheus.CounterVec
	projectionErrors *prometheus.CounterVec
	projected        *prometheus.CounterVec
}

// NewWebhookMetrics registers the webhook metrics with m's registry:
// sextant_webhook_deliveries_total{event,action,outcome} and
// sextant_webhook_projection_errors_total{event}. pending, when not nil,
// is read at scrape time for sextant_webhook_deliveries_pending.
func NewWebhookMetrics(m *Metrics, pending func(ctx context.Context) (int64, error), log *slog.Logger) *WebhookMetrics {
	w := &WebhookMetrics{
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sextant_webhook_deliveries_total",
			Help: "GitHub webhook deliveries by event, action and outcome (accepted, duplicate, unknown, ping, or rejected_<reason>). Rejected deliveries are not authenticated, so their event is left empty.",
		}, []string{"event", "action", "outcome"}),
		projectionErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sextant_webhook_projection_errors_total",
			Help: "Webhook deliveries whose projection failed (the error is kept on the delivery).",
		}, []string{"event"}),
		projected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sextant_webhook_projected_total",
			Help: "Webhook deliveries projected by this process, by event and outcome (projected, failed, unknown); with several replicas their sum is the number of deliveries.",
		}, []string{"event", "outcome"}),
	}
	m.Registry.MustRegister(w.deliveries, w.projectionErrors, w.projected)
	if pending != nil {
		m.Registry.MustRegister(&pendingCollector{
			count: pending, log: log,
			desc: prometheus.NewDesc("sextant_webhook_deliveries_pending", "Stored webhook deliveries not projected yet.", nil, nil),
		})
	}
	return w
}

// Delivery counts one delivery. Labels come from the deliveries, so they
// are made valid UTF-8 and short whatever was sent.
func (w *WebhookMetrics) Delivery(event, action, outcome string) {
	w.deliveries.WithLabelValues(label(event), label(action), label(outcome)).Inc()
}

func label(s string) string {
	if len(s) > 64 {
		s = s[:64]
	}
	return strings.ToValidUTF8(s, "?")
}

// Projected counts one projected delivery.
func (w *WebhookMetrics) Projected(event, outcome string) {
	w.projected.WithLabelValues(label(event), outcome).Inc()
}

// ProjectionError counts one failed projection.
func (w *WebhookMetrics) ProjectionError(event string) {
	w.projectionErrors.WithLabelValues(label(event)).Inc()
}

type pendingCollector struct {
	count func(ctx context.Context) (int64, error)
	log   *slog.Logger
	desc  *prometheus.Desc
}

func (c *pendingCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *pendingCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	n, err := c.count(ctx)
	if err != nil {
		c.log.Warn("count pending webhook deliveries for /metrics", "err", err)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n))
}
