package web

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
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
const examplesDir = "../../testdata/octokit-webhooks"

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
	var obj map[string]any
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		f.t.Fatalf("%s answer %d is not a JSON object: %q", method, resp.StatusCode, raw)
	}
	for k, v := range obj {
		if str, ok := v.(string); ok {
			a.body[k] = str
		} else {
			b, _ := json.Marshal(v)
			a.body[k] = string(b)
		}
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
		t.Fatalf("read the example payloads (testdata/octokit-webhooks): %v", err)
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

// The project keeps its own copy of the team's example payloads so a clone
// tests on its own; where the team's folder is present the two must agree,
// or "every example payload is accepted" would be about a stale set.
func TestExamplePayloadsAreTheSharedOnes(t *testing.T) {
	const shared = "../../../shared/testdata/github-webhooks"
	if _, err := os.Stat(shared); err != nil {
		t.Skipf("the team's example payloads are not on this machine (%s): nothing to compare the copy with", shared)
	}
	files := func(root string) map[string][]byte {
		out := map[string][]byte{}
		err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || filepath.Base(path) == "README.md" {
				return err
			}
			rel, _ := filepath.Rel(root, path)
			out[rel] = readFile(t, path)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	want, got := files(shared), files(examplesDir)
	for name, b := range want {
		if c, ok := got[name]; !ok {
			t.Errorf("%s is in %s but not in the copy %s", name, shared, examplesDir)
		} else if !bytes.Equal(b, c) {
			t.Errorf("%s differs between %s and the copy %s", name, shared, examplesDir)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s is in the copy %s but not in %s", name, examplesDir, shared)
		}
	}
	if len(want) < 100 {
		t.Errorf("only %d files in %s; expected GitHub's full example set", len(want), shared)
	}
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

func TestWebhookRejectionsStoreNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newHookFixture(t, db, "old-secret", hookSecret)
		body := readFile(t, examplesDir+"/pull_request/opened.payload.json")
		signed := func(b []byte) string { return ghmap.Sign(hookSecret, b) }
		big := append([]byte(`{"a":"`), bytes.Repeat([]byte("x"), ingest.MaxWebhookBody)...)
		big = append(big, `"}`...)
		for _, tc := range []struct {
			name    string
			method  string
			headers map[string]string
			body    []byte
			status  int
			msg     string
		}{
			{"missing signature", "POST", map[string]string{"X-GitHub-Event": "pull_request", "X-GitHub-Delivery": "d1"},
				body, 401, "missing signature"},
			{"wrong signature", "POST", map[string]string{"X-GitHub-Event": "pull_request", "X-GitHub-Delivery": "d2",
				ghmap.SignatureHeader: ghmap.Sign("not the secret", body)}, body, 401, "does not match"},
			{"signature of another body", "POST", map[string]string{"X-GitHub-Event": "pull_request", "X-GitHub-Delivery": "d3",
				ghmap.SignatureHeader: signed([]byte(`{}`))}, body, 401, "does not match"},
			{"sha-1 in the sha-256 header", "POST", map[string]string{"X-GitHub-Event": "pull_request", "X-GitHub-Delivery": "d4",
				ghmap.SignatureHeader: ghmap.SignLegacy(hookSecret, body)}, body, 401, "does not match"},
			{"wrong sha-256 beside a right sha-1", "POST", map[string]string{"X-GitHub-Event": "pull_request", "X-GitHub-Delivery": "d5",
				ghmap.SignatureHeader: ghmap.Sign("nope", body), ghmap.LegacySignatureHeader: ghmap.SignLegacy(hookSecret, body)},
				body, 401, "does not match"},
			{"missing event", "POST", map[string]string{"X-GitHub-Delivery": "d6", ghmap.SignatureHeader: signed(body)},
				body, 400, "X-Github-Event: is required"},
			{"missing delivery", "POST", map[string]string{"X-GitHub-Event": "pull_request", ghmap.SignatureHeader: signed(body)},
				body, 400, "X-Github-Delivery: is required"},
			{"delivery id too long", "POST", map[string]string{"X-GitHub-Event": "push", "X-GitHub-Delivery": strings.Repeat("x", 256),
				ghmap.SignatureHeader: signed(body)}, body, 400, "longer than 255"},
			{"event not a name", "POST", map[string]string{"X-GitHub-Event": "pull request!", "X-GitHub-Delivery": "d12",
				ghmap.SignatureHeader: signed(body)}, body, 400, "is not an event name"},
			{"array body", "POST", map[string]string{"X-GitHub-Event": "push", "X-GitHub-Delivery": "d7",
				ghmap.SignatureHeader: signed([]byte(`[1,2]`))}, []byte(`[1,2]`), 400, "not a JSON object"},
			{"broken JSON", "POST", map[string]string{"X-GitHub-Event": "push", "X-GitHub-Delivery": "d8",
				ghmap.SignatureHeader: signed([]byte(`{"a":`))}, []byte(`{"a":`), 400, "not a JSON object"},
			{"empty body", "POST", map[string]string{"X-GitHub-Event": "push", "X-GitHub-Delivery": "d9",
				ghmap.SignatureHeader: signed(nil)}, nil, 400, "not a JSON object"},
			{"too large", "POST", map[string]string{"X-GitHub-Event": "push", "X-GitHub-Delivery": "d10",
				ghmap.SignatureHeader: signed(big)}, big, 413, "25 MiB"},
			{"GET", "GET", map[string]string{"X-GitHub-Event": "push", "X-GitHub-Delivery": "d11"}, nil, 405, "POST"},
		} {
			a := f.send(tc.method, tc.headers, tc.body)
			if a.status != tc.status || !strings.Contains(a.body["error"], tc.msg) {
				t.Errorf("%s: %d %v; want %d with %q", tc.name, a.status, a.body, tc.status, tc.msg)
			}
			if tc.status == 400 && strings.Contains(tc.msg, "X-Github") && !strings.Contains(a.body["problems"], `"field":"X-Github-`) {
				t.Errorf("%s: problems %q; want them by header", tc.name, a.body["problems"])
			}
			if tc.status == 405 && a.header.Get("Allow") != "POST" {
				t.Errorf("%s: Allow %q; want POST", tc.name, a.header.Get("Allow"))
			}
		}
		if n := f.count("webhook_deliveries"); n != 0 {
			t.Errorf("%d deliveries stored after rejected requests; want none", n)
		}
		m := scrape(t, f.url)
		for _, reason := range []string{"signature", "headers", "body", "too_large", "method"} {
			if !strings.Contains(m, `outcome="rejected_`+reason+`"`) {
				t.Errorf("/metrics does not count rejected_%s", reason)
			}
		}

		// Both secrets of a rotation verify; the legacy SHA-1 header alone is
		// accepted.
		for i, sig := range []map[string]string{
			{ghmap.SignatureHeader: ghmap.Sign("old-secret", body)},
			{ghmap.SignatureHeader: ghmap.Sign(hookSecret, body)},
			{ghmap.LegacySignatureHeader: ghmap.SignLegacy("old-secret", body)},
		} {
			sig["X-GitHub-Event"], sig["X-GitHub-Delivery"] = "pull_request", fmt.Sprintf("ok-%d", i)
			if a := f.send("POST", sig, body); a.status != 202 || a.body["status"] != "accepted" {
				t.Errorf("signature %d: %d %v; want 202 accepted", i, a.status, a.body)
			}
		}
		if n := f.count("webhook_deliveries"); n != 3 {
			t.Errorf("%d deliveries stored; want the 3 correctly signed", n)
		}
	})
}

