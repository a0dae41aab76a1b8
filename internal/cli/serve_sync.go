package cli

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/sextant-dev/sextant/internal/config"
	"github.com/sextant-dev/sextant/internal/ingest"
	"github.com/sextant-dev/sextant/internal/jobs"
	"github.com/sextant-dev/sextant/internal/store"
	ghsync "github.com/sextant-dev/sextant/internal/sync"
	"github.com/sextant-dev/sextant/internal/telemetry"
)

// setupSync wires GitHub into serve: the API client (its budget on
// /metrics and in the data health API), the sync's jobs and schedules and
// the integrity check's. Without GitHub credentials, or with nothing to
// sync, they are off and the log says which setting turns them on. It
// returns the client's usage, nil when off.
func setupSync(ctx context.Context, db *store.DB, runner *jobs.Runner, collectors *serveMetrics, cfg config.Config,
	log *slog.Logger, hooks *ingest.Webhooks) (func() []telemetry.GitHubUsage, error) {
	if !hasGitHubCredentials(cfg.GitHub) {
		log.Info("GitHub sync is off: set github.token (env SEXTANT_GITHUB_TOKEN or GITHUB_TOKEN) or the github.app_* keys")
		return nil, nil
	}
	client, err := newGitHubClient(cfg, db, log)
	if err != nil {
		return nil, err
	}
	usage := githubUsage(client.Budget())
	collectors.useGitHub(client.Budget())
	if len(cfg.GitHub.Orgs) == 0 && len(cfg.GitHub.Repos) == 0 {
		log.Warn("GitHub sync has nothing to do: set github.orgs or github.repos (env SEXTANT_GITHUB_ORGS, SEXTANT_GITHUB_REPOS)")
		return usage, nil
	}
	specs := map[ghsync.Schedule]jobs.Spec{}
	for _, s := range []struct {
		sc    ghsync.Schedule
		key   string
		value string
	}{
		{ghsync.ScheduleSync, "sync.schedule", cfg.Sync.Schedule},
		{ghsync.ScheduleEvents, "sync.events_schedule", cfg.Sync.EventsSchedule},
		{ghsync.ScheduleReconcile, "sync.reconcile_schedule", cfg.Sync.ReconcileSchedule},
	} {
		spec, err := jobs.ParseSpec(s.value)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.key, err)
		}
		specs[s.sc] = spec
	}
	syncer := ghsync.New(db, client, syncOptions(cfg, log))
	if err := syncer.Register(ctx, runner, specs); err != nil {
		return nil, err
	}
	co, err := checkOptions(cfg, db, log, hooks)
	if err != nil {
		return nil, err
	}
	checkSpec, err := jobs.ParseSpec(cfg.Integrity.Schedule)
	if err != nil {
		return nil, fmt.Errorf("integrity.schedule: %w", err)
	}
	if err := ghsync.NewChecker(syncer, runner, co).Register(ctx, runner, checkSpec); err != nil {
		return nil, err
	}
	log.Info("GitHub sync on", "orgs", len(cfg.GitHub.Orgs), "repos", len(cfg.GitHub.Repos), "token", client.Budget().Label(),
		"sync", specs[ghsync.ScheduleSync].String(), "events", specs[ghsync.ScheduleEvents].String(),
		"reconcile", specs[ghsync.ScheduleReconcile].String(), "check", checkSpec.String(), "hooks", len(co.Hooks))
	return usage, nil
}
