package sync_test

import (
	"testing"

	"github.com/sextant-dev/sextant/internal/github/githubtest"
	"github.com/sextant-dev/sextant/internal/store"
	"github.com/sextant-dev/sextant/internal/store/storetest"
	ghsync "github.com/sextant-dev/sextant/internal/sync"
)

// A first sync of a generated organization stores exactly what the fake
// GitHub holds: members, teams, pull requests with reviews, issues with
// their timelines, transfers, deployments with statuses and shipped
// commits, workflow runs with jobs, releases.
func TestFullSyncEqualsGitHub(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, githubtest.Options{}, ghsync.Options{})
		sum := e.loadDemo(t, 3)
		if sum.IssueTransfers == 0 {
			t.Fatal("the demo transferred no issue; the test needs one")
		}
		e.sync(t, ghsync.Mode{Members: true})
		sameAsFake(t, e)
	})
}
