package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sextant-dev/sextant/internal/core"
)

// WebhookDelivery is a raw GitHub webhook delivery as stored: the body is
// kept compressed (BodyEncoding names how) so projections can be rebuilt.
type WebhookDelivery struct {
	ID              int64
	DeliveryID      string // X-GitHub-Delivery
	Event           string // X-GitHub-Event
	Action          string
	HookID          int64
	InstallationID  int64
	RepoFullName    string
	ReceivedAt      time.Time
	Body            []byte
	BodyEncoding    string
	BodySize        int64 // uncompressed
	ProjectedAt     time.Time
	ProjectionError string
}

// InsertDeliveries stores deliveries in one statement each, in order, and
// returns the id each got, or 0 for a delivery id already stored (a
// redelivery, left as it is). A delivery projected in the same
// transaction is inserted with its ProjectedAt.
func InsertDeliveries(ctx context.Context, q Querier, ds []WebhookDelivery) ([]int64, error) {
	inserted := make([]int64, len(ds))
	for i, d := range ds {
		var id int64
		err := q.QueryRowContext(ctx, `
			INSERT INTO webhook_deliveries (delivery_id, event, action, hook_id, installation_id, repo_full_name,
				received_at, body, body_encoding, body_size, projected_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
			ON CONFLICT (delivery_id) DO NOTHING
			RETURNING id`,
			d.DeliveryID, d.Event, nullString(d.Action), nullInt(d.HookID), nullInt(d.InstallationID),
			nullString(d.RepoFullName), d.ReceivedAt.UnixMilli(), d.Body, d.BodyEncoding, d.BodySize,
			Millis(d.ProjectedAt)).Scan(&id)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return nil, fmt.Errorf("store delivery %s: %w", d.DeliveryID, err)
		default:
			inserted[i] = id
		}
	}
	return inserted, nil
}

const deliveryColumns = `id, delivery_id, event, action, hook_id, installation_id, repo_full_name, received_at,
	body, body_encoding, body_size, projected_at, projection_error`

func scanDeliveries(rows *sql.Rows) ([]WebhookDelivery, error) {
	defer rows.Close()
	var out []WebhookDelivery
	for rows.Next() {
		var (
			d                     WebhookDelivery
			action, repo, projErr sql.NullString
			hook, inst, projected sql.NullInt64
			received              int64
		)
		if err := rows.Scan(&d.ID, &d.DeliveryID, &d.Event, &action, &hook, &inst, &repo, &received, &d.Body,
			&d.BodyEncoding, &d.BodySize, &projected, &projErr); err != nil {
			return nil, fmt.Errorf("read deliveries: %w", err)
		}
		d.Action, d.HookID, d.InstallationID, d.RepoFullName = action.String, hook.Int64, inst.Int64, repo.String
		d.ReceivedAt, d.ProjectedAt, d.ProjectionError = time.UnixMilli(received).UTC(), Time(projected), projErr.String
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read deliveries: %w", err)
	}
	return out, nil
}

