package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/sextant-dev/sextant/internal/core"
)

// OpenIncident records that an incident opened, keyed by (source, source
// id), and returns its id. Reports may arrive in any order: when the
// resolution came first, the earlier opening time wins; fields already
// known are kept unless this report has them.
func OpenIncident(ctx context.Context, q Querier, inc core.Incident) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, `
		INSERT INTO incidents (source, source_id, repo_id, title, url, opened_at, deployment_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (source, source_id) DO UPDATE SET
			repo_id = COALESCE(excluded.repo_id, incidents.repo_id),
			title = COALESCE(excluded.title, incidents.title),
			url = COALESCE(excluded.url, incidents.url),
			opened_at = CASE WHEN excluded.opened_at < incidents.opened_at
				THEN excluded.opened_at ELSE incidents.opened_at END,
			deployment_id = COALESCE(excluded.deployment_id, incidents.deployment_id)
		RETURNING id`,
		inc.Source, inc.SourceID, nullInt(inc.RepoID), nullString(inc.Title), nullString(inc.URL),
		inc.OpenedAt.UnixMilli(), nullInt(inc.DeploymentID)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("open incident %s/%s: %w", inc.Source, inc.SourceID, err)
	}
	return id, nil
}

// ResolveIncident records that an incident was resolved at inc.ResolvedAt
// and returns its id. An incident not seen opening yet is created opened at
// its resolution time (a zero duration) until its opening arrives.
func ResolveIncident(ctx context.Context, q Querier, inc core.Incident) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, `
		INSERT INTO incidents (source, source_id, repo_id, title, url, opened_at, resolved_at, deployment_id)
		VALUES ($1, $2, $3, $4, $5, $6, $6, $7)
		ON CONFLICT (source, source_id) DO UPDATE SET
			repo_id = COALESCE(excluded.repo_id, incidents.repo_id),
			title = COALESCE(excluded.title, incidents.title),
			url = COALESCE(excluded.url, incidents.url),
			resolved_at = CASE WHEN incidents.resolved_at IS NULL OR excluded.resolved_at > incidents.resolved_at
				THEN excluded.resolved_at ELSE incidents.resolved_at END,
			deployment_id = COALESCE(excluded.deployment_id, incidents.deployment_id)
		RETURNING id`,
		inc.Source, inc.SourceID, nullInt(inc.RepoID), nullString(inc.Title), nullString(inc.URL),
		inc.ResolvedAt.UnixMilli(), nullInt(inc.DeploymentID)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("resolve incident %s/%s: %w", inc.Source, inc.SourceID, err)
	}
	return id, nil
}

// GetIncident returns one incident by id.
func (db *DB) GetIncident(ctx context.Context, id int64) (core.Incident, error) {
	var (
		inc                      core.Incident
		repoID, resolved, deploy sql.NullInt64
		title, url               sql.NullString
		opened                   int64
	)
	err := db.R.QueryRowContext(ctx, `
		SELECT id, source, source_id, repo_id, title, url, opened_at, resolved_at, deployment_id
		FROM incidents WHERE id = $1`, id).
		Scan(&inc.ID, &inc.Source, &inc.SourceID, &repoID, &title, &url, &opened, &resolved, &deploy)
	if errors.Is(err, sql.ErrNoRows) {
		return inc, core.Errorf(core.CodeNotFound, "incident %d not found", id)
	}
	if err != nil {
		return inc, fmt.Errorf("get incident %d: %w", id, err)
	}
	inc.RepoID, inc.Title, inc.URL, inc.DeploymentID = repoID.Int64, title.String, url.String, deploy.Int64
	inc.OpenedAt = Time(sql.NullInt64{Int64: opened, Valid: true})
	inc.ResolvedAt = Time(resolved)
	return inc, nil
}
