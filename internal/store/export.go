package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ColumnType says how an exported value is encoded.
type ColumnType int

// Export column types.
const (
	ColText ColumnType = iota
	ColInt
	ColBool
	ColTime // stored as Unix ms, exported as RFC 3339
	ColJSON // a JSON document stored as text, exported as is
	// ColFloat is a number with a fraction (computed exports: rates,
	// medians).
	ColFloat
)

// ExportColumn is one column of an export.
type ExportColumn struct {
	Name string
	Type ColumnType
}

// ExportFilter narrows an export. Zero values mean no limit.
type ExportFilter struct {
	From, To time.Time // on the kind's main time column, [From, To)
	Repo     string    // owner/name
}

type exportKind struct {
	columns []ExportColumn
	query   string // SELECT …  with a WHERE clause the filter extends
	timeCol string
	repoCol string
}

func cols(spec string) []ExportColumn {
	var out []ExportColumn
	for _, f := range strings.Fields(spec) {
		name, typ, _ := strings.Cut(f, ":")
		c := ExportColumn{Name: name}
		switch typ {
		case "int":
			c.Type = ColInt
		case "bool":
			c.Type = ColBool
		case "time":
			c.Type = ColTime
		case "json":
			c.Type = ColJSON
		}
		out = append(out, c)
	}
	return out
}

// lookupExport returns the query of a row export kind.
func lookupExport(kind string) (exportKind, bool) {
	switch kind {
	case "pulls":
		return exportKind{
			columns: cols("repo number:int author state draft:bool merged:bool merge_commit_sha created_at:time updated_at:time closed_at:time merged_at:time first_commit_at:time additions:int deletions:int changed_files:int"),
			query: `SELECT r.full_name, p.number, a.login, p.state, p.draft, p.merged, p.merge_commit_sha, p.created_at, p.updated_at,
			p.closed_at, p.merged_at, p.first_commit_at, p.additions, p.deletions, p.changed_files
			FROM pull_requests p JOIN repositories r ON r.id = p.repo_id LEFT JOIN actors a ON a.id = p.author_id WHERE TRUE`,
			timeCol: "p.created_at", repoCol: "r.full_name",
		}, true
	case "reviews":
		return exportKind{
			columns: cols("repo pull_number:int reviewer state submitted_at:time"),
			query: `SELECT r.full_name, p.number, a.login, v.state, v.submitted_at
			FROM reviews v JOIN repositories r ON r.id = v.repo_id LEFT JOIN pull_requests p ON p.id = v.pull_request_id
			LEFT JOIN actors a ON a.id = v.reviewer_id WHERE TRUE`,
			timeCol: "v.submitted_at", repoCol: "r.full_name",
		}, true
	case "deployments":
		return exportKind{
			columns: cols("id:int repo source source_id environment sha ref status created_at:time finished_at:time caused_failure:bool"),
			query: `SELECT d.id, r.full_name, d.source, d.source_id, d.environment, d.sha, d.ref, d.status, d.created_at,
			d.finished_at, d.caused_failure FROM deployments d JOIN repositories r ON r.id = d.repo_id WHERE TRUE`,
			timeCol: "d.created_at", repoCol: "r.full_name",
		}, true
	case "incidents":
		return exportKind{
			columns: cols("id:int source source_id repo title opened_at:time resolved_at:time deployment_id:int"),
			query: `SELECT i.id, i.source, i.source_id, r.full_name, i.title, i.opened_at, i.resolved_at, i.deployment_id
			FROM incidents i LEFT JOIN repositories r ON r.id = i.repo_id WHERE TRUE`,
			timeCol: "i.opened_at", repoCol: "r.full_name",
		}, true
	case "events":
		return exportKind{
			columns: cols("id:int event repo time:time sha ref environment status deployment url duration_ms:int metadata:json"),
			query: `SELECT e.id, e.event, e.repo, e.at, e.sha, e.ref, e.environment, e.status, e.deployment, e.url,
			e.duration_ms, e.metadata FROM ci_events e WHERE TRUE`,
			timeCol: "e.at", repoCol: "e.repo",
		}, true
	}
	return exportKind{}, false
}

// ExportKinds lists the row kinds Export knows, sorted.
func ExportKinds() []string {
	return []string{"deployments", "events", "incidents", "pulls", "reviews"}
}

// ExportColumns returns the columns of a row kind.
func ExportColumns(kind string) ([]ExportColumn, bool) {
	k, ok := lookupExport(kind)
	return k.columns, ok
}

