package github

import (
	"strconv"
	"strings"
	"time"

	gh "github.com/google/go-github/v89/github"

	"github.com/sextant-dev/sextant/internal/core"
)

// The functions below map go-github's types, as decoded from a webhook
// payload or a REST answer, to Sextant's domain types. Each takes the
// Sextant repository id the caller resolved (store.UpsertRepository).
// A nil input gives ok false, or the zero value.

func ts(t *gh.Timestamp) time.Time {
	if t == nil || t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Millisecond)
}

// Actor maps a user, bot or organization account.
func Actor(u *gh.User) (core.Actor, bool) {
	if u == nil || u.GetID() == 0 || u.GetLogin() == "" {
		return core.Actor{}, false
	}
	typ := u.GetType()
	switch typ {
	case core.ActorUser, core.ActorBot, core.ActorOrganization:
	default:
		typ = core.ActorUser
	}
	return core.Actor{ID: u.GetID(), Login: u.GetLogin(), Type: typ, Name: u.GetName(), Email: u.GetEmail(),
		UpdatedAt: ts(u.UpdatedAt)}, true
}

// Organization maps an organization.
func Organization(o *gh.Organization) (core.Organization, bool) {
	if o == nil || o.GetID() == 0 || o.GetLogin() == "" {
		return core.Organization{}, false
	}
	return core.Organization{ID: o.GetID(), Login: o.GetLogin(), Name: o.GetName(), UpdatedAt: ts(o.UpdatedAt)}, true
}

// OrganizationActor is the account of an organization, for the actors
// table (an organization can own repositories and author nothing else).
func OrganizationActor(o core.Organization) core.Actor {
	return core.Actor{ID: o.ID, Login: o.Login, Type: core.ActorOrganization, Name: o.Name, UpdatedAt: o.UpdatedAt}
}

// Repository maps a repository. ID is left zero (Sextant assigns it).
func Repository(r *gh.Repository) (core.Repository, bool) {
	if r == nil || r.GetID() == 0 || r.GetFullName() == "" {
		return core.Repository{}, false
	}
	return core.Repository{
		GitHubID: r.GetID(), Owner: r.GetOwner().GetLogin(), Name: r.GetName(), FullName: r.GetFullName(),
		Private: r.GetPrivate(), Archived: r.GetArchived(), DefaultBranch: r.GetDefaultBranch(),
		CreatedAt: ts(r.CreatedAt), UpdatedAt: ts(r.UpdatedAt), PushedAt: ts(r.PushedAt),
	}, true
}

// PushRepository maps the repository of a push payload, which GitHub
// sends in a shape of its own (times as Unix seconds, master_branch).
func PushRepository(r *gh.PushEventRepository) (core.Repository, bool) {
	if r == nil || r.GetID() == 0 || r.GetFullName() == "" {
		return core.Repository{}, false
	}
	branch := r.GetDefaultBranch()
	if branch == "" {
		branch = r.GetMasterBranch()
	}
	return core.Repository{
		GitHubID: r.GetID(), Owner: r.GetOwner().GetLogin(), Name: r.GetName(), FullName: r.GetFullName(),
		Private: r.GetPrivate(), Archived: r.GetArchived(), DefaultBranch: branch,
		CreatedAt: ts(r.CreatedAt), UpdatedAt: ts(r.UpdatedAt), PushedAt: ts(r.PushedAt),
	}, true
}

// Team maps a team of the organization orgID.
func Team(t *gh.Team, orgID int64) (core.Team, bool) {
	if t == nil || t.GetID() == 0 {
		return core.Team{}, false
	}
	slug := t.GetSlug()
	if slug == "" {
		// A deleted team's payload may carry its name only.
		slug = strings.ToLower(strings.ReplaceAll(t.GetName(), " ", "-"))
	}
	if slug == "" {
		return core.Team{}, false
	}
	if orgID == 0 {
		orgID = t.GetOrganization().GetID()
	}
	return core.Team{ID: t.GetID(), OrgID: orgID, Slug: slug, Name: t.GetName(), ParentID: t.GetParent().GetID(),
		Privacy: t.GetPrivacy()}, true
}

func labelNames(ls []*gh.Label) []string {
	out := make([]string, 0, len(ls))
	for _, l := range ls {
		if n := l.GetName(); n != "" {
			out = append(out, n)
		}
	}
	return out
}

