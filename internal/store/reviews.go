package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/sextant-dev/sextant/internal/core"
)

// UpsertReview stores a pull request review keyed by its GitHub id. A
// review has no updated_at; its state orders its copies (a dismissal comes
// after the submission it dismisses, a submission after a pending draft).
func UpsertReview(ctx context.Context, q Querier, r core.Review) error {
	if r.ID == 0 || r.PullRequestID == 0 || r.RepoID == 0 {
		return fmt.Errorf("upsert review %d: id, pull request and repository are required", r.ID)
	}
	r.State = strings.ToUpper(r.State)
	_, err := q.ExecContext(ctx, `
		INSERT INTO reviews (id, pull_request_id, repo_id, reviewer_id, state, commit_id, submitted_at, version)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (id) DO UPDATE SET pull_request_id = excluded.pull_request_id, repo_id = excluded.repo_id,
			reviewer_id = COALESCE(excluded.reviewer_id, reviews.reviewer_id), state = excluded.state,
			commit_id = COALESCE(excluded.commit_id, reviews.commit_id),
			submitted_at = COALESCE(excluded.submitted_at, reviews.submitted_at), version = excluded.version
		WHERE `+newerVersion("reviews"),
		r.ID, r.PullRequestID, r.RepoID, nullInt(r.ReviewerID), r.State, nullString(r.CommitID), Millis(r.SubmittedAt),
		ReviewVersion(r))
	if err != nil {
		return fmt.Errorf("upsert review %d: %w", r.ID, err)
	}
	return nil
}

// ReviewVersion is the version UpsertReview gives r.
func ReviewVersion(r core.Review) int64 {
	rank := 1
	switch strings.ToUpper(r.State) {
	case core.ReviewPending:
		rank = 0
	case core.ReviewDismissed:
		rank = 2
	}
	return versionOf(rank, r.ID, r.PullRequestID, r.ReviewerID, strings.ToUpper(r.State), r.CommitID, r.SubmittedAt)
}
