package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sextant-dev/sextant/internal/store"
	"github.com/sextant-dev/sextant/internal/store/storetest"
	"github.com/sextant-dev/sextant/internal/telemetry"
)

type countingCounters struct {
	NopCounters
	mu        sync.Mutex
	projected map[string]int
}

func (c *countingCounters) Projected(event, outcome string) {
	c.mu.Lock()
	c.projected[event+" "+outcome]++
	c.mu.Unlock()
}

// Each projected delivery is one structured log line with stable keys and
// one count by event and outcome; the bulk path reports the same way.
func TestProjectedDeliveriesAreReported(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	var logs bytes.Buffer
	counters := &countingCounters{projected: map[string]int{}}
	w := NewWebhooks(db, quiet, WebhookOptions{Counters: counters,
		Events: telemetry.NewEvents(slog.New(slog.NewJSONHandler(&logs, nil)), nil)})
	at := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	push := `{"ref":"refs/heads/main","before":"0000000000000000000000000000000000000000","after":"1111111111111111111111111111111111111111",
		"repository":{"id":42,"name":"api","full_name":"acme/api","owner":{"login":"acme","id":1}},"commits":[],"pusher":{"name":"ann"}}`
	ds := []Delivery{
		{GUID: "g-1", Event: "push", Body: []byte(push), ReceivedAt: at},
		{GUID: "g-2", Event: "sponsorship", Body: []byte(`{"action":"created"}`), ReceivedAt: at.Add(time.Second)},
	}
	ctx := context.Background()
	if _, err := w.Store(ctx, ds[:1]); err != nil {
		t.Fatal(err)
	}
	if st, err := w.ProjectPending(ctx); err != nil || st.Projected != 1 {
		t.Fatalf("project: %+v %v", st, err)
	}
	if _, err := w.Load(ctx, ds[1:]); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d log lines, want one per delivery:\n%s", len(lines), logs.String())
	}
	var first, second map[string]any
	json.Unmarshal([]byte(lines[0]), &first)
	json.Unmarshal([]byte(lines[1]), &second)
	if first["msg"] != "event" || first["kind"] != "webhook_delivery" || first["event"] != "push" || first["delivery"] != "g-1" ||
		first["repo"] != "acme/api" || first["outcome"] != "projected" || first["at"] != "2024-03-01T12:00:00Z" {
		t.Errorf("push line %s", lines[0])
	}
	if second["event"] != "sponsorship" || second["action"] != "created" || second["outcome"] != "unknown" {
		t.Errorf("unknown event line %s", lines[1])
	}
	if counters.projected["push projected"] != 1 || counters.projected["sponsorship unknown"] != 1 {
		t.Errorf("counts %v", counters.projected)
	}
}
