package ingest

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	gh "github.com/google/go-github/v89/github"
	"github.com/tidwall/gjson"

	"github.com/sextant-dev/sextant/internal/core"
	ghmap "github.com/sextant-dev/sextant/internal/github"
	"github.com/sextant-dev/sextant/internal/store"
)

// projectedActions lists, for the events whose actions mean different
// things, the actions Sextant projects. Events not listed here project
// every action the same way (the payload carries the object's new state);
// events absent from both are unknown.
var projectedActions = map[string][]string{
	"organization": {"member_added", "member_removed", "member_invited", "renamed"},
	"membership":   {"added", "removed"},
	"team":         {"created", "edited", "deleted", "added_to_repository", "removed_from_repository"},
	"installation": {"created", "deleted", "suspend", "unsuspend", "new_permissions_accepted"},
	"member":       {"added", "removed", "edited"},
}

// anyAction are the events projected whatever their action.
var anyAction = []string{"pull_request", "pull_request_review", "pull_request_review_comment", "issues",
	"issue_comment", "push", "create", "delete", "deployment", "deployment_status", "check_suite", "check_run",
	"workflow_run", "workflow_job", "team_add", "release", "repository", "ping"}

// KnownWebhook reports whether Sextant projects deliveries of event with
// action. Others are stored raw and counted, and otherwise ignored.
func KnownWebhook(event, action string) bool {
	if slices.Contains(anyAction, event) {
		return true
	}
	return slices.Contains(projectedActions[event], action)
}

var spacedTime = regexp.MustCompile(`"(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})"`)

// planDelivery decodes a stored delivery and maps it to operations.
// A caller that holds the JSON (body) or even the decoded go-github event
// (payload) passes them, and skips decompressing or decoding again.
func planDelivery(d store.WebhookDelivery, body []byte, payload any) (p plan) {
	p = plan{d: d}
	defer func() {
		// A payload GitHub would never send must not stop the projector:
		// whatever goes wrong becomes this delivery's projection error.
		if r := recover(); r != nil {
			p = plan{d: d, err: fmt.Errorf("panic: projection of %s: %v", d.Event, r)}
		}
	}()
	if body == nil {
		var err error
		if body, err = decodeBody(d.Body, d.BodyEncoding); err != nil {
			p.err = err
			return p
		}
	}
	if !KnownWebhook(d.Event, d.Action) {
		return p // stored raw; nothing to project
	}
	ev, err := payload, error(nil)
	if ev == nil {
		ev, err = gh.ParseWebHook(d.Event, body)
	}
	if err != nil && spacedTime.Match(body) {
		// Older payloads wrote some times as "2018-04-25 20:42:10" (UTC),
		// which go-github's Timestamp does not read.
		body = spacedTime.ReplaceAll(body, []byte(`"${1}T${2}Z"`))
		ev, err = gh.ParseWebHook(d.Event, body)
	}
	if err != nil {
		p.err = fmt.Errorf("decode %s payload: %w", d.Event, err)
		return p
	}
	b := &builder{d: &p.d, at: d.ReceivedAt}
	if err := b.event(ev, body); err != nil {
		p.err = err
		return p
	}
	p.ops = b.ops
	return p
}

