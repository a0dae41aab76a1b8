package store_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sextant-dev/sextant/internal/core"
	"github.com/sextant-dev/sextant/internal/store"
	"github.com/sextant-dev/sextant/internal/store/storetest"
)

// fill writes rows covering the value kinds the schema uses: identity and
// GitHub-id keys, booleans, blobs, floats and NULLs.
func fill(t *testing.T, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	repo, err := store.UpsertRepository(ctx, db.W, core.Repository{GitHubID: 42, FullName: "acme/api", Private: true, CreatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.UpsertDeployment(ctx, db.W, core.Deployment{Source: core.SourceCI, SourceID: "d1", RepoID: repo,
		Environment: "production", SHA: "abc", Status: core.DeploySuccess, CreatedAt: t0, FinishedAt: t0, CausedFailure: true}); err != nil {
		t.Fatal(err)
	}
	mustExec(t, db, `INSERT INTO webhook_deliveries (delivery_id, event, received_at, body, body_encoding, body_size)
		VALUES ('g-1', 'ping', 1, $1, 'gzip', 3)`, []byte{0x1f, 0x8b, 0})
	mustExec(t, db, `INSERT INTO metric_snapshots (name, period_start, period_end, value, computed_at)
		VALUES ('deploy_freq', 1, 2, 2.5, 3)`)
	mustExec(t, db, `INSERT INTO actors (id, login, type) VALUES (7, 'octocat', 'User')`)
}

func mustExec(t *testing.T, db *store.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.W.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func dump(t *testing.T, db *store.DB) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	out["repositories"] = queryStrings(t, db.R, `SELECT full_name || ':' || CAST(github_id AS TEXT) || ':' || CASE WHEN private THEN 'private' ELSE 'public' END FROM repositories`)
	out["deployments"] = queryStrings(t, db.R, `SELECT source_id || ':' || environment || ':' || CASE WHEN caused_failure THEN 'failed' ELSE 'ok' END FROM deployments`)
	out["deliveries"] = queryStrings(t, db.R, `SELECT delivery_id || ':' || CAST(LENGTH(body) AS TEXT) FROM webhook_deliveries`)
	out["snapshots"] = queryStrings(t, db.R, `SELECT name || ':' || CAST(value AS TEXT) FROM metric_snapshots`)
	out["actors"] = queryStrings(t, db.R, `SELECT login FROM actors`)
	return out
}

func TestCopyAllBetweenEngines(t *testing.T) {
	for _, dir := range []struct{ from, to store.Dialect }{{store.SQLite, store.Postgres}, {store.Postgres, store.SQLite}} {
		t.Run(string(dir.from)+"_to_"+string(dir.to), func(t *testing.T) {
			ctx := context.Background()
			src, dst := storetest.Open(t, dir.from), storetest.Open(t, dir.to)
			fill(t, src)
			copied := map[string]int64{}
			if err := store.CopyAll(ctx, src, dst, func(table string, n int64) { copied[table] = n }); err != nil {
				t.Fatal(err)
			}
			if copied["repositories"] != 1 || copied["deployments"] != 1 || copied["jobs"] != 0 {
				t.Errorf("progress = %v", copied)
			}
			if diff := cmp.Diff(dump(t, src), dump(t, dst)); diff != "" {
				t.Errorf("copy differs (-src +dst):\n%s", diff)
			}
			// New rows after the copy get fresh ids (the sequence moved on).
			id, err := store.EnsureRepositoryByName(ctx, dst.W, "acme/web")
			if err != nil {
				t.Fatal(err)
			}
			old, _ := dst.RepositoryByName(ctx, "acme/api")
			if id == old.ID {
				t.Errorf("new repository reused copied id %d", id)
			}
			// A second copy into a non-empty database is refused.
			if err := store.CopyAll(ctx, src, dst, nil); err == nil {
				t.Error("copy into a non-empty database succeeded")
			}
		})
	}
}
