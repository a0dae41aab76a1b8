package metrics

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"
)

// Spread is the median, p75 and p90 of a set of spans, in seconds; null
// without values. Count is how many spans are known.
type Spread struct {
	Median *float64 `json:"median_seconds"`
	P75    *float64 `json:"p75_seconds"`
	P90    *float64 `json:"p90_seconds"`
	Count  int      `json:"count"`
}

// Throughput counts pull requests opened, merged and closed without
// merging in the period.
type Throughput struct {
	Opened         int `json:"opened"`
	Merged         int `json:"merged"`
	ClosedUnmerged int `json:"closed_unmerged"`
}

// Size is the lines changed (additions + deletions) of the pull requests
// merged in the period.
type Size struct {
	Median *float64 `json:"median_lines"`
	P75    *float64 `json:"p75_lines"`
	P90    *float64 `json:"p90_lines"`
	Count  int      `json:"count"`
}

// ReviewLoad is the reviews submitted in the period and by how many people.
type ReviewLoad struct {
	Reviews     int      `json:"reviews"`
	Reviewers   int      `json:"reviewers"`
	PerReviewer *float64 `json:"per_reviewer"`
}

// FirstResponse is the time to first response of the issues opened in the
// period: answered ones in the spread, the others counted as unanswered.
type FirstResponse struct {
	Spread
	Issues     int `json:"issues"`
	Unanswered int `json:"unanswered"`
}

// FlowValues are the flow metrics of one period and scope. The spans are
// over the pull requests merged in the period.
type FlowValues struct {
	Coding             Spread        `json:"coding"`
	Pickup             Spread        `json:"pickup"`
	Review             Spread        `json:"review"`
	Deploy             Spread        `json:"deploy"`
	Throughput         Throughput    `json:"throughput"`
	Size               Size          `json:"size"`
	Reviews            ReviewLoad    `json:"reviews"`
	IssueFirstResponse FirstResponse `json:"issue_first_response"`
}

// FlowPeriod is the flow metrics of one period.
type FlowPeriod struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	FlowValues
}

// FlowRepo and FlowTeam break the period down.
type FlowRepo struct {
	Repo string `json:"repo"`
	FlowValues
}

// FlowTeam is one team's repositories over the period.
type FlowTeam struct {
	Team string `json:"team"`
	Name string `json:"name"`
	FlowValues
}

// Flow is the answer of a flow query.
type Flow struct {
	From        time.Time  `json:"from"`
	To          time.Time  `json:"to"`
	Interval    string     `json:"interval"`
	RefreshedAt *time.Time `json:"refreshed_at"`
	FlowValues
	Previous FlowPeriod   `json:"previous"`
	Series   []FlowPeriod `json:"series"`
	Repos    []FlowRepo   `json:"repos"`
	Teams    []FlowTeam   `json:"teams"`
}

type flowAcc struct {
	r                              Range
	coding, pickup, review, deploy []int64
	sizes                          []int64
	throughput                     Throughput
	reviews                        int
	reviewers                      map[int64]bool
	responses                      []int64
	issues, unanswered             int
}

func newFlowAcc(r Range) *flowAcc { return &flowAcc{r: r, reviewers: map[int64]bool{}} }

type pullRow struct {
	repo                           int64
	created, merged, closed        sql.NullInt64
	state                          string
	coding, pickup, review, deploy sql.NullInt64
	size                           sql.NullInt64
}

func (a *flowAcc) pull(p *pullRow) {
	if a.r.contains(p.created.Int64) {
		a.throughput.Opened++
	}
	if p.merged.Valid && a.r.contains(p.merged.Int64) {
		a.throughput.Merged++
		for _, x := range []struct {
			v   sql.NullInt64
			dst *[]int64
		}{{p.coding, &a.coding}, {p.pickup, &a.pickup}, {p.review, &a.review}, {p.deploy, &a.deploy}, {p.size, &a.sizes}} {
			if x.v.Valid {
				*x.dst = append(*x.dst, x.v.Int64)
			}
		}
	}
	if p.state == "closed" && p.closed.Valid && a.r.contains(p.closed.Int64) {
		a.throughput.ClosedUnmerged++
	}
}

func spreadOfMS(ms []int64) Spread {
	s := spreadOf(ms)
	return Spread{Median: s.Median, P75: s.P75, P90: s.P90, Count: s.Count}
}

func (a *flowAcc) values() FlowValues {
	v := FlowValues{Coding: spreadOfMS(a.coding), Pickup: spreadOfMS(a.pickup), Review: spreadOfMS(a.review),
		Deploy: spreadOfMS(a.deploy), Throughput: a.throughput}
	slices.Sort(a.sizes)
	lines := func(p float64) *float64 {
		x, ok := percentile(a.sizes, p)
		if !ok {
			return nil
		}
		return &x
	}
	v.Size = Size{Median: lines(0.5), P75: lines(0.75), P90: lines(0.9), Count: len(a.sizes)}
	v.Reviews = ReviewLoad{Reviews: a.reviews, Reviewers: len(a.reviewers), PerReviewer: rate(a.reviews, len(a.reviewers))}
	v.IssueFirstResponse = FirstResponse{Spread: spreadOfMS(a.responses), Issues: a.issues, Unanswered: a.unanswered}
	return v
}