func TestWebhookWithoutSecretIsOff(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	f := newHookFixture(t, db) // no secret
	body := []byte(`{"zen":"hi"}`)
	a := f.send("POST", map[string]string{"X-GitHub-Event": "ping", "X-GitHub-Delivery": "p1",
		ghmap.SignatureHeader: ghmap.Sign("", body)}, body)
	if a.status != 503 || !strings.Contains(a.body["error"], "github.webhook_secret") ||
		!strings.Contains(a.body["error"], "SEXTANT_GITHUB_WEBHOOK_SECRET") {
		t.Errorf("no secret: %d %v; want 503 saying how to configure one", a.status, a.body)
	}
	if n := f.count("webhook_deliveries"); n != 0 {
		t.Errorf("%d deliveries stored without a secret", n)
	}
}

// dump returns every row of the domain tables a webhook can touch, in a
// stable order, for comparisons.
func dump(t *testing.T, db *store.DB, tables ...string) string {
	t.Helper()
	var sb strings.Builder
	for _, tbl := range tables {
		rows, err := db.R.Query(`SELECT * FROM ` + tbl)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		var lines []string
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			rows.Scan(ptrs...)
			var parts []string
			for i, v := range vals {
				if b, ok := v.([]byte); ok {
					v = string(b)
				}
				parts = append(parts, fmt.Sprintf("%s=%v", cols[i], v))
			}
			lines = append(lines, strings.Join(parts, " "))
		}
		rows.Close()
		slices.Sort(lines)
		sb.WriteString("== " + tbl + "\n" + strings.Join(lines, "\n") + "\n")
	}
	return sb.String()
}

