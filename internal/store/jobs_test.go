package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sextant-dev/sextant/internal/store"
	"github.com/sextant-dev/sextant/internal/store/storetest"
)

var t0 = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)

func TestEnqueueUniqueKeyWhileLive(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		job := store.NewJob{Kind: "sync", Args: `{"repo":"a/b"}`, UniqueKey: "sync:a/b", MaxAttempts: 3}
		id1, ins1, err := store.EnqueueJobIn(ctx, db.W, job, t0)
		if err != nil || !ins1 {
			t.Fatalf("first enqueue = %d, %v, %v", id1, ins1, err)
		}
		id2, ins2, err := store.EnqueueJobIn(ctx, db.W, job, t0)
		if err != nil || ins2 || id2 != id1 {
			t.Fatalf("duplicate enqueue = %d, %v, %v; want dropped in favour of %d", id2, ins2, err, id1)
		}
		// Still a duplicate while running.
		j, err := db.LeaseJob(ctx, "w1", []string{"sync"}, time.Minute, t0)
		if err != nil || j == nil || j.ID != id1 {
			t.Fatalf("lease = %+v, %v", j, err)
		}
		if _, ins, _ := store.EnqueueJobIn(ctx, db.W, job, t0); ins {
			t.Fatal("enqueue while the keyed job runs was inserted")
		}
		if err := db.CompleteJob(ctx, id1, "w1", t0); err != nil {
			t.Fatal(err)
		}
		// Done: the key is free again.
		id3, ins3, err := store.EnqueueJobIn(ctx, db.W, job, t0)
		if err != nil || !ins3 || id3 == id1 {
			t.Fatalf("enqueue after done = %d, %v, %v; want a new job", id3, ins3, err)
		}
	})
}

func TestLeaseOrderAndKinds(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		low, _, _ := store.EnqueueJobIn(ctx, db.W, store.NewJob{Kind: "a", Priority: 0}, t0)
		high, _, _ := store.EnqueueJobIn(ctx, db.W, store.NewJob{Kind: "a", Priority: 5}, t0.Add(time.Second))
		later, _, _ := store.EnqueueJobIn(ctx, db.W, store.NewJob{Kind: "a", Priority: 9, RunAt: t0.Add(time.Hour)}, t0)
		other, _, _ := store.EnqueueJobIn(ctx, db.W, store.NewJob{Kind: "b", Priority: 9}, t0)

		now := t0.Add(2 * time.Second)
		var got []int64
		for {
			j, err := db.LeaseJob(ctx, "w", []string{"a"}, time.Minute, now)
			if err != nil {
				t.Fatal(err)
			}
			if j == nil {
				break
			}
			got = append(got, j.ID)
		}
		if len(got) != 2 || got[0] != high || got[1] != low {
			t.Errorf("leased %v, want high priority %d then %d (not the future job %d nor kind b %d)", got, high, low, later, other)
		}
	})
}

func TestExpiredLeaseReturnsJob(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		id, _, _ := store.EnqueueJobIn(ctx, db.W, store.NewJob{Kind: "k", MaxAttempts: 5}, t0)
		j, err := db.LeaseJob(ctx, "dead", []string{"k"}, time.Minute, t0)
		if err != nil || j == nil {
			t.Fatalf("lease: %v %v", j, err)
		}
		if again, _ := db.LeaseJob(ctx, "w2", []string{"k"}, time.Minute, t0.Add(30*time.Second)); again != nil {
			t.Fatalf("job %d leased twice inside its lease", again.ID)
		}
		again, err := db.LeaseJob(ctx, "w2", []string{"k"}, time.Minute, t0.Add(61*time.Second))
		if err != nil || again == nil || again.ID != id || again.Attempts != 2 || again.LeaseOwner != "w2" {
			t.Fatalf("after expiry lease = %+v, %v; want job %d, attempt 2, owner w2", again, err, id)
		}
		// The dead worker's late ack must not count.
		if err := db.CompleteJob(ctx, id, "dead", t0.Add(62*time.Second)); !errors.Is(err, store.ErrLeaseLost) {
			t.Errorf("ack by the old owner = %v, want ErrLeaseLost", err)
		}
		if err := db.CompleteJob(ctx, id, "w2", t0.Add(62*time.Second)); err != nil {
			t.Errorf("ack by the new owner: %v", err)
		}
		got, _ := db.GetJob(ctx, id)
		if got.State != store.JobDone {
			t.Errorf("state = %s, want done", got.State)
		}
	})
}

func TestRetryThenFailKeepsLastError(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		id, _, _ := store.EnqueueJobIn(ctx, db.W, store.NewJob{Kind: "k", MaxAttempts: 2}, t0)
		j, _ := db.LeaseJob(ctx, "w", []string{"k"}, time.Minute, t0)
		if err := db.RetryJob(ctx, j.ID, "w", t0.Add(10*time.Second), "boom 1", t0); err != nil {
			t.Fatal(err)
		}
		if j, _ := db.LeaseJob(ctx, "w", []string{"k"}, time.Minute, t0.Add(5*time.Second)); j != nil {
			t.Fatal("retried job leased before its backoff ended")
		}
		j, _ = db.LeaseJob(ctx, "w", []string{"k"}, time.Minute, t0.Add(10*time.Second))
		if j == nil || j.Attempts != 2 || j.LastError != "boom 1" {
			t.Fatalf("second lease = %+v", j)
		}
		if err := db.FailJob(ctx, id, "w", "boom 2", t0.Add(11*time.Second)); err != nil {
			t.Fatal(err)
		}
		got, _ := db.GetJob(ctx, id)
		if got.State != store.JobFailed || got.LastError != "boom 2" || got.FinishedAt.IsZero() {
			t.Errorf("job = %+v, want failed with last error boom 2", got)
		}
		counts, err := db.CountJobs(ctx)
		if err != nil || len(counts) != 1 || counts[0] != (store.JobCount{Kind: "k", State: "failed", Count: 1}) {
			t.Errorf("counts = %+v, %v", counts, err)
		}
	})
}

func TestFireScheduleOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := store.Schedule{Name: "nightly", Kind: "reconcile", Interval: time.Hour, NextRun: t0, Enabled: true}
		if err := db.SaveSchedule(ctx, s, t0); err != nil {
			t.Fatal(err)
		}
		due, err := db.DueSchedules(ctx, t0)
		if err != nil || len(due) != 1 {
			t.Fatalf("due = %+v, %v", due, err)
		}
		// Two replicas act on the same observation; only one fires.
		f1, err1 := db.FireSchedule(ctx, due[0], t0.Add(time.Hour), 3, t0)
		f2, err2 := db.FireSchedule(ctx, due[0], t0.Add(time.Hour), 3, t0)
		if err1 != nil || err2 != nil || !f1 || f2 {
			t.Fatalf("fired = %v, %v (errs %v, %v); want exactly the first", f1, f2, err1, err2)
		}
		counts, _ := db.CountJobs(ctx)
		if len(counts) != 1 || counts[0].Count != 1 || counts[0].Kind != "reconcile" {
			t.Errorf("jobs = %+v, want one reconcile job", counts)
		}
		// Saving the same definition again keeps the next run time.
		if err := db.SaveSchedule(ctx, s, t0); err != nil {
			t.Fatal(err)
		}
		all, _ := db.Schedules(ctx)
		if len(all) != 1 || !all[0].NextRun.Equal(t0.Add(time.Hour)) {
			t.Errorf("schedules = %+v, want next run kept at %v", all, t0.Add(time.Hour))
		}
	})
}
