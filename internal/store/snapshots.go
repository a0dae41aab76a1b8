package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// MetricSnapshot is one computed value of a metric for a period, kept so
// that history survives changes in the underlying data.
type MetricSnapshot struct {
	ID          int64
	Name        string
	RepoID      int64 // 0: not one known repository (see Data)
	Environment string
	PeriodStart time.Time
	PeriodEnd   time.Time
	Value       float64
	Data        json.RawMessage
	ComputedAt  time.Time
}

// InsertMetricSnapshot stores s and returns its id.
func InsertMetricSnapshot(ctx context.Context, q Querier, s MetricSnapshot) (int64, error) {
	var data sql.NullString
	if len(s.Data) > 0 {
		data = sql.NullString{String: string(s.Data), Valid: true}
	}
	var id int64
	err := q.QueryRowContext(ctx, `
		INSERT INTO metric_snapshots (name, repo_id, environment, period_start, period_end, value, data, computed_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		s.Name, nullInt(s.RepoID), nullString(s.Environment), s.PeriodStart.UnixMilli(), s.PeriodEnd.UnixMilli(),
		s.Value, data, s.ComputedAt.UnixMilli()).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("insert %s snapshot: %w", s.Name, err)
	}
	return id, nil
}

// DeleteMetricSnapshots removes the snapshots of a metric for the period
// ending at end, so that recomputing a period replaces its values.
func DeleteMetricSnapshots(ctx context.Context, q Querier, name string, end time.Time) error {
	_, err := q.ExecContext(ctx, `DELETE FROM metric_snapshots WHERE name = $1 AND period_end = $2`, name, end.UnixMilli())
	if err != nil {
		return fmt.Errorf("delete %s snapshots: %w", name, err)
	}
	return nil
}

// MetricSnapshots lists the snapshots of a metric, newest period first,
// then by repository and environment.
func (db *DB) MetricSnapshots(ctx context.Context, name string, limit int) ([]MetricSnapshot, error) {
	if limit <= 0 {
		limit = 1000
	}
	rows, err := db.R.QueryContext(ctx, `
		SELECT id, name, repo_id, environment, period_start, period_end, value, data, computed_at
		FROM metric_snapshots WHERE name = $1
		ORDER BY period_end DESC, repo_id, environment, id LIMIT $2`, name, limit)
	if err != nil {
		return nil, fmt.Errorf("list %s snapshots: %w", name, err)
	}
	defer rows.Close()
	var out []MetricSnapshot
	for rows.Next() {
		var (
			s                    MetricSnapshot
			repoID               sql.NullInt64
			env, data            sql.NullString
			start, end, computed int64
			value                sql.NullFloat64
		)
		if err := rows.Scan(&s.ID, &s.Name, &repoID, &env, &start, &end, &value, &data, &computed); err != nil {
			return nil, fmt.Errorf("list %s snapshots: %w", name, err)
		}
		s.RepoID, s.Environment, s.Value = repoID.Int64, env.String, value.Float64
		s.PeriodStart, s.PeriodEnd, s.ComputedAt = time.UnixMilli(start).UTC(), time.UnixMilli(end).UTC(), time.UnixMilli(computed).UTC()
		if data.Valid {
			s.Data = json.RawMessage(data.String)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
