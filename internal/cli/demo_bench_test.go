package cli

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/sextant-dev/sextant/internal/demo"
	"github.com/sextant-dev/sextant/internal/demo/demodb"
	"github.com/sextant-dev/sextant/internal/store"
)

// BenchmarkDemoLoadSmall loads the small demo organization (a year) into a
// fresh SQLite file: generation, intake and projection together.
func BenchmarkDemoLoadSmall(b *testing.B) {
	opts := demo.Options{Seed: 1, Scale: demo.Small, End: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	for b.Loop() {
		b.StopTimer()
		db, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "demo.db"), store.Options{Bulk: true})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		sum, err := demodb.Load(context.Background(), db, opts, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		b.ReportMetric(float64(sum.Deliveries), "deliveries")
		db.Close()
		b.StartTimer()
	}
}