// event adds the operations of one decoded payload.
func (b *builder) event(ev any, body []byte) error {
	switch e := ev.(type) {
	case *gh.PingEvent:
	case *gh.PullRequestEvent:
		b.org(e.Organization)
		b.actor(e.Sender)
		b.pullRequest(b.repo(e.Repo), e.PullRequest)
	case *gh.PullRequestReviewEvent:
		b.org(e.Organization)
		b.actor(e.Sender)
		repo := b.repo(e.Repo)
		prID := b.pullRequest(repo, e.PullRequest)
		b.actor(e.Review.GetUser())
		b.onRepo(repo, func(a *applier, repoID int64) error {
			rv, ok := ghmap.Review(e.Review, prID, repoID)
			if !ok {
				return fmt.Errorf("review without id or pull request")
			}
			return store.UpsertReview(a.ctx, a.q, rv)
		})
	case *gh.PullRequestReviewCommentEvent:
		b.org(e.Org)
		b.actor(e.Sender)
		repo := b.repo(e.Repo)
		prID := b.pullRequest(repo, e.PullRequest)
		b.actor(e.Comment.GetUser())
		deleted := e.GetAction() == "deleted"
		b.onRepo(repo, func(a *applier, repoID int64) error {
			c, ok := ghmap.ReviewComment(e.Comment, prID, repoID)
			if !ok {
				return fmt.Errorf("review comment without id, pull request or creation time")
			}
			c.Deleted = deleted
			return store.UpsertReviewComment(a.ctx, a.q, c)
		})
	case *gh.IssuesEvent:
		b.org(e.Org)
		b.actor(e.Sender)
		b.issuesEvent(e, body)
	case *gh.IssueCommentEvent:
		b.org(e.Organization)
		b.actor(e.Sender)
		repo := b.repo(e.Repo)
		if !ghmap.IsPullRequest(e.GetIssue()) {
			b.issue(repo, e.Issue, false)
		}
		b.actor(e.Comment.GetUser())
		deleted := e.GetAction() == "deleted"
		b.onRepo(repo, func(a *applier, repoID int64) error {
			c, ok := ghmap.IssueComment(e.Comment, e.Issue, repoID)
			if !ok {
				return fmt.Errorf("issue comment without id, issue or creation time")
			}
			c.Deleted = deleted
			return store.UpsertIssueComment(a.ctx, a.q, c)
		})
	case *gh.PushEvent:
		b.push(e)
	case *gh.CreateEvent:
		b.org(e.Org)
		b.refEvent(b.repo(e.Repo), e.GetRef(), e.GetRefType(), "created", b.actor(e.Sender))
	case *gh.DeleteEvent:
		b.org(e.Org)
		b.refEvent(b.repo(e.Repo), e.GetRef(), e.GetRefType(), "deleted", b.actor(e.Sender))
	case *gh.DeploymentEvent:
		b.org(e.Org)
		b.actor(e.Sender)
		b.actor(e.Deployment.GetCreator())
		b.deployment(b.repo(e.Repo), e.Deployment, nil)
	case *gh.DeploymentStatusEvent:
		b.org(e.Org)
		b.actor(e.Sender)
		b.actor(e.Deployment.GetCreator())
		b.actor(e.DeploymentStatus.GetCreator())
		b.deployment(b.repo(e.Repo), e.Deployment, e.DeploymentStatus)
	case *gh.CheckSuiteEvent:
		b.org(e.Org)
		b.actor(e.Sender)
		b.onRepo(b.repo(e.Repo), func(a *applier, repoID int64) error {
			s, ok := ghmap.CheckSuite(e.CheckSuite, repoID)
			if !ok {
				return fmt.Errorf("check suite without id")
			}
			return store.UpsertCheckSuite(a.ctx, a.q, s)
		})
	case *gh.CheckRunEvent:
		b.org(e.Org)
		b.actor(e.Sender)
		b.onRepo(b.repo(e.Repo), func(a *applier, repoID int64) error {
			r, ok := ghmap.CheckRun(e.CheckRun, repoID)
			if !ok {
				return fmt.Errorf("check run without id or name")
			}
			if s, ok := ghmap.CheckSuite(e.CheckRun.GetCheckSuite(), repoID); ok {
				if err := store.UpsertCheckSuite(a.ctx, a.q, s); err != nil {
					return err
				}
			}
			return store.UpsertCheckRun(a.ctx, a.q, r)
		})
	case *gh.WorkflowRunEvent:
		b.org(e.Org)
		b.actor(e.Sender)
		b.actor(e.WorkflowRun.GetActor())
		b.onRepo(b.repo(e.Repo), func(a *applier, repoID int64) error {
			r, ok := ghmap.WorkflowRun(e.WorkflowRun, repoID)
			if !ok {
				return fmt.Errorf("workflow run without id")
			}
			return store.UpsertWorkflowRun(a.ctx, a.q, r)
		})
	case *gh.WorkflowJobEvent:
		b.org(e.Org)
		b.actor(e.Sender)
		b.onRepo(b.repo(e.Repo), func(a *applier, repoID int64) error {
			j, ok := ghmap.WorkflowJob(e.WorkflowJob, repoID)
			if !ok {
				return fmt.Errorf("workflow job without id, run or name")
			}
			return store.UpsertWorkflowJob(a.ctx, a.q, j)
		})
	case *gh.ReleaseEvent:
		b.org(e.Org)
		b.actor(e.Sender)
		b.actor(e.Release.GetAuthor())
		deleted := e.GetAction() == "deleted"
		b.onRepo(b.repo(e.Repo), func(a *applier, repoID int64) error {
			r, ok := ghmap.Release(e.Release, repoID)
			if !ok {
				return fmt.Errorf("release without id or tag")
			}
			r.Deleted = deleted
			return store.UpsertRelease(a.ctx, a.q, r)
		})
	case *gh.RepositoryEvent:
		b.org(e.Org)
		b.actor(e.Sender)
		b.repo(e.Repo)
	case *gh.MemberEvent:
		b.actor(e.Sender)
		b.actor(e.Member)
		b.repo(e.Repo)
	case *gh.OrganizationEvent:
		b.orgEvent(e)
	case *gh.MembershipEvent:
		b.membership(e, body)
	case *gh.TeamEvent:
		b.teamEvent(e, body)
	case *gh.TeamAddEvent:
		orgID := b.org(e.Org)
		b.actor(e.Sender)
		repo := b.repo(e.Repo)
		t, ok := ghmap.Team(e.Team, orgID)
		if !ok {
			return fmt.Errorf("team_add without a team")
		}
		b.team(t)
		at := b.at
		b.onRepo(repo, func(a *applier, repoID int64) error {
			return store.AddTeamRepository(a.ctx, a.q, t.ID, repoID, e.Team.GetPermission(), at)
		})
	case *gh.InstallationEvent:
		b.actor(e.Sender)
		b.actor(e.Requester)
		acct := e.Installation.GetAccount()
		b.actor(acct)
		if acct.GetType() == core.ActorOrganization {
			b.org(&gh.Organization{ID: acct.ID, Login: acct.Login})
		}
		for _, r := range e.Repositories {
			b.repo(r)
		}
	default:
		return fmt.Errorf("no projection for %T", ev)
	}
	return nil
}

