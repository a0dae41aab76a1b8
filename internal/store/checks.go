package store

import (
	"context"
	"fmt"

	"github.com/sextant-dev/sextant/internal/core"
)

// statusRank orders the statuses of checks and workflows: a copy further
// along wins over one of the same time that is not.
func statusRank(status string) int {
	switch status {
	case "requested", "queued", "pending":
		return 0
	case "waiting":
		return 1
	case "in_progress":
		return 2
	case "completed":
		return 3
	}
	return 0
}

// UpsertCheckSuite stores a check suite keyed by its GitHub id; an older
// copy never replaces a newer one.
func UpsertCheckSuite(ctx context.Context, q Querier, s core.CheckSuite) error {
	if s.ID == 0 || s.RepoID == 0 {
		return fmt.Errorf("upsert check suite %d: id and repository are required", s.ID)
	}
	_, err := q.ExecContext(ctx, `
		INSERT INTO check_suites (id, repo_id, head_sha, head_branch, status, conclusion, app_slug, created_at, updated_at, version)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (id) DO UPDATE SET repo_id = excluded.repo_id, head_sha = excluded.head_sha,
			head_branch = excluded.head_branch, status = excluded.status, conclusion = excluded.conclusion,
			app_slug = excluded.app_slug,
			created_at = COALESCE(excluded.created_at, check_suites.created_at), updated_at = excluded.updated_at,
			version = excluded.version
		WHERE `+newer("check_suites"),
		s.ID, s.RepoID, nullString(s.HeadSHA), nullString(s.HeadBranch), nullString(s.Status), nullString(s.Conclusion),
		nullString(s.AppSlug), Millis(s.CreatedAt), Millis(s.UpdatedAt),
		versionOf(statusRank(s.Status), s.ID, s.HeadSHA, s.HeadBranch, s.Status, s.Conclusion, s.AppSlug, s.CreatedAt))
	if err != nil {
		return fmt.Errorf("upsert check suite %d: %w", s.ID, err)
	}
	return nil
}

// UpsertCheckRun stores a check run keyed by its GitHub id. Check runs
// have no updated_at: status orders the copies (completed after
// in_progress after queued), then content.
func UpsertCheckRun(ctx context.Context, q Querier, r core.CheckRun) error {
	if r.ID == 0 || r.RepoID == 0 || r.Name == "" {
		return fmt.Errorf("upsert check run %d: id, repository and name are required", r.ID)
	}
	_, err := q.ExecContext(ctx, `
		INSERT INTO check_runs (id, check_suite_id, repo_id, name, head_sha, status, conclusion, started_at, completed_at, version)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (id) DO UPDATE SET check_suite_id = COALESCE(excluded.check_suite_id, check_runs.check_suite_id),
			repo_id = excluded.repo_id, name = excluded.name, head_sha = excluded.head_sha, status = excluded.status,
			conclusion = excluded.conclusion, started_at = excluded.started_at, completed_at = excluded.completed_at,
			version = excluded.version
		WHERE `+newerVersion("check_runs"),
		r.ID, nullInt(r.CheckSuiteID), r.RepoID, r.Name, nullString(r.HeadSHA), nullString(r.Status),
		nullString(r.Conclusion), Millis(r.StartedAt), Millis(r.CompletedAt),
		versionOf(statusRank(r.Status), r.ID, r.CheckSuiteID, r.Name, r.HeadSHA, r.Status, r.Conclusion,
			r.StartedAt, r.CompletedAt))
	if err != nil {
		return fmt.Errorf("upsert check run %d: %w", r.ID, err)
	}
	return nil
}
