package github

import (
	"context"
	"fmt"
	"strings"
	"time"

	gh "github.com/google/go-github/v89/github"

	"github.com/sextant-dev/sextant/internal/core"
)

// The REST fetch functions. Each returns one page (Page.Next continues)
// of core types where core has them, go-github types otherwise, mapped by
// the functions of convert.go that the webhook projection uses too. Every
// GET is conditional on the validators stored for its URL.

// Member is an organization or team member with the role the listing was
// filtered by.
type Member struct {
	Actor core.Actor
	Role  string
}

// Organization fetches an organization.
func (c *Client) Organization(ctx context.Context, org string) (core.Organization, Cost, error) {
	ctx, m := withMeter(ctx)
	o, resp, err := c.REST.Organizations.Get(ctx, org)
	if err != nil {
		return core.Organization{}, m.cost(), callError("organization "+org, resp, err)
	}
	out, ok := Organization(o)
	if !ok {
		return out, m.cost(), fmt.Errorf("github: organization %s: %w: no id or login", org, ErrMalformed)
	}
	return out, m.cost(), nil
}

func member(role string) func(*gh.User) (Member, bool) {
	return func(u *gh.User) (Member, bool) {
		a, ok := Actor(u)
		return Member{Actor: a, Role: role}, ok
	}
}

// OrgMembers lists an organization's members with role "admin" or
// "member" (GitHub's filter; list both to know everyone's role).
func (c *Client) OrgMembers(ctx context.Context, org, role, cursor string) (Page[Member], error) {
	if role != "admin" && role != "member" {
		return Page[Member]{}, fmt.Errorf("github: members of %s: role must be admin or member, got %q", org, role)
	}
	what := "members of " + org
	p, err := restPage(ctx, what, cursor, func(ctx context.Context, page int) ([]*gh.User, *gh.Response, error) {
		return c.REST.Organizations.ListMembers(ctx, org, &gh.ListMembersOptions{Role: role, ListOptions: listOpts(page)})
	})
	return mapStrict(p, err, what, member(role))
}

// Teams lists an organization's teams. Team.OrgID is left to the caller.
func (c *Client) Teams(ctx context.Context, org, cursor string) (Page[core.Team], error) {
	what := "teams of " + org
	p, err := restPage(ctx, what, cursor, func(ctx context.Context, page int) ([]*gh.Team, *gh.Response, error) {
		lo := listOpts(page)
		return c.REST.Teams.ListTeams(ctx, org, &lo)
	})
	return mapStrict(p, err, what, func(t *gh.Team) (core.Team, bool) { return Team(t, 0) })
}

// TeamMembers lists a team's members with role "maintainer" or "member".
func (c *Client) TeamMembers(ctx context.Context, org, slug, role, cursor string) (Page[Member], error) {
	if role != "maintainer" && role != "member" {
		return Page[Member]{}, fmt.Errorf("github: members of team %s/%s: role must be maintainer or member, got %q", org, slug, role)
	}
	what := "members of team " + org + "/" + slug
	p, err := restPage(ctx, what, cursor, func(ctx context.Context, page int) ([]*gh.User, *gh.Response, error) {
		return c.REST.Teams.ListTeamMembersBySlug(ctx, org, slug, &gh.TeamListTeamMembersOptions{Role: role, ListOptions: listOpts(page)})
	})
	return mapStrict(p, err, what, member(role))
}

func repository(r *gh.Repository) (core.Repository, bool) { return Repository(r) }

// OrgRepos lists an organization's repositories (ID, Sextant's, left 0).
func (c *Client) OrgRepos(ctx context.Context, org, cursor string) (Page[core.Repository], error) {
	what := "repositories of " + org
	p, err := restPage(ctx, what, cursor, func(ctx context.Context, page int) ([]*gh.Repository, *gh.Response, error) {
		return c.REST.Repositories.ListByOrg(ctx, org, &gh.RepositoryListByOrgOptions{Type: "all", Sort: "full_name", ListOptions: listOpts(page)})
	})
	return mapStrict(p, err, what, repository)
}

// Repository fetches one repository.
func (c *Client) Repository(ctx context.Context, owner, name string) (core.Repository, Cost, error) {
	what := "repository " + owner + "/" + name
	ctx, m := withMeter(ctx)
	r, resp, err := c.REST.Repositories.Get(ctx, owner, name)
	if err != nil {
		return core.Repository{}, m.cost(), callError(what, resp, err)
	}
	out, ok := Repository(r)
	if !ok {
		return out, m.cost(), fmt.Errorf("github: %s: %w: no id or full name", what, ErrMalformed)
	}
	return out, m.cost(), nil
}

