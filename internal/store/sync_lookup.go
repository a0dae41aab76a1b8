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

// What the GitHub sync reads back to decide what to fetch: which objects
// it already holds and in what state. Each answer is one indexed query.

// OrganizationByLogin returns an organization by login.
func OrganizationByLogin(ctx context.Context, q Querier, login string) (core.Organization, error) {
	var (
		o       core.Organization
		name    sql.NullString
		updated sql.NullInt64
	)
	err := q.QueryRowContext(ctx, `SELECT id, login, name, updated_at FROM organizations WHERE login = $1`, login).
		Scan(&o.ID, &o.Login, &name, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return o, core.Errorf(core.CodeNotFound, "organization %s not found", login)
	}
	if err != nil {
		return o, fmt.Errorf("get organization %s: %w", login, err)
	}
	o.Name, o.UpdatedAt = name.String, Time(updated)
	return o, nil
}

// RepositoriesOf returns the full names of the repositories owned by owner
// that came from GitHub, by name.
func RepositoriesOf(ctx context.Context, q Querier, owner string) ([]string, error) {
	return queryStrings(ctx, q, `SELECT full_name FROM repositories WHERE owner = $1 AND github_id IS NOT NULL
		AND full_name NOT LIKE '%@%' ORDER BY full_name`, owner)
}

// RepositoryByGitHubID returns the full name of the repository with
// GitHub id id ("" when unknown).
func RepositoryByGitHubID(ctx context.Context, q Querier, id int64) (string, error) {
	var name string
	err := q.QueryRowContext(ctx, `SELECT full_name FROM repositories WHERE github_id = $1`, id).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("find repository %d: %w", id, err)
	}
	return name, nil
}

