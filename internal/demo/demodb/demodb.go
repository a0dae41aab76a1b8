// Package demodb loads a generated demo organization (package demo) into a
// database through the same intake and projection as live traffic, and
// derives its metrics. `sextant demo`, `sextant serve --demo`, the
// dashboard's browser tests and the benchmarks share it.
package demodb

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"time"

	"github.com/google/go-github/v89/github"

	"github.com/sextant-dev/sextant/internal/core"
	"github.com/sextant-dev/sextant/internal/demo"
	"github.com/sextant-dev/sextant/internal/ingest"
	"github.com/sextant-dev/sextant/internal/metrics"
	"github.com/sextant-dev/sextant/internal/store"
)

// tokenName is the API token CI events of a demo load are recorded with;
// it only scopes their idempotency keys and is never shown.
const tokenName = "demo"

// The sync_state row that marks a database as holding a complete demo.
const (
	markScope = "demo"
	markKind  = "generated"
)

// DeployWorkflow is the name of the demo's deploy workflow: the
// metrics.deploy_workflows pattern that makes its runs deployments.
const DeployWorkflow = "Deploy production"

// Load generates the organization of opts into db through the same intake
// and projection as live traffic: webhook deliveries are stored in batches
// and projected, CI events are validated and recorded as the API records
// them. It is idempotent (deliveries are keyed by their GUIDs and CI events
// by their ids), so an interrupted load can simply run again. Progress,
// when not nil, gets a line every two seconds.
func Load(ctx context.Context, db *store.DB, opts demo.Options, log *slog.Logger, progress io.Writer) (*demo.Summary, error) {
	// Bulk loading may use every core: nothing else is waiting for them.
	wh := ingest.NewWebhooks(db, log, ingest.WebhookOptions{Workers: runtime.GOMAXPROCS(0)})
	// Not following the webhooks (CIEvents.FollowWebhooks): the loader
	// projects each batch as it stores it, so a rollback never finds
	// deliveries pending, and runs where ThenFlush puts it.
	ci := ingest.NewCIEvents(db, log, nil)
	tokenID, err := token(ctx, db)
	if err != nil {
		return nil, err
	}
	var (
		queued       int
		lastProgress = time.Now()
		// deploying holds the repositories with GitHub deployments added
		// since the last flush: only a rollback in one of them has to run
		// right after the deliveries before it.
		deploying = map[string]bool{}
	)
	loader := wh.NewLoader(ctx, 2000)
	sum, err := demo.Stream(opts, func(it *demo.Item) error {
		if d := it.Delivery; d != nil {
			body, err := d.Body()
			if err != nil {
				return fmt.Errorf("delivery %s: %w", d.GUID, err)
			}
			ld := ingest.Delivery{GUID: d.GUID, Event: d.Event, Action: d.Action, Body: body, ReceivedAt: it.Time}
			// The generated event saves decoding the body again, except for
			// a transfer, whose "changes" only the body holds.
			if d.Transfer == nil {
				ld.Payload = d.Payload
			}
			if r, ok := d.Payload.(interface{ GetRepo() *github.Repository }); ok && strings.HasPrefix(d.Event, "deployment") {
				deploying[r.GetRepo().GetFullName()] = true
			}
			queued++
			if progress != nil && time.Since(lastProgress) > 2*time.Second {
				lastProgress = time.Now()
				fmt.Fprintf(progress, "  %d deliveries, up to %s\n", queued, it.Time.Format(time.DateOnly))
			}
			return loader.Add(ld)
		}
		e, err := parseCIEvent(it)
		if err != nil {
			return err
		}
		// The stream may reuse it once this returns.
		at, id := it.Time, it.CI.ID
		record := func(ctx context.Context) error {
			if _, _, err := ci.Record(ctx, tokenID, e, at); err != nil {
				return fmt.Errorf("record CI event %s %s: %w", e.Event, id, err)
			}
			return nil
		}
		// A CI event is recorded by the loader's writer after the batch it
		// falls in: the deliveries around it are independent of it, except
		// that a rollback naming no deployment rolls back the latest one
		// stored, which may be a GitHub deployment in that batch.
		if it.CI.Event == core.EventRollback && it.CI.Deployment == "" && deploying[it.CI.Repo] {
			clear(deploying)
			return loader.ThenFlush(record)
		}
		return loader.Then(record)
	})
	total, cerr := loader.Close()
	if err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("generate demo: %w", err)
	}
	if total.Failed > 0 {
		return nil, fmt.Errorf("load demo deliveries: %d of %d failed to project (see the log)", total.Failed, total.Stored)
	}
	err = store.PutSyncState(ctx, db.W, store.SyncState{Scope: markScope, Kind: markKind, Watermark: opts.End,
		Checkpoint: checkpoint(opts), UpdatedAt: time.Now()})
	if err != nil {
		return nil, err
	}
	return sum, nil
}