// Probe says whether a listing changed since its validator was stored,
// for free when it did not (a 304).
type Probe struct {
	Changed bool
	// Newest is the updated_at of the most recently updated item (zero when
	// unchanged or empty).
	Newest    time.Time
	Validator Validator
	Cost      Cost
}

// ProbePulls asks whether any pull request of the repository changed:
// the first pull request by updated_at, conditionally. Store its
// Validator once the sync it triggered has stored the changes.
func (c *Client) ProbePulls(ctx context.Context, owner, name string) (Probe, error) {
	p, err := restPage(ctx, "pull requests of "+owner+"/"+name, "", func(ctx context.Context, _ int) ([]*gh.PullRequest, *gh.Response, error) {
		return c.REST.PullRequests.List(ctx, owner, name, &gh.PullRequestListOptions{State: "all", Sort: "updated", Direction: "desc", ListOptions: gh.ListOptions{PerPage: 1}})
	})
	return probeOf(p, (*gh.PullRequest).GetUpdatedAt), err
}

func probeOf[T any](p Page[T], updated func(T) gh.Timestamp) Probe {
	pr := Probe{Changed: !p.NotModified, Validator: p.Validator, Cost: p.Cost}
	if len(p.Items) > 0 {
		pr.Newest = updated(p.Items[0]).Time.UTC()
	}
	return pr
}

// ProbeIssues asks whether any issue (or pull request: GitHub's issues
// include them) of the repository changed.
func (c *Client) ProbeIssues(ctx context.Context, owner, name string) (Probe, error) {
	p, err := restPage(ctx, "issues of "+owner+"/"+name, "", func(ctx context.Context, _ int) ([]*gh.Issue, *gh.Response, error) {
		return c.REST.Issues.ListByRepo(ctx, owner, name, &gh.IssueListByRepoOptions{State: "all", Sort: "updated", Direction: "desc", ListOptions: gh.ListOptions{PerPage: 1}})
	})
	return probeOf(p, (*gh.Issue).GetUpdatedAt), err
}

// IssueItem is an issue with its author. Transfer is set when the issue
// was moved to another repository (GitHub redirects the old number).
type IssueItem struct {
	Issue    core.Issue
	Author   core.Actor
	Transfer *core.IssueTransfer
	// NewRepo is the full name of the repository a transferred issue is in now.
	NewRepo string
	// IsPull: the number is a pull request's.
	IsPull bool
}

func issueItem(is *gh.Issue) (IssueItem, bool) {
	i, ok := Issue(is, 0)
	a, _ := Actor(is.GetUser())
	return IssueItem{Issue: i, Author: a}, ok
}

// Issues lists a repository's issues updated at or after since (zero: all),
// oldest update first, so the last stored page's newest updated_at is the
// next watermark. Pull requests, which GitHub's issue listing includes,
// come as items with IsPull and only their number and updated_at in Issue,
// so a walk by updated_at moves past them; their data comes with
// PullRequests.
func (c *Client) Issues(ctx context.Context, owner, name string, since time.Time, cursor string) (Page[IssueItem], error) {
	what := "issues of " + owner + "/" + name
	p, err := restPage(ctx, what, cursor, func(ctx context.Context, page int) ([]*gh.Issue, *gh.Response, error) {
		return c.REST.Issues.ListByRepo(ctx, owner, name, &gh.IssueListByRepoOptions{
			State: "all", Sort: "updated", Direction: "asc", Since: since.UTC(), ListOptions: listOpts(page),
		})
	})
	return mapStrict(p, err, what, func(is *gh.Issue) (IssueItem, bool) {
		if is.IsPullRequest() {
			return IssueItem{IsPull: true, Issue: core.Issue{ID: is.GetID(), Number: is.GetNumber(), UpdatedAt: ts(is.UpdatedAt)}},
				is.GetNumber() != 0
		}
		return issueItem(is)
	})
}

// OpenIssues lists a repository's open issues, by number (pull requests
// left out): the daily reconciliation finds the stored open issues GitHub
// no longer lists (closed, transferred or deleted).
func (c *Client) OpenIssues(ctx context.Context, owner, name, cursor string) (Page[IssueItem], error) {
	what := "open issues of " + owner + "/" + name
	p, err := restPage(ctx, what, cursor, func(ctx context.Context, page int) ([]*gh.Issue, *gh.Response, error) {
		return c.REST.Issues.ListByRepo(ctx, owner, name, &gh.IssueListByRepoOptions{
			State: "open", Sort: "created", Direction: "asc", ListOptions: listOpts(page),
		})
	})
	return mapStrict(withoutPulls(p), err, what, issueItem)
}