func queryStrings(ctx context.Context, q Querier, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func queryInt64s(ctx context.Context, q Querier, query string, args ...any) ([]int64, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var n int64
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// CurrentOrgMembers returns the actors whose membership of orgID is open,
// with their role.
func CurrentOrgMembers(ctx context.Context, q Querier, orgID int64) (map[int64]string, error) {
	return currentMembers(ctx, q, "org_members", "org_id", orgID)
}

// CurrentTeamMembers returns the actors whose membership of teamID is open,
// with their role.
func CurrentTeamMembers(ctx context.Context, q Querier, teamID int64) (map[int64]string, error) {
	return currentMembers(ctx, q, "team_members", "team_id", teamID)
}

func currentMembers(ctx context.Context, q Querier, table, group string, id int64) (map[int64]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT actor_id, role FROM `+table+` WHERE `+group+` = $1 AND until IS NULL`, id)
	if err != nil {
		return nil, fmt.Errorf("current members of %s %d: %w", group, id, err)
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var (
			actor int64
			role  sql.NullString
		)
		if err := rows.Scan(&actor, &role); err != nil {
			return nil, fmt.Errorf("current members of %s %d: %w", group, id, err)
		}
		out[actor] = role.String
	}
	return out, rows.Err()
}

// TeamsOf returns the teams of an organization that are not deleted, by id.
func TeamsOf(ctx context.Context, q Querier, orgID int64) ([]core.Team, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, org_id, slug, name, parent_id, privacy, updated_at FROM teams
		WHERE org_id = $1 AND NOT deleted ORDER BY id`, orgID)
	if err != nil {
		return nil, fmt.Errorf("teams of organization %d: %w", orgID, err)
	}
	defer rows.Close()
	var out []core.Team
	for rows.Next() {
		var (
			t       core.Team
			parent  sql.NullInt64
			privacy sql.NullString
			updated sql.NullInt64
		)
		if err := rows.Scan(&t.ID, &t.OrgID, &t.Slug, &t.Name, &parent, &privacy, &updated); err != nil {
			return nil, fmt.Errorf("teams of organization %d: %w", orgID, err)
		}
		t.ParentID, t.Privacy, t.UpdatedAt = parent.Int64, privacy.String, Time(updated)
		out = append(out, t)
	}
	return out, rows.Err()
}

// KnownNumbers returns the numbers of a repository that the store holds
// as a pull request or an issue, or as the old number of a transfer out
// of it.
func KnownNumbers(ctx context.Context, q Querier, repoID int64) (map[int]bool, error) {
	ns, err := queryInt64s(ctx, q, `SELECT number FROM pull_requests WHERE repo_id = $1 AND number > 0
		UNION SELECT number FROM issues WHERE repo_id = $1 AND number > 0
		UNION SELECT old_number FROM issue_transfers WHERE old_repo_id = $1`, repoID)
	if err != nil {
		return nil, fmt.Errorf("numbers of repository %d: %w", repoID, err)
	}
	out := make(map[int]bool, len(ns))
	for _, n := range ns {
		out[int(n)] = true
	}
	return out, nil
}

// IssueRef is a stored issue's id and number.
type IssueRef struct {
	ID        int64
	Number    int
	UpdatedAt time.Time
}

// IssuesUpdatedSince returns the issues of a repository updated at or
// after since (all when since is zero) that are neither deleted nor
// transferred away, by number.
func IssuesUpdatedSince(ctx context.Context, q Querier, repoID int64, since time.Time) ([]IssueRef, error) {
	return issueRefs(ctx, q, `SELECT id, number, updated_at FROM issues WHERE repo_id = $1 AND updated_at >= $2 AND number > 0
		AND NOT deleted AND COALESCE(state_reason, '') <> 'transferred' ORDER BY number`, repoID, since.UnixMilli())
}

// IssuesChangedAfter returns the issues of a repository, neither deleted
// nor transferred away, that come after (updated_at, number) = (at,
// number), in that order.
func IssuesChangedAfter(ctx context.Context, q Querier, repoID int64, at time.Time, number int) ([]IssueRef, error) {
	return issueRefs(ctx, q, `SELECT id, number, updated_at FROM issues WHERE repo_id = $1 AND number > 0
		AND (updated_at > $2 OR updated_at = $2 AND number > $3)
		AND NOT deleted AND COALESCE(state_reason, '') <> 'transferred' ORDER BY updated_at, number`,
		repoID, ms(at), number)
}

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// OpenIssues returns the open issues of a repository, by number.
func OpenIssues(ctx context.Context, q Querier, repoID int64) ([]IssueRef, error) {
	return issueRefs(ctx, q, `SELECT id, number, updated_at FROM issues WHERE repo_id = $1 AND state = 'open' AND number > 0
		AND NOT deleted ORDER BY number`, repoID)
}

func issueRefs(ctx context.Context, q Querier, query string, args ...any) ([]IssueRef, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list issues: %w", err)
	}
	defer rows.Close()
	var out []IssueRef
	for rows.Next() {
		var (
			r       IssueRef
			updated int64
		)
		if err := rows.Scan(&r.ID, &r.Number, &updated); err != nil {
			return nil, fmt.Errorf("list issues: %w", err)
		}
		r.UpdatedAt = time.UnixMilli(updated).UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}

// MarkIssueDeleted marks an issue GitHub no longer has.
func MarkIssueDeleted(ctx context.Context, q Querier, id int64) error {
	if _, err := q.ExecContext(ctx, `UPDATE issues SET deleted = TRUE WHERE id = $1`, id); err != nil {
		return fmt.Errorf("mark issue %d deleted: %w", id, err)
	}
	return nil
}

// RecordFoundTransfer records a transfer the sync found by asking GitHub
// for an old issue number, which GitHub answers with the new issue only:
// the old issue's id is the stored issue's when the store has it, and
// otherwise unknown. An unknown old issue is keyed by the negated new
// issue id (no GitHub id is negative), so finding the transfer again
// changes nothing; once a transfer with the real old id is known for the
// same old number, the stand-in is dropped.
func RecordFoundTransfer(ctx context.Context, q Querier, t core.IssueTransfer) error {
	if t.OldRepoID == 0 || t.OldNumber == 0 || t.NewIssueID == 0 {
		return fmt.Errorf("record transfer of #%d: old repository, old number and new issue are required", t.OldNumber)
	}
	if t.OldIssueID == 0 {
		var real int64
		err := q.QueryRowContext(ctx, `SELECT old_issue_id FROM issue_transfers
			WHERE old_repo_id = $1 AND old_number = $2 AND old_issue_id > 0`, t.OldRepoID, t.OldNumber).Scan(&real)
		switch {
		case err == nil:
			t.OldIssueID = real
		case errors.Is(err, sql.ErrNoRows):
			t.OldIssueID = -t.NewIssueID
		default:
			return fmt.Errorf("find transfer of #%d: %w", t.OldNumber, err)
		}
	}
	if err := RecordIssueTransfer(ctx, q, t); err != nil {
		return err
	}
	return DropStandInTransfers(ctx, q)
}

// DropStandInTransfers deletes the transfers keyed by a stand-in old id
// (RecordFoundTransfer) that a transfer with the real old id now covers.
func DropStandInTransfers(ctx context.Context, q Querier) error {
	_, err := q.ExecContext(ctx, `DELETE FROM issue_transfers WHERE old_issue_id < 0 AND EXISTS (
		SELECT 1 FROM issue_transfers r WHERE r.old_issue_id > 0 AND r.old_repo_id = issue_transfers.old_repo_id
			AND r.old_number = issue_transfers.old_number)`)
	if err != nil {
		return fmt.Errorf("drop stand-in transfers: %w", err)
	}
	return nil
}

// DeploymentSyncState is what the store holds of a deployment, for the
// sync to decide whether to read its statuses.
type DeploymentSyncState struct {
	ID             int64
	UpdatedAt      time.Time
	StatusesSynced time.Time
}

// GitHubDeployments returns the stored state of the GitHub deployments
// with the given ids (source ids).
func GitHubDeployments(ctx context.Context, q Querier, sourceIDs []string) (map[string]DeploymentSyncState, error) {
	out := map[string]DeploymentSyncState{}
	for start := 0; start < len(sourceIDs); start += 500 {
		part := sourceIDs[start:min(start+500, len(sourceIDs))]
		in, args := placeholders(part, 1)
		rows, err := q.QueryContext(ctx, `SELECT source_id, id, updated_at, statuses_synced_at FROM deployments
			WHERE source = 'github' AND source_id IN (`+in+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("find deployments: %w", err)
		}
		for rows.Next() {
			var (
				sid              string
				s                DeploymentSyncState
				updated, statSyn sql.NullInt64
			)
			if err := rows.Scan(&sid, &s.ID, &updated, &statSyn); err != nil {
				rows.Close()
				return nil, fmt.Errorf("find deployments: %w", err)
			}
			s.UpdatedAt, s.StatusesSynced = Time(updated), Time(statSyn)
			out[sid] = s
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("find deployments: %w", err)
		}
	}
	return out, nil
}

// placeholders returns "$first, $first+1, …" for vals, for IN lists, and
// vals as query arguments.
func placeholders[T any](vals []T, first int) (string, []any) {
	var sb strings.Builder
	args := make([]any, len(vals))
	for i, v := range vals {
		if i > 0 {
			sb.WriteString(", ")
		}
		fmt.Fprintf(&sb, "$%d", first+i)
		args[i] = v
	}
	return sb.String(), args
}

// MarkDeploymentStatusesSynced records that a deployment's statuses were
// read from GitHub at at.
func MarkDeploymentStatusesSynced(ctx context.Context, q Querier, id int64, at time.Time) error {
	if _, err := q.ExecContext(ctx, `UPDATE deployments SET statuses_synced_at = $1 WHERE id = $2`, at.UnixMilli(), id); err != nil {
		return fmt.Errorf("mark statuses of deployment %d synced: %w", id, err)
	}
	return nil
}

// PendingDeploymentsSince returns the creation time of the oldest GitHub
// deployment of a repository created at or after since that has no final
// status yet (zero when none).
func PendingDeploymentsSince(ctx context.Context, q Querier, repoID int64, since time.Time) (time.Time, error) {
	var oldest sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT MIN(created_at) FROM deployments WHERE repo_id = $1 AND source = 'github'
		AND created_at >= $2 AND status NOT IN ('success', 'failure', 'error', 'inactive')`, repoID, since.UnixMilli()).Scan(&oldest)
	if err != nil {
		return time.Time{}, fmt.Errorf("pending deployments of repository %d: %w", repoID, err)
	}
	return Time(oldest), nil
}

// ShippedPair is a deployment whose shipped commits are not known yet and
// the successful deployment of the same repository and environment before
// it (BaseSHA empty when it is the first).
type ShippedPair struct {
	DeploymentID int64
	SHA          string
	BaseSHA      string
}

// DeploymentsToCompare returns, for a repository, its successful
// deployments whose shipped commits were never computed, each with the
// successful deployment before it in the same environment, oldest first.
// A deployment that succeeded and was later made inactive (GitHub does
// that to the one before when the next succeeds) counts as successful.
func DeploymentsToCompare(ctx context.Context, q Querier, repoID int64) ([]ShippedPair, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, environment, sha, commits_synced_at FROM deployments d
		WHERE repo_id = $1 AND sha IS NOT NULL AND (status = 'success' OR status = 'inactive' AND EXISTS (
			SELECT 1 FROM deployment_statuses s WHERE s.deployment_id = d.id AND s.state = 'success'))
		ORDER BY environment, created_at, id`, repoID)
	if err != nil {
		return nil, fmt.Errorf("deployments of repository %d: %w", repoID, err)
	}
	defer rows.Close()
	var (
		out             []ShippedPair
		prevEnv, prevSH string
	)
	for rows.Next() {
		var (
			id       int64
			env, sha string
			synced   sql.NullInt64
		)
		if err := rows.Scan(&id, &env, &sha, &synced); err != nil {
			return nil, fmt.Errorf("deployments of repository %d: %w", repoID, err)
		}
		if env != prevEnv {
			prevSH = ""
		}
		if !synced.Valid {
			out = append(out, ShippedPair{DeploymentID: id, SHA: sha, BaseSHA: prevSH})
		}
		prevEnv, prevSH = env, sha
	}
	return out, rows.Err()
}

