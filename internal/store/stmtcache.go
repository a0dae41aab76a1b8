package store

import (
	"context"
	"database/sql"
)

// Prepared returns a Querier that prepares each statement once per
// transaction, for the hot write paths (webhook intake and projection) that
// run the same few statements hundreds of times in one transaction. On
// SQLite compiling a statement costs more than running it, and modernc's
// driver keeps no cache; pgx does, so on PostgreSQL tx is returned as is.
// (Statements cannot be prepared on the pool ahead: SQLite's single write
// connection is the transaction's.)
func (db *DB) Prepared(tx *sql.Tx) Querier {
	if db.Dialect != SQLite {
		return tx
	}
	return &cachedTx{tx: tx, bound: map[string]*sql.Stmt{}}
}

// maxCachedStmts bounds the statements of one transaction: those built for
// a varying number of values (IN lists, label sets) beyond it run
// unprepared.
const maxCachedStmts = 128

// cachedTx prepares statements in one transaction, once each.
type cachedTx struct {
	tx    *sql.Tx
	bound map[string]*sql.Stmt
}

func (q *cachedTx) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if s, ok := q.bound[query]; ok {
		return s, nil
	}
	if len(q.bound) >= maxCachedStmts {
		return nil, nil
	}
	s, err := q.tx.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	q.bound[query] = s
	return s, nil
}

func (q *cachedTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	s, err := q.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return q.tx.ExecContext(ctx, query, args...)
	}
	return s.ExecContext(ctx, args...)
}

func (q *cachedTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	s, err := q.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return q.tx.QueryContext(ctx, query, args...)
	}
	return s.QueryContext(ctx, args...)
}

func (q *cachedTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	s, err := q.stmt(ctx, query)
	if err != nil || s == nil {
		// A failed prepare reports its error through the unprepared run.
		return q.tx.QueryRowContext(ctx, query, args...)
	}
	return s.QueryRowContext(ctx, args...)
}
