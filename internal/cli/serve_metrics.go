package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/sextant-dev/sextant/internal/config"
	"github.com/sextant-dev/sextant/internal/github"
	"github.com/sextant-dev/sextant/internal/jobs"
	"github.com/sextant-dev/sextant/internal/metrics"
	"github.com/sextant-dev/sextant/internal/store"
)

// metricsSettings turns the metrics section of the configuration into the
// engine's definitions, and reads the affiliations file.
func metricsSettings(m config.Metrics) (metrics.Settings, []metrics.Affiliation, error) {
	s := metrics.Settings{
		ProductionEnvironments: m.ProductionEnvironments,
		DedupWindow:            m.DedupWindow,
		IncidentLabels:         m.IncidentLabels,
		IncidentWindow:         m.IncidentWindow,
		ReworkLabels:           m.ReworkLabels,
		Bots:                   m.Bots,
	}
	var err error
	if s.RepoProductionEnvironments, err = config.RepoEnvironments(m.RepoProductionEnvironments); err != nil {
		return s, nil, fmt.Errorf("metrics.repo_production_environments: %w", err)
	}
	wf, err := config.DeployWorkflows(m.DeployWorkflows)
	if err != nil {
		return s, nil, fmt.Errorf("metrics.deploy_workflows: %w", err)
	}
	for _, w := range wf {
		s.DeployWorkflows = append(s.DeployWorkflows, metrics.DeployWorkflow{Pattern: w.Pattern, Environment: w.Environment})
	}
	lb := m.Leaderboard
	s.Weights = metrics.Weights{MergedPull: lb.MergedPull, Review: lb.Review, Issue: lb.Issue, OpenedPull: lb.OpenedPull, Comment: lb.Comment}
	if s.Weights.LabelBonuses, err = config.LabelBonuses(lb.LabelBonuses); err != nil {
		return s, nil, fmt.Errorf("metrics.leaderboard.label_bonuses: %w", err)
	}
	l := m.Levels
	pct := func(n int) float64 { return float64(n) / 100 }
	s.Levels = metrics.Levels{
		DeployFrequency:   [3]time.Duration{l.DeploymentFrequency.Elite, l.DeploymentFrequency.High, l.DeploymentFrequency.Medium},
		LeadTime:          [3]time.Duration{l.LeadTime.Elite, l.LeadTime.High, l.LeadTime.Medium},
		ChangeFailureRate: [3]float64{pct(l.ChangeFailureRate.Elite), pct(l.ChangeFailureRate.High), pct(l.ChangeFailureRate.Medium)},
		TimeToRestore:     [3]time.Duration{l.TimeToRestore.Elite, l.TimeToRestore.High, l.TimeToRestore.Medium},
		ReworkRate:        [3]float64{pct(l.ReworkRate.Elite), pct(l.ReworkRate.High), pct(l.ReworkRate.Medium)},
	}
	var affs []metrics.Affiliation
	if m.AffiliationsFile != "" {
		list, err := config.LoadAffiliations(m.AffiliationsFile)
		if err != nil {
			return s, nil, fmt.Errorf("metrics.affiliations_file: %w", err)
		}
		for _, a := range list {
			affs = append(affs, metrics.Affiliation{Company: a.Company, Login: a.Login, EmailDomain: a.EmailDomain, Since: a.Since, Until: a.Until})
		}
	}
	return s, affs, nil
}

// newMetricsEngine builds the engine of the configuration and stores the
// affiliations file's rules, so that a changed file takes effect at the
// next refresh.
func newMetricsEngine(ctx context.Context, db *store.DB, cfg config.Config, log *slog.Logger) (*metrics.Engine, error) {
	s, affs, err := metricsSettings(cfg.Metrics)
	if err != nil {
		return nil, err
	}
	s.WebURL = github.WebURL(cfg.GitHub.BaseURL)
	changed, err := metrics.SyncAffiliations(ctx, db, affs)
	if err != nil {
		return nil, err
	}
	if changed {
		log.Info("affiliations updated", "rules", len(affs), "file", cfg.Metrics.AffiliationsFile)
	}
	return metrics.NewEngine(db, log, s), nil
}

// setupMetrics prepares the metrics engine at startup: the refresh job's
// handler, its schedule, and the schedule of the full rebuild.
func setupMetrics(ctx context.Context, db *store.DB, runner *jobs.Runner, cfg config.Config, log *slog.Logger) (*metrics.Engine, error) {
	engine, err := newMetricsEngine(ctx, db, cfg, log)
	if err != nil {
		return nil, err
	}
	refresh, err := jobs.ParseSpec(cfg.Metrics.RefreshSchedule)
	if err != nil {
		return nil, fmt.Errorf("metrics.refresh_schedule: %w", err)
	}
	rebuild, err := jobs.ParseSpec(cfg.Metrics.RebuildSchedule)
	if err != nil {
		return nil, fmt.Errorf("metrics.rebuild_schedule: %w", err)
	}
	runner.Handle(metrics.RefreshKind, engine.Handle)
	full, err := json.Marshal(metrics.RefreshArgs{Full: true})
	if err != nil {
		return nil, err
	}
	if err := runner.Schedule(ctx, metrics.RefreshKind, metrics.RefreshKind, `{}`, refresh); err != nil {
		return nil, err
	}
	if err := runner.Schedule(ctx, metrics.RebuildSchedule, metrics.RefreshKind, string(full), rebuild); err != nil {
		return nil, err
	}
	log.Debug("metrics ready", "refresh", refresh.String(), "rebuild", rebuild.String())
	return engine, nil
}
