package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/sextant-dev/sextant/internal/store"
	"github.com/sextant-dev/sextant/internal/store/storetest"
)

func TestSyncState(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, ok, err := store.GetSyncState(ctx, db.R, "acme/api", "pulls"); ok || err != nil {
			t.Fatalf("state before any put: ok=%v err=%v", ok, err)
		}
		at := time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)
		want := store.SyncState{Scope: "acme/api", Kind: "pulls", Watermark: at, Checkpoint: "cursor-1", UpdatedAt: at.Add(time.Minute)}
		if err := store.PutSyncState(ctx, db.W, want); err != nil {
			t.Fatal(err)
		}
		want.Checkpoint, want.Watermark = "", at.Add(time.Hour) // a finished pass clears its checkpoint
		if err := store.PutSyncState(ctx, db.W, want); err != nil {
			t.Fatal(err)
		}
		got, ok, err := store.GetSyncState(ctx, db.R, "acme/api", "pulls")
		if err != nil || !ok || got != want {
			t.Errorf("got %+v ok=%v err=%v; want %+v", got, ok, err, want)
		}
		if _, ok, _ := store.GetSyncState(ctx, db.R, "acme/api", "issues"); ok {
			t.Error("a state of another kind was found")
		}
	})
}
