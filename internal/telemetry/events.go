package telemetry

import (
	"context"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel/attribute"
)

// Event names: what a processed event is called in the log line and in the
// OTLP log record, so dashboards and log queries can rely on them.
const (
	EventWebhookDelivery    = "webhook_delivery"
	EventCIEvent            = "ci_event"
	EventCalcDeploymentFreq = "calc_deployment_freq"
)

// Events is where every processed event goes once it is stored: one
// structured log line with stable keys and, when OTLP export is on, one OTLP
// log record with the same fields as attributes. A nil *Events discards.
type Events struct {
	log  *slog.Logger
	otlp *OTLP
}

// NewEvents returns an event sink logging to log and exporting through otlp
// (nil when OTLP export is off).
func NewEvents(log *slog.Logger, otlp *OTLP) *Events {
	return &Events{log: log, otlp: otlp}
}

// Record reports one processed event. fields must never hold a secret; keys
// are stable (repo, event, action, outcome, …). It never blocks on export.
func (e *Events) Record(ctx context.Context, name string, at time.Time, fields ...slog.Attr) {
	if e == nil {
		return
	}
	if e.log != nil {
		attrs := append([]slog.Attr{slog.String("kind", name), slog.Time("at", at.UTC())}, fields...)
		e.log.LogAttrs(ctx, slog.LevelInfo, "event", attrs...)
	}
	if e.otlp != nil {
		e.otlp.Emit(ctx, name, at, otlpAttributes(fields)...)
	}
}

// otlpAttributes converts log fields to OTLP attributes, keeping numbers
// and booleans typed so a backend can aggregate them.
func otlpAttributes(fields []slog.Attr) []attribute.KeyValue {
	out := make([]attribute.KeyValue, 0, len(fields))
	for _, f := range fields {
		v := f.Value.Resolve()
		switch v.Kind() {
		case slog.KindString:
			out = append(out, attribute.String(f.Key, v.String()))
		case slog.KindInt64:
			out = append(out, attribute.Int64(f.Key, v.Int64()))
		case slog.KindUint64:
			out = append(out, attribute.Int64(f.Key, int64(v.Uint64())))
		case slog.KindFloat64:
			out = append(out, attribute.Float64(f.Key, v.Float64()))
		case slog.KindBool:
			out = append(out, attribute.Bool(f.Key, v.Bool()))
		case slog.KindTime:
			out = append(out, attribute.String(f.Key, v.Time().UTC().Format(time.RFC3339Nano)))
		case slog.KindDuration:
			out = append(out, attribute.Int64(f.Key+"_ms", v.Duration().Milliseconds()))
		default:
			out = append(out, attribute.String(f.Key, v.String()))
		}
	}
	return out
}
