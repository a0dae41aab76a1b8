package metrics_test

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sextant-dev/sextant/internal/demo"
	"github.com/sextant-dev/sextant/internal/demo/demodb"
	"github.com/sextant-dev/sextant/internal/metrics"
	"github.com/sextant-dev/sextant/internal/store"
	"github.com/sextant-dev/sextant/internal/store/storetest"
)

// benchVersion names the cached benchmark database; change it when the
// generator or the loader changes so that a stale cache is not reused.
const benchVersion = "v5"

// benchDemo is the dataset of the metrics benchmarks: the large demo
// organization (about 100,000 pull requests, 300,000 reviews and 35,000
// deployments in a year), loaded through the real intake like any other.
var benchDemo = demo.Options{Seed: 8, Scale: demo.Large, End: time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)}

// benchYear is the dataset's whole year, so a summary reads every row.
func benchYear() url.Values {
	return url.Values{"from": {"2025-07-01"}, "to": {"2026-07-01"}, "interval": {metrics.Week}}
}

// benchYearWith is benchYear with more parameters, as name, value pairs.
func benchYearWith(kv ...string) url.Values {
	q := benchYear()
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	return q
}

func filter(b *testing.B, q url.Values) metrics.Filter {
	b.Helper()
	f, err := metrics.ParseFilter(q, benchDemo.End)
	if err != nil {
		b.Fatal(err)
	}
	return f
}

