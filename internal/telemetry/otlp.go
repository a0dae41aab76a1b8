package telemetry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	promBridge "go.opentelemetry.io/contrib/bridges/prometheus"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploggrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	otellog "go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"

	"github.com/prometheus/client_golang/prometheus"
)

// OTLP exports Sextant's events as OTLP log records and its metrics (the
// same ones /metrics serves, through the Prometheus bridge) to an
// OpenTelemetry collector or vendor. It is configured entirely by the
// standard OTEL_EXPORTER_OTLP_* variables, which the exporters read.
type OTLP struct {
	logs    *sdklog.LoggerProvider
	meters  *sdkmetric.MeterProvider
	logger  otellog.Logger
	queue   *queueProcessor
	metrics *Metrics
}

// OTLPOptions tune the exporter; zero values take the defaults.
type OTLPOptions struct {
	QueueSize      int           // events buffered before new ones are dropped; 4096
	BatchSize      int           // events per export request; 512
	ExportInterval time.Duration // metrics export period and longest event delay; 15s
	ExportTimeout  time.Duration // per export request; 10s
}

// OTLPEnabled reports whether the environment asks for OTLP export: any
// OTEL_EXPORTER_OTLP endpoint is set.
func OTLPEnabled(getenv func(string) string) bool {
	for _, k := range []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"} {
		if getenv(k) != "" {
			return true
		}
	}
	return false
}

// NewOTLP starts the exporters. protocol is OTEL_EXPORTER_OTLP_PROTOCOL:
// "grpc" or "http/protobuf" (the default, as the specification says).
func NewOTLP(ctx context.Context, getenv func(string) string, m *Metrics, log *slog.Logger, opts OTLPOptions) (*OTLP, error) {
	if opts.QueueSize <= 0 {
		opts.QueueSize = 4096
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 512
	}
	if opts.ExportInterval <= 0 {
		opts.ExportInterval = 15 * time.Second
	}
	if opts.ExportTimeout <= 0 {
		opts.ExportTimeout = 10 * time.Second
	}
	protocol := getenv("OTEL_EXPORTER_OTLP_PROTOCOL")
	var (
		logExp    sdklog.Exporter
		metricExp sdkmetric.Exporter
		err       error
	)
	switch protocol {
	case "", "http/protobuf":
		logExp, err = otlploghttp.New(ctx)
		if err == nil {
			metricExp, err = otlpmetrichttp.New(ctx)
		}
	case "grpc":
		logExp, err = otlploggrpc.New(ctx)
		if err == nil {
			metricExp, err = otlpmetricgrpc.New(ctx)
		}
	default:
		return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL: %q is not grpc or http/protobuf", protocol)
	}
	if err != nil {
		return nil, fmt.Errorf("start OTLP exporter: %w", err)
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(semconv.ServiceName("sextant")))
	if err != nil {
		return nil, fmt.Errorf("OTLP resource: %w", err)
	}
	q := newQueueProcessor(logExp, m.OTLPDropped, log, opts)
	lp := sdklog.NewLoggerProvider(sdklog.WithResource(res), sdklog.WithProcessor(q))
	reader := sdkmetric.NewPeriodicReader(metricExp,
		sdkmetric.WithInterval(opts.ExportInterval), sdkmetric.WithTimeout(opts.ExportTimeout),
		sdkmetric.WithProducer(promBridge.NewMetricProducer(promBridge.WithGatherer(m.Registry))))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithResource(res), sdkmetric.WithReader(reader))
	return &OTLP{logs: lp, meters: mp, logger: lp.Logger("sextant"), queue: q, metrics: m}, nil
}

// Emit sends one event as a log record with its fields as attributes. It
// never blocks: when the queue is full the event is dropped and counted.
func (o *OTLP) Emit(ctx context.Context, name string, at time.Time, attrs ...attribute.KeyValue) {
	if o == nil {
		return
	}
	var r otellog.Record
	r.SetEventName(name)
	r.SetTimestamp(at)
	r.SetObservedTimestamp(time.Now())
	r.SetSeverity(otellog.SeverityInfo)
	r.SetBody(attribute.StringValue(name))
	r.AddAttributes(attrs...)
	o.logger.Emit(ctx, r)
}

// Shutdown flushes what is queued, within ctx's deadline.
func (o *OTLP) Shutdown(ctx context.Context) error {
	if o == nil {
		return nil
	}
	return errors.Join(o.logs.Shutdown(ctx), o.meters.Shutdown(ctx))
}

// queueProcessor is a log processor with a bounded queue in front of the
// exporter. The SDK's batch processor also drops when full, but silently;
// intake must never wait for a slow collector, and operators must see what
// was lost, so drops are counted in sextant_otlp_dropped_total.
type queueProcessor struct {
	exp     sdklog.Exporter
	dropped prometheus.Counter
	log     *slog.Logger
	opts    OTLPOptions
	queue   chan sdklog.Record
	flush   chan chan struct{}
	stop    chan struct{}
	done    sync.WaitGroup
	once    sync.Once
}

func newQueueProcessor(exp sdklog.Exporter, dropped prometheus.Counter, log *slog.Logger, opts OTLPOptions) *queueProcessor {
	q := &queueProcessor{
		exp: exp, dropped: dropped, log: log, opts: opts,
		queue: make(chan sdklog.Record, opts.QueueSize),
		flush: make(chan chan struct{}),
		stop:  make(chan struct{}),
	}
	q.done.Go(q.run)
	return q
}

func (q *queueProcessor) OnEmit(ctx context.Context, r *sdklog.Record) error {
	select {
	case q.queue <- r.Clone():
	default:
		q.dropped.Inc()
	}
	return nil
}

func (q *queueProcessor) Enabled(context.Context, sdklog.EnabledParameters) bool { return true }

func (q *queueProcessor) run() {
	batch := make([]sdklog.Record, 0, q.opts.BatchSize)
	tick := time.NewTicker(q.opts.ExportInterval)
	defer tick.Stop()
	export := func() {
		if len(batch) == 0 {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), q.opts.ExportTimeout)
		if err := q.exp.Export(ctx, batch); err != nil {
			q.dropped.Add(float64(len(batch)))
			q.log.Warn("OTLP export failed; events dropped", "events", len(batch), "err", err)
		}
		cancel()
		batch = batch[:0]
	}
	drain := func() {
		for {
			select {
			case r := <-q.queue:
				batch = append(batch, r)
				if len(batch) == q.opts.BatchSize {
					export()
				}
			default:
				export()
				return
			}
		}
	}
	for {
		select {
		case r := <-q.queue:
			batch = append(batch, r)
			if len(batch) == q.opts.BatchSize {
				export()
			}
		case <-tick.C:
			export()
		case ack := <-q.flush:
			drain()
			close(ack)
		case <-q.stop:
			drain()
			return
		}
	}
}

func (q *queueProcessor) ForceFlush(ctx context.Context) error {
	ack := make(chan struct{})
	select {
	case q.flush <- ack:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-ack:
		return q.exp.ForceFlush(ctx)
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (q *queueProcessor) Shutdown(ctx context.Context) error {
	q.once.Do(func() { close(q.stop) })
	finished := make(chan struct{})
	go func() { q.done.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-ctx.Done():
		return ctx.Err()
	}
	return q.exp.Shutdown(ctx)
}