// SetDeploymentCommits records the commits a deployment shipped and that
// they are known.
func SetDeploymentCommits(ctx context.Context, q Querier, deploymentID int64, shas []string, at time.Time) error {
	for _, sha := range shas {
		_, err := q.ExecContext(ctx, `INSERT INTO deployment_commits (deployment_id, sha) VALUES ($1, $2)
			ON CONFLICT (deployment_id, sha) DO NOTHING`, deploymentID, strings.ToLower(sha))
		if err != nil {
			return fmt.Errorf("add commit %s to deployment %d: %w", sha, deploymentID, err)
		}
	}
	if _, err := q.ExecContext(ctx, `UPDATE deployments SET commits_synced_at = $1 WHERE id = $2`, at.UnixMilli(), deploymentID); err != nil {
		return fmt.Errorf("mark commits of deployment %d known: %w", deploymentID, err)
	}
	return nil
}

// DeploymentCommits returns the shas a deployment shipped, sorted.
func DeploymentCommits(ctx context.Context, q Querier, deploymentID int64) ([]string, error) {
	shas, err := queryStrings(ctx, q, `SELECT sha FROM deployment_commits WHERE deployment_id = $1 ORDER BY sha`, deploymentID)
	if err != nil {
		return nil, fmt.Errorf("commits of deployment %d: %w", deploymentID, err)
	}
	return shas, nil
}

