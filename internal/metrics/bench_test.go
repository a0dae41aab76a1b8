package metrics

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sextant-dev/sextant/internal/metrics/metricstest"
	"github.com/sextant-dev/sextant/internal/store"
	"github.com/sextant-dev/sextant/internal/store/storetest"
)

// benchVersion names the cached benchmark database; change it when the
// generator changes so that a stale cache is not reused.
const benchVersion = "v4"

// benchYear is the last of the dataset's two years; the previous period
// is the first, so a summary reads every row.
func benchYear(interval string) Filter {
	return Filter{From: time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC), Interval: interval}
}

// benchDB opens the large dataset on an engine, generating it the first
// time (SQLite: a file in the temporary directory; PostgreSQL: a schema of
// the SEXTANT_TEST_POSTGRES database), and brings its derived tables up to
// date.
func benchDB(b *testing.B, d store.Dialect) (*store.DB, *Engine) {
	b.Helper()
	ctx := context.Background()
	var db *store.DB
	switch d {
	case store.SQLite:
		path := filepath.Join(os.TempDir(), "sextant-bench-"+benchVersion+".db")
		if _, err := os.Stat(path); err != nil {
			tmp := path + ".tmp"
			for _, s := range []string{"", "-wal", "-shm"} {
				os.Remove(tmp + s)
			}
			gen, err := store.Open(ctx, tmp, store.Options{})
			if err != nil {
				b.Fatal(err)
			}
			sum, err := metricstest.GenerateLarge(ctx, gen, metricstest.Large())
			gen.Close()
			if err != nil {
				b.Fatal(err)
			}
			b.Logf("generated %+v", sum)
			if err := os.Rename(tmp, path); err != nil {
				b.Fatal(err)
			}
		}
		var err error
		if db, err = store.Open(ctx, path, store.Options{}); err != nil {
			b.Fatal(err)
		}
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
		var n int
		if admin.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+schema+`.pull_requests`).Scan(&n); n != metricstest.Large().Pulls {
			if _, err := admin.ExecContext(ctx, `DROP SCHEMA IF EXISTS `+schema+` CASCADE`); err != nil {
				b.Fatal(err)
			}
			if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
				b.Fatal(err)
			}
			gen, err := store.Open(ctx, withSearchPath(b, base, schema), store.Options{})
			if err != nil {
				b.Fatal(err)
			}
			sum, err := metricstest.GenerateLarge(ctx, gen, metricstest.Large())
			gen.Close()
			if err != nil {
				b.Fatal(err)
			}
			b.Logf("generated %+v", sum)
		}
		if db, err = store.Open(ctx, withSearchPath(b, base, schema), store.Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.Cleanup(func() { db.Close() })
	e := NewEngine(db, quiet, benchSettings())
	start := time.Now()
	st, err := e.Refresh(ctx, false)
	if err != nil {
		b.Fatal(err)
	}
	if st.Repos > 0 {
		b.Logf("refresh before the benchmark: %+v in %s", st, time.Since(start))
	}
	return db, e
}

func benchSettings() Settings {
	s := DefaultSettings()
	s.Weights.LabelBonuses = map[string]int{"complexity: high": 5}
	return s
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

func engines(b *testing.B, fn func(b *testing.B, db *store.DB, e *Engine)) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		b.Run(string(d), func(b *testing.B) {
			db, e := benchDB(b, d)
			fn(b, db, e)
		})
	}
}

// BenchmarkDORASummary is the DORA summary of one year for everything:
// the five metrics, the previous year, a weekly series and the breakdown
// per repository and team. Target: at most 150 ms on SQLite.
func BenchmarkDORASummary(b *testing.B) {
	engines(b, func(b *testing.B, db *store.DB, e *Engine) {
		ctx := context.Background()
		var d *DORA
		for b.Loop() {
			var err error
			if d, err = e.DORA(ctx, benchYear(Week)); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(d.DeploymentFrequency.Deployments), "deployments")
		b.ReportMetric(float64(d.LeadTime.Changes), "changes")
	})
}

