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

// sum recomputes the sums of the months holding the given days (of every
// month when full), days and month, for everyone and per team of the day.
// One transaction a month keeps each short: on SQLite a long one would
// hold off the intake.
func (e *Engine) sum(ctx context.Context, full bool, days map[int64]bool) error {
	months := map[int64]bool{}
	for d := range days {
		months[monthOf(d)] = true
	}
	if full {
		err := query(ctx, e.db.R, `SELECT DISTINCT month FROM metric_contributions
			UNION SELECT DISTINCT start FROM metric_contribution_sums WHERE period = 'month'
			UNION SELECT DISTINCT start FROM metric_team_contribution_sums WHERE period = 'month'`, nil, func(rows *sql.Rows) error {
			var m int64
			err := rows.Scan(&m)
			months[m] = true
			return err
		})
		if err != nil {
			return fmt.Errorf("list contribution months: %w", err)
		}
	}
	everyone := func(period, col string) string {
		return `INSERT INTO metric_contribution_sums (period, start, owner, actor_id, company, ` + sumColumns("") + `)
			SELECT '` + period + `', c.` + col + `, c.owner, c.actor_id, c.company, ` + pivot() + `
			FROM metric_contributions c WHERE c.month = $1 GROUP BY c.` + col + `, c.owner, c.actor_id, c.company`
	}
	// DISTINCT: two overlapping spans of one membership still count a
	// contribution once for the team.
	teams := func(period, col string) string {
		return `INSERT INTO metric_team_contribution_sums (period, start, owner, team_id, actor_id, company, ` + sumColumns("") + `)
			SELECT '` + period + `', c.` + col + `, c.owner, t.team_id, c.actor_id, c.company, ` + pivot() + `
			FROM (SELECT DISTINCT c.kind, c.source_id, m.team_id FROM metric_contributions c
			      JOIN team_members m ON m.actor_id = c.actor_id AND m.since <= c.at AND (m.until IS NULL OR m.until > c.at)
			      WHERE c.month = $1) t
			JOIN metric_contributions c ON c.kind = t.kind AND c.source_id = t.source_id
			GROUP BY c.` + col + `, c.owner, t.team_id, c.actor_id, c.company`
	}
	for _, m := range sortedKeys(months) {
		end := time.UnixMilli(m).UTC().AddDate(0, 1, 0).UnixMilli()
		err := e.db.Tx(ctx, func(tx *sql.Tx) error {
			for _, t := range []string{"metric_contribution_sums", "metric_team_contribution_sums"} {
				if _, err := tx.ExecContext(ctx, `DELETE FROM `+t+` WHERE period = 'day' AND start >= $1 AND start < $2`, m, end); err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `DELETE FROM `+t+` WHERE period = 'month' AND start = $1`, m); err != nil {
					return err
				}
			}
			for _, q := range []string{everyone("day", "day"), everyone("month", "month"), teams("day", "day"), teams("month", "month")} {
				if _, err := tx.ExecContext(ctx, q, m); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("sum contributions of %s: %w", time.UnixMilli(m).UTC().Format("2006-01"), err)
		}
	}
	return nil
}