// domainTables are the tables projection writes, with their surrogate ids
// left to the comparisons that need them.
var domainTables = []string{"actors", "organizations", "teams", "team_members", "org_members", "team_repositories",
	"pull_requests", "pull_request_labels", "pull_request_commits", "reviews", "review_comments", "issues",
	"issue_labels", "issue_comments", "issue_transfers", "commits", "releases", "check_suites", "check_runs",
	"workflow_runs", "workflow_jobs", "deployment_statuses"}

func TestRedeliveryChangesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newHookFixture(t, db, hookSecret)
		merged := readFile(t, ownExamples+"/pull_request/closed.merged.payload.json")
		push := readFile(t, examplesDir+"/push/payload.json")
		if a := f.postAs("pull_request", "guid-1", merged); a.status != 202 {
			t.Fatalf("first delivery: %d %v", a.status, a.body)
		}
		f.postAs("push", "guid-2", push)
		f.project()
		before := dump(t, db, append(domainTables, "webhook_deliveries", "pushes", "push_commits", "repositories")...)
		// GitHub's redelivery has the same id; even a different body under
		// that id changes nothing.
		for _, body := range [][]byte{merged, readFile(t, examplesDir+"/pull_request/opened.payload.json")} {
			a := f.postAs("pull_request", "guid-1", body)
			if a.status != 200 || a.body["status"] != "duplicate" {
				t.Fatalf("redelivery: %d %v; want 200 duplicate", a.status, a.body)
			}
		}
		if a := f.postAs("push", "guid-2", push); a.status != 200 || a.body["status"] != "duplicate" {
			t.Fatalf("push redelivery: %d %v", a.status, a.body)
		}
		f.project()
		if after := dump(t, db, append(domainTables, "webhook_deliveries", "pushes", "push_commits", "repositories")...); after != before {
			t.Errorf("a redelivery changed the tables:\nbefore:\n%s\nafter:\n%s", before, after)
		}
		m := scrape(t, f.url)
		for _, want := range []string{`{action="closed",event="pull_request",outcome="duplicate"} 1`,
			`{action="opened",event="pull_request",outcome="duplicate"} 1`, `{action="",event="push",outcome="duplicate"} 1`} {
			if !strings.Contains(m, want) {
				t.Errorf("/metrics lacks sextant_webhook_deliveries_total%s", want)
			}
		}
	})
}

