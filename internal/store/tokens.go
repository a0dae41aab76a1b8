package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/sextant-dev/sextant/internal/core"
)

// TokenPrefix starts every token Sextant generates, so a leaked one is easy
// to recognise (and to find with secret scanners).
const TokenPrefix = "sxt_"

// touchEvery limits how often a token's last_used_at is written: a busy
// pipeline should not turn every event into two writes.
const touchEvery = time.Minute

var tokenName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// HashToken is the stored form of a token. Tokens are long random strings
// (or, from configuration, at least 16 characters), so a fast hash suffices:
// there is no password to brute-force.
func HashToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// NewTokenSecret returns a fresh token: the prefix and 32 random bytes.
func NewTokenSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate token: %w", err)
	}
	return TokenPrefix + base64.RawURLEncoding.EncodeToString(b), nil
}

// CheckToken reports every problem with a token's name and scopes.
func CheckToken(name string, scopes []string) core.Problems {
	var ps core.Problems
	if !tokenName.MatchString(name) {
		ps.Add("name", fmt.Sprintf("%q is not 1 to 64 letters, digits, '_', '.' or '-' starting with a letter or digit", name))
	}
	if len(scopes) == 0 {
		ps.Add("scope", "at least one scope is required: "+strings.Join(core.Scopes(), ", "))
	}
	for _, s := range scopes {
		if !slices.Contains(core.Scopes(), s) {
			ps.Add("scope", fmt.Sprintf("unknown scope %q: want %s", s, strings.Join(core.Scopes(), ", ")))
		}
	}
	return ps
}

func joinScopes(scopes []string) string {
	s := slices.Clone(scopes)
	slices.Sort(s)
	return strings.Join(slices.Compact(s), " ")
}

func splitScopes(s string) []string { return strings.Fields(s) }

// CreateToken stores a new token named name and returns its secret, which
// exists nowhere else afterwards: only its hash is kept.
func (db *DB) CreateToken(ctx context.Context, name string, scopes []string, now time.Time) (string, core.APIToken, error) {
	if err := CheckToken(name, scopes).Invalid("invalid token"); err != nil {
		return "", core.APIToken{}, err
	}
	secret, err := NewTokenSecret()
	if err != nil {
		return "", core.APIToken{}, err
	}
	t := core.APIToken{Name: name, Scopes: splitScopes(joinScopes(scopes)), CreatedAt: now.UTC().Truncate(time.Millisecond)}
	err = db.Tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM api_tokens WHERE name = $1 AND revoked_at IS NULL`, name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return core.Errorf(core.CodeConflict, "a token named %q already exists (revoke it first, or pick another name)", name)
		}
		return tx.QueryRowContext(ctx, `
			INSERT INTO api_tokens (name, hash, scopes, from_config, created_at)
			VALUES ($1, $2, $3, FALSE, $4) RETURNING id`,
			name, HashToken(secret), joinScopes(scopes), now.UnixMilli()).Scan(&t.ID)
	})
	if err != nil {
		return "", core.APIToken{}, fmt.Errorf("create token %s: %w", name, err)
	}
	return secret, t, nil
}

const tokenColumns = `id, name, scopes, from_config, created_at, last_used_at, revoked_at`

func scanToken(row interface{ Scan(...any) error }) (core.APIToken, error) {
	var (
		t             core.APIToken
		scopes        string
		created       int64
		used, revoked sql.NullInt64
	)
	err := row.Scan(&t.ID, &t.Name, &scopes, &t.FromConfig, &created, &used, &revoked)
	t.Scopes = splitScopes(scopes)
	t.CreatedAt = time.UnixMilli(created).UTC()
	t.LastUsedAt, t.RevokedAt = Time(used), Time(revoked)
	return t, err
}

// Authenticate returns the live token whose secret is secret. An unknown
// or revoked token is an unauthorized error that says nothing of which.
func (db *DB) Authenticate(ctx context.Context, secret string) (core.APIToken, error) {
	t, err := scanToken(db.R.QueryRowContext(ctx, `
		SELECT `+tokenColumns+` FROM api_tokens WHERE hash = $1 AND revoked_at IS NULL`, HashToken(secret)))
	if errors.Is(err, sql.ErrNoRows) {
		return core.APIToken{}, core.Errorf(core.CodeUnauthorized, "unknown or revoked token")
	}
	if err != nil {
		return core.APIToken{}, fmt.Errorf("authenticate token: %w", err)
	}
	return t, nil
}

// TouchToken records that t was used at now, at most once a minute.
func (db *DB) TouchToken(ctx context.Context, t core.APIToken, now time.Time) error {
	if !t.LastUsedAt.IsZero() && now.Sub(t.LastUsedAt) < touchEvery {
		return nil
	}
	_, err := db.W.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = $1 WHERE id = $2`, now.UnixMilli(), t.ID)
	if err != nil {
		return fmt.Errorf("record use of token %s: %w", t.Name, err)
	}
	return nil
}

