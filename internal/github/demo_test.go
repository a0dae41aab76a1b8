package github_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	gh "github.com/google/go-github/v89/github"

	"github.com/sextant-dev/sextant/internal/demo"
	"github.com/sextant-dev/sextant/internal/github"
	"github.com/sextant-dev/sextant/internal/github/githubtest"
)

// walk calls fetch for each page until the last.
func walk[T any](t *testing.T, what string, fetch func(cursor string) (github.Page[T], error)) []T {
	t.Helper()
	var all []T
	for cursor := ""; ; {
		p, err := fetch(cursor)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		all = append(all, p.Items...)
		if cursor = p.Next; cursor == "" {
			return all
		}
	}
}

// Everything the fetch functions return for a generated organization
// equals the generator's ground truth.
func TestFetchDemoOrganization(t *testing.T) {
	e := newEnv(t, githubtest.Options{}, github.Options{})
	end := start
	opts := demo.Options{Seed: 1, End: end, Months: 3}
	sum, err := e.fake.Load(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c := e.client
	org := sum.Roster.Org

	// Members: everyone who joined and has not left by the end.
	var wantMembers []string
	for _, p := range sum.Roster.People {
		if p.OrgMember && !p.Joined.After(end) && (p.Left.IsZero() || p.Left.After(end)) {
			wantMembers = append(wantMembers, p.Login)
		}
	}
	var gotMembers []string
	for _, role := range []string{"admin", "member"} {
		for _, m := range walk(t, "members", func(cur string) (github.Page[github.Member], error) { return c.OrgMembers(ctx, org, role, cur) }) {
			gotMembers = append(gotMembers, m.Actor.Login)
		}
	}
	slices.Sort(wantMembers)
	slices.Sort(gotMembers)
	if !slices.Equal(gotMembers, wantMembers) {
		t.Errorf("members %v; want %v", gotMembers, wantMembers)
	}

	teams := walk(t, "teams", func(cur string) (github.Page[coreTeam], error) { return c.Teams(ctx, org, cur) })
	if len(teams) != len(sum.Roster.Teams) {
		t.Errorf("%d teams; want %d", len(teams), len(sum.Roster.Teams))
	}
	for _, rt := range sum.Roster.Teams {
		var want, got []string
		for _, m := range rt.Members {
			if !m.Since.After(end) && (m.Until.IsZero() || m.Until.After(end)) {
				want = append(want, m.Login)
			}
		}
		for _, m := range walk(t, "team members", func(cur string) (github.Page[github.Member], error) {
			return c.TeamMembers(ctx, org, rt.Slug, "member", cur)
		}) {
			got = append(got, m.Actor.Login)
		}
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("team %s: members %v; want %v", rt.Slug, got, want)
		}
	}

	repos := walk(t, "repos", func(cur string) (github.Page[coreRepo], error) { return c.OrgRepos(ctx, org, cur) })
	if len(repos) != len(sum.Roster.Repos) {
		t.Fatalf("%d repositories; want %d", len(repos), len(sum.Roster.Repos))
	}
	var pulls, reviews, issues, releases, deployments, completedRuns int
	for _, r := range repos {
		for after := ""; ; {
			p, err := c.PullRequests(ctx, r.Owner, r.Name, github.PullQuery{After: after})
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range p.Items {
				pulls++
				reviews += len(it.Reviews)
				if it.Pull.FirstCommitAt.IsZero() || it.Pull.FirstCommitAt.After(it.Pull.CreatedAt) {
					t.Errorf("%s#%d: first commit %s, created %s", r.FullName, it.Pull.Number, it.Pull.FirstCommitAt, it.Pull.CreatedAt)
				}
			}
			if p.Done {
				break
			}
			after = p.Next
		}
		for _, it := range walk(t, "issues", func(cur string) (github.Page[github.IssueItem], error) {
			return c.Issues(ctx, r.Owner, r.Name, time.Time{}, cur)
		}) {
			if !it.IsPull {
				issues++
			}
		}
		releases += len(walk(t, "releases", func(cur string) (github.Page[coreRelease], error) { return c.Releases(ctx, r.Owner, r.Name, cur) }))
		ds := walk(t, "deployments", func(cur string) (github.Page[github.DeploymentItem], error) {
			return c.Deployments(ctx, r.Owner, r.Name, cur)
		})
		deployments += len(ds)
		if len(ds) > 0 {
			id := ds[0].Deployment.SourceID
			var n int64
			for _, ch := range id {
				n = n*10 + int64(ch-'0')
			}
			st := walk(t, "statuses", func(cur string) (github.Page[coreStatus], error) {
				return c.DeploymentStatuses(ctx, r.Owner, r.Name, n, cur)
			})
			// Each status is keyed by its own id, newest first, as the
			// webhook projection keys it.
			var want []string
			e.fake.Read(func(fs *githubtest.State) {
				for _, d := range fs.Repos[r.FullName].Deployments {
					if d.GH.GetID() == n {
						for i := len(d.Statuses) - 1; i >= 0; i-- {
							want = append(want, strconv.FormatInt(d.Statuses[i].GetID(), 10))
						}
					}
				}
			})
			var got []string
			for _, s := range st {
				got = append(got, s.SourceID)
			}
			if len(got) == 0 || !slices.Equal(got, want) {
				t.Errorf("deployment %s: status ids %v; want %v", id, got, want)
			}
		}
		runs := walk(t, "runs", func(cur string) (github.Page[coreRun], error) {
			return c.WorkflowRuns(ctx, r.Owner, r.Name, time.Time{}, cur)
		})
		for _, run := range runs {
			if run.Status == "completed" {
				completedRuns++
			}
		}
		if len(runs) > 0 {
			jobs := walk(t, "jobs", func(cur string) (github.Page[coreJob], error) {
				return c.WorkflowJobs(ctx, r.Owner, r.Name, runs[0].ID, cur)
			})
			if len(jobs) != 1 || jobs[0].RunID != runs[0].ID {
				t.Errorf("run %d: jobs %+v", runs[0].ID, jobs)
			}
		}
		counts, cost, err := c.RepoCounts(ctx, r.Owner, r.Name)
		if err != nil || cost.GraphQLPoints != 1 {
			t.Fatalf("counts: %v (cost %+v)", err, cost)
		}
		if n, _, err := c.CountREST(ctx, "repos/"+r.FullName+"/releases"); err != nil || n != counts.Releases {
			t.Errorf("%s: %d releases counted over REST (%v); GraphQL says %d", r.FullName, n, err, counts.Releases)
		}
		// The inventories list as many as the counts say, each once.
		for _, inv := range []struct {
			what  string
			fetch func(cur string) (github.Page[github.InventoryItem], error)
			want  int
		}{
			{"pull inventory", func(cur string) (github.Page[github.InventoryItem], error) {
				return c.PullInventory(ctx, r.Owner, r.Name, cur)
			}, counts.PullRequests},
			{"issue inventory", func(cur string) (github.Page[github.InventoryItem], error) {
				return c.IssueInventory(ctx, r.Owner, r.Name, cur)
			}, counts.Issues},
		} {
			items := walk(t, inv.what, inv.fetch)
			numbers := map[int]bool{}
			for _, it := range items {
				numbers[it.Number] = true
			}
			if len(items) != inv.want || len(numbers) != inv.want {
				t.Errorf("%s: %s lists %d (%d distinct); the counts say %d", r.FullName, inv.what, len(items), len(numbers), inv.want)
			}
		}
	}
	teamCounts := walk(t, "team counts", func(cur string) (github.Page[github.TeamCount], error) { return c.TeamCounts(ctx, org, cur) })
	if len(teamCounts) != len(sum.Roster.Teams) {
		t.Errorf("team counts of %d teams; want %d", len(teamCounts), len(sum.Roster.Teams))
	}
	for _, tc := range teamCounts {
		n := len(walk(t, "team members", func(cur string) (github.Page[github.Member], error) {
			return c.TeamMembers(ctx, org, tc.Slug, "member", cur)
		}))
		if tc.Members != n {
			t.Errorf("team %s: counted %d members; listed %d", tc.Slug, tc.Members, n)
		}
	}
	if pulls != sum.PullRequests || reviews != sum.Reviews {
		t.Errorf("%d pull requests, %d reviews; the demo opened %d and submitted %d", pulls, reviews, sum.PullRequests, sum.Reviews)
	}
	// A transferred issue leaves its old repository.
	if want := sum.Issues - sum.IssueTransfers; issues != want {
		t.Errorf("%d issues; want %d opened - %d transferred = %d", issues, sum.Issues, sum.IssueTransfers, want)
	}
	// GitHub lists a re-run once, as its latest attempt: count the distinct
	// runs the demo completed.
	runIDs := map[int64]bool{}
	if _, err := demo.Stream(opts, func(it *demo.Item) error {
		if it.Delivery == nil {
			return nil
		}
		if ev, ok := it.Delivery.Payload.(*gh.WorkflowRunEvent); ok && ev.GetAction() == "completed" {
			runIDs[ev.GetWorkflowRun().GetID()] = true
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if releases != sum.Releases || deployments != sum.GitHubDeployments || completedRuns != len(runIDs) {
		t.Errorf("releases %d/%d, deployments %d/%d, completed runs %d/%d", releases, sum.Releases, deployments, sum.GitHubDeployments, completedRuns, len(runIDs))
	}
	oc, _, err := c.OrgCounts(ctx, org)
	if err != nil || oc.Members != len(wantMembers) || oc.Teams != len(sum.Roster.Teams) || oc.Repositories != len(repos) {
		t.Errorf("org counts %+v, %v", oc, err)
	}

	// Deliveries: every one the demo sent is listed on the org's hook.
	hooks, err := c.Hooks(ctx, org, "", "")
	if err != nil || len(hooks.Items) != 1 {
		t.Fatalf("hooks: %+v, %v", hooks, err)
	}
	ref := github.HookRef{Kind: github.HookOrg, Owner: org, ID: hooks.Items[0].GetID()}
	ds := walk(t, "deliveries", func(cur string) (github.Page[hookDelivery], error) { return c.HookDeliveries(ctx, ref, cur) })
	if len(ds) != sum.Deliveries {
		t.Errorf("%d deliveries; the demo sent %d", len(ds), sum.Deliveries)
	}
	if _, err := c.Redeliver(ctx, ref, ds[0].GetID()); err != nil || e.fake.Stats().Redeliveries != 1 {
		t.Errorf("redeliver: %v, %d", err, e.fake.Stats().Redeliveries)
	}

	// A transferred issue fetched by its old number tells both ends; and
	// the repository with the longest main serves the compare below.
	var (
		moved         githubtest.Moved
		from, longest string
		oldNumber     int
		mainLog       []string
	)
	e.fake.Read(func(st *githubtest.State) {
		for name, r := range st.Repos {
			for n, m := range r.Moved {
				moved, from, oldNumber = m, name, n
			}
			if len(r.Branches["main"]) > len(mainLog) {
				mainLog, longest = r.Branches["main"], name
			}
		}
	})
	if sum.IssueTransfers == 0 || from == "" {
		t.Fatalf("the demo transferred %d issues; the test needs one", sum.IssueTransfers)
	}
	owner, name, _ := strings.Cut(from, "/")
	it, _, err := c.Issue(ctx, owner, name, oldNumber)
	if err != nil || it.Transfer == nil || it.NewRepo != moved.Repo || it.Transfer.NewNumber != moved.Number || it.Transfer.OldNumber != oldNumber {
		t.Errorf("transferred %s#%d: %+v %+v, %v; want it at %s#%d", from, oldNumber, it, it.Transfer, err, moved.Repo, moved.Number)
	}
	// The commits between two shas of main, oldest first.
	owner, name, _ = strings.Cut(longest, "/")
	if len(mainLog) < 6 {
		t.Fatalf("main of %s has %d commits", longest, len(mainLog))
	}
	cmp := walk(t, "compare", func(cur string) (github.Page[github.Comparison], error) {
		return c.Compare(ctx, owner, name, mainLog[0], mainLog[5], cur)
	})
	if len(cmp) != 1 || cmp[0].AheadBy != 5 || len(cmp[0].Commits) != 5 || cmp[0].Commits[4].SHA != mainLog[5] || cmp[0].Commits[0].AuthoredAt.IsZero() {
		t.Errorf("compare: %+v", cmp)
	}
}
