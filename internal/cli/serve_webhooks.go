package cli

import (
	"context"
	"log/slog"

	"github.com/sextant-dev/sextant/internal/config"
	"github.com/sextant-dev/sextant/internal/ingest"
	"github.com/sextant-dev/sextant/internal/store"
	"github.com/sextant-dev/sextant/internal/telemetry"
)

// webhookIntake is the running webhook intake of serve.
type webhookIntake struct {
	webhooks *ingest.Webhooks
	counters *telemetry.WebhookMetrics
	secrets  []string
	done     chan struct{}
}

// startWebhooks starts the intake's committer and, until ctx ends, the
// projector, which first projects what an earlier run left unprojected.
// Stop it with stop after the HTTP server has shut down.
func startWebhooks(ctx context.Context, db *store.DB, counters *telemetry.WebhookMetrics, events *telemetry.Events, cfg config.Config, log *slog.Logger) *webhookIntake {
	w := ingest.NewWebhooks(db, log, ingest.WebhookOptions{Counters: counters, Events: events})
	w.Start()
	in := &webhookIntake{webhooks: w, counters: counters, secrets: cfg.GitHub.WebhookSecret.Reveal(), done: make(chan struct{})}
	go func() {
		defer close(in.done)
		w.RunProjector(ctx)
	}()
	if len(in.secrets) == 0 {
		log.Warn("webhook intake is off: set github.webhook_secret (SEXTANT_GITHUB_WEBHOOK_SECRET) to receive GitHub webhooks")
	}
	return in
}

// stop commits what intake holds and waits for the projector (whose
// context must be done by then).
func (in *webhookIntake) stop() {
	in.webhooks.Close()
	<-in.done
}