// PendingRunsSince returns the creation time of the oldest workflow run of
// a repository created at or after since that has not completed (zero
// when none).
func PendingRunsSince(ctx context.Context, q Querier, repoID int64, since time.Time) (time.Time, error) {
	var oldest sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT MIN(created_at) FROM workflow_runs WHERE repo_id = $1 AND created_at >= $2
		AND COALESCE(status, '') <> 'completed'`, repoID, since.UnixMilli()).Scan(&oldest)
	if err != nil {
		return time.Time{}, fmt.Errorf("pending runs of repository %d: %w", repoID, err)
	}
	return Time(oldest), nil
}

// RunState is what the store holds of a workflow run.
type RunState struct {
	UpdatedAt time.Time
	Status    string
	// JobsDone: the run has jobs stored and every one has completed.
	JobsDone bool
}

// WorkflowRunStates returns the stored state of the workflow runs ids.
func WorkflowRunStates(ctx context.Context, q Querier, ids []int64) (map[int64]RunState, error) {
	out := map[int64]RunState{}
	for start := 0; start < len(ids); start += 500 {
		part := ids[start:min(start+500, len(ids))]
		in, args := placeholders(part, 1)
		rows, err := q.QueryContext(ctx, `SELECT r.id, r.updated_at, r.status,
			EXISTS (SELECT 1 FROM workflow_jobs j WHERE j.run_id = r.id)
			AND NOT EXISTS (SELECT 1 FROM workflow_jobs j WHERE j.run_id = r.id AND COALESCE(j.status, '') <> 'completed')
			FROM workflow_runs r WHERE r.id IN (`+in+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("find workflow runs: %w", err)
		}
		for rows.Next() {
			var (
				id      int64
				s       RunState
				updated sql.NullInt64
				status  sql.NullString
			)
			if err := rows.Scan(&id, &updated, &status, &s.JobsDone); err != nil {
				rows.Close()
				return nil, fmt.Errorf("find workflow runs: %w", err)
			}
			s.UpdatedAt, s.Status = Time(updated), status.String
			out[id] = s
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("find workflow runs: %w", err)
		}
	}
	return out, nil
}

// ReleaseVersions returns the stored version of the releases ids, so an
// unchanged release is recognised.
func ReleaseVersions(ctx context.Context, q Querier, ids []int64) (map[int64]int64, error) {
	out := map[int64]int64{}
	if len(ids) == 0 {
		return out, nil
	}
	in, args := placeholders(ids, 1)
	rows, err := q.QueryContext(ctx, `SELECT id, version FROM releases WHERE id IN (`+in+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("find releases: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id int64
			v  sql.NullInt64
		)
		if err := rows.Scan(&id, &v); err != nil {
			return nil, fmt.Errorf("find releases: %w", err)
		}
		out[id] = v.Int64
	}
	return out, rows.Err()
}

// ForgetPullVersions drops the stored version of a repository's pull
// requests numbers, so that the next copy of the same updated_at replaces
// them whatever its version: a repair takes GitHub's copy as it is.
func ForgetPullVersions(ctx context.Context, q Querier, repoID int64, numbers []int) error {
	return forgetVersions(ctx, q, "pull_requests", repoID, numbers)
}

// ForgetIssueVersion does the same for an issue.
func ForgetIssueVersion(ctx context.Context, q Querier, repoID int64, number int) error {
	return forgetVersions(ctx, q, "issues", repoID, []int{number})
}

func forgetVersions(ctx context.Context, q Querier, table string, repoID int64, numbers []int) error {
	for start := 0; start < len(numbers); start += 500 {
		part := numbers[start:min(start+500, len(numbers))]
		in, args := placeholders(part, 2)
		if _, err := q.ExecContext(ctx, `UPDATE `+table+` SET version = NULL WHERE repo_id = $1 AND number IN (`+in+`)`,
			append([]any{repoID}, args...)...); err != nil {
			return fmt.Errorf("forget versions of %s: %w", table, err)
		}
	}
	return nil
}
