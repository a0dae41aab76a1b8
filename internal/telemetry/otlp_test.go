package telemetry

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.opentelemetry.io/otel/attribute"
	collogs "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	colmetrics "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
)

// receiver is an in-process OTLP collector that keeps what it is sent.
type receiver struct {
	collogs.UnimplementedLogsServiceServer
	mu      sync.Mutex
	logs    []*collogs.ExportLogsServiceRequest
	metrics []*colmetrics.ExportMetricsServiceRequest
	headers []string
}

func (r *receiver) Export(ctx context.Context, req *collogs.ExportLogsServiceRequest) (*collogs.ExportLogsServiceResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	r.mu.Lock()
	r.logs = append(r.logs, req)
	r.headers = append(r.headers, md.Get("x-api-key")...)
	r.mu.Unlock()
	return &collogs.ExportLogsServiceResponse{}, nil
}

type metricsServer struct {
	colmetrics.UnimplementedMetricsServiceServer
	r *receiver
}

func (m metricsServer) Export(ctx context.Context, req *colmetrics.ExportMetricsServiceRequest) (*colmetrics.ExportMetricsServiceResponse, error) {
	m.r.mu.Lock()
	m.r.metrics = append(m.r.metrics, req)
	m.r.mu.Unlock()
	return &colmetrics.ExportMetricsServiceResponse{}, nil
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.headers = append(r.headers, req.Header.Get("X-Api-Key"))
	switch req.URL.Path {
	case "/v1/logs":
		var m collogs.ExportLogsServiceRequest
		if err := proto.Unmarshal(body, &m); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		r.logs = append(r.logs, &m)
	case "/v1/metrics":
		var m colmetrics.ExportMetricsServiceRequest
		if err := proto.Unmarshal(body, &m); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		r.metrics = append(r.metrics, &m)
	default:
		http.NotFound(w, req)
		return
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.WriteHeader(200)
}

func attrMap(kvs []*commonpb.KeyValue) map[string]string {
	out := map[string]string{}
	for _, kv := range kvs {
		if v, ok := kv.Value.Value.(*commonpb.AnyValue_StringValue); ok {
			out[kv.Key] = v.StringValue
		}
	}
	return out
}

func TestOTLPExport(t *testing.T) {
	for _, protocol := range []string{"http/protobuf", "grpc"} {
		t.Run(protocol, func(t *testing.T) {
			rcv := &receiver{}
			var endpoint string
			if protocol == "grpc" {
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				srv := grpc.NewServer()
				collogs.RegisterLogsServiceServer(srv, rcv)
				colmetrics.RegisterMetricsServiceServer(srv, metricsServer{r: rcv})
				go srv.Serve(ln)
				defer srv.Stop()
				endpoint = "http://" + ln.Addr().String()
			} else {
				srv := httptest.NewServer(rcv)
				defer srv.Close()
				endpoint = srv.URL
			}
			t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
			t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", protocol)
			t.Setenv("OTEL_EXPORTER_OTLP_HEADERS", "x-api-key=k3y")

			m := New()
			m.HTTPRequests.WithLabelValues("GET /healthz", "GET", "200").Add(3)
			exp, err := NewOTLP(context.Background(), lookupEnv, m, slog.New(slog.NewTextHandler(io.Discard, nil)), OTLPOptions{})
			if err != nil {
				t.Fatal(err)
			}
			at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
			exp.Emit(context.Background(), "calc_deployment_freq", at,
				attribute.String("repo", "acme/api"), attribute.String("environment", "production"), attribute.Float64("deploys_per_day", 1.5))
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if err := exp.Shutdown(ctx); err != nil {
				t.Fatal(err)
			}

			rcv.mu.Lock()
			defer rcv.mu.Unlock()
			if len(rcv.logs) == 0 {
				t.Fatal("no logs arrived")
			}
			rl := rcv.logs[0].ResourceLogs[0]
			if got := attrMap(rl.Resource.Attributes)["service.name"]; got != "sextant" {
				t.Errorf("service.name = %q", got)
			}
			rec := rl.ScopeLogs[0].LogRecords[0]
			if rec.EventName != "calc_deployment_freq" || rec.TimeUnixNano != uint64(at.UnixNano()) {
				t.Errorf("record = %s at %d", rec.EventName, rec.TimeUnixNano)
			}
			attrs := map[string]any{}
			for _, kv := range rec.Attributes {
				switch v := kv.Value.Value.(type) {
				case *commonpb.AnyValue_StringValue:
					attrs[kv.Key] = v.StringValue
				case *commonpb.AnyValue_DoubleValue:
					attrs[kv.Key] = v.DoubleValue
				}
			}
			if attrs["repo"] != "acme/api" || attrs["environment"] != "production" || attrs["deploys_per_day"] != 1.5 {
				t.Errorf("attributes = %v", attrs)
			}
			if len(rcv.headers) == 0 || rcv.headers[0] != "k3y" {
				t.Errorf("OTEL_EXPORTER_OTLP_HEADERS not sent: %v", rcv.headers)
			}
			found := false
			for _, req := range rcv.metrics {
				for _, rm := range req.ResourceMetrics {
					for _, sm := range rm.ScopeMetrics {
						for _, metric := range sm.Metrics {
							if strings.HasPrefix(metric.Name, "sextant_http_requests") {
								sum := metric.GetSum()
								if sum == nil || sum.DataPoints[0].GetAsDouble()+float64(sum.DataPoints[0].GetAsInt()) != 3 {
									t.Errorf("sextant_http_requests = %v", metric)
								}
								found = true
							}
						}
					}
				}
			}
			if !found {
				t.Error("Prometheus metrics were not exported over OTLP")
			}
		})
	}
}

// An unreachable collector never blocks Emit: the bounded queue drops and
// counts instead.
func TestOTLPDropsWhenCollectorIsDown(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://"+addr)
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
	m := New()
	exp, err := NewOTLP(context.Background(), lookupEnv, m, slog.New(slog.NewTextHandler(io.Discard, nil)),
		OTLPOptions{QueueSize: 8, BatchSize: 4, ExportTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 1000; i++ {
		exp.Emit(context.Background(), "webhook_delivery", time.Now(), attribute.Int("n", i))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	exp.Shutdown(ctx)
	if dropped := testutil.ToFloat64(m.OTLPDropped); dropped < 900 {
		t.Errorf("dropped = %v, want nearly all of 1000 events counted", dropped)
	}
}

func lookupEnv(k string) string { return os.Getenv(k) }