func withoutPulls(p Page[*gh.Issue]) Page[*gh.Issue] {
	if p.Items == nil {
		return p
	}
	kept := make([]*gh.Issue, 0, len(p.Items))
	for _, is := range p.Items {
		if !is.IsPullRequest() {
			kept = append(kept, is)
		}
	}
	p.Items = kept
	return p
}

// Issue fetches one issue. An issue transferred elsewhere comes back as
// the new issue with Transfer naming both ends; a pull request's number
// comes back with IsPull and no Issue.
func (c *Client) Issue(ctx context.Context, owner, name string, number int) (IssueItem, Cost, error) {
	what := fmt.Sprintf("issue %s/%s#%d", owner, name, number)
	ctx, m := withMeter(ctx)
	is, resp, err := c.REST.Issues.Get(ctx, owner, name, number)
	if err != nil {
		return IssueItem{}, m.cost(), callError(what, resp, err)
	}
	if is.IsPullRequest() {
		return IssueItem{IsPull: true}, m.cost(), nil
	}
	it, ok := issueItem(is)
	if !ok {
		return IssueItem{}, m.cost(), fmt.Errorf("github: %s: %w: no id or number", what, ErrMalformed)
	}
	newRepo := repoFromURL(is.GetRepositoryURL())
	if newRepo != "" && (!strings.EqualFold(newRepo, owner+"/"+name) || is.GetNumber() != number) {
		it.NewRepo = newRepo
		it.Transfer = &core.IssueTransfer{OldNumber: number, NewIssueID: is.GetID(), NewNumber: is.GetNumber()}
	}
	return it, m.cost(), nil
}

func repoFromURL(u string) string {
	_, rest, ok := strings.Cut(u, "/repos/")
	if !ok {
		return ""
	}
	return rest
}

// TimelineItem is one event of an issue's timeline; Comment is set for
// "commented" events.
type TimelineItem struct {
	Event   core.IssueEvent
	Comment *core.IssueComment
	Actor   core.Actor
}

// IssueTimeline lists one page of an issue's timeline. Poll it page by
// page, each page with its own validator: an unchanged page is a free 304.
// Events GitHub sends without an id (cross-references, commits) stay in
// the page, so it has as many items as GitHub's, with Event.ID 0: nothing
// could key them, so they are not stored.
func (c *Client) IssueTimeline(ctx context.Context, owner, name string, number int, cursor string) (Page[TimelineItem], error) {
	what := fmt.Sprintf("timeline of %s/%s#%d", owner, name, number)
	p, err := restPage(ctx, what, cursor, func(ctx context.Context, page int) ([]*gh.Timeline, *gh.Response, error) {
		lo := listOpts(page)
		return c.REST.Issues.ListIssueTimeline(ctx, owner, name, number, &lo)
	})
	return mapStrict(p, err, what, func(t *gh.Timeline) (TimelineItem, bool) {
		if t.GetID() == 0 {
			return TimelineItem{}, t.GetEvent() != ""
		}
		ev, cm, ok := TimelineEvent(t, number, 0)
		who := t.Actor
		if who == nil {
			who = t.User
		}
		a, _ := Actor(who)
		return TimelineItem{Event: ev, Comment: cm, Actor: a}, ok
	})
}

// DeploymentItem is a GitHub deployment with its creator.
type DeploymentItem struct {
	Deployment core.Deployment
	Creator    core.Actor
}

// Deployments lists a repository's deployments, newest first.
func (c *Client) Deployments(ctx context.Context, owner, name, cursor string) (Page[DeploymentItem], error) {
	what := "deployments of " + owner + "/" + name
	p, err := restPage(ctx, what, cursor, func(ctx context.Context, page int) ([]*gh.Deployment, *gh.Response, error) {
		return c.REST.Repositories.ListDeployments(ctx, owner, name, &gh.DeploymentsListOptions{ListOptions: listOpts(page)})
	})
	return mapStrict(p, err, what, func(d *gh.Deployment) (DeploymentItem, bool) {
		dep, ok := Deployment(d, 0)
		a, _ := Actor(d.GetCreator())
		return DeploymentItem{Deployment: dep, Creator: a}, ok
	})
}

// DeploymentStatuses lists a deployment's statuses, newest first.
func (c *Client) DeploymentStatuses(ctx context.Context, owner, name string, deploymentID int64, cursor string) (Page[core.DeploymentStatus], error) {
	what := fmt.Sprintf("statuses of deployment %d of %s/%s", deploymentID, owner, name)
	p, err := restPage(ctx, what, cursor, func(ctx context.Context, page int) ([]*gh.DeploymentStatus, *gh.Response, error) {
		lo := listOpts(page)
		return c.REST.Repositories.ListDeploymentStatuses(ctx, owner, name, deploymentID, &lo)
	})
	return mapStrict(p, err, what, DeploymentStatus)
}

