package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/sextant-dev/sextant/internal/core"
	"github.com/sextant-dev/sextant/internal/store"
	"github.com/sextant-dev/sextant/internal/store/storetest"
)

// A transfer found by asking GitHub for an old number knows no old issue
// id: it is keyed by the negated new id, finding it again changes nothing,
// and once the transfer with the real old id is known (a webhook) the
// stand-in goes.
func TestFoundTransferGivesWayToTheRealOne(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
		found := core.IssueTransfer{OldRepoID: 1, OldNumber: 7, NewIssueID: 900, NewRepoID: 2, NewNumber: 3, TransferredAt: at}
		for range 2 {
			if err := store.RecordFoundTransfer(ctx, db.W, found); err != nil {
				t.Fatal(err)
			}
		}
		rows := func() map[int64]int {
			t.Helper()
			out := map[int64]int{}
			rs, err := db.R.Query(`SELECT old_issue_id, new_number FROM issue_transfers`)
			if err != nil {
				t.Fatal(err)
			}
			defer rs.Close()
			for rs.Next() {
				var id int64
				var n int
				if err := rs.Scan(&id, &n); err != nil {
					t.Fatal(err)
				}
				out[id] = n
			}
			return out
		}
		if got := rows(); len(got) != 1 || got[-900] != 3 {
			t.Fatalf("transfers %v; want one keyed -900", got)
		}
		real := found
		real.OldIssueID = 555
		if err := store.RecordIssueTransfer(ctx, db.W, real); err != nil {
			t.Fatal(err)
		}
		if err := store.DropStandInTransfers(ctx, db.W); err != nil {
			t.Fatal(err)
		}
		if got := rows(); len(got) != 1 || got[555] != 3 {
			t.Errorf("transfers %v; want only the real one, 555", got)
		}
		// Found again later: it joins the real one.
		if err := store.RecordFoundTransfer(ctx, db.W, found); err != nil {
			t.Fatal(err)
		}
		if got := rows(); len(got) != 1 || got[555] != 3 {
			t.Errorf("transfers %v after finding it again; want only 555", got)
		}
	})
}

// A deployment GitHub made inactive after it succeeded still counts as
// successful when the commits between deployments are compared.
func TestDeploymentsToCompareCountsInactiveSuccesses(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
		var ids []int64
		for i, sha := range []string{"aaa", "bbb", "ccc"} {
			id, err := store.UpsertDeployment(ctx, db.W, core.Deployment{Source: core.SourceGitHub, SourceID: string(rune('1' + i)),
				RepoID: 1, Environment: "production", SHA: sha, CreatedAt: at.Add(time.Duration(i) * time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		status := func(id int64, sid, state string, d time.Duration) {
			t.Helper()
			if err := store.AddDeploymentStatus(ctx, db.W, id, core.DeploymentStatus{SourceID: sid, State: state, CreatedAt: at.Add(d)}); err != nil {
				t.Fatal(err)
			}
		}
		status(ids[0], "s1", core.DeploySuccess, time.Minute)
		status(ids[0], "s2", core.DeployInactive, 2*time.Hour) // superseded by the third
		status(ids[1], "s3", core.DeployFailure, time.Hour+time.Minute)
		status(ids[2], "s4", core.DeploySuccess, 2*time.Hour+time.Minute)
		pairs, err := store.DeploymentsToCompare(ctx, db.R, 1)
		if err != nil {
			t.Fatal(err)
		}
		// The failed second shipped nothing: the third's base is the first.
		want := []store.ShippedPair{{DeploymentID: ids[0], SHA: "aaa"}, {DeploymentID: ids[2], SHA: "ccc", BaseSHA: "aaa"}}
		if len(pairs) != 2 || pairs[0] != want[0] || pairs[1] != want[1] {
			t.Errorf("pairs %+v; want %+v", pairs, want)
		}
		if err := store.SetDeploymentCommits(ctx, db.W, ids[2], []string{"BBB", "ccc"}, at); err != nil {
			t.Fatal(err)
		}
		pairs, err = store.DeploymentsToCompare(ctx, db.R, 1)
		if err != nil || len(pairs) != 1 || pairs[0].DeploymentID != ids[0] {
			t.Errorf("after the third's commits: %+v, %v; want only the first left", pairs, err)
		}
		shas, err := store.DeploymentCommits(ctx, db.R, ids[2])
		if err != nil || len(shas) != 2 || shas[0] != "bbb" || shas[1] != "ccc" {
			t.Errorf("commits of the third: %v, %v; want bbb, ccc", shas, err)
		}
	})
}
