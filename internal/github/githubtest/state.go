package githubtest

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/google/go-github/v89/github"

	"github.com/sextant-dev/sextant/internal/demo"
)

// State is everything the fake GitHub knows. Tests may read and change it
// inside Server.Read and Server.Mutate; objects may be shared with the
// demo's payloads, so replace a field's pointer rather than writing
// through it.
type State struct {
	Orgs  map[string]*Org  // by login
	Repos map[string]*Repo // by full name
	// AppHook is the GitHub App's webhook: every delivery of the demo
	// went to it (and to the organization's hook).
	AppHook *Hook
	// Deliveries are every webhook delivery, oldest first.
	Deliveries []Delivery
	nextID     int64
	// transferred is the last "transferred" delivery: demo.Stream fills in
	// its Transfer only after emitting it, so the move is recorded when the
	// next delivery arrives (see flush).
	transferred *demo.Delivery
	movedFrom   *Repo
}

// flush records a pending transfer once its delivery is complete.
func (st *State) flush() {
	d := st.transferred
	if d == nil || d.Transfer == nil {
		return
	}
	n := d.Payload.(*github.IssuesEvent).GetIssue().GetNumber()
	st.movedFrom.Moved[n] = Moved{Repo: d.Transfer.NewRepository.GetFullName(), Number: d.Transfer.NewIssue.GetNumber()}
	st.transferred, st.movedFrom = nil, nil
}

// Org is an organization with its members, teams and webhook.
type Org struct {
	GH      *github.Organization
	Members map[string]*Member // by login
	Teams   map[string]*Team   // by slug
	Hook    *Hook
}

// Member is an organization or team member and their role (admin or
// member; for teams maintainer or member).
type Member struct {
	User *github.User
	Role string
}

// Team is a team and its members.
type Team struct {
	GH      *github.Team
	Members map[string]*Member
}

// Repo is a repository and everything in it.
type Repo struct {
	GH        *github.Repository
	Pulls     map[int]*Pull
	Issues    map[int]*Issue
	Moved     map[int]Moved // transferred issues: old number → new place
	Timelines map[int][]*github.Timeline
	Commits   map[string]*github.RepositoryCommit
	Branches  map[string][]string // branch → shas, oldest first
	// Deployments, Runs and Releases are in creation order.
	Deployments []*Deployment
	Runs        []*Run
	Releases    []*github.RepositoryRelease
}

// Moved is where a transferred issue went.
type Moved struct {
	Repo   string
	Number int
}

// Pull is a pull request with its reviews and commits (shas, oldest first).
type Pull struct {
	GH      *github.PullRequest
	Reviews []*github.PullRequestReview
	Commits []string
}

// Issue is an issue.
type Issue struct{ GH *github.Issue }

// Deployment is a deployment and its statuses, oldest first.
type Deployment struct {
	GH       *github.Deployment
	Statuses []*github.DeploymentStatus
}

// Run is a workflow run.
type Run struct{ GH *github.WorkflowRun }

// Hook is a webhook. Its deliveries are in State.Deliveries: the
// organization's hook lists those of its organization, the App's hook all.
type Hook struct {
	ID  int64
	Org string // "" for the App's hook
}

// Delivery is a webhook delivery as the fake keeps it: compact, since a
// medium demo organization makes a million of them.
type Delivery struct {
	ID             int64
	GUID           string
	At             time.Time
	Event, Action  string
	Org            string
	RepoID         int64
	InstallationID int64
	Redelivery     bool
	// StatusCode is what the receiver answered (0: 200). A test sets
	// another to make the delivery a failed one.
	StatusCode int
}