// Export streams the rows of kind matching f to each, one row at a time,
// so memory stays flat at any size. Values are decoded by column type:
// ColText and ColJSON as string (empty for NULL), ColInt as int64,
// ColBool as bool, ColTime as time.Time (zero for NULL); valid[i] is false
// for NULL.
func (db *DB) Export(ctx context.Context, kind string, f ExportFilter, each func(vals []any, valid []bool) error) error {
	k, ok := lookupExport(kind)
	if !ok {
		return fmt.Errorf("unknown export kind %q", kind)
	}
	q := k.query
	var args []any
	if !f.From.IsZero() {
		args = append(args, f.From.UnixMilli())
		q += " AND " + k.timeCol + " >= $" + strconv.Itoa(len(args))
	}
	if !f.To.IsZero() {
		args = append(args, f.To.UnixMilli())
		q += " AND " + k.timeCol + " < $" + strconv.Itoa(len(args))
	}
	if f.Repo != "" {
		args = append(args, f.Repo)
		q += " AND " + k.repoCol + " = $" + strconv.Itoa(len(args))
	}
	q += " ORDER BY " + k.timeCol + ", 1"
	rows, err := db.R.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("export %s: %w", kind, err)
	}
	defer rows.Close()
	n := len(k.columns)
	raw := make([]any, n)
	texts := make([]sql.NullString, n)
	ints := make([]sql.NullInt64, n)
	bools := make([]sql.NullBool, n)
	for i, c := range k.columns {
		switch c.Type {
		case ColInt, ColTime:
			raw[i] = &ints[i]
		case ColBool:
			raw[i] = &bools[i]
		default:
			raw[i] = &texts[i]
		}
	}
	vals := make([]any, n)
	valid := make([]bool, n)
	for rows.Next() {
		if err := rows.Scan(raw...); err != nil {
			return fmt.Errorf("export %s: %w", kind, err)
		}
		for i, c := range k.columns {
			switch c.Type {
			case ColInt:
				vals[i], valid[i] = ints[i].Int64, ints[i].Valid
			case ColTime:
				vals[i], valid[i] = Time(ints[i]), ints[i].Valid
			case ColBool:
				vals[i], valid[i] = bools[i].Bool, bools[i].Valid
			default:
				vals[i], valid[i] = texts[i].String, texts[i].Valid
			}
		}
		if err := each(vals, valid); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("export %s: %w", kind, err)
	}
	return nil
}

// NormalizedEvent is one input event in the common shape of the archive:
// a GitHub webhook delivery or a CI event.
type NormalizedEvent struct {
	ID           string    `json:"id"`
	Source       string    `json:"source"` // github or ci
	Event        string    `json:"event"`
	Action       string    `json:"action,omitempty"`
	Repo         string    `json:"repo,omitempty"`
	Time         time.Time `json:"time"`
	Delivery     string    `json:"delivery,omitempty"`
	HookID       int64     `json:"hook_id,omitempty"`
	Installation int64     `json:"installation_id,omitempty"`
	SHA          string    `json:"sha,omitempty"`
	Ref          string    `json:"ref,omitempty"`
	Environment  string    `json:"environment,omitempty"`
	Status       string    `json:"status,omitempty"`
}

// NormalizedEvents streams webhook deliveries, then CI events, in time order
// within each source.
func (db *DB) NormalizedEvents(ctx context.Context, f ExportFilter, each func(NormalizedEvent) error) error {
	where, args := " WHERE TRUE", []any{}
	add := func(col string) {
		if !f.From.IsZero() {
			args = append(args, f.From.UnixMilli())
			where += " AND " + col + " >= $" + strconv.Itoa(len(args))
		}
		if !f.To.IsZero() {
			args = append(args, f.To.UnixMilli())
			where += " AND " + col + " < $" + strconv.Itoa(len(args))
		}
	}
	add("received_at")
	if f.Repo != "" {
		args = append(args, f.Repo)
		where += " AND repo_full_name = $" + strconv.Itoa(len(args))
	}
	rows, err := db.R.QueryContext(ctx, `SELECT delivery_id, event, action, repo_full_name, received_at, hook_id, installation_id
		FROM webhook_deliveries`+where+` ORDER BY received_at, id`, args...)
	if err != nil {
		return fmt.Errorf("read deliveries: %w", err)
	}
	for rows.Next() {
		var (
			e                  NormalizedEvent
			action, repo       sql.NullString
			at                 int64
			hook, installation sql.NullInt64
		)
		if err := rows.Scan(&e.Delivery, &e.Event, &action, &repo, &at, &hook, &installation); err != nil {
			rows.Close()
			return fmt.Errorf("read deliveries: %w", err)
		}
		e.ID, e.Source, e.Action, e.Repo = "github-"+e.Delivery, "github", action.String, repo.String
		e.Time, e.HookID, e.Installation = time.UnixMilli(at).UTC(), hook.Int64, installation.Int64
		if err := each(e); err != nil {
			rows.Close()
			return err
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read deliveries: %w", err)
	}
	return db.Export(ctx, "events", f, func(vals []any, valid []bool) error {
		e := NormalizedEvent{Source: "ci", Event: vals[1].(string), Repo: vals[2].(string), Time: vals[3].(time.Time),
			SHA: vals[4].(string), Ref: vals[5].(string), Environment: vals[6].(string), Status: vals[7].(string)}
		e.ID = "ci-" + strconv.FormatInt(vals[0].(int64), 10)
		return each(e)
	})
}
