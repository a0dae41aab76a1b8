package metrics

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/sextant-dev/sextant/internal/store"
)

// derivedTable describes a derived table for syncing: its key columns come
// first in cols.
type derivedTable struct {
	name string
	keys int
	cols []string
}

var (
	deploymentsTable = derivedTable{"metric_deployments", 1, []string{"deployment_id", "canonical_id", "repo_id",
		"environment", "production", "status", "counted", "at", "sha", "prev_id", "baseline", "commits_source", "commits",
		"changes", "failed", "rework", "lead_times", "direct_lead_times"}}
	pullsTable = derivedTable{"metric_pulls", 1, []string{"pull_request_id", "repo_id", "number", "author_id", "bot",
		"state", "created_at", "merged_at", "closed_at", "first_commit_at", "first_response_at", "first_review_at",
		"deployment_id", "deployed_at", "coding_ms", "pickup_ms", "review_ms", "deploy_ms", "lead_ms", "size", "reviews", "rework"}}
	incidentsTable = derivedTable{"metric_incidents", 1, []string{"incident_id", "repo_id", "source", "opened_at",
		"resolved_at", "restore_ms", "deployment_id", "link"}}
	issuesTable = derivedTable{"metric_issues", 1, []string{"issue_id", "repo_id", "created_at", "first_response_at",
		"response_ms", "bot"}}
	actorDomainsTable  = derivedTable{"metric_actor_domains", 3, []string{"repo_id", "actor_id", "domain"}}
	contributionsTable = derivedTable{"metric_contributions", 2, []string{"kind", "source_id", "repo_id", "owner",
		"actor_id", "at", "day", "month", "company", "points"}}
)

// rows are a derived table's wanted rows by key.
type rows map[string][]any

func (t derivedTable) add(rs rows, row []any) {
	rs[rowKey(row[:t.keys])] = row
}

func rowKey(vals []any) string {
	var b strings.Builder
	for i, v := range vals {
		if i > 0 {
			b.WriteByte(0)
		}
		fmt.Fprint(&b, normalize(v))
	}
	return b.String()
}

// normalize makes a value from either engine, or from Go, comparable:
// SQLite hands booleans back as integers and blobs may come as strings.
func normalize(v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case bool:
		if x {
			return int64(1)
		}
		return int64(0)
	case int:
		return int64(x)
	case int32:
		return int64(x)
	case []byte:
		if len(x) == 0 {
			return nil
		}
		return string(x)
	case *int64:
		if x == nil {
			return nil
		}
		return *x
	}
	return v
}

// syncStats counts what a sync wrote.
type syncStats struct{ inserted, updated, deleted int }

// sync makes the rows of t selected by where (with args) equal want,
// writing only the differences. changed is told of every row written or
// removed: (old, new), either nil.
func (t derivedTable) sync(ctx context.Context, tx *sql.Tx, d store.Dialect, where string, args []any, want rows, changed func(old, new []any)) (syncStats, error) {
	var st syncStats
	have := rows{}
	err := query(ctx, tx, `SELECT `+strings.Join(t.cols, ", ")+` FROM `+t.name+` WHERE `+where, args, func(r *sql.Rows) error {
		vals := make([]any, len(t.cols))
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := r.Scan(ptrs...); err != nil {
			return err
		}
		have[rowKey(vals[:t.keys])] = vals
		return nil
	})
	if err != nil {
		return st, fmt.Errorf("read %s: %w", t.name, err)
	}
	var inserts [][]any
	for k, w := range want {
		h, ok := have[k]
		if !ok {
			inserts = append(inserts, w)
			if changed != nil {
				changed(nil, w)
			}
			continue
		}
		delete(have, k)
		if sameRow(h, w) {
			continue
		}
		if err := t.update(ctx, tx, w); err != nil {
			return st, err
		}
		st.updated++
		if changed != nil {
			changed(h, w)
		}
	}
	for _, h := range have {
		if err := t.delete(ctx, tx, h); err != nil {
			return st, err
		}
		st.deleted++
		if changed != nil {
			changed(h, nil)
		}
	}
	if err := t.insert(ctx, tx, d, inserts); err != nil {
		return st, err
	}
	st.inserted = len(inserts)
	return st, nil
}

func sameRow(a, b []any) bool {
	for i := range a {
		if normalize(a[i]) != normalize(b[i]) {
			return false
		}
	}
	return true
}

// insertBatch keeps a statement's parameters under SQLite's limit.
const insertBatch = 400

func (t derivedTable) insert(ctx context.Context, tx *sql.Tx, d store.Dialect, all [][]any) error {
	for len(all) > 0 {
		n := min(len(all), insertBatch)
		var sb strings.Builder
		args := make([]any, 0, n*len(t.cols))
		sb.WriteString(`INSERT INTO ` + t.name + ` (` + strings.Join(t.cols, ", ") + `) VALUES `)
		for i, row := range all[:n] {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteByte('(')
			for j, v := range row {
				if j > 0 {
					sb.WriteString(", ")
				}
				args = append(args, v)
				// SQLite's anonymous parameters: thousands of named ones
				// ($1) cost a search each when parsed and bound.
				if d == store.SQLite {
					sb.WriteByte('?')
				} else {
					sb.WriteString("$" + strconv.Itoa(len(args)))
				}
			}
			sb.WriteByte(')')
		}
		if _, err := tx.ExecContext(ctx, sb.String(), args...); err != nil {
			return fmt.Errorf("insert into %s: %w", t.name, err)
		}
		all = all[n:]
	}
	return nil
}

func (t derivedTable) keyWhere(offset int) string {
	parts := make([]string, t.keys)
	for i := range parts {
		parts[i] = t.cols[i] + " = $" + strconv.Itoa(offset+i+1)
	}
	return strings.Join(parts, " AND ")
}

func (t derivedTable) update(ctx context.Context, tx *sql.Tx, row []any) error {
	sets := make([]string, 0, len(t.cols)-t.keys)
	for i, c := range t.cols[t.keys:] {
		sets = append(sets, c+" = $"+strconv.Itoa(i+1))
	}
	args := append(append([]any{}, row[t.keys:]...), row[:t.keys]...)
	q := `UPDATE ` + t.name + ` SET ` + strings.Join(sets, ", ") + ` WHERE ` + t.keyWhere(len(t.cols)-t.keys)
	if _, err := tx.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("update %s: %w", t.name, err)
	}
	return nil
}

func (t derivedTable) delete(ctx context.Context, tx *sql.Tx, row []any) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM `+t.name+` WHERE `+t.keyWhere(0), row[:t.keys]...); err != nil {
		return fmt.Errorf("delete from %s: %w", t.name, err)
	}
	return nil
}
