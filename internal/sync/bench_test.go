package sync_test

import (
	"context"
	"testing"
	"time"

	"github.com/sextant-dev/sextant/internal/github/githubtest"
	"github.com/sextant-dev/sextant/internal/store"
	"github.com/sextant-dev/sextant/internal/store/storetest"
	ghsync "github.com/sextant-dev/sextant/internal/sync"
)

// BenchmarkSyncEfficiency syncs one repository of 5,000 pull requests (1
// to 5 reviews each) from the fake GitHub into SQLite: in full, again with
// nothing changed, and again after 50 pull requests changed. It reports
// the rate-limit points as the fake charges them, the way GitHub
// documents, and the requests.
func BenchmarkSyncEfficiency(b *testing.B) {
	const pulls = 5000
	ctx := context.Background()
	var full, nochange, changed githubtest.Stats
	for b.Loop() {
		b.StopTimer()
		db := storetest.Open(b, store.SQLite)
		e := newEnv(b, db, githubtest.Options{}, ghsync.Options{})
		var r *githubtest.Repo
		e.fake.Mutate(func(st *githubtest.State) {
			r = st.AddRepo("acme", "big", start.AddDate(-1, 0, 0))
			st.AddPulls(r, pulls, e.clock.Now(), githubtest.PullSpec{MinReviews: 1, MaxReviews: 5, Seed: 7})
		})
		s := ghsync.New(db, e.client, ghsync.Options{Repos: []string{"acme/big"}, Now: e.clock.Now})
		run := func(what string) githubtest.Stats {
			e.fake.ResetStats()
			b.StartTimer()
			err := s.Run(ctx, ghsync.Mode{})
			b.StopTimer()
			if err != nil {
				b.Fatalf("%s: %v", what, err)
			}
			return e.fake.Stats()
		}
		full = run("full sync")
		if n := count(b, e, `SELECT COUNT(*) FROM pull_requests`); n != pulls {
			b.Fatalf("full sync stored %d pull requests; want %d", n, pulls)
		}
		e.clock.Advance(time.Hour)
		nochange = run("no-change sync")
		e.clock.Advance(time.Hour)
		e.fake.Mutate(func(st *githubtest.State) { st.TouchPulls(r, 50, e.clock.Now()) })
		changed = run("changed sync")
		if n := count(b, e, `SELECT COUNT(*) FROM pull_requests WHERE title LIKE '%(edited)'`); n != 50 {
			b.Fatalf("changed sync stored %d edited pull requests; want 50", n)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(full.Points())*1000/pulls, "full_points/1000prs")
	b.ReportMetric(float64(full.Requests), "full_requests")
	b.ReportMetric(float64(nochange.Points()), "nochange_points")
	b.ReportMetric(float64(nochange.Requests), "nochange_requests")
	b.ReportMetric(float64(changed.Points()), "changed_points")
	b.ReportMetric(float64(changed.Requests), "changed_requests")
	b.Logf("full: %v; no change: %v; changed: %v", full.ByRoute, nochange.ByRoute, changed.ByRoute)
}
