package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Integrity checks: their results (integrity_checks, integrity_findings)
// and the counts and consistency queries they compare with GitHub.

// Integrity check statuses.
const (
	CheckRunning = "running"
	CheckClean   = "clean"
	CheckGaps    = "gaps"
	CheckError   = "error"
)

// IntegrityCheck is one check of one scope: a repository (owner/name), an
// organization (its login), a webhook ("hook:…") or the store ("store").
type IntegrityCheck struct {
	ID         int64
	Scope      string
	StartedAt  time.Time
	FinishedAt time.Time
	Requests   int64
	Findings   int64
	Status     string
	Error      string
}

// IntegrityFinding is one gap a check found.
type IntegrityFinding struct {
	ID       int64
	CheckID  int64
	Scope    string
	Kind     string
	Expected int64
	Found    int64
	// Detail says what is missing, for people; repairs read their targets
	// from their own job's arguments.
	Detail      string
	FoundAt     time.Time
	RepairJobID int64
	RepairedAt  time.Time
	// RepairState is the state of the repair job (pending, running, done,
	// failed), "" when there is none.
	RepairState string
}

// StartIntegrityCheck records a check of scope that started at at.
func StartIntegrityCheck(ctx context.Context, q Querier, scope string, at time.Time) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, `INSERT INTO integrity_checks (scope, started_at, status) VALUES ($1, $2, $3) RETURNING id`,
		scope, at.UnixMilli(), CheckRunning).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("start integrity check of %s: %w", scope, err)
	}
	return id, nil
}

// FinishIntegrityCheck records how a check ended.
func FinishIntegrityCheck(ctx context.Context, q Querier, c IntegrityCheck) error {
	_, err := q.ExecContext(ctx, `UPDATE integrity_checks SET finished_at = $1, requests = $2, findings = $3, status = $4,
		error = $5 WHERE id = $6`, c.FinishedAt.UnixMilli(), c.Requests, c.Findings, c.Status, nullString(c.Error), c.ID)
	if err != nil {
		return fmt.Errorf("finish integrity check %d: %w", c.ID, err)
	}
	return nil
}

