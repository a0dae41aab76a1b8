package sync

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/sextant-dev/sextant/internal/core"
	"github.com/sextant-dev/sextant/internal/github"
	"github.com/sextant-dev/sextant/internal/jobs"
	"github.com/sextant-dev/sextant/internal/store"
)

// Job kinds of the integrity check.
const (
	KindCheck  = "integrity.check"
	KindRepair = "integrity.repair"
)

// Finding kinds. The first five compare GitHub's count (expected) with
// the store's (found); the others count rows of the store that are
// inconsistent (expected 0), or deliveries GitHub made that the store
// never received.
const (
	FindPulls              = "pull_requests"
	FindOpenPulls          = "open_pull_requests"
	FindClosedPulls        = "closed_pull_requests"
	FindIssues             = "issues"
	FindOpenIssues         = "open_issues"
	FindOrphanReviews      = "reviews_without_pull_request"
	FindOrphanComments     = "comments_without_pull_request"
	FindUnknownAuthor      = "pull_request_author_unknown"
	FindNoMergeCommit      = "merged_without_merge_commit"
	FindNoStatus           = "deployments_without_status"
	FindMembers            = "members"
	FindTeams              = "teams"
	FindTeamMembers        = "team_members"
	FindUnknownMembers     = "members_unknown"
	FindUnknownTeamMembers = "team_members_unknown"
	FindUnprojected        = "deliveries_not_projected"
	FindMissing            = "deliveries_missing" // inside GitHub's redelivery window: redelivered
	FindLost               = "deliveries_lost"    // too old to redeliver: repaired by a sync
)

// checkRetention is how long the results of checks are kept (each
// scope's latest always).
const checkRetention = 30 * 24 * time.Hour

// StoreScope is the scope of the checks of the store as a whole.
const StoreScope = "store"

// How long a fresh thing may be incomplete without being a gap: a
// deployment waits for its first status, a delivery for its projection
// and for its commit to the store.
const (
	statusGrace   = time.Hour
	projectGrace  = 5 * time.Minute
	deliveryGrace = 2 * time.Minute
)

// CheckOptions configure a Checker.
type CheckOptions struct {
	// Hooks are the webhooks whose deliveries are compared with the store.
	Hooks []github.HookRef
	// RedeliveryWindow is how old a delivery GitHub still redelivers
	// (default 72h); DeliveryLookback how far back the first check of a
	// hook lists its deliveries (default 7 days).
	RedeliveryWindow, DeliveryLookback time.Duration
	// Project projects the stored deliveries not projected yet (the
	// webhook projector); nil leaves that finding unrepaired.
	Project func(ctx context.Context) error
}

// Checker compares the store with GitHub, records what it finds, and
// enqueues the repair of each finding.
type Checker struct {
	*Syncer
	opts CheckOptions
	q    Enqueuer
}

// NewChecker returns a checker over the syncer's store and client that
// enqueues repairs with q.
func NewChecker(s *Syncer, q Enqueuer, opts CheckOptions) *Checker {
	if opts.RedeliveryWindow == 0 {
		opts.RedeliveryWindow = 72 * time.Hour
	}
	if opts.DeliveryLookback <= 0 {
		opts.DeliveryLookback = 7 * 24 * time.Hour
	}
	return &Checker{Syncer: s, opts: opts, q: q}
}

// ParseHook reads a webhook reference of integrity.hooks:
// org:LOGIN:HOOK_ID, repo:OWNER/NAME:HOOK_ID or app.
func ParseHook(s string) (github.HookRef, error) {
	if s == "app" {
		return github.HookRef{Kind: github.HookApp}, nil
	}
	kind, rest, _ := strings.Cut(s, ":")
	owner, idText, _ := strings.Cut(rest, ":")
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil || id <= 0 || owner == "" {
		return github.HookRef{}, fmt.Errorf("%q is not org:LOGIN:HOOK_ID, repo:OWNER/NAME:HOOK_ID or app", s)
	}
	switch kind {
	case "org":
		return github.HookRef{Kind: github.HookOrg, Owner: owner, ID: id}, nil
	case "repo":
		o, n, ok := strings.Cut(owner, "/")
		if ok && o != "" && n != "" {
			return github.HookRef{Kind: github.HookRepo, Owner: o, Repo: n, ID: id}, nil
		}
	}
	return github.HookRef{}, fmt.Errorf("%q is not org:LOGIN:HOOK_ID, repo:OWNER/NAME:HOOK_ID or app", s)
}

func hookScope(h github.HookRef) string {
	switch h.Kind {
	case github.HookOrg:
		return fmt.Sprintf("hook:org:%s:%d", h.Owner, h.ID)
	case github.HookRepo:
		return fmt.Sprintf("hook:repo:%s/%s:%d", h.Owner, h.Repo, h.ID)
	}
	return "hook:app"
}

