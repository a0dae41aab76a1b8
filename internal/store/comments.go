package store

import (
	"context"
	"fmt"

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
