package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/sextant-dev/sextant/internal/core"
)

// StateReasonTransferred is the state reason of an issue moved to another
// repository: the old issue is closed at the transfer and no later copy
// changes it (GitHub keeps only the new one).
const StateReasonTransferred = "transferred"

// UpsertIssue stores an issue keyed by its GitHub id. A copy replaces the
// stored row only when newer (updated_at, then version); labels are
// replaced when is.Labels is not nil and the copy was newer; a deleted
// issue stays deleted. It reports whether the copy was applied.
func UpsertIssue(ctx context.Context, q Querier, is core.Issue) (bool, error) {
	if is.ID == 0 || is.RepoID == 0 || is.Number == 0 {
		return false, fmt.Errorf("upsert issue %d: id, repository and number are required", is.ID)
	}
	if is.CreatedAt.IsZero() || is.UpdatedAt.IsZero() {
		return false, fmt.Errorf("upsert issue %d: created and updated times are required", is.ID)
	}
	if _, _, err := claimNumber(ctx, q, "issues", is.ID, is.RepoID, is.UpdatedAt, &is.Number); err != nil {
		return false, err
	}
	var id int64
	err := q.QueryRowContext(ctx, `
		INSERT INTO issues (id, repo_id, number, node_id, author_id, title, body, state, state_reason, comments,
			created_at, updated_at, closed_at, deleted, version)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
		ON CONFLICT (id) DO UPDATE SET repo_id = excluded.repo_id, number = excluded.number,
			node_id = COALESCE(excluded.node_id, issues.node_id), author_id = COALESCE(excluded.author_id, issues.author_id),
			title = excluded.title, body = excluded.body, state = excluded.state, state_reason = excluded.state_reason,
			comments = excluded.comments, created_at = excluded.created_at, updated_at = excluded.updated_at,
			closed_at = excluded.closed_at, deleted = issues.deleted OR excluded.deleted, version = excluded.version
		WHERE COALESCE(issues.state_reason, '') <> 'transferred' AND `+newer("issues")+`
		RETURNING id`,
		is.ID, is.RepoID, is.Number, nullString(is.NodeID), nullInt(is.AuthorID), is.Title, nullString(is.Body), is.State,
		nullString(is.StateReason), is.Comments, is.CreatedAt.UnixMilli(), is.UpdatedAt.UnixMilli(), Millis(is.ClosedAt),
		is.Deleted, IssueVersion(is)).Scan(&id)
	applied := err == nil
	if errors.Is(err, sql.ErrNoRows) {
		err = nil
		if is.Deleted {
			// A deletion is final even when its copy is not the newest.
			_, err = q.ExecContext(ctx, `UPDATE issues SET deleted = TRUE WHERE id = $1`, is.ID)
		}
	}
	if err != nil {
		return false, fmt.Errorf("upsert issue %d: %w", is.ID, err)
	}
	if !applied {
		return false, nil
	}
	if is.Labels != nil {
		if err := replaceLabels(ctx, q, "issue_labels", "issue_id", is.ID, is.Labels); err != nil {
			return false, err
		}
	}
	return true, markTransferred(ctx, q, is.ID)
}

// IssueVersion is the version UpsertIssue gives is: closed ranks above
// open.
func IssueVersion(is core.Issue) int64 {
	rank := 0
	if is.State == core.StateClosed {
		rank = 1
	}
	return versionOf(rank, is.ID, is.Number, is.NodeID, is.AuthorID, is.Title, is.Body, is.State,
		is.StateReason, is.Comments, is.CreatedAt, is.UpdatedAt, is.ClosedAt, is.Deleted, is.Labels != nil, is.Labels)
}

// markTransferred closes an issue that was moved away, at the time of the
// move.
func markTransferred(ctx context.Context, q Querier, issueID int64) error {
	_, err := q.ExecContext(ctx, `
		UPDATE issues SET state = 'closed', state_reason = 'transferred',
			closed_at = (SELECT transferred_at FROM issue_transfers WHERE old_issue_id = $1)
		WHERE id = $1 AND EXISTS (SELECT 1 FROM issue_transfers WHERE old_issue_id = $1)`, issueID)
	if err != nil {
		return fmt.Errorf("mark issue %d transferred: %w", issueID, err)
	}
	return nil
}

