package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/sextant-dev/sextant/internal/ingest"
	"github.com/sextant-dev/sextant/internal/store"
)

// runReplay re-projects stored webhook deliveries, printing progress.
func runReplay(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "replay", "replay [--since TIME] [--event EVENT] [flags]")
	since := fs.String("since", "", "replay deliveries received at or after this RFC 3339 time or date (2024-05-01)")
	event := fs.String("event", "", "replay only deliveries of this event type (pull_request, push, …)")
	cf := addConfigFlags(fs, "db", "log.format", "log.level")
	if err := fs.parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	var from time.Time
	if *since != "" {
		t, err := time.Parse(time.RFC3339, *since)
		if err != nil {
			t, err = time.Parse(time.DateOnly, *since)
		}
		if err != nil {
			return usageError{fmt.Errorf("--since %q is not an RFC 3339 time or a date such as 2024-05-01", *since)}
		}
		from = t
	}
	cfg, err := cf.load(env)
	if err != nil {
		return err
	}
	log := newLogger(env.Stderr, cfg)
	db, err := store.Open(ctx, cfg.DB, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	start := time.Now()
	last := time.Time{}
	w := ingest.NewWebhooks(db, log, ingest.WebhookOptions{ProjectBatch: 256, Workers: 2})
	st, err := w.Replay(ctx, ingest.ReplayOptions{Since: from, Event: *event, Progress: func(done, total int64) {
		if time.Since(last) < time.Second && done < total {
			return
		}
		last = time.Now()
		pct := 100.0
		if total > 0 {
			pct = 100 * float64(done) / float64(total)
		}
		fmt.Fprintf(env.Stdout, "replay: %d/%d deliveries (%.0f%%), %.0f/s\n", done, total, pct,
			float64(done)/time.Since(start).Seconds())
	}})
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "replayed %d deliveries in %s (%d projection errors, kept on the deliveries)\n",
		st.Projected, time.Since(start).Round(time.Millisecond), st.Failed)
	return nil
}
