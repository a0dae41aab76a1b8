package cli

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/sextant-dev/sextant/internal/config"
	"github.com/sextant-dev/sextant/internal/core"
	"github.com/sextant-dev/sextant/internal/demo"
	"github.com/sextant-dev/sextant/internal/ingest"
	"github.com/sextant-dev/sextant/internal/store"
)

// demoTokenName is the API token CI events of a demo load are recorded
// with; it only scopes their idempotency keys and is never shown.
const demoTokenName = "demo"

// The sync_state row that marks a demo database as fully loaded.
const (
	demoScope = "demo"
	demoKind  = "generated"
)

// runDemo is `sextant demo`: fill a database with a generated organization
// (the default), send one to a server as webhooks (demo webhooks), or
// serve one as a fake GitHub (demo github).
func runDemo(ctx context.Context, env Env, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "webhooks":
			return runDemoWebhooks(ctx, env, args[1:])
		case "github":
			return runDemoGitHub(ctx, env, args[1:])
		}
	}
	fs := newFlagSet(env, "demo", "demo [--db DSN] [--seed N] [--scale small|medium|large] [--months M] [--end DATE]\n"+
		"       sextant demo webhooks --url URL --secret S --token T [--rate N]\n"+
		"       sextant demo github [--addr ADDR]")
	cf := addConfigFlags(fs, "db", "log.format", "log.level")
	df := addDemoFlags(fs)
	if err := fs.parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unknown subcommand %q: want demo, demo webhooks or demo github", fs.Arg(0))}
	}
	opts, err := df.options(time.Now())
	if err != nil {
		return err
	}
	cfg, err := cf.load(env)
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, cfg.DB, store.Options{Bulk: true})
	if err != nil {
		return err
	}
	defer db.Close()
	fmt.Fprintf(env.Stderr, "generating the %s demo organization (seed %d, %d months to %s) into %s\n",
		opts.Scale, opts.Seed, opts.Months, opts.End.Format(time.DateOnly), db.Target)
	start := time.Now()
	log := newLogger(env.Stderr, cfg)
	sum, err := loadDemo(ctx, db, opts, log, env.Stderr)
	if err != nil {
		return err
	}
	affs, err := writeDemoAffiliations(cfg.DB, sum.Roster)
	if err != nil {
		return err
	}
	applyDemoSettings(&cfg, affs)
	if err := refreshDemoMetrics(ctx, db, cfg, log); err != nil {
		return err
	}
	writeDemoSummary(env.Stdout, sum, time.Since(start))
	fmt.Fprintf(env.Stdout, "serve it with the demo's partner companies and deploy workflow:\n  %s=%s %s=%q sextant serve --db %s\n",
		config.EnvName("metrics.affiliations_file"), affs, config.EnvName("metrics.deploy_workflows"), demoDeployWorkflow, cfg.DB)
	return nil
}

// demoDeployWorkflow is the name of the demo's deploy workflow, the
// metrics.deploy_workflows pattern that makes its runs deployments.
const demoDeployWorkflow = "Deploy production"

// demoAffiliationsFile is where a demo's affiliations file goes: beside a
// SQLite database, else in the working directory.
func demoAffiliationsFile(dsn string) string {
	if store.IsPostgres(dsn) {
		return "sextant-demo.affiliations.csv"
	}
	p := store.SQLitePath(dsn)
	return strings.TrimSuffix(p, filepath.Ext(p)) + ".affiliations.csv"
}

// writeDemoAffiliations writes the generated people's companies as an
// affiliations file (one login rule per stretch at a company) and returns
// its path: GitHub does not know which company a contributor works for.
func writeDemoAffiliations(dsn string, r *demo.Roster) (string, error) {
	path := demoAffiliationsFile(dsn)
	var b strings.Builder
	w := csv.NewWriter(&b)
	w.Write([]string{"company", "login", "email_domain", "since", "until"})
	day := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	for _, a := range r.Affiliations {
		w.Write([]string{a.Company, a.Login, "", day(a.From), day(a.Until)})
	}
	w.Flush()
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return "", fmt.Errorf("write the demo's affiliations: %w", err)
	}
	return path, nil
}

