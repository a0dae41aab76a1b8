package cli

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/sextant-dev/sextant/internal/store"
)

func runMigrate(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "migrate", "migrate [up|status|copy] [flags]")
	cf := addConfigFlags(fs, "db", "log.format", "log.level")
	from := fs.String("from", "", "migrate copy: source database DSN")
	to := fs.String("to", "", "migrate copy: destination database DSN (must be empty)")
	if err := fs.parse(args); err != nil {
		return err
	}
	sub := fs.Arg(0)
	switch sub {
	case "", "up", "status":
	case "copy":
		return migrateCopy(ctx, env, *from, *to)
	default:
		return usageError{fmt.Errorf("unknown subcommand %q: want migrate, migrate status or migrate copy", sub)}
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

// migrateCopy copies every row from one database to another, typically from
// the embedded SQLite file to PostgreSQL when an install grows.
func migrateCopy(ctx context.Context, env Env, from, to string) error {
	if from == "" || to == "" {
		return usageError{fmt.Errorf("migrate copy needs --from DSN and --to DSN")}
	}
	src, err := store.Open(ctx, from, store.Options{})
	if err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	defer src.Close()
	dst, err := store.Open(ctx, to, store.Options{})
	if err != nil {
		return fmt.Errorf("--to: %w", err)
	}
	defer dst.Close()
	counts := map[string]int64{}
	var order []string
	err = store.CopyAll(ctx, src, dst, func(table string, n int64) {
		if _, seen := counts[table]; !seen {
			order = append(order, table)
		}
		counts[table] = n
	})
	if err != nil {
		return err
	}
	var total int64
	for _, t := range order {
		fmt.Fprintf(env.Stdout, "%-24s %d rows\n", t, counts[t])
		total += counts[t]
	}
	fmt.Fprintf(env.Stdout, "copied %d rows from %s (%s) to %s (%s)\n", total, src.Target, src.Dialect, dst.Target, dst.Dialect)
	return nil
}
