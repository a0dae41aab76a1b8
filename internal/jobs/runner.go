// Package jobs runs Sextant's background work from the durable queue in the
// database: a pool of workers that lease jobs, and a scheduler that turns
// due schedules into jobs exactly once across all replicas.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/sextant-dev/sextant/internal/store"
	"github.com/sextant-dev/sextant/internal/telemetry"
)

// Handler runs one job. An error retries the job with backoff until its
// attempts run out; wrap it with Permanent to fail it at once.
type Handler func(ctx context.Context, job *store.Job) error

type permanentError struct{ err error }

func (p permanentError) Error() string { return p.err.Error() }
func (p permanentError) Unwrap() error { return p.err }

// Permanent marks err as not worth retrying.
func Permanent(err error) error { return permanentError{err} }

// Options configure a Runner.
type Options struct {
	Workers      int
	Lease        time.Duration
	PollInterval time.Duration
	MaxAttempts  int
	// BackoffBase is the first retry delay; each further attempt doubles it
	// up to BackoffMax. Zero means 1s and 1h.
	BackoffBase, BackoffMax time.Duration
	// Owner names this process in leases; default host:pid:random.
	Owner string
	Now   func() time.Time
}

// Runner leases and runs jobs and fires schedules.
type Runner struct {
	db       *store.DB
	log      *slog.Logger
	metrics  *telemetry.Metrics
	opts     Options
	mu       sync.Mutex
	handlers map[string]Handler
	wake     chan struct{}
}

// New returns a Runner; register handlers with Handle before Run.
func New(db *store.DB, log *slog.Logger, metrics *telemetry.Metrics, opts Options) *Runner {
	if opts.Lease <= 0 {
		opts.Lease = 5 * time.Minute
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = time.Second
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 8
	}
	if opts.BackoffBase <= 0 {
		opts.BackoffBase = time.Second
	}
	if opts.BackoffMax <= 0 {
		opts.BackoffMax = time.Hour
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Owner == "" {
		host, _ := os.Hostname()
		opts.Owner = fmt.Sprintf("%s:%d:%04x", host, os.Getpid(), rand.IntN(1<<16))
	}
	return &Runner{db: db, log: log, metrics: metrics, opts: opts, handlers: map[string]Handler{}, wake: make(chan struct{}, 1)}
}

// Handle registers the handler of a job kind.
func (r *Runner) Handle(kind string, h Handler) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.handlers[kind] = h
}

func (r *Runner) kinds() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	ks := make([]string, 0, len(r.handlers))
	for k := range r.handlers {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// Enqueue adds a job and wakes an idle worker of this process.
func (r *Runner) Enqueue(ctx context.Context, j store.NewJob) (int64, bool, error) {
	if j.MaxAttempts == 0 {
		j.MaxAttempts = r.opts.MaxAttempts
	}
	id, inserted, err := store.EnqueueJobIn(ctx, r.db.W, j, r.opts.Now())
	if err == nil && inserted {
		select {
		case r.wake <- struct{}{}:
		default:
		}
	}
	return id, inserted, err
}

// Schedule stores a recurring job. Every replica may call it at start; the
// row is shared, and its next run time survives restarts.
func (r *Runner) Schedule(ctx context.Context, name, kind, args string, spec Spec) error {
	now := r.opts.Now()
	return r.db.SaveSchedule(ctx, store.Schedule{
		Name: name, Kind: kind, Args: args,
		Interval: spec.Interval, DailyAt: spec.DailyAt,
		NextRun: spec.First(now), Enabled: true,
	}, now)
}

// Run starts the workers and the scheduler and blocks until ctx is done.
// Then it stops leasing and waits up to drain for running jobs; jobs still
// running after that have their context cancelled and go back to the queue.
func (r *Runner) Run(ctx context.Context, drain time.Duration) {
	jobCtx, cancelJobs := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelJobs()
	var wg sync.WaitGroup
	for i := 0; i < r.opts.Workers; i++ {
		wg.Go(func() { r.work(ctx, jobCtx) })
	}
	wg.Go(func() { r.schedule(ctx) })
	<-ctx.Done()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(drain):
		r.log.Warn("jobs still running after the shutdown timeout; cancelling them", "timeout", drain)
		cancelJobs()
		<-done
	}
}

func (r *Runner) work(ctx, jobCtx context.Context) {
	for ctx.Err() == nil {
		ran, err := r.RunOne(jobCtx)
		if err != nil && ctx.Err() == nil {
			r.log.Error("job queue", "err", err)
		}
		if ran {
			continue
		}
		select {
		case <-ctx.Done():
		case <-r.wake:
		case <-time.After(jitter(r.opts.PollInterval)):
		}
	}
}

