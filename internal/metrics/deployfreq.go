// Package metrics computes Sextant's metrics from the domain tables: DORA
// metrics, flow metrics and leaderboards. Each has its definition in
// docs/METRICS.md.
package metrics

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/sextant-dev/sextant/internal/core"
	"github.com/sextant-dev/sextant/internal/jobs"
	"github.com/sextant-dev/sextant/internal/store"
	"github.com/sextant-dev/sextant/internal/telemetry"
)

// Deployment frequency job: its job kind (and schedule name), the name of
// its metric snapshots, and its default window, the seed service's
// DEPLOYMENT_FREQ_TIMEFRAME_DAY.
const (
	DeployFreqKind              = "deployment_frequency"
	DeployFreqSnapshot          = "deployment_frequency"
	DefaultDeployFreqWindowDays = 30
)

// DeployFreqArgs are the arguments of a deployment frequency job.
type DeployFreqArgs struct {
	WindowDays int `json:"window_days,omitempty"`
}

// DeployFreqValue is the deployment frequency of one repository in one
// environment over a window.
type DeployFreqValue struct {
	RepoID      int64     `json:"-"`
	Repo        string    `json:"repo"`
	Environment string    `json:"environment"`
	Deployments int64     `json:"deployments"`
	WindowDays  int       `json:"window_days"`
	PerDay      float64   `json:"per_day"`
	PerWeek     float64   `json:"per_week"`
	From        time.Time `json:"from"`
	To          time.Time `json:"to"`
}

// DeployFreq computes deployment frequency: successful deployments per day
// over a window of whole days, per repository and environment.
type DeployFreq struct {
	db         *store.DB
	events     *telemetry.Events
	windowDays int
}

// NewDeployFreq returns the job; windowDays is the default window. Each
// value computed goes to events (a log line, and OTLP when it is on).
func NewDeployFreq(db *store.DB, events *telemetry.Events, windowDays int) *DeployFreq {
	if windowDays <= 0 {
		windowDays = DefaultDeployFreqWindowDays
	}
	return &DeployFreq{db: db, events: events, windowDays: windowDays}
}

// Handle runs one job (a jobs.Handler). The window ends when the job was
// enqueued, not when it runs, so a retried job computes the same period
// and replaces its own results.
func (d *DeployFreq) Handle(ctx context.Context, job *store.Job) error {
	var args DeployFreqArgs
	if job.Args != "" {
		if err := json.Unmarshal([]byte(job.Args), &args); err != nil {
			return jobs.Permanent(fmt.Errorf("deployment frequency job %d: arguments %s: %w", job.ID, job.Args, err))
		}
	}
	window := args.WindowDays
	if window <= 0 {
		window = d.windowDays
	}
	_, err := d.Compute(ctx, job.CreatedAt.Truncate(time.Second), window, time.Now())
	return err
}

// Compute computes the values for the window of windowDays ending at end,
// stores each as a calc_deployment_freq event and a metric snapshot
// (replacing those of an earlier run for the same end), logs each, and
// returns them.
func (d *DeployFreq) Compute(ctx context.Context, end time.Time, windowDays int, now time.Time) ([]DeployFreqValue, error) {
	end = end.UTC()
	from := end.AddDate(0, 0, -windowDays)
	counts, err := d.db.SuccessfulDeployments(ctx, from, end)
	if err != nil {
		return nil, fmt.Errorf("deployment frequency: %w", err)
	}
	values := make([]DeployFreqValue, len(counts))
	for i, c := range counts {
		perDay := float64(c.Count) / float64(windowDays)
		values[i] = DeployFreqValue{
			RepoID: c.RepoID, Repo: c.Repo, Environment: c.Environment, Deployments: c.Count,
			WindowDays: windowDays, PerDay: round(perDay), PerWeek: round(perDay * 7), From: from, To: end,
		}
	}
	err = d.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := store.DeleteMetricSnapshots(ctx, tx, DeployFreqSnapshot, end); err != nil {
			return err
		}
		if err := store.DeleteInternalCIEvents(ctx, tx, core.EventCalcDeployFreq, end); err != nil {
			return err
		}
		for _, v := range values {
			data, err := json.Marshal(v)
			if err != nil {
				return err
			}
			_, err = store.InsertMetricSnapshot(ctx, tx, store.MetricSnapshot{
				Name: DeployFreqSnapshot, RepoID: v.RepoID, Environment: v.Environment,
				PeriodStart: from, PeriodEnd: end, Value: v.PerDay, Data: data, ComputedAt: now,
			})
			if err != nil {
				return err
			}
			e := core.CIEvent{
				Event: core.EventCalcDeployFreq, Repo: v.Repo, RepoID: v.RepoID, Environment: v.Environment,
				Time: end, Metadata: data, ReceivedAt: now,
			}
			if _, err := store.InsertCIEvent(ctx, tx, &e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store deployment frequency for %s: %w", end.Format(time.RFC3339), err)
	}
	for _, v := range values {
		d.events.Record(ctx, telemetry.EventCalcDeploymentFreq, end,
			slog.String("repo", v.Repo), slog.String("environment", v.Environment),
			slog.Int64("deployments", v.Deployments), slog.Int("window_days", v.WindowDays),
			slog.Float64("per_day", v.PerDay), slog.Float64("per_week", v.PerWeek),
			slog.Time("from", v.From), slog.Time("to", v.To))
	}
	return values, nil
}

// round keeps four decimals: enough for one deploy a quarter, and stable
// in JSON and logs.
func round(x float64) float64 {
	return math.Round(x*1e4) / 1e4
}