// Finding is one gap a check found, with the repair it enqueued.
type Finding struct {
	Kind            string
	Expected, Found int64
	Detail          string
	RepairJobID     int64
}

// Result is one scope's check.
type Result struct {
	Scope    string
	CheckID  int64
	Requests int64
	Findings []Finding
	Err      error
}

// Targets says what a check covers: nothing set means everything
// configured (organizations, repositories, the store, the hooks).
type Targets struct {
	Org  string
	Repo string
}

// Run checks the targets and returns a result per scope. A scope that
// fails to check is a result with Err; the others go on.
func (c *Checker) Run(ctx context.Context, t Targets) ([]Result, error) {
	orgs, repos := c.Targets()
	switch {
	case t.Repo != "":
		orgs, repos = nil, []string{t.Repo}
	case t.Org != "":
		orgs, repos = []string{t.Org}, nil
	}
	var out []Result
	for _, org := range orgs {
		out = append(out, c.check(ctx, org, c.checkOrg))
		names, err := store.RepositoriesOf(ctx, c.db.R, org)
		if err != nil {
			return out, err
		}
		repos = append(repos, names...)
	}
	seen := map[string]bool{}
	for _, r := range repos {
		if !seen[strings.ToLower(r)] {
			seen[strings.ToLower(r)] = true
			out = append(out, c.check(ctx, r, c.checkRepo))
		}
	}
	if t.Repo == "" && t.Org == "" {
		out = append(out, c.check(ctx, StoreScope, c.checkStore))
		for _, h := range c.opts.Hooks {
			out = append(out, c.check(ctx, hookScope(h), func(ctx context.Context, scope string) ([]Finding, github.Cost, error) {
				return c.checkHook(ctx, h, scope)
			}))
		}
	}
	if err := ctx.Err(); err != nil {
		return out, err
	}
	return out, nil
}

// check runs one scope's check and records it with its findings, each
// with its repair job.
func (c *Checker) check(ctx context.Context, scope string, fn func(context.Context, string) ([]Finding, github.Cost, error)) Result {
	res := Result{Scope: scope}
	started := c.now()
	id, err := store.StartIntegrityCheck(ctx, c.db.W, scope, started)
	if err != nil {
		res.Err = err
		return res
	}
	res.CheckID = id
	findings, cost, err := fn(ctx, scope)
	res.Requests = int64(cost.Requests)
	res.Findings = findings
	res.Err = err
	rec := store.IntegrityCheck{ID: id, FinishedAt: c.now(), Requests: res.Requests, Findings: int64(len(findings)), Status: store.CheckClean}
	switch {
	case err != nil:
		rec.Status, rec.Error = store.CheckError, err.Error()
	case len(findings) > 0:
		rec.Status = store.CheckGaps
	}
	ferr := c.db.Tx(context.WithoutCancel(ctx), func(tx *sql.Tx) error {
		for _, f := range findings {
			_, err := store.AddIntegrityFinding(ctx, tx, store.IntegrityFinding{CheckID: id, Scope: scope, Kind: f.Kind,
				Expected: f.Expected, Found: f.Found, Detail: f.Detail, FoundAt: rec.FinishedAt, RepairJobID: f.RepairJobID})
			if err != nil {
				return err
			}
		}
		return store.FinishIntegrityCheck(ctx, tx, rec)
	})
	if ferr != nil && res.Err == nil {
		res.Err = ferr
	}
	level := slog.LevelInfo
	if len(findings) == 0 && err == nil {
		level = slog.LevelDebug
	}
	c.log().Log(ctx, level, "integrity check", "scope", scope, "findings", len(findings), "requests", res.Requests, "err", err)
	return res
}

func (c *Checker) log() *slog.Logger { return c.Syncer.opts.Log }

// RepairArgs are a repair job's arguments: what to repair where, and the
// targets (numbers, ids or delivery references) when the repair is
// targeted.
type RepairArgs struct {
	Scope   string   `json:"scope"`
	Repair  string   `json:"repair"`
	Targets []string `json:"targets,omitempty"`
}

// Repairs.
const (
	repairPulls     = "pulls"     // inventory, then the missing and stale pull requests
	repairIssues    = "issues"    // inventory, then the missing, stale and vanished issues
	repairRefetch   = "refetch"   // pull requests by number
	repairStatuses  = "statuses"  // statuses of deployments by id
	repairOrg       = "org"       // members, teams and team members read again
	repairProject   = "project"   // project the deliveries waiting
	repairRedeliver = "redeliver" // ask GitHub to send deliveries again
	repairResync    = "resync"    // targeted syncs for deliveries too old to redeliver
)