func (d *Delivery) github() *github.HookDelivery {
	hd := &github.HookDelivery{
		ID: github.Ptr(d.ID), GUID: github.Ptr(d.GUID), DeliveredAt: ts(d.At), Redelivery: github.Ptr(d.Redelivery),
		Duration: github.Ptr(0.05), Status: github.Ptr("OK"), StatusCode: github.Ptr(200), Event: github.Ptr(d.Event),
	}
	if d.StatusCode != 0 && d.StatusCode != 200 {
		hd.StatusCode = github.Ptr(d.StatusCode)
		hd.Status = github.Ptr(fmt.Sprintf("Invalid HTTP Response: %d", d.StatusCode))
	}
	if d.Action != "" {
		hd.Action = github.Ptr(d.Action)
	}
	if d.RepoID != 0 {
		hd.RepositoryID = github.Ptr(d.RepoID)
	}
	if d.InstallationID != 0 {
		hd.InstallationID = github.Ptr(d.InstallationID)
	}
	return hd
}

func newState() *State {
	return &State{Orgs: map[string]*Org{}, Repos: map[string]*Repo{}, AppHook: &Hook{ID: 1}, nextID: 9_000_000_000}
}

// NewID returns an id no generated object uses.
func (st *State) NewID() int64 {
	st.nextID++
	return st.nextID
}

// Org returns the organization named login, creating it if needed.
func (st *State) Org(login string) *Org {
	o := st.Orgs[login]
	if o == nil {
		o = &Org{
			GH:      &github.Organization{Login: github.Ptr(login), ID: github.Ptr(st.NewID()), Type: github.Ptr("Organization")},
			Members: map[string]*Member{}, Teams: map[string]*Team{}, Hook: &Hook{ID: st.NewID(), Org: login},
		}
		st.Orgs[login] = o
	}
	return o
}

// AddRepo adds an empty repository owned by the organization org.
func (st *State) AddRepo(org, name string, created time.Time) *Repo {
	o := st.Org(org)
	full := org + "/" + name
	id := st.NewID()
	owner := &github.User{Login: o.GH.Login, ID: o.GH.ID, Type: github.Ptr("Organization")}
	r := newRepo(&github.Repository{
		ID: github.Ptr(id), NodeID: github.Ptr(fmt.Sprintf("R_%d", id)), Name: github.Ptr(name), FullName: github.Ptr(full),
		Owner: owner, Private: github.Ptr(true), DefaultBranch: github.Ptr("main"), Archived: github.Ptr(false),
		CreatedAt: ts(created), UpdatedAt: ts(created), PushedAt: ts(created),
		URL: github.Ptr("https://api.github.com/repos/" + full), HTMLURL: github.Ptr("https://github.com/" + full),
	})
	st.Repos[full] = r
	return r
}

func newRepo(gh *github.Repository) *Repo {
	return &Repo{
		GH: gh, Pulls: map[int]*Pull{}, Issues: map[int]*Issue{}, Moved: map[int]Moved{},
		Timelines: map[int][]*github.Timeline{}, Commits: map[string]*github.RepositoryCommit{}, Branches: map[string][]string{},
	}
}

// SortedPulls returns the repository's pull requests ordered by GitHub's
// updated_at descending (newest number first among equals).
func (r *Repo) SortedPulls() []*Pull {
	ps := make([]*Pull, 0, len(r.Pulls))
	for _, p := range r.Pulls {
		ps = append(ps, p)
	}
	sort.Slice(ps, func(i, j int) bool {
		a, b := ps[i].GH.GetUpdatedAt().Time, ps[j].GH.GetUpdatedAt().Time
		if !a.Equal(b) {
			return a.After(b)
		}
		return ps[i].GH.GetNumber() > ps[j].GH.GetNumber()
	})
	return ps
}

func ts(t time.Time) *github.Timestamp { return &github.Timestamp{Time: t.UTC().Truncate(time.Second)} }

