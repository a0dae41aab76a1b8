package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/sextant-dev/sextant/internal/config"
	"github.com/sextant-dev/sextant/internal/demo"
	"github.com/sextant-dev/sextant/internal/demo/demodb"
	"github.com/sextant-dev/sextant/internal/jobs"
	"github.com/sextant-dev/sextant/internal/store"
	"github.com/sextant-dev/sextant/internal/telemetry"
	"github.com/sextant-dev/sextant/internal/web"
)

func runServe(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "serve", "serve [flags]")
	cf := addConfigFlags(fs, "addr", "db", "log.format", "log.level")
	demoMode := fs.Bool("demo", false, "serve a generated demo organization from its own database ("+demoDB+
		", or --db), generating it on the first run")
	if err := fs.parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	cfg, err := cf.load(env)
	if err != nil {
		return err
	}
	if *demoMode {
		// The demo never touches the configured database: only a --db
		// given with --demo on the command line replaces the demo's own.
		if !cf.isSet("db") {
			cfg.DB = demoDB
		}
		if err := prepareDemo(ctx, env, &cfg); err != nil {
			return err
		}
	}
	return serve(ctx, env, cfg, nil)
}

// demoDB is the database of serve --demo.
const demoDB = "sextant-demo.db"

// prepareDemo generates the small demo organization into cfg.DB unless a
// complete one is there already, and points the metrics at the demo's
// partner companies and deploy workflow.
func prepareDemo(ctx context.Context, env Env, cfg *config.Config) error {
	db, err := store.Open(ctx, cfg.DB, store.Options{Bulk: true})
	if err != nil {
		return err
	}
	defer db.Close()
	log := newLogger(env.Stderr, *cfg)
	opts, loaded, err := demodb.Loaded(ctx, db)
	if err != nil {
		return err
	}
	roster := (*demo.Roster)(nil)
	if !loaded {
		opts = demo.Options{Seed: 1, Scale: demo.Small, End: time.Now().UTC().Truncate(24 * time.Hour)}
		fmt.Fprintf(env.Stderr, "first run of the demo: generating a year of a small organization into %s (a few seconds)\n", db.Target)
		start := time.Now()
		sum, err := demodb.Load(ctx, db, opts, log, nil)
		if err != nil {
			return err
		}
		roster = sum.Roster
		fmt.Fprintf(env.Stderr, "demo loaded in %s: %d pull requests, %d deployments, %d incidents\n",
			time.Since(start).Round(100*time.Millisecond), sum.PullRequests, sum.Deployments, sum.Incidents)
	} else if roster, err = demo.Describe(opts); err != nil {
		return err
	}
	affs, err := writeDemoAffiliations(cfg.DB, roster)
	if err != nil {
		return err
	}
	applyDemoSettings(cfg, affs)
	return refreshDemoMetrics(ctx, db, *cfg, log)
}

// serve runs the server until ctx is done. When ready is not nil it
// receives the listening address once the server accepts connections.
func serve(ctx context.Context, env Env, cfg config.Config, ready chan<- string) error {
	log := newLogger(env.Stderr, cfg)
	db, err := store.Open(ctx, cfg.DB, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, unwrapNetErr(err))
	}

	collectors := newServeMetrics(db, log)
	metrics := collectors.Metrics

	// OTLP export is off unless the standard OTEL_EXPORTER_OTLP_* variables
	// ask for it; the exporters read those variables themselves.
	var otlp *telemetry.OTLP
	if telemetry.OTLPEnabled(env.Getenv) {
		otlp, err = telemetry.NewOTLP(ctx, env.Getenv, metrics, log, telemetry.OTLPOptions{})
		if err != nil {
			ln.Close()
			return err
		}
		defer func() {
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			if err := otlp.Shutdown(sctx); err != nil {
				log.Warn("flush OTLP export", "err", err)
			}
		}()
		log.Info("exporting over OTLP", "protocol", env.Getenv("OTEL_EXPORTER_OTLP_PROTOCOL"))
	}

	events := telemetry.NewEvents(component(log, "events"), otlp)
	runner := jobs.New(db, component(log, "jobs"), metrics, jobs.Options{
		Workers:      cfg.Jobs.Workers,
		Lease:        cfg.Jobs.Lease,
		PollInterval: cfg.Jobs.PollInterval,
		MaxAttempts:  cfg.Jobs.MaxAttempts,
	})
	if err := setupCIEvents(ctx, db, runner, cfg, component(log, "ci"), events); err != nil {
		ln.Close()
		return err
	}
	engine, err := setupMetrics(ctx, db, runner, cfg, component(log, "metrics"))
	if err != nil {
		ln.Close()
		return err
	}

	runCtx, stopJobs := context.WithCancel(ctx)
	defer stopJobs()
	hooks := startWebhooks(runCtx, db, collectors.webhooks, events, cfg, component(log, "webhooks"))
	defer hooks.stop()
	githubUsage, err := setupSync(ctx, db, runner, collectors, cfg, component(log, "sync"), hooks.webhooks)
	if err != nil {
		ln.Close()
		return err
	}

	anon := anonymousRead(cfg.API.AnonymousRead, ln.Addr())
	srv := web.New(web.Deps{DB: db, Log: component(log, "http"), Metrics: metrics, Events: events, AnonymousRead: anon,
		Webhooks: hooks.webhooks, WebhookSecrets: hooks.secrets, WebhookCounters: hooks.counters,
		MetricsEngine: engine, GitHubUsage: githubUsage})
	httpSrv := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       cfg.HTTP.ReadTimeout,
		IdleTimeout:       2 * time.Minute,
	}

	jobsDone := make(chan struct{})
	go func() {
		runner.Run(runCtx, cfg.HTTP.ShutdownTimeout)
		close(jobsDone)
	}()
	go runDORAGauges(runCtx, db, engine, cfg.Metrics, collectors.dora, component(log, "metrics"))

	serveErr := make(chan error, 1)
	go func() { serveErr <- httpSrv.Serve(ln) }()
	log.Info("sextant serving", "addr", ln.Addr().String(), "db", db.Target, "dialect", db.Dialect,
		"workers", cfg.Jobs.Workers, "anonymous_read", anon)
	if ready != nil {
		ready <- ln.Addr().String()
	}

	select {
	case err := <-serveErr:
		stopJobs()
		<-jobsDone
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", "timeout", cfg.HTTP.ShutdownTimeout)
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.HTTP.ShutdownTimeout)
	defer cancel()
	err = httpSrv.Shutdown(shutCtx)
	stopJobs()
	<-jobsDone
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shut down http server: %w", err)
	}
	log.Info("stopped")
	return nil
}

// unwrapNetErr drops the repeated "listen tcp ADDR:" prefix of net errors.
func unwrapNetErr(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err
	}
	return err
}

// anonymousRead decides api.anonymous_read: "auto" allows reads without a
// token only when the server listens on loopback, where only this machine
// can reach it.
func anonymousRead(setting string, addr net.Addr) bool {
	switch setting {
	case "true":
		return true
	case "false":
		return false
	}
	tcp, ok := addr.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}
