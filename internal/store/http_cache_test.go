package store_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/sextant-dev/sextant/internal/store"
	"github.com/sextant-dev/sextant/internal/store/storetest"
)

func TestHTTPCache(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		const u = "https://api.github.com/repos/acme/api/pulls?per_page=1"
		if e, lm, err := db.LookupHTTPCache(ctx, u); err != nil || e != "" || lm != "" {
			t.Fatalf("unknown url: %q %q %v; want empty", e, lm, err)
		}
		at := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
		if err := store.SaveHTTPCache(ctx, db.W, store.HTTPCacheEntry{URL: u, ETag: `W/"a"`, UpdatedAt: at}); err != nil {
			t.Fatal(err)
		}
		// A rolled-back transaction keeps nothing: validators land only with
		// the data they describe.
		err := db.Tx(ctx, func(tx *sql.Tx) error {
			if err := store.SaveHTTPCache(ctx, tx, store.HTTPCacheEntry{URL: u, ETag: `W/"b"`, LastModified: "Fri, 01 May 2026 10:00:00 GMT"}); err != nil {
				return err
			}
			return sql.ErrTxDone
		})
		if err != sql.ErrTxDone {
			t.Fatalf("tx: %v", err)
		}
		if e, lm, err := db.LookupHTTPCache(ctx, u); err != nil || e != `W/"a"` || lm != "" {
			t.Fatalf("after rollback: %q %q %v; want the first etag", e, lm, err)
		}
		if err := store.SaveHTTPCache(ctx, db.W, store.HTTPCacheEntry{URL: u, ETag: `W/"c"`, LastModified: "Fri, 01 May 2026 11:00:00 GMT"}); err != nil {
			t.Fatal(err)
		}
		if e, lm, err := db.LookupHTTPCache(ctx, u); err != nil || e != `W/"c"` || lm != "Fri, 01 May 2026 11:00:00 GMT" {
			t.Fatalf("after update: %q %q %v", e, lm, err)
		}
		// No validator at all forgets the URL.
		if err := store.SaveHTTPCache(ctx, db.W, store.HTTPCacheEntry{URL: u}); err != nil {
			t.Fatal(err)
		}
		if e, _, err := db.LookupHTTPCache(ctx, u); err != nil || e != "" {
			t.Fatalf("after clearing: %q %v; want nothing", e, err)
		}
		if err := store.SaveHTTPCache(ctx, db.W, store.HTTPCacheEntry{ETag: "x"}); err == nil {
			t.Error("entry without url: want an error")
		}
	})
}