// AddIntegrityFinding records a finding and returns its id.
func AddIntegrityFinding(ctx context.Context, q Querier, f IntegrityFinding) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, `INSERT INTO integrity_findings (check_id, scope, kind, expected, found, detail, found_at, repair_job_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		f.CheckID, f.Scope, f.Kind, f.Expected, f.Found, nullString(f.Detail), f.FoundAt.UnixMilli(), nullInt(f.RepairJobID)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("add integrity finding %s of %s: %w", f.Kind, f.Scope, err)
	}
	return id, nil
}

// MarkRepaired records that the repair job jobID finished at at: every
// finding it was enqueued for is repaired.
func MarkRepaired(ctx context.Context, q Querier, jobID int64, at time.Time) error {
	_, err := q.ExecContext(ctx, `UPDATE integrity_findings SET repaired_at = $1 WHERE repair_job_id = $2 AND repaired_at IS NULL`,
		at.UnixMilli(), jobID)
	if err != nil {
		return fmt.Errorf("mark findings of job %d repaired: %w", jobID, err)
	}
	return nil
}

const checkColumns = `id, scope, started_at, finished_at, requests, findings, status, error`

func scanCheck(row interface{ Scan(...any) error }) (IntegrityCheck, error) {
	var (
		c        IntegrityCheck
		started  int64
		finished sql.NullInt64
		errText  sql.NullString
	)
	err := row.Scan(&c.ID, &c.Scope, &started, &finished, &c.Requests, &c.Findings, &c.Status, &errText)
	c.StartedAt, c.FinishedAt, c.Error = time.UnixMilli(started).UTC(), Time(finished), errText.String
	return c, err
}

// LatestIntegrityChecks returns the latest finished check of every scope,
// by scope.
func LatestIntegrityChecks(ctx context.Context, q Querier) ([]IntegrityCheck, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+checkColumns+` FROM integrity_checks c WHERE finished_at IS NOT NULL
		AND id = (SELECT MAX(id) FROM integrity_checks l WHERE l.scope = c.scope AND l.finished_at IS NOT NULL)
		ORDER BY scope`)
	if err != nil {
		return nil, fmt.Errorf("latest integrity checks: %w", err)
	}
	defer rows.Close()
	var out []IntegrityCheck
	for rows.Next() {
		c, err := scanCheck(rows)
		if err != nil {
			return nil, fmt.Errorf("latest integrity checks: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// FindingsOf returns the findings of a check, with their repair jobs'
// states.
func FindingsOf(ctx context.Context, q Querier, checkID int64) ([]IntegrityFinding, error) {
	rows, err := q.QueryContext(ctx, `SELECT f.id, f.check_id, f.scope, f.kind, f.expected, f.found, f.detail, f.found_at,
		f.repair_job_id, f.repaired_at, j.state
		FROM integrity_findings f LEFT JOIN jobs j ON j.id = f.repair_job_id
		WHERE f.check_id = $1 ORDER BY f.id`, checkID)
	if err != nil {
		return nil, fmt.Errorf("findings of check %d: %w", checkID, err)
	}
	defer rows.Close()
	var out []IntegrityFinding
	for rows.Next() {
		var (
			f               IntegrityFinding
			expected, found sql.NullInt64
			detail, state   sql.NullString
			at              int64
			job, repaired   sql.NullInt64
		)
		if err := rows.Scan(&f.ID, &f.CheckID, &f.Scope, &f.Kind, &expected, &found, &detail, &at, &job, &repaired, &state); err != nil {
			return nil, fmt.Errorf("findings of check %d: %w", checkID, err)
		}
		f.Expected, f.Found, f.Detail = expected.Int64, found.Int64, detail.String
		f.FoundAt, f.RepairJobID, f.RepairedAt, f.RepairState = time.UnixMilli(at).UTC(), job.Int64, Time(repaired), state.String
		out = append(out, f)
	}
	return out, rows.Err()
}

// OpenFindings counts, by kind, the findings of each scope's latest
// check that are not repaired yet.
func OpenFindings(ctx context.Context, q Querier) (map[string]int64, error) {
	rows, err := q.QueryContext(ctx, `SELECT f.kind, COUNT(*) FROM integrity_findings f
		WHERE f.repaired_at IS NULL AND f.check_id = (SELECT MAX(id) FROM integrity_checks c
			WHERE c.scope = f.scope AND c.finished_at IS NOT NULL)
		GROUP BY f.kind`)
	if err != nil {
		return nil, fmt.Errorf("count open findings: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var (
			kind string
			n    int64
		)
		if err := rows.Scan(&kind, &n); err != nil {
			return nil, fmt.Errorf("count open findings: %w", err)
		}
		out[kind] = n
	}
	return out, rows.Err()
}

// RepoCounts are what the store holds of one repository, counted the way
// GitHub counts them: issues moved away or deleted are not the
// repository's any more.
type RepoCounts struct {
	PullRequests, OpenPullRequests int64
	Issues, OpenIssues             int64
}

// CountRepository counts a repository's pull requests and issues.
func CountRepository(ctx context.Context, q Querier, repoID int64) (RepoCounts, error) {
	var c RepoCounts
	err := q.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM pull_requests WHERE repo_id = $1 AND number > 0 AND NOT abridged),
		(SELECT COUNT(*) FROM pull_requests WHERE repo_id = $1 AND number > 0 AND NOT abridged AND state = 'open'),
		(SELECT COUNT(*) FROM issues WHERE repo_id = $1 AND number > 0 AND NOT deleted AND COALESCE(state_reason, '') <> 'transferred'),
		(SELECT COUNT(*) FROM issues WHERE repo_id = $1 AND number > 0 AND NOT deleted AND state = 'open')`, repoID).
		Scan(&c.PullRequests, &c.OpenPullRequests, &c.Issues, &c.OpenIssues)
	if err != nil {
		return c, fmt.Errorf("count repository %d: %w", repoID, err)
	}
	return c, nil
}

