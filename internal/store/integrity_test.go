package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/sextant-dev/sextant/internal/store"
	"github.com/sextant-dev/sextant/internal/store/storetest"
)

// The latest check of each scope is the one that counts: it is what
// LatestIntegrityChecks and OpenFindings read, and what pruning keeps
// however old.
func TestIntegrityChecksLatestAndPruned(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		day := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
		check := func(scope string, at time.Time, kinds ...string) int64 {
			t.Helper()
			id, err := store.StartIntegrityCheck(ctx, db.W, scope, at)
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range kinds {
				if _, err := store.AddIntegrityFinding(ctx, db.W, store.IntegrityFinding{CheckID: id, Scope: scope, Kind: k,
					Expected: 2, Found: 1, FoundAt: at}); err != nil {
					t.Fatal(err)
				}
			}
			if err := store.FinishIntegrityCheck(ctx, db.W, store.IntegrityCheck{ID: id, FinishedAt: at.Add(time.Second),
				Findings: int64(len(kinds)), Status: store.CheckGaps}); err != nil {
				t.Fatal(err)
			}
			return id
		}
		check("acme/api", day, "issues", "pull_requests")
		check("acme/api", day.AddDate(0, 0, 1), "issues")
		latest := check("acme/api", day.AddDate(0, 0, 40), "pull_requests")
		lone := check("acme", day, "teams")
		unfinished, err := store.StartIntegrityCheck(ctx, db.W, "acme", day.AddDate(0, 0, 41))
		if err != nil {
			t.Fatal(err)
		}

		checks, err := store.LatestIntegrityChecks(ctx, db.R)
		if err != nil {
			t.Fatal(err)
		}
		if len(checks) != 2 || checks[0].ID != lone || checks[1].ID != latest {
			t.Fatalf("latest checks %+v; want acme's finished one and acme/api's third", checks)
		}
		open, err := store.OpenFindings(ctx, db.R)
		if err != nil {
			t.Fatal(err)
		}
		if open["pull_requests"] != 1 || open["teams"] != 1 || open["issues"] != 0 {
			t.Errorf("open findings %v; want one pull_requests (acme/api's latest) and one teams (acme's)", open)
		}

		// 30 days before the latest: acme/api's first two go with their
		// findings; acme's only finished check stays, as does the running one.
		n, err := store.PruneIntegrityChecks(ctx, db.W, day.AddDate(0, 0, 10))
		if err != nil || n != 2 {
			t.Fatalf("pruned %d checks (%v); want 2", n, err)
		}
		var checksLeft, findingsLeft int
		if err := db.R.QueryRow(`SELECT COUNT(*) FROM integrity_checks`).Scan(&checksLeft); err != nil {
			t.Fatal(err)
		}
		if err := db.R.QueryRow(`SELECT COUNT(*) FROM integrity_findings`).Scan(&findingsLeft); err != nil {
			t.Fatal(err)
		}
		if checksLeft != 3 || findingsLeft != 2 {
			t.Errorf("%d checks and %d findings left; want 3 (latest, lone, unfinished %d) and 2", checksLeft, findingsLeft, unfinished)
		}
	})
}
