package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sextant-dev/sextant/internal/core"
	"github.com/sextant-dev/sextant/internal/store"
	"github.com/sextant-dev/sextant/internal/store/storetest"
)

var tokenTime = time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)

func TestTokenLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		secret, tok, err := db.CreateToken(ctx, "ci", []string{core.ScopeEventsWrite}, tokenTime)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(secret, store.TokenPrefix) || len(secret) < 40 {
			t.Errorf("secret %q: want a long %s token", secret, store.TokenPrefix)
		}
		var stored string
		if err := db.R.QueryRowContext(ctx, `SELECT hash FROM api_tokens WHERE id = $1`, tok.ID).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if stored == secret || stored != store.HashToken(secret) {
			t.Errorf("stored %q; want only the hash of the secret", stored)
		}

		if _, _, err := db.CreateToken(ctx, "ci", []string{core.ScopeEventsRead}, tokenTime); core.ErrorCode(err) != core.CodeConflict {
			t.Errorf("second token named ci: %v; want a conflict", err)
		}
		if _, _, err := db.CreateToken(ctx, "bad name", []string{"admin"}, tokenTime); core.ErrorCode(err) != core.CodeInvalid ||
			!strings.Contains(err.Error(), "name:") || !strings.Contains(err.Error(), `unknown scope "admin"`) {
			t.Errorf("bad name and scope: %v; want both problems", err)
		}

		got, err := db.Authenticate(ctx, secret)
		if err != nil || got.ID != tok.ID || !got.HasScope(core.ScopeEventsWrite) || got.HasScope(core.ScopeEventsRead) {
			t.Fatalf("authenticate = %+v, %v", got, err)
		}
		if _, err := db.Authenticate(ctx, secret+"x"); core.ErrorCode(err) != core.CodeUnauthorized {
			t.Errorf("wrong secret: %v; want unauthorized", err)
		}
		if err := db.TouchToken(ctx, got, tokenTime.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		list, err := db.Tokens(ctx, false)
		if err != nil || len(list) != 1 || !list[0].LastUsedAt.Equal(tokenTime.Add(time.Hour)) {
			t.Fatalf("tokens = %+v, %v", list, err)
		}

		if err := db.RevokeToken(ctx, "ci", tokenTime); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Authenticate(ctx, secret); core.ErrorCode(err) != core.CodeUnauthorized {
			t.Errorf("revoked token: %v; want unauthorized", err)
		}
		if err := db.RevokeToken(ctx, "ci", tokenTime); core.ErrorCode(err) != core.CodeNotFound {
			t.Errorf("revoke twice: %v; want not found", err)
		}
		// The name is free again once revoked.
		if _, _, err := db.CreateToken(ctx, "ci", []string{core.ScopeEventsRead}, tokenTime); err != nil {
			t.Errorf("recreate after revoke: %v", err)
		}
		all, _ := db.Tokens(ctx, true)
		live, _ := db.Tokens(ctx, false)
		if len(all) != 2 || len(live) != 1 {
			t.Errorf("tokens: %d in all, %d live; want 2 and 1", len(all), len(live))
		}
	})
}

func TestSyncConfigTokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		cfg := []store.ConfigToken{
			{Name: "deployer", Scopes: []string{core.ScopeEventsWrite}, Hash: store.HashToken("deployer-secret-0001")},
			{Name: "grafana", Scopes: []string{core.ScopeEventsRead}, Hash: store.HashToken("grafana-secret-00001")},
		}
		for range 2 { // twice: a restart changes nothing
			if err := db.SyncConfigTokens(ctx, cfg, tokenTime); err != nil {
				t.Fatal(err)
			}
		}
		if tok, err := db.Authenticate(ctx, "deployer-secret-0001"); err != nil || !tok.FromConfig || tok.Name != "deployer" {
			t.Fatalf("configured token: %+v, %v", tok, err)
		}
		if err := db.RevokeToken(ctx, "deployer", tokenTime); core.ErrorCode(err) != core.CodeConflict {
			t.Errorf("revoke a configured token: %v; want a conflict naming the configuration", err)
		}

		// Rotate deployer's secret and scopes, drop grafana.
		cfg = []store.ConfigToken{{Name: "deployer", Scopes: []string{core.ScopeEventsWrite, core.ScopeEventsRead},
			Hash: store.HashToken("deployer-secret-0002")}}
		if err := db.SyncConfigTokens(ctx, cfg, tokenTime); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Authenticate(ctx, "deployer-secret-0001"); err == nil {
			t.Error("the rotated-out secret still works")
		}
		if tok, err := db.Authenticate(ctx, "deployer-secret-0002"); err != nil || !tok.HasScope(core.ScopeEventsRead) {
			t.Errorf("rotated token: %+v, %v", tok, err)
		}
		if _, err := db.Authenticate(ctx, "grafana-secret-00001"); err == nil {
			t.Error("a token removed from the configuration still works")
		}

		// A configured name may not shadow a token made on the command line.
		if _, _, err := db.CreateToken(ctx, "manual", []string{core.ScopeEventsWrite}, tokenTime); err != nil {
			t.Fatal(err)
		}
		err := db.SyncConfigTokens(ctx, append(cfg, store.ConfigToken{Name: "manual", Scopes: []string{core.ScopeEventsWrite},
			Hash: store.HashToken("manual-secret-000001")}), tokenTime)
		if core.ErrorCode(err) != core.CodeConflict {
			t.Errorf("configured name of a cli token: %v; want a conflict", err)
		}
		err = db.SyncConfigTokens(ctx, []store.ConfigToken{{Name: "x", Scopes: []string{"events:all"}, Hash: "h"}}, tokenTime)
		if core.ErrorCode(err) != core.CodeInvalid || !strings.Contains(err.Error(), "events:all") {
			t.Errorf("unknown scope in configuration: %v", err)
		}
	})
}