// pullRequest stores a pull request with its author and merger; it returns
// the pull request's id.
func (b *builder) pullRequest(repo *repoRef, pr *gh.PullRequest) int64 {
	b.actor(pr.GetUser())
	b.actor(pr.GetMergedBy())
	b.onRepo(repo, func(a *applier, repoID int64) error {
		p, ok := ghmap.PullRequest(pr, repoID)
		if !ok {
			return fmt.Errorf("pull request without id or number")
		}
		return a.pullRequest(p)
	})
	return pr.GetID()
}

// issue stores an issue and its author.
func (b *builder) issue(repo *repoRef, is *gh.Issue, deleted bool) {
	if ghmap.IsPullRequest(is) {
		// GitHub sends some issues events (milestoned…) for pull requests
		// too; those are not issues.
		return
	}
	b.actor(is.GetUser())
	b.onRepo(repo, func(a *applier, repoID int64) error {
		i, ok := ghmap.Issue(is, repoID)
		if !ok {
			return fmt.Errorf("issue without id or number")
		}
		i.Deleted = deleted
		_, err := store.UpsertIssue(a.ctx, a.q, i)
		return err
	})
}

// transferChanges is what an issue transfer adds to an issues payload and
// go-github's IssuesEvent has no field for.
type transferChanges struct {
	Changes struct {
		NewIssue      *gh.Issue      `json:"new_issue"`
		NewRepository *gh.Repository `json:"new_repository"`
		OldIssue      *gh.Issue      `json:"old_issue"`
		OldRepository *gh.Repository `json:"old_repository"`
	} `json:"changes"`
}

// issuesEvent stores the issue and, for a transfer, both of its ends: the
// old issue's "transferred" delivery names the new issue, and the new
// issue's "opened" delivery names the old one.
func (b *builder) issuesEvent(e *gh.IssuesEvent, body []byte) {
	repo := b.repo(e.Repo)
	b.issue(repo, e.Issue, e.GetAction() == "deleted")
	if !gjson.GetBytes(body, "changes.new_issue").Exists() && !gjson.GetBytes(body, "changes.old_issue").Exists() {
		return
	}
	var tc transferChanges
	if err := json.Unmarshal(body, &tc); err != nil {
		b.add(func(*applier) error {
			return fmt.Errorf("decode the transfer of issue %d: %w", e.GetIssue().GetID(), err)
		})
		return
	}
	ch := tc.Changes
	actorID := e.GetSender().GetID()
	switch {
	case e.GetAction() == "transferred" && ch.NewIssue != nil:
		other := b.repo(ch.NewRepository)
		b.issue(other, ch.NewIssue, false)
		at := orElse(tsOf(e.GetIssue().GetUpdatedAt()), b.at)
		if t := ts(ch.NewIssue.CreatedAt, time.Time{}); !t.IsZero() && t.Before(at) {
			at = t
		}
		b.transfer(repo, e.Issue, other, ch.NewIssue, actorID, at)
	case ch.OldIssue != nil:
		other := b.repo(ch.OldRepository)
		b.issue(other, ch.OldIssue, false)
		b.transfer(other, ch.OldIssue, repo, e.Issue, actorID, orElse(tsOf(e.GetIssue().GetCreatedAt()), b.at))
	}
}

