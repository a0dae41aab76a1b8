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

// UpsertPullRequest stores a pull request keyed by its GitHub id. A copy
// replaces the stored row only when it is newer (updated_at, then
// version); an abridged copy (from a review payload) only fills a missing
// row or replaces another abridged one, and any full copy replaces it.
// Labels are replaced when pr.Labels is not nil and the copy was newer.
// first_commit_at only moves earlier. A new pull request, or one whose head
// moved, gets the commits pushed to its head branch (LinkPushedCommits).
// It reports whether the copy was applied.
func UpsertPullRequest(ctx context.Context, q Querier, pr core.PullRequest) (bool, error) {
	if pr.ID == 0 || pr.RepoID == 0 || pr.Number == 0 {
		return false, fmt.Errorf("upsert pull request %d: id, repository and number are required", pr.ID)
	}
	if pr.CreatedAt.IsZero() || pr.UpdatedAt.IsZero() {
		return false, fmt.Errorf("upsert pull request %d: created and updated times are required", pr.ID)
	}
	oldHead, exists, err := claimNumber(ctx, q, "pull_requests", pr.ID, pr.RepoID, pr.UpdatedAt, &pr.Number)
	if err != nil {
		return false, err
	}
	count := func(n int) sql.NullInt64 { return sql.NullInt64{Int64: int64(n), Valid: !pr.Abridged} }
	var id int64
	err = q.QueryRowContext(ctx, `
		INSERT INTO pull_requests (id, repo_id, number, node_id, author_id, title, state, draft, merged, merge_commit_sha,
			merged_by_id, head_ref, head_sha, base_ref, created_at, updated_at, closed_at, merged_at, first_commit_at,
			additions, deletions, changed_files, commits, review_comments, version, abridged)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,
			$20, $21, $22, $23, $24, $25, $26)
		ON CONFLICT (id) DO UPDATE SET repo_id = excluded.repo_id, number = excluded.number,
			node_id = COALESCE(excluded.node_id, pull_requests.node_id), author_id = COALESCE(excluded.author_id, pull_requests.author_id),
			title = excluded.title, state = excluded.state, draft = excluded.draft, merged = excluded.merged,
			merge_commit_sha = excluded.merge_commit_sha, merged_by_id = COALESCE(excluded.merged_by_id, pull_requests.merged_by_id),
			head_ref = excluded.head_ref, head_sha = excluded.head_sha, base_ref = excluded.base_ref,
			created_at = excluded.created_at, updated_at = excluded.updated_at, closed_at = excluded.closed_at,
			merged_at = excluded.merged_at,
			additions = COALESCE(excluded.additions, pull_requests.additions),
			deletions = COALESCE(excluded.deletions, pull_requests.deletions),
			changed_files = COALESCE(excluded.changed_files, pull_requests.changed_files),
			commits = COALESCE(excluded.commits, pull_requests.commits),
			review_comments = COALESCE(excluded.review_comments, pull_requests.review_comments),
			version = excluded.version, abridged = excluded.abridged
		WHERE (pull_requests.abridged AND NOT excluded.abridged)
			OR (pull_requests.abridged = excluded.abridged AND `+newer("pull_requests")+`)
		RETURNING id`,
		pr.ID, pr.RepoID, pr.Number, nullString(pr.NodeID), nullInt(pr.AuthorID), pr.Title, pr.State, pr.Draft, pr.Merged,
		nullString(pr.MergeCommitSHA), nullInt(pr.MergedByID), nullString(pr.HeadRef), nullString(pr.HeadSHA),
		nullString(pr.BaseRef), pr.CreatedAt.UnixMilli(), pr.UpdatedAt.UnixMilli(), Millis(pr.ClosedAt),
		Millis(pr.MergedAt), Millis(pr.FirstCommitAt), count(pr.Additions), count(pr.Deletions),
		count(pr.ChangedFiles), count(pr.Commits), count(pr.ReviewComments), PullRequestVersion(pr), pr.Abridged).Scan(&id)
	applied := err == nil
	if errors.Is(err, sql.ErrNoRows) {
		err = nil
	}
	if err != nil {
		return false, fmt.Errorf("upsert pull request %d: %w", pr.ID, err)
	}
	if applied && pr.Labels != nil {
		if err := replaceLabels(ctx, q, "pull_request_labels", "pull_request_id", pr.ID, pr.Labels); err != nil {
			return false, err
		}
	}
	if err := earlierFirstCommit(ctx, q, pr.ID, pr.FirstCommitAt); err != nil {
		return false, err
	}
	if applied && (!exists || oldHead != pr.HeadSHA) {
		if err := LinkPushedCommits(ctx, q, pr.ID); err != nil {
			return false, err
		}
	}
	return applied, nil
}

