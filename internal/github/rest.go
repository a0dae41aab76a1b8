package github

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	gh "github.com/google/go-github/v89/github"

	"github.com/sextant-dev/sextant/internal/core"
)

// The REST fetch functions. Each returns one page (Page.Next continues)
// of core types where core has them, go-github types otherwise. Every GET
// is conditional on the validators stored for its URL.

// actorOf maps a REST user to a core actor.
func actorOf(u *gh.User) core.Actor {
	if u == nil {
		return core.Actor{}
	}
	return core.Actor{ID: u.GetID(), Login: u.GetLogin(), Type: u.GetType(), Name: u.GetName(), Email: u.GetEmail()}
}

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
	return core.Organization{ID: o.GetID(), Login: o.GetLogin(), Name: o.GetName(), UpdatedAt: tsTime(o.UpdatedAt)}, m.cost(), nil
}

// OrgMembers lists an organization's members with role "admin" or
// "member" (GitHub's filter; list both to know everyone's role).
func (c *Client) OrgMembers(ctx context.Context, org, role, cursor string) (Page[Member], error) {
	if role != "admin" && role != "member" {
		return Page[Member]{}, fmt.Errorf("github: members of %s: role must be admin or member, got %q", org, role)
	}
	p, err := restPage(ctx, "members of "+org, cursor, func(ctx context.Context, page int) ([]*gh.User, *gh.Response, error) {
		return c.REST.Organizations.ListMembers(ctx, org, &gh.ListMembersOptions{Role: role, ListOptions: listOpts(page)})
	})
	return mapPage(p, func(u *gh.User) Member { return Member{Actor: actorOf(u), Role: role} }), err
}

// Teams lists an organization's teams. Team.OrgID is left to the caller.
func (c *Client) Teams(ctx context.Context, org, cursor string) (Page[core.Team], error) {
	p, err := restPage(ctx, "teams of "+org, cursor, func(ctx context.Context, page int) ([]*gh.Team, *gh.Response, error) {
		lo := listOpts(page)
		return c.REST.Teams.ListTeams(ctx, org, &lo)
	})
	return mapPage(p, func(t *gh.Team) core.Team {
		ct := core.Team{ID: t.GetID(), Slug: t.GetSlug(), Name: t.GetName(), Privacy: t.GetPrivacy()}
		if t.Parent != nil {
			ct.ParentID = t.Parent.GetID()
		}
		return ct
	}), err
}

// TeamMembers lists a team's members with role "maintainer" or "member".
func (c *Client) TeamMembers(ctx context.Context, org, slug, role, cursor string) (Page[Member], error) {
	if role != "maintainer" && role != "member" {
		return Page[Member]{}, fmt.Errorf("github: members of team %s/%s: role must be maintainer or member, got %q", org, slug, role)
	}
	p, err := restPage(ctx, "members of team "+org+"/"+slug, cursor, func(ctx context.Context, page int) ([]*gh.User, *gh.Response, error) {
		return c.REST.Teams.ListTeamMembersBySlug(ctx, org, slug, &gh.TeamListTeamMembersOptions{Role: role, ListOptions: listOpts(page)})
	})
	return mapPage(p, func(u *gh.User) Member { return Member{Actor: actorOf(u), Role: role} }), err
}

// repoOf maps a REST repository to a core repository (ID, Sextant's, left 0).
func repoOf(r *gh.Repository) core.Repository {
	return core.Repository{
		GitHubID: r.GetID(), Owner: r.GetOwner().GetLogin(), Name: r.GetName(), FullName: r.GetFullName(),
		Private: r.GetPrivate(), Archived: r.GetArchived(), DefaultBranch: r.GetDefaultBranch(),
		CreatedAt: tsTime(r.CreatedAt), UpdatedAt: tsTime(r.UpdatedAt), PushedAt: tsTime(r.PushedAt),
	}
}

