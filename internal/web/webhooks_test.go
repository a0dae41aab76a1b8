package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ghmap "github.com/sextant-dev/sextant/internal/github"
	"github.com/sextant-dev/sextant/internal/ingest"
	"github.com/sextant-dev/sextant/internal/store"
	"github.com/sextant-dev/sextant/internal/store/storetest"
	"github.com/sextant-dev/sextant/internal/telemetry"
)

const hookSecret = "It's a Secret to Everybody"

// examplesDir holds GitHub's published example payloads.
const examplesDir = "../../../shared/testdata/github-webhooks"

// hookFixture is the real handler on loopback over a real database, with
// intake running and projection on demand.
type hookFixture struct {
	t        *testing.T
	db       *store.DB
	url      string
	hooks    *ingest.Webhooks
	metrics  *telemetry.Metrics
	seq      int
	received []string
}

func newHookFixture(t *testing.T, db *store.DB, secrets ...string) *hookFixture {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	m := telemetry.New()
	counters := telemetry.NewWebhookMetrics(m, func(ctx context.Context) (int64, error) {
		return store.CountPendingDeliveries(ctx, db.R)
	}, log)
	hooks := ingest.NewWebhooks(db, log, ingest.WebhookOptions{Counters: counters})
	hooks.Start()
	srv := httptest.NewServer(New(Deps{DB: db, Log: log, Metrics: m, AnonymousRead: true,
		Webhooks: hooks, WebhookSecrets: secrets, WebhookCounters: counters}).Handler())
	t.Cleanup(func() {
		srv.Close()
		hooks.Close()
	})
	return &hookFixture{t: t, db: db, url: srv.URL, hooks: hooks, metrics: m}
}

// hookAnswer is what the endpoint answered.
type hookAnswer struct {
	status int
	body   map[string]string
	header http.Header
}

// send posts body as event with the given headers (nil values drop a
// header).
func (f *hookFixture) send(method string, headers map[string]string, body []byte) hookAnswer {
	f.t.Helper()
	req, err := http.NewRequest(method, f.url+"/webhooks/github", bytes.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := hookAnswer{status: resp.StatusCode, header: resp.Header, body: map[string]string{}}
	if err := json.Unmarshal(raw, &a.body); err != nil {
		f.t.Fatalf("%s answer %d is not a JSON object: %q", method, resp.StatusCode, raw)
	}
	return a
}

// post sends a correctly signed delivery with a fresh delivery id.
func (f *hookFixture) post(event string, body []byte) hookAnswer {
	f.t.Helper()
	f.seq++
	guid := fmt.Sprintf("00000000-0000-4000-8000-%012d", f.seq)
	f.received = append(f.received, guid)
	return f.postAs(event, guid, body)
}

func (f *hookFixture) postAs(event, guid string, body []byte) hookAnswer {
	f.t.Helper()
	return f.send("POST", map[string]string{
		"X-GitHub-Event": event, "X-GitHub-Delivery": guid, ghmap.SignatureHeader: ghmap.Sign(hookSecret, body),
	}, body)
}

// project projects what intake stored and fails on any projection error.
func (f *hookFixture) project() {
	f.t.Helper()
	st, err := f.hooks.ProjectPending(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	if st.Failed > 0 {
		rows, _ := f.db.R.Query(`SELECT delivery_id, event, action, projection_error FROM webhook_deliveries WHERE projection_error IS NOT NULL`)
		defer rows.Close()
		for rows.Next() {
			var id, ev, msg string
			var action *string
			rows.Scan(&id, &ev, &action, &msg)
			f.t.Errorf("projection of %s %s failed: %s", ev, id, msg)
		}
		f.t.FailNow()
	}
}

func (f *hookFixture) count(table string) int {
	f.t.Helper()
	var n int
	if err := f.db.R.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

// examples lists the example payloads as (event, path).
func examples(t *testing.T) [][2]string {
	t.Helper()
	var out [][2]string
	dirs, err := os.ReadDir(examplesDir)
	if err != nil {
		t.Fatalf("read the example payloads (../shared/testdata/github-webhooks): %v", err)
	}
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		files, _ := filepath.Glob(filepath.Join(examplesDir, d.Name(), "*.json"))
		for _, f := range files {
			out = append(out, [2]string{d.Name(), f})
		}
	}
	return out
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestEveryExamplePayloadIsAccepted(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newHookFixture(t, db, hookSecret)
		exs := examples(t)
		if len(exs) < 150 {
			t.Fatalf("found %d example payloads; want the whole published set", len(exs))
		}
		pings := 0
		for _, ex := range exs {
			a := f.post(ex[0], readFile(t, ex[1]))
			want, status := http.StatusAccepted, "accepted"
			if ex[0] == "ping" {
				want, status = http.StatusOK, "ok"
				pings++
			}
			if a.status != want || a.body["status"] != status {
				t.Errorf("%s: %d %v; want %d %q", ex[1], a.status, a.body, want, status)
			}
		}
		if got := f.count("webhook_deliveries"); got != len(exs)-pings {
			t.Errorf("%d deliveries stored; want %d (every example but pings)", got, len(exs)-pings)
		}
		f.project()
		var pending int
		db.R.QueryRow(`SELECT COUNT(*) FROM webhook_deliveries WHERE projected_at IS NULL`).Scan(&pending)
		if pending != 0 {
			t.Errorf("%d deliveries left unprojected", pending)
		}
		if !strings.Contains(scrape(t, f.url), `sextant_webhook_deliveries_total{action="opened",event="pull_request",outcome="accepted"} 3`) {
			t.Errorf("metrics do not count the three pull_request opened examples")
		}
	})
}

func scrape(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
