package store

import (
	"context"
	"fmt"

	"github.com/sextant-dev/sextant/internal/core"
)

// UpsertWorkflowRun stores a GitHub Actions workflow run keyed by its
// GitHub id; an older copy never replaces a newer one (a re-run attempt has
// a later updated_at).
func UpsertWorkflowRun(ctx context.Context, q Querier, r core.WorkflowRun) error {
	if r.ID == 0 || r.RepoID == 0 {
		return fmt.Errorf("upsert workflow run %d: id and repository are required", r.ID)
	}
	_, err := q.ExecContext(ctx, `
		INSERT INTO workflow_runs (id, repo_id, workflow_id, name, event, head_sha, head_branch, run_number, run_attempt,
			status, conclusion, created_at, started_at, updated_at, version)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
		ON CONFLICT (id) DO UPDATE SET repo_id = excluded.repo_id, workflow_id = excluded.workflow_id,
			name = excluded.name, event = excluded.event, head_sha = excluded.head_sha, head_branch = excluded.head_branch,
			run_number = excluded.run_number, run_attempt = excluded.run_attempt, status = excluded.status,
			conclusion = excluded.conclusion, created_at = excluded.created_at, started_at = excluded.started_at,
			updated_at = excluded.updated_at, version = excluded.version
		WHERE `+newer("workflow_runs"),
		r.ID, r.RepoID, nullInt(r.WorkflowID), nullString(r.Name), nullString(r.Event), nullString(r.HeadSHA),
		nullString(r.HeadBranch), nullInt(int64(r.RunNumber)), nullInt(int64(r.RunAttempt)), nullString(r.Status),
		nullString(r.Conclusion), Millis(r.CreatedAt), Millis(r.StartedAt), Millis(r.UpdatedAt),
		versionOf(min(max(r.RunAttempt, 0), 31)<<2|statusRank(r.Status), r.ID, r.WorkflowID, r.Name, r.Event,
			r.HeadSHA, r.HeadBranch, r.RunNumber, r.RunAttempt, r.Status, r.Conclusion, r.CreatedAt, r.StartedAt))
	if err != nil {
		return fmt.Errorf("upsert workflow run %d: %w", r.ID, err)
	}
	return nil
}

// UpsertWorkflowJob stores a job of a workflow run keyed by its GitHub id.
// Jobs have no updated_at: status orders the copies, then content.
func UpsertWorkflowJob(ctx context.Context, q Querier, j core.WorkflowJob) error {
	if j.ID == 0 || j.RunID == 0 || j.RepoID == 0 || j.Name == "" {
		return fmt.Errorf("upsert workflow job %d: id, run, repository and name are required", j.ID)
	}
	_, err := q.ExecContext(ctx, `
		INSERT INTO workflow_jobs (id, run_id, repo_id, name, status, conclusion, created_at, started_at, completed_at, version)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (id) DO UPDATE SET run_id = excluded.run_id, repo_id = excluded.repo_id, name = excluded.name,
			status = excluded.status, conclusion = excluded.conclusion, created_at = excluded.created_at,
			started_at = excluded.started_at, completed_at = excluded.completed_at, version = excluded.version
		WHERE `+newerVersion("workflow_jobs"),
		j.ID, j.RunID, j.RepoID, j.Name, nullString(j.Status), nullString(j.Conclusion), Millis(j.CreatedAt),
		Millis(j.StartedAt), Millis(j.CompletedAt),
		versionOf(statusRank(j.Status), j.ID, j.RunID, j.Name, j.Status, j.Conclusion, j.CreatedAt,
			j.StartedAt, j.CompletedAt))
	if err != nil {
		return fmt.Errorf("upsert workflow job %d: %w", j.ID, err)
	}
	return nil
}
