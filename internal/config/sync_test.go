package config

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSyncAndIntegrityKeys(t *testing.T) {
	cfg, err := Load(Source{Env: envOf(map[string]string{
		"SEXTANT_SYNC_SCHEDULE":               "15m",
		"SEXTANT_SYNC_RECONCILE_DAYS":         "90",
		"SEXTANT_SYNC_EVENTS_WINDOW":          "6h",
		"SEXTANT_INTEGRITY_HOOKS":             "org:acme:123,repo:acme/api:456,app",
		"SEXTANT_INTEGRITY_REDELIVERY_WINDOW": "24h",
	})})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Sync.Schedule != "15m" || cfg.Sync.ReconcileDays != 90 || cfg.Sync.EventsWindow != 6*time.Hour ||
		!slices.Equal(cfg.Integrity.Hooks, []string{"org:acme:123", "repo:acme/api:456", "app"}) ||
		cfg.Integrity.RedeliveryWindow != 24*time.Hour {
		t.Errorf("sync %+v, integrity %+v", cfg.Sync, cfg.Integrity)
	}
	d := Default()
	if d.Sync.Schedule != "30m" || d.Sync.EventsSchedule != "10m" || d.Sync.ReconcileSchedule != "05:00" ||
		d.Sync.ReconcileDays != 365 || d.Integrity.Schedule != "1h" || d.Integrity.RedeliveryWindow != 72*time.Hour {
		t.Errorf("defaults: sync %+v, integrity %+v; want the seed's 30 min, 10 min, 05:00 UTC, a year, hourly checks and GitHub's 3 days", d.Sync, d.Integrity)
	}
	for _, tc := range []struct{ env, value, key string }{
		{"SEXTANT_SYNC_SCHEDULE", "often", "sync.schedule"},
		{"SEXTANT_SYNC_EVENTS_SCHEDULE", "100ms", "sync.events_schedule"},
		{"SEXTANT_SYNC_RECONCILE_SCHEDULE", "25:00", "sync.reconcile_schedule"},
		{"SEXTANT_SYNC_RECONCILE_DAYS", "0", "sync.reconcile_days"},
		{"SEXTANT_SYNC_EVENTS_WINDOW", "10s", "sync.events_window"},
		{"SEXTANT_INTEGRITY_SCHEDULE", "hourly", "integrity.schedule"},
		{"SEXTANT_INTEGRITY_HOOKS", "org:acme", "integrity.hooks"},
		{"SEXTANT_INTEGRITY_HOOKS", "repo:api:12", "integrity.hooks"},
		{"SEXTANT_INTEGRITY_HOOKS", "org:acme:0", "integrity.hooks"},
		{"SEXTANT_INTEGRITY_REDELIVERY_WINDOW", "-1h", "integrity.redelivery_window"},
		{"SEXTANT_INTEGRITY_DELIVERY_LOOKBACK", "0s", "integrity.delivery_lookback"},
	} {
		_, err := Load(Source{Env: envOf(map[string]string{tc.env: tc.value})})
		if err == nil || !strings.Contains(err.Error(), tc.key) {
			t.Errorf("%s=%s: %v; want a problem with %s", tc.env, tc.value, err, tc.key)
		}
	}
}