// applyDemoSettings makes the metrics read the demo as it was generated,
// unless the configuration says otherwise.
func applyDemoSettings(cfg *config.Config, affiliations string) {
	if cfg.Metrics.AffiliationsFile == "" {
		cfg.Metrics.AffiliationsFile = affiliations
	}
	if len(cfg.Metrics.DeployWorkflows) == 0 {
		cfg.Metrics.DeployWorkflows = []string{demoDeployWorkflow}
	}
}

// refreshDemoMetrics derives the metric tables at once, so the first page
// shown has its numbers.
func refreshDemoMetrics(ctx context.Context, db *store.DB, cfg config.Config, log *slog.Logger) error {
	engine, err := newMetricsEngine(ctx, db, cfg, log)
	if err != nil {
		return err
	}
	if _, err := engine.Refresh(ctx, false); err != nil {
		return fmt.Errorf("derive the demo's metrics: %w", err)
	}
	return nil
}

// demoFlags are the flags that choose a generated organization; the same
// values give the same organization.
type demoFlags struct {
	seed   *int64
	scale  *string
	months *int
	end    *string
}

func addDemoFlags(fs *flagSet) *demoFlags {
	return &demoFlags{
		seed:   fs.Int64("seed", 1, "generator seed: the same seed gives the same organization"),
		scale:  fs.String("scale", "small", "small (about 5 repositories, 2,000 pull requests), medium (30, 20,000) or large (128, 100,000)"),
		months: fs.Int("months", demo.DefaultMonths, "months of history, 1 to 60"),
		end:    fs.String("end", "", "last day of history, YYYY-MM-DD (default: today, UTC)"),
	}
}

// options checks the flags, naming the one that is wrong.
func (f *demoFlags) options(now time.Time) (demo.Options, error) {
	scale, err := demo.ParseScale(*f.scale)
	if err != nil {
		return demo.Options{}, usageError{fmt.Errorf("--scale: %q is not small, medium or large", *f.scale)}
	}
	if *f.months < 1 || *f.months > 60 {
		return demo.Options{}, usageError{fmt.Errorf("--months: %d is not between 1 and 60", *f.months)}
	}
	// Midnight UTC: the same command on the same day gives the same data.
	end := now.UTC().Truncate(24 * time.Hour)
	if *f.end != "" {
		end, err = time.Parse(time.DateOnly, *f.end)
		if err != nil {
			return demo.Options{}, usageError{fmt.Errorf("--end: %q is not a date such as 2026-06-01", *f.end)}
		}
	}
	return demo.Options{Seed: *f.seed, Scale: scale, Months: *f.months, End: end}, nil
}

// loadDemo generates the organization of opts into db through the same
// intake and projection as live traffic: webhook deliveries are stored in
// batches and projected, CI events are validated and recorded as the API
// records them. It is idempotent (deliveries are keyed by their GUIDs and
// CI events by their ids), so an interrupted load can simply run again.
func loadDemo(ctx context.Context, db *store.DB, opts demo.Options, log *slog.Logger, progress io.Writer) (*demo.Summary, error) {
	// Bulk loading may use every core: nothing else is waiting for them.
	wh := ingest.NewWebhooks(db, log, ingest.WebhookOptions{Workers: runtime.GOMAXPROCS(0)})
	ci := ingest.NewCIEvents(db, log, nil)
	ci.FollowWebhooks(wh)
	tokenID, err := demoToken(ctx, db)
	if err != nil {
		return nil, err
	}
	const batchSize = 2000
	var (
		total        ingest.LoadStats
		queued       int
		lastProgress = time.Now()
	)
	loader := wh.NewLoader(ctx, batchSize)
	// settle waits until every delivery queued so far is stored and
	// projected.
	settle := func() error {
		st, err := loader.Close()
		total.Stored += st.Stored
		total.Duplicates += st.Duplicates
		total.Failed += st.Failed
		loader = wh.NewLoader(ctx, batchSize)
		return err
	}
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
			queued++
			if progress != nil && time.Since(lastProgress) > 2*time.Second {
				lastProgress = time.Now()
				fmt.Fprintf(progress, "  %d deliveries, up to %s\n", queued, it.Time.Format(time.DateOnly))
			}
			return loader.Add(ld)
		}
		// A CI event follows the deliveries before it: a rollback naming
		// no deployment rolls back the latest one, which may be a GitHub
		// deployment still being loaded.
		if it.CI.Event == core.EventRollback && it.CI.Deployment == "" {
			if err := settle(); err != nil {
				return err
			}
		}
		return recordDemoCIEvent(ctx, ci, tokenID, it)
	})
	if cerr := settle(); err == nil {
		err = cerr
	}
	loader.Close()
	if err != nil {
		return nil, fmt.Errorf("generate demo: %w", err)
	}
	if total.Failed > 0 {
		return nil, fmt.Errorf("load demo deliveries: %d of %d failed to project (see the log)", total.Failed, total.Stored)
	}
	err = store.PutSyncState(ctx, db.W, store.SyncState{Scope: demoScope, Kind: demoKind, Watermark: opts.End,
		Checkpoint: demoCheckpoint(opts), UpdatedAt: time.Now()})
	if err != nil {
		return nil, err
	}
	return sum, nil
}

