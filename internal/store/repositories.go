package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sextant-dev/sextant/internal/core"
)

// UpsertRepository stores a repository seen on GitHub and returns its
// Sextant id. A repository first known by name only (from CI events) is
// adopted: its row gets the GitHub id. A renamed repository keeps its id.
// An older copy (by updated_at, then version) never overwrites a newer one;
// pushed_at only moves forward, whichever copy carries it.
func UpsertRepository(ctx context.Context, q Querier, r core.Repository) (int64, error) {
	if r.GitHubID == 0 || r.FullName == "" {
		return 0, fmt.Errorf("upsert repository %q: github id and full name are required", r.FullName)
	}
	if r.Owner == "" || r.Name == "" {
		r.Owner, r.Name, _ = strings.Cut(r.FullName, "/")
	}
	version := RepositoryVersion(r)
	if err := claimFullName(ctx, q, &r); err != nil {
		return 0, err
	}
	var id int64
	err := q.QueryRowContext(ctx, `SELECT id FROM repositories WHERE github_id = $1`, r.GitHubID).Scan(&id)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		// Not seen from GitHub yet: adopt a CI-only row of the same name, if any.
		err = q.QueryRowContext(ctx, `SELECT id FROM repositories WHERE full_name = $1 AND github_id IS NULL`, r.FullName).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			err = q.QueryRowContext(ctx, `
				INSERT INTO repositories (github_id, owner, name, full_name, private, archived, default_branch, created_at, updated_at, pushed_at, version)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
				RETURNING id`,
				r.GitHubID, r.Owner, r.Name, r.FullName, r.Private, r.Archived, nullString(r.DefaultBranch),
				Millis(r.CreatedAt), Millis(r.UpdatedAt), Millis(r.PushedAt), version).Scan(&id)
			if err != nil {
				return 0, fmt.Errorf("insert repository %s: %w", r.FullName, err)
			}
			return id, nil
		}
		if err != nil {
			return 0, fmt.Errorf("find repository %s: %w", r.FullName, err)
		}
	case err != nil:
		return 0, fmt.Errorf("find repository %s: %w", r.FullName, err)
	}
	_, err = q.ExecContext(ctx, `
		UPDATE repositories SET github_id = $1, owner = $2, name = $3, full_name = $4, private = $5,
			archived = $6, default_branch = COALESCE($7, default_branch), created_at = COALESCE($8, created_at),
			updated_at = $9, version = $10
		WHERE id = $11 AND (github_id IS NULL OR COALESCE(CAST($9 AS BIGINT), -1) > COALESCE(updated_at, -1) OR
			(COALESCE(CAST($9 AS BIGINT), -1) = COALESCE(updated_at, -1) AND (version IS NULL OR $10 > version)))`,
		r.GitHubID, r.Owner, r.Name, r.FullName, r.Private, r.Archived, nullString(r.DefaultBranch),
		Millis(r.CreatedAt), Millis(r.UpdatedAt), version, id)
	if err != nil {
		return 0, fmt.Errorf("update repository %s: %w", r.FullName, err)
	}
	return id, RepositoryPushed(ctx, q, id, r.PushedAt)
}

// RepositoryPushed moves a repository's pushed_at forward to at (never
// back).
func RepositoryPushed(ctx context.Context, q Querier, id int64, at time.Time) error {
	if at.IsZero() {
		return nil
	}
	_, err := q.ExecContext(ctx, `UPDATE repositories SET pushed_at = $1 WHERE id = $2 AND (pushed_at IS NULL OR pushed_at < $1)`,
		at.UnixMilli(), id)
	if err != nil {
		return fmt.Errorf("update pushed time of repository %d: %w", id, err)
	}
	return nil
}

// claimFullName settles two GitHub repositories claiming one name (a
// repository deleted and another created under its name, or a rename
// whose news arrives late): the one updated last holds it, and the other
// keeps the name suffixed with "@" and its GitHub id, which no real
// repository name contains.
func claimFullName(ctx context.Context, q Querier, r *core.Repository) error {
	var (
		holderID, holderGitHubID int64
		holderUpdated            sql.NullInt64
	)
	err := q.QueryRowContext(ctx, `SELECT id, github_id, updated_at FROM repositories
		WHERE full_name = $1 AND github_id IS NOT NULL AND github_id <> $2`, r.FullName, r.GitHubID).
		Scan(&holderID, &holderGitHubID, &holderUpdated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("find repository %s: %w", r.FullName, err)
	}
	mine := Millis(r.UpdatedAt).Int64
	if holderUpdated.Int64 > mine || holderUpdated.Int64 == mine && holderGitHubID > r.GitHubID {
		r.FullName = r.FullName + "@" + strconv.FormatInt(r.GitHubID, 10)
		return nil
	}
	_, err = q.ExecContext(ctx, `UPDATE repositories SET full_name = full_name || '@' || CAST(github_id AS TEXT) WHERE id = $1`, holderID)
	if err != nil {
		return fmt.Errorf("give up name %s: %w", r.FullName, err)
	}
	return nil
}

// RepositoryVersion is the version UpsertRepository gives r: pushed_at,
// which every push moves, is left out, so copies that differ only there
// compare equal.
func RepositoryVersion(r core.Repository) int64 {
	return versionOf(0, r.GitHubID, r.Owner, r.Name, r.FullName, r.Private, r.Archived, r.DefaultBranch, r.CreatedAt,
		r.UpdatedAt)
}

// EnsureRepositoryByName returns the id of the repository named fullName
// (owner/name), creating a name-only row when it is not known yet.
func EnsureRepositoryByName(ctx context.Context, q Querier, fullName string) (int64, error) {
	owner, name, ok := strings.Cut(fullName, "/")
	if !ok || owner == "" || name == "" {
		return 0, fmt.Errorf("repository %q is not owner/name", fullName)
	}
	var id int64
	err := q.QueryRowContext(ctx, `
		INSERT INTO repositories (owner, name, full_name) VALUES ($1, $2, $3)
		ON CONFLICT (full_name) DO UPDATE SET owner = excluded.owner
		RETURNING id`, owner, name, fullName).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("ensure repository %s: %w", fullName, err)
	}
	return id, nil
}

// RepositoryByName looks a repository up by owner/name.
func (db *DB) RepositoryByName(ctx context.Context, fullName string) (core.Repository, error) {
	var (
		r                        core.Repository
		gid                      sql.NullInt64
		branch                   sql.NullString
		created, updated, pushed sql.NullInt64
	)
	err := db.R.QueryRowContext(ctx, `
		SELECT id, github_id, owner, name, full_name, private, archived, default_branch, created_at, updated_at, pushed_at
		FROM repositories WHERE full_name = $1`, fullName).
		Scan(&r.ID, &gid, &r.Owner, &r.Name, &r.FullName, &r.Private, &r.Archived, &branch, &created, &updated, &pushed)
	if errors.Is(err, sql.ErrNoRows) {
		return r, core.Errorf(core.CodeNotFound, "repository %s not found", fullName)
	}
	if err != nil {
		return r, fmt.Errorf("get repository %s: %w", fullName, err)
	}
	r.GitHubID, r.DefaultBranch = gid.Int64, branch.String
	r.CreatedAt, r.UpdatedAt, r.PushedAt = Time(created), Time(updated), Time(pushed)
	return r, nil
}

func nullString(s string) sql.NullString {
	return sql.NullString{String: s, Valid: s != ""}
}

func nullInt(n int64) sql.NullInt64 {
	return sql.NullInt64{Int64: n, Valid: n != 0}
}
