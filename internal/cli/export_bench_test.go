package cli

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sextant-dev/sextant/internal/store"
)

// BenchmarkExportJSONL streams 1,000,000 CI events from SQLite as JSON
// lines and reports rows/s and the peak heap while exporting.
func BenchmarkExportJSONL(b *testing.B) {
	const rows = 1_000_000
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(b.TempDir(), "bench.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	const batch = 500
	tx, _ := db.W.Begin()
	for i := 0; i < rows; i += batch {
		var sb strings.Builder
		sb.WriteString(`INSERT INTO ci_events (event, repo, at, sha, ref, environment, status, metadata, received_at) VALUES `)
		for j := 0; j < batch; j++ {
			if j > 0 {
				sb.WriteByte(',')
			}
			n := i + j
			fmt.Fprintf(&sb, `('deploy', 'acme/svc-%d', %d, '%040x', 'refs/heads/main', 'production', 'success', '{"run":%d}', %d)`,
				n%30, start+int64(n)*30_000, n, n, start+int64(n)*30_000)
		}
		if _, err := tx.Exec(sb.String()); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var peak atomic.Uint64
		stop := make(chan struct{})
		go func() {
			var ms runtime.MemStats
			for {
				select {
				case <-stop:
					return
				case <-time.After(20 * time.Millisecond):
					runtime.ReadMemStats(&ms)
					if ms.HeapInuse > peak.Load() {
						peak.Store(ms.HeapInuse)
					}
				}
			}
		}()
		t0 := time.Now()
		n, err := exportRows(ctx, db, "events", "jsonl", store.ExportFilter{}, io.Discard)
		elapsed := time.Since(t0)
		close(stop)
		if err != nil || n != rows {
			b.Fatalf("exported %d rows: %v", n, err)
		}
		b.ReportMetric(float64(n)/elapsed.Seconds(), "rows/s")
		b.ReportMetric(float64(peak.Load())/(1<<20), "peak_heap_MiB")
	}
}