// BenchmarkLeaderboard is a one-year leaderboard of everyone, with the
// previous year's ranks. Target: at most 200 ms on SQLite.
func BenchmarkLeaderboard(b *testing.B) {
	engines(b, func(b *testing.B, db *store.DB, e *Engine) {
		ctx := context.Background()
		for _, tc := range []struct {
			name  string
			group string
			from  time.Time
		}{
			{"person", GroupPerson, benchYear(Week).From},
			{"team", GroupTeam, benchYear(Week).From},
			{"org", GroupOrg, benchYear(Week).From},
			// 365 days ending mid-month: whole months plus two partial ones.
			{"person_unaligned", GroupPerson, time.Date(2025, 6, 16, 0, 0, 0, 0, time.UTC)},
		} {
			b.Run(tc.name, func(b *testing.B) {
				f := benchYear(Week)
				f.From = tc.from
				if tc.name == "person_unaligned" {
					f.To = f.From.AddDate(0, 0, 365)
				}
				var l *Leaderboard
				for b.Loop() {
					var err error
					if l, err = e.Leaderboard(ctx, LeaderboardQuery{Filter: f, Group: tc.group, limit: 100}); err != nil {
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
	engines(b, func(b *testing.B, db *store.DB, e *Engine) {
		for b.Loop() {
			if _, err := e.Flow(context.Background(), benchYear(Week)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkLists(b *testing.B) {
	engines(b, func(b *testing.B, db *store.DB, e *Engine) {
		ctx := context.Background()
		b.Run("deployments", func(b *testing.B) {
			for b.Loop() {
				if _, err := e.Deployments(ctx, DeploymentQuery{Filter: benchYear(Week), page: page{limit: 100}}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("pulls", func(b *testing.B) {
			for b.Loop() {
				if _, err := e.Pulls(ctx, PullQuery{Filter: benchYear(Week), By: "deployed", page: page{limit: 100}}); err != nil {
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
	engines(b, func(b *testing.B, db *store.DB, e *Engine) {
		ctx := context.Background()
		b.Run("full", func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				for _, t := range append(derivedTableNames, "metric_state", "metric_changes") {
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
				if _, err := db.W.ExecContext(ctx, `UPDATE pull_requests SET updated_at = updated_at + 1 WHERE id = 1000001`); err != nil {
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

// TestLargeGeneratorShape generates a small organization with the large
// generator and checks that it derives: the generator is code the
// benchmarks rely on.
func TestLargeGeneratorShape(t *testing.T) {
	eachEngine(t, func(t *testing.T, db *store.DB) {
		o := metricstest.Large()
		o.Repos, o.Teams, o.People, o.Pulls, o.Reviews, o.Deployments = 2, 2, 12, 200, 600, 120
		sum, err := metricstest.GenerateLarge(context.Background(), db, o)
		if err != nil {
			t.Fatal(err)
		}
		// Reviews are 1 to 5 a pull request; commits about 10.
		if sum.Pulls != 200 || sum.Reviews < 500 || sum.Reviews > 700 || sum.Deployments < 115 || sum.Deployments > 125 ||
			sum.Commits < 1600 || sum.Incidents != 2 {
			t.Errorf("generated %+v", sum)
		}
		e := NewEngine(db, quiet, benchSettings())
		refresh(t, e)
		both := Filter{From: o.Start, To: o.End, Interval: Month}
		d := mustDORA(t, e, both)
		if d.DeploymentFrequency.Deployments < 100 || d.LeadTime.Changes < 100 || d.ChangeFailureRate.FailedDeployments == 0 ||
			d.TimeToRestore.Incidents == 0 || d.LeadTime.DirectPushes.Commits == 0 {
			t.Errorf("derived %s", fmt.Sprintf("%+v", d.DORAValues))
		}
		l, err := e.Leaderboard(context.Background(), LeaderboardQuery{Filter: both, Group: GroupOrg, limit: 10})
		if err != nil || l.Total < 4 {
			t.Errorf("companies %+v %v", l, err)
		}
	})
}
