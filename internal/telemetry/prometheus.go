// Package telemetry exports Sextant's own measurements: Prometheus metrics
// on /metrics (and, later, OTLP).
package telemetry

import (
	"context"
	"log/slog"
	"net/http"
	"regexp"
	"sort"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds every Prometheus metric of one process. It owns its
// registry, so tests and several servers in one process never collide.
type Metrics struct {
	Registry *prometheus.Registry

	HTTPRequests *prometheus.CounterVec
	HTTPDuration *prometheus.HistogramVec
	JobsFinished *prometheus.CounterVec
	JobDuration  *prometheus.HistogramVec
	OTLPDropped  prometheus.Counter
	CIEvents     *prometheus.CounterVec
}

// New creates the metrics and registers them with a fresh registry.
func New() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		HTTPRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sextant_http_requests_total",
			Help: "HTTP requests by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		HTTPDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "sextant_http_request_duration_seconds",
			Help:    "HTTP request latency by route pattern and method.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method"}),
		JobsFinished: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sextant_jobs_finished_total",
			Help: "Job attempts by kind and outcome (done, retry, failed).",
		}, []string{"kind", "outcome"}),
		JobDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "sextant_job_duration_seconds",
			Help:    "Job run time by kind.",
			Buckets: prometheus.ExponentialBuckets(0.005, 4, 10),
		}, []string{"kind"}),
		CIEvents: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sextant_ci_events_total",
			Help: "CI/CD events received, by event (custom names as \"custom\") and outcome (stored, duplicate, or the error code of a rejection).",
		}, []string{"event", "outcome"}),
		OTLPDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sextant_otlp_dropped_total",
			Help: "Events not exported over OTLP because the queue was full or the collector failed.",
		}),
	}
	m.Registry.MustRegister(m.HTTPRequests, m.HTTPDuration, m.JobsFinished, m.JobDuration, m.OTLPDropped, m.CIEvents,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Names lists the names of every metric registered, sorted.
func (m *Metrics) Names() []string {
	ch := make(chan *prometheus.Desc)
	go func() {
		m.Registry.Describe(ch)
		close(ch)
	}()
	seen := map[string]bool{}
	for d := range ch {
		// Desc has no accessor for its name; its String form carries it.
		if g := descName.FindStringSubmatch(d.String()); g != nil {
			seen[g[1]] = true
		}
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

var descName = regexp.MustCompile(`fqName: "([^"]+)"`)

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

// JobCount is the number of jobs of one kind in one state.
type JobCount struct {
	Kind, State string
	Count       int64
}

// queueCollector reads queue depth at scrape time. The query is one small
// GROUP BY over an indexed table, cheap enough for every scrape.
type queueCollector struct {
	count func(ctx context.Context) ([]JobCount, error)
	log   *slog.Logger
	desc  *prometheus.Desc
}

// RegisterQueueDepth adds the sextant_jobs gauge (jobs by kind and state).
func (m *Metrics) RegisterQueueDepth(count func(ctx context.Context) ([]JobCount, error), log *slog.Logger) {
	m.Registry.MustRegister(&queueCollector{
		count: count,
		log:   log,
		desc:  prometheus.NewDesc("sextant_jobs", "Jobs in the queue by kind and state.", []string{"kind", "state"}, nil),
	})
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts, err := c.count(ctx)
	if err != nil {
		c.log.Warn("count jobs for /metrics", "err", err)
		return
	}
	for _, jc := range counts {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(jc.Count), jc.Kind, jc.State)
	}
}
