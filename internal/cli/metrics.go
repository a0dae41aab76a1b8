package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/sextant-dev/sextant/internal/store"
)

// runMetrics runs the metrics refresh once, in this process: after a
// restore, a copy between engines, or to see what a refresh costs.
func runMetrics(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "metrics", "metrics refresh [--full] [flags]")
	cf := addConfigFlags(fs, "db", "log.format", "log.level")
	full := fs.Bool("full", false, "rebuild every repository, not only those that changed")
	if err := fs.parse(args); err != nil {
		return err
	}
	switch {
	case fs.Arg(0) == "":
		return usageError{errors.New("missing subcommand: metrics refresh")}
	case fs.Arg(0) != "refresh":
		return usageError{fmt.Errorf("unknown subcommand %q: want refresh", fs.Arg(0))}
	case fs.NArg() > 1:
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(1))}
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
	engine, err := newMetricsEngine(ctx, db, cfg, log)
	if err != nil {
		return err
	}
	st, err := engine.Refresh(ctx, *full)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "refreshed %d repositories (full: %v) in %s: %d rows inserted, %d updated, %d deleted\n",
		st.Repos, st.Full, st.Duration.Round(1e6), st.Inserted, st.Updated, st.Deleted)
	return nil
}
