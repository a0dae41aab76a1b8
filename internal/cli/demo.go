package cli

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sextant-dev/sextant/internal/config"
	"github.com/sextant-dev/sextant/internal/demo"
	"github.com/sextant-dev/sextant/internal/demo/demodb"
	"github.com/sextant-dev/sextant/internal/store"
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
	sum, err := demodb.Load(ctx, db, opts, log, env.Stderr)
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
		config.EnvName("metrics.affiliations_file"), affs, config.EnvName("metrics.deploy_workflows"), demodb.DeployWorkflow, cfg.DB)
	return nil
}

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
		cfg.Metrics.DeployWorkflows = []string{demodb.DeployWorkflow}
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
