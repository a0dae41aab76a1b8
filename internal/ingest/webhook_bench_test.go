package ingest

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/sextant-dev/sextant/internal/demo"
	"github.com/sextant-dev/sextant/internal/store"
	"github.com/sextant-dev/sextant/internal/store/storetest"
)

// demoEnd fixes the generated history, so every run loads the same stream.
var demoEnd = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

// loadDemo loads the small demo organization's deliveries the way the
// demo loader does: through a Loader, with the decoded payloads when
// decoded is true.
func loadDemo(b *testing.B, db *store.DB, decoded bool) (deliveries int, elapsed time.Duration) {
	ctx := context.Background()
	w := NewWebhooks(db, slog.New(slog.NewTextHandler(io.Discard, nil)), WebhookOptions{})
	start := time.Now()
	l := w.NewLoader(ctx, 2000)
	_, err := demo.Stream(demo.Options{Seed: 1, Scale: demo.Small, End: demoEnd}, func(it *demo.Item) error {
		d := it.Delivery
		if d == nil {
			return nil
		}
		body, err := d.Body()
		if err != nil {
			return err
		}
		deliveries++
		in := Delivery{GUID: d.GUID, Event: d.Event, Action: d.Action, Body: body, ReceivedAt: it.Time}
		if decoded {
			in.Payload = d.Payload
		}
		return l.Add(in)
	})
	st, cerr := l.Close()
	if err == nil {
		err = cerr
	}
	if err != nil {
		b.Fatal(err)
	}
	if st.Failed > 0 || st.Stored != deliveries {
		b.Fatalf("stored %d of %d deliveries, %d projections failed", st.Stored, deliveries, st.Failed)
	}
	return deliveries, time.Since(start)
}

// BenchmarkDemoLoad generates, stores and projects the small demo
// organization (about 33,000 deliveries) on SQLite: the path of sextant
// demo. decoded passes the generator's go-github payloads along, so the
// projection does not decode the bodies again.
func BenchmarkDemoLoad(b *testing.B) {
	for _, decoded := range []bool{false, true} {
		b.Run(map[bool]string{false: "bodies", true: "decoded"}[decoded], func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				db := storetest.Open(b, store.SQLite)
				b.StartTimer()
				n, elapsed := loadDemo(b, db, decoded)
				b.ReportMetric(float64(n), "deliveries")
				b.ReportMetric(elapsed.Seconds(), "s")
				b.ReportMetric(float64(n)/elapsed.Seconds(), "deliveries/s")
			}
		})
	}
}

// BenchmarkDemoGenerate is the generator alone, to subtract from
// BenchmarkDemoLoad.
func BenchmarkDemoGenerate(b *testing.B) {
	for range b.N {
		_, err := demo.Stream(demo.Options{Seed: 1, Scale: demo.Small, End: demoEnd}, func(it *demo.Item) error {
			if it.Delivery != nil {
				_, err := it.Delivery.Body()
				return err
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
