package telemetry

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// GitHubUsage is one GitHub token's use of one API resource (core,
// graphql, search) since the process started, with its last known budget.
// Token is the token's label (a configured name or "app:<id>"), never the
// token itself.
type GitHubUsage struct {
	Token, Resource string
	Requests        int64 // answered requests, 304s included
	NotModified     int64 // 304s: free
	Points          int64 // rate-limit points spent
	Retries         int64
	Waits           int64   // waits for a rate limit
	WaitSeconds     float64 // time spent in them
	// Known is false until an answer told the budget.
	Known     bool
	Limit     int64
	Remaining int64
	Reset     time.Time
}

// githubCollector reads the GitHub clients' counters at scrape time: they
// live in the clients (one Budget per token), not in the registry.
type githubCollector struct {
	usage func() []GitHubUsage

	requests, notModified, points, retries, waits, waitSeconds *prometheus.Desc
	limit, remaining, reset                                    *prometheus.Desc
}

// RegisterGitHub adds the sextant_github_* metrics, read from usage on
// every scrape.
func (m *Metrics) RegisterGitHub(usage func() []GitHubUsage) {
	l := []string{"token", "resource"}
	d := func(name, help string) *prometheus.Desc { return prometheus.NewDesc(name, help, l, nil) }
	m.Registry.MustRegister(&githubCollector{
		usage:       usage,
		requests:    d("sextant_github_requests_total", "GitHub API requests answered, by token label and rate-limit resource (304s included)."),
		notModified: d("sextant_github_not_modified_total", "GitHub API answers that were 304 Not Modified (free of rate limit)."),
		points:      d("sextant_github_points_total", "GitHub rate-limit points spent (REST: 1 per request that is not a 304; GraphQL: the query's cost)."),
		retries:     d("sextant_github_retries_total", "GitHub API requests repeated after a 5xx, a network error or a rate limit."),
		waits:       d("sextant_github_rate_limit_waits_total", "Times a GitHub request waited for a primary or secondary rate limit."),
		waitSeconds: d("sextant_github_rate_limit_wait_seconds_total", "Seconds spent waiting for GitHub rate limits."),
		limit:       d("sextant_github_rate_limit_limit", "The token's rate-limit budget per window, as GitHub last reported it."),
		remaining:   d("sextant_github_rate_limit_remaining", "What is left of the token's budget, as GitHub last reported it."),
		reset:       d("sextant_github_rate_limit_reset_timestamp_seconds", "When the token's rate-limit window resets (Unix seconds)."),
	})
}

func (c *githubCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.requests, c.notModified, c.points, c.retries, c.waits, c.waitSeconds, c.limit, c.remaining, c.reset} {
		ch <- d
	}
}

func (c *githubCollector) Collect(ch chan<- prometheus.Metric) {
	for _, u := range c.usage() {
		lv := []string{u.Token, u.Resource}
		counter := func(d *prometheus.Desc, v float64) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, lv...)
		}
		counter(c.requests, float64(u.Requests))
		counter(c.notModified, float64(u.NotModified))
		counter(c.points, float64(u.Points))
		counter(c.retries, float64(u.Retries))
		counter(c.waits, float64(u.Waits))
		counter(c.waitSeconds, u.WaitSeconds)
		if u.Known {
			ch <- prometheus.MustNewConstMetric(c.limit, prometheus.GaugeValue, float64(u.Limit), lv...)
			ch <- prometheus.MustNewConstMetric(c.remaining, prometheus.GaugeValue, float64(u.Remaining), lv...)
			ch <- prometheus.MustNewConstMetric(c.reset, prometheus.GaugeValue, float64(u.Reset.Unix()), lv...)
		}
	}
}
