package web

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sextant-dev/sextant/internal/core"
	"github.com/sextant-dev/sextant/internal/store"
	"github.com/sextant-dev/sextant/internal/store/storetest"
	"github.com/sextant-dev/sextant/internal/telemetry"
)

func get(t *testing.T, url string) (int, map[string]string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]string
	json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

func TestReadyz(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv := httptest.NewServer(New(Deps{DB: db, Log: log, Metrics: telemetry.New()}).Handler())
		defer srv.Close()
		if code, body := get(t, srv.URL+"/readyz"); code != 200 || body["status"] != "ready" {
			t.Errorf("migrated: %d %v", code, body)
		}
		db.Close()
		if code, body := get(t, srv.URL+"/readyz"); code != 503 || body["error"] != "database unreachable" {
			t.Errorf("closed database: %d %v", code, body)
		}
		if code, _ := get(t, srv.URL+"/healthz"); code != 200 {
			t.Errorf("healthz with the database down = %d; liveness must not depend on it", code)
		}
	})
}

func TestReadyzPendingMigrations(t *testing.T) {
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "new.db"), store.Options{NoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	srv := httptest.NewServer(New(Deps{DB: db, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Metrics: telemetry.New()}).Handler())
	defer srv.Close()
	code, body := get(t, srv.URL+"/readyz")
	if code != 503 || !strings.Contains(body["error"], "migrations pending") {
		t.Errorf("unmigrated: %d %v", code, body)
	}
}

func TestErrorMapping(t *testing.T) {
	s := &Server{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, tc := range []struct {
		err  error
		code int
		msg  string
	}{
		{core.Errorf(core.CodeInvalid, "repo: must be owner/name"), 400, "repo: must be owner/name"},
		{core.Errorf(core.CodeUnauthorized, "missing token"), 401, "missing token"},
		{core.Errorf(core.CodeForbidden, "needs events:write"), 403, "needs events:write"},
		{core.Errorf(core.CodeTooLarge, "body over 1 MiB"), 413, "body over 1 MiB"},
		{io.ErrUnexpectedEOF, 500, "internal error"},
	} {
		rec := httptest.NewRecorder()
		s.writeError(rec, httptest.NewRequest("GET", "/x", nil), tc.err)
		var body map[string]string
		json.NewDecoder(rec.Body).Decode(&body)
		if rec.Code != tc.code || body["error"] != tc.msg {
			t.Errorf("%v → %d %q, want %d %q", tc.err, rec.Code, body["error"], tc.code, tc.msg)
		}
	}
}