// Flow computes the pull-request flow metrics of the filter's scope and
// range, with the previous period, a series and a breakdown. Pull
// requests opened by bots are left out.
func (e *Engine) Flow(ctx context.Context, f Filter) (*Flow, error) {
	s, err := e.resolve(ctx, f)
	if err != nil {
		return nil, err
	}
	cur, prev := f.Range(), f.Range().previous()
	series := buckets(cur, f.Interval)
	all := []*flowAcc{newFlowAcc(cur), newFlowAcc(prev)}
	points := make([]*flowAcc, len(series))
	for i, b := range series {
		points[i] = newFlowAcc(b)
		all = append(all, points[i])
	}
	repos := map[int64]*flowAcc{}
	for _, id := range s.repos {
		repos[id] = newFlowAcc(cur)
	}
	teams := map[int64]*flowAcc{}
	for _, t := range s.teams {
		teams[t.id] = newFlowAcc(cur)
	}
	// each hands a row to the accumulators whose ranges may hold one of
	// its times: the period, the previous one, the series points of those
	// times, its repository's and its teams'. An accumulator checks its
	// own range again.
	each := func(repo int64, times [3]int64, fn func(a *flowAcc)) {
		fn(all[0])
		fn(all[1])
		done := [3]int{-1, -1, -1}
		for k, t := range times {
			if t == 0 {
				continue
			}
			if i := bucketOf(series, t); i >= 0 && i != done[0] && i != done[1] {
				done[k] = i
				fn(points[i])
			}
		}
		if a := repos[repo]; a != nil {
			fn(a)
		}
		for _, t := range s.repoTeams[repo] {
			if a := teams[t]; a != nil {
				fn(a)
			}
		}
	}
	lo, hi := prev.fromMS(), cur.toMS()
	err = query(ctx, e.db.R, `SELECT repo_id, created_at, merged_at, closed_at, state, coding_ms, pickup_ms, review_ms,
			deploy_ms, size FROM metric_pulls
		WHERE NOT bot AND (created_at >= $1 AND created_at < $2 OR merged_at >= $1 AND merged_at < $2
			OR closed_at >= $1 AND closed_at < $2) AND `+s.where("repo_id"), []any{lo, hi}, func(rows *sql.Rows) error {
		var p pullRow
		if err := rows.Scan(&p.repo, &p.created, &p.merged, &p.closed, &p.state, &p.coding, &p.pickup, &p.review,
			&p.deploy, &p.size); err != nil {
			return err
		}
		each(p.repo, [3]int64{p.created.Int64, p.merged.Int64, p.closed.Int64}, func(a *flowAcc) { a.pull(&p) })
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read pull requests: %w", err)
	}
	err = query(ctx, e.db.R, `SELECT repo_id, actor_id, at FROM metric_contributions
		WHERE kind = 'review' AND at >= $1 AND at < $2 AND `+s.where("repo_id"), []any{lo, hi}, func(rows *sql.Rows) error {
		var repo, actor, at int64
		if err := rows.Scan(&repo, &actor, &at); err != nil {
			return err
		}
		each(repo, [3]int64{at}, func(a *flowAcc) {
			if a.r.contains(at) {
				a.reviews++
				a.reviewers[actor] = true
			}
		})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read reviews: %w", err)
	}
	err = query(ctx, e.db.R, `SELECT repo_id, created_at, response_ms FROM metric_issues
		WHERE NOT bot AND created_at >= $1 AND created_at < $2 AND `+s.where("repo_id"), []any{lo, hi}, func(rows *sql.Rows) error {
		var (
			repo, created int64
			response      sql.NullInt64
		)
		if err := rows.Scan(&repo, &created, &response); err != nil {
			return err
		}
		each(repo, [3]int64{created}, func(a *flowAcc) {
			if !a.r.contains(created) {
				return
			}
			a.issues++
			if response.Valid {
				a.responses = append(a.responses, response.Int64)
			} else {
				a.unanswered++
			}
		})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read issues: %w", err)
	}
	out := &Flow{From: cur.From, To: cur.To, Interval: f.Interval, FlowValues: all[0].values(),
		Previous: FlowPeriod{From: prev.From, To: prev.To, FlowValues: all[1].values()},
		Series:   make([]FlowPeriod, len(series)), Repos: []FlowRepo{}, Teams: []FlowTeam{}}
	for i, p := range points {
		out.Series[i] = FlowPeriod{From: p.r.From, To: p.r.To, FlowValues: p.values()}
	}
	for _, id := range s.repos {
		out.Repos = append(out.Repos, FlowRepo{Repo: s.repoInfo[id].fullName, FlowValues: repos[id].values()})
	}
	for _, t := range s.teams {
		out.Teams = append(out.Teams, FlowTeam{Team: t.name, Name: t.title, FlowValues: teams[t.id].values()})
	}
	if at, err := e.RefreshedAt(ctx); err == nil && !at.IsZero() {
		out.RefreshedAt = &at
	}
	return out, nil
}
