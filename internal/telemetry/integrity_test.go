package telemetry

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestIntegrityGauge(t *testing.T) {
	m := New()
	m.RegisterIntegrity(func(context.Context) (map[string]int64, error) {
		return map[string]int64{"pull_requests": 2, "deliveries_missing": 3}, nil
	}, slog.New(slog.DiscardHandler))
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, want := range []string{`sextant_integrity_findings_open{kind="pull_requests"} 2`, `sextant_integrity_findings_open{kind="deliveries_missing"} 3`} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
