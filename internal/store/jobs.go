package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Job states.
const (
	JobPending = "pending"
	JobRunning = "running"
	JobDone    = "done"
	JobFailed  = "failed"
)

// ErrLeaseLost is returned when a worker acks a job whose lease it no
// longer holds: the lease expired and the job went back to the queue.
var ErrLeaseLost = errors.New("job lease lost")

// NewJob is a job to enqueue.
type NewJob struct {
	Kind string
	Args string // JSON; "{}" when empty
	// UniqueKey, when set, drops this job if one with the same key is
	// pending or running.
	UniqueKey   string
	Priority    int // higher runs first
	RunAt       time.Time
	MaxAttempts int
}

// Job is a job as stored.
type Job struct {
	ID          int64
	Kind        string
	Args        string
	UniqueKey   string
	Priority    int
	State       string
	Attempts    int
	MaxAttempts int
	RunAt       time.Time
	LeaseOwner  string
	LeasedUntil time.Time
	LastError   string
	CreatedAt   time.Time
	FinishedAt  time.Time
}

// Querier is what *sql.DB and *sql.Tx have in common, so a job can be
// enqueued inside the transaction that makes it necessary.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// EnqueueJob adds a job. It returns the job's id and whether it was
// inserted; a job dropped as a duplicate returns the live job's id.
func (db *DB) EnqueueJob(ctx context.Context, j NewJob) (int64, bool, error) {
	return EnqueueJobIn(ctx, db.W, j, time.Now())
}

// EnqueueJobIn enqueues through q (a transaction, usually) at time now.
func EnqueueJobIn(ctx context.Context, q Querier, j NewJob, now time.Time) (int64, bool, error) {
	if j.Kind == "" {
		return 0, false, errors.New("enqueue job: empty kind")
	}
	if j.Args == "" {
		j.Args = "{}"
	}
	if j.MaxAttempts <= 0 {
		j.MaxAttempts = 8
	}
	runAt := j.RunAt
	if runAt.IsZero() {
		runAt = now
	}
	var key sql.NullString
	if j.UniqueKey != "" {
		key = sql.NullString{String: j.UniqueKey, Valid: true}
	}
	var id int64
	err := q.QueryRowContext(ctx, `
		INSERT INTO jobs (kind, args, unique_key, priority, state, attempts, max_attempts, run_at, created_at, updated_at)
		VALUES ($1, $2, $3, $4, 'pending', 0, $5, $6, $7, $7)
		ON CONFLICT DO NOTHING
		RETURNING id`,
		j.Kind, j.Args, key, j.Priority, j.MaxAttempts, runAt.UnixMilli(), now.UnixMilli()).Scan(&id)
	if err == nil {
		return id, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, false, fmt.Errorf("enqueue %s job: %w", j.Kind, err)
	}
	err = q.QueryRowContext(ctx, `
		SELECT id FROM jobs WHERE unique_key = $1 AND state IN ('pending', 'running')`, key).Scan(&id)
	if err != nil {
		return 0, false, fmt.Errorf("enqueue %s job: find live duplicate of %q: %w", j.Kind, j.UniqueKey, err)
	}
	return id, false, nil
}

const jobColumns = `id, kind, args, unique_key, priority, state, attempts, max_attempts, run_at,
	lease_owner, leased_until, last_error, created_at, finished_at`

func scanJob(row interface{ Scan(...any) error }) (*Job, error) {
	var (
		j                     Job
		key, owner, lastErr   sql.NullString
		runAt, created        int64
		leasedUntil, finished sql.NullInt64
	)
	err := row.Scan(&j.ID, &j.Kind, &j.Args, &key, &j.Priority, &j.State, &j.Attempts, &j.MaxAttempts,
		&runAt, &owner, &leasedUntil, &lastErr, &created, &finished)
	if err != nil {
		return nil, err
	}
	j.UniqueKey, j.LeaseOwner, j.LastError = key.String, owner.String, lastErr.String
	j.RunAt, j.CreatedAt = time.UnixMilli(runAt).UTC(), time.UnixMilli(created).UTC()
	j.LeasedUntil, j.FinishedAt = Time(leasedUntil), Time(finished)
	return &j, nil
}