// RecordIssueTransfer stores an issue transfer keyed by the old issue. Each
// end of the transfer may be learned first and may know the other end
// only in part; what either end knows is kept, and the transfer time is
// the earliest given. The old issue is closed with the state reason
// "transferred".
func RecordIssueTransfer(ctx context.Context, q Querier, t core.IssueTransfer) error {
	if t.OldIssueID == 0 || t.OldRepoID == 0 || t.OldNumber == 0 || t.TransferredAt.IsZero() {
		return fmt.Errorf("record transfer of issue %d: old issue, repository, number and time are required", t.OldIssueID)
	}
	_, err := q.ExecContext(ctx, `
		INSERT INTO issue_transfers (old_issue_id, old_repo_id, old_number, new_issue_id, new_repo_id, new_number, actor_id, transferred_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (old_issue_id) DO UPDATE SET
			new_issue_id = COALESCE(issue_transfers.new_issue_id, excluded.new_issue_id),
			new_repo_id = COALESCE(issue_transfers.new_repo_id, excluded.new_repo_id),
			new_number = COALESCE(issue_transfers.new_number, excluded.new_number),
			actor_id = COALESCE(issue_transfers.actor_id, excluded.actor_id),
			transferred_at = CASE WHEN excluded.transferred_at < issue_transfers.transferred_at
				THEN excluded.transferred_at ELSE issue_transfers.transferred_at END`,
		t.OldIssueID, t.OldRepoID, t.OldNumber, nullInt(t.NewIssueID), nullInt(t.NewRepoID), nullInt(int64(t.NewNumber)),
		nullInt(t.ActorID), t.TransferredAt.UnixMilli())
	if err != nil {
		return fmt.Errorf("record transfer of issue %d: %w", t.OldIssueID, err)
	}
	return markTransferred(ctx, q, t.OldIssueID)
}

// IssueTransferOf returns the transfer whose old issue is oldIssueID.
func IssueTransferOf(ctx context.Context, q Querier, oldIssueID int64) (core.IssueTransfer, error) {
	var (
		t                         core.IssueTransfer
		newID, newRepo, newNumber sql.NullInt64
		actor                     sql.NullInt64
		at                        int64
	)
	err := q.QueryRowContext(ctx, `SELECT old_issue_id, old_repo_id, old_number, new_issue_id, new_repo_id, new_number,
		actor_id, transferred_at FROM issue_transfers WHERE old_issue_id = $1`, oldIssueID).
		Scan(&t.OldIssueID, &t.OldRepoID, &t.OldNumber, &newID, &newRepo, &newNumber, &actor, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return t, core.Errorf(core.CodeNotFound, "no transfer of issue %d", oldIssueID)
	}
	if err != nil {
		return t, fmt.Errorf("get transfer of issue %d: %w", oldIssueID, err)
	}
	t.NewIssueID, t.NewRepoID, t.NewNumber, t.ActorID = newID.Int64, newRepo.Int64, int(newNumber.Int64), actor.Int64
	t.TransferredAt = time.UnixMilli(at).UTC()
	return t, nil
}

// AddIssueEvent stores an issue timeline event keyed by its GitHub id
// (events never change once made).
func AddIssueEvent(ctx context.Context, q Querier, e core.IssueEvent) error {
	if e.ID == 0 || e.RepoID == 0 || e.IssueNumber == 0 || e.Event == "" || e.CreatedAt.IsZero() {
		return fmt.Errorf("add issue event %d: id, repository, issue number, event and time are required", e.ID)
	}
	_, err := q.ExecContext(ctx, `
		INSERT INTO issue_events (id, repo_id, issue_number, issue_id, actor_id, event, label, commit_id, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (id) DO NOTHING`,
		e.ID, e.RepoID, e.IssueNumber, nullInt(e.IssueID), nullInt(e.ActorID), e.Event, nullString(e.Label),
		nullString(e.CommitID), e.CreatedAt.UnixMilli())
	if err != nil {
		return fmt.Errorf("add issue event %d: %w", e.ID, err)
	}
	return nil
}

// GetIssue returns one issue by GitHub id, with its labels.
func GetIssue(ctx context.Context, q Querier, id int64) (core.Issue, error) {
	var (
		is                 core.Issue
		node, body, reason sql.NullString
		author, comments   sql.NullInt64
		created, updated   int64
		closed             sql.NullInt64
	)
	err := q.QueryRowContext(ctx, `SELECT id, repo_id, number, node_id, author_id, title, body, state, state_reason,
		comments, created_at, updated_at, closed_at, deleted FROM issues WHERE id = $1`, id).
		Scan(&is.ID, &is.RepoID, &is.Number, &node, &author, &is.Title, &body, &is.State, &reason, &comments,
			&created, &updated, &closed, &is.Deleted)
	if errors.Is(err, sql.ErrNoRows) {
		return is, core.Errorf(core.CodeNotFound, "issue %d not found", id)
	}
	if err != nil {
		return is, fmt.Errorf("get issue %d: %w", id, err)
	}
	is.NodeID, is.Body, is.StateReason = node.String, body.String, reason.String
	is.AuthorID, is.Comments = author.Int64, int(comments.Int64)
	is.CreatedAt, is.UpdatedAt, is.ClosedAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC(), Time(closed)
	is.Labels, err = labelsOf(ctx, q, "issue_labels", "issue_id", id)
	return is, err
}
