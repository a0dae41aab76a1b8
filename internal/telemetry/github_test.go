package telemetry

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestGitHubMetrics(t *testing.T) {
	m := New()
	reset := time.Date(2026, 6, 1, 13, 0, 0, 0, time.UTC)
	usage := []GitHubUsage{
		{Token: "app:42", Resource: "core", Requests: 10, NotModified: 4, Points: 6, Retries: 1, Waits: 1, WaitSeconds: 61, Known: true, Limit: 5000, Remaining: 4994, Reset: reset},
		{Token: "app:42", Resource: "graphql", Requests: 3, Points: 5},
	}
	m.RegisterGitHub(func() []GitHubUsage { return usage })
	want := `
# HELP sextant_github_points_total GitHub rate-limit points spent (REST: 1 per request that is not a 304; GraphQL: the query's cost).
# TYPE sextant_github_points_total counter
sextant_github_points_total{resource="core",token="app:42"} 6
sextant_github_points_total{resource="graphql",token="app:42"} 5
# HELP sextant_github_rate_limit_remaining What is left of the token's budget, as GitHub last reported it.
# TYPE sextant_github_rate_limit_remaining gauge
sextant_github_rate_limit_remaining{resource="core",token="app:42"} 4994
# HELP sextant_github_requests_total GitHub API requests answered, by token label and rate-limit resource (304s included).
# TYPE sextant_github_requests_total counter
sextant_github_requests_total{resource="core",token="app:42"} 10
sextant_github_requests_total{resource="graphql",token="app:42"} 3
# HELP sextant_github_rate_limit_reset_timestamp_seconds When the token's rate-limit window resets (Unix seconds).
# TYPE sextant_github_rate_limit_reset_timestamp_seconds gauge
sextant_github_rate_limit_reset_timestamp_seconds{resource="core",token="app:42"} 1.7803188e+09
`
	if err := testutil.GatherAndCompare(m.Registry, strings.NewReader(want),
		"sextant_github_points_total", "sextant_github_rate_limit_remaining", "sextant_github_requests_total",
		"sextant_github_rate_limit_reset_timestamp_seconds"); err != nil {
		t.Error(err)
	}
	// An unknown budget (graphql here) has no gauge rather than a false 0.
	if n, err := testutil.GatherAndCount(m.Registry, "sextant_github_rate_limit_remaining"); err != nil || n != 1 {
		t.Errorf("%d remaining gauges, %v; want 1", n, err)
	}
}
