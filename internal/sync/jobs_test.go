package sync_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/sextant-dev/sextant/internal/github/githubtest"
	"github.com/sextant-dev/sextant/internal/jobs"
	"github.com/sextant-dev/sextant/internal/store"
	"github.com/sextant-dev/sextant/internal/store/storetest"
	ghsync "github.com/sextant-dev/sextant/internal/sync"
)

// The schedules fan out through the queue: a github.sync job per due
// schedule, one github.sync_org per organization, one github.sync_repo per
// repository, each unique-keyed so a schedule never piles them up; and
// running them syncs the organization.
func TestScheduledSyncThroughTheQueue(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	e := newEnv(t, db, githubtest.Options{}, ghsync.Options{})
	e.loadDemo(t)
	ctx := context.Background()
	runner := jobs.New(db, slog.New(slog.DiscardHandler), nil, jobs.Options{Now: e.clock.Now})
	if err := e.syncer.Register(ctx, runner, nil); err != nil {
		t.Fatal(err)
	}
	if err := runner.FireDue(ctx); err != nil {
		t.Fatal(err)
	}
	// The 30-minute and 10-minute schedules are due at once; the daily
	// one at 05:00 UTC is not (the clock says 12:00).
	if n := count(t, e, `SELECT COUNT(*) FROM jobs WHERE kind = $1`, ghsync.KindSync); n != 2 {
		t.Fatalf("%d fan-out jobs; want 2", n)
	}
	for {
		ran, err := runner.RunOne(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !ran {
			break
		}
	}
	repos := count(t, e, `SELECT COUNT(*) FROM repositories WHERE github_id IS NOT NULL AND owner = $1`, e.org)
	for kind, want := range map[string]int{ghsync.KindSyncOrg: 2, ghsync.KindSyncRepo: 2 * repos} {
		if n := count(t, e, `SELECT COUNT(*) FROM jobs WHERE kind = $1 AND state = 'done'`, kind); n != want {
			t.Errorf("%d %s jobs done; want %d", n, kind, want)
		}
	}
	sameAsFake(t, e)

	// A job of the same schedule and repository is not enqueued twice while
	// one is pending.
	j, err := ghsync.RepoJob(ghsync.ScheduleSync, e.org+"/x", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, inserted, err := runner.Enqueue(ctx, j); err != nil || !inserted {
		t.Fatalf("first enqueue: %t, %v", inserted, err)
	}
	if _, inserted, err := runner.Enqueue(ctx, j); err != nil || inserted {
		t.Errorf("second enqueue while pending: inserted %t, %v; want dropped", inserted, err)
	}
}