// parseCIEvent checks a generated CI event with the API's own validation.
func parseCIEvent(it *demo.Item) (core.CIEvent, error) {
	body, err := json.Marshal(it.CI)
	if err != nil {
		return core.CIEvent{}, err
	}
	e, err := ingest.ParseCIEvent(body, it.Time)
	if err != nil {
		return core.CIEvent{}, fmt.Errorf("generated CI event %s %s: %w", it.CI.Event, it.CI.ID, err)
	}
	return e, nil
}

// token returns the id of the demo's API token, creating it once.
func token(ctx context.Context, db *store.DB) (int64, error) {
	tokens, err := db.Tokens(ctx, false)
	if err != nil {
		return 0, err
	}
	for _, t := range tokens {
		if t.Name == tokenName {
			return t.ID, nil
		}
	}
	_, t, err := db.CreateToken(ctx, tokenName, []string{core.ScopeEventsWrite}, time.Now())
	if err != nil {
		return 0, fmt.Errorf("create the demo token: %w", err)
	}
	return t.ID, nil
}

// checkpoint records what was generated, so a later serve --demo can
// describe the same organization again.
func checkpoint(o demo.Options) string {
	b, _ := json.Marshal(o)
	return string(b)
}

// Loaded returns the options of the demo loaded in db; ok is false when db
// holds no complete demo.
func Loaded(ctx context.Context, db *store.DB) (opts demo.Options, ok bool, err error) {
	st, ok, err := store.GetSyncState(ctx, db.R, markScope, markKind)
	if err != nil || !ok {
		return opts, false, err
	}
	if err := json.Unmarshal([]byte(st.Checkpoint), &opts); err != nil {
		// Loaded by an older build: describe what serve --demo loads.
		return demo.Options{Seed: 1, Scale: demo.Small, End: st.Watermark}, true, nil
	}
	return opts, true, nil
}

// Affiliations are the roster's stretches at a company as affiliation
// rules: GitHub does not know which company a contributor works for.
func Affiliations(r *demo.Roster) []metrics.Affiliation {
	out := make([]metrics.Affiliation, 0, len(r.Affiliations))
	for _, a := range r.Affiliations {
		out = append(out, metrics.Affiliation{Company: a.Company, Login: a.Login, Since: a.From, Until: a.Until})
	}
	return out
}

// Engine is a metrics engine with the default definitions plus the demo's
// deploy workflow and partner companies, its derived tables brought up to
// date: the definitions `sextant demo` and `serve --demo` apply when
// nothing else is configured (they build theirs from the configuration),
// for tests and benchmarks that have none.
func Engine(ctx context.Context, db *store.DB, r *demo.Roster, log *slog.Logger) (*metrics.Engine, error) {
	if _, err := metrics.SyncAffiliations(ctx, db, Affiliations(r)); err != nil {
		return nil, err
	}
	s := metrics.DefaultSettings()
	s.DeployWorkflows = []metrics.DeployWorkflow{{Pattern: strings.ToLower(DeployWorkflow), Environment: "production"}}
	e := metrics.NewEngine(db, log, s)
	if _, err := e.Refresh(ctx, false); err != nil {
		return nil, fmt.Errorf("derive the demo's metrics: %w", err)
	}
	return e, nil
}
