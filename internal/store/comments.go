package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/sextant-dev/sextant/internal/core"
)

// UpsertReviewComment stores a comment on a pull request's diff keyed by
// its GitHub id; an older copy never replaces a newer one and a deleted
// comment stays deleted.
func UpsertReviewComment(ctx context.Context, q Querier, c core.ReviewComment) error {
	if c.ID == 0 || c.PullRequestID == 0 || c.RepoID == 0 || c.CreatedAt.IsZero() {
		return fmt.Errorf("upsert review comment %d: id, pull request, repository and creation time are required", c.ID)
	}
	_, err := q.ExecContext(ctx, `
		INSERT INTO review_comments (id, pull_request_id, repo_id, review_id, author_id, in_reply_to_id, created_at, updated_at, deleted, version)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (id) DO UPDATE SET
			review_id = CASE WHEN `+newer("review_comments")+` THEN COALESCE(excluded.review_id, review_comments.review_id) ELSE review_comments.review_id END,
			author_id = COALESCE(review_comments.author_id, excluded.author_id),
			in_reply_to_id = COALESCE(review_comments.in_reply_to_id, excluded.in_reply_to_id),
			updated_at = CASE WHEN `+newer("review_comments")+` THEN excluded.updated_at ELSE review_comments.updated_at END,
			version = CASE WHEN `+newer("review_comments")+` THEN excluded.version ELSE review_comments.version END,
			deleted = review_comments.deleted OR excluded.deleted`,
		c.ID, c.PullRequestID, c.RepoID, nullInt(c.ReviewID), nullInt(c.AuthorID), nullInt(c.InReplyToID),
		c.CreatedAt.UnixMilli(), Millis(c.UpdatedAt), c.Deleted, versionOf(0, c.ID, c.ReviewID, c.UpdatedAt))
	if err != nil {
		return fmt.Errorf("upsert review comment %d: %w", c.ID, err)
	}
	return nil
}

// UpsertIssueComment stores a comment on an issue or on a pull request's
// conversation keyed by its GitHub id; an older copy never replaces a
// newer one and a deleted comment stays deleted.
func UpsertIssueComment(ctx context.Context, q Querier, c core.IssueComment) error {
	if c.ID == 0 || c.RepoID == 0 || c.IssueNumber == 0 || c.CreatedAt.IsZero() {
		return fmt.Errorf("upsert issue comment %d: id, repository, issue number and creation time are required", c.ID)
	}
	_, err := q.ExecContext(ctx, `
		INSERT INTO issue_comments (id, repo_id, issue_number, issue_id, on_pull, author_id, created_at, updated_at, deleted, version)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (id) DO UPDATE SET
			issue_id = COALESCE(issue_comments.issue_id, excluded.issue_id),
			on_pull = issue_comments.on_pull OR excluded.on_pull,
			author_id = COALESCE(issue_comments.author_id, excluded.author_id),
			updated_at = CASE WHEN `+newer("issue_comments")+` THEN excluded.updated_at ELSE issue_comments.updated_at END,
			version = CASE WHEN `+newer("issue_comments")+` THEN excluded.version ELSE issue_comments.version END,
			deleted = issue_comments.deleted OR excluded.deleted`,
		c.ID, c.RepoID, c.IssueNumber, nullInt(c.IssueID), c.OnPull, nullInt(c.AuthorID), c.CreatedAt.UnixMilli(),
		Millis(c.UpdatedAt), c.Deleted, versionOf(0, c.ID, c.UpdatedAt))
	if err != nil {
		return fmt.Errorf("upsert issue comment %d: %w", c.ID, err)
	}
	return nil
}

// GetIssueComment returns one issue comment by GitHub id.
func GetIssueComment(ctx context.Context, q Querier, id int64) (core.IssueComment, error) {
	var (
		c               core.IssueComment
		issueID, author sql.NullInt64
		created         int64
		updated         sql.NullInt64
	)
	err := q.QueryRowContext(ctx, `SELECT id, repo_id, issue_number, issue_id, on_pull, author_id, created_at, updated_at, deleted
		FROM issue_comments WHERE id = $1`, id).Scan(&c.ID, &c.RepoID, &c.IssueNumber, &issueID, &c.OnPull, &author,
		&created, &updated, &c.Deleted)
	if errors.Is(err, sql.ErrNoRows) {
		return c, core.Errorf(core.CodeNotFound, "issue comment %d not found", id)
	}
	if err != nil {
		return c, fmt.Errorf("get issue comment %d: %w", id, err)
	}
	c.IssueID, c.AuthorID = issueID.Int64, author.Int64
	c.CreatedAt, c.UpdatedAt = time.UnixMilli(created).UTC(), Time(updated)
	return c, nil
}

// GetReviewComment returns one review comment by GitHub id.
func GetReviewComment(ctx context.Context, q Querier, id int64) (core.ReviewComment, error) {
	var (
		c                       core.ReviewComment
		review, author, inReply sql.NullInt64
		created                 int64
		updated                 sql.NullInt64
	)
	err := q.QueryRowContext(ctx, `SELECT id, pull_request_id, repo_id, review_id, author_id, in_reply_to_id, created_at, updated_at, deleted
		FROM review_comments WHERE id = $1`, id).Scan(&c.ID, &c.PullRequestID, &c.RepoID, &review, &author, &inReply,
		&created, &updated, &c.Deleted)
	if errors.Is(err, sql.ErrNoRows) {
		return c, core.Errorf(core.CodeNotFound, "review comment %d not found", id)
	}
	if err != nil {
		return c, fmt.Errorf("get review comment %d: %w", id, err)
	}
	c.ReviewID, c.AuthorID, c.InReplyToID = review.Int64, author.Int64, inReply.Int64
	c.CreatedAt, c.UpdatedAt = time.UnixMilli(created).UTC(), Time(updated)
	return c, nil
}