// recordDemoCIEvent records a generated CI event through the API's own
// validation, stamped as received when it happened.
func recordDemoCIEvent(ctx context.Context, ci *ingest.CIEvents, tokenID int64, it *demo.Item) error {
	body, err := json.Marshal(it.CI)
	if err != nil {
		return err
	}
	e, err := ingest.ParseCIEvent(body, it.Time)
	if err != nil {
		return fmt.Errorf("generated CI event %s %s: %w", it.CI.Event, it.CI.ID, err)
	}
	if _, _, err := ci.Record(ctx, tokenID, e, it.Time); err != nil {
		return fmt.Errorf("record CI event %s %s: %w", it.CI.Event, it.CI.ID, err)
	}
	return nil
}

// demoToken returns the id of the demo's API token, creating it once.
func demoToken(ctx context.Context, db *store.DB) (int64, error) {
	tokens, err := db.Tokens(ctx, false)
	if err != nil {
		return 0, err
	}
	for _, t := range tokens {
		if t.Name == demoTokenName {
			return t.ID, nil
		}
	}
	_, t, err := db.CreateToken(ctx, demoTokenName, []string{core.ScopeEventsWrite}, time.Now())
	if err != nil {
		return 0, fmt.Errorf("create the demo token: %w", err)
	}
	return t.ID, nil
}

// demoCheckpoint records what was generated, so a later serve --demo can
// describe the same organization again.
func demoCheckpoint(o demo.Options) string {
	b, _ := json.Marshal(o)
	return string(b)
}

// loadedDemo returns the options of the demo loaded in db; ok is false
// when db holds no complete demo.
func loadedDemo(ctx context.Context, db *store.DB) (opts demo.Options, ok bool, err error) {
	st, ok, err := store.GetSyncState(ctx, db.R, demoScope, demoKind)
	if err != nil || !ok {
		return opts, false, err
	}
	if err := json.Unmarshal([]byte(st.Checkpoint), &opts); err != nil {
		// Loaded by an older build: describe what serve --demo loads.
		return demo.Options{Seed: 1, Scale: demo.Small, End: st.Watermark}, true, nil
	}
	return opts, true, nil
}

func writeDemoSummary(w io.Writer, s *demo.Summary, took time.Duration) {
	fmt.Fprintf(w, "demo organization loaded in %s\n", took.Round(100*time.Millisecond))
	fmt.Fprintf(w, "  %d webhook deliveries, %d CI events\n", s.Deliveries, s.CIEvents)
	fmt.Fprintf(w, "  %d pull requests (%d merged), %d reviews, %d issues\n", s.PullRequests, s.PullRequestsMerged, s.Reviews, s.Issues)
	fmt.Fprintf(w, "  %d deployments (%d successful to production), %d incidents, %d rollbacks\n",
		s.Deployments, s.SuccessfulProductionDeployments, s.Incidents, s.Rollbacks)
	for _, t := range s.Teams {
		fmt.Fprintf(w, "  team %-12s generated as %-6s  %5.1f deploys/week  change failure rate %3.0f%%\n",
			t.Slug, t.Level, t.DeploysPerWeek, 100*t.ChangeFailureRate)
	}
}