// OrgCounts are what the store holds of one organization now.
type OrgCounts struct {
	Members, Teams int64
	// TeamMembers is each team's current direct members, by team id.
	TeamMembers map[int64]int64
}

// CountOrganization counts an organization's current members, its teams
// and their current members.
func CountOrganization(ctx context.Context, q Querier, orgID int64) (OrgCounts, error) {
	c := OrgCounts{TeamMembers: map[int64]int64{}}
	err := q.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM org_members WHERE org_id = $1 AND until IS NULL),
		(SELECT COUNT(*) FROM teams WHERE org_id = $1 AND NOT deleted)`, orgID).Scan(&c.Members, &c.Teams)
	if err != nil {
		return c, fmt.Errorf("count organization %d: %w", orgID, err)
	}
	rows, err := q.QueryContext(ctx, `SELECT t.id, COUNT(m.actor_id) FROM teams t
		LEFT JOIN team_members m ON m.team_id = t.id AND m.until IS NULL
		WHERE t.org_id = $1 AND NOT t.deleted GROUP BY t.id`, orgID)
	if err != nil {
		return c, fmt.Errorf("count team members of organization %d: %w", orgID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, n int64
		if err := rows.Scan(&id, &n); err != nil {
			return c, fmt.Errorf("count team members of organization %d: %w", orgID, err)
		}
		c.TeamMembers[id] = n
	}
	return c, rows.Err()
}

// Gap is what a consistency query found: how many, and up to a limit of
// them (pull request or issue numbers, or ids, as the query says).
type Gap struct {
	Count  int64
	Sample []int64
}

// sampleLimit bounds the targets a repair job carries; a repair with more
// to do syncs the whole part instead.
const sampleLimit = 500

func gap(ctx context.Context, q Querier, what, query string, args ...any) (Gap, error) {
	ids, err := queryInt64s(ctx, q, query, args...)
	if err != nil {
		return Gap{}, fmt.Errorf("%s: %w", what, err)
	}
	g := Gap{Count: int64(len(ids)), Sample: ids}
	if len(ids) > sampleLimit {
		g.Sample = ids[:sampleLimit]
	}
	return g, nil
}

// OrphanReviews finds the pull requests (ids) that reviews or review
// comments of a repository name and the store does not hold.
func OrphanReviews(ctx context.Context, q Querier, repoID int64) (Gap, error) {
	return gap(ctx, q, "reviews without their pull request", `
		SELECT pull_request_id FROM reviews r WHERE repo_id = $1
			AND NOT EXISTS (SELECT 1 FROM pull_requests p WHERE p.id = r.pull_request_id)
		UNION SELECT pull_request_id FROM review_comments c WHERE repo_id = $1
			AND NOT EXISTS (SELECT 1 FROM pull_requests p WHERE p.id = c.pull_request_id)
		ORDER BY 1`, repoID)
}

// OrphanPullComments finds the pull request numbers of a repository that
// conversation comments name and the store does not hold.
func OrphanPullComments(ctx context.Context, q Querier, repoID int64) (Gap, error) {
	return gap(ctx, q, "comments without their pull request", `
		SELECT DISTINCT issue_number FROM issue_comments c WHERE repo_id = $1 AND on_pull
			AND NOT EXISTS (SELECT 1 FROM pull_requests p WHERE p.repo_id = c.repo_id AND p.number = c.issue_number)
		ORDER BY 1`, repoID)
}

// PullsWithUnknownAuthor finds the pull requests (numbers) whose author is
// not in actors.
func PullsWithUnknownAuthor(ctx context.Context, q Querier, repoID int64) (Gap, error) {
	return gap(ctx, q, "pull requests with an unknown author", `
		SELECT number FROM pull_requests p WHERE repo_id = $1 AND number > 0 AND author_id IS NOT NULL
			AND NOT EXISTS (SELECT 1 FROM actors a WHERE a.id = p.author_id)
		ORDER BY 1`, repoID)
}

// MergedWithoutMergeCommit finds the merged pull requests (numbers)
// without a merge commit.
func MergedWithoutMergeCommit(ctx context.Context, q Querier, repoID int64) (Gap, error) {
	return gap(ctx, q, "merged pull requests without a merge commit", `
		SELECT number FROM pull_requests WHERE repo_id = $1 AND number > 0 AND merged AND merge_commit_sha IS NULL
		ORDER BY 1`, repoID)
}

// DeploymentsWithoutStatus finds the GitHub deployments (GitHub ids)
// created before olderThan that have no status and whose statuses were
// never read from GitHub.
func DeploymentsWithoutStatus(ctx context.Context, q Querier, repoID int64, olderThan time.Time) (Gap, error) {
	return gap(ctx, q, "deployments without a status", `
		SELECT CAST(source_id AS BIGINT) FROM deployments d WHERE repo_id = $1 AND source = 'github'
			AND created_at < $2 AND statuses_synced_at IS NULL
			AND NOT EXISTS (SELECT 1 FROM deployment_statuses s WHERE s.deployment_id = d.id)
		ORDER BY 1`, repoID, olderThan.UnixMilli())
}

// UnknownTeamMembers finds the teams (ids) of an organization whose
// current members include an actor the store does not know, and the
// memberships whose team it does not know.
func UnknownTeamMembers(ctx context.Context, q Querier, orgID int64) (Gap, error) {
	return gap(ctx, q, "team members unknown", `
		SELECT DISTINCT m.team_id FROM team_members m JOIN teams t ON t.id = m.team_id
			WHERE t.org_id = $1 AND m.until IS NULL AND NOT EXISTS (SELECT 1 FROM actors a WHERE a.id = m.actor_id)
		UNION SELECT DISTINCT m.team_id FROM team_members m
			WHERE m.until IS NULL AND NOT EXISTS (SELECT 1 FROM teams t WHERE t.id = m.team_id)
		ORDER BY 1`, orgID)
}

// UnknownOrgMembers finds the current members (actor ids) of an
// organization that the store does not know as actors.
func UnknownOrgMembers(ctx context.Context, q Querier, orgID int64) (Gap, error) {
	return gap(ctx, q, "organization members unknown", `
		SELECT actor_id FROM org_members m WHERE org_id = $1 AND until IS NULL
			AND NOT EXISTS (SELECT 1 FROM actors a WHERE a.id = m.actor_id)
		ORDER BY 1`, orgID)
}

// UnprojectedDeliveries finds the stored webhook deliveries (ids) received
// before olderThan that were never projected.
func UnprojectedDeliveries(ctx context.Context, q Querier, olderThan time.Time) (Gap, error) {
	return gap(ctx, q, "deliveries never projected", `
		SELECT id FROM webhook_deliveries WHERE projected_at IS NULL AND received_at < $1 ORDER BY 1`, olderThan.UnixMilli())
}

// LastWebhook is the latest delivery received for a repository.
type LastWebhook struct {
	Repo string
	At   time.Time
}

// LastWebhooks returns, per repository, when its latest delivery came.
func LastWebhooks(ctx context.Context, q Querier) ([]LastWebhook, error) {
	rows, err := q.QueryContext(ctx, `SELECT repo_full_name, MAX(received_at) FROM webhook_deliveries
		WHERE repo_full_name IS NOT NULL GROUP BY repo_full_name ORDER BY repo_full_name`)
	if err != nil {
		return nil, fmt.Errorf("last webhooks: %w", err)
	}
	defer rows.Close()
	var out []LastWebhook
	for rows.Next() {
		var (
			w  LastWebhook
			at int64
		)
		if err := rows.Scan(&w.Repo, &at); err != nil {
			return nil, fmt.Errorf("last webhooks: %w", err)
		}
		w.At = time.UnixMilli(at).UTC()
		out = append(out, w)
	}
	return out, rows.Err()
}

// SyncStates returns every sync state, by scope and kind.
func SyncStates(ctx context.Context, q Querier) ([]SyncState, error) {
	rows, err := q.QueryContext(ctx, `SELECT scope, kind, watermark, checkpoint, updated_at FROM sync_state ORDER BY scope, kind`)
	if err != nil {
		return nil, fmt.Errorf("list sync states: %w", err)
	}
	defer rows.Close()
	var out []SyncState
	for rows.Next() {
		var (
			s          SyncState
			wm         sql.NullInt64
			checkpoint sql.NullString
			updated    int64
		)
		if err := rows.Scan(&s.Scope, &s.Kind, &wm, &checkpoint, &updated); err != nil {
			return nil, fmt.Errorf("list sync states: %w", err)
		}
		s.Watermark, s.Checkpoint, s.UpdatedAt = Time(wm), checkpoint.String, time.UnixMilli(updated).UTC()
		out = append(out, s)
	}
	return out, rows.Err()
}

// StoredItem is what the store holds of one pull request or issue, to
// compare with a GitHub inventory.
type StoredItem struct {
	ID        int64
	State     string // GraphQL's: OPEN, CLOSED or MERGED
	UpdatedAt time.Time
	// Stale: the store holds only an abridged copy (pull requests known
	// from review payloads).
	Stale bool
}

// PullInventory returns a repository's stored pull requests by number.
func PullInventory(ctx context.Context, q Querier, repoID int64) (map[int]StoredItem, error) {
	return inventory(ctx, q, `SELECT number, id, CASE WHEN merged THEN 'MERGED' WHEN state = 'open' THEN 'OPEN' ELSE 'CLOSED' END,
		updated_at, abridged FROM pull_requests WHERE repo_id = $1 AND number > 0`, repoID)
}

// IssueInventory returns a repository's stored issues by number, those
// moved away or deleted left out.
func IssueInventory(ctx context.Context, q Querier, repoID int64) (map[int]StoredItem, error) {
	return inventory(ctx, q, `SELECT number, id, CASE WHEN state = 'open' THEN 'OPEN' ELSE 'CLOSED' END, updated_at, FALSE
		FROM issues WHERE repo_id = $1 AND number > 0 AND NOT deleted AND COALESCE(state_reason, '') <> 'transferred'`, repoID)
}

func inventory(ctx context.Context, q Querier, query string, repoID int64) (map[int]StoredItem, error) {
	rows, err := q.QueryContext(ctx, query, repoID)
	if err != nil {
		return nil, fmt.Errorf("inventory of repository %d: %w", repoID, err)
	}
	defer rows.Close()
	out := map[int]StoredItem{}
	for rows.Next() {
		var (
			n       int
			it      StoredItem
			updated int64
		)
		if err := rows.Scan(&n, &it.ID, &it.State, &updated, &it.Stale); err != nil {
			return nil, fmt.Errorf("inventory of repository %d: %w", repoID, err)
		}
		it.UpdatedAt = time.UnixMilli(updated).UTC()
		out[n] = it
	}
	return out, rows.Err()
}

// PruneIntegrityChecks deletes the checks that finished before before,
// with their findings, except each scope's latest.
func PruneIntegrityChecks(ctx context.Context, q Querier, before time.Time) (int64, error) {
	const old = `SELECT id FROM integrity_checks c WHERE finished_at < $1
		AND id < (SELECT MAX(id) FROM integrity_checks l WHERE l.scope = c.scope AND l.finished_at IS NOT NULL)`
	if _, err := q.ExecContext(ctx, `DELETE FROM integrity_findings WHERE check_id IN (`+old+`)`, before.UnixMilli()); err != nil {
		return 0, fmt.Errorf("prune integrity findings: %w", err)
	}
	res, err := q.ExecContext(ctx, `DELETE FROM integrity_checks WHERE id IN (`+old+`)`, before.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("prune integrity checks: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
