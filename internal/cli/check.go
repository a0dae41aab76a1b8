package cli

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/sextant-dev/sextant/internal/jobs"
	"github.com/sextant-dev/sextant/internal/store"
	ghsync "github.com/sextant-dev/sextant/internal/sync"
)

// Exit codes of sextant check.
const (
	checkClean  = 0
	checkGaps   = 1
	checkFailed = 2
)

// runCheck compares the store with GitHub (counts, the store's own
// consistency, webhook deliveries), prints what it found and enqueues a
// repair for each finding; --repair runs the repairs at once and checks
// again. It exits 0 when clean, 1 when gaps remain, 2 on errors.
func runCheck(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "check", "check [--org O] [--repo O/R] [--repair] [--wait D] [flags]")
	tf := addTargetFlags(fs, "check")
	repair := fs.Bool("repair", false, "run the repairs in the foreground, then check again")
	wait := fs.Duration("wait", 30*time.Second, "with --repair: how long to wait for redelivered webhooks to reach the running server")
	cf := addConfigFlags(fs, "db", "github.base_url", "log.format", "log.level")
	if err := fs.parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	if *wait < 0 {
		return usageError{fmt.Errorf("--wait: %s is negative", *wait)}
	}
	cfg, err := cf.load(env)
	if err != nil {
		return err
	}
	targets := ghsync.Targets{}
	if *tf.orgs != "" || *tf.repos != "" {
		if err := tf.apply(&cfg); err != nil {
			return err
		}
		if len(cfg.GitHub.Orgs)+len(cfg.GitHub.Repos) > 1 {
			return usageError{fmt.Errorf("check one --org or one --repo at a time (or neither, for everything configured)")}
		}
		if len(cfg.GitHub.Orgs) == 1 {
			targets.Org = cfg.GitHub.Orgs[0]
		} else {
			targets.Repo = cfg.GitHub.Repos[0]
		}
	} else if err := tf.apply(&cfg); err != nil {
		return err
	}
	if !hasGitHubCredentials(cfg.GitHub) {
		return exitCodeError{code: checkFailed, msg: errNoGitHubCredentials.Error()}
	}
	fail := func(err error) error { return exitCodeError{code: checkFailed, msg: oneLine(err.Error())} }
	log := newLogger(env.Stderr, cfg)
	db, err := store.Open(ctx, cfg.DB, store.Options{})
	if err != nil {
		return fail(err)
	}
	defer db.Close()
	client, err := newGitHubClient(cfg, db, log)
	if err != nil {
		return fail(err)
	}
	runner := jobs.New(db, log, nil, jobs.Options{MaxAttempts: cfg.Jobs.MaxAttempts})
	co, err := checkOptions(cfg, db, log, nil)
	if err != nil {
		return usageError{err}
	}
	checker := ghsync.NewChecker(ghsync.New(db, client, syncOptions(cfg, log)), runner, co)
	runner.Handle(ghsync.KindRepair, checker.HandleRepair)

	res, err := checker.Run(ctx, targets)
	if err != nil {
		return fail(err)
	}
	gaps, errs := printCheck(env.Stdout, res)
	if gaps > 0 && *repair && errs == 0 {
		n := 0
		for ctx.Err() == nil {
			ran, err := runner.RunOne(ctx)
			if err != nil {
				return fail(err)
			}
			if !ran {
				break
			}
			n++
		}
		fmt.Fprintf(env.Stdout, "\nran %d repairs", n)
		if waiting, err := checker.AwaitRedeliveries(ctx, *wait, time.Second); err != nil {
			return fail(err)
		} else if waiting > 0 {
			fmt.Fprintf(env.Stdout, "; %d redelivered webhooks have not reached the store (is sextant serve receiving them?)", waiting)
		}
		fmt.Fprintf(env.Stdout, "; checking again\n\n")
		if res, err = checker.Run(ctx, targets); err != nil {
			return fail(err)
		}
		gaps, errs = printCheck(env.Stdout, res)
	}
	switch {
	case errs > 0:
		return exitCodeError{code: checkFailed, msg: fmt.Sprintf("%d scopes could not be checked (see above)", errs)}
	case gaps > 0 && *repair:
		return exitCodeError{code: checkGaps, msg: fmt.Sprintf("%d gaps remain after the repairs", gaps)}
	case gaps > 0:
		return exitCodeError{code: checkGaps, msg: fmt.Sprintf("%d gaps found; their repairs are queued for sextant serve, or run sextant check --repair", gaps)}
	}
	return nil
}

// printCheck prints a check's results as a table: a row per finding, one
// for each clean scope, one for each scope that failed. It returns the
// findings and the failed scopes.
func printCheck(w io.Writer, res []ghsync.Result) (gaps, errs int) {
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "SCOPE\tCHECK\tEXPECTED\tFOUND\tREQUESTS\tREPAIR\tDETAIL")
	var requests int64
	for _, r := range res {
		requests += r.Requests
		switch {
		case r.Err != nil:
			errs++
			fmt.Fprintf(tw, "%s\terror\t\t\t%d\t\t%s\n", r.Scope, r.Requests, oneLine(r.Err.Error()))
		case len(r.Findings) == 0:
			fmt.Fprintf(tw, "%s\tclean\t\t\t%d\t\t\n", r.Scope, r.Requests)
		}
		for i, f := range r.Findings {
			gaps++
			cost := ""
			if i == 0 {
				cost = fmt.Sprint(r.Requests)
			}
			repair := "none"
			if f.RepairJobID != 0 {
				repair = fmt.Sprintf("job %d", f.RepairJobID)
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\t%s\n", r.Scope, f.Kind, f.Expected, f.Found, cost, repair, f.Detail)
		}
	}
	tw.Flush()
	fmt.Fprintf(w, "%d scopes checked with %d requests: %d gaps, %d errors\n", len(res), requests, gaps, errs)
	return gaps, errs
}
