// Package sync keeps the store in step with GitHub through its API: the
// configured organizations (members, teams, repositories) and repositories
// (pull requests, issues and their timelines, transfers, deployments and
// the commits they shipped, workflow runs, releases), incrementally and
// resumably, and checks the store against GitHub (integrity.go).
//
// Every page is stored in one transaction together with what makes the
// next fetch incremental: the checkpoint to resume from, the watermark
// once a walk completes, and the page's validator, so a conditional
// request answered 304 never hides data that was not stored. No
// transaction is held across a request to GitHub.
package sync

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	gosync "sync"
	"time"

	"github.com/sextant-dev/sextant/internal/core"
	"github.com/sextant-dev/sextant/internal/github"
	"github.com/sextant-dev/sextant/internal/store"
)

// Defaults of Options.
const (
	DefaultReconcileDays = 365
	DefaultEventsWindow  = 24 * time.Hour
)

// recentDays bounds what incremental walks of newest-first listings
// (deployments, runs) keep going back for: an unfinished deployment or run
// older than this is taken as abandoned until the daily reconciliation.
const recentDays = 7

// Options configure a Syncer.
type Options struct {
	// Orgs are organizations to sync with all their repositories; Repos
	// are more repositories (owner/name).
	Orgs  []string
	Repos []string
	// ReconcileDays is how far back the daily reconciliation re-reads
	// closed unmerged pull requests (DefaultReconcileDays).
	ReconcileDays int
	// EventsWindow: issues updated this recently have their timelines
	// polled (with ETags, so an unchanged page is free) on every sync
	// (DefaultEventsWindow).
	EventsWindow time.Duration
	// Estimate counts, before the first or full sync of the repositories,
	// the pull requests and issues they hold (1 point each), so Progress
	// can tell how far along the sync is.
	Estimate bool
	Now      func() time.Time
	Log      *slog.Logger
}

// Syncer syncs GitHub into the store.
type Syncer struct {
	db   *store.DB
	gh   *github.Client
	opts Options
	// Progress counts what was stored, for the CLI's progress display.
	Progress *Progress
	// locks keeps one repository's syncs in this process one at a time
	// (the schedules' jobs have different keys and may overlap).
	locks gosync.Map
}