// enqueue adds the repair of a finding and sets its id. The job's key is
// its scope and repair, and the finding's kind when the repair has
// targets of its own, so repeated checks never pile repairs up and
// findings that one repair serves (the counts of pull requests) share it.
func (c *Checker) enqueue(ctx context.Context, f *Finding, a RepairArgs) error {
	args, err := json.Marshal(a)
	if err != nil {
		return err
	}
	key := KindRepair + ":" + a.Scope + ":" + a.Repair
	if len(a.Targets) > 0 {
		key += ":" + f.Kind
	}
	id, _, err := c.q.Enqueue(ctx, store.NewJob{Kind: KindRepair, Args: string(args), UniqueKey: key})
	if err != nil {
		return err
	}
	f.RepairJobID = id
	return nil
}

func numbersOf(ids []int64) []string {
	out := make([]string, len(ids))
	for i, n := range ids {
		out[i] = strconv.FormatInt(n, 10)
	}
	return out
}

func sampleText(ids []int64) string {
	const shown = 10
	parts := make([]string, 0, shown+1)
	for i, n := range ids {
		if i == shown {
			parts = append(parts, fmt.Sprintf("and %d more", len(ids)-shown))
			break
		}
		parts = append(parts, strconv.FormatInt(n, 10))
	}
	return strings.Join(parts, ", ")
}

// checkRepo compares a repository's counts with GitHub's (one GraphQL
// query, 1 point, whatever the repository's size) and its rows with each
// other.
func (c *Checker) checkRepo(ctx context.Context, scope string) ([]Finding, github.Cost, error) {
	r, err := c.resolveRepo(ctx, scope, false)
	if err != nil {
		return nil, github.Cost{}, err
	}
	gh, cost, err := c.gh.RepoCounts(ctx, r.owner, r.name)
	if err != nil {
		return nil, cost, err
	}
	have, err := store.CountRepository(ctx, c.db.R, r.id)
	if err != nil {
		return nil, cost, err
	}
	var out []Finding
	add := func(kind string, expected, found int64, detail string, a RepairArgs) error {
		f := Finding{Kind: kind, Expected: expected, Found: found, Detail: detail}
		if a.Repair != "" {
			if err := c.enqueue(ctx, &f, a); err != nil {
				return err
			}
		}
		out = append(out, f)
		return nil
	}
	pulls := RepairArgs{Scope: scope, Repair: repairPulls}
	issues := RepairArgs{Scope: scope, Repair: repairIssues}
	for _, cmp := range []struct {
		kind            string
		expected, found int64
		repair          RepairArgs
	}{
		{FindPulls, int64(gh.PullRequests), have.PullRequests, pulls},
		{FindOpenPulls, int64(gh.OpenPullRequests), have.OpenPullRequests, pulls},
		{FindClosedPulls, int64(gh.PullRequests - gh.OpenPullRequests), have.PullRequests - have.OpenPullRequests, pulls},
		{FindIssues, int64(gh.Issues), have.Issues, issues},
		{FindOpenIssues, int64(gh.OpenIssues), have.OpenIssues, issues},
	} {
		if cmp.expected != cmp.found {
			if err := add(cmp.kind, cmp.expected, cmp.found, "", cmp.repair); err != nil {
				return out, cost, err
			}
		}
	}
	for _, q := range []struct {
		kind, what string
		find       func() (store.Gap, error)
		repair     RepairArgs
	}{
		{FindOrphanReviews, "pull requests (ids) that reviews name", func() (store.Gap, error) { return store.OrphanReviews(ctx, c.db.R, r.id) }, pulls},
		{FindOrphanComments, "pull requests (numbers) that comments name", func() (store.Gap, error) { return store.OrphanPullComments(ctx, c.db.R, r.id) },
			RepairArgs{Scope: scope, Repair: repairRefetch}},
		{FindUnknownAuthor, "pull requests (numbers) by an unknown author", func() (store.Gap, error) { return store.PullsWithUnknownAuthor(ctx, c.db.R, r.id) },
			RepairArgs{Scope: scope, Repair: repairRefetch}},
		{FindNoMergeCommit, "merged pull requests (numbers) without a merge commit", func() (store.Gap, error) { return store.MergedWithoutMergeCommit(ctx, c.db.R, r.id) },
			RepairArgs{Scope: scope, Repair: repairRefetch}},
		{FindNoStatus, "deployments (GitHub ids) without a status", func() (store.Gap, error) {
			return store.DeploymentsWithoutStatus(ctx, c.db.R, r.id, c.now().Add(-statusGrace))
		}, RepairArgs{Scope: scope, Repair: repairStatuses}},
	} {
		g, err := q.find()
		if err != nil {
			return out, cost, err
		}
		if g.Count == 0 {
			continue
		}
		a := q.repair
		if a.Repair != repairPulls {
			a.Targets = numbersOf(g.Sample)
		}
		if err := add(q.kind, 0, g.Count, q.what+": "+sampleText(g.Sample), a); err != nil {
			return out, cost, err
		}
	}
	return out, cost, nil
}