func (b *builder) transfer(oldRepo *repoRef, oldIssue *gh.Issue, newRepo *repoRef, newIssue *gh.Issue, actorID int64, at time.Time) {
	if oldRepo == nil {
		return
	}
	b.add(func(a *applier) error {
		t := core.IssueTransfer{OldIssueID: oldIssue.GetID(), OldRepoID: oldRepo.id, OldNumber: oldIssue.GetNumber(),
			NewIssueID: newIssue.GetID(), NewNumber: newIssue.GetNumber(), ActorID: actorID, TransferredAt: at}
		if newRepo != nil {
			t.NewRepoID = newRepo.id
		}
		return store.RecordIssueTransfer(a.ctx, a.q, t)
	})
}

func tsOf(t gh.Timestamp) time.Time { return ts(&t, time.Time{}) }

func orElse(t, fallback time.Time) time.Time {
	if t.IsZero() {
		return fallback
	}
	return t
}

func ts(t *gh.Timestamp, fallback time.Time) time.Time {
	if t == nil || t.IsZero() {
		return fallback
	}
	return t.UTC().Truncate(time.Millisecond)
}

// push stores a push, its commits, and links it to the pull requests of
// its branch.
func (b *builder) push(e *gh.PushEvent) {
	b.org(e.Organization)
	pusherID := b.actor(e.Sender)
	r, ok := ghmap.PushRepository(e.Repo)
	repo := b.repoOf(r, ok)
	at := tsOf(e.GetRepo().GetPushedAt())
	if at.IsZero() {
		at = orElse(tsOf(e.GetHeadCommit().GetTimestamp()), b.at)
	}
	deliveryID := b.d.DeliveryID
	b.onRepo(repo, func(a *applier, repoID int64) error {
		p := core.Push{RepoID: repoID, Ref: e.GetRef(), BeforeSHA: e.GetBefore(), AfterSHA: e.GetAfter(),
			PusherID: pusherID, PusherName: e.GetPusher().GetName(), Forced: e.GetForced(), Created: e.GetCreated(),
			Deleted: e.GetDeleted(), DistinctSize: e.GetDistinctSize(), PushedAt: at, DeliveryID: deliveryID}
		if p.DistinctSize == 0 {
			for _, c := range e.Commits {
				if c.GetDistinct() {
					p.DistinctSize++
				}
			}
		}
		for _, hc := range e.Commits {
			c, ok := ghmap.PushCommit(hc, repoID, e.GetSender().GetLogin(), pusherID)
			if !ok {
				continue
			}
			if err := store.UpsertCommit(a.ctx, a.q, c); err != nil {
				return err
			}
			p.Commits = append(p.Commits, c.SHA)
		}
		if _, _, err := store.InsertPush(a.ctx, a.q, p); err != nil {
			return err
		}
		if p.Deleted {
			return nil
		}
		return store.LinkPushToPullRequests(a.ctx, a.q, repoID, p.Ref)
	})
}

func (b *builder) refEvent(repo *repoRef, ref, refType, action string, actorID int64) {
	at, deliveryID := b.at, b.d.DeliveryID
	b.onRepo(repo, func(a *applier, repoID int64) error {
		return store.InsertRefEvent(a.ctx, a.q, core.RefEvent{RepoID: repoID, Ref: ref, RefType: refType,
			Action: action, ActorID: actorID, At: at, DeliveryID: deliveryID})
	})
}

// deployment stores a GitHub deployment and, when given, one of its
// statuses.
func (b *builder) deployment(repo *repoRef, d *gh.Deployment, st *gh.DeploymentStatus) {
	b.onRepo(repo, func(a *applier, repoID int64) error {
		dep, ok := ghmap.Deployment(d, repoID)
		if !ok {
			return fmt.Errorf("deployment without id or creation time")
		}
		id, err := store.UpsertDeployment(a.ctx, a.q, dep)
		if err != nil {
			return err
		}
		if st == nil {
			return store.RefreshDeploymentStatus(a.ctx, a.q, id)
		}
		s, ok := ghmap.DeploymentStatus(st)
		if !ok {
			return fmt.Errorf("deployment status without id or creation time")
		}
		return store.AddDeploymentStatus(a.ctx, a.q, id, s)
	})
}

