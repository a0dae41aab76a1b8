package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/sextant-dev/sextant/internal/config"
)

func TestComponentLogLevels(t *testing.T) {
	var buf bytes.Buffer
	cfg := config.Default()
	cfg.Log.Level = "warn"
	cfg.Log.Levels = []string{"webhooks=debug", "jobs=error"}
	log := newLogger(&buf, cfg)
	component(log, "webhooks").Debug("webhooks debug")
	component(log, "jobs").Warn("jobs warn")
	component(log, "jobs").Error("jobs error")
	component(log, "http").Info("http info")
	component(log, "http").Warn("http warn")
	log.Info("plain info")
	component(log, "webhooks").With("delivery", "d1").Debug("still webhooks")
	out := buf.String()
	for _, want := range []string{"webhooks debug", "jobs error", "http warn", "still webhooks", "component=webhooks"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	for _, not := range []string{"jobs warn", "http info", "plain info"} {
		if strings.Contains(out, not) {
			t.Errorf("log has %q, below its component's level:\n%s", not, out)
		}
	}
}

func TestComponentLogLevelsAreChecked(t *testing.T) {
	cfg := config.Default()
	cfg.Log.Levels = []string{"webhooks=loud", "kitchen=debug"}
	ps := cfg.Validate()
	if len(ps) != 1 || ps[0].Key != "log.levels" || !strings.Contains(ps[0].Message, `"webhooks=loud"`) {
		t.Errorf("problems %v", ps)
	}
}