// fold applies one webhook delivery to the state: the state after every
// delivery of a stream is GitHub's state at the stream's end.
func (st *State) fold(at time.Time, d *demo.Delivery) {
	st.flush()
	repoOf := func(gr *github.Repository) *Repo {
		if gr == nil {
			return nil
		}
		r := st.Repos[gr.GetFullName()]
		if r == nil {
			c := *gr
			r = newRepo(&c)
			st.Repos[gr.GetFullName()] = r
			st.Org(gr.GetOwner().GetLogin())
		}
		return r
	}
	switch p := d.Payload.(type) {
	case *github.OrganizationEvent:
		o := st.orgOf(p.Organization)
		u := p.GetMembership().GetUser()
		switch d.Action {
		case "member_added":
			o.Members[u.GetLogin()] = &Member{User: u, Role: p.GetMembership().GetRole()}
		case "member_removed":
			delete(o.Members, u.GetLogin())
		}
	case *github.TeamEvent:
		o := st.orgOf(p.Org)
		if d.Action == "created" {
			c := *p.Team
			o.Teams[p.Team.GetSlug()] = &Team{GH: &c, Members: map[string]*Member{}}
		}
	case *github.MembershipEvent:
		o := st.orgOf(p.Org)
		t := o.Teams[p.GetTeam().GetSlug()]
		if t == nil {
			break
		}
		if d.Action == "added" {
			t.Members[p.GetMember().GetLogin()] = &Member{User: p.Member, Role: "member"}
		} else {
			delete(t.Members, p.GetMember().GetLogin())
		}
	case *github.RepositoryEvent:
		repoOf(p.Repo)
	case *github.PushEvent:
		r := st.Repos[p.GetRepo().GetFullName()]
		if r == nil {
			break
		}
		r.GH.PushedAt = ts(at)
		branch, ok := strings.CutPrefix(p.GetRef(), "refs/heads/")
		for _, hc := range p.Commits {
			sha := hc.GetID()
			if _, seen := r.Commits[sha]; !seen {
				r.Commits[sha] = repoCommit(r, hc)
			}
			if ok {
				r.Branches[branch] = append(r.Branches[branch], sha)
			}
		}
	case *github.PullRequestEvent:
		r := repoOf(p.Repo)
		pr := r.pull(p.PullRequest)
		if p.PullRequest.GetHead().GetRepo().GetFullName() == r.GH.GetFullName() {
			pr.Commits = append([]string(nil), r.Branches[p.PullRequest.GetHead().GetRef()]...)
		}
		switch d.Action {
		case "labeled":
			st.timeline(r, pr.GH.GetNumber(), "labeled", p.Sender, at, p.Label)
		case "closed":
			ev := "closed"
			if pr.GH.GetMerged() {
				st.timeline(r, pr.GH.GetNumber(), "merged", p.Sender, at, nil)
			}
			st.timeline(r, pr.GH.GetNumber(), ev, p.Sender, at, nil)
		}
	case *github.PullRequestReviewEvent:
		r := repoOf(p.Repo)
		pr := r.pull(p.PullRequest)
		rv := *p.Review
		rv.State = github.Ptr(strings.ToUpper(rv.GetState()))
		pr.Reviews = append(pr.Reviews, &rv)
	case *github.PullRequestReviewCommentEvent:
		repoOf(p.Repo).pull(p.PullRequest)
	case *github.IssueCommentEvent:
		r := repoOf(p.Repo)
		n := p.GetIssue().GetNumber()
		if p.Issue.IsPullRequest() {
			if pr := r.Pulls[n]; pr != nil {
				c := *pr.GH
				c.Comments, c.UpdatedAt = p.Issue.Comments, p.Issue.UpdatedAt
				pr.GH = &c
			}
		} else {
			c := *p.Issue
			r.Issues[n] = &Issue{GH: &c}
		}
		cm := p.Comment
		r.Timelines[n] = append(r.Timelines[n], &github.Timeline{
			ID: cm.ID, Event: github.Ptr("commented"), Actor: cm.User, User: cm.User,
			Body: cm.Body, CreatedAt: cm.CreatedAt, URL: cm.URL,
		})
	case *github.IssuesEvent:
		r := repoOf(p.Repo)
		n := p.GetIssue().GetNumber()
		switch d.Action {
		case "transferred":
			delete(r.Issues, n)
			st.transferred, st.movedFrom = d, r
			st.flush()
			return
		case "labeled":
			st.timeline(r, n, "labeled", p.Sender, at, p.Label)
		case "closed":
			st.timeline(r, n, "closed", p.Sender, at, nil)
		}
		c := *p.Issue
		r.Issues[n] = &Issue{GH: &c}
	case *github.DeploymentEvent:
		r := repoOf(p.Repo)
		c := *p.Deployment
		r.Deployments = append(r.Deployments, &Deployment{GH: &c})
		if p.WorkflowRun != nil {
			r.run(p.WorkflowRun)
		}
	case *github.DeploymentStatusEvent:
		r := repoOf(p.Repo)
		for _, dep := range r.Deployments {
			if dep.GH.GetID() == p.GetDeployment().GetID() {
				dep.Statuses = append(dep.Statuses, p.DeploymentStatus)
				dep.GH.UpdatedAt = p.DeploymentStatus.UpdatedAt
			}
		}
	case *github.WorkflowRunEvent:
		repoOf(p.Repo).run(p.WorkflowRun)
	case *github.ReleaseEvent:
		r := repoOf(p.Repo)
		c := *p.Release
		r.Releases = append(r.Releases, &c)
	}
}

