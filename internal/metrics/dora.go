package metrics

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"
)

// Levels.
const (
	LevelElite  = "elite"
	LevelHigh   = "high"
	LevelMedium = "medium"
	LevelLow    = "low"
)

// DeploymentFrequency counts successful production deployments.
type DeploymentFrequency struct {
	Deployments int `json:"deployments"`
	// PerWeek is the average over the period.
	PerWeek float64 `json:"per_week"`
	// MedianDeployDaysPerWeek is the median, over the UTC weeks of the
	// period (clipped to it), of the number of days with a deployment.
	MedianDeployDaysPerWeek float64 `json:"median_deploy_days_per_week"`
	Level                   *string `json:"level"`
}

// LeadTime is first commit → deployed, over the pull requests deployed in
// the period, and authored → deployed over directly pushed commits.
type LeadTime struct {
	Median       *float64     `json:"median_seconds"`
	P75          *float64     `json:"p75_seconds"`
	P90          *float64     `json:"p90_seconds"`
	Changes      int          `json:"changes"`
	Level        *string      `json:"level"`
	DirectPushes DirectPushes `json:"direct_pushes"`
}

// DirectPushes is the lead time of commits deployed without a pull request.
type DirectPushes struct {
	Median  *float64 `json:"median_seconds"`
	P75     *float64 `json:"p75_seconds"`
	P90     *float64 `json:"p90_seconds"`
	Commits int      `json:"commits"`
}

// ChangeFailureRate is the share of successful production deployments that
// caused a failure.
type ChangeFailureRate struct {
	Rate              *float64 `json:"rate"`
	FailedDeployments int      `json:"failed_deployments"`
	Deployments       int      `json:"deployments"`
	Level             *string  `json:"level"`
}

// TimeToRestore is incident opened → resolved, over the incidents resolved
// in the period.
type TimeToRestore struct {
	Median    *float64 `json:"median_seconds"`
	P75       *float64 `json:"p75_seconds"`
	P90       *float64 `json:"p90_seconds"`
	Incidents int      `json:"incidents"`
	Level     *string  `json:"level"`
}

// ReworkRate is the share of successful production deployments that were
// unplanned fixes.
type ReworkRate struct {
	Rate              *float64 `json:"rate"`
	ReworkDeployments int      `json:"rework_deployments"`
	Deployments       int      `json:"deployments"`
	Level             *string  `json:"level"`
}

// DORAValues are the five metrics of one period and scope.
type DORAValues struct {
	DeploymentFrequency DeploymentFrequency `json:"deployment_frequency"`
	LeadTime            LeadTime            `json:"lead_time"`
	ChangeFailureRate   ChangeFailureRate   `json:"change_failure_rate"`
	TimeToRestore       TimeToRestore       `json:"time_to_restore"`
	ReworkRate          ReworkRate          `json:"rework_rate"`
}

// DORAPeriod is the metrics of one period: the previous period or a point
// of the series.
type DORAPeriod struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	DORAValues
}

// DORARepo is the metrics of one repository over the period.
type DORARepo struct {
	Repo string `json:"repo"`
	DORAValues
}

// DORATeam is the metrics of one team's repositories over the period.
type DORATeam struct {
	Team string `json:"team"`
	Name string `json:"name"`
	DORAValues
}

// DORA is the answer of a DORA query.
type DORA struct {
	From        time.Time  `json:"from"`
	To          time.Time  `json:"to"`
	Interval    string     `json:"interval"`
	RefreshedAt *time.Time `json:"refreshed_at"`
	DORAValues
	Previous DORAPeriod   `json:"previous"`
	Series   []DORAPeriod `json:"series"`
	Repos    []DORARepo   `json:"repos"`
	Teams    []DORATeam   `json:"teams"`
	// Thresholds are the level boundaries the levels were rated by.
	Thresholds Thresholds `json:"thresholds"`
}

// Thresholds are the boundaries of the elite, high and medium levels of
// each metric (beyond medium is low). Deployment frequency is the longest
// average time between deployments, in seconds, still at a level; lead
// time and time to restore are seconds a median must be below; rates are
// what a rate may be at most. Rework has none unless configured (null).
type Thresholds struct {
	DeploymentFrequency LevelBounds  `json:"deployment_frequency"`
	LeadTime            LevelBounds  `json:"lead_time"`
	ChangeFailureRate   LevelBounds  `json:"change_failure_rate"`
	TimeToRestore       LevelBounds  `json:"time_to_restore"`
	ReworkRate          *LevelBounds `json:"rework_rate"`
}

// LevelBounds are a metric's level boundaries, elite first.
type LevelBounds struct {
	Elite  float64 `json:"elite"`
	High   float64 `json:"high"`
	Medium float64 `json:"medium"`
}

