package sync_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	gosync "sync"
	"testing"
	"time"

	gh "github.com/google/go-github/v89/github"

	"github.com/sextant-dev/sextant/internal/github"
	"github.com/sextant-dev/sextant/internal/github/githubtest"
	"github.com/sextant-dev/sextant/internal/store"
	"github.com/sextant-dev/sextant/internal/store/storetest"
	ghsync "github.com/sextant-dev/sextant/internal/sync"
)

// A first sync of a generated organization stores exactly what the fake
// GitHub holds: members, teams, pull requests with reviews, issues with
// their timelines, transfers, deployments with statuses and shipped
// commits, workflow runs with jobs, releases.
func TestFullSyncEqualsGitHub(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, githubtest.Options{}, ghsync.Options{})
		e.loadDemo(t)
		e.sync(t, ghsync.Mode{Members: true})
		sameAsFake(t, e)
	})
}

// changes are one of each kind of change to the fake, made at now.
type changes struct {
	pulls           []int // touched pull requests of repo
	repo, issueRepo string
	issue           int // edited issue, with a new labeled event
	movedFrom       int // transferred issue of issueRepo
	movedTo         string
	newMember, gone string
	goneTeams       int   // teams the member who left was in
	deployment      int64 // got a new status
	release, run    int64
}

func change(t *testing.T, e *env) changes {
	t.Helper()
	var c changes
	now := e.clock.Now()
	e.fake.Mutate(func(st *githubtest.State) {
		org := st.Orgs[e.org]
		names := reposWithIssues(st, e.org)
		openIssues := func(r *githubtest.Repo) []int {
			var open []int
			for n, is := range r.Issues {
				if is.GH.GetState() == "open" {
					open = append(open, n)
				}
			}
			slices.Sort(open)
			return open
		}
		for _, n := range names {
			if c.repo == "" && len(openIssues(st.Repos[n])) >= 2 {
				c.repo = n
			} else if c.movedTo == "" {
				c.movedTo = n
			}
		}
		if c.repo == "" || c.movedTo == "" {
			t.Fatalf("the demo has no repository with 2 open issues and another: %v", names)
		}
		c.issueRepo = c.repo
		r, to := st.Repos[c.repo], st.Repos[c.movedTo]
		c.pulls = st.TouchPulls(r, 3, now)
		var pr int
		for n := range r.Pulls {
			pr = max(pr, n)
		}
		if _, err := st.AddReview(r, pr, r.Pulls[pr].GH.User, "COMMENTED", now); err != nil {
			t.Fatal(err)
		}
		c.pulls = append(c.pulls, pr)

		open := openIssues(r)
		c.issue, c.movedFrom = open[0], open[1]
		is := *r.Issues[c.issue].GH
		is.Title, is.UpdatedAt = gh.Ptr(is.GetTitle()+" (edited)"), ts(now)
		label := &gh.Label{Name: gh.Ptr("triaged")}
		is.Labels = append(slices.Clone(is.Labels), label)
		r.Issues[c.issue] = &githubtest.Issue{GH: &is}
		r.Timelines[c.issue] = append(slices.Clone(r.Timelines[c.issue]),
			&gh.Timeline{ID: gh.Ptr(st.NewID()), Event: gh.Ptr("labeled"), Actor: is.User, CreatedAt: ts(now), Label: label})

		moveIssue(st, r, c.movedFrom, to, now)

		c.newMember = "newcomer"
		st.AddMember(e.org, c.newMember, "member")
		var logins []string
		for l := range org.Members {
			if l != c.newMember {
				logins = append(logins, l)
			}
		}
		slices.Sort(logins)
		c.gone = logins[0]
		delete(org.Members, c.gone)
		for _, tm := range org.Teams {
			if _, ok := tm.Members[c.gone]; ok {
				c.goneTeams++
				delete(tm.Members, c.gone)
			}
		}

		d := r.Deployments[0]
		dc := *d.GH
		dc.UpdatedAt = ts(now)
		d.GH = &dc
		d.Statuses = append(slices.Clone(d.Statuses), &gh.DeploymentStatus{ID: gh.Ptr(st.NewID()), State: gh.Ptr("inactive"),
			CreatedAt: ts(now), UpdatedAt: ts(now), Environment: dc.Environment})
		c.deployment = dc.GetID()

		c.release = st.NewID()
		r.Releases = append(r.Releases, &gh.RepositoryRelease{ID: c.release, TagName: "v99.0.0", Name: gh.Ptr("v99"),
			TargetCommitish: "main", CreatedAt: gh.Timestamp{Time: now}, PublishedAt: ts(now), Author: r.Pulls[pr].GH.User})

		c.run = st.NewID()
		r.Runs = append(r.Runs, &githubtest.Run{GH: &gh.WorkflowRun{ID: gh.Ptr(c.run), Name: gh.Ptr("ci"), WorkflowID: gh.Ptr(int64(77)),
			HeadSHA: r.Pulls[pr].GH.GetHead().SHA, HeadBranch: gh.Ptr("main"), Event: gh.Ptr("push"), Status: gh.Ptr("in_progress"),
			RunNumber: gh.Ptr(1 + len(r.Runs)), RunAttempt: gh.Ptr(1), CreatedAt: ts(now), UpdatedAt: ts(now), RunStartedAt: ts(now)}})
	})
	return c
}