// RunOne leases one due job and runs it. It reports whether there was one.
func (r *Runner) RunOne(ctx context.Context) (bool, error) {
	job, err := r.db.LeaseJob(ctx, r.opts.Owner, r.kinds(), r.opts.Lease, r.opts.Now())
	if err != nil || job == nil {
		return false, err
	}
	return true, r.run(ctx, job)
}

func (r *Runner) run(ctx context.Context, job *store.Job) error {
	log := r.log.With("job", job.ID, "kind", job.Kind, "attempt", job.Attempts)
	if job.Attempts > job.MaxAttempts {
		// A worker died holding the last attempt's lease.
		r.observe(job.Kind, "failed", 0)
		return r.db.FailJob(ctx, job.ID, r.opts.Owner, "lease expired on the last attempt", r.opts.Now())
	}
	r.mu.Lock()
	h := r.handlers[job.Kind]
	r.mu.Unlock()

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	stopBeat := r.heartbeat(runCtx, cancel, job, log)
	start := time.Now()
	herr := safeCall(runCtx, h, job)
	stopBeat()
	elapsed := time.Since(start)
	now := r.opts.Now()

	// Acks use ctx without its cancel: a job finished during shutdown must
	// still be recorded.
	ackCtx := context.WithoutCancel(ctx)
	switch {
	case herr == nil:
		r.observe(job.Kind, "done", elapsed)
		log.Debug("job done", "duration", elapsed)
		return r.db.CompleteJob(ackCtx, job.ID, r.opts.Owner, now)
	case errors.As(herr, new(permanentError)) || job.Attempts >= job.MaxAttempts:
		r.observe(job.Kind, "failed", elapsed)
		log.Error("job failed", "err", herr)
		return r.db.FailJob(ackCtx, job.ID, r.opts.Owner, herr.Error(), now)
	default:
		delay := r.Backoff(job.Attempts)
		r.observe(job.Kind, "retry", elapsed)
		log.Warn("job will retry", "err", herr, "in", delay.Round(time.Millisecond))
		return r.db.RetryJob(ackCtx, job.ID, r.opts.Owner, now.Add(delay), herr.Error(), now)
	}
}

func safeCall(ctx context.Context, h Handler, job *store.Job) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("job panicked: %v", p)
		}
	}()
	return h(ctx, job)
}

// heartbeat extends the lease while the job runs, at a third of the lease,
// and cancels the job if the lease was lost to another worker.
func (r *Runner) heartbeat(ctx context.Context, cancel context.CancelFunc, job *store.Job, log *slog.Logger) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(r.opts.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				err := r.db.ExtendLease(ctx, job.ID, r.opts.Owner, r.opts.Now().Add(r.opts.Lease))
				if errors.Is(err, store.ErrLeaseLost) {
					log.Warn("job lease lost; stopping it", "err", err)
					cancel()
					return
				}
				if err != nil && ctx.Err() == nil {
					log.Warn("extend job lease", "err", err)
				}
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

func (r *Runner) observe(kind, outcome string, d time.Duration) {
	if r.metrics == nil {
		return
	}
	r.metrics.JobsFinished.WithLabelValues(kind, outcome).Inc()
	if outcome != "failed" || d > 0 {
		r.metrics.JobDuration.WithLabelValues(kind).Observe(d.Seconds())
	}
}

// Backoff is the delay before attempt+1: exponential from BackoffBase,
// capped at BackoffMax, with jitter between half and all of it so retries
// of many jobs that failed together spread out.
func (r *Runner) Backoff(attempt int) time.Duration {
	d := r.opts.BackoffBase
	for i := 1; i < attempt && d < r.opts.BackoffMax; i++ {
		d *= 2
	}
	d = min(d, r.opts.BackoffMax)
	return d/2 + rand.N(d/2+1)
}

func jitter(d time.Duration) time.Duration {
	return d*3/4 + rand.N(d/2+1)
}

func (r *Runner) schedule(ctx context.Context) {
	for {
		if err := r.FireDue(ctx); err != nil && ctx.Err() == nil {
			r.log.Error("scheduler", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(jitter(r.opts.PollInterval)):
		}
	}
}

// FireDue enqueues the job of every due schedule once, and returns how many
// this process fired.
func (r *Runner) FireDue(ctx context.Context) error {
	now := r.opts.Now()
	due, err := r.db.DueSchedules(ctx, now)
	if err != nil {
		return err
	}
	for _, s := range due {
		spec := Spec{Interval: s.Interval, DailyAt: s.DailyAt}
		fired, err := r.db.FireSchedule(ctx, s, spec.Next(s.NextRun, now), r.opts.MaxAttempts, now)
		if err != nil {
			return err
		}
		if fired {
			r.log.Debug("schedule fired", "schedule", s.Name, "kind", s.Kind, "due", s.NextRun)
			select {
			case r.wake <- struct{}{}:
			default:
			}
		}
	}
	return nil
}
