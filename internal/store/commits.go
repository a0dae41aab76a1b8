package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/sextant-dev/sextant/internal/core"
)

// UpsertCommit stores a commit keyed by (repository, sha). A commit never
// changes, but sources know different parts of it (a push lists the author
// and the time, the API everything): known values fill unknown ones.
func UpsertCommit(ctx context.Context, q Querier, c core.Commit) error {
	if c.RepoID == 0 || c.SHA == "" {
		return fmt.Errorf("upsert commit %q: repository and sha are required", c.SHA)
	}
	_, err := q.ExecContext(ctx, `
		INSERT INTO commits (repo_id, sha, author_id, author_name, author_email, authored_at, committer_email, committed_at, message)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (repo_id, sha) DO UPDATE SET
			author_id = COALESCE(commits.author_id, excluded.author_id),
			author_name = COALESCE(commits.author_name, excluded.author_name),
			author_email = COALESCE(commits.author_email, excluded.author_email),
			authored_at = COALESCE(commits.authored_at, excluded.authored_at),
			committer_email = COALESCE(commits.committer_email, excluded.committer_email),
			committed_at = COALESCE(commits.committed_at, excluded.committed_at),
			message = COALESCE(commits.message, excluded.message)
		WHERE commits.author_id IS NULL OR commits.authored_at IS NULL OR commits.committed_at IS NULL
			OR commits.author_email IS NULL OR commits.message IS NULL`,
		c.RepoID, strings.ToLower(c.SHA), nullInt(c.AuthorID), nullString(c.AuthorName), nullString(c.AuthorEmail),
		Millis(c.AuthoredAt), nullString(c.CommitterEmail), Millis(c.CommittedAt), nullString(c.Message))
	if err != nil {
		return fmt.Errorf("upsert commit %s: %w", c.SHA, err)
	}
	return nil
}

// InsertPush stores a push and the shas it added, keyed by the delivery
// that reported it, and returns its id. A push already stored is left as
// it is (inserted false).
func InsertPush(ctx context.Context, q Querier, p core.Push) (id int64, inserted bool, err error) {
	if p.RepoID == 0 || p.Ref == "" || p.DeliveryID == "" || p.PushedAt.IsZero() {
		return 0, false, fmt.Errorf("insert push to %q: repository, ref, delivery and time are required", p.Ref)
	}
	err = q.QueryRowContext(ctx, `
		INSERT INTO pushes (repo_id, ref, before_sha, after_sha, pusher_id, pusher_name, forced, created, deleted,
			distinct_size, pushed_at, delivery_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		ON CONFLICT (delivery_id) DO NOTHING
		RETURNING id`,
		p.RepoID, p.Ref, nullString(p.BeforeSHA), p.AfterSHA, nullInt(p.PusherID), nullString(p.PusherName), p.Forced,
		p.Created, p.Deleted, p.DistinctSize, p.PushedAt.UnixMilli(), p.DeliveryID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		err = q.QueryRowContext(ctx, `SELECT id FROM pushes WHERE delivery_id = $1`, p.DeliveryID).Scan(&id)
		if err != nil {
			return 0, false, fmt.Errorf("find push of delivery %s: %w", p.DeliveryID, err)
		}
		return id, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("insert push to %s: %w", p.Ref, err)
	}
	for start := 0; start < len(p.Commits); start += 100 {
		part := p.Commits[start:min(start+100, len(p.Commits))]
		var sb strings.Builder
		args := []any{id}
		for i, sha := range part {
			if i > 0 {
				sb.WriteString(", ")
			}
			args = append(args, start+i, strings.ToLower(sha))
			fmt.Fprintf(&sb, "($1, $%d, $%d)", len(args)-1, len(args))
		}
		if _, err := q.ExecContext(ctx, `INSERT INTO push_commits (push_id, position, sha) VALUES `+sb.String(), args...); err != nil {
			return 0, false, fmt.Errorf("insert commits of push %d: %w", id, err)
		}
	}
	return id, true, nil
}

