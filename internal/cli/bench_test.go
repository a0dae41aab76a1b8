package cli

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sextant-dev/sextant/internal/ingest"
	"github.com/sextant-dev/sextant/internal/store"
	"github.com/sextant-dev/sextant/internal/store/storetest"
	"github.com/sextant-dev/sextant/internal/telemetry"
	"github.com/sextant-dev/sextant/internal/web"
)

// benchServer is the real handler over a real database, with intake on.
func benchServer(t *testing.T, db *store.DB, secret string) string {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	hooks := ingest.NewWebhooks(db, log, ingest.WebhookOptions{})
	hooks.Start()
	srv := httptest.NewServer(web.New(web.Deps{DB: db, Log: log, Metrics: telemetry.New(), AnonymousRead: true,
		Webhooks: hooks, WebhookSecrets: []string{secret}}).Handler())
	t.Cleanup(func() {
		srv.Close()
		hooks.Close()
	})
	return srv.URL
}

func TestBenchIngest(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	url := benchServer(t, db, "s3cret")
	payloads := filepath.Join("..", "..", defaultBenchPayloads)
	out, stderr, code := runCmd(context.Background(), nil, "bench", "ingest", "--url", url, "--secret", "s3cret", "--duration", "300ms",
		"--concurrency", "4", "--payloads", payloads)
	line := regexp.MustCompile(`^ingest deliveries_per_sec=(\d+) p50_ms=[\d.]+ p99_ms=[\d.]+ errors=(\d+) lost=(\d+)\n$`)
	m := line.FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("exit %d, stdout %q, stderr %q; want one result line", code, out, stderr)
	}
	var stored int
	db.R.QueryRow(`SELECT COUNT(*) FROM webhook_deliveries`).Scan(&stored)
	rate, _ := strconv.Atoi(m[1])
	if m[2] != "0" || m[3] != "0" || stored == 0 || rate == 0 {
		t.Errorf("result %q with %d stored; want deliveries, no errors, none lost", out, stored)
	}

	// A wrong secret makes every delivery an error, and says so.
	out, _, code = runCmd(context.Background(), nil, "bench", "ingest", "--url", url, "--secret", "wrong", "--duration", "100ms",
		"--concurrency", "2", "--payloads", payloads)
	if code != 0 || !regexp.MustCompile(`deliveries_per_sec=0 .* errors=[1-9]\d* lost=0`).MatchString(out) {
		t.Errorf("wrong secret: exit %d, %q", code, out)
	}
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"bench", "ingest", "--secret", "s"}, "--url is required"},
		{[]string{"bench", "ingest", "--url", "ftp://x", "--secret", "s"}, "is not an http(s) URL"},
		{[]string{"bench", "ingest", "--url", url}, "--secret is required"},
		{[]string{"bench", "ingest", "--url", url, "--secret", "s", "--concurrency", "0"}, "--concurrency must be"},
		{[]string{"bench", "nothing"}, "want a benchmark"},
	} {
		if _, stderr, code := runCmd(context.Background(), nil, tc.args...); code != ExitUsage || !strings.Contains(stderr, tc.msg) {
			t.Errorf("%v: exit %d, %q; want usage error with %q", tc.args, code, stderr, tc.msg)
		}
	}
	if _, stderr, code := runCmd(context.Background(), nil, "bench", "ingest", "--url", url, "--secret", "s", "--payloads", t.TempDir()); code != ExitError ||
		!strings.Contains(stderr, "no *.json example payloads") {
		t.Errorf("empty payload dir: exit %d, %q", code, stderr)
	}
}

func TestReplayCommand(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "r.db")
	db, err := store.Open(context.Background(), dbPath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"ref":"simple-tag","ref_type":"tag","repository":{"id":7,"full_name":"acme/api"},"sender":{"id":3,"login":"ann"}}`)
	w := ingest.NewWebhooks(db, slog.New(slog.NewTextHandler(io.Discard, nil)), ingest.WebhookOptions{})
	if _, err := w.Load(context.Background(), []ingest.Delivery{{GUID: "r1", Event: "create", Body: body, ReceivedAt: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	db.W.Exec(`DELETE FROM ref_events`)
	out, stderr, code := runCmd(context.Background(), map[string]string{"SEXTANT_DB": dbPath}, "replay", "--event", "create", "--since", "2020-01-01")
	if code != 0 || !strings.Contains(out, "replay: 1/1 deliveries (100%)") || !strings.Contains(out, "replayed 1 deliveries") {
		t.Fatalf("replay: exit %d, %q %q", code, out, stderr)
	}
	var n int
	db.R.QueryRow(`SELECT COUNT(*) FROM ref_events`).Scan(&n)
	if n != 1 {
		t.Errorf("%d ref events after replay; want the deleted one rebuilt", n)
	}
	if _, stderr, code := runCmd(context.Background(), map[string]string{"SEXTANT_DB": dbPath}, "replay", "--since", "yesterday"); code != ExitUsage ||
		!strings.Contains(stderr, `--since "yesterday"`) {
		t.Errorf("bad --since: exit %d, %q", code, stderr)
	}
}
