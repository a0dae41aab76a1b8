package store

import (
	"context"
	"fmt"

	"github.com/sextant-dev/sextant/internal/core"
)

// UpsertRelease stores a release keyed by its GitHub id. Releases have no
// updated_at: a published copy ranks above a draft, then content breaks
// ties; a deleted release stays deleted.
func UpsertRelease(ctx context.Context, q Querier, r core.Release) error {
	if r.ID == 0 || r.RepoID == 0 || r.TagName == "" {
		return fmt.Errorf("upsert release %d: id, repository and tag are required", r.ID)
	}
	v := newerVersion("releases")
	_, err := q.ExecContext(ctx, `
		INSERT INTO releases (id, repo_id, tag_name, name, target_commitish, draft, prerelease, author_id, created_at,
			published_at, deleted, version)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		ON CONFLICT (id) DO UPDATE SET
			repo_id = CASE WHEN `+v+` THEN excluded.repo_id ELSE releases.repo_id END,
			tag_name = CASE WHEN `+v+` THEN excluded.tag_name ELSE releases.tag_name END,
			name = CASE WHEN `+v+` THEN excluded.name ELSE releases.name END,
			target_commitish = CASE WHEN `+v+` THEN excluded.target_commitish ELSE releases.target_commitish END,
			draft = CASE WHEN `+v+` THEN excluded.draft ELSE releases.draft END,
			prerelease = CASE WHEN `+v+` THEN excluded.prerelease ELSE releases.prerelease END,
			author_id = COALESCE(releases.author_id, excluded.author_id),
			created_at = COALESCE(releases.created_at, excluded.created_at),
			published_at = CASE WHEN `+v+` THEN COALESCE(excluded.published_at, releases.published_at) ELSE COALESCE(releases.published_at, excluded.published_at) END,
			deleted = releases.deleted OR excluded.deleted,
			version = CASE WHEN `+v+` THEN excluded.version ELSE releases.version END`,
		r.ID, r.RepoID, r.TagName, nullString(r.Name), nullString(r.TargetCommitish), r.Draft, r.Prerelease,
		nullInt(r.AuthorID), Millis(r.CreatedAt), Millis(r.PublishedAt), r.Deleted, ReleaseVersion(r))
	if err != nil {
		return fmt.Errorf("upsert release %d: %w", r.ID, err)
	}
	return nil
}

// ReleaseVersion is the version UpsertRelease gives r.
func ReleaseVersion(r core.Release) int64 {
	rank := 0
	if !r.Draft {
		rank = 1
	}
	return versionOf(rank, r.ID, r.TagName, r.Name, r.TargetCommitish, r.Draft, r.Prerelease, r.PublishedAt)
}
