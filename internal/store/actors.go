package store

import (
	"context"
	"fmt"

	"github.com/sextant-dev/sextant/internal/core"
)

// UpsertActor stores a GitHub account keyed by its id. A copy with a
// later updated_at (or the same one and a greater version) replaces the
// stored one; name and email, which most payloads leave out, are kept when
// the newer copy lacks them. Webhook copies have no updated_at, so a copy
// from the API (which has one) wins over them.
func UpsertActor(ctx context.Context, q Querier, a core.Actor) error {
	if a.ID == 0 || a.Login == "" {
		return fmt.Errorf("upsert actor %q: id and login are required", a.Login)
	}
	if a.Type == "" {
		a.Type = core.ActorUser
	}
	_, err := q.ExecContext(ctx, `
		INSERT INTO actors (id, login, type, name, email, updated_at, version)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (id) DO UPDATE SET login = excluded.login, type = excluded.type,
			name = COALESCE(excluded.name, actors.name), email = COALESCE(excluded.email, actors.email),
			updated_at = excluded.updated_at, version = excluded.version
		WHERE `+newer("actors"),
		a.ID, a.Login, a.Type, nullString(a.Name), nullString(a.Email), Millis(a.UpdatedAt), ActorVersion(a))
	if err != nil {
		return fmt.Errorf("upsert actor %s: %w", a.Login, err)
	}
	return nil
}

// ActorVersion is the version UpsertActor gives a.
func ActorVersion(a core.Actor) int64 {
	return versionOf(0, a.ID, a.Login, a.Type, a.Name, a.Email, a.UpdatedAt)
}