// checkOrg compares an organization's members, teams and team
// memberships with GitHub's (1 point, and 1 more per 100 teams).
func (c *Checker) checkOrg(ctx context.Context, login string) ([]Finding, github.Cost, error) {
	org, err := store.OrganizationByLogin(ctx, c.db.R, login)
	if core.ErrorCode(err) == core.CodeNotFound {
		return nil, github.Cost{}, fmt.Errorf("organization %s was never synced: run sextant sync first", login)
	}
	if err != nil {
		return nil, github.Cost{}, err
	}
	counts, cost, err := c.gh.OrgCounts(ctx, login)
	if err != nil {
		return nil, cost, err
	}
	var teamMembers int64
	for cursor := ""; ; {
		p, err := c.gh.TeamCounts(ctx, login, cursor)
		cost = cost.Add(p.Cost)
		if err != nil {
			return nil, cost, err
		}
		for _, t := range p.Items {
			teamMembers += int64(t.Members)
		}
		if cursor = p.Next; cursor == "" {
			break
		}
	}
	have, err := store.CountOrganization(ctx, c.db.R, org.ID)
	if err != nil {
		return nil, cost, err
	}
	var haveTeamMembers int64
	for _, n := range have.TeamMembers {
		haveTeamMembers += n
	}
	repair := RepairArgs{Scope: login, Repair: repairOrg}
	var out []Finding
	for _, cmp := range []struct {
		kind            string
		expected, found int64
	}{
		{FindMembers, int64(counts.Members), have.Members},
		{FindTeams, int64(counts.Teams), have.Teams},
		{FindTeamMembers, teamMembers, haveTeamMembers},
	} {
		if cmp.expected != cmp.found {
			f := Finding{Kind: cmp.kind, Expected: cmp.expected, Found: cmp.found}
			if err := c.enqueue(ctx, &f, repair); err != nil {
				return out, cost, err
			}
			out = append(out, f)
		}
	}
	for _, q := range []struct {
		kind, what string
		find       func() (store.Gap, error)
	}{
		{FindUnknownMembers, "members (actor ids) unknown", func() (store.Gap, error) { return store.UnknownOrgMembers(ctx, c.db.R, org.ID) }},
		{FindUnknownTeamMembers, "teams (ids) with members or teams unknown", func() (store.Gap, error) { return store.UnknownTeamMembers(ctx, c.db.R, org.ID) }},
	} {
		g, err := q.find()
		if err != nil {
			return out, cost, err
		}
		if g.Count > 0 {
			f := Finding{Kind: q.kind, Found: g.Count, Detail: q.what + ": " + sampleText(g.Sample)}
			if err := c.enqueue(ctx, &f, repair); err != nil {
				return out, cost, err
			}
			out = append(out, f)
		}
	}
	return out, cost, nil
}

// checkStore finds the stored deliveries never projected.
func (c *Checker) checkStore(ctx context.Context, _ string) ([]Finding, github.Cost, error) {
	g, err := store.UnprojectedDeliveries(ctx, c.db.R, c.now().Add(-projectGrace))
	if err != nil || g.Count == 0 {
		return nil, github.Cost{}, err
	}
	f := Finding{Kind: FindUnprojected, Found: g.Count, Detail: "deliveries (ids) stored but never projected: " + sampleText(g.Sample)}
	if c.opts.Project != nil {
		if err := c.enqueue(ctx, &f, RepairArgs{Scope: StoreScope, Repair: repairProject}); err != nil {
			return nil, github.Cost{}, err
		}
	}
	return []Finding{f}, github.Cost{}, nil
}

// Register gives runner the check's and the repairs' handlers and
// schedules the check.
func (c *Checker) Register(ctx context.Context, runner *jobs.Runner, spec jobs.Spec) error {
	runner.Handle(KindCheck, func(ctx context.Context, job *store.Job) error {
		res, err := c.Run(ctx, Targets{})
		if err != nil {
			return err
		}
		var errs []error
		for _, r := range res {
			if r.Err != nil {
				errs = append(errs, fmt.Errorf("check %s: %w", r.Scope, r.Err))
			}
		}
		// A scope that could not be checked is recorded as an error; the
		// next check tries again, so the job itself is done.
		if len(errs) > 0 {
			c.log().Warn("integrity check incomplete", "err", errors.Join(errs...))
		}
		_, err = store.PruneIntegrityChecks(ctx, c.db.W, c.now().Add(-checkRetention))
		return err
	})
	runner.Handle(KindRepair, c.HandleRepair)
	return runner.Schedule(ctx, KindCheck, KindCheck, "{}", spec)
}
