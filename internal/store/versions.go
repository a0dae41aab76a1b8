package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"time"
)

// Versions order the copies of one GitHub object. Copies are compared by
// their updated_at first (when the object has one); copies with the same
// updated_at, common because GitHub timestamps have whole seconds, by
// version: a rank of how far the object has progressed (closed after open,
// completed after queued), then a hash of the stored content. The order is
// total, so the same copies applied in any order leave the same row, and a
// copy identical to the stored one changes nothing.

// versionOf returns the version of content at rank (0 to 127). Content
// is what GitHub says about the object, never one of Sextant's own ids
// (a repository's id depends on the order rows were first written).
func versionOf(rank int, content ...any) int64 {
	h := fnv.New64a()
	var buf [8]byte
	for _, c := range content {
		switch v := c.(type) {
		case string:
			binary.LittleEndian.PutUint64(buf[:], uint64(len(v)))
			h.Write(buf[:])
			h.Write([]byte(v))
		case int64:
			binary.LittleEndian.PutUint64(buf[:], uint64(v))
			h.Write(buf[:])
		case int:
			binary.LittleEndian.PutUint64(buf[:], uint64(v))
			h.Write(buf[:])
		case bool:
			if v {
				h.Write([]byte{1})
			} else {
				h.Write([]byte{0})
			}
		case time.Time:
			var ms int64 = math.MinInt64
			if !v.IsZero() {
				ms = v.UnixMilli()
			}
			binary.LittleEndian.PutUint64(buf[:], uint64(ms))
			h.Write(buf[:])
		case []string:
			s := slices.Clone(v)
			slices.Sort(s)
			binary.LittleEndian.PutUint64(buf[:], uint64(len(s)))
			h.Write(buf[:])
			for _, x := range s {
				binary.LittleEndian.PutUint64(buf[:], uint64(len(x)))
				h.Write(buf[:])
				h.Write([]byte(x))
			}
		default:
			panic(fmt.Sprintf("store: versionOf: unsupported %T", c))
		}
	}
	if rank < 0 {
		rank = 0
	}
	if rank > 127 {
		rank = 127
	}
	return int64(rank)<<56 | int64(h.Sum64()>>8)
}

// newer is the SQL condition under which the incoming row (excluded) of
// table replaces the stored one: a later updated_at, or the same one and a
// greater version (or a stored version reset to NULL by a replay).
func newer(table string) string {
	return `(COALESCE(excluded.updated_at, -1) > COALESCE(` + table + `.updated_at, -1) OR
		(COALESCE(excluded.updated_at, -1) = COALESCE(` + table + `.updated_at, -1) AND
		 (` + table + `.version IS NULL OR excluded.version > ` + table + `.version)))`
}

// newerVersion is newer for tables without an updated_at.
func newerVersion(table string) string {
	return `(` + table + `.version IS NULL OR excluded.version > ` + table + `.version)`
}

// versionedTables are the tables whose rows carry a version.
var versionedTables = []string{"actors", "organizations", "teams", "repositories", "pull_requests", "reviews",
	"review_comments", "issues", "issue_comments", "releases", "check_suites", "check_runs", "workflow_runs",
	"workflow_jobs"}

// ResetVersions forgets every stored version, so that re-projecting the
// raw log (sextant replay) rewrites rows with the current mapping even
// where the content, and so the version, changed while updated_at did not.
// Newer state is still protected by updated_at.
func ResetVersions(ctx context.Context, q Querier) error {
	for _, t := range versionedTables {
		if _, err := q.ExecContext(ctx, `UPDATE `+t+` SET version = NULL WHERE version IS NOT NULL`); err != nil {
			return fmt.Errorf("reset versions of %s: %w", t, err)
		}
	}
	return nil
}

// column reads the single column of rows into a slice (never nil).
func column[T any](rows *sql.Rows, err error) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		var v T
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