// PendingDeliveries returns up to limit deliveries not projected yet with
// an id above afterID, oldest first.
func PendingDeliveries(ctx context.Context, q Querier, afterID int64, limit int) ([]WebhookDelivery, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries
		WHERE projected_at IS NULL AND id > $1 ORDER BY id LIMIT $2`, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("list pending deliveries: %w", err)
	}
	return scanDeliveries(rows)
}

// DeliveryFilter selects deliveries for a replay. Zero fields do not
// filter.
type DeliveryFilter struct {
	Since time.Time // received at or after
	Event string
}

// ListDeliveries returns up to limit deliveries matching f with an id above
// afterID, in id order.
func ListDeliveries(ctx context.Context, q Querier, f DeliveryFilter, afterID int64, limit int) ([]WebhookDelivery, error) {
	where, args := deliveryWhere(f, afterID)
	args = append(args, limit)
	rows, err := q.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries WHERE `+where+
		fmt.Sprintf(` ORDER BY id LIMIT $%d`, len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	return scanDeliveries(rows)
}

// CountDeliveries counts the deliveries matching f.
func CountDeliveries(ctx context.Context, q Querier, f DeliveryFilter) (int64, error) {
	where, args := deliveryWhere(f, 0)
	var n int64
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM webhook_deliveries WHERE `+where, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count deliveries: %w", err)
	}
	return n, nil
}

func deliveryWhere(f DeliveryFilter, afterID int64) (string, []any) {
	conds, args := []string{"id > $1"}, []any{afterID}
	if !f.Since.IsZero() {
		args = append(args, f.Since.UnixMilli())
		conds = append(conds, fmt.Sprintf("received_at >= $%d", len(args)))
	}
	if f.Event != "" {
		args = append(args, f.Event)
		conds = append(conds, fmt.Sprintf("event = $%d", len(args)))
	}
	return strings.Join(conds, " AND "), args
}

// ClaimDeliveries, inside a projection's transaction, returns those of ids
// that are still waiting for projection, locking them on PostgreSQL so a
// replica projecting at the same time skips them.
func (db *DB) ClaimDeliveries(ctx context.Context, tx *sql.Tx, ids []int64) (map[int64]bool, error) {
	out := map[int64]bool{}
	if len(ids) == 0 {
		return out, nil
	}
	in, args := placeholders(ids, 1)
	claimed, err := column[int64](tx.QueryContext(ctx, `SELECT id FROM webhook_deliveries
		WHERE id IN (`+in+`) AND projected_at IS NULL`+db.skipLocked(), args...))
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	for _, id := range claimed {
		out[id] = true
	}
	return out, nil
}

// MarkProjected records that a delivery was projected at at, with the
// error its projection met (empty when none).
func MarkProjected(ctx context.Context, q Querier, id int64, at time.Time, projErr string) error {
	_, err := q.ExecContext(ctx, `UPDATE webhook_deliveries SET projected_at = $1, projection_error = $2 WHERE id = $3`,
		at.UnixMilli(), nullString(projErr), id)
	if err != nil {
		return fmt.Errorf("mark delivery %d projected: %w", id, err)
	}
	return nil
}

// MarkProjectedOK records that deliveries were projected at at without
// error.
func MarkProjectedOK(ctx context.Context, q Querier, ids []int64, at time.Time) error {
	for start := 0; start < len(ids); start += 500 {
		part := ids[start:min(start+500, len(ids))]
		in, args := placeholders(part, 2)
		_, err := q.ExecContext(ctx, `UPDATE webhook_deliveries SET projected_at = $1, projection_error = NULL
			WHERE id IN (`+in+`)`, append([]any{at.UnixMilli()}, args...)...)
		if err != nil {
			return fmt.Errorf("mark deliveries projected: %w", err)
		}
	}
	return nil
}

// StoredDeliveryIDs returns which of ids (X-GitHub-Delivery values) are
// stored.
func StoredDeliveryIDs(ctx context.Context, q Querier, ids []string) ([]string, error) {
	out := []string{}
	const chunk = 500
	for start := 0; start < len(ids); start += chunk {
		part := ids[start:min(start+chunk, len(ids))]
		in, args := placeholders(part, 1)
		found, err := column[string](q.QueryContext(ctx, `SELECT delivery_id FROM webhook_deliveries
			WHERE delivery_id IN (`+in+`)`, args...))
		if err != nil {
			return nil, fmt.Errorf("find stored deliveries: %w", err)
		}
		out = append(out, found...)
	}
	return out, nil
}

// DeliveryByID returns one stored delivery by its X-GitHub-Delivery id.
func DeliveryByID(ctx context.Context, q Querier, deliveryID string) (WebhookDelivery, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries WHERE delivery_id = $1`, deliveryID)
	if err != nil {
		return WebhookDelivery{}, fmt.Errorf("get delivery %s: %w", deliveryID, err)
	}
	ds, err := scanDeliveries(rows)
	if err != nil {
		return WebhookDelivery{}, err
	}
	if len(ds) == 0 {
		return WebhookDelivery{}, core.Errorf(core.CodeNotFound, "delivery %s is not stored", deliveryID)
	}
	return ds[0], nil
}

// CountPendingDeliveries counts the deliveries not projected yet (a
// partial index keeps it cheap).
func CountPendingDeliveries(ctx context.Context, q Querier) (int64, error) {
	var n int64
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM webhook_deliveries WHERE projected_at IS NULL`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count pending deliveries: %w", err)
	}
	return n, nil
}
