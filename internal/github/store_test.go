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

// Validators kept in the http_cache table make a repeated probe a free 304,
// on both engines; a change makes it a full answer again.
func TestValidatorsInStore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, githubtest.Options{}, github.Options{Validators: db})
		r := e.repo("api", 30)
		ctx := context.Background()
		p, err := e.client.ProbePulls(ctx, "acme", "api")
		if err != nil || !p.Changed || p.Cost.RESTPoints != 1 || p.Newest.IsZero() {
			t.Fatalf("first probe: %+v, %v", p, err)
		}
		if err := store.SaveHTTPCache(ctx, db.W, store.HTTPCacheEntry{URL: p.Validator.URL, ETag: p.Validator.ETag, LastModified: p.Validator.LastModified}); err != nil {
			t.Fatal(err)
		}
		before := e.fake.Stats().Points()
		p, err = e.client.ProbePulls(ctx, "acme", "api")
		if err != nil || p.Changed || p.Cost.Points() != 0 || p.Cost.NotModified != 1 || e.fake.Stats().Points() != before {
			t.Errorf("repeated probe: %+v, %v; want unchanged and free", p, err)
		}
		e.fake.Mutate(func(st *githubtest.State) { st.TouchPulls(r, 1, e.clock.Now().Add(time.Minute)) })
		p, err = e.client.ProbePulls(ctx, "acme", "api")
		if err != nil || !p.Changed || p.Cost.RESTPoints != 1 {
			t.Errorf("after a change: %+v, %v", p, err)
		}
	})
}