// PullRequest maps a pull request. A copy without the merged flag (the
// abridged one of review payloads and of REST listings) is marked
// Abridged: the store lets it fill a missing row only.
func PullRequest(pr *gh.PullRequest, repoID int64) (core.PullRequest, bool) {
	if pr == nil || pr.GetID() == 0 || pr.GetNumber() == 0 {
		return core.PullRequest{}, false
	}
	p := core.PullRequest{
		ID: pr.GetID(), RepoID: repoID, Number: pr.GetNumber(), NodeID: pr.GetNodeID(),
		AuthorID: pr.GetUser().GetID(), Title: pr.GetTitle(), State: pr.GetState(), Draft: pr.GetDraft(),
		Merged: pr.GetMerged() || pr.MergedAt != nil, MergeCommitSHA: pr.GetMergeCommitSHA(),
		MergedByID: pr.GetMergedBy().GetID(),
		HeadRef:    pr.GetHead().GetRef(), HeadSHA: pr.GetHead().GetSHA(), BaseRef: pr.GetBase().GetRef(),
		CreatedAt: ts(pr.CreatedAt), UpdatedAt: ts(pr.UpdatedAt), ClosedAt: ts(pr.ClosedAt), MergedAt: ts(pr.MergedAt),
		Additions: pr.GetAdditions(), Deletions: pr.GetDeletions(), ChangedFiles: pr.GetChangedFiles(),
		Commits: pr.GetCommits(), ReviewComments: pr.GetReviewComments(),
		Labels:   labelNames(pr.Labels),
		Abridged: pr.Merged == nil,
	}
	if p.State == "" {
		p.State = core.StateOpen
	}
	return p, true
}

// Review maps a pull request review of pull request prID.
func Review(r *gh.PullRequestReview, prID, repoID int64) (core.Review, bool) {
	if r == nil || r.GetID() == 0 || prID == 0 {
		return core.Review{}, false
	}
	state := strings.ToUpper(r.GetState())
	if state == "" {
		state = core.ReviewPending
	}
	return core.Review{ID: r.GetID(), PullRequestID: prID, RepoID: repoID, ReviewerID: r.GetUser().GetID(),
		State: state, CommitID: r.GetCommitID(), SubmittedAt: ts(r.SubmittedAt)}, true
}

// ReviewComment maps a comment on a pull request's diff.
func ReviewComment(c *gh.PullRequestComment, prID, repoID int64) (core.ReviewComment, bool) {
	if c == nil || c.GetID() == 0 || prID == 0 || c.CreatedAt == nil {
		return core.ReviewComment{}, false
	}
	return core.ReviewComment{ID: c.GetID(), PullRequestID: prID, RepoID: repoID, ReviewID: c.GetPullRequestReviewID(),
		AuthorID: c.GetUser().GetID(), InReplyToID: c.GetInReplyTo(), CreatedAt: ts(c.CreatedAt), UpdatedAt: ts(c.UpdatedAt)}, true
}

// Issue maps an issue. Pull requests, which GitHub's issues API lists too,
// are not issues: ok is false for them.
func Issue(is *gh.Issue, repoID int64) (core.Issue, bool) {
	if is == nil || is.GetID() == 0 || is.GetNumber() == 0 || IsPullRequest(is) {
		return core.Issue{}, false
	}
	i := core.Issue{
		ID: is.GetID(), RepoID: repoID, Number: is.GetNumber(), NodeID: is.GetNodeID(), AuthorID: is.GetUser().GetID(),
		Title: is.GetTitle(), Body: is.GetBody(), State: is.GetState(), StateReason: is.GetStateReason(),
		Comments: is.GetComments(), CreatedAt: ts(is.CreatedAt), UpdatedAt: ts(is.UpdatedAt), ClosedAt: ts(is.ClosedAt),
		Labels: labelNames(is.Labels),
	}
	if i.State == "" {
		i.State = core.StateOpen
	}
	return i, true
}

// IsPullRequest reports whether an issue (as GitHub's issues API and
// issue payloads show them) is a pull request; nil is not.
func IsPullRequest(is *gh.Issue) bool { return is != nil && is.IsPullRequest() }

