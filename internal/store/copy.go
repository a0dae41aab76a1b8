package store

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// column describes a column of a table for copying.
type tableColumn struct {
	Name string
	Bool bool // needs an integer↔boolean conversion between engines
}

// Tables lists the application's tables (not the migration bookkeeping).
func (db *DB) Tables(ctx context.Context) ([]string, error) {
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'goose_%' ORDER BY name`
	if db.Dialect == Postgres {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()
			AND table_type = 'BASE TABLE' AND table_name NOT LIKE 'goose_%' ORDER BY table_name`
	}
	rows, err := db.R.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		out = append(out, name)
	}
	return out, rows.Err()
}

func (db *DB) columns(ctx context.Context, table string) ([]tableColumn, error) {
	q := `SELECT name, lower(type) FROM pragma_table_info($1) ORDER BY cid`
	if db.Dialect == Postgres {
		q = `SELECT column_name, data_type FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`
	}
	rows, err := db.R.QueryContext(ctx, q, table)
	if err != nil {
		return nil, fmt.Errorf("columns of %s: %w", table, err)
	}
	defer rows.Close()
	var out []tableColumn
	for rows.Next() {
		var c tableColumn
		var typ string
		if err := rows.Scan(&c.Name, &typ); err != nil {
			return nil, err
		}
		c.Bool = strings.Contains(strings.ToLower(typ), "bool")
		out = append(out, c)
	}
	return out, rows.Err()
}

// CopyProgress is told how many rows of a table have been copied so far.
type CopyProgress func(table string, rows int64)

// CopyAll copies every row of every table from src to dst, which must be
// migrated to the same version and hold no data. On PostgreSQL the identity
// sequences are moved past the copied ids so new rows do not collide. The
// metrics engine's derived tables are left out: the destination's first
// metrics refresh rebuilds them.
func CopyAll(ctx context.Context, src, dst *DB, progress CopyProgress) error {
	srcV, err := src.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	dstV, err := dst.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	if latest(srcV) != latest(dstV) {
		return fmt.Errorf("copy: source schema is at version %d, destination at %d; run sextant migrate on both first", latest(srcV), latest(dstV))
	}
	all, err := src.Tables(ctx)
	if err != nil {
		return err
	}
	tables := slices.DeleteFunc(all, IsDerivedTable)
	for _, t := range tables {
		var n int64
		if err := dst.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+t).Scan(&n); err != nil {
			return fmt.Errorf("copy: check destination table %s: %w", t, err)
		}
		if n > 0 {
			return fmt.Errorf("copy: destination table %s already holds %d rows; copy into an empty database", t, n)
		}
	}
	for _, t := range tables {
		if err := copyTable(ctx, src, dst, t, progress); err != nil {
			return err
		}
	}
	return nil
}

func latest(states []MigrationState) int64 {
	var v int64
	for _, s := range states {
		if s.Applied && s.Version > v {
			v = s.Version
		}
	}
	return v
}

const copyBatch = 500

func copyTable(ctx context.Context, src, dst *DB, table string, progress CopyProgress) error {
	cols, err := dst.columns(ctx, table)
	if err != nil {
		return err
	}
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	list := strings.Join(names, ", ")
	rows, err := src.R.QueryContext(ctx, `SELECT `+list+` FROM `+table)
	if err != nil {
		return fmt.Errorf("copy %s: read: %w", table, err)
	}
	defer rows.Close()

	var (
		batch [][]any
		total int64
	)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		var sb strings.Builder
		args := make([]any, 0, len(batch)*len(cols))
		sb.WriteString(`INSERT INTO ` + table + ` (` + list + `) VALUES `)
		for i, row := range batch {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteByte('(')
			for j, v := range row {
				if j > 0 {
					sb.WriteString(", ")
				}
				args = append(args, convertForCopy(v, cols[j], dst.Dialect))
				sb.WriteString("$" + strconv.Itoa(len(args)))
			}
			sb.WriteByte(')')
		}
		if _, err := dst.W.ExecContext(ctx, sb.String(), args...); err != nil {
			return fmt.Errorf("copy %s: write: %w", table, err)
		}
		total += int64(len(batch))
		batch = batch[:0]
		if progress != nil {
			progress(table, total)
		}
		return nil
	}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return fmt.Errorf("copy %s: scan: %w", table, err)
		}
		batch = append(batch, vals)
		if len(batch) == copyBatch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("copy %s: read: %w", table, err)
	}
	if err := flush(); err != nil {
		return err
	}
	if dst.Dialect == Postgres && total > 0 && hasColumn(cols, "id") {
		// Only identity columns have a sequence; pg_get_serial_sequence is
		// NULL for plain GitHub-id keys, and setval(NULL, …) does nothing.
		_, err := dst.W.ExecContext(ctx, `SELECT setval(s, (SELECT MAX(id) FROM `+table+`))
			FROM (SELECT pg_get_serial_sequence($1, 'id') AS s) q WHERE s IS NOT NULL`, table)
		if err != nil {
			return fmt.Errorf("copy %s: move identity sequence: %w", table, err)
		}
	}
	if progress != nil && total == 0 {
		progress(table, 0)
	}
	return nil
}

func hasColumn(cols []tableColumn, name string) bool {
	for _, c := range cols {
		if c.Name == name {
			return true
		}
	}
	return false
}

// convertForCopy bridges the engines' value types: SQLite keeps booleans as
// integers, which PostgreSQL will not take for a BOOLEAN column.
func convertForCopy(v any, c tableColumn, to Dialect) any {
	if c.Bool && to == Postgres {
		switch b := v.(type) {
		case int64:
			return b != 0
		case string:
			return b == "1" || b == "true"
		}
	}
	return v
}
