package metrics

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// The kinds of the sums' column pairs, in column order, and the
// contribution kinds each adds up.
var sumKinds = []struct {
	column string
	kinds  []string
}{
	{"opened", []string{kindPullOpened}},
	{"merged", []string{kindPullMerged}},
	{"reviews", []string{kindReview}},
	{"issues", []string{kindIssue}},
	{"comments", []string{kindIssueComment, kindReviewComment}},
}

// sumColumns lists the count and points columns of the sums.
func sumColumns(prefix string) string {
	var cols []string
	for _, k := range sumKinds {
		cols = append(cols, prefix+k.column, prefix+k.column+"_points")
	}
	return strings.Join(cols, ", ")
}

// pivot is the SQL that sums contributions (alias c) into the count and
// points columns.
func pivot() string {
	var parts []string
	for _, k := range sumKinds {
		cond := "c.kind IN ('" + strings.Join(k.kinds, "', '") + "')"
		parts = append(parts, "SUM(CASE WHEN "+cond+" THEN 1 ELSE 0 END)", "SUM(CASE WHEN "+cond+" THEN c.points ELSE 0 END)")
	}
	return strings.Join(parts, ", ")
}

func dayOf(ms int64) int64 { return ms - ((ms%dayMS)+dayMS)%dayMS }

// daysOf adds the days on which people contributed.
func (e *Engine) daysOf(ctx context.Context, actors []int64, into map[int64]bool) error {
	err := query(ctx, e.db.R, `SELECT DISTINCT day FROM metric_contributions WHERE actor_id IN `+inList(actors), nil,
		func(rows *sql.Rows) error {
			var d int64
			err := rows.Scan(&d)
			into[d] = true
			return err
		})
	if err != nil {
		return fmt.Errorf("find the days of changed people: %w", err)
	}
	return nil
}

// sum recomputes the day and month sums of the given days (of every day
// when full) from the contributions, for everyone and per team of the day.
func (e *Engine) sum(ctx context.Context, full bool, days map[int64]bool) error {
	everyone := func(period, col, where string) string {
		return `INSERT INTO metric_contribution_sums (period, start, owner, actor_id, company, ` + sumColumns("") + `)
			SELECT '` + period + `', c.` + col + `, c.owner, c.actor_id, c.company, ` + pivot() + `
			FROM metric_contributions c ` + where + ` GROUP BY c.` + col + `, c.owner, c.actor_id, c.company`
	}
	// DISTINCT: two overlapping spans of one membership still count a
	// contribution once for the team.
	teams := func(period, col, where string) string {
		return `INSERT INTO metric_team_contribution_sums (period, start, owner, team_id, actor_id, company, ` + sumColumns("") + `)
			SELECT '` + period + `', c.` + col + `, c.owner, t.team_id, c.actor_id, c.company, ` + pivot() + `
			FROM (SELECT DISTINCT c.kind, c.source_id, m.team_id FROM metric_contributions c
			      JOIN team_members m ON m.actor_id = c.actor_id AND m.since <= c.at AND (m.until IS NULL OR m.until > c.at)
			      ` + where + `) t
			JOIN metric_contributions c ON c.kind = t.kind AND c.source_id = t.source_id
			GROUP BY c.` + col + `, c.owner, t.team_id, c.actor_id, c.company`
	}
	if full {
		return e.db.Tx(ctx, func(tx *sql.Tx) error {
			for _, q := range []string{`DELETE FROM metric_contribution_sums`, `DELETE FROM metric_team_contribution_sums`,
				everyone("day", "day", ""), everyone("month", "month", ""), teams("day", "day", ""), teams("month", "month", "")} {
				if _, err := tx.ExecContext(ctx, q); err != nil {
					return fmt.Errorf("sum contributions: %w", err)
				}
			}
			return nil
		})
	}
	months := map[int64]bool{}
	for d := range days {
		months[monthOf(d)] = true
	}
	redo := func(period, col string, starts map[int64]bool) error {
		for _, s := range sortedKeys(starts) {
			err := e.db.Tx(ctx, func(tx *sql.Tx) error {
				for _, q := range []string{
					`DELETE FROM metric_contribution_sums WHERE period = '` + period + `' AND start = $1`,
					`DELETE FROM metric_team_contribution_sums WHERE period = '` + period + `' AND start = $1`,
					everyone(period, col, `WHERE c.`+col+` = $1`),
					teams(period, col, `WHERE c.`+col+` = $1`),
				} {
					if _, err := tx.ExecContext(ctx, q, s); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return fmt.Errorf("sum contributions of %s %s: %w", period, time.UnixMilli(s).UTC().Format(time.DateOnly), err)
			}
		}
		return nil
	}
	if err := redo("day", "day", days); err != nil {
		return err
	}
	return redo("month", "month", months)
}