// IssueComment maps a comment on issue (an issue or a pull request's
// conversation).
func IssueComment(c *gh.IssueComment, issue *gh.Issue, repoID int64) (core.IssueComment, bool) {
	if c == nil || c.GetID() == 0 || issue == nil || issue.GetNumber() == 0 || c.CreatedAt == nil {
		return core.IssueComment{}, false
	}
	return core.IssueComment{ID: c.GetID(), RepoID: repoID, IssueNumber: issue.GetNumber(), IssueID: issue.GetID(),
		OnPull: issue.IsPullRequest(), AuthorID: c.GetUser().GetID(), CreatedAt: ts(c.CreatedAt), UpdatedAt: ts(c.UpdatedAt)}, true
}

// Release maps a release.
func Release(r *gh.RepositoryRelease, repoID int64) (core.Release, bool) {
	if r == nil || r.ID == 0 || r.TagName == "" {
		return core.Release{}, false
	}
	return core.Release{ID: r.ID, RepoID: repoID, TagName: r.TagName, Name: r.GetName(), TargetCommitish: r.TargetCommitish,
		Draft: r.Draft, Prerelease: r.Prerelease, AuthorID: r.GetAuthor().GetID(), CreatedAt: ts(&r.CreatedAt),
		PublishedAt: ts(r.PublishedAt)}, true
}

// CheckSuite maps a check suite.
func CheckSuite(s *gh.CheckSuite, repoID int64) (core.CheckSuite, bool) {
	if s == nil || s.GetID() == 0 {
		return core.CheckSuite{}, false
	}
	return core.CheckSuite{ID: s.GetID(), RepoID: repoID, HeadSHA: s.GetHeadSHA(), HeadBranch: s.GetHeadBranch(),
		Status: s.GetStatus(), Conclusion: s.GetConclusion(), AppSlug: s.GetApp().GetSlug(),
		CreatedAt: ts(s.CreatedAt), UpdatedAt: ts(s.UpdatedAt)}, true
}

// CheckRun maps a check run.
func CheckRun(r *gh.CheckRun, repoID int64) (core.CheckRun, bool) {
	if r == nil || r.GetID() == 0 || r.GetName() == "" {
		return core.CheckRun{}, false
	}
	return core.CheckRun{ID: r.GetID(), CheckSuiteID: r.GetCheckSuite().GetID(), RepoID: repoID, Name: r.GetName(),
		HeadSHA: r.GetHeadSHA(), Status: r.GetStatus(), Conclusion: r.GetConclusion(), StartedAt: ts(r.StartedAt),
		CompletedAt: ts(r.CompletedAt)}, true
}

// WorkflowRun maps a GitHub Actions workflow run.
func WorkflowRun(r *gh.WorkflowRun, repoID int64) (core.WorkflowRun, bool) {
	if r == nil || r.GetID() == 0 {
		return core.WorkflowRun{}, false
	}
	return core.WorkflowRun{ID: r.GetID(), RepoID: repoID, WorkflowID: r.GetWorkflowID(), Name: r.GetName(),
		Event: r.GetEvent(), HeadSHA: r.GetHeadSHA(), HeadBranch: r.GetHeadBranch(), RunNumber: r.GetRunNumber(),
		RunAttempt: r.GetRunAttempt(), Status: r.GetStatus(), Conclusion: r.GetConclusion(), CreatedAt: ts(r.CreatedAt),
		StartedAt: ts(r.RunStartedAt), UpdatedAt: ts(r.UpdatedAt)}, true
}

// WorkflowJob maps a job of a workflow run.
func WorkflowJob(j *gh.WorkflowJob, repoID int64) (core.WorkflowJob, bool) {
	if j == nil || j.GetID() == 0 || j.GetRunID() == 0 || j.GetName() == "" {
		return core.WorkflowJob{}, false
	}
	return core.WorkflowJob{ID: j.GetID(), RunID: j.GetRunID(), RepoID: repoID, Name: j.GetName(), Status: j.GetStatus(),
		Conclusion: j.GetConclusion(), CreatedAt: ts(j.CreatedAt), StartedAt: ts(j.StartedAt), CompletedAt: ts(j.CompletedAt)}, true
}

// Deployment maps a GitHub deployment (source github). Its status comes
// from its statuses (DeploymentStatus).
func Deployment(d *gh.Deployment, repoID int64) (core.Deployment, bool) {
	if d == nil || d.GetID() == 0 || d.CreatedAt == nil {
		return core.Deployment{}, false
	}
	env := d.GetEnvironment()
	if env == "" {
		env = "production" // GitHub's default environment
	}
	return core.Deployment{Source: core.SourceGitHub, SourceID: itoa(d.GetID()), RepoID: repoID, Environment: env,
		SHA: strings.ToLower(d.GetSHA()), Ref: d.GetRef(), Task: d.GetTask(), Status: core.DeployPending,
		CreatorID: d.GetCreator().GetID(), URL: d.GetURL(), CreatedAt: ts(d.CreatedAt), UpdatedAt: ts(d.UpdatedAt)}, true
}

