package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"
)

// Schedule is a recurring job. Exactly one of Interval and DailyAt is set.
type Schedule struct {
	Name     string
	Kind     string
	Args     string
	Interval time.Duration
	DailyAt  string // "HH:MM" in UTC
	NextRun  time.Time
	LastRun  time.Time
	Enabled  bool
}

// SaveSchedule creates a schedule, or updates the definition of an existing
// one while keeping its next run time unless the timing itself changed.
func (db *DB) SaveSchedule(ctx context.Context, s Schedule, now time.Time) error {
	if s.Args == "" {
		s.Args = "{}"
	}
	var interval sql.NullInt64
	if s.Interval > 0 {
		interval = sql.NullInt64{Int64: s.Interval.Milliseconds(), Valid: true}
	}
	var daily sql.NullString
	if s.DailyAt != "" {
		daily = sql.NullString{String: s.DailyAt, Valid: true}
	}
	_, err := db.W.ExecContext(ctx, `
		INSERT INTO schedules (name, kind, args, interval_ms, daily_at, next_run_at, enabled, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (name) DO UPDATE SET
			kind = excluded.kind, args = excluded.args, enabled = excluded.enabled,
			next_run_at = CASE
				WHEN schedules.interval_ms IS NOT DISTINCT FROM excluded.interval_ms
				 AND schedules.daily_at IS NOT DISTINCT FROM excluded.daily_at
				THEN schedules.next_run_at ELSE excluded.next_run_at END,
			interval_ms = excluded.interval_ms, daily_at = excluded.daily_at,
			updated_at = excluded.updated_at`,
		s.Name, s.Kind, s.Args, interval, daily, s.NextRun.UnixMilli(), s.Enabled, now.UnixMilli())
	if err != nil {
		return fmt.Errorf("save schedule %s: %w", s.Name, err)
	}
	return nil
}

// DueSchedules lists enabled schedules whose next run is at or before now.
func (db *DB) DueSchedules(ctx context.Context, now time.Time) ([]Schedule, error) {
	return db.listSchedules(ctx, `WHERE enabled AND next_run_at <= $1`, now.UnixMilli())
}

// Schedules lists every schedule.
func (db *DB) Schedules(ctx context.Context) ([]Schedule, error) {
	return db.listSchedules(ctx, ``)
}

func (db *DB) listSchedules(ctx context.Context, where string, args ...any) ([]Schedule, error) {
	rows, err := db.R.QueryContext(ctx, `
		SELECT name, kind, args, interval_ms, daily_at, next_run_at, last_run_at, enabled
		FROM schedules `+where+` ORDER BY next_run_at, name`, args...)
	if err != nil {
		return nil, fmt.Errorf("list schedules: %w", err)
	}
	defer rows.Close()
	var out []Schedule
	for rows.Next() {
		var (
			s        Schedule
			interval sql.NullInt64
			daily    sql.NullString
			next     int64
			last     sql.NullInt64
		)
		if err := rows.Scan(&s.Name, &s.Kind, &s.Args, &interval, &daily, &next, &last, &s.Enabled); err != nil {
			return nil, fmt.Errorf("list schedules: %w", err)
		}
		s.Interval = time.Duration(interval.Int64) * time.Millisecond
		s.DailyAt = daily.String
		s.NextRun, s.LastRun = time.UnixMilli(next).UTC(), Time(last)
		out = append(out, s)
	}
	return out, rows.Err()
}

// FireSchedule claims the occurrence of s due at s.NextRun and enqueues its
// job, in one transaction. The claim is a compare-and-set on next_run_at, so
// when several replicas see the same due schedule exactly one of them fires
// it; the others get fired == false.
func (db *DB) FireSchedule(ctx context.Context, s Schedule, next time.Time, maxAttempts int, now time.Time) (fired bool, err error) {
	err = db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `
			UPDATE schedules SET next_run_at = $1, last_run_at = $2, updated_at = $2
			WHERE name = $3 AND next_run_at = $4`,
			next.UnixMilli(), now.UnixMilli(), s.Name, s.NextRun.UnixMilli())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		fired = true
		_, _, err = EnqueueJobIn(ctx, tx, NewJob{
			Kind:        s.Kind,
			Args:        s.Args,
			UniqueKey:   "schedule:" + s.Name + ":" + strconv.FormatInt(s.NextRun.UnixMilli(), 10),
			MaxAttempts: maxAttempts,
		}, now)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("fire schedule %s: %w", s.Name, err)
	}
	return fired, nil
}