// OrgRepos lists an organization's repositories.
func (c *Client) OrgRepos(ctx context.Context, org, cursor string) (Page[core.Repository], error) {
	p, err := restPage(ctx, "repositories of "+org, cursor, func(ctx context.Context, page int) ([]*gh.Repository, *gh.Response, error) {
		return c.REST.Repositories.ListByOrg(ctx, org, &gh.RepositoryListByOrgOptions{Type: "all", Sort: "full_name", ListOptions: listOpts(page)})
	})
	return mapPage(p, repoOf), err
}

// Repository fetches one repository.
func (c *Client) Repository(ctx context.Context, owner, name string) (core.Repository, Cost, error) {
	ctx, m := withMeter(ctx)
	r, resp, err := c.REST.Repositories.Get(ctx, owner, name)
	if err != nil {
		return core.Repository{}, m.cost(), callError("repository "+owner+"/"+name, resp, err)
	}
	return repoOf(r), m.cost(), nil
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
}

// issueOf maps a REST issue to a core issue.
func issueOf(is *gh.Issue) core.Issue {
	labels := make([]string, 0, len(is.Labels))
	for _, l := range is.Labels {
		labels = append(labels, l.GetName())
	}
	return core.Issue{
		ID: is.GetID(), Number: is.GetNumber(), NodeID: is.GetNodeID(), AuthorID: is.GetUser().GetID(),
		Title: is.GetTitle(), Body: is.GetBody(), State: is.GetState(), StateReason: is.GetStateReason(),
		Comments: is.GetComments(), CreatedAt: tsTime(is.CreatedAt), UpdatedAt: tsTime(is.UpdatedAt),
		ClosedAt: tsTime(is.ClosedAt), Labels: labels,
	}
}

// Issues lists a repository's issues updated at or after since (zero: all),
// oldest update first, so the last stored page's newest updated_at is the
// next watermark. Pull requests, which GitHub's issue listing includes,
// are left out (they come with PullRequests).
func (c *Client) Issues(ctx context.Context, owner, name string, since time.Time, cursor string) (Page[IssueItem], error) {
	p, err := restPage(ctx, "issues of "+owner+"/"+name, cursor, func(ctx context.Context, page int) ([]*gh.Issue, *gh.Response, error) {
		return c.REST.Issues.ListByRepo(ctx, owner, name, &gh.IssueListByRepoOptions{
			State: "all", Sort: "updated", Direction: "asc", Since: since.UTC(), ListOptions: listOpts(page),
		})
	})
	out := mapPage(p, func(is *gh.Issue) IssueItem { return IssueItem{Issue: issueOf(is), Author: actorOf(is.User)} })
	kept := out.Items[:0]
	for i, it := range out.Items {
		if p.Items[i].PullRequestLinks == nil {
			kept = append(kept, it)
		}
	}
	out.Items = kept
	return out, err
}