func (b *builder) orgEvent(e *gh.OrganizationEvent) {
	orgID := b.org(e.Organization)
	b.actor(e.Sender)
	user := e.GetMembership().GetUser()
	memberID := b.actor(user)
	if orgID == 0 || memberID == 0 {
		return
	}
	at, role := b.at, e.GetMembership().GetRole()
	switch e.GetAction() {
	case "member_added":
		b.add(func(a *applier) error { return store.AddOrgMember(a.ctx, a.q, orgID, memberID, role, at) })
	case "member_removed":
		b.add(func(a *applier) error { return store.RemoveOrgMember(a.ctx, a.q, orgID, memberID, at) })
	}
}

func (b *builder) team(t core.Team) {
	b.add(func(a *applier) error { return store.UpsertTeam(a.ctx, a.q, t) })
}

// membership records a team member added or removed.
func (b *builder) membership(e *gh.MembershipEvent, body []byte) {
	orgID := b.org(e.Org)
	b.actor(e.Sender)
	memberID := b.actor(e.Member)
	if e.GetScope() != "team" {
		return
	}
	t, ok := ghmap.Team(e.Team, orgID)
	if !ok {
		b.add(func(*applier) error { return fmt.Errorf("membership without a team") })
		return
	}
	if gjson.GetBytes(body, "team.deleted").Bool() {
		t.Deleted = true
	}
	t.UpdatedAt = b.at
	b.team(t)
	if memberID == 0 {
		return
	}
	at := b.at
	switch e.GetAction() {
	case "added":
		b.add(func(a *applier) error { return store.AddTeamMember(a.ctx, a.q, t.ID, memberID, "", at) })
	case "removed":
		b.add(func(a *applier) error { return store.RemoveTeamMember(a.ctx, a.q, t.ID, memberID, at) })
	}
}

// teamEvent records a team created, edited or deleted, or a repository
// added to or removed from it. Team payloads have no time: the delivery's
// orders the team's versions.
func (b *builder) teamEvent(e *gh.TeamEvent, body []byte) {
	orgID := b.org(e.Org)
	b.actor(e.Sender)
	t, ok := ghmap.Team(e.Team, orgID)
	if !ok {
		b.add(func(*applier) error { return fmt.Errorf("team event without a team") })
		return
	}
	t.UpdatedAt = b.at
	t.Deleted = e.GetAction() == "deleted" || gjson.GetBytes(body, "team.deleted").Bool()
	b.team(t)
	at := b.at
	switch e.GetAction() {
	case "added_to_repository":
		perm := permission(e.Repo.GetPermissions())
		b.onRepo(b.repo(e.Repo), func(a *applier, repoID int64) error {
			return store.AddTeamRepository(a.ctx, a.q, t.ID, repoID, perm, at)
		})
	case "removed_from_repository":
		b.onRepo(b.repo(e.Repo), func(a *applier, repoID int64) error {
			return store.RemoveTeamRepository(a.ctx, a.q, t.ID, repoID, at)
		})
	}
}

// permission names the highest of a repository permissions object.
func permission(p *gh.RepositoryPermissions) string {
	switch {
	case p.GetAdmin():
		return "admin"
	case p.GetMaintain():
		return "maintain"
	case p.GetPush():
		return "push"
	case p.GetTriage():
		return "triage"
	case p.GetPull():
		return "pull"
	}
	return ""
}

// deliveryMeta is what intake reads from a body besides its validity.
type deliveryMeta struct {
	action         string
	installationID int64
	repo           string
}

// readMeta extracts the action, installation and repository of a body.
func readMeta(body []byte) deliveryMeta {
	r := gjson.GetManyBytes(body, "action", "installation.id", "repository.full_name")
	return deliveryMeta{action: limitLabel(r[0].String()), installationID: r[1].Int(), repo: r[2].String()}
}

// limitLabel keeps a value short enough for a column and a metric label.
func limitLabel(s string) string {
	if len(s) > 64 {
		s = s[:64]
	}
	return strings.ToValidUTF8(s, "")
}
