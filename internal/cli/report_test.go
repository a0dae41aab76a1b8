package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sextant-dev/sextant/internal/core"
	"github.com/sextant-dev/sextant/internal/store"
	"github.com/sextant-dev/sextant/internal/store/storetest"
	"github.com/sextant-dev/sextant/internal/telemetry"
	"github.com/sextant-dev/sextant/internal/web"
)

// fakeClock stands in for time in the reporter: sleeping advances it, so a
// minute of retries takes no time at all.
type fakeClock struct {
	mu    sync.Mutex
	t     time.Time
	waits []time.Duration
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waits = append(c.waits, d)
	c.t = c.t.Add(d)
	return nil
}

func testReporter(clock *fakeClock) reporter {
	rp := defaultReporter()
	rp.now, rp.sleep = clock.now, clock.sleep
	return rp
}

// runReportTest runs `sextant report args…` with env vars vars and returns
// stdout, stderr and the exit code.
func runReportTest(t *testing.T, rp reporter, vars map[string]string, args ...string) (string, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	env := Env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Getenv: func(k string) string { return vars[k] }}
	code := report(env, "report", rp.run(context.Background(), env, args))
	return strings.TrimSpace(stdout.String()), stderr.String(), code
}

// flakyServer answers with the given statuses in turn ("drop" closes the
// connection without an answer), then with next; it records every body.
type flakyServer struct {
	*httptest.Server
	mu     sync.Mutex
	bodies []string
}

func newFlakyServer(t *testing.T, answers []string, next http.Handler) *flakyServer {
	fs := &flakyServer{}
	fs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		fs.mu.Lock()
		fs.bodies = append(fs.bodies, string(body))
		n := len(fs.bodies)
		fs.mu.Unlock()
		if n > len(answers) {
			next.ServeHTTP(w, r)
			return
		}
		switch a := answers[n-1]; a {
		case "drop":
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		case "429":
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusTooManyRequests)
		default:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(map[string]int{"500": 500, "503": 503, "400": 400, "401": 401, "404": 404}[a])
			io.WriteString(w, `{"error":"answer `+a+`: invalid event: repo: acme/api is archived","code":"x"}`)
		}
	}))
	t.Cleanup(fs.Close)
	return fs
}

func (fs *flakyServer) calls() []string {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return append([]string(nil), fs.bodies...)
}

// eventsServer is a real Sextant HTTP handler over a fresh database, with
// a token allowed to write events.
func eventsServer(t *testing.T, db *store.DB) (http.Handler, string) {
	secret, _, err := db.CreateToken(context.Background(), "ci", []string{core.ScopeEventsWrite}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return web.New(web.Deps{DB: db, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Metrics: telemetry.New()}).Handler(), secret
}

func TestReportRetriesThenSucceeds(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	handler, secret := eventsServer(t, db)
	srv := newFlakyServer(t, []string{"drop", "503"}, handler)
	clock := &fakeClock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}

	id, stderr, code := runReportTest(t, testReporter(clock), map[string]string{"SEXTANT_URL": srv.URL, "SEXTANT_TOKEN": secret},
		"deploy", "--repo", "acme/api", "--sha", "abc1234", "--env", "prod", "--metadata", `{"build":7}`, "--duration", "2m")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	calls := srv.calls()
	if len(calls) != 3 || len(clock.waits) != 2 || strings.Count(stderr, "retrying") != 2 {
		t.Fatalf("%d calls, waits %v, stderr %s; want 3 calls and 2 waits", len(calls), clock.waits, stderr)
	}
	if clock.waits[1] < clock.waits[0]/2 || clock.waits[0] > time.Second {
		t.Errorf("waits %v do not back off from 1s", clock.waits)
	}
	// Every attempt sends the same event, id and time included, so that
	// one that reached the database before failing is not stored twice.
	if calls[0] != calls[1] || calls[1] != calls[2] {
		t.Errorf("attempts differ:\n%s\n%s\n%s", calls[0], calls[1], calls[2])
	}
	var sent map[string]any
	json.Unmarshal([]byte(calls[0]), &sent)
	if sent["time"] != "2026-05-01T12:00:00Z" || !strings.HasPrefix(sent["id"].(string), "report-") || sent["duration_ms"] != 120000.0 {
		t.Errorf("sent %v", sent)
	}

	var n, last int64
	if err := db.R.QueryRow(`SELECT COUNT(*), MAX(id) FROM ci_events`).Scan(&n, &last); err != nil || n != 1 {
		t.Fatalf("%d events stored (%v); want 1", n, err)
	}
	if id != strconv.FormatInt(last, 10) {
		t.Errorf("printed %q; the stored event is %d", id, last)
	}
}

