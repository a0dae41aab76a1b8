package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/sextant-dev/sextant/internal/core"
)

// deploymentNewer orders two copies of a deployment: by updated_at, then,
// for copies that disagree at the same time, by what they say (creation
// time, environment, ref, sha, creator), so that whichever arrives last the
// same copy wins.
const deploymentNewer = `((COALESCE(excluded.updated_at, -1), excluded.created_at, excluded.environment, COALESCE(excluded.ref, ''),
	COALESCE(excluded.sha, ''), COALESCE(excluded.creator_id, 0)) >= (COALESCE(deployments.updated_at, -1),
	deployments.created_at, deployments.environment, COALESCE(deployments.ref, ''), COALESCE(deployments.sha, ''),
	COALESCE(deployments.creator_id, 0)))`

// UpsertDeployment stores a deployment keyed by (source, source_id) and
// returns its id. An update older than the stored row changes nothing.
func UpsertDeployment(ctx context.Context, q Querier, d core.Deployment) (int64, error) {
	if d.Source == "" || d.SourceID == "" {
		return 0, fmt.Errorf("upsert deployment: source and source id are required")
	}
	if d.Status == "" {
		d.Status = core.DeployPending
	}
	updated := d.UpdatedAt
	if updated.IsZero() {
		updated = d.CreatedAt
	}
	var id int64
	err := q.QueryRowContext(ctx, `
		INSERT INTO deployments (source, source_id, repo_id, environment, sha, ref, task, status, creator_id, url,
			created_at, updated_at, finished_at, caused_failure)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
		ON CONFLICT (source, source_id) DO UPDATE SET
			repo_id = CASE WHEN `+deploymentNewer+` THEN excluded.repo_id ELSE deployments.repo_id END,
			environment = CASE WHEN `+deploymentNewer+` THEN excluded.environment ELSE deployments.environment END,
			sha = CASE WHEN `+deploymentNewer+` THEN COALESCE(excluded.sha, deployments.sha) ELSE COALESCE(deployments.sha, excluded.sha) END,
			ref = CASE WHEN `+deploymentNewer+` THEN COALESCE(excluded.ref, deployments.ref) ELSE COALESCE(deployments.ref, excluded.ref) END,
			task = CASE WHEN `+deploymentNewer+` THEN COALESCE(excluded.task, deployments.task) ELSE COALESCE(deployments.task, excluded.task) END,
			created_at = CASE WHEN `+deploymentNewer+` THEN excluded.created_at ELSE deployments.created_at END,
			status = CASE WHEN deployments.updated_at IS NULL OR excluded.updated_at >= deployments.updated_at
				THEN excluded.status ELSE deployments.status END,
			finished_at = COALESCE(deployments.finished_at, excluded.finished_at),
			creator_id = CASE WHEN `+deploymentNewer+` THEN COALESCE(excluded.creator_id, deployments.creator_id) ELSE COALESCE(deployments.creator_id, excluded.creator_id) END,
			url = COALESCE(excluded.url, deployments.url),
			updated_at = CASE WHEN deployments.updated_at IS NULL OR excluded.updated_at > deployments.updated_at
				THEN excluded.updated_at ELSE deployments.updated_at END,
			caused_failure = deployments.caused_failure OR excluded.caused_failure
		RETURNING id`,
		d.Source, d.SourceID, d.RepoID, d.Environment, nullString(d.SHA), nullString(d.Ref), nullString(d.Task),
		d.Status, nullInt(d.CreatorID), nullString(d.URL), d.CreatedAt.UnixMilli(), Millis(updated),
		Millis(d.FinishedAt), d.CausedFailure).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("upsert deployment %s/%s: %w", d.Source, d.SourceID, err)
	}
	return id, nil
}