func (l Levels) thresholds() Thresholds {
	secs := func(d [3]time.Duration) LevelBounds {
		return LevelBounds{d[0].Seconds(), d[1].Seconds(), d[2].Seconds()}
	}
	rates := func(r [3]float64) LevelBounds { return LevelBounds{r[0], r[1], r[2]} }
	t := Thresholds{DeploymentFrequency: secs(l.DeployFrequency), LeadTime: secs(l.LeadTime),
		ChangeFailureRate: rates(l.ChangeFailureRate), TimeToRestore: secs(l.TimeToRestore)}
	if l.ReworkRate != [3]float64{} {
		rw := rates(l.ReworkRate)
		t.ReworkRate = &rw
	}
	return t
}

// doraAcc accumulates one period's deployments and incidents.
type doraAcc struct {
	r                                Range
	deploys, failed, rework, changes int
	days                             map[int64]bool
	leads, direct                    []int64
	incidents                        int
	restores                         []int64
}

func newAcc(r Range) *doraAcc { return &doraAcc{r: r, days: map[int64]bool{}} }

const dayMS = int64(24 * time.Hour / time.Millisecond)

func (a *doraAcc) deployment(d *deployRow) {
	a.deploys++
	a.days[d.at/dayMS] = true
	if d.failed {
		a.failed++
	}
	if d.rework {
		a.rework++
	}
	a.changes += d.changes
	a.leads = append(a.leads, d.leads...)
	a.direct = append(a.direct, d.direct...)
}

func (a *doraAcc) incident(restore sql.NullInt64) {
	a.incidents++
	if restore.Valid {
		a.restores = append(a.restores, restore.Int64)
	}
}

// medianDeployDays is the median over the weeks of the period of the
// number of days with a deployment.
func (a *doraAcc) medianDeployDays() float64 {
	weeks := buckets(a.r, Week)
	counts := make([]int64, len(weeks))
	for i, w := range weeks {
		// Days by index: a week clipped to start mid-day still holds that
		// day (only deployments in the range are in days).
		for d := w.fromMS() / dayMS; d*dayMS < w.toMS(); d++ {
			if a.days[d] {
				counts[i]++
			}
		}
	}
	slices.Sort(counts)
	m, _ := percentile(counts, 0.5)
	return m
}

func (a *doraAcc) values(l Levels) DORAValues {
	var v DORAValues
	weeks := a.r.To.Sub(a.r.From).Hours() / (24 * 7)
	v.DeploymentFrequency = DeploymentFrequency{
		Deployments:             a.deploys,
		PerWeek:                 round(float64(a.deploys) / weeks),
		MedianDeployDaysPerWeek: a.medianDeployDays(),
		Level:                   deployLevel(a.deploys, a.r.To.Sub(a.r.From), l.DeployFrequency),
	}
	lt := spreadOf(a.leads)
	dp := spreadOf(a.direct)
	v.LeadTime = LeadTime{Median: lt.Median, P75: lt.P75, P90: lt.P90, Changes: a.changes,
		Level:        durationLevel(lt.Median, l.LeadTime),
		DirectPushes: DirectPushes{Median: dp.Median, P75: dp.P75, P90: dp.P90, Commits: dp.Count}}
	cfr := rate(a.failed, a.deploys)
	v.ChangeFailureRate = ChangeFailureRate{Rate: cfr, FailedDeployments: a.failed, Deployments: a.deploys,
		Level: rateLevel(cfr, l.ChangeFailureRate)}
	ttr := spreadOf(a.restores)
	v.TimeToRestore = TimeToRestore{Median: ttr.Median, P75: ttr.P75, P90: ttr.P90, Incidents: a.incidents,
		Level: durationLevel(ttr.Median, l.TimeToRestore)}
	rw := rate(a.rework, a.deploys)
	v.ReworkRate = ReworkRate{Rate: rw, ReworkDeployments: a.rework, Deployments: a.deploys}
	if l.ReworkRate != [3]float64{} {
		v.ReworkRate.Level = rateLevel(rw, l.ReworkRate)
	}
	return v
}

var levelNames = [4]string{LevelElite, LevelHigh, LevelMedium, LevelLow}

func level(i int) *string {
	s := levelNames[i]
	return &s
}

// deployLevel rates a frequency by the average time between deployments.
func deployLevel(n int, length time.Duration, t [3]time.Duration) *string {
	if n == 0 {
		return level(3)
	}
	every := length / time.Duration(n)
	for i, limit := range t {
		if every <= limit {
			return level(i)
		}
	}
	return level(3)
}