// New returns a Syncer over db and the GitHub client gh.
func New(db *store.DB, gh *github.Client, opts Options) *Syncer {
	if opts.ReconcileDays <= 0 {
		opts.ReconcileDays = DefaultReconcileDays
	}
	if opts.EventsWindow <= 0 {
		opts.EventsWindow = DefaultEventsWindow
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	return &Syncer{db: db, gh: gh, opts: opts, Progress: &Progress{}}
}

func (s *Syncer) now() time.Time { return s.opts.Now().UTC().Truncate(time.Millisecond) }

// Part is one part of a repository's sync.
type Part string

// The parts of a repository's sync, in the order they run.
const (
	PartPulls       Part = "pulls"       // pull requests with reviews, labels, first commit, merge state
	PartIssues      Part = "issues"      // issues, their timelines, transfers
	PartDeployments Part = "deployments" // deployments, statuses, the commits each shipped
	PartRuns        Part = "runs"        // workflow runs and jobs
	PartReleases    Part = "releases"
)

// AllParts are every part, in order.
var AllParts = []Part{PartPulls, PartIssues, PartDeployments, PartRuns, PartReleases}

// ParsePart reads a part's name.
func ParsePart(s string) (Part, error) {
	for _, p := range AllParts {
		if string(p) == s {
			return p, nil
		}
	}
	return "", fmt.Errorf("%q is not a sync part (pulls, issues, deployments, runs, releases)", s)
}

// Mode says what a sync run does.
type Mode struct {
	// Full ignores watermarks and stored validators: everything is read
	// again (sextant sync --full).
	Full bool
	// Since and Until bound a backfill by update time: what was updated
	// before Since is not read, what was updated after Until not stored.
	Since, Until time.Time
	// Members syncs organization members, teams and team members.
	Members bool
	// Reconcile re-reads what incremental walks can miss: open pull
	// requests, closed unmerged ones back Options.ReconcileDays, open
	// issues (to find those moved or deleted), every page of deployments,
	// a week of workflow runs, every release.
	Reconcile bool
	// Parts of each repository to sync (empty: all).
	Parts []Part
}

func (m Mode) has(p Part) bool { return len(m.Parts) == 0 || slices.Contains(m.Parts, p) }

func (m Mode) backfill() bool { return !m.Since.IsZero() || !m.Until.IsZero() }

// fresh: conditional requests are off for a full sync (a stored validator
// would answer 304 for data a full sync means to read again).
func (m Mode) fresh(ctx context.Context) context.Context {
	if m.Full {
		return github.Fresh(ctx)
	}
	return ctx
}

// Targets lists what Run syncs: the configured organizations, and the
// configured repositories that are not in one of them.
func (s *Syncer) Targets() (orgs, repos []string) {
	orgs = slices.Clone(s.opts.Orgs)
	for _, r := range s.opts.Repos {
		owner, _, _ := strings.Cut(r, "/")
		if !slices.ContainsFunc(orgs, func(o string) bool { return strings.EqualFold(o, owner) }) {
			repos = append(repos, r)
		}
	}
	return orgs, repos
}

// Run syncs every configured organization (and its repositories) and
// repository. It goes on past a repository that fails and returns the
// errors together; it stops when ctx is done.
func (s *Syncer) Run(ctx context.Context, mode Mode) error {
	orgs, repos := s.Targets()
	var errs []error
	for _, org := range orgs {
		names, err := s.SyncOrg(ctx, org, mode)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			errs = append(errs, err)
			// The repositories known from earlier syncs are synced still.
			if names, err = store.RepositoriesOf(ctx, s.db.R, org); err != nil {
				return errors.Join(append(errs, err)...)
			}
		}
		repos = append(repos, names...)
	}
	seen := map[string]bool{}
	var unique []string
	for _, r := range repos {
		if !seen[strings.ToLower(r)] {
			seen[strings.ToLower(r)] = true
			unique = append(unique, r)
		}
	}
	if s.opts.Estimate && mode.has(PartPulls) {
		for _, r := range unique {
			if err := s.estimate(ctx, r, mode); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				errs = append(errs, fmt.Errorf("count %s: %w", r, err))
			}
		}
	}
	for _, r := range unique {
		err := s.SyncRepo(ctx, r, mode)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// repo is a repository being synced.
type repo struct {
	id          int64
	owner, name string
	full        string
}

// resolveRepo finds a repository in the store, or on GitHub when the
// store does not have it from GitHub yet (or a reconciliation asks).
func (s *Syncer) resolveRepo(ctx context.Context, fullName string, refresh bool) (repo, error) {
	owner, name, ok := strings.Cut(fullName, "/")
	if !ok || owner == "" || name == "" {
		return repo{}, fmt.Errorf("repository %q is not owner/name", fullName)
	}
	if !refresh {
		r, err := s.db.RepositoryByName(ctx, fullName)
		if err == nil && r.GitHubID != 0 {
			return repo{id: r.ID, owner: r.Owner, name: r.Name, full: r.FullName}, nil
		}
		if err != nil && core.ErrorCode(err) != core.CodeNotFound {
			return repo{}, err
		}
	}
	gr, _, err := s.gh.Repository(ctx, owner, name)
	if err != nil {
		return repo{}, err
	}
	var id int64
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		id, err = store.UpsertRepository(ctx, tx, gr)
		return err
	})
	if err != nil {
		return repo{}, err
	}
	return repo{id: id, owner: gr.Owner, name: gr.Name, full: gr.FullName}, nil
}

