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
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sextant-dev/sextant/internal/core"
	"github.com/sextant-dev/sextant/internal/store"
	"github.com/sextant-dev/sextant/internal/store/storetest"
	"github.com/sextant-dev/sextant/internal/telemetry"
)

// eventsFixture is a real server on loopback over a real database, with a
// token per scope combination.
type eventsFixture struct {
	t                         *testing.T
	db                        *store.DB
	url                       string
	writer, reader, readWrite string
}

func newEventsFixture(t *testing.T, db *store.DB) *eventsFixture {
	t.Helper()
	srv := httptest.NewServer(New(Deps{DB: db, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Metrics: telemetry.New()}).Handler())
	t.Cleanup(srv.Close)
	f := &eventsFixture{t: t, db: db, url: srv.URL}
	for _, tok := range []struct {
		dst    *string
		name   string
		scopes []string
	}{
		{&f.writer, "writer", []string{core.ScopeEventsWrite}},
		{&f.reader, "reader", []string{core.ScopeEventsRead}},
		{&f.readWrite, "both", []string{core.ScopeEventsWrite, core.ScopeEventsRead}},
	} {
		secret, _, err := db.CreateToken(context.Background(), tok.name, tok.scopes, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		*tok.dst = secret
	}
	return f
}

type apiAnswer struct {
	status int
	header http.Header
	body   []byte
}

func (a apiAnswer) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(a.body, v); err != nil {
		t.Fatalf("answer %d %s: %v", a.status, a.body, err)
	}
}

func (f *eventsFixture) do(method, path, token string, body io.Reader) apiAnswer {
	f.t.Helper()
	req, err := http.NewRequest(method, f.url+path, body)
	if err != nil {
		f.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return apiAnswer{status: resp.StatusCode, header: resp.Header, body: b}
}

func (f *eventsFixture) post(path, token, body string) apiAnswer {
	f.t.Helper()
	return f.do("POST", path, token, strings.NewReader(body))
}

func (f *eventsFixture) events() int {
	f.t.Helper()
	var n int
	if err := f.db.R.QueryRow(`SELECT COUNT(*) FROM ci_events`).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

func TestPostEvent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newEventsFixture(t, db)
		body := `{"event":"deploy","repo":"acme/api","sha":"abc1234","environment":"prod","time":"2026-05-01T12:00:00Z",
			"id":"run-1","metadata":{"pipeline":"main"}}`
		a := f.post("/api/v1/events", f.writer, body)
		if a.status != http.StatusCreated {
			t.Fatalf("POST = %d %s; want 201", a.status, a.body)
		}
		var e core.CIEvent
		a.json(t, &e)
		if e.ID == 0 || e.Event != "deploy" || e.Repo != "acme/api" || e.Environment != "prod" || e.Status != "success" ||
			e.ClientID != "run-1" || e.Token != "writer" || e.DeploymentID == 0 || string(e.Metadata) != `{"pipeline":"main"}` ||
			!e.Time.Equal(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)) {
			t.Errorf("stored event %+v", e)
		}

		// Same token, same id: the stored event, with 200, and nothing new.
		a = f.post("/api/v1/events", f.writer, body)
		var again core.CIEvent
		a.json(t, &again)
		if a.status != http.StatusOK || again.ID != e.ID {
			t.Errorf("replay = %d id %d; want 200 with event %d", a.status, again.ID, e.ID)
		}
		if n := f.events(); n != 1 {
			t.Errorf("%d events after a replay; want 1", n)
		}
	})
}