// WorkflowRuns lists a repository's workflow runs created at or after
// since (zero: all), newest first.
func (c *Client) WorkflowRuns(ctx context.Context, owner, name string, since time.Time, cursor string) (Page[core.WorkflowRun], error) {
	what := "workflow runs of " + owner + "/" + name
	p, err := restPage(ctx, what, cursor, func(ctx context.Context, page int) ([]*gh.WorkflowRun, *gh.Response, error) {
		o := &gh.ListWorkflowRunsOptions{ListOptions: listOpts(page)}
		if !since.IsZero() {
			o.Created = ">=" + since.UTC().Format(time.RFC3339)
		}
		runs, resp, err := c.REST.Actions.ListRepositoryWorkflowRuns(ctx, owner, name, o)
		if runs == nil {
			return nil, resp, err
		}
		return runs.WorkflowRuns, resp, err
	})
	return mapStrict(p, err, what, func(r *gh.WorkflowRun) (core.WorkflowRun, bool) { return WorkflowRun(r, 0) })
}

// WorkflowJobs lists the jobs of a workflow run (its latest attempt).
func (c *Client) WorkflowJobs(ctx context.Context, owner, name string, runID int64, cursor string) (Page[core.WorkflowJob], error) {
	what := fmt.Sprintf("jobs of run %d of %s/%s", runID, owner, name)
	p, err := restPage(ctx, what, cursor, func(ctx context.Context, page int) ([]*gh.WorkflowJob, *gh.Response, error) {
		jobs, resp, err := c.REST.Actions.ListWorkflowJobs(ctx, owner, name, runID, &gh.ListWorkflowJobsOptions{Filter: "latest", ListOptions: listOpts(page)})
		if jobs == nil {
			return nil, resp, err
		}
		return jobs.Jobs, resp, err
	})
	return mapStrict(p, err, what, func(j *gh.WorkflowJob) (core.WorkflowJob, bool) { return WorkflowJob(j, 0) })
}

// Releases lists a repository's releases, newest first.
func (c *Client) Releases(ctx context.Context, owner, name, cursor string) (Page[core.Release], error) {
	what := "releases of " + owner + "/" + name
	p, err := restPage(ctx, what, cursor, func(ctx context.Context, page int) ([]*gh.RepositoryRelease, *gh.Response, error) {
		lo := listOpts(page)
		return c.REST.Repositories.ListReleases(ctx, owner, name, &lo)
	})
	return mapStrict(p, err, what, func(r *gh.RepositoryRelease) (core.Release, bool) { return Release(r, 0) })
}

// Comparison is one page of the commits between two shas.
type Comparison struct {
	Status       string // ahead, behind, identical or diverged
	AheadBy      int
	BehindBy     int
	TotalCommits int
	Commits      []core.Commit
	Authors      []core.Actor
}

// Compare lists the commits reachable from head and not from base, oldest
// first, a page at a time (the commits between two deployments).
func (c *Client) Compare(ctx context.Context, owner, name, base, head, cursor string) (Page[Comparison], error) {
	what := fmt.Sprintf("compare %s...%s of %s/%s", base, head, owner, name)
	p, err := restPage(ctx, what, cursor, func(ctx context.Context, page int) ([]*gh.CommitsComparison, *gh.Response, error) {
		lo := listOpts(page)
		cmp, resp, err := c.REST.Repositories.CompareCommits(ctx, owner, name, base, head, &lo)
		if cmp == nil {
			return nil, resp, err
		}
		return []*gh.CommitsComparison{cmp}, resp, err
	})
	return mapStrict(p, err, what, func(cmp *gh.CommitsComparison) (Comparison, bool) {
		out := Comparison{Status: cmp.GetStatus(), AheadBy: cmp.GetAheadBy(), BehindBy: cmp.GetBehindBy(), TotalCommits: cmp.GetTotalCommits()}
		seen := map[int64]bool{}
		for _, rc := range cmp.Commits {
			cm, ok := Commit(rc, 0)
			if !ok {
				return out, false
			}
			out.Commits = append(out.Commits, cm)
			if a, ok := Actor(rc.GetAuthor()); ok && !seen[a.ID] {
				seen[a.ID] = true
				out.Authors = append(out.Authors, a)
			}
		}
		return out, true
	})
}
