package ingest

import (
	"context"
	"log/slog"
	"time"

	"github.com/sextant-dev/sextant/internal/store"
	"github.com/sextant-dev/sextant/internal/telemetry"
)

// ProjectStats is what a projection pass did.
type ProjectStats struct {
	Projected int // deliveries projected (failed ones included)
	Failed    int // deliveries whose projection failed (projection_error set)
}

// RunProjector projects stored deliveries as they arrive until ctx ends,
// starting with whatever a previous run left unprojected.
func (w *Webhooks) RunProjector(ctx context.Context) {
	t := time.NewTicker(w.opts.Poll)
	defer t.Stop()
	for {
		if _, err := w.projectPending(ctx, true); err != nil && ctx.Err() == nil {
			w.log.Error("project webhook deliveries", "err", err)
			// A failing database is not helped by retrying at every commit.
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-w.kick:
		case <-t.C:
		}
	}
}

// ProjectPending projects every delivery not projected yet, a batch per
// transaction, decoding the next batches while one is applied. A
// delivery whose projection fails is marked with its error and counted;
// an error of the database stops the pass and leaves the rest pending.
func (w *Webhooks) ProjectPending(ctx context.Context) (ProjectStats, error) {
	return w.projectPending(ctx, false)
}

// projectPending is ProjectPending; with yield, it gives way to intake:
// on SQLite both need the one write connection, and an acknowledgment
// waits for its commit, while projection can catch up after a burst.
func (w *Webhooks) projectPending(ctx context.Context, yield bool) (ProjectStats, error) {
	w.projectMu.Lock()
	defer w.projectMu.Unlock()
	return w.pass(ctx, func(ctx context.Context, after int64) ([]store.WebhookDelivery, error) {
		if yield {
			w.yieldToIntake(ctx)
		}
		return store.PendingDeliveries(ctx, w.db.R, after, w.opts.ProjectBatch)
	}, false, nil)
}

// yieldIdle is how long intake must have been quiet before a projection
// batch goes ahead without pausing.
const yieldIdle = 20 * time.Millisecond

// yieldToIntake pauses while intake is busy: deliveries wait to be
// committed, or a commit just happened. It pauses at most 200 ms, so
// projection still advances under a steady stream.
func (w *Webhooks) yieldToIntake(ctx context.Context) {
	for range 20 {
		busy := len(w.queue) > 0 || time.Since(time.Unix(0, w.lastCommit.Load())) < yieldIdle
		if !busy {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// pass reads batches with next, plans them on the workers one batch ahead
// of the transaction that applies them.
func (w *Webhooks) pass(ctx context.Context, next func(context.Context, int64) ([]store.WebhookDelivery, error),
	replay bool, progress func(n int)) (ProjectStats, error) {
	var st ProjectStats
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type batch struct {
		plans []plan
		err   error
	}
	ch := make(chan batch, 1)
	go func() {
		defer close(ch)
		var after int64
		for {
			ds, err := next(ctx, after)
			if err != nil || len(ds) == 0 {
				if err != nil {
					ch <- batch{err: err}
				}
				return
			}
			after = ds[len(ds)-1].ID
			plans := make([]plan, len(ds))
			parallel(len(ds), w.opts.Workers, func(i int) { plans[i] = planDelivery(ds[i], nil, nil) })
			select {
			case ch <- batch{plans: plans}:
			case <-ctx.Done():
				return
			}
		}
	}()
	for b := range ch {
		if b.err != nil {
			return st, b.err
		}
		done, failed, err := w.applyPlans(ctx, b.plans, time.Now(), replay)
		if err != nil {
			cancel()
			for range ch {
			}
			return st, err
		}
		st.Projected += len(done)
		st.Failed += len(failed)
		w.reportProjected(ctx, done, failed)
		if progress != nil {
			progress(len(b.plans))
		}
	}
	return st, ctx.Err()
}

// reportProjected counts the deliveries a transaction projected and
// reports each as a processed event; failed ones are also logged with
// their error.
func (w *Webhooks) reportProjected(ctx context.Context, done, failed []plan) {
	bad := make(map[int64]bool, len(failed))
	for _, p := range failed {
		bad[p.d.ID] = true
		w.count.ProjectionError(p.d.Event)
		w.log.Warn("webhook projection failed", "delivery", p.d.DeliveryID, "event", p.d.Event,
			"action", p.d.Action, "err", p.err)
	}
	for _, p := range done {
		outcome := OutcomeProjected
		switch {
		case bad[p.d.ID]:
			outcome = OutcomeFailed
		case !KnownWebhook(p.d.Event, p.d.Action):
			outcome = OutcomeUnknown
		}
		w.count.Projected(p.d.Event, outcome)
		w.opts.Events.Record(ctx, telemetry.EventWebhookDelivery, p.d.ReceivedAt, deliveryFields(p.d, outcome)...)
	}
}

// deliveryFields are the fields a processed delivery is logged and
// exported with.
func deliveryFields(d store.WebhookDelivery, outcome string) []slog.Attr {
	f := []slog.Attr{slog.String("event", d.Event), slog.String("delivery", d.DeliveryID), slog.String("outcome", outcome)}
	if d.Action != "" {
		f = append(f, slog.String("action", d.Action))
	}
	if d.RepoFullName != "" {
		f = append(f, slog.String("repo", d.RepoFullName))
	}
	if d.InstallationID != 0 {
		f = append(f, slog.Int64("installation", d.InstallationID))
	}
	if d.HookID != 0 {
		f = append(f, slog.Int64("hook", d.HookID))
	}
	return f
}

// ReplayOptions select what Replay re-projects.
type ReplayOptions struct {
	Since time.Time // deliveries received at or after; zero for all
	Event string    // one event type; empty for all
	// Progress, when set, is called after each batch with the deliveries
	// done so far and the total.
	Progress func(done, total int64)
}

// Replay rebuilds the projections from the stored deliveries: versions are
// reset so every row is rewritten with the current mapping (newer state,
// by updated_at, still wins), then the selected deliveries are projected
// again in the order they were received.
func (w *Webhooks) Replay(ctx context.Context, o ReplayOptions) (ProjectStats, error) {
	w.projectMu.Lock()
	defer w.projectMu.Unlock()
	f := store.DeliveryFilter{Since: o.Since, Event: o.Event}
	total, err := store.CountDeliveries(ctx, w.db.R, f)
	if err != nil {
		return ProjectStats{}, err
	}
	if err := store.ResetVersions(ctx, w.db.W); err != nil {
		return ProjectStats{}, err
	}
	w.cache.m = map[string]cached{}
	var done int64
	return w.pass(ctx, func(ctx context.Context, after int64) ([]store.WebhookDelivery, error) {
		return store.ListDeliveries(ctx, w.db.R, f, after, w.opts.ProjectBatch)
	}, true, func(n int) {
		done += int64(n)
		if o.Progress != nil {
			o.Progress(done, total)
		}
	})
}
