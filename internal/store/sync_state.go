package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// SyncState is the progress of one kind of sync for one scope (an
// organization, a repository, "demo"): a watermark (the newest time known
// complete) and an opaque checkpoint to resume from.
type SyncState struct {
	Scope      string
	Kind       string
	Watermark  time.Time
	Checkpoint string
	UpdatedAt  time.Time
}

// GetSyncState returns the state of (scope, kind); ok is false when there
// is none yet.
func GetSyncState(ctx context.Context, q Querier, scope, kind string) (s SyncState, ok bool, err error) {
	var (
		wm         sql.NullInt64
		checkpoint sql.NullString
		updated    int64
	)
	err = q.QueryRowContext(ctx, `SELECT watermark, checkpoint, updated_at FROM sync_state WHERE scope = $1 AND kind = $2`,
		scope, kind).Scan(&wm, &checkpoint, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return SyncState{Scope: scope, Kind: kind}, false, nil
	}
	if err != nil {
		return s, false, fmt.Errorf("get sync state %s/%s: %w", scope, kind, err)
	}
	return SyncState{Scope: scope, Kind: kind, Watermark: Time(wm), Checkpoint: checkpoint.String,
		UpdatedAt: Time(sql.NullInt64{Int64: updated, Valid: true})}, true, nil
}

// PutSyncState stores s, replacing the state of its scope and kind.
func PutSyncState(ctx context.Context, q Querier, s SyncState) error {
	_, err := q.ExecContext(ctx, `
		INSERT INTO sync_state (scope, kind, watermark, checkpoint, updated_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (scope, kind) DO UPDATE SET watermark = excluded.watermark, checkpoint = excluded.checkpoint,
			updated_at = excluded.updated_at`,
		s.Scope, s.Kind, Millis(s.Watermark), nullString(s.Checkpoint), s.UpdatedAt.UnixMilli())
	if err != nil {
		return fmt.Errorf("put sync state %s/%s: %w", s.Scope, s.Kind, err)
	}
	return nil
}
