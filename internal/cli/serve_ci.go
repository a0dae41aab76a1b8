package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/sextant-dev/sextant/internal/config"
	"github.com/sextant-dev/sextant/internal/jobs"
	"github.com/sextant-dev/sextant/internal/metrics"
	"github.com/sextant-dev/sextant/internal/store"
	"github.com/sextant-dev/sextant/internal/telemetry"
)

// setupCIEvents prepares what CI/CD events need at startup: the tokens of
// the configuration become the live configured tokens, and the
// deployment-frequency job gets its handler and schedule.
func setupCIEvents(ctx context.Context, db *store.DB, runner *jobs.Runner, cfg config.Config, log *slog.Logger, events *telemetry.Events) error {
	tokens := make([]store.ConfigToken, 0, len(cfg.API.Tokens))
	for i, t := range cfg.API.Tokens {
		spec, err := config.ParseTokenSpec(t.Reveal())
		if err != nil {
			return fmt.Errorf("api.tokens entry %d: %w", i+1, err)
		}
		tokens = append(tokens, store.ConfigToken{Name: spec.Name, Scopes: spec.Scopes, Hash: store.HashToken(spec.Token.Reveal())})
	}
	if err := db.SyncConfigTokens(ctx, tokens, time.Now()); err != nil {
		return err
	}

	df := cfg.Metrics.DeployFreq
	spec, err := jobs.ParseSpec(df.Schedule)
	if err != nil {
		return fmt.Errorf("metrics.deployment_frequency.schedule: %w", err)
	}
	runner.Handle(metrics.DeployFreqKind, metrics.NewDeployFreq(db, events, df.WindowDays).Handle)
	args, err := json.Marshal(metrics.DeployFreqArgs{WindowDays: df.WindowDays})
	if err != nil {
		return err
	}
	if err := runner.Schedule(ctx, metrics.DeployFreqKind, metrics.DeployFreqKind, string(args), spec); err != nil {
		return err
	}
	log.Debug("ci events ready", "config_tokens", len(tokens), "deployment_frequency", spec.String(), "window_days", df.WindowDays)
	return nil
}