func TestPostEventAuth(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newEventsFixture(t, db)
		revoked, _, err := db.CreateToken(context.Background(), "old", []string{core.ScopeEventsWrite}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := db.RevokeToken(context.Background(), "old", time.Now()); err != nil {
			t.Fatal(err)
		}
		body := `{"event":"push","repo":"acme/api"}`
		for _, tc := range []struct {
			name, header string
			status       int
		}{
			{"no header", "", 401},
			{"not bearer", "Basic " + f.writer, 401},
			{"empty bearer", "Bearer ", 401},
			{"unknown token", "Bearer sxt_nope", 401},
			{"revoked token", "Bearer " + revoked, 401},
			{"read-only token", "Bearer " + f.reader, 403},
		} {
			for _, path := range []string{"/api/v1/events", "/process-event"} {
				req, _ := http.NewRequest("POST", f.url+path, strings.NewReader(body))
				if tc.header != "" {
					req.Header.Set("Authorization", tc.header)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != tc.status || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("%s on %s: %d (WWW-Authenticate %q) %s; want %d", tc.name, path, resp.StatusCode,
						resp.Header.Get("WWW-Authenticate"), b, tc.status)
				}
				if bytes.Contains(b, []byte(f.writer)) || bytes.Contains(b, []byte(revoked)) {
					t.Errorf("%s: the answer echoes a token: %s", tc.name, b)
				}
			}
		}
		if a := f.post("/api/v1/events", "Bearer "+f.reader, body); a.status != 401 {
			// "Bearer Bearer x" is not a token.
			t.Errorf("doubled scheme = %d", a.status)
		}
		if n := f.events(); n != 0 {
			t.Errorf("%d events stored by rejected requests", n)
		}
		if a := f.post("/api/v1/events", f.readWrite, body); a.status != 201 {
			t.Errorf("token with both scopes = %d %s", a.status, a.body)
		}
	})
}

func TestPostEventValidation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newEventsFixture(t, db)
		a := f.post("/api/v1/events", f.writer, `{"event":"Deploy","repo":"noslash","status":"ok","metadata":"x","sha":"zz"}`)
		if a.status != http.StatusBadRequest {
			t.Fatalf("status %d %s; want 400", a.status, a.body)
		}
		var answer struct {
			Error    string         `json:"error"`
			Code     string         `json:"code"`
			Problems []core.Problem `json:"problems"`
		}
		a.json(t, &answer)
		var fields []string
		for _, p := range answer.Problems {
			fields = append(fields, p.Field)
		}
		if want := []string{"event", "repo", "sha", "status", "metadata"}; !slices.Equal(fields, want) || answer.Code != "invalid" {
			t.Errorf("problems %v code %q; want every field of %v", fields, answer.Code, want)
		}
		if !strings.Contains(answer.Error, "repo:") || !strings.Contains(answer.Error, "status:") {
			t.Errorf("error message %q should name every problem too", answer.Error)
		}
		// A reference to an unknown deploy is invalid as well.
		a = f.post("/api/v1/events", f.writer, `{"event":"rollback","repo":"a/b","deployment":"missing"}`)
		if a.status != 400 || !strings.Contains(string(a.body), `"field":"deployment"`) {
			t.Errorf("unknown deployment: %d %s", a.status, a.body)
		}
		if n := f.events(); n != 0 {
			t.Errorf("%d events stored by invalid requests", n)
		}
	})
}

func TestPostEventTooLarge(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newEventsFixture(t, db)
		huge := `{"event":"push","repo":"a/b","ref":"` + strings.Repeat("x", 1<<20) + `"}`
		if a := f.post("/api/v1/events", f.writer, huge); a.status != http.StatusRequestEntityTooLarge {
			t.Errorf("with Content-Length: %d %s; want 413", a.status, a.body)
		}
		// Without a length (chunked), the limit applies while reading.
		if a := f.do("POST", "/api/v1/events", f.writer, io.MultiReader(strings.NewReader(huge))); a.status != 413 {
			t.Errorf("chunked: %d %s; want 413", a.status, a.body)
		}
		// The limit is checked after the token: strangers learn nothing.
		if a := f.post("/api/v1/events", "", huge); a.status != 401 {
			t.Errorf("without a token: %d; want 401", a.status)
		}
		if n := f.events(); n != 0 {
			t.Errorf("%d events stored by oversized requests", n)
		}
		// Just under the limit is fine when valid: 64 KiB of metadata.
		md := `{"k":"` + strings.Repeat("y", 60<<10) + `"}`
		if a := f.post("/api/v1/events", f.writer, `{"event":"push","repo":"a/b","metadata":`+md+`}`); a.status != 201 {
			t.Errorf("60 KiB of metadata: %d %s", a.status, a.body)
		}
	})
}