// DeploymentStatus maps a status of a GitHub deployment, with GitHub's
// states normalized to Sextant's (queued and waiting are pending).
func DeploymentStatus(s *gh.DeploymentStatus) (core.DeploymentStatus, bool) {
	if s == nil || s.GetID() == 0 || s.CreatedAt == nil {
		return core.DeploymentStatus{}, false
	}
	return core.DeploymentStatus{SourceID: itoa(s.GetID()), State: DeployState(s.GetState()),
		Description: s.GetDescription(), Environment: s.GetEnvironment(), CreatorID: s.GetCreator().GetID(),
		CreatedAt: ts(s.CreatedAt)}, true
}

// DeployState normalizes a GitHub deployment status state.
func DeployState(state string) string {
	switch strings.ToLower(state) {
	case "success":
		return core.DeploySuccess
	case "failure":
		return core.DeployFailure
	case "error":
		return core.DeployError
	case "inactive":
		return core.DeployInactive
	case "in_progress":
		return core.DeployInProgress
	}
	return core.DeployPending
}

// PushCommit maps a commit listed by a push. A commit's author is an actor
// only when GitHub matched it to the account that pushed (pusherID).
func PushCommit(c *gh.HeadCommit, repoID int64, pusherLogin string, pusherID int64) (core.Commit, bool) {
	sha := c.GetID()
	if sha == "" {
		sha = c.GetSHA()
	}
	if c == nil || sha == "" {
		return core.Commit{}, false
	}
	out := core.Commit{RepoID: repoID, SHA: strings.ToLower(sha), AuthorName: c.GetAuthor().GetName(),
		AuthorEmail: c.GetAuthor().GetEmail(), AuthoredAt: ts(c.Timestamp), CommitterEmail: c.GetCommitter().GetEmail(),
		Message: c.GetMessage()}
	if login := c.GetAuthor().GetLogin(); login != "" && strings.EqualFold(login, pusherLogin) {
		out.AuthorID = pusherID
	}
	return out, true
}

// Commit maps a commit as the REST API lists it (compare, a pull
// request's commits). Its author is an actor only when GitHub matched the
// commit to an account.
func Commit(rc *gh.RepositoryCommit, repoID int64) (core.Commit, bool) {
	if rc == nil || rc.GetSHA() == "" {
		return core.Commit{}, false
	}
	gc := rc.GetCommit()
	return core.Commit{
		RepoID: repoID, SHA: strings.ToLower(rc.GetSHA()), AuthorID: rc.GetAuthor().GetID(),
		AuthorName: gc.GetAuthor().GetName(), AuthorEmail: gc.GetAuthor().GetEmail(), AuthoredAt: ts(gc.GetAuthor().Date),
		CommitterEmail: gc.GetCommitter().GetEmail(), CommittedAt: ts(gc.GetCommitter().Date), Message: gc.GetMessage(),
	}, true
}

// TimelineEvent maps an event of the timeline of issue number: an event,
// and for a "commented" event the comment too. The actor is the event's
// actor, or its user where GitHub names only that (comments).
func TimelineEvent(t *gh.Timeline, number int, repoID int64) (core.IssueEvent, *core.IssueComment, bool) {
	if t == nil || t.GetID() == 0 || t.GetEvent() == "" || number == 0 || t.CreatedAt == nil {
		return core.IssueEvent{}, nil, false
	}
	who := t.Actor
	if who == nil {
		who = t.User
	}
	e := core.IssueEvent{ID: t.GetID(), RepoID: repoID, IssueNumber: number, ActorID: who.GetID(), Event: t.GetEvent(),
		Label: t.GetLabel().GetName(), CommitID: t.GetCommitID(), CreatedAt: ts(t.CreatedAt)}
	if t.GetEvent() != "commented" {
		return e, nil, true
	}
	return e, &core.IssueComment{ID: t.GetID(), RepoID: repoID, IssueNumber: number, AuthorID: who.GetID(),
		CreatedAt: ts(t.CreatedAt)}, true
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