// A second sync with nothing changed costs no rate limit: every probe and
// page is answered 304. After a change of each kind the next syncs pick
// up exactly those changes: the incremental sync everything but the
// transfer of an issue it had stored, which the daily reconciliation
// finds.
func TestResyncPicksUpChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, githubtest.Options{}, ghsync.Options{})
		e.loadDemo(t)
		e.sync(t, ghsync.Mode{Members: true})
		sameAsFake(t, e)

		e.clock.Advance(time.Hour)
		e.fake.ResetStats()
		e.sync(t, ghsync.Mode{Members: true})
		if st := e.fake.Stats(); st.Points() != 0 || st.NotModified != st.Requests {
			t.Errorf("a sync with nothing changed: %d requests, %d answered 304, %d points; want all 304 and 0 points (%v)",
				st.Requests, st.NotModified, st.Points(), st.ByRoute)
		}

		e.clock.Advance(time.Hour)
		c := change(t, e)
		e.fake.ResetStats()
		e.sync(t, ghsync.Mode{Members: true})
		// What changed costs, everything else is answered 304:
		//   organization members: the member list changed (200), so the
		//     admin list, 304, is read again to know everyone: 2
		//   each team the leaver was in: its member list (200) and again
		//     its maintainer list: 2 per team
		//   the changed repository: pull probe + 1 GraphQL page (2), issue
		//     probe + 1 page (2), the edited issue's timeline (1),
		//     deployments page + the changed one's statuses (2), runs page
		//     + the new run's jobs (2), releases page (1): 10
		//   the repository the issue moved to: issue probe + 1 page (2),
		//     the new issue's timeline (1): 3
		st := e.fake.Stats()
		if want := 2 + 2*c.goneTeams + 10 + 3; st.Points() != want {
			t.Errorf("the sync after changes cost %d points; want %d (%v)", st.Points(), want, st.ByRoute)
		}

		// The transfer is not seen yet: the old issue is still stored open.
		var transfers int
		if err := db.R.QueryRow(`SELECT COUNT(*) FROM issue_transfers t JOIN repositories r ON r.id = t.old_repo_id
			WHERE r.full_name = $1 AND t.old_number = $2`, c.issueRepo, c.movedFrom).Scan(&transfers); err != nil {
			t.Fatal(err)
		}
		if transfers != 0 {
			t.Fatalf("incremental sync recorded the transfer of #%d; only the reconciliation can see it", c.movedFrom)
		}
		e.fake.ResetStats()
		e.sync(t, ghsync.Mode{Members: true, Reconcile: true})
		sameAsFake(t, e)
	})
}

// killer cancels its context once a number of requests were answered
// with data (not 304: those are the free probes every run starts with),
// the way Ctrl-C or a killed process stops a sync at any request.
type killer struct {
	next   http.RoundTripper
	mu     gosync.Mutex
	left   int
	cancel context.CancelFunc
}

func (k *killer) RoundTrip(r *http.Request) (*http.Response, error) {
	k.mu.Lock()
	if k.left <= 0 {
		k.cancel()
	}
	k.mu.Unlock()
	resp, err := k.next.RoundTrip(r)
	if err == nil && resp.StatusCode != http.StatusNotModified {
		k.mu.Lock()
		k.left--
		k.mu.Unlock()
	}
	return resp, err
}

// stopEvery is how many requests answered with data each run of the
// stopped backfill gets.
const stopEvery = 40