// LeaseJob claims the next due job for owner until now+lease: a pending job
// whose time has come, or a running job whose lease has expired (its worker
// died). Higher priority first, then the oldest run_at. It returns nil and
// no error when nothing is due.
// Only jobs of the given kinds are claimed, so a replica never takes a job
// it has no handler for.
func (db *DB) LeaseJob(ctx context.Context, owner string, kinds []string, lease time.Duration, now time.Time) (*Job, error) {
	if len(kinds) == 0 {
		return nil, nil
	}
	args := []any{owner, now.Add(lease).UnixMilli(), now.UnixMilli()}
	in := make([]string, len(kinds))
	for i, k := range kinds {
		args = append(args, k)
		in[i] = "$" + strconv.Itoa(len(args))
	}
	row := db.W.QueryRowContext(ctx, `
		UPDATE jobs SET state = 'running', lease_owner = $1, leased_until = $2,
			attempts = attempts + 1, updated_at = $3
		WHERE id = (
			SELECT id FROM jobs
			WHERE ((state = 'pending' AND run_at <= $3) OR (state = 'running' AND leased_until < $3))
			  AND kind IN (`+strings.Join(in, ", ")+`)
			ORDER BY priority DESC, run_at, id
			LIMIT 1`+db.skipLocked()+`)
		RETURNING `+jobColumns, args...)
	j, err := scanJob(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("lease job: %w", err)
	}
	return j, nil
}

// finishJob moves a job this owner holds to a new state.
func (db *DB) finishJob(ctx context.Context, id int64, owner, state string, runAt time.Time, lastErr sql.NullString, now time.Time) error {
	var finished sql.NullInt64
	if state == JobDone || state == JobFailed {
		finished = Millis(now)
	}
	res, err := db.W.ExecContext(ctx, `
		UPDATE jobs SET state = $1, run_at = $2, last_error = COALESCE($3, last_error),
			lease_owner = NULL, leased_until = NULL, updated_at = $4, finished_at = $5
		WHERE id = $6 AND lease_owner = $7 AND state = 'running'`,
		state, runAt.UnixMilli(), lastErr, now.UnixMilli(), finished, id, owner)
	if err != nil {
		return fmt.Errorf("mark job %d %s: %w", id, state, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("mark job %d %s: %w", id, state, ErrLeaseLost)
	}
	return nil
}

// CompleteJob marks a leased job done.
func (db *DB) CompleteJob(ctx context.Context, id int64, owner string, now time.Time) error {
	return db.finishJob(ctx, id, owner, JobDone, now, sql.NullString{}, now)
}

// RetryJob returns a leased job to the queue to run again at runAt.
func (db *DB) RetryJob(ctx context.Context, id int64, owner string, runAt time.Time, cause string, now time.Time) error {
	return db.finishJob(ctx, id, owner, JobPending, runAt, sql.NullString{String: cause, Valid: true}, now)
}

// FailJob marks a leased job failed for good, keeping cause as its last error.
func (db *DB) FailJob(ctx context.Context, id int64, owner, cause string, now time.Time) error {
	return db.finishJob(ctx, id, owner, JobFailed, now, sql.NullString{String: cause, Valid: true}, now)
}

// ExtendLease pushes the lease of a running job to until.
func (db *DB) ExtendLease(ctx context.Context, id int64, owner string, until time.Time) error {
	res, err := db.W.ExecContext(ctx, `
		UPDATE jobs SET leased_until = $1 WHERE id = $2 AND lease_owner = $3 AND state = 'running'`,
		until.UnixMilli(), id, owner)
	if err != nil {
		return fmt.Errorf("extend lease of job %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("extend lease of job %d: %w", id, ErrLeaseLost)
	}
	return nil
}

// GetJob returns one job.
func (db *DB) GetJob(ctx context.Context, id int64) (*Job, error) {
	j, err := scanJob(db.R.QueryRowContext(ctx, `SELECT `+jobColumns+` FROM jobs WHERE id = $1`, id))
	if err != nil {
		return nil, fmt.Errorf("get job %d: %w", id, err)
	}
	return j, nil
}

// JobCount is the number of jobs of one kind in one state.
type JobCount struct {
	Kind  string
	State string
	Count int64
}

// CountJobs counts jobs by kind and state.
func (db *DB) CountJobs(ctx context.Context) ([]JobCount, error) {
	rows, err := db.R.QueryContext(ctx, `SELECT kind, state, COUNT(*) FROM jobs GROUP BY kind, state ORDER BY kind, state`)
	if err != nil {
		return nil, fmt.Errorf("count jobs: %w", err)
	}
	defer rows.Close()
	var out []JobCount
	for rows.Next() {
		var c JobCount
		if err := rows.Scan(&c.Kind, &c.State, &c.Count); err != nil {
			return nil, fmt.Errorf("count jobs: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