// Concurrent requests with one key store one event: one 201, the rest 200.
func TestPostEventConcurrentIdempotency(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newEventsFixture(t, db)
		const n = 8
		statuses := make([]int, n)
		ids := make([]int64, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				req, _ := http.NewRequest("POST", f.url+"/api/v1/events",
					strings.NewReader(`{"event":"deploy","repo":"acme/api","id":"same"}`))
				req.Header.Set("Authorization", "Bearer "+f.writer)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				defer resp.Body.Close()
				var e core.CIEvent
				json.NewDecoder(resp.Body).Decode(&e)
				statuses[i], ids[i] = resp.StatusCode, e.ID
			})
		}
		wg.Wait()
		created := 0
		for i := range n {
			if statuses[i] == 201 {
				created++
			} else if statuses[i] != 200 {
				t.Errorf("request %d: %d", i, statuses[i])
			}
			if ids[i] != ids[0] {
				t.Errorf("request %d got event %d, request 0 event %d", i, ids[i], ids[0])
			}
		}
		if created != 1 || f.events() != 1 {
			t.Errorf("%d created, %d stored; want 1 and 1", created, f.events())
		}
	})
}

// The seed service's exact example keeps working on its old path.
func TestProcessEventSeedExample(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newEventsFixture(t, db)
		seed := `{
    "Time": "2021-01-01 00:00:00",
    "Repo": "test_repo",
    "Event": "push",
    "Metadata": "{test_metadata: value}"
}`
		a := f.post("/process-event", f.writer, seed)
		if a.status != http.StatusOK {
			t.Fatalf("POST /process-event = %d %s; want 200", a.status, a.body)
		}
		var e core.CIEvent
		a.json(t, &e)
		if e.ID == 0 || e.Event != "push" || e.Repo != "test_repo" || !e.Time.Equal(time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)) ||
			string(e.Metadata) != `{"text":"{test_metadata: value}"}` {
			t.Errorf("stored %+v (metadata %s)", e, e.Metadata)
		}
		// It shows in the version 1 listing like any event.
		var page eventPage
		f.do("GET", "/api/v1/events?repo=test_repo", f.readWrite, nil).json(t, &page)
		if len(page.Events) != 1 || page.Events[0].ID != e.ID {
			t.Errorf("listing %+v", page)
		}

		a = f.post("/process-event", f.writer, `{"Repo":"test_repo","Event":"rollback"}`)
		if a.status != 400 || !strings.Contains(string(a.body), `"field":"Event"`) {
			t.Errorf("legacy with a new event name: %d %s", a.status, a.body)
		}
		// A deploy of a bare name is kept as an event: it names no repository.
		a = f.post("/process-event", f.writer, `{"Repo":"test_repo","Event":"deploy"}`)
		a.json(t, &e)
		if a.status != 200 || e.DeploymentID != 0 {
			t.Errorf("legacy deploy of a bare name: %d %s", a.status, a.body)
		}
		// A legacy deploy of an owner/name repository is a deployment.
		a = f.post("/process-event", f.writer, `{"Repo":"acme/api","Event":"deploy"}`)
		a.json(t, &e)
		if a.status != 200 || e.DeploymentID == 0 || e.Environment != "production" {
			t.Errorf("legacy deploy: %d %s", a.status, a.body)
		}
	})
}