// AddDeploymentStatus records a status of a deployment (once per status id;
// of two copies that disagree, the later one)
// and sets the deployment's status from its latest status, whatever order
// the statuses arrive in (statuses of the same time by their source id).
// finished_at is the time of the first final status.
func AddDeploymentStatus(ctx context.Context, q Querier, deploymentID int64, s core.DeploymentStatus) error {
	_, err := q.ExecContext(ctx, `
		INSERT INTO deployment_statuses (deployment_id, source_id, state, description, environment, creator_id, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (deployment_id, source_id) DO UPDATE SET state = excluded.state,
			description = excluded.description, environment = excluded.environment,
			creator_id = excluded.creator_id, created_at = excluded.created_at
		WHERE excluded.created_at > deployment_statuses.created_at OR
			(excluded.created_at = deployment_statuses.created_at AND excluded.state > deployment_statuses.state)`,
		deploymentID, s.SourceID, s.State, nullString(s.Description), nullString(s.Environment),
		nullInt(s.CreatorID), s.CreatedAt.UnixMilli())
	if err != nil {
		return fmt.Errorf("add status %s of deployment %d: %w", s.SourceID, deploymentID, err)
	}
	return RefreshDeploymentStatus(ctx, q, deploymentID)
}

// RefreshDeploymentStatus sets a deployment's status and finished_at from
// its statuses again, if it has any: an UpsertDeployment from a copy that
// carries no status (the deployment webhook) must not undo what the
// statuses say, whichever arrived first.
func RefreshDeploymentStatus(ctx context.Context, q Querier, deploymentID int64) error {
	_, err := q.ExecContext(ctx, `
		UPDATE deployments SET
			status = (SELECT state FROM deployment_statuses WHERE deployment_id = $1
				ORDER BY created_at DESC, LENGTH(source_id) DESC, source_id DESC LIMIT 1),
			finished_at = (SELECT MIN(created_at) FROM deployment_statuses WHERE deployment_id = $1
				AND state IN ('success', 'failure', 'error'))
		WHERE id = $1 AND EXISTS (SELECT 1 FROM deployment_statuses WHERE deployment_id = $1)`, deploymentID)
	if err != nil {
		return fmt.Errorf("update deployment %d from its statuses: %w", deploymentID, err)
	}
	return nil
}

// MarkDeploymentCausedFailure flags a deployment as having caused a failure
// (a rollback or a linked incident).
func MarkDeploymentCausedFailure(ctx context.Context, q Querier, id int64) error {
	res, err := q.ExecContext(ctx, `UPDATE deployments SET caused_failure = TRUE WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("mark deployment %d failed: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return core.Errorf(core.CodeNotFound, "deployment %d not found", id)
	}
	return nil
}

// deploymentRow scans the common deployment columns.
const deploymentColumns = `id, source, source_id, repo_id, environment, sha, ref, task, status, creator_id, url,
	created_at, updated_at, finished_at, caused_failure`

func scanDeployment(row interface{ Scan(...any) error }) (core.Deployment, error) {
	var (
		d                   core.Deployment
		sha, ref, task, url sql.NullString
		creator             sql.NullInt64
		created             int64
		updated, finished   sql.NullInt64
	)
	err := row.Scan(&d.ID, &d.Source, &d.SourceID, &d.RepoID, &d.Environment, &sha, &ref, &task, &d.Status,
		&creator, &url, &created, &updated, &finished, &d.CausedFailure)
	d.SHA, d.Ref, d.Task, d.URL, d.CreatorID = sha.String, ref.String, task.String, url.String, creator.Int64
	d.CreatedAt = Time(sql.NullInt64{Int64: created, Valid: true})
	d.UpdatedAt, d.FinishedAt = Time(updated), Time(finished)
	return d, err
}

// GetDeployment returns one deployment by id.
func (db *DB) GetDeployment(ctx context.Context, id int64) (core.Deployment, error) {
	d, err := scanDeployment(db.R.QueryRowContext(ctx, `SELECT `+deploymentColumns+` FROM deployments WHERE id = $1`, id))
	if err == sql.ErrNoRows {
		return d, core.Errorf(core.CodeNotFound, "deployment %d not found", id)
	}
	if err != nil {
		return d, fmt.Errorf("get deployment %d: %w", id, err)
	}
	return d, nil
}
