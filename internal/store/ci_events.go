package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sextant-dev/sextant/internal/core"
)

// InsertCIEvent stores e and sets e.ID. When e carries a client id that
// this token already used for the same event name, nothing is inserted and
// inserted is false: the caller returns the stored event instead.
func InsertCIEvent(ctx context.Context, q Querier, e *core.CIEvent) (inserted bool, err error) {
	var duration sql.NullInt64
	if e.DurationMS != nil {
		duration = sql.NullInt64{Int64: *e.DurationMS, Valid: true}
	}
	var metadata sql.NullString
	if len(e.Metadata) > 0 {
		metadata = sql.NullString{String: string(e.Metadata), Valid: true}
	}
	err = q.QueryRowContext(ctx, `
		INSERT INTO ci_events (token_id, client_id, event, repo, repo_id, at, sha, ref, environment, status,
			deployment, url, duration_ms, metadata, received_at, deployment_id, incident_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
		ON CONFLICT (token_id, client_id, event) DO NOTHING
		RETURNING id`,
		nullInt(e.TokenID), nullString(e.ClientID), e.Event, e.Repo, nullInt(e.RepoID), e.Time.UnixMilli(),
		nullString(e.SHA), nullString(e.Ref), nullString(e.Environment), nullString(e.Status),
		nullString(e.Deployment), nullString(e.URL), duration, metadata, e.ReceivedAt.UnixMilli(),
		nullInt(e.DeploymentID), nullInt(e.IncidentID)).Scan(&e.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("insert %s event for %s: %w", e.Event, e.Repo, err)
	}
	return true, nil
}

// LinkCIEvent records the deployment and incident an event created or
// affected.
func LinkCIEvent(ctx context.Context, q Querier, id, deploymentID, incidentID int64) error {
	_, err := q.ExecContext(ctx, `UPDATE ci_events SET deployment_id = $1, incident_id = $2 WHERE id = $3`,
		nullInt(deploymentID), nullInt(incidentID), id)
	if err != nil {
		return fmt.Errorf("link event %d: %w", id, err)
	}
	return nil
}

const ciEventColumns = `e.id, e.token_id, t.name, e.client_id, e.event, e.repo, e.repo_id, e.at, e.sha, e.ref,
	e.environment, e.status, e.deployment, e.url, e.duration_ms, e.metadata, e.received_at, e.deployment_id, e.incident_id`

const ciEventFrom = ` FROM ci_events e LEFT JOIN api_tokens t ON t.id = e.token_id `

func scanCIEvent(row interface{ Scan(...any) error }) (core.CIEvent, error) {
	var (
		e                                            core.CIEvent
		tokenID, repoID, duration, depID, incidentID sql.NullInt64
		token, clientID, sha, ref, env, status       sql.NullString
		deployment, url, metadata                    sql.NullString
		at, received                                 int64
	)
	err := row.Scan(&e.ID, &tokenID, &token, &clientID, &e.Event, &e.Repo, &repoID, &at, &sha, &ref,
		&env, &status, &deployment, &url, &duration, &metadata, &received, &depID, &incidentID)
	if err != nil {
		return e, err
	}
	e.TokenID, e.Token, e.ClientID, e.RepoID = tokenID.Int64, token.String, clientID.String, repoID.Int64
	e.Time, e.ReceivedAt = time.UnixMilli(at).UTC(), time.UnixMilli(received).UTC()
	e.SHA, e.Ref, e.Environment, e.Status = sha.String, ref.String, env.String, status.String
	e.Deployment, e.URL = deployment.String, url.String
	if duration.Valid {
		d := duration.Int64
		e.DurationMS = &d
	}
	if metadata.Valid {
		e.Metadata = json.RawMessage(metadata.String)
	}
	e.DeploymentID, e.IncidentID = depID.Int64, incidentID.Int64
	return e, nil
}

