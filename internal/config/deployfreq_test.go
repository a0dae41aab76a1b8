package config

import (
	"strings"
	"testing"
)

func TestDeployFreqKeys(t *testing.T) {
	cfg, err := Load(Source{Env: envOf(map[string]string{
		"SEXTANT_METRICS_DEPLOYMENT_FREQUENCY_SCHEDULE":    "6h",
		"SEXTANT_METRICS_DEPLOYMENT_FREQUENCY_WINDOW_DAYS": "7",
	})})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Metrics.DeployFreq.Schedule != "6h" || cfg.Metrics.DeployFreq.WindowDays != 7 {
		t.Errorf("deployment_frequency = %+v", cfg.Metrics.DeployFreq)
	}
	if d := Default().Metrics.DeployFreq; d.WindowDays != 30 || d.Schedule != "00:05" {
		t.Errorf("defaults %+v; want daily and 30 days, as the seed service", d)
	}
	for _, tc := range []struct{ schedule, window, key string }{
		{"daily", "30", "metrics.deployment_frequency.schedule"},
		{"500ms", "30", "metrics.deployment_frequency.schedule"},
		{"05:00", "0", "metrics.deployment_frequency.window_days"},
	} {
		_, err := Load(Source{Env: envOf(map[string]string{
			"SEXTANT_METRICS_DEPLOYMENT_FREQUENCY_SCHEDULE":    tc.schedule,
			"SEXTANT_METRICS_DEPLOYMENT_FREQUENCY_WINDOW_DAYS": tc.window,
		})})
		if err == nil || !strings.Contains(err.Error(), tc.key) {
			t.Errorf("schedule %q window %s: %v; want a problem with %s", tc.schedule, tc.window, err, tc.key)
		}
	}
}
