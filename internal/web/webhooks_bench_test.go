package web

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"testing"

	ghmap "github.com/sextant-dev/sextant/internal/github"
	"github.com/sextant-dev/sextant/internal/store"
	"github.com/sextant-dev/sextant/internal/store/storetest"
)

// BenchmarkWebhookIntake posts signed pull_request deliveries through the
// real handler on loopback, 64 at a time, onto SQLite (durable before each
// answer). sextant bench ingest measures the same against a running server.
func BenchmarkWebhookIntake(b *testing.B) {
	db := storetest.Open(b, store.SQLite)
	f := newHookFixture(&testing.T{}, db, hookSecret)
	body := readFile(&testing.T{}, examplesDir+"/pull_request/closed.payload.json")
	sig := ghmap.Sign(hookSecret, body)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var n atomic.Int64
	b.SetParallelism(32)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest("POST", f.url+"/webhooks/github", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-GitHub-Event", "pull_request")
			req.Header.Set("X-GitHub-Delivery", fmt.Sprint("bench-", n.Add(1)))
			req.Header.Set(ghmap.SignatureHeader, sig)
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusAccepted {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")

}