func TestReportServerRefuses(t *testing.T) {
	for _, status := range []string{"400", "401", "404"} {
		t.Run(status, func(t *testing.T) {
			srv := newFlakyServer(t, []string{status, status}, http.NotFoundHandler())
			clock := &fakeClock{t: time.Now()}
			out, stderr, code := runReportTest(t, testReporter(clock), map[string]string{"SEXTANT_URL": srv.URL, "SEXTANT_TOKEN": "t"},
				"push", "--repo", "acme/api")
			if code != ExitError || out != "" {
				t.Errorf("exit %d, stdout %q; want 1 and nothing", code, out)
			}
			if len(srv.calls()) != 1 || len(clock.waits) != 0 {
				t.Errorf("%d calls; a %s must not be retried", len(srv.calls()), status)
			}
			if !strings.Contains(stderr, "HTTP "+status) || !strings.Contains(stderr, "acme/api is archived") {
				t.Errorf("stderr %q lacks the server's reason", stderr)
			}
		})
	}
}

func TestReportGivesUp(t *testing.T) {
	srv := newFlakyServer(t, []string{"503", "429", "500", "503", "503", "503", "503", "503", "503", "503", "503", "503"}, http.NotFoundHandler())
	clock := &fakeClock{t: time.Now()}
	_, stderr, code := runReportTest(t, testReporter(clock), map[string]string{"SEXTANT_URL": srv.URL, "SEXTANT_TOKEN": "t"},
		"push", "--repo", "acme/api", "--retry-for", "40s")
	if code != ExitError || !strings.Contains(stderr, "giving up after") || !strings.Contains(stderr, "HTTP 5") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	var total time.Duration
	for _, w := range clock.waits {
		total += w
		if w > 15*time.Second {
			t.Errorf("wait %s over the 15s cap", w)
		}
	}
	if total > 40*time.Second {
		t.Errorf("waited %s in all; the budget was 40s", total)
	}
	// The 429 asked for 7s: the wait after it honours that.
	if len(clock.waits) < 2 || clock.waits[1] < 7*time.Second {
		t.Errorf("waits %v; the second should be at least Retry-After's 7s", clock.waits)
	}
}

func TestReportChecksBeforeSending(t *testing.T) {
	srv := newFlakyServer(t, nil, http.NotFoundHandler())
	vars := map[string]string{"SEXTANT_URL": srv.URL, "SEXTANT_TOKEN": "t"}
	clock := &fakeClock{t: time.Now()}
	for _, tc := range []struct {
		name string
		vars map[string]string
		args []string
		want string
	}{
		{"no event", vars, []string{"--repo", "a/b"}, "missing EVENT"},
		{"bad status", vars, []string{"deploy", "--repo", "a/b", "--status", "ok"}, `status: "ok" is not one of`},
		{"no repo", vars, []string{"push"}, "repo: is required"},
		{"incident without id", vars, []string{"incident_opened", "--repo", "ALL"}, "id: is required"},
		{"bad metadata", vars, []string{"push", "--repo", "a/b", "--metadata", "{nope"}, "metadata: must be a JSON object"},
		{"no server", map[string]string{"SEXTANT_TOKEN": "t"}, []string{"push", "--repo", "a/b"}, "SEXTANT_URL"},
		{"no token", map[string]string{"SEXTANT_URL": srv.URL}, []string{"push", "--repo", "a/b"}, "SEXTANT_TOKEN"},
		{"bad server", map[string]string{"SEXTANT_URL": "localhost:8080", "SEXTANT_TOKEN": "t"}, []string{"push", "--repo", "a/b"}, "not an http(s) URL"},
	} {
		_, stderr, code := runReportTest(t, testReporter(clock), tc.vars, tc.args...)
		if code != ExitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%s: exit %d, stderr %q; want 2 and %q", tc.name, code, stderr, tc.want)
		}
	}
	if n := len(srv.calls()); n != 0 {
		t.Errorf("%d requests sent for invalid events", n)
	}
}

// Flags override the environment, and the base URL may be given with or
// without the endpoint's path.
func TestReportFlagsOverrideEnvironment(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	handler, secret := eventsServer(t, db)
	srv := httptest.NewServer(handler)
	defer srv.Close()
	vars := map[string]string{"SEXTANT_URL": "http://127.0.0.1:1", "SEXTANT_TOKEN": "sxt_wrong"}
	for _, server := range []string{srv.URL, srv.URL + "/", srv.URL + "/api/v1/events"} {
		out, stderr, code := runReportTest(t, testReporter(&fakeClock{t: time.Now()}), vars,
			"incident_opened", "--repo", "ALL", "--id", "INC-9", "--server", server, "--token", secret)
		if code != ExitOK || out == "" {
			t.Errorf("--server %s: exit %d, stdout %q, stderr %s", server, code, out, stderr)
		}
	}
	var n int
	db.R.QueryRow(`SELECT COUNT(*) FROM ci_events WHERE client_id = 'INC-9'`).Scan(&n)
	if n != 1 {
		t.Errorf("%d events with the incident's id; want 1 (the same id is one event)", n)
	}
}