// claimNumber settles two GitHub ids claiming one number of a repository
// in table (pull_requests or issues), which GitHub never does but
// inconsistent sources can: the copy updated last keeps the number, the
// other is stored with number -id, so neither is lost. It returns the head
// sha stored for id (pull_requests only) and whether id is stored at all.
func claimNumber(ctx context.Context, q Querier, table string, id, repoID int64, updated time.Time, number *int) (headSHA string, exists bool, err error) {
	head := "NULL"
	if table == "pull_requests" {
		head = "head_sha"
	}
	rows, err := q.QueryContext(ctx, `SELECT id, updated_at, `+head+` FROM `+table+`
		WHERE id = $3 OR (repo_id = $1 AND number = $2)`, repoID, *number, id)
	if err != nil {
		return "", false, fmt.Errorf("check number %d of repository %d: %w", *number, repoID, err)
	}
	var (
		otherID, otherUpdated int64
		found                 bool
	)
	for rows.Next() {
		var (
			rid, rupdated int64
			rhead         sql.NullString
		)
		if err := rows.Scan(&rid, &rupdated, &rhead); err != nil {
			rows.Close()
			return "", false, fmt.Errorf("check number %d of repository %d: %w", *number, repoID, err)
		}
		if rid == id {
			headSHA, exists = rhead.String, true
		} else {
			otherID, otherUpdated, found = rid, rupdated, true
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil || !found {
		return headSHA, exists, err
	}
	if otherUpdated > updated.UnixMilli() || otherUpdated == updated.UnixMilli() && otherID > id {
		*number = int(-id)
		return headSHA, exists, nil
	}
	if _, err := q.ExecContext(ctx, `UPDATE `+table+` SET number = -id WHERE id = $1`, otherID); err != nil {
		return "", false, fmt.Errorf("give up number %d of repository %d: %w", *number, repoID, err)
	}
	return headSHA, exists, nil
}

// PullRequestVersion is the version UpsertPullRequest gives pr: merged
// ranks above closed, closed above open.
func PullRequestVersion(pr core.PullRequest) int64 {
	rank := 0
	switch {
	case pr.Merged:
		rank = 2
	case pr.State == core.StateClosed:
		rank = 1
	}
	return versionOf(rank, pr.ID, pr.Number, pr.NodeID, pr.AuthorID, pr.Title, pr.State, pr.Draft,
		pr.Merged, pr.MergeCommitSHA, pr.MergedByID, pr.HeadRef, pr.HeadSHA, pr.BaseRef, pr.CreatedAt, pr.UpdatedAt,
		pr.ClosedAt, pr.MergedAt, pr.Additions, pr.Deletions, pr.ChangedFiles, pr.Commits, pr.ReviewComments,
		pr.Abridged, pr.Labels != nil, pr.Labels)
}

func earlierFirstCommit(ctx context.Context, q Querier, prID int64, at time.Time) error {
	if at.IsZero() {
		return nil
	}
	_, err := q.ExecContext(ctx, `UPDATE pull_requests SET first_commit_at = $1
		WHERE id = $2 AND (first_commit_at IS NULL OR first_commit_at > $1)`, at.UnixMilli(), prID)
	if err != nil {
		return fmt.Errorf("set first commit of pull request %d: %w", prID, err)
	}
	return nil
}

// replaceLabels makes the labels of one issue or pull request exactly names.
func replaceLabels(ctx context.Context, q Querier, table, key string, id int64, names []string) error {
	if _, err := q.ExecContext(ctx, `DELETE FROM `+table+` WHERE `+key+` = $1`, id); err != nil {
		return fmt.Errorf("replace labels of %d: %w", id, err)
	}
	if len(names) == 0 {
		return nil
	}
	var (
		sb   strings.Builder
		args = []any{id}
		seen = map[string]bool{}
	)
	for _, n := range names {
		if seen[n] {
			continue
		}
		seen[n] = true
		if len(args) > 1 {
			sb.WriteString(", ")
		}
		args = append(args, n)
		fmt.Fprintf(&sb, "($1, $%d)", len(args))
	}
	if _, err := q.ExecContext(ctx, `INSERT INTO `+table+` (`+key+`, name) VALUES `+sb.String(), args...); err != nil {
		return fmt.Errorf("replace labels of %d: %w", id, err)
	}
	return nil
}

func labelsOf(ctx context.Context, q Querier, table, key string, id int64) ([]string, error) {
	out, err := column[string](q.QueryContext(ctx, `SELECT name FROM `+table+` WHERE `+key+` = $1 ORDER BY name`, id))
	if err != nil {
		return nil, fmt.Errorf("labels of %d: %w", id, err)
	}
	return out, nil
}

// AddPullRequestCommits records commits of a pull request (from the API
// or from pushes to its head branch) and moves its first_commit_at to the
// earliest authored time among the commits known.
func AddPullRequestCommits(ctx context.Context, q Querier, prID int64, shas []string) error {
	for _, sha := range shas {
		_, err := q.ExecContext(ctx, `INSERT INTO pull_request_commits (pull_request_id, sha) VALUES ($1, $2)
			ON CONFLICT (pull_request_id, sha) DO NOTHING`, prID, sha)
		if err != nil {
			return fmt.Errorf("add commit %s to pull request %d: %w", sha, prID, err)
		}
	}
	var first sql.NullInt64
	err := q.QueryRowContext(ctx, `
		SELECT MIN(c.authored_at) FROM pull_request_commits pc
		JOIN pull_requests p ON p.id = pc.pull_request_id
		JOIN commits c ON c.repo_id = p.repo_id AND c.sha = pc.sha
		WHERE pc.pull_request_id = $1`, prID).Scan(&first)
	if err != nil {
		return fmt.Errorf("first commit of pull request %d: %w", prID, err)
	}
	return earlierFirstCommit(ctx, q, prID, Time(first))
}

// maxPushWalk bounds how many pushes LinkPushedCommits follows back.
const maxPushWalk = 250

// LinkPushedCommits finds the commits of a pull request in the pushes to
// its head branch: from the push that left the branch at the pull
// request's head sha, back through each push's before sha, to the push
// that created the branch (or a forced push, or the first push not
// known). Pushes may arrive before or after the pull request: both sides
// call this, so the links come out the same either way.
func LinkPushedCommits(ctx context.Context, q Querier, prID int64) error {
	var repoID int64
	var headRef, headSHA sql.NullString
	err := q.QueryRowContext(ctx, `SELECT repo_id, head_ref, head_sha FROM pull_requests WHERE id = $1`, prID).
		Scan(&repoID, &headRef, &headSHA)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("link commits of pull request %d: %w", prID, err)
	}
	if headRef.String == "" || headSHA.String == "" {
		return nil
	}
	ref := "refs/heads/" + headRef.String
	var shas []string
	seen := map[string]bool{}
	for sha, steps := headSHA.String, 0; steps < maxPushWalk && !seen[sha]; steps++ {
		seen[sha] = true
		var (
			pushID int64
			before sql.NullString
			forced bool
		)
		err := q.QueryRowContext(ctx, `SELECT id, before_sha, forced FROM pushes
			WHERE repo_id = $1 AND ref = $2 AND after_sha = $3 ORDER BY pushed_at DESC, id DESC LIMIT 1`,
			repoID, ref, sha).Scan(&pushID, &before, &forced)
		if errors.Is(err, sql.ErrNoRows) {
			break
		}
		if err != nil {
			return fmt.Errorf("link commits of pull request %d: %w", prID, err)
		}
		pushed, err := pushCommits(ctx, q, pushID)
		if err != nil {
			return err
		}
		shas = append(shas, pushed...)
		if forced || before.String == "" || strings.Trim(before.String, "0") == "" {
			break
		}
		sha = before.String
	}
	if len(shas) == 0 {
		return nil
	}
	return AddPullRequestCommits(ctx, q, prID, shas)
}

// LinkPushToPullRequests links a push to a branch to the pull requests
// whose head is that branch.
func LinkPushToPullRequests(ctx context.Context, q Querier, repoID int64, ref string) error {
	branch, ok := strings.CutPrefix(ref, "refs/heads/")
	if !ok {
		return nil
	}
	rows, err := q.QueryContext(ctx, `SELECT id FROM pull_requests WHERE repo_id = $1 AND head_ref = $2`, repoID, branch)
	if err != nil {
		return fmt.Errorf("pull requests of %s: %w", ref, err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, id := range ids {
		if err := LinkPushedCommits(ctx, q, id); err != nil {
			return err
		}
	}
	return nil
}

// PullRequestCommits returns the shas linked to a pull request, sorted.
func PullRequestCommits(ctx context.Context, q Querier, prID int64) ([]string, error) {
	out, err := column[string](q.QueryContext(ctx, `SELECT sha FROM pull_request_commits WHERE pull_request_id = $1 ORDER BY sha`, prID))
	if err != nil {
		return nil, fmt.Errorf("commits of pull request %d: %w", prID, err)
	}
	return out, nil
}

// GetPullRequest returns one pull request by GitHub id, with its labels.
func GetPullRequest(ctx context.Context, q Querier, id int64) (core.PullRequest, error) {
	var (
		pr                                     core.PullRequest
		node, sha, headRef, headSHA, baseRef   sql.NullString
		author, mergedBy                       sql.NullInt64
		created, updated                       int64
		closed, merged, first                  sql.NullInt64
		adds, dels, files, commits, reviewCmts sql.NullInt64
	)
	err := q.QueryRowContext(ctx, `
		SELECT id, repo_id, number, node_id, author_id, title, state, draft, merged, merge_commit_sha, merged_by_id,
			head_ref, head_sha, base_ref, created_at, updated_at, closed_at, merged_at, first_commit_at,
			additions, deletions, changed_files, commits, review_comments, abridged
		FROM pull_requests WHERE id = $1`, id).Scan(&pr.ID, &pr.RepoID, &pr.Number, &node, &author, &pr.Title,
		&pr.State, &pr.Draft, &pr.Merged, &sha, &mergedBy, &headRef, &headSHA, &baseRef, &created, &updated,
		&closed, &merged, &first, &adds, &dels, &files, &commits, &reviewCmts, &pr.Abridged)
	if errors.Is(err, sql.ErrNoRows) {
		return pr, core.Errorf(core.CodeNotFound, "pull request %d not found", id)
	}
	if err != nil {
		return pr, fmt.Errorf("get pull request %d: %w", id, err)
	}
	pr.NodeID, pr.MergeCommitSHA, pr.HeadRef, pr.HeadSHA, pr.BaseRef = node.String, sha.String, headRef.String, headSHA.String, baseRef.String
	pr.AuthorID, pr.MergedByID = author.Int64, mergedBy.Int64
	pr.CreatedAt, pr.UpdatedAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	pr.ClosedAt, pr.MergedAt, pr.FirstCommitAt = Time(closed), Time(merged), Time(first)
	pr.Additions, pr.Deletions, pr.ChangedFiles = int(adds.Int64), int(dels.Int64), int(files.Int64)
	pr.Commits, pr.ReviewComments = int(commits.Int64), int(reviewCmts.Int64)
	pr.Labels, err = labelsOf(ctx, q, "pull_request_labels", "pull_request_id", id)
	return pr, err
}