// GetCIEvent returns one event by id.
func GetCIEvent(ctx context.Context, q Querier, id int64) (core.CIEvent, error) {
	e, err := scanCIEvent(q.QueryRowContext(ctx, `SELECT `+ciEventColumns+ciEventFrom+`WHERE e.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return e, core.Errorf(core.CodeNotFound, "event %d not found", id)
	}
	if err != nil {
		return e, fmt.Errorf("get event %d: %w", id, err)
	}
	return e, nil
}

// CIEventByClientID returns the event the token stored under the client
// id and event name, or a not-found error.
func CIEventByClientID(ctx context.Context, q Querier, tokenID int64, clientID, event string) (core.CIEvent, error) {
	e, err := scanCIEvent(q.QueryRowContext(ctx, `SELECT `+ciEventColumns+ciEventFrom+`
		WHERE e.token_id = $1 AND e.client_id = $2 AND e.event = $3`, tokenID, clientID, event))
	if errors.Is(err, sql.ErrNoRows) {
		return e, core.Errorf(core.CodeNotFound, "no %s event with id %q", event, clientID)
	}
	if err != nil {
		return e, fmt.Errorf("find %s event %q: %w", event, clientID, err)
	}
	return e, nil
}

// CIDeploymentByReference resolves how a client names a deploy it reported
// to the deployment that deploy created. In order: the client id of a
// deploy event of the same token, the client id of another token's deploy
// (the newest), the id Sextant gave a deploy event. It returns 0 when
// nothing matches.
func CIDeploymentByReference(ctx context.Context, q Querier, tokenID int64, ref string) (int64, error) {
	queries := []struct {
		sql  string
		args []any
	}{
		{`SELECT deployment_id FROM ci_events WHERE token_id = $1 AND client_id = $2 AND event = 'deploy'
			AND deployment_id IS NOT NULL`, []any{tokenID, ref}},
		{`SELECT deployment_id FROM ci_events WHERE client_id = $1 AND event = 'deploy' AND deployment_id IS NOT NULL
			ORDER BY at DESC, id DESC LIMIT 1`, []any{ref}},
	}
	if n, err := strconv.ParseInt(ref, 10, 64); err == nil && n > 0 {
		queries = append(queries, struct {
			sql  string
			args []any
		}{`SELECT deployment_id FROM ci_events WHERE id = $1 AND event = 'deploy' AND deployment_id IS NOT NULL`, []any{n}})
	}
	for _, qu := range queries {
		var id int64
		err := q.QueryRowContext(ctx, qu.sql, qu.args...).Scan(&id)
		if err == nil {
			return id, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return 0, fmt.Errorf("resolve deployment %q: %w", ref, err)
		}
	}
	return 0, nil
}

// LatestSuccessfulDeployment returns the id of the newest deployment of a
// repository to an environment that succeeded at or before t, from any
// source, or 0 when there is none. A deployment counts as successful when
// it ever had a success status: GitHub later marks it inactive when a newer
// one replaces it.
func LatestSuccessfulDeployment(ctx context.Context, q Querier, repoID int64, environment string, t time.Time) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, `
		SELECT d.id FROM deployments d
		WHERE d.repo_id = $1 AND d.environment = $2 AND d.created_at <= $3
		  AND (d.status = 'success' OR EXISTS (
			SELECT 1 FROM deployment_statuses s WHERE s.deployment_id = d.id AND s.state = 'success'))
		ORDER BY COALESCE(d.finished_at, d.created_at) DESC, d.id DESC
		LIMIT 1`, repoID, environment, t.UnixMilli()).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("find latest successful deployment of repository %d to %s: %w", repoID, environment, err)
	}
	return id, nil
}

// RepositoryIDByNameFold returns the id of the repository named fullName,
// ignoring case as GitHub does, or 0 when none is known.
func RepositoryIDByNameFold(ctx context.Context, q Querier, fullName string) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, `SELECT id FROM repositories WHERE LOWER(full_name) = LOWER($1)
		ORDER BY CASE WHEN full_name = $1 THEN 0 ELSE 1 END, id LIMIT 1`, fullName).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("find repository %s: %w", fullName, err)
	}
	return id, nil
}

// CIEventFilter selects events for ListCIEvents. Zero fields do not filter.
type CIEventFilter struct {
	Repo  string
	Event string
	From  time.Time // inclusive
	To    time.Time // exclusive
	// After continues a listing after the event (AfterTime, AfterID), in
	// newest-first order.
	AfterTime time.Time
	AfterID   int64
	Limit     int
}

// ListCIEvents lists events newest first (by time, then id).
func (db *DB) ListCIEvents(ctx context.Context, f CIEventFilter) ([]core.CIEvent, error) {
	var (
		where []string
		args  []any
	)
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.Repo != "" {
		where = append(where, "e.repo = "+arg(f.Repo))
	}
	if f.Event != "" {
		where = append(where, "e.event = "+arg(f.Event))
	}
	if !f.From.IsZero() {
		where = append(where, "e.at >= "+arg(f.From.UnixMilli()))
	}
	if !f.To.IsZero() {
		where = append(where, "e.at < "+arg(f.To.UnixMilli()))
	}
	if f.AfterID != 0 {
		at := arg(f.AfterTime.UnixMilli())
		where = append(where, "(e.at < "+at+" OR (e.at = "+at+" AND e.id < "+arg(f.AfterID)+"))")
	}
	q := `SELECT ` + ciEventColumns + ciEventFrom
	if len(where) > 0 {
		q += "WHERE " + strings.Join(where, " AND ")
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	q += " ORDER BY e.at DESC, e.id DESC LIMIT " + arg(f.Limit)
	rows, err := db.R.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	defer rows.Close()
	var out []core.CIEvent
	for rows.Next() {
		e, err := scanCIEvent(rows)
		if err != nil {
			return nil, fmt.Errorf("list events: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// DeleteInternalCIEvents removes Sextant's own events of one name at one time, so
// that a recomputation replaces its earlier result instead of adding to it.
func DeleteInternalCIEvents(ctx context.Context, q Querier, event string, at time.Time) error {
	_, err := q.ExecContext(ctx, `DELETE FROM ci_events WHERE token_id IS NULL AND event = $1 AND at = $2`, event, at.UnixMilli())
	if err != nil {
		return fmt.Errorf("delete %s events at %s: %w", event, at.Format(time.RFC3339), err)
	}
	return nil
}
