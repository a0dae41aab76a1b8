package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sextant-dev/sextant/internal/store"
	"github.com/sextant-dev/sextant/internal/store/storetest"
)

// column is a column as both engines can describe it, with the type
// reduced to a portable class.
type column struct {
	Name     string
	Class    string
	Nullable bool
}

type index struct {
	Name    string
	Columns string
	Unique  bool
	Partial bool
}

type schema struct {
	Tables  map[string][]column
	Indexes map[string][]index
}

func typeClass(t string) string {
	t = strings.ToLower(t)
	switch {
	case strings.Contains(t, "int"):
		return "int"
	case strings.Contains(t, "bool"):
		return "bool"
	case t == "text" || strings.Contains(t, "char"):
		return "text"
	case t == "blob" || t == "bytea":
		return "bytes"
	case strings.Contains(t, "double") || t == "real":
		return "float"
	}
	return "other:" + t
}

func sqliteSchema(t *testing.T, db *store.DB) schema {
	ctx := context.Background()
	s := schema{Tables: map[string][]column{}, Indexes: map[string][]index{}}
	tables := queryStrings(t, db.R, `SELECT name FROM sqlite_master WHERE type = 'table'
		AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'goose_%' ORDER BY name`)
	for _, tbl := range tables {
		rows, err := db.R.QueryContext(ctx, fmt.Sprintf(`SELECT name, type, "notnull", pk FROM pragma_table_info('%s')`, tbl))
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var c column
			var typ string
			var notNull, pk int
			if err := rows.Scan(&c.Name, &typ, &notNull, &pk); err != nil {
				t.Fatal(err)
			}
			c.Class = typeClass(typ)
			c.Nullable = notNull == 0 && pk == 0
			s.Tables[tbl] = append(s.Tables[tbl], c)
		}
		rows.Close()
		idx, err := db.R.QueryContext(ctx, fmt.Sprintf(`SELECT name, "unique", partial FROM pragma_index_list('%s') WHERE origin = 'c'`, tbl))
		if err != nil {
			t.Fatal(err)
		}
		var list []index
		for idx.Next() {
			var ix index
			if err := idx.Scan(&ix.Name, &ix.Unique, &ix.Partial); err != nil {
				t.Fatal(err)
			}
			list = append(list, ix)
		}
		idx.Close()
		for i := range list {
			cols := queryStrings(t, db.R, fmt.Sprintf(`SELECT name FROM pragma_index_info('%s') ORDER BY seqno`, list[i].Name))
			list[i].Columns = strings.Join(cols, ",")
		}
		if len(list) > 0 {
			sortIndexes(list)
			s.Indexes[tbl] = list
		}
	}
	return s
}

func postgresSchema(t *testing.T, db *store.DB) schema {
	ctx := context.Background()
	s := schema{Tables: map[string][]column{}, Indexes: map[string][]index{}}
	rows, err := db.R.QueryContext(ctx, `
		SELECT c.table_name, c.column_name, c.data_type, c.is_nullable = 'YES'
		FROM information_schema.columns c
		JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
		WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' AND c.table_name NOT LIKE 'goose_%'
		ORDER BY c.table_name, c.ordinal_position`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var tbl, typ string
		var c column
		if err := rows.Scan(&tbl, &c.Name, &typ, &c.Nullable); err != nil {
			t.Fatal(err)
		}
		c.Class = typeClass(typ)
		s.Tables[tbl] = append(s.Tables[tbl], c)
	}
	rows.Close()
	idx, err := db.R.QueryContext(ctx, `
		SELECT t.relname, i.relname, ix.indisunique, ix.indpred IS NOT NULL,
			array_to_string(ARRAY(SELECT a.attname FROM unnest(ix.indkey) WITH ORDINALITY AS k(attnum, n)
				JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.n), ',')
		FROM pg_index ix
		JOIN pg_class i ON i.oid = ix.indexrelid
		JOIN pg_class t ON t.oid = ix.indrelid
		JOIN pg_namespace n ON n.oid = t.relnamespace
		WHERE n.nspname = current_schema() AND NOT ix.indisprimary AND t.relname NOT LIKE 'goose_%'`)
	if err != nil {
		t.Fatal(err)
	}
	for idx.Next() {
		var tbl string
		var ix index
		if err := idx.Scan(&tbl, &ix.Name, &ix.Unique, &ix.Partial, &ix.Columns); err != nil {
			t.Fatal(err)
		}
		s.Indexes[tbl] = append(s.Indexes[tbl], ix)
	}
	idx.Close()
	for tbl := range s.Indexes {
		sortIndexes(s.Indexes[tbl])
	}
	return s
}

func sortIndexes(l []index) {
	sort.Slice(l, func(i, j int) bool { return l[i].Name < l[j].Name })
}

func queryStrings(t *testing.T, db *sql.DB, q string) []string {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// The two dialects' migrations must describe the same schema: the same
// tables, columns (name, type class, nullability) and indexes.
func TestSchemasMatch(t *testing.T) {
	lite := sqliteSchema(t, storetest.Open(t, store.SQLite))
	if len(lite.Tables) < 30 {
		t.Fatalf("SQLite schema has %d tables, want every entity of schema v1", len(lite.Tables))
	}
	for _, want := range []string{"repositories", "pull_requests", "reviews", "deployments", "deployment_commits",
		"incidents", "ci_events", "webhook_deliveries", "http_cache", "sync_state", "integrity_findings",
		"jobs", "schedules", "api_tokens", "issue_transfers", "team_members", "affiliations", "metric_snapshots"} {
		if _, ok := lite.Tables[want]; !ok {
			t.Errorf("SQLite schema lacks table %s", want)
		}
	}
	pg := postgresSchema(t, storetest.Open(t, store.Postgres))
	if diff := cmp.Diff(lite, pg); diff != "" {
		t.Errorf("SQLite and PostgreSQL schemas differ (-sqlite +postgres):\n%s", diff)
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		applied, err := db.Migrate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(applied) != 0 {
			t.Errorf("second migrate applied %v, want nothing", applied)
		}
		current, err := db.MigrationsCurrent(ctx)
		if err != nil || !current {
			t.Errorf("MigrationsCurrent = %v, %v; want true", current, err)
		}
		states, err := db.MigrationStatus(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(states) == 0 || !states[0].Applied || states[0].Version != 1 {
			t.Errorf("status = %+v, want version 1 applied", states)
		}
	})
}

// Serving commits durably (synchronous=FULL); only a bulk load relaxes it.
func TestSQLiteDurability(t *testing.T) {
	for _, c := range []struct {
		opts store.Options
		want int // PRAGMA synchronous: 1 NORMAL, 2 FULL
	}{{store.Options{}, 2}, {store.Options{Bulk: true}, 1}} {
		db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "d.db"), c.opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range []*sql.DB{db.W, db.R} {
			var got int
			if err := h.QueryRow(`PRAGMA synchronous`).Scan(&got); err != nil || got != c.want {
				t.Errorf("%+v: synchronous = %d (%v), want %d", c.opts, got, err, c.want)
			}
		}
		db.Close()
	}
}
