package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sextant-dev/sextant/internal/jobs"
	"github.com/sextant-dev/sextant/internal/store"
	"github.com/sextant-dev/sextant/internal/store/storetest"
	"github.com/sextant-dev/sextant/internal/telemetry"
)

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// Four workers in four "processes" (each its own connection pool and lease
// owner) drain 1,000 jobs; every job runs exactly once.
func TestWorkersRunEachJobOnce(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			dsn := storetest.DSN(t, d)
			ctx := context.Background()
			const n = 1000
			var runs [n + 1]atomic.Int32
			var total atomic.Int32

			dbs := make([]*store.DB, 4)
			for i := range dbs {
				db, err := store.Open(ctx, dsn, store.Options{})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				dbs[i] = db
			}
			for i := 1; i <= n; i++ {
				if _, _, err := dbs[0].EnqueueJob(ctx, store.NewJob{Kind: "count", Args: fmt.Sprintf(`{"n":%d}`, i)}); err != nil {
					t.Fatal(err)
				}
			}
			runCtx, cancel := context.WithCancel(ctx)
			defer cancel()
			var wg sync.WaitGroup
			for i, db := range dbs {
				r := jobs.New(db, quietLog(), nil, jobs.Options{Workers: 1, PollInterval: 20 * time.Millisecond, Owner: fmt.Sprintf("replica-%d", i)})
				r.Handle("count", func(ctx context.Context, j *store.Job) error {
					var k int
					fmt.Sscanf(j.Args, `{"n":%d}`, &k)
					runs[k].Add(1)
					if total.Add(1) == n {
						cancel()
					}
					return nil
				})
				wg.Go(func() { r.Run(runCtx, 5*time.Second) })
			}
			select {
			case <-runCtx.Done():
			case <-time.After(2 * time.Minute):
				cancel()
				t.Fatal("workers did not drain the queue")
			}
			wg.Wait()
			for k := 1; k <= n; k++ {
				if c := runs[k].Load(); c != 1 {
					t.Errorf("job %d ran %d times, want once", k, c)
				}
			}
			counts, err := dbs[0].CountJobs(ctx)
			if err != nil || len(counts) != 1 || counts[0].State != store.JobDone || counts[0].Count != n {
				t.Errorf("queue = %+v, %v; want %d done", counts, err, n)
			}
		})
	}
}

// A fake clock so retries and leases can be stepped through without sleeping.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

func TestRetryBackoffThenFail(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := &clock{now: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)}
		metrics := telemetry.New()
		r := jobs.New(db, quietLog(), metrics, jobs.Options{MaxAttempts: 3, BackoffBase: time.Second, Now: clk.Now, Owner: "w"})
		calls := 0
		r.Handle("flaky", func(ctx context.Context, j *store.Job) error {
			calls++
			return fmt.Errorf("attempt %d failed", j.Attempts)
		})
		id, _, err := r.Enqueue(ctx, store.NewJob{Kind: "flaky"})
		if err != nil {
			t.Fatal(err)
		}
		for attempt := 1; attempt <= 3; attempt++ {
			ran, err := r.RunOne(ctx)
			if err != nil || !ran {
				t.Fatalf("attempt %d: ran=%v err=%v", attempt, ran, err)
			}
			j, _ := db.GetJob(ctx, id)
			if attempt < 3 {
				// Backoff before attempt n+1 is within [base·2^(n-1)/2, base·2^(n-1)].
				wait := j.RunAt.Sub(clk.Now())
				max := time.Second << (attempt - 1)
				if j.State != store.JobPending || wait < max/2 || wait > max {
					t.Fatalf("after attempt %d: state %s, retry in %v; want pending, in [%v, %v]", attempt, j.State, wait, max/2, max)
				}
				if ran, _ := r.RunOne(ctx); ran {
					t.Fatalf("job ran again before its backoff elapsed")
				}
				clk.Advance(wait)
				continue
			}
			if j.State != store.JobFailed || j.LastError != "attempt 3 failed" {
				t.Fatalf("final job = %+v, want failed with the last error", j)
			}
		}
		if calls != 3 {
			t.Errorf("handler called %d times, want 3", calls)
		}
	})
}

