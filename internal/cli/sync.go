package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/sextant-dev/sextant/internal/github"
	"github.com/sextant-dev/sextant/internal/store"
	ghsync "github.com/sextant-dev/sextant/internal/sync"
)

// ExitInterrupted is the exit code of a command stopped by Ctrl-C (128 +
// SIGINT, as shells report it).
const ExitInterrupted = 130

// runSync syncs GitHub into the database in the foreground: what the
// configuration names, or --org and --repo; incrementally unless --full;
// a backfill window with --since and --until. Each page is stored with its
// checkpoint, so a stopped sync resumes where it stopped.
func runSync(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "sync", "sync [--org O] [--repo O/R] [--since DATE] [--until DATE] [--full] [--parts P,P] [flags]")
	tf := addTargetFlags(fs, "sync")
	since := fs.String("since", "", "backfill what was updated at or after this date (2024-05-01) or RFC 3339 time")
	until := fs.String("until", "", "backfill: do not store what was updated after this date or time")
	full := fs.Bool("full", false, "read everything again, ignoring watermarks and stored validators")
	parts := fs.String("parts", "", "sync only these parts of each repository: pulls, issues, deployments, runs, releases (comma-separated)")
	cf := addConfigFlags(fs, "db", "github.base_url", "log.format", "log.level")
	if err := fs.parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	mode := ghsync.Mode{Full: *full, Members: true}
	var err error
	if mode.Since, err = parseDay(*since); err != nil {
		return usageError{fmt.Errorf("--since: %w", err)}
	}
	if mode.Until, err = parseDay(*until); err != nil {
		return usageError{fmt.Errorf("--until: %w", err)}
	}
	if !mode.Since.IsZero() && !mode.Until.IsZero() && !mode.Since.Before(mode.Until) {
		return usageError{fmt.Errorf("--since %s is not before --until %s", *since, *until)}
	}
	if *full && (!mode.Since.IsZero() || !mode.Until.IsZero()) {
		return usageError{errors.New("--full reads everything: give it without --since and --until")}
	}
	for _, p := range strings.Split(*parts, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		part, err := ghsync.ParsePart(p)
		if err != nil {
			return usageError{fmt.Errorf("--parts: %w", err)}
		}
		mode.Parts = append(mode.Parts, part)
	}
	cfg, err := cf.load(env)
	if err != nil {
		return err
	}
	if err := tf.apply(&cfg); err != nil {
		return err
	}
	if !hasGitHubCredentials(cfg.GitHub) {
		return errNoGitHubCredentials
	}
	log := newLogger(env.Stderr, cfg)
	db, err := store.Open(ctx, cfg.DB, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	client, err := newGitHubClient(cfg, db, log)
	if err != nil {
		return err
	}
	opts := syncOptions(cfg, log)
	opts.Estimate = true
	s := ghsync.New(db, client, opts)

	start := time.Now()
	p := newSyncProgress(env.Stderr, s.Progress, client.Budget(), start)
	stop := p.run()
	err = s.Run(ctx, mode)
	stop()
	what := "synced"
	if ctx.Err() != nil {
		what = "sync stopped"
	}
	fmt.Fprintf(env.Stdout, "%s in %s: %s\n", what, time.Since(start).Round(100*time.Millisecond), p.summary(s.Progress.Snapshot()))
	if ctx.Err() != nil {
		return exitCodeError{code: ExitInterrupted, msg: "interrupted: what was stored is kept; run the same command again to resume where it stopped"}
	}
	return err
}

// syncProgress shows a sync's progress: on a terminal a bar redrawn in
// place, otherwise a line every few seconds.
type syncProgress struct {
	w        io.Writer
	tty      bool
	progress *ghsync.Progress
	budget   *github.Budget
	start    time.Time
}

func newSyncProgress(w io.Writer, p *ghsync.Progress, b *github.Budget, start time.Time) *syncProgress {
	return &syncProgress{w: w, tty: isTerminal(w), progress: p, budget: b, start: start}
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// run draws until the returned stop is called.
func (p *syncProgress) run() (stop func()) {
	every := 5 * time.Second
	if p.tty {
		every = 200 * time.Millisecond
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				if p.tty {
					fmt.Fprint(p.w, "\r\033[K")
				}
				return
			case <-t.C:
				p.draw()
			}
		}
	}()
	return func() { close(done); <-finished }
}

// spent is what the sync has cost so far, what is left of the budget,
// and, when a budget is spent, until when the sync waits for it.
func (p *syncProgress) spent() (requests, points int64, left, waiting string) {
	var parts []string
	for _, u := range p.budget.Usage() {
		requests += u.Requests
		points += u.Points
		if u.Budget.Observed.IsZero() {
			continue
		}
		parts = append(parts, fmt.Sprintf("%d %s", u.Budget.Remaining, u.Resource))
		if u.Budget.Remaining == 0 && u.Budget.Reset.After(time.Now()) {
			waiting = fmt.Sprintf("waiting for the %s rate limit to reset at %s UTC", u.Resource, u.Budget.Reset.UTC().Format(time.TimeOnly))
		}
	}
	if len(parts) == 0 {
		return requests, points, "unknown", waiting
	}
	return requests, points, strings.Join(parts, ", "), waiting
}

func (p *syncProgress) draw() {
	snap := p.progress.Snapshot()
	requests, points, left, waiting := p.spent()
	items := int64(0)
	for _, n := range snap.Items {
		items += n
	}
	elapsed := time.Since(p.start)
	done, eta := "", ""
	if snap.Expected > 0 {
		frac := min(1, float64(snap.Done)/float64(snap.Expected))
		done = fmt.Sprintf("%d/%d pull requests and issues (%.0f%%)", snap.Done, snap.Expected, 100*frac)
		if frac > 0 && frac < 1 {
			eta = "ETA " + time.Duration(float64(elapsed)*(1-frac)/frac).Round(time.Second).String()
		}
		if p.tty {
			const width = 24
			n := int(frac * width)
			done = "[" + strings.Repeat("=", n) + strings.Repeat(" ", width-n) + "] " + done
		}
	}
	fields := []string{}
	if done != "" {
		fields = append(fields, done)
	}
	fields = append(fields, fmt.Sprintf("%d items", items), fmt.Sprintf("%d requests", requests),
		fmt.Sprintf("%d points spent", points), "left: "+left)
	switch {
	case waiting != "":
		fields = append(fields, waiting)
	case eta != "":
		fields = append(fields, eta)
	}
	if snap.Scope != "" {
		fields = append(fields, snap.Scope)
	}
	line := strings.Join(fields, "  ")
	if p.tty {
		fmt.Fprint(p.w, "\r\033[K"+line)
		return
	}
	fmt.Fprintln(p.w, "sync: "+strings.Join(fields, ", "))
}

// summary says what a sync stored and cost.
func (p *syncProgress) summary(snap ghsync.ProgressSnapshot) string {
	kinds := make([]string, 0, len(snap.Items))
	for k := range snap.Items {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	var parts []string
	for _, k := range kinds {
		parts = append(parts, fmt.Sprintf("%d %s", snap.Items[k], k))
	}
	if len(parts) == 0 {
		parts = append(parts, "nothing new")
	}
	requests, points, left, _ := p.spent()
	return fmt.Sprintf("%s; %d requests, %d rate-limit points (left: %s)", strings.Join(parts, ", "), requests, points, left)
}
