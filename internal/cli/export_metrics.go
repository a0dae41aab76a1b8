package cli

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sextant-dev/sextant/internal/core"
	"github.com/sextant-dev/sextant/internal/metrics"
	"github.com/sextant-dev/sextant/internal/store"
)

// The export kinds computed by the metrics engine rather than read from a
// table: the same numbers as GET /api/v1/leaderboard and /api/v1/dora.
const (
	exportLeaderboard = "leaderboard"
	exportDORA        = "dora"
)

func exportKinds() []string {
	return append(store.ExportKinds(), exportLeaderboard, exportDORA)
}

func metricExportKind(kind string) bool { return kind == exportLeaderboard || kind == exportDORA }

// rowSource streams rows of an export's columns.
type rowSource func(each func(vals []any, valid []bool) error) error

// metricQuery is what the metric kinds read from the export flags, in the
// API's own query parameters so that validation and defaults are the same.
type metricQuery struct {
	repo, team, org, from, to, interval, group string
}

func (m metricQuery) values() url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"repo": m.repo, "team": m.team, "org": m.org, "from": m.from, "to": m.to,
		"interval": m.interval, "group": m.group} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q
}

// flagProblems turns the API's problems with query parameters into one
// usage error naming the flags.
func flagProblems(err error) error {
	var ps core.Problems
	if !errors.As(err, &ps) {
		return err
	}
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = "--" + p.Field + ": " + p.Message
	}
	return usageError{errors.New(strings.Join(parts, "; "))}
}

var leaderboardColumns = []store.ExportColumn{
	{Name: "rank", Type: store.ColInt}, {Name: "group"}, {Name: "name"}, {Name: "score", Type: store.ColInt},
	{Name: "pulls_opened", Type: store.ColInt}, {Name: "pulls_merged", Type: store.ColInt},
	{Name: "reviews", Type: store.ColInt}, {Name: "issues", Type: store.ColInt}, {Name: "comments", Type: store.ColInt},
	{Name: "label_bonus", Type: store.ColInt}, {Name: "previous_rank", Type: store.ColInt},
	{Name: "previous_score", Type: store.ColInt}, {Name: "from", Type: store.ColTime}, {Name: "to", Type: store.ColTime},
}

var doraColumns = []store.ExportColumn{
	{Name: "from", Type: store.ColTime}, {Name: "to", Type: store.ColTime}, {Name: "scope"},
	{Name: "deployments", Type: store.ColInt}, {Name: "median_deploy_days_per_week", Type: store.ColFloat},
	{Name: "lead_time_median_seconds", Type: store.ColFloat}, {Name: "lead_time_p75_seconds", Type: store.ColFloat},
	{Name: "lead_time_p90_seconds", Type: store.ColFloat}, {Name: "changes", Type: store.ColInt},
	{Name: "change_failure_rate", Type: store.ColFloat}, {Name: "failed_deployments", Type: store.ColInt},
	{Name: "time_to_restore_median_seconds", Type: store.ColFloat}, {Name: "incidents", Type: store.ColInt},
	{Name: "rework_rate", Type: store.ColFloat},
}

// metricExport checks the query and returns the kind's columns and rows.
func metricExport(ctx context.Context, engine *metrics.Engine, kind string, mq metricQuery, now time.Time) ([]store.ExportColumn, rowSource, error) {
	q := mq.values()
	if kind == exportLeaderboard {
		lq, err := metrics.ParseLeaderboardQuery(leaderboardPage(q, 0), now)
		if err != nil {
			return nil, nil, flagProblems(err)
		}
		return leaderboardColumns, func(each func([]any, []bool) error) error {
			for offset := 0; ; {
				lb, err := engine.Leaderboard(ctx, lq)
				if err != nil {
					return err
				}
				for _, e := range lb.Entries {
					b := e.Breakdown
					vals := []any{int64(e.Rank), lb.Group, e.Name, e.Score, b.PullsOpened.Count, b.PullsMerged.Count,
						b.Reviews.Count, b.Issues.Count, b.Comments.Count, b.PullsMerged.LabelBonus,
						intOrZero(e.PreviousRank), int64OrZero(e.PreviousScore), lb.From, lb.To}
					valid := allValid(len(vals))
					valid[10], valid[11] = e.PreviousRank != nil, e.PreviousScore != nil
					if err := each(vals, valid); err != nil {
						return err
					}
				}
				offset += len(lb.Entries)
				if len(lb.Entries) == 0 || offset >= lb.Total {
					return nil
				}
				if lq, err = metrics.ParseLeaderboardQuery(leaderboardPage(q, offset), now); err != nil {
					return err
				}
			}
		}, nil
	}
	if mq.group != "" {
		return nil, nil, usageError{errors.New("--group is for --kind leaderboard")}
	}
	f, err := metrics.ParseFilter(q, now)
	if err != nil {
		return nil, nil, flagProblems(err)
	}
	return doraColumns, func(each func([]any, []bool) error) error {
		d, err := engine.DORA(ctx, f)
		if err != nil {
			return err
		}
		scope := "all"
		switch {
		case f.Repo != "":
			scope = "repo:" + f.Repo
		case f.Team != "":
			scope = "team:" + f.Team
		case f.Org != "":
			scope = "org:" + f.Org
		}
		for _, p := range d.Series {
			if err := each(doraRow(p, scope)); err != nil {
				return err
			}
		}
		return nil
	}, nil
}

func leaderboardPage(q url.Values, offset int) url.Values {
	p := url.Values{}
	for k, v := range q {
		p[k] = v
	}
	p.Set("limit", strconv.Itoa(metrics.MaxPage))
	p.Set("offset", strconv.Itoa(offset))
	return p
}

// doraRow is one period of the DORA series; unknown values are empty (CSV)
// or null (JSON lines).
func doraRow(p metrics.DORAPeriod, scope string) ([]any, []bool) {
	num := func(x *float64) (any, bool) {
		if x == nil {
			return 0.0, false
		}
		return *x, true
	}
	vals := []any{p.From, p.To, scope, int64(p.DeploymentFrequency.Deployments), p.DeploymentFrequency.MedianDeployDaysPerWeek}
	valid := allValid(len(vals))
	add := func(v any, ok bool) { vals, valid = append(vals, v), append(valid, ok) }
	add(num(p.LeadTime.Median))
	add(num(p.LeadTime.P75))
	add(num(p.LeadTime.P90))
	add(int64(p.LeadTime.Changes), true)
	add(num(p.ChangeFailureRate.Rate))
	add(int64(p.ChangeFailureRate.FailedDeployments), true)
	add(num(p.TimeToRestore.Median))
	add(int64(p.TimeToRestore.Incidents), true)
	add(num(p.ReworkRate.Rate))
	return vals, valid
}

func allValid(n int) []bool {
	v := make([]bool, n)
	for i := range v {
		v[i] = true
	}
	return v
}

func intOrZero(p *int) int64 {
	if p == nil {
		return 0
	}
	return int64(*p)
}

func int64OrZero(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}
