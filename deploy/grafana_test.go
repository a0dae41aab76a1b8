package deploy_test

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/sextant-dev/sextant/internal/cli"
)

var metricRef = regexp.MustCompile(`\bsextant_[a-z0-9_]+`)

// Every PromQL expression of the Grafana dashboard charts metrics that
// sextant serve exports.
func TestGrafanaDashboardUsesRealMetrics(t *testing.T) {
	var dash struct {
		Title  string `json:"title"`
		Panels []struct {
			Title   string `json:"title"`
			Type    string `json:"type"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Name  string          `json:"name"`
				Query json.RawMessage `json:"query"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal([]byte(read(t, "deploy/grafana/sextant.json")), &dash); err != nil {
		t.Fatalf("deploy/grafana/sextant.json: %v", err)
	}
	exported := cli.MetricNames()
	known := func(name string) bool {
		for _, suffix := range []string{"", "_bucket", "_sum", "_count"} {
			if slices.Contains(exported, strings.TrimSuffix(name, suffix)) && strings.HasSuffix(name, suffix) {
				return true
			}
		}
		return false
	}
	var exprs []string
	charted := map[string]bool{}
	for _, p := range dash.Panels {
		if p.Type == "row" {
			continue
		}
		if p.Title == "" || len(p.Targets) == 0 {
			t.Errorf("panel %q (%s) has no title or no query", p.Title, p.Type)
		}
		for _, tg := range p.Targets {
			exprs = append(exprs, tg.Expr)
		}
	}
	for _, v := range dash.Templating.List {
		var q struct {
			Query string `json:"query"`
		}
		if json.Unmarshal(v.Query, &q) == nil && q.Query != "" {
			exprs = append(exprs, q.Query)
		}
	}
	for _, e := range exprs {
		names := metricRef.FindAllString(e, -1)
		if len(names) == 0 {
			t.Errorf("expression %q names no Sextant metric", e)
		}
		for _, n := range names {
			if !known(n) {
				t.Errorf("expression %q names %s, which sextant serve does not export", e, n)
			}
			charted[n] = true
		}
	}
	// The dashboard covers each area the issue lists.
	for _, want := range []string{"sextant_dora_deployments_30d", "sextant_dora_lead_time_median_seconds",
		"sextant_dora_change_failure_rate", "sextant_dora_time_to_restore_median_seconds", "sextant_dora_rework_rate",
		"sextant_webhook_deliveries_total", "sextant_ci_events_total", "sextant_github_rate_limit_remaining",
		"sextant_github_points_total", "sextant_jobs", "sextant_jobs_finished_total"} {
		if !charted[want] {
			t.Errorf("the dashboard does not chart %s", want)
		}
	}
}