// Issue fetches one issue. An issue transferred elsewhere comes back as
// the new issue with Transfer naming both ends.
func (c *Client) Issue(ctx context.Context, owner, name string, number int) (IssueItem, Cost, error) {
	what := fmt.Sprintf("issue %s/%s#%d", owner, name, number)
	ctx, m := withMeter(ctx)
	is, resp, err := c.REST.Issues.Get(ctx, owner, name, number)
	if err != nil {
		return IssueItem{}, m.cost(), callError(what, resp, err)
	}
	it := IssueItem{Issue: issueOf(is), Author: actorOf(is.User)}
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
func (c *Client) IssueTimeline(ctx context.Context, owner, name string, number int, cursor string) (Page[TimelineItem], error) {
	p, err := restPage(ctx, fmt.Sprintf("timeline of %s/%s#%d", owner, name, number), cursor, func(ctx context.Context, page int) ([]*gh.Timeline, *gh.Response, error) {
		lo := listOpts(page)
		return c.REST.Issues.ListIssueTimeline(ctx, owner, name, number, &lo)
	})
	return mapPage(p, func(t *gh.Timeline) TimelineItem {
		who := t.Actor
		if who == nil {
			who = t.User
		}
		it := TimelineItem{Actor: actorOf(who), Event: core.IssueEvent{
			ID: t.GetID(), IssueNumber: number, ActorID: who.GetID(), Event: t.GetEvent(),
			CommitID: t.GetCommitID(), CreatedAt: tsTime(t.CreatedAt),
		}}
		if t.Label != nil {
			it.Event.Label = t.Label.GetName()
		}
		if t.GetEvent() == "commented" {
			it.Comment = &core.IssueComment{ID: t.GetID(), IssueNumber: number, AuthorID: who.GetID(), CreatedAt: tsTime(t.CreatedAt)}
		}
		return it
	}), err
}

// DeploymentItem is a GitHub deployment with its creator.
type DeploymentItem struct {
	Deployment core.Deployment
	Creator    core.Actor
}

// Deployments lists a repository's deployments, newest first.
func (c *Client) Deployments(ctx context.Context, owner, name, cursor string) (Page[DeploymentItem], error) {
	p, err := restPage(ctx, "deployments of "+owner+"/"+name, cursor, func(ctx context.Context, page int) ([]*gh.Deployment, *gh.Response, error) {
		return c.REST.Repositories.ListDeployments(ctx, owner, name, &gh.DeploymentsListOptions{ListOptions: listOpts(page)})
	})
	return mapPage(p, func(d *gh.Deployment) DeploymentItem {
		return DeploymentItem{Creator: actorOf(d.Creator), Deployment: core.Deployment{
			Source: core.SourceGitHub, SourceID: strconv.FormatInt(d.GetID(), 10), Environment: d.GetEnvironment(),
			SHA: d.GetSHA(), Ref: d.GetRef(), Task: d.GetTask(), CreatorID: d.GetCreator().GetID(), URL: d.GetURL(),
			CreatedAt: tsTime(d.CreatedAt), UpdatedAt: tsTime(d.UpdatedAt),
		}}
	}), err
}

// DeploymentStatuses lists a deployment's statuses, newest first.
func (c *Client) DeploymentStatuses(ctx context.Context, owner, name string, deploymentID int64, cursor string) (Page[core.DeploymentStatus], error) {
	p, err := restPage(ctx, fmt.Sprintf("statuses of deployment %d of %s/%s", deploymentID, owner, name), cursor, func(ctx context.Context, page int) ([]*gh.DeploymentStatus, *gh.Response, error) {
		lo := listOpts(page)
		return c.REST.Repositories.ListDeploymentStatuses(ctx, owner, name, deploymentID, &lo)
	})
	return mapPage(p, func(s *gh.DeploymentStatus) core.DeploymentStatus {
		return core.DeploymentStatus{
			SourceID: strconv.FormatInt(deploymentID, 10), State: s.GetState(), Description: s.GetDescription(),
			Environment: s.GetEnvironment(), CreatorID: s.GetCreator().GetID(), CreatedAt: tsTime(s.CreatedAt),
		}
	}), err
}

// WorkflowRuns lists a repository's workflow runs created at or after
// since (zero: all), newest first.
func (c *Client) WorkflowRuns(ctx context.Context, owner, name string, since time.Time, cursor string) (Page[core.WorkflowRun], error) {
	p, err := restPage(ctx, "workflow runs of "+owner+"/"+name, cursor, func(ctx context.Context, page int) ([]*gh.WorkflowRun, *gh.Response, error) {
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
	return mapPage(p, func(r *gh.WorkflowRun) core.WorkflowRun {
		return core.WorkflowRun{
			ID: r.GetID(), WorkflowID: r.GetWorkflowID(), Name: r.GetName(), Event: r.GetEvent(), HeadSHA: r.GetHeadSHA(),
			HeadBranch: r.GetHeadBranch(), RunNumber: r.GetRunNumber(), RunAttempt: r.GetRunAttempt(), Status: r.GetStatus(),
			Conclusion: r.GetConclusion(), CreatedAt: tsTime(r.CreatedAt), StartedAt: tsTime(r.RunStartedAt), UpdatedAt: tsTime(r.UpdatedAt),
		}
	}), err
}

// WorkflowJobs lists the jobs of a workflow run (its latest attempt).
func (c *Client) WorkflowJobs(ctx context.Context, owner, name string, runID int64, cursor string) (Page[core.WorkflowJob], error) {
	p, err := restPage(ctx, fmt.Sprintf("jobs of run %d of %s/%s", runID, owner, name), cursor, func(ctx context.Context, page int) ([]*gh.WorkflowJob, *gh.Response, error) {
		jobs, resp, err := c.REST.Actions.ListWorkflowJobs(ctx, owner, name, runID, &gh.ListWorkflowJobsOptions{Filter: "latest", ListOptions: listOpts(page)})
		if jobs == nil {
			return nil, resp, err
		}
		return jobs.Jobs, resp, err
	})
	return mapPage(p, func(j *gh.WorkflowJob) core.WorkflowJob {
		return core.WorkflowJob{
			ID: j.GetID(), RunID: j.GetRunID(), Name: j.GetName(), Status: j.GetStatus(), Conclusion: j.GetConclusion(),
			CreatedAt: tsTime(j.CreatedAt), StartedAt: tsTime(j.StartedAt), CompletedAt: tsTime(j.CompletedAt),
		}
	}), err
}

// Releases lists a repository's releases, newest first.
func (c *Client) Releases(ctx context.Context, owner, name, cursor string) (Page[core.Release], error) {
	p, err := restPage(ctx, "releases of "+owner+"/"+name, cursor, func(ctx context.Context, page int) ([]*gh.RepositoryRelease, *gh.Response, error) {
		lo := listOpts(page)
		return c.REST.Repositories.ListReleases(ctx, owner, name, &lo)
	})
	return mapPage(p, func(r *gh.RepositoryRelease) core.Release {
		return core.Release{
			ID: r.ID, TagName: r.TagName, Name: r.GetName(), TargetCommitish: r.TargetCommitish, Draft: r.Draft,
			Prerelease: r.Prerelease, AuthorID: r.GetAuthor().GetID(), CreatedAt: r.CreatedAt.Time.UTC(), PublishedAt: tsTime(r.PublishedAt),
		}
	}), err
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
	return mapPage(p, func(cmp *gh.CommitsComparison) Comparison {
		out := Comparison{Status: cmp.GetStatus(), AheadBy: cmp.GetAheadBy(), BehindBy: cmp.GetBehindBy(), TotalCommits: cmp.GetTotalCommits()}
		seen := map[int64]bool{}
		for _, rc := range cmp.Commits {
			out.Commits = append(out.Commits, commitOf(rc))
			if a := rc.GetAuthor(); a != nil && a.GetID() != 0 && !seen[a.GetID()] {
				seen[a.GetID()] = true
				out.Authors = append(out.Authors, actorOf(a))
			}
		}
		return out
	}), err
}

// commitOf maps a REST commit to a core commit.
func commitOf(rc *gh.RepositoryCommit) core.Commit {
	gc := rc.GetCommit()
	return core.Commit{
		SHA: rc.GetSHA(), AuthorID: rc.GetAuthor().GetID(), AuthorName: gc.GetAuthor().GetName(),
		AuthorEmail: gc.GetAuthor().GetEmail(), AuthoredAt: tsTime(gc.GetAuthor().Date),
		CommitterEmail: gc.GetCommitter().GetEmail(), CommittedAt: tsTime(gc.GetCommitter().Date), Message: gc.GetMessage(),
	}
}

// RateLimits asks GitHub for every budget of the token (free of primary
// rate limit).
func (c *Client) RateLimits(ctx context.Context) (*gh.RateLimits, error) {
	rl, resp, err := c.REST.RateLimit.Get(ctx)
	if err != nil {
		return nil, callError("rate limits", resp, err)
	}
	return rl, nil
}
