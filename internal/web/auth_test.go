package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/sextant-dev/sextant/internal/core"
	"github.com/sextant-dev/sextant/internal/store"
	"github.com/sextant-dev/sextant/internal/store/storetest"
	"github.com/sextant-dev/sextant/internal/telemetry"
)

func TestWithRead(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	reader, _, err := db.CreateToken(ctx, "reader", []string{core.ScopeRead}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	writer, _, err := db.CreateToken(ctx, "writer", []string{core.ScopeEventsWrite}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	revoked, _, err := db.CreateToken(ctx, "old", []string{core.ScopeRead}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := db.RevokeToken(ctx, "old", time.Now()); err != nil {
		t.Fatal(err)
	}
	for _, anonymous := range []bool{false, true} {
		s := New(Deps{DB: db, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Metrics: telemetry.New(), AnonymousRead: anonymous})
		srv := httptest.NewServer(s.withRead(func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusOK, map[string]string{"status": "read"})
		}))
		for _, c := range []struct {
			token string
			want  int
		}{
			{"", map[bool]int{false: http.StatusUnauthorized, true: http.StatusOK}[anonymous]},
			{reader, http.StatusOK},
			{writer, http.StatusForbidden},
			{revoked, http.StatusUnauthorized}, // a token that is sent is checked, anonymous or not
			{"not-a-token", http.StatusUnauthorized},
		} {
			req, _ := http.NewRequest("GET", srv.URL, nil)
			if c.token != "" {
				req.Header.Set("Authorization", "Bearer "+c.token)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != c.want {
				t.Errorf("anonymous=%v token=%q: status %d, want %d", anonymous, c.token, resp.StatusCode, c.want)
			}
		}
		srv.Close()
	}
}