// benchDB opens the large demo on an engine, loading it the first time
// (SQLite: a file in the temporary directory; PostgreSQL: a schema of the
// SEXTANT_TEST_POSTGRES database), and brings its derived tables up to
// date. A load takes tens of minutes; an interrupted one starts again
// where it stopped, since the loader is idempotent.
func benchDB(b *testing.B, d store.Dialect) (*store.DB, *metrics.Engine) {
	b.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var dsn string
	switch d {
	case store.SQLite:
		dsn = filepath.Join(os.TempDir(), "sextant-bench-"+benchVersion+".db")
	case store.Postgres:
		base := os.Getenv(storetest.PostgresEnv)
		if base == "" {
			b.Skipf("PostgreSQL benchmarks skipped: set %s", storetest.PostgresEnv)
		}
		schema := "sextant_bench_" + benchVersion
		admin, err := sql.Open("pgx", base)
		if err != nil {
			b.Fatal(err)
		}
		defer admin.Close()
		if _, err := admin.ExecContext(ctx, `CREATE SCHEMA IF NOT EXISTS `+schema); err != nil {
			b.Fatal(err)
		}
		dsn = withSearchPath(b, base, schema)
	}
	// Bulk: a benchmark's database can always be loaded again, and the
	// load is then not bound by waiting for the disk.
	db, err := store.Open(ctx, dsn, store.Options{Bulk: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if _, ok, err := demodb.Loaded(ctx, db); err != nil {
		b.Fatal(err)
	} else if !ok {
		start := time.Now()
		sum, err := demodb.Load(ctx, db, benchDemo, log, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("loaded the large demo in %s: %d pull requests, %d reviews, %d deployments", time.Since(start).Round(time.Second),
			sum.PullRequests, sum.Reviews, sum.Deployments)
	}
	roster, err := demo.Describe(benchDemo)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	e, err := demodb.Engine(ctx, db, roster, log)
	if err != nil {
		b.Fatal(err)
	}
	if d := time.Since(start); d > time.Second {
		b.Logf("derived the metrics before the benchmark in %s", d.Round(time.Second))
	}
	return db, e
}

func withSearchPath(b *testing.B, base, schema string) string {
	u, err := url.Parse(base)
	if err != nil {
		b.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func engines(b *testing.B, fn func(b *testing.B, db *store.DB, e *metrics.Engine)) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		b.Run(string(d), func(b *testing.B) {
			db, e := benchDB(b, d)
			fn(b, db, e)
		})
	}
}

// BenchmarkDORASummary is the DORA summary of one year for everything:
// the five metrics, the previous period, a weekly series and the breakdown
// per repository and team. Target: at most 150 ms on SQLite.
func BenchmarkDORASummary(b *testing.B) {
	engines(b, func(b *testing.B, db *store.DB, e *metrics.Engine) {
		ctx := context.Background()
		f := filter(b, benchYear())
		var d *metrics.DORA
		for b.Loop() {
			var err error
			if d, err = e.DORA(ctx, f); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(d.DeploymentFrequency.Deployments), "deployments")
		b.ReportMetric(float64(d.LeadTime.Changes), "changes")
	})
}

// BenchmarkLeaderboard is a one-year leaderboard of everyone (the first
// page of 100), with the previous period's ranks. Target: at most 200 ms
// on SQLite.
func BenchmarkLeaderboard(b *testing.B) {
	engines(b, func(b *testing.B, db *store.DB, e *metrics.Engine) {
		ctx := context.Background()
		for _, tc := range []struct {
			name string
			q    url.Values
		}{
			{"person", benchYearWith("group", metrics.GroupPerson)},
			{"team", benchYearWith("group", metrics.GroupTeam)},
			{"org", benchYearWith("group", metrics.GroupOrg)},
			// Mid-month to mid-month: whole months plus two partial ones.
			{"person_unaligned", benchYearWith("group", metrics.GroupPerson, "from", "2025-07-16", "to", "2026-06-16")},
		} {
			b.Run(tc.name, func(b *testing.B) {
				tc.q.Set("limit", "100")
				lq, err := metrics.ParseLeaderboardQuery(tc.q, benchDemo.End)
				if err != nil {
					b.Fatal(err)
				}
				var l *metrics.Leaderboard
				for b.Loop() {
					if l, err = e.Leaderboard(ctx, lq); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(l.Total), "entries")
			})
		}
	})
}

// BenchmarkFlow and BenchmarkLists have no targets; they keep an eye on
// the other endpoints over the same data.
func BenchmarkFlow(b *testing.B) {
	engines(b, func(b *testing.B, db *store.DB, e *metrics.Engine) {
		f := filter(b, benchYear())
		for b.Loop() {
			if _, err := e.Flow(context.Background(), f); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkLists(b *testing.B) {
	engines(b, func(b *testing.B, db *store.DB, e *metrics.Engine) {
		ctx := context.Background()
		b.Run("deployments", func(b *testing.B) {
			q, err := metrics.ParseDeploymentQuery(benchYearWith("limit", "100"), benchDemo.End)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := e.Deployments(ctx, q); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("pulls", func(b *testing.B) {
			q, err := metrics.ParsePullQuery(benchYearWith("by", "deployed", "limit", "100"), benchDemo.End)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := e.Pulls(ctx, q); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

// BenchmarkRefresh derives everything from scratch (empty derived tables),
// then measures an incremental refresh after one repository changed.
// Run it with -benchtime 1x.
func BenchmarkRefresh(b *testing.B) {
	engines(b, func(b *testing.B, db *store.DB, e *metrics.Engine) {
		ctx := context.Background()
		b.Run("full", func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				for _, t := range append(metrics.DerivedTableNames, "metric_state", "metric_changes") {
					if _, err := db.W.ExecContext(ctx, `DELETE FROM `+t); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				st, err := e.Refresh(ctx, true)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(st.Inserted), "rows")
			}
		})
		b.Run("one_repository", func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				if _, err := db.W.ExecContext(ctx, `UPDATE pull_requests SET updated_at = updated_at + 1
					WHERE id = (SELECT MIN(id) FROM pull_requests)`); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				st, err := e.Refresh(ctx, false)
				if err != nil {
					b.Fatal(err)
				}
				if st.Repos != 1 {
					b.Fatalf("refreshed %+v; want one repository", st)
				}
			}
		})
	})
}
