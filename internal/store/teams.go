package store

import (
	"context"
	"fmt"
	"time"

	"github.com/sextant-dev/sextant/internal/core"
)

// UpsertTeam stores a team keyed by its GitHub id; an older copy never
// replaces a newer one, and a deleted team stays deleted.
func UpsertTeam(ctx context.Context, q Querier, t core.Team) error {
	if t.ID == 0 || t.Slug == "" {
		return fmt.Errorf("upsert team %q: id and slug are required", t.Slug)
	}
	if t.Name == "" {
		t.Name = t.Slug
	}
	_, err := q.ExecContext(ctx, `
		INSERT INTO teams (id, org_id, slug, name, parent_id, privacy, deleted, updated_at, version)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (id) DO UPDATE SET
			org_id = CASE WHEN `+newer("teams")+` THEN COALESCE(excluded.org_id, teams.org_id) ELSE teams.org_id END,
			slug = CASE WHEN `+newer("teams")+` THEN excluded.slug ELSE teams.slug END,
			name = CASE WHEN `+newer("teams")+` THEN excluded.name ELSE teams.name END,
			parent_id = CASE WHEN `+newer("teams")+` THEN excluded.parent_id ELSE teams.parent_id END,
			privacy = CASE WHEN `+newer("teams")+` THEN COALESCE(excluded.privacy, teams.privacy) ELSE teams.privacy END,
			deleted = teams.deleted OR excluded.deleted,
			version = CASE WHEN `+newer("teams")+` THEN excluded.version ELSE teams.version END,
			updated_at = CASE WHEN `+newer("teams")+` THEN excluded.updated_at ELSE teams.updated_at END`,
		t.ID, nullInt(t.OrgID), t.Slug, t.Name, nullInt(t.ParentID), nullString(t.Privacy), t.Deleted,
		Millis(t.UpdatedAt), TeamVersion(t))
	if err != nil {
		return fmt.Errorf("upsert team %s: %w", t.Slug, err)
	}
	return nil
}

// TeamVersion is the version UpsertTeam gives t.
func TeamVersion(t core.Team) int64 {
	return versionOf(0, t.ID, t.OrgID, t.Slug, t.Name, t.ParentID, t.Privacy, t.Deleted, t.UpdatedAt)
}

// AddTeamRepository records that a team got access to a repository at at.
// The latest change wins: an addition older than a removal does not bring
// the repository back.
func AddTeamRepository(ctx context.Context, q Querier, teamID, repoID int64, permission string, at time.Time) error {
	_, err := q.ExecContext(ctx, `
		INSERT INTO team_repositories (team_id, repo_id, permission, updated_at, removed_at) VALUES ($1, $2, $3, $4, NULL)
		ON CONFLICT (team_id, repo_id) DO UPDATE SET permission = COALESCE(excluded.permission, team_repositories.permission),
			updated_at = excluded.updated_at, removed_at = NULL
		WHERE team_repositories.updated_at IS NULL OR excluded.updated_at > team_repositories.updated_at
			OR (excluded.updated_at = team_repositories.updated_at AND team_repositories.removed_at IS NULL)`,
		teamID, repoID, nullString(permission), at.UnixMilli())
	if err != nil {
		return fmt.Errorf("add repository %d to team %d: %w", repoID, teamID, err)
	}
	return nil
}

// RemoveTeamRepository records that a team lost access to a repository at
// at. At the same instant, a removal wins over an addition.
func RemoveTeamRepository(ctx context.Context, q Querier, teamID, repoID int64, at time.Time) error {
	_, err := q.ExecContext(ctx, `
		INSERT INTO team_repositories (team_id, repo_id, updated_at, removed_at) VALUES ($1, $2, $3, $3)
		ON CONFLICT (team_id, repo_id) DO UPDATE SET updated_at = excluded.updated_at, removed_at = excluded.removed_at
		WHERE team_repositories.updated_at IS NULL OR excluded.updated_at >= team_repositories.updated_at`,
		teamID, repoID, at.UnixMilli())
	if err != nil {
		return fmt.Errorf("remove repository %d from team %d: %w", repoID, teamID, err)
	}
	return nil
}

// TeamRepositories returns the ids of the repositories a team has now.
func TeamRepositories(ctx context.Context, q Querier, teamID int64) ([]int64, error) {
	out, err := column[int64](q.QueryContext(ctx, `SELECT repo_id FROM team_repositories
		WHERE team_id = $1 AND removed_at IS NULL ORDER BY repo_id`, teamID))
	if err != nil {
		return nil, fmt.Errorf("list repositories of team %d: %w", teamID, err)
	}
	return out, nil
}

// TeamMembers returns the membership spans of a team, by actor then start.
func TeamMembers(ctx context.Context, q Querier, teamID int64) ([]core.TeamMember, error) {
	spans, err := memberSpans(ctx, q, "team_members", "team_id", teamID)
	out := make([]core.TeamMember, len(spans))
	for i, s := range spans {
		out[i] = core.TeamMember{TeamID: teamID, ActorID: s.actor, Role: s.role, Since: s.since, Until: s.until}
	}
	return out, err
}