// Tokens lists tokens by name; revoked ones only when includeRevoked.
func (db *DB) Tokens(ctx context.Context, includeRevoked bool) ([]core.APIToken, error) {
	where := `WHERE revoked_at IS NULL`
	if includeRevoked {
		where = ``
	}
	rows, err := db.R.QueryContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens `+where+` ORDER BY name, id`)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	var out []core.APIToken
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("list tokens: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken revokes the live token named name. Tokens from the
// configuration are refused: the next start would bring them back.
func (db *DB) RevokeToken(ctx context.Context, name string, now time.Time) error {
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		var (
			id         int64
			fromConfig bool
		)
		err := tx.QueryRowContext(ctx, `SELECT id, from_config FROM api_tokens WHERE name = $1 AND revoked_at IS NULL`, name).
			Scan(&id, &fromConfig)
		if errors.Is(err, sql.ErrNoRows) {
			return core.Errorf(core.CodeNotFound, "no live token named %q", name)
		}
		if err != nil {
			return err
		}
		if fromConfig {
			return core.Errorf(core.CodeConflict, "token %q comes from the configuration (api.tokens): remove it there and restart", name)
		}
		_, err = tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = $1 WHERE id = $2`, now.UnixMilli(), id)
		return err
	})
	if err != nil {
		return fmt.Errorf("revoke token %s: %w", name, err)
	}
	return nil
}

// ConfigToken is a token given in the configuration, already hashed.
type ConfigToken struct {
	Name   string
	Scopes []string
	Hash   string
}

// SyncConfigTokens makes the configuration's tokens the live tokens marked
// from_config: new ones are added, changed ones updated, and ones no longer
// configured revoked. Replicas starting together may race on PostgreSQL, so
// a failed attempt is retried: the next one sees the winner's rows.
func (db *DB) SyncConfigTokens(ctx context.Context, tokens []ConfigToken, now time.Time) error {
	var ps core.Problems
	seen := map[string]bool{}
	for _, t := range tokens {
		for _, p := range CheckToken(t.Name, t.Scopes) {
			ps.Add("api.tokens", t.Name+": "+p.Message)
		}
		if seen[t.Name] {
			ps.Add("api.tokens", fmt.Sprintf("token name %q appears twice", t.Name))
		}
		seen[t.Name] = true
	}
	if err := ps.Invalid("configured API tokens"); err != nil {
		return err
	}
	var err error
	for range 3 {
		if err = db.syncConfigTokens(ctx, tokens, now); err == nil || core.ErrorCode(err) != core.CodeInternal {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("sync configured API tokens: %w", err)
	}
	return nil
}

func (db *DB) syncConfigTokens(ctx context.Context, tokens []ConfigToken, now time.Time) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		type live struct {
			id         int64
			hash       string
			scopes     string
			fromConfig bool
		}
		existing := map[string]live{}
		rows, err := tx.QueryContext(ctx, `SELECT id, name, hash, scopes, from_config FROM api_tokens WHERE revoked_at IS NULL`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var (
				l    live
				name string
			)
			if err := rows.Scan(&l.id, &name, &l.hash, &l.scopes, &l.fromConfig); err != nil {
				rows.Close()
				return err
			}
			existing[name] = l
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		wanted := map[string]bool{}
		for _, t := range tokens {
			wanted[t.Name] = true
			scopes := joinScopes(t.Scopes)
			l, ok := existing[t.Name]
			if ok && !l.fromConfig {
				return core.Errorf(core.CodeConflict,
					"configured token %q has the name of a token made with sextant token create: rename one", t.Name)
			}
			if ok && l.hash == t.Hash && l.scopes == scopes {
				continue
			}
			var other int64
			err := tx.QueryRowContext(ctx, `SELECT id FROM api_tokens WHERE hash = $1`, t.Hash).Scan(&other)
			if err == nil && (!ok || other != l.id) {
				// Never say which token shares it: that would hint at a secret.
				return core.Errorf(core.CodeConflict, "configured token %q reuses the secret of another (or a revoked) token", t.Name)
			}
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			if ok {
				_, err = tx.ExecContext(ctx, `UPDATE api_tokens SET hash = $1, scopes = $2 WHERE id = $3`, t.Hash, scopes, l.id)
			} else {
				_, err = tx.ExecContext(ctx, `
					INSERT INTO api_tokens (name, hash, scopes, from_config, created_at) VALUES ($1, $2, $3, TRUE, $4)`,
					t.Name, t.Hash, scopes, now.UnixMilli())
			}
			if err != nil {
				return err
			}
		}
		for name, l := range existing {
			if l.fromConfig && !wanted[name] {
				if _, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = $1 WHERE id = $2`, now.UnixMilli(), l.id); err != nil {
					return err
				}
			}
		}
		return nil
	})
}
