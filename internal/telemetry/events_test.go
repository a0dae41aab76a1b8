package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
)

// A processed event is one JSON log line with stable keys and one OTLP log
// record whose attributes keep their types.
func TestEventsLogAndExport(t *testing.T) {
	rcv := &receiver{}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", srv.URL)
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
	exp, err := NewOTLP(context.Background(), lookupEnv, New(), slog.New(slog.NewTextHandler(io.Discard, nil)), OTLPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	ev := NewEvents(slog.New(slog.NewJSONHandler(&logs, nil)), exp)
	at := time.Date(2026, 3, 2, 10, 30, 0, 0, time.UTC)
	ev.Record(context.Background(), EventCIEvent, at,
		slog.String("event", "deploy"), slog.String("repo", "acme/api"), slog.Int64("duration_ms", 4200), slog.Bool("failed", false))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := exp.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}

	var line map[string]any
	if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
		t.Fatalf("log %q: %v", logs.String(), err)
	}
	if line["msg"] != "event" || line["kind"] != "ci_event" || line["at"] != "2026-03-02T10:30:00Z" ||
		line["event"] != "deploy" || line["repo"] != "acme/api" || line["duration_ms"] != 4200.0 || line["failed"] != false {
		t.Errorf("log line %s", logs.String())
	}

	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	if len(rcv.logs) == 0 {
		t.Fatal("no OTLP log records arrived")
	}
	rec := rcv.logs[0].ResourceLogs[0].ScopeLogs[0].LogRecords[0]
	if rec.EventName != EventCIEvent || rec.TimeUnixNano != uint64(at.UnixNano()) {
		t.Errorf("record %s at %d", rec.EventName, rec.TimeUnixNano)
	}
	got := map[string]any{}
	for _, kv := range rec.Attributes {
		switch v := kv.Value.Value.(type) {
		case *commonpb.AnyValue_StringValue:
			got[kv.Key] = v.StringValue
		case *commonpb.AnyValue_IntValue:
			got[kv.Key] = v.IntValue
		case *commonpb.AnyValue_BoolValue:
			got[kv.Key] = v.BoolValue
		}
	}
	if got["event"] != "deploy" || got["repo"] != "acme/api" || got["duration_ms"] != int64(4200) || got["failed"] != false {
		t.Errorf("attributes %v", got)
	}
}

func TestNilEventsDiscards(t *testing.T) {
	var ev *Events
	ev.Record(context.Background(), EventCIEvent, time.Now(), slog.String("event", "push")) // must not panic
	NewEvents(nil, nil).Record(context.Background(), EventCIEvent, time.Now())
}