// pushCommits returns the shas a push added, oldest first.
func pushCommits(ctx context.Context, q Querier, pushID int64) ([]string, error) {
	out, err := column[string](q.QueryContext(ctx, `SELECT sha FROM push_commits WHERE push_id = $1 ORDER BY position`, pushID))
	if err != nil {
		return nil, fmt.Errorf("commits of push %d: %w", pushID, err)
	}
	return out, nil
}

// PushByDelivery returns the push a delivery reported, with its commits.
func PushByDelivery(ctx context.Context, q Querier, deliveryID string) (core.Push, error) {
	var (
		p                  core.Push
		id, pusher         sql.NullInt64
		before, pusherName sql.NullString
		pushed             int64
	)
	err := q.QueryRowContext(ctx, `SELECT id, repo_id, ref, before_sha, after_sha, pusher_id, pusher_name, forced, created,
		deleted, distinct_size, pushed_at, delivery_id FROM pushes WHERE delivery_id = $1`, deliveryID).
		Scan(&id, &p.RepoID, &p.Ref, &before, &p.AfterSHA, &pusher, &pusherName, &p.Forced, &p.Created, &p.Deleted,
			&p.DistinctSize, &pushed, &p.DeliveryID)
	if errors.Is(err, sql.ErrNoRows) {
		return p, core.Errorf(core.CodeNotFound, "no push from delivery %s", deliveryID)
	}
	if err != nil {
		return p, fmt.Errorf("get push of delivery %s: %w", deliveryID, err)
	}
	p.BeforeSHA, p.PusherID, p.PusherName, p.PushedAt = before.String, pusher.Int64, pusherName.String, Time(sql.NullInt64{Int64: pushed, Valid: true})
	p.Commits, err = pushCommits(ctx, q, id.Int64)
	return p, err
}

// InsertRefEvent stores a branch or tag created or deleted, keyed by the
// delivery that reported it.
func InsertRefEvent(ctx context.Context, q Querier, e core.RefEvent) error {
	if e.RepoID == 0 || e.Ref == "" || e.RefType == "" || e.Action == "" || e.DeliveryID == "" || e.At.IsZero() {
		return fmt.Errorf("insert ref event %q: repository, ref, type, action, delivery and time are required", e.Ref)
	}
	_, err := q.ExecContext(ctx, `
		INSERT INTO ref_events (repo_id, ref, ref_type, action, actor_id, at, delivery_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (delivery_id) DO NOTHING`,
		e.RepoID, e.Ref, e.RefType, e.Action, nullInt(e.ActorID), e.At.UnixMilli(), e.DeliveryID)
	if err != nil {
		return fmt.Errorf("insert %s of %s %s: %w", e.Action, e.RefType, e.Ref, err)
	}
	return nil
}

// GetCommit returns one commit.
func GetCommit(ctx context.Context, q Querier, repoID int64, sha string) (core.Commit, error) {
	var (
		c                        core.Commit
		author                   sql.NullInt64
		name, email, cemail, msg sql.NullString
		authored, committed      sql.NullInt64
	)
	err := q.QueryRowContext(ctx, `SELECT repo_id, sha, author_id, author_name, author_email, authored_at, committer_email,
		committed_at, message FROM commits WHERE repo_id = $1 AND sha = $2`, repoID, strings.ToLower(sha)).
		Scan(&c.RepoID, &c.SHA, &author, &name, &email, &authored, &cemail, &committed, &msg)
	if errors.Is(err, sql.ErrNoRows) {
		return c, core.Errorf(core.CodeNotFound, "commit %s not found", sha)
	}
	if err != nil {
		return c, fmt.Errorf("get commit %s: %w", sha, err)
	}
	c.AuthorID, c.AuthorName, c.AuthorEmail, c.CommitterEmail, c.Message = author.Int64, name.String, email.String, cemail.String, msg.String
	c.AuthoredAt, c.CommittedAt = Time(authored), Time(committed)
	return c, nil
}
