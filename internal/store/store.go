// Package store is Sextant's database layer: one handle over SQLite or
// PostgreSQL, embedded migrations, and one file per aggregate with its SQL
// next to the Go that runs it.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	_ "modernc.org/sqlite" // database/sql driver "sqlite"
)

//go:embed migrations
var migrations embed.FS

// Dialect names the database engine behind a DB.
type Dialect string

// The supported engines.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is an open database. Writes go through W; reads that may run long
// (dashboards, exports) through R. On SQLite W is a single connection, so
// writers queue in Go instead of failing with SQLITE_BUSY, and R is a pool
// that WAL lets read while W writes. On PostgreSQL both are the same pool.
type DB struct {
	W       *sql.DB
	R       *sql.DB
	Dialect Dialect
	// Target is the DSN with any password removed, for messages.
	Target string
}

// Options tune Open.
type Options struct {
	// NoMigrate leaves the schema as it is (sextant migrate status).
	NoMigrate bool
	// Bulk is for loads that can simply run again (sextant demo): on
	// SQLite a commit no longer waits for the disk (synchronous=NORMAL,
	// which WAL keeps safe from corruption; a power cut may lose the last
	// commits). Never for serving, which acknowledges only what is durable.
	Bulk bool
}

// Open connects to dsn and, unless opts.NoMigrate, migrates the schema.
// dsn is a SQLite path, sqlite://path, file:path, or a postgres:// URL.
func Open(ctx context.Context, dsn string, opts Options) (*DB, error) {
	db, err := connect(ctx, dsn, opts)
	if err != nil {
		return nil, err
	}
	if !opts.NoMigrate {
		if _, err := db.Migrate(ctx); err != nil {
			db.Close()
			return nil, err
		}
	}
	return db, nil
}

// IsPostgres reports whether dsn names a PostgreSQL database.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

func connect(ctx context.Context, dsn string, opts Options) (*DB, error) {
	if IsPostgres(dsn) {
		return connectPostgres(ctx, dsn)
	}
	return connectSQLite(ctx, dsn, opts.Bulk)
}

func connectPostgres(ctx context.Context, dsn string) (*DB, error) {
	target := redactDSN(dsn)
	pool, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", target, err)
	}
	pool.SetMaxOpenConns(20)
	pool.SetMaxIdleConns(10)
	pool.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.PingContext(pctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to %s: %w", target, cleanPGError(err, dsn))
	}
	return &DB{W: pool, R: pool, Dialect: Postgres, Target: target}, nil
}

// SQLitePath returns the file path of a SQLite DSN.
func SQLitePath(dsn string) string {
	p := strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite://"), "file:")
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	return p
}

func connectSQLite(ctx context.Context, dsn string, bulk bool) (*DB, error) {
	path := SQLitePath(dsn)
	if path == "" {
		return nil, errors.New("open database: empty SQLite path")
	}
	if dir := filepath.Dir(path); dir != "." {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return nil, fmt.Errorf("open database %s: directory %s does not exist", path, dir)
		}
	}
	// Durable before acknowledged: synchronous=FULL makes every commit reach
	// the disk. _txlock=immediate takes the write lock at BEGIN, so a
	// read-then-write transaction never fails to upgrade its lock.
	sync := "synchronous(FULL)"
	if bulk {
		sync = "synchronous(NORMAL)"
	}
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "busy_timeout(10000)", "foreign_keys(1)", sync,
		"temp_store(MEMORY)", "cache_size(-32000)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	full := "file:" + path + "?" + q.Encode()

	w, err := sql.Open("sqlite", full)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	w.SetConnMaxLifetime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("open database %s: %w", path, notADatabase(err))
	}
	// Creating the file and switching it to WAL must happen before readers
	// open it: a read-only-looking first connection would otherwise race.
	if _, err := w.ExecContext(ctx, "PRAGMA user_version"); err != nil {
		w.Close()
		return nil, fmt.Errorf("open database %s: %w", path, notADatabase(err))
	}
	r, err := sql.Open("sqlite", full)
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	r.SetMaxOpenConns(4)
	return &DB{W: w, R: r, Dialect: SQLite, Target: path}, nil
}

func notADatabase(err error) error {
	if strings.Contains(err.Error(), "file is not a database") {
		return errors.New("the file exists but is not a SQLite database")
	}
	return err
}

// Close closes both pools.
func (db *DB) Close() error {
	err := db.W.Close()
	if db.R != db.W {
		err = errors.Join(err, db.R.Close())
	}
	return err
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	return db.R.PingContext(ctx)
}

func (db *DB) provider() (*goose.Provider, error) {
	sub, err := fs.Sub(migrations, "migrations/"+string(db.Dialect))
	if err != nil {
		return nil, err
	}
	var opts []goose.ProviderOption
	dialect := goose.DialectSQLite3
	if db.Dialect == Postgres {
		dialect = goose.DialectPostgres
		// An advisory lock lets replicas that start together migrate one
		// at a time: the first migrates, the others wait and find nothing to do.
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	return goose.NewProvider(dialect, db.W, sub, opts...)
}

// Migrate applies pending migrations and returns the versions it applied.
func (db *DB) Migrate(ctx context.Context) ([]int64, error) {
	p, err := db.provider()
	if err != nil {
		return nil, fmt.Errorf("migrate %s: %w", db.Target, err)
	}
	res, err := p.Up(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate %s: %w", db.Target, err)
	}
	applied := make([]int64, 0, len(res))
	for _, r := range res {
		applied = append(applied, r.Source.Version)
	}
	return applied, nil
}

// MigrationState is one migration's status.
type MigrationState struct {
	Version   int64
	Name      string
	Applied   bool
	AppliedAt time.Time
}

// MigrationStatus lists every known migration and whether it is applied.
func (db *DB) MigrationStatus(ctx context.Context) ([]MigrationState, error) {
	p, err := db.provider()
	if err != nil {
		return nil, fmt.Errorf("migration status: %w", err)
	}
	st, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("migration status of %s: %w", db.Target, err)
	}
	out := make([]MigrationState, 0, len(st))
	for _, s := range st {
		out = append(out, MigrationState{
			Version:   s.Source.Version,
			Name:      filepath.Base(s.Source.Path),
			Applied:   s.State == goose.StateApplied,
			AppliedAt: s.AppliedAt,
		})
	}
	return out, nil
}

// MigrationsCurrent reports whether every migration is applied.
func (db *DB) MigrationsCurrent(ctx context.Context) (bool, error) {
	p, err := db.provider()
	if err != nil {
		return false, err
	}
	pending, err := p.HasPending(ctx)
	if err != nil {
		return false, err
	}
	return !pending, nil
}

// redactDSN drops the password from a URL DSN.
func redactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "the database"
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	return u.Redacted()
}

// cleanPGError makes sure a connection error never carries the password.
func cleanPGError(err error, dsn string) error {
	u, perr := url.Parse(dsn)
	if perr != nil || u.User == nil {
		return err
	}
	if pw, ok := u.User.Password(); ok && pw != "" && strings.Contains(err.Error(), pw) {
		return errors.New(strings.ReplaceAll(err.Error(), pw, "xxxxx"))
	}
	return err
}

// Tx runs fn in a write transaction, committing when it returns nil.
func (db *DB) Tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.W.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Millis converts a time to the schema's Unix milliseconds; the zero time
// becomes NULL.
func Millis(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
}

// Time converts stored Unix milliseconds back; NULL becomes the zero time.
func Time(ms sql.NullInt64) time.Time {
	if !ms.Valid {
		return time.Time{}
	}
	return time.UnixMilli(ms.Int64).UTC()
}