// A backfill stopped every stopEvery requests, at whatever it was doing, and
// started again each time, ends with the same store as one that ran
// through, without reading again what it had stored: every pull request
// page is read once, plus at most the one in flight at each stop.
func TestKilledBackfillResumes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, githubtest.Options{}, ghsync.Options{})
		e.loadDemo(t)
		const extra = 400
		e.fake.Mutate(func(st *githubtest.State) {
			r := st.AddRepo(e.org, "monolith", start.AddDate(-1, 0, 0))
			st.AddPulls(r, extra, start.Add(-2*time.Hour), githubtest.PullSpec{MinReviews: 1, MaxReviews: 3, Seed: 3})
		})
		var pulls int
		e.fake.Read(func(st *githubtest.State) {
			for _, r := range st.Repos {
				if r.GH.GetOwner().GetLogin() == e.org && !r.GH.GetFork() {
					pulls += (len(r.Pulls) + github.DefaultPullPageSize - 1) / github.DefaultPullPageSize
				}
			}
		})
		runs, done := 0, false
		for ; runs < 200 && !done; runs++ {
			ctx, cancel := context.WithCancel(context.Background())
			k := &killer{next: http.DefaultTransport, left: stopEvery, cancel: cancel}
			c, err := github.New(github.Options{BaseURL: e.url, Token: "test-token", Clock: e.clock, Validators: db, Transport: k})
			if err != nil {
				t.Fatal(err)
			}
			s := ghsync.New(db, c, ghsync.Options{Orgs: []string{e.org}, Now: e.clock.Now})
			err = s.Run(ctx, ghsync.Mode{Members: true})
			cancel()
			done = err == nil
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Fatalf("run %d: %v", runs+1, err)
			}
		}
		if !done {
			t.Fatalf("the backfill did not finish in %d runs", runs)
		}
		if runs < 5 {
			t.Fatalf("the backfill stopped only %d times; the test means to stop it often", runs)
		}
		t.Logf("%d runs, %d GraphQL requests for %d pages of pull requests", runs, e.fake.Stats().ByRoute["POST /graphql"], pulls)
		sameAsFake(t, e)
		if got := e.fake.Stats().ByRoute["POST /graphql"]; got > pulls+runs {
			t.Errorf("%d GraphQL requests over %d stops; the pull requests fill %d pages", got, runs, pulls)
		}
		var transfers, moved int
		e.fake.Read(func(st *githubtest.State) {
			for _, r := range st.Repos {
				moved += len(r.Moved)
			}
		})
		transfers = count(t, e, `SELECT COUNT(*) FROM issue_transfers`)
		if transfers != moved {
			t.Errorf("%d transfers stored; GitHub moved %d issues", transfers, moved)
		}
		if n := count(t, e, `SELECT COUNT(*) FROM (SELECT org_id, actor_id FROM org_members WHERE until IS NULL
			GROUP BY org_id, actor_id HAVING COUNT(*) > 1) d`); n != 0 {
			t.Errorf("%d members have two open memberships", n)
		}
	})
}

// A sync through every kind of fault the fake injects (server errors,
// slow answers, bodies cut short, connections dropped, HTML instead of
// JSON, secondary rate limits with and without retry-after) fails some
// pages, and running it again converges on GitHub's data.
func TestSyncThroughFaultsConverges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, githubtest.Options{}, ghsync.Options{})
		e.loadDemo(t)
		for _, f := range []githubtest.Fault{
			{Kind: githubtest.FaultStatus, Path: "/graphql", Times: 6},
			{Kind: githubtest.FaultStatus, Status: 500, Path: "/repos/", Times: 5},
			{Kind: githubtest.FaultSlow, Delay: 5 * time.Millisecond, Path: "/repos/", Times: 3},
			{Kind: githubtest.FaultTruncate, Path: "/graphql", Times: 2},
			{Kind: githubtest.FaultTruncate, Path: "/repos/", Times: 4},
			{Kind: githubtest.FaultReset, Path: "/repos/", Times: 4},
			{Kind: githubtest.FaultMalformed, Path: "/orgs/", Times: 2},
			{Kind: githubtest.FaultMalformed, Path: "/repos/", Times: 3},
			{Kind: githubtest.FaultSecondary, RetryAfter: 30 * time.Second, Path: "/repos/", Times: 2},
			{Kind: githubtest.FaultSecondary, Path: "/graphql", Times: 1},
		} {
			e.fake.Inject(f)
		}
		var failures int
		for ; failures < 20; failures++ {
			if err := e.syncer.Run(context.Background(), ghsync.Mode{Members: true}); err == nil {
				break
			}
		}
		if failures == 0 || failures == 20 {
			t.Fatalf("%d failed runs before a clean one; want some, and an end", failures)
		}
		t.Logf("%d failed runs before a clean one; the fake applied %d faults", failures, e.fake.Stats().Faults)
		if n := e.fake.PendingFaults(); n != 0 {
			t.Errorf("%d faults never applied", n)
		}
		sameAsFake(t, e)
	})
}