func TestPermanentErrorFailsAtOnce(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	r := jobs.New(db, quietLog(), nil, jobs.Options{MaxAttempts: 5})
	r.Handle("bad", func(ctx context.Context, j *store.Job) error {
		return jobs.Permanent(errors.New("args are invalid"))
	})
	id, _, _ := r.Enqueue(ctx, store.NewJob{Kind: "bad"})
	if _, err := r.RunOne(ctx); err != nil {
		t.Fatal(err)
	}
	j, _ := db.GetJob(ctx, id)
	if j.State != store.JobFailed || j.Attempts != 1 {
		t.Errorf("job = %+v, want failed after one attempt", j)
	}
}

func TestPanicIsAFailedAttempt(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	r := jobs.New(db, quietLog(), nil, jobs.Options{MaxAttempts: 1})
	r.Handle("boom", func(ctx context.Context, j *store.Job) error { panic("nil map") })
	id, _, _ := r.Enqueue(ctx, store.NewJob{Kind: "boom"})
	if _, err := r.RunOne(ctx); err != nil {
		t.Fatal(err)
	}
	j, _ := db.GetJob(ctx, id)
	if j.State != store.JobFailed || j.LastError != "job panicked: nil map" {
		t.Errorf("job = %+v", j)
	}
}

// A worker that dies mid-job gives the job back when its lease runs out.
func TestDeadWorkerLeaseExpires(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := &clock{now: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)}
		id, _, _ := db.EnqueueJob(ctx, store.NewJob{Kind: "work", RunAt: clk.Now()})
		// The "dead" worker leases and never acks.
		if j, err := db.LeaseJob(ctx, "dead", []string{"work"}, time.Minute, clk.Now()); err != nil || j == nil {
			t.Fatalf("lease: %v %v", j, err)
		}
		r := jobs.New(db, quietLog(), nil, jobs.Options{Lease: time.Minute, Now: clk.Now, Owner: "alive"})
		done := 0
		r.Handle("work", func(ctx context.Context, j *store.Job) error { done++; return nil })
		if ran, _ := r.RunOne(ctx); ran {
			t.Fatal("job taken while the dead worker's lease was valid")
		}
		clk.Advance(61 * time.Second)
		if ran, err := r.RunOne(ctx); !ran || err != nil {
			t.Fatalf("after lease expiry: ran=%v err=%v", ran, err)
		}
		j, _ := db.GetJob(ctx, id)
		if done != 1 || j.State != store.JobDone {
			t.Errorf("done=%d state=%s, want the job finished by the live worker", done, j.State)
		}
	})
}

// Three replicas share one schedule; each occurrence runs once.
func TestScheduleOccurrenceRunsOnceAcrossReplicas(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := &clock{now: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)}
		var ran atomic.Int32
		var replicas []*jobs.Runner
		for i := range 3 {
			r := jobs.New(db, quietLog(), nil, jobs.Options{Now: clk.Now, Owner: fmt.Sprintf("r%d", i)})
			r.Handle("tick", func(ctx context.Context, j *store.Job) error { ran.Add(1); return nil })
			if err := r.Schedule(ctx, "ticker", "tick", "{}", jobs.Spec{Interval: 10 * time.Minute}); err != nil {
				t.Fatal(err)
			}
			replicas = append(replicas, r)
		}
		for occurrence := 1; occurrence <= 3; occurrence++ {
			var wg sync.WaitGroup
			for _, r := range replicas {
				wg.Go(func() {
					if err := r.FireDue(ctx); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			for _, r := range replicas {
				for {
					ok, err := r.RunOne(ctx)
					if err != nil {
						t.Fatal(err)
					}
					if !ok {
						break
					}
				}
			}
			if got := ran.Load(); got != int32(occurrence) {
				t.Fatalf("after occurrence %d the job ran %d times", occurrence, got)
			}
			clk.Advance(10 * time.Minute)
		}
	})
}