// durationLevel rates a median duration in seconds: below a threshold.
func durationLevel(sec *float64, t [3]time.Duration) *string {
	if sec == nil {
		return nil
	}
	for i, limit := range t {
		if *sec < limit.Seconds() {
			return level(i)
		}
	}
	return level(3)
}

// rateLevel rates a rate: at most a threshold.
func rateLevel(r *float64, t [3]float64) *string {
	if r == nil {
		return nil
	}
	for i, limit := range t {
		if *r <= limit+1e-9 {
			return level(i)
		}
	}
	return level(3)
}

// deployRow is one counted deployment as the queries read it.
type deployRow struct {
	repo           int64
	at             int64
	failed, rework bool
	changes        int
	leads, direct  []int64
}

// DORA computes the DORA metrics of the filter's scope and range, with the
// previous period of equal length, a series over the interval, and a
// breakdown per repository and per team.
func (e *Engine) DORA(ctx context.Context, f Filter) (*DORA, error) {
	s, err := e.resolve(ctx, f)
	if err != nil {
		return nil, err
	}
	cur, prev := f.Range(), f.Range().previous()
	series := buckets(cur, f.Interval)
	total, previous := newAcc(cur), newAcc(prev)
	points := make([]*doraAcc, len(series))
	for i, b := range series {
		points[i] = newAcc(b)
	}
	repos := map[int64]*doraAcc{}
	for _, id := range s.repos {
		repos[id] = newAcc(cur)
	}
	teams := map[int64]*doraAcc{}
	for _, t := range s.teams {
		teams[t.id] = newAcc(cur)
	}
	var scratch deployRow
	err = query(ctx, e.db.R, `SELECT repo_id, at, failed, rework, changes, lead_times, direct_lead_times
		FROM metric_deployments WHERE counted AND at >= $1 AND at < $2 AND `+s.where("repo_id"),
		[]any{prev.fromMS(), cur.toMS()}, func(rows *sql.Rows) error {
			var leads, direct []byte
			d := &scratch
			if err := rows.Scan(&d.repo, &d.at, &d.failed, &d.rework, &d.changes, &leads, &direct); err != nil {
				return err
			}
			d.leads, d.direct = unpackDurations(d.leads[:0], leads), unpackDurations(d.direct[:0], direct)
			if !cur.contains(d.at) {
				previous.deployment(d)
				return nil
			}
			total.deployment(d)
			if i := bucketOf(series, d.at); i >= 0 {
				points[i].deployment(d)
			}
			if a := repos[d.repo]; a != nil {
				a.deployment(d)
			}
			for _, t := range s.repoTeams[d.repo] {
				if a := teams[t]; a != nil {
					a.deployment(d)
				}
			}
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("read deployments: %w", err)
	}
	err = query(ctx, e.db.R, `SELECT repo_id, resolved_at, restore_ms FROM metric_incidents
		WHERE resolved_at >= $1 AND resolved_at < $2 AND `+s.where("repo_id"),
		[]any{prev.fromMS(), cur.toMS()}, func(rows *sql.Rows) error {
			var (
				repo     sql.NullInt64
				resolved int64
				restore  sql.NullInt64
			)
			if err := rows.Scan(&repo, &resolved, &restore); err != nil {
				return err
			}
			if !cur.contains(resolved) {
				previous.incident(restore)
				return nil
			}
			total.incident(restore)
			if i := bucketOf(series, resolved); i >= 0 {
				points[i].incident(restore)
			}
			if a := repos[repo.Int64]; a != nil {
				a.incident(restore)
			}
			for _, t := range s.repoTeams[repo.Int64] {
				if a := teams[t]; a != nil {
					a.incident(restore)
				}
			}
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("read incidents: %w", err)
	}
	l := e.s.Levels
	out := &DORA{From: cur.From, To: cur.To, Interval: f.Interval, DORAValues: total.values(l),
		Previous: DORAPeriod{From: prev.From, To: prev.To, DORAValues: previous.values(l)},
		Series:   make([]DORAPeriod, len(series)), Repos: []DORARepo{}, Teams: []DORATeam{}, Thresholds: l.thresholds()}
	for i, p := range points {
		out.Series[i] = DORAPeriod{From: p.r.From, To: p.r.To, DORAValues: p.values(l)}
	}
	for _, id := range s.repos {
		out.Repos = append(out.Repos, DORARepo{Repo: s.repoInfo[id].fullName, DORAValues: repos[id].values(l)})
	}
	for _, t := range s.teams {
		out.Teams = append(out.Teams, DORATeam{Team: t.name, Name: t.title, DORAValues: teams[t.id].values(l)})
	}
	if at, err := e.RefreshedAt(ctx); err == nil && !at.IsZero() {
		out.RefreshedAt = &at
	}
	return out, nil
}
