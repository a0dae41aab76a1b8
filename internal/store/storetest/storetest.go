// Package storetest gives tests a fresh, migrated database on every engine
// Sextant supports: SQLite always, PostgreSQL when SEXTANT_TEST_POSTGRES
// holds a DSN. Each call gets its own SQLite file or PostgreSQL schema.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/sextant-dev/sextant/internal/store"
)

// PostgresEnv names the environment variable holding the test PostgreSQL DSN.
const PostgresEnv = "SEXTANT_TEST_POSTGRES"

// RequireEnv, when set to 1 (as .ci/run does), turns the PostgreSQL skip
// into a failure, so CI cannot pass with the PostgreSQL suites silently off.
const RequireEnv = "SEXTANT_TEST_POSTGRES_REQUIRED"

// Each runs fn as a subtest once per available engine, with a fresh database.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, Open(t, store.SQLite)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Open(t, store.Postgres)) })
}

// Open returns a fresh migrated database of the given dialect, closed and
// removed when the test ends. PostgreSQL tests skip, saying why, when
// SEXTANT_TEST_POSTGRES is not set.
func Open(t testing.TB, d store.Dialect) *store.DB {
	t.Helper()
	dsn := DSN(t, d)
	db, err := store.Open(context.Background(), dsn, store.Options{})
	if err != nil {
		t.Fatalf("open %s test database: %v", d, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// DSN returns the DSN of a fresh, empty database of the given dialect.
func DSN(t testing.TB, d store.Dialect) string {
	t.Helper()
	if d == store.SQLite {
		return filepath.Join(t.TempDir(), "test.db")
	}
	base := os.Getenv(PostgresEnv)
	if base == "" {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("%s=1 but %s is empty", RequireEnv, PostgresEnv)
		}
		t.Skipf("PostgreSQL tests skipped: set %s to a DSN (for example postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable)", PostgresEnv)
	}
	return FreshSchema(t, base)
}

// FreshSchema creates an empty schema in the database of base and returns
// a DSN whose search_path is that schema. The schema is dropped at cleanup.
func FreshSchema(t testing.TB, base string) string {
	t.Helper()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open %s: %v", PostgresEnv, err)
	}
	t.Cleanup(func() { admin.Close() })
	b := make([]byte, 6)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("create test schema (is PostgreSQL at %s up?): %v", PostgresEnv, err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			t.Logf("drop test schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", PostgresEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
