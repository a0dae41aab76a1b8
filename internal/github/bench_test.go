package github_test

import (
	"context"
	"testing"
	"time"

	"github.com/sextant-dev/sextant/internal/github"
	"github.com/sextant-dev/sextant/internal/github/githubtest"
	"github.com/sextant-dev/sextant/internal/store"
	"github.com/sextant-dev/sextant/internal/store/storetest"
)

// pullSync is what the sync step does for a repository's pull requests
// with this client: a conditional probe (free when nothing changed), then
// GraphQL pages newest first down to the watermark, then the probe's
// validator stored with the rows.
func pullSync(ctx context.Context, tb testing.TB, c *github.Client, db *store.DB, owner, name string, watermark time.Time) (time.Time, github.Cost, int) {
	tb.Helper()
	probe, err := c.ProbePulls(ctx, owner, name)
	if err != nil {
		tb.Fatal(err)
	}
	cost := probe.Cost
	if !probe.Changed {
		return watermark, cost, 0
	}
	next, n := watermark, 0
	for after := ""; ; {
		p, err := c.PullRequests(ctx, owner, name, github.PullQuery{After: after, Since: watermark})
		if err != nil {
			tb.Fatal(err)
		}
		cost = cost.Add(p.Cost)
		if after == "" && len(p.Items) > 0 {
			next = p.Items[0].Pull.UpdatedAt
		}
		n += len(p.Items)
		if p.Done {
			break
		}
		after = p.Next
	}
	v := probe.Validator
	if err := store.SaveHTTPCache(ctx, db.W, store.HTTPCacheEntry{URL: v.URL, ETag: v.ETag, LastModified: v.LastModified}); err != nil {
		tb.Fatal(err)
	}
	return next, cost, n
}

// BenchmarkFetchEfficiency fetches one repository of 5,000 pull requests
// (1 to 5 reviews each) in full, again with nothing changed, and again
// after 50 pull requests changed, and reports the rate-limit points as the
// fake charges them the way GitHub documents.
func BenchmarkFetchEfficiency(b *testing.B) {
	const pulls = 5000
	ctx := context.Background()
	var full, nochange, changed github.Cost
	for b.Loop() {
		b.StopTimer()
		db := storetest.Open(b, store.SQLite)
		e := newEnv(b, githubtest.Options{}, github.Options{Validators: db})
		r := e.repo("big", pulls)
		b.StartTimer()

		wm, c, n := pullSync(ctx, b, e.client, db, "acme", "big", time.Time{})
		if n != pulls {
			b.Fatalf("full fetch: %d pull requests; want %d", n, pulls)
		}
		full = c
		wm, nochange, n = pullSync(ctx, b, e.client, db, "acme", "big", wm)
		if n != 0 {
			b.Fatalf("no-change fetch: %d pull requests", n)
		}
		b.StopTimer()
		e.clock.Advance(time.Hour)
		e.fake.Mutate(func(st *githubtest.State) { st.TouchPulls(r, 50, e.clock.Now()) })
		b.StartTimer()
		_, changed, n = pullSync(ctx, b, e.client, db, "acme", "big", wm)
		// The 50 changed, plus the one at the watermark itself.
		if n != 51 {
			b.Fatalf("changed fetch: %d pull requests; want 51", n)
		}
		if got := e.fake.Stats().Points(); got != full.Points()+nochange.Points()+changed.Points() {
			b.Fatalf("fake charged %d points, client counted %d", got, full.Points()+nochange.Points()+changed.Points())
		}
	}
	b.ReportMetric(float64(full.Points())*1000/pulls, "full_points/1000prs")
	b.ReportMetric(float64(full.Requests), "full_requests")
	b.ReportMetric(float64(nochange.Points()), "nochange_points")
	b.ReportMetric(float64(nochange.Requests), "nochange_requests")
	b.ReportMetric(float64(changed.Points()), "changed_points")
	b.ReportMetric(float64(changed.Requests), "changed_requests")
}