// SyncRepo syncs one repository's parts. A part that fails does not stop
// the others; the errors come back together.
func (s *Syncer) SyncRepo(ctx context.Context, fullName string, mode Mode) error {
	mu, _ := s.locks.LoadOrStore(strings.ToLower(fullName), &gosync.Mutex{})
	mu.(*gosync.Mutex).Lock()
	defer mu.(*gosync.Mutex).Unlock()
	r, err := s.resolveRepo(ctx, fullName, mode.Reconcile)
	if err != nil {
		return fmt.Errorf("sync %s: %w", fullName, err)
	}
	log := s.opts.Log.With("repo", r.full)
	parts := []struct {
		part Part
		run  func(context.Context, repo, Mode) error
	}{
		{PartPulls, s.syncPulls},
		{PartIssues, s.syncIssues},
		{PartDeployments, s.syncDeployments},
		{PartRuns, s.syncRuns},
		{PartReleases, s.syncReleases},
	}
	var errs []error
	for _, p := range parts {
		if !mode.has(p.part) {
			continue
		}
		s.Progress.scope(r.full + " " + string(p.part))
		start := time.Now()
		err := p.run(ctx, r, mode)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			log.Warn("sync part failed", "part", p.part, "err", err)
			errs = append(errs, fmt.Errorf("sync %s %s: %w", r.full, p.part, err))
			continue
		}
		log.Debug("synced", "part", p.part, "duration", time.Since(start).Round(time.Millisecond))
	}
	return errors.Join(errs...)
}

// estimate tells Progress what a first or full sync of a repository will
// store.
func (s *Syncer) estimate(ctx context.Context, fullName string, mode Mode) error {
	r, err := s.resolveRepo(ctx, fullName, false)
	if err != nil {
		return err
	}
	st, err := loadState[pullCheckpoint](ctx, s.db.R, r.full, kindPulls)
	if err != nil {
		return err
	}
	if !mode.Full && !mode.backfill() && st.cp.Complete {
		return nil
	}
	counts, _, err := s.gh.RepoCounts(ctx, r.owner, r.name)
	if err != nil {
		return err
	}
	s.Progress.Expect(int64(counts.PullRequests + counts.Issues))
	return nil
}

// state is a sync_state row with its checkpoint decoded into T.
type state[T any] struct {
	store.SyncState
	cp T
}

func loadState[T any](ctx context.Context, q store.Querier, scope, kind string) (state[T], error) {
	st, _, err := store.GetSyncState(ctx, q, scope, kind)
	if err != nil {
		return state[T]{}, err
	}
	out := state[T]{SyncState: st}
	if st.Checkpoint != "" {
		if err := json.Unmarshal([]byte(st.Checkpoint), &out.cp); err != nil {
			// A checkpoint this version cannot read: start that walk over
			// rather than fail forever.
			var zero T
			out.cp = zero
		}
	}
	return out, nil
}

func (st *state[T]) save(ctx context.Context, q store.Querier, at time.Time) error {
	b, err := json.Marshal(st.cp)
	if err != nil {
		return fmt.Errorf("encode checkpoint of %s/%s: %w", st.Scope, st.Kind, err)
	}
	st.Checkpoint = string(b)
	if st.Checkpoint == "{}" || st.Checkpoint == "null" {
		st.Checkpoint = ""
	}
	st.UpdatedAt = at
	return store.PutSyncState(ctx, q, st.SyncState)
}

// finishWalk stores the state of a walk that completed and, when a probe
// started it, the probe's validator: the next probe is a free 304 only
// once everything it announced is stored.
func finishWalk[T any](ctx context.Context, tx *sql.Tx, st *state[T], probe *github.Probe, now time.Time) error {
	if probe != nil {
		if err := saveValidator(ctx, tx, probe.Validator, now); err != nil {
			return err
		}
	}
	return st.save(ctx, tx, now)
}

// saveValidator stores a page's validator in the transaction that stores
// the page.
func saveValidator(ctx context.Context, q store.Querier, v github.Validator, at time.Time) error {
	if v.URL == "" {
		return nil
	}
	return store.SaveHTTPCache(ctx, q, store.HTTPCacheEntry{URL: v.URL, ETag: v.ETag, LastModified: v.LastModified, UpdatedAt: at})
}

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.UnixMilli(n).UTC()
}

// upsertActors stores the actors a page names (before the rows that name
// them).
func upsertActors(ctx context.Context, q store.Querier, actors ...core.Actor) error {
	for _, a := range actors {
		if a.ID == 0 || a.Login == "" {
			continue
		}
		if err := store.UpsertActor(ctx, q, a); err != nil {
			return err
		}
	}
	return nil
}