func TestDeliveriesLookup(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	f := newHookFixture(t, db, hookSecret)
	f.postAs("push", "have-1", readFile(t, examplesDir+"/push/payload.json"))
	f.postAs("create", "have-2", readFile(t, examplesDir+"/create/payload.json"))
	resp, err := http.Post(f.url+"/api/v1/webhooks/deliveries/lookup", "application/json",
		strings.NewReader(`{"ids":["have-1","nope","have-2"]}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct{ Stored, Missing []string }
	json.NewDecoder(resp.Body).Decode(&got)
	slices.Sort(got.Stored)
	if resp.StatusCode != 200 || fmt.Sprint(got.Stored) != "[have-1 have-2]" || fmt.Sprint(got.Missing) != "[nope]" {
		t.Errorf("lookup: %d %+v", resp.StatusCode, got)
	}
	resp, _ = http.Post(f.url+"/api/v1/webhooks/deliveries/lookup", "application/json", strings.NewReader(`[1]`))
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("bad lookup body: %d; want 400", resp.StatusCode)
	}

	// Without anonymous reads, a token with the read scope is needed.
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	closed := httptest.NewServer(New(Deps{DB: db, Log: log, Metrics: telemetry.New()}).Handler())
	defer closed.Close()
	resp, _ = http.Post(closed.URL+"/api/v1/webhooks/deliveries/lookup", "application/json", strings.NewReader(`{"ids":[]}`))
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("lookup without a token: %d; want 401", resp.StatusCode)
	}
}

func TestFormEncodedDelivery(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	f := newHookFixture(t, db, hookSecret)
	payload := readFile(t, examplesDir+"/create/payload.json")
	form := []byte("payload=" + url.QueryEscape(string(payload)))
	a := f.send("POST", map[string]string{"Content-Type": "application/x-www-form-urlencoded", "X-GitHub-Event": "create",
		"X-GitHub-Delivery": "form-1", ghmap.SignatureHeader: ghmap.Sign(hookSecret, form)}, form)
	if a.status != 202 {
		t.Fatalf("form-encoded delivery: %d %v", a.status, a.body)
	}
	d, err := store.DeliveryByID(t.Context(), db.R, "form-1")
	if err != nil || d.BodySize != int64(len(payload)) {
		t.Fatalf("stored %+v, %v; want the JSON payload of the form", d.BodySize, err)
	}
}

// FuzzWebhookHandler posts arbitrary bodies, correctly signed, under a few
// event names: the handler must never panic nor answer 5xx.
func FuzzWebhookHandler(f *testing.F) {
	for _, seed := range []string{`{}`, `{"action":"opened","pull_request":{"id":1}}`, `[]`, `{"a":`, `null`,
		`{"repository":{"id":"x"}}`, `{"installation":{"id":1e400}}`} {
		f.Add("pull_request", []byte(seed))
	}
	f.Add("push", readFile(&testing.T{}, examplesDir+"/push/payload.json"))
	// Half-empty payloads of the projected events reach their nil paths.
	for event, body := range map[string]string{
		"issues":              `{"action":"transferred","issue":{"id":1,"number":1},"changes":{"new_issue":{"id":2}},"repository":{"id":3,"full_name":"a/b"}}`,
		"membership":          `{"action":"removed","scope":"team","team":{"id":1,"deleted":true},"member":{"id":2,"login":"x"}}`,
		"deployment_status":   `{"deployment":{"id":1},"deployment_status":null,"repository":{"id":3,"full_name":"a/b"}}`,
		"team":                `{"action":"added_to_repository","team":{"id":1,"slug":"t"},"repository":null}`,
		"installation":        `{"action":"created","installation":{"account":null},"repositories":[null,{}]}`,
		"check_run":           `{"check_run":{"id":1,"name":"x","check_suite":null},"repository":{"id":3,"full_name":"a/b"}}`,
		"pull_request_review": `{"review":null,"pull_request":{"id":5,"number":1},"repository":{"id":3,"full_name":"a/b"}}`,
		"organization":        `{"action":"member_added","membership":{"user":null},"organization":{"id":1,"login":"o"}}`,
	} {
		f.Add(event, []byte(body))
	}
	db := storetest.Open(f, store.SQLite)
	fx := newHookFixture(&testing.T{}, db, hookSecret)
	n := 0
	f.Fuzz(func(t *testing.T, event string, body []byte) {
		n++
		guid := fmt.Sprintf("fuzz-%d", n)
		req, _ := http.NewRequest("POST", fx.url+"/webhooks/github", bytes.NewReader(body))
		req.Header.Set("X-GitHub-Event", event)
		req.Header.Set("X-GitHub-Delivery", guid)
		req.Header.Set(ghmap.SignatureHeader, ghmap.Sign(hookSecret, body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil && strings.Contains(err.Error(), "invalid header field value") {
			return // no HTTP client can send that event name
		}
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("event %q body %q: %d", event, body, resp.StatusCode)
		}
		if _, err := fx.hooks.ProjectPending(context.Background()); err != nil {
			t.Fatalf("projection of event %q body %q: %v", event, body, err)
		}
		// The projector turns a panic into the delivery's error to keep
		// running; none may happen.
		var msg sql.NullString
		db.R.QueryRow(`SELECT projection_error FROM webhook_deliveries WHERE delivery_id = $1`, guid).Scan(&msg)
		if strings.HasPrefix(msg.String, "panic:") {
			t.Fatalf("event %q body %q: %s", event, body, msg.String)
		}
	})
}