func (st *State) orgOf(o *github.Organization) *Org {
	org := st.Org(o.GetLogin())
	if org.GH.GetName() == "" && o != nil {
		c := *o
		if c.Type == nil {
			c.Type = github.Ptr("Organization")
		}
		org.GH = &c
	}
	return org
}

// pull stores the latest snapshot of a pull request.
func (r *Repo) pull(gp *github.PullRequest) *Pull {
	c := *gp
	pr := r.Pulls[gp.GetNumber()]
	if pr == nil {
		pr = &Pull{}
		r.Pulls[gp.GetNumber()] = pr
	}
	pr.GH = &c
	return pr
}

func (r *Repo) run(w *github.WorkflowRun) {
	c := *w
	for _, x := range r.Runs {
		if x.GH.GetID() == w.GetID() {
			x.GH = &c
			return
		}
	}
	r.Runs = append(r.Runs, &Run{GH: &c})
}

func (st *State) timeline(r *Repo, number int, event string, actor *github.User, at time.Time, label *github.Label) {
	id := st.NewID()
	t := &github.Timeline{ID: github.Ptr(id), Event: github.Ptr(event), Actor: actor, CreatedAt: ts(at)}
	if label != nil {
		t.Label = &github.Label{Name: label.Name, Color: label.Color}
	}
	r.Timelines[number] = append(r.Timelines[number], t)
}

func repoCommit(r *Repo, hc *github.HeadCommit) *github.RepositoryCommit {
	date := hc.Timestamp
	return &github.RepositoryCommit{
		SHA: hc.ID, NodeID: github.Ptr("C_" + hc.GetID()),
		URL:     github.Ptr("https://api.github.com/repos/" + r.GH.GetFullName() + "/commits/" + hc.GetID()),
		HTMLURL: hc.URL,
		Commit: &github.Commit{
			SHA: hc.ID, Message: hc.Message,
			Author:    &github.CommitAuthor{Name: hc.GetAuthor().Name, Email: hc.GetAuthor().Email, Date: date},
			Committer: &github.CommitAuthor{Name: hc.GetCommitter().Name, Email: hc.GetCommitter().Email, Date: date},
		},
		Author:    &github.User{Login: hc.GetAuthor().Login},
		Committer: &github.User{Login: hc.GetCommitter().Login},
	}
}

// delivered records a delivery (to the organization's and the App's
// hooks).
func (st *State) delivered(at time.Time, d *demo.Delivery, org string, repoID, installationID int64) {
	st.Org(org)
	st.Deliveries = append(st.Deliveries, Delivery{
		ID: st.NewID(), GUID: d.GUID, At: at.UTC(), Event: d.Event, Action: d.Action, Org: org,
		RepoID: repoID, InstallationID: installationID,
	})
}