func TestListEvents(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newEventsFixture(t, db)
		base := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
		var want []int64 // newest first
		for i := range 5 {
			repo, event := "acme/api", "push"
			if i%2 == 1 {
				repo, event = "acme/web", "test_pass"
			}
			a := f.post("/api/v1/events", f.writer, fmt.Sprintf(`{"event":%q,"repo":%q,"time":%q}`,
				event, repo, base.Add(time.Duration(i)*time.Hour).Format(time.RFC3339)))
			var e core.CIEvent
			a.json(t, &e)
			want = append([]int64{e.ID}, want...)
		}
		// Two events at the same time are still ordered, and paged, exactly.
		for range 2 {
			var e core.CIEvent
			f.post("/api/v1/events", f.writer, `{"event":"push","repo":"acme/api","time":"2026-05-01T05:00:00Z"}`).json(t, &e)
			want = append([]int64{e.ID}, want...)
		}
		slices.SortStableFunc(want[:2], func(a, b int64) int { return int(b - a) })

		var got []int64
		cursor := ""
		for pages := 0; ; pages++ {
			if pages > 10 {
				t.Fatal("paging does not end")
			}
			a := f.do("GET", "/api/v1/events?limit=3&cursor="+cursor, f.reader, nil)
			if a.status != 200 {
				t.Fatalf("GET = %d %s", a.status, a.body)
			}
			var page eventPage
			a.json(t, &page)
			for _, e := range page.Events {
				got = append(got, e.ID)
			}
			if page.NextCursor == "" {
				break
			}
			cursor = page.NextCursor
		}
		if !slices.Equal(got, want) {
			t.Errorf("paged ids %v; want %v", got, want)
		}

		for _, tc := range []struct {
			query string
			n     int
		}{
			{"repo=acme/web", 2},
			{"event=push", 5},
			{"repo=acme/api&event=test_pass", 0},
			{"from=2026-05-01T01:00:00Z&to=2026-05-01T03:00:00Z", 2},
			{"from=2026-05-02", 0},
		} {
			var page eventPage
			a := f.do("GET", "/api/v1/events?"+tc.query, f.reader, nil)
			a.json(t, &page)
			if a.status != 200 || len(page.Events) != tc.n || page.Events == nil {
				t.Errorf("?%s: %d, %d events; want %d", tc.query, a.status, len(page.Events), tc.n)
			}
		}

		if a := f.do("GET", "/api/v1/events", f.writer, nil); a.status != 403 {
			t.Errorf("write-only token lists events: %d", a.status)
		}
		if a := f.do("GET", "/api/v1/events", "", nil); a.status != 401 {
			t.Errorf("no token lists events: %d", a.status)
		}
		a := f.do("GET", "/api/v1/events?limit=0&from=later&cursor=%25%25&to=2020-01-01", f.reader, nil)
		if a.status != 400 {
			t.Fatalf("bad query: %d %s", a.status, a.body)
		}
		for _, field := range []string{"from", "limit", "cursor"} {
			if !strings.Contains(string(a.body), `"field":"`+field+`"`) {
				t.Errorf("bad query answer %s does not name %s", a.body, field)
			}
		}
	})
}

// Every event received is counted by event and outcome; custom names share
// one label value so clients cannot grow the series without bound.
func TestCIEventMetrics(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	f := newEventsFixture(t, db)
	f.post("/api/v1/events", f.writer, `{"event":"deploy","repo":"acme/api","id":"d1"}`)
	f.post("/api/v1/events", f.writer, `{"event":"deploy","repo":"acme/api","id":"d1"}`)
	f.post("/api/v1/events", f.writer, `{"event":"deploy","repo":"acme"}`)
	f.post("/api/v1/events", f.writer, `{"event":"nightly.build","repo":"acme/api"}`)
	f.post("/api/v1/events", f.writer, `not json`)
	a := f.do("GET", "/metrics", "", nil)
	for _, want := range []string{
		`sextant_ci_events_total{event="deploy",outcome="stored"} 1`,
		`sextant_ci_events_total{event="deploy",outcome="duplicate"} 1`,
		`sextant_ci_events_total{event="deploy",outcome="invalid"} 1`,
		`sextant_ci_events_total{event="custom",outcome="stored"} 1`,
		`sextant_ci_events_total{event="unknown",outcome="invalid"} 1`,
	} {
		if !strings.Contains(string(a.body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
