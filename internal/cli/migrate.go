package cli

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/sextant-dev/sextant/internal/store"
)

func runMigrate(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "migrate", "migrate [status] [flags]")
	cf := addConfigFlags(fs, "db", "log.format", "log.level")
	if err := fs.parse(args); err != nil {
		return err
	}
	sub := fs.Arg(0)
	if sub != "" && sub != "status" && sub != "up" {
		return usageError{fmt.Errorf("unknown subcommand %q: want migrate, migrate up or migrate status", sub)}
	}
	if fs.NArg() > 1 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(1))}
	}
	cfg, err := cf.load(env)
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, cfg.DB, store.Options{NoMigrate: true})
	if err != nil {
		return err
	}
	defer db.Close()
	if sub == "status" {
		states, err := db.MigrationStatus(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "VERSION\tNAME\tSTATE\tAPPLIED AT\n")
		pending := 0
		for _, s := range states {
			state, at := "pending", "-"
			if s.Applied {
				state, at = "applied", s.AppliedAt.UTC().Format("2006-01-02 15:04:05Z")
			} else {
				pending++
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", s.Version, s.Name, state, at)
		}
		tw.Flush()
		fmt.Fprintf(env.Stdout, "%s (%s): %d migrations, %d pending\n", db.Target, db.Dialect, len(states), pending)
		return nil
	}
	applied, err := db.Migrate(ctx)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintf(env.Stdout, "%s (%s): schema is current\n", db.Target, db.Dialect)
		return nil
	}
	fmt.Fprintf(env.Stdout, "%s (%s): applied migrations %v\n", db.Target, db.Dialect, applied)
	return nil
}
