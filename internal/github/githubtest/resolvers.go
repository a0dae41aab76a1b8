package githubtest

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v89/github"
)

// The GraphQL objects the fake serves, and their fields. A query selecting
// a field not listed here gets an error naming it: add the resolver when
// the client starts asking for it.

type queryRoot struct{}

type rateLimitObj struct {
	cost, limit, remaining, used, nodes int
	resetAt                             time.Time
}

type pullRef struct {
	repo *Repo
	pull *Pull
}

type reviewRef struct {
	pull   *Pull
	review *github.PullRequestReview
}

type prCommit struct{ c *github.RepositoryCommit }

type commitObj struct {
	sha string
	c   *github.RepositoryCommit // nil when only the sha is known
}

type gitActor struct{ a *github.CommitAuthor }

type issueRef struct {
	repo  *Repo
	issue *github.Issue
}

type plainNode struct{ typ, id string }

type teamRef struct{ team *Team }

func typeName(obj any) string {
	switch x := obj.(type) {
	case queryRoot:
		return "Query"
	case rateLimitObj:
		return "RateLimit"
	case *Repo:
		return "Repository"
	case *Org:
		return "Organization"
	case pullRef:
		return "PullRequest"
	case reviewRef:
		return "PullRequestReview"
	case prCommit:
		return "PullRequestCommit"
	case commitObj:
		return "Commit"
	case gitActor:
		return "GitActor"
	case issueRef:
		return "Issue"
	case teamRef:
		return "Team"
	case *github.Label:
		return "Label"
	case *github.User:
		switch x.GetType() {
		case "Bot":
			return "Bot"
		case "Organization":
			return "Organization"
		}
		return "User"
	case *connection:
		return x.typ
	case edge:
		return x.typ
	case pageInfo:
		return "PageInfo"
	case plainNode:
		return x.typ
	}
	return fmt.Sprintf("%T", obj)
}

func gqlTime(t *github.Timestamp) any {
	if t == nil || t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}

func field[T any](f func(T) any) resolver {
	return func(_ *executor, obj any, _ map[string]any) (any, error) { return f(obj.(T)), nil }
}

func fieldArgs[T any](f func(*executor, T, map[string]any) (any, error)) resolver {
	return func(ex *executor, obj any, args map[string]any) (any, error) { return f(ex, obj.(T), args) }
}

var connectionFields = map[string]resolver{
	"nodes": field(func(c *connection) any { return c.nodes }),
	"edges": field(func(c *connection) any {
		out := make([]any, len(c.nodes))
		for i := range c.nodes {
			out[i] = edge{typ: strings.TrimSuffix(c.typ, "Connection") + "Edge", cursor: c.cursors[i], node: c.nodes[i]}
		}
		return out
	}),
	"totalCount": field(func(c *connection) any { return c.total }),
	"pageInfo": field(func(c *connection) any {
		pi := pageInfo{hasNext: c.hasNext, hasPrev: c.hasPrev}
		if len(c.cursors) > 0 {
			pi.start, pi.end = c.cursors[0], c.cursors[len(c.cursors)-1]
		}
		return pi
	}),
}

var edgeFields = map[string]resolver{
	"cursor": field(func(e edge) any { return e.cursor }),
	"node":   field(func(e edge) any { return e.node }),
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

var actorFields = map[string]resolver{
	"login": field(func(u *github.User) any {
		if u.GetType() == "Bot" {
			return strings.TrimSuffix(u.GetLogin(), "[bot]")
		}
		return u.GetLogin()
	}),
	"databaseId": field(func(u *github.User) any { return u.GetID() }),
	"id":         field(func(u *github.User) any { return u.GetNodeID() }),
	"name":       field(func(u *github.User) any { return nullable(u.GetName()) }),
	"url":        field(func(u *github.User) any { return u.GetHTMLURL() }),
}

var resolvers = map[string]map[string]resolver{
	"Query": {
		"rateLimit": func(ex *executor, _ any, _ map[string]any) (any, error) { return ex.rate, nil },
		"repository": fieldArgs(func(ex *executor, _ queryRoot, a map[string]any) (any, error) {
			owner, _ := a["owner"].(string)
			name, _ := a["name"].(string)
			r := ex.st.Repos[owner+"/"+name]
			if r == nil {
				return nil, gqlErr("NOT_FOUND", "Could not resolve to a Repository with the name '%s/%s'.", owner, name)
			}
			return r, nil
		}),
		"organization": fieldArgs(func(ex *executor, _ queryRoot, a map[string]any) (any, error) {
			login, _ := a["login"].(string)
			o := ex.st.Orgs[login]
			if o == nil {
				return nil, gqlErr("NOT_FOUND", "Could not resolve to an Organization with the login of '%s'.", login)
			}
			return o, nil
		}),
		"node": fieldArgs(func(ex *executor, _ queryRoot, a map[string]any) (any, error) {
			id, _ := a["id"].(string)
			for _, r := range ex.st.Repos {
				for _, p := range r.Pulls {
					if p.GH.GetNodeID() == id {
						return pullRef{r, p}, nil
					}
				}
			}
			return nil, gqlErr("NOT_FOUND", "Could not resolve to a node with the global id of '%s'", id)
		}),
	},
	"RateLimit": {
		"cost":      field(func(r rateLimitObj) any { return r.cost }),
		"limit":     field(func(r rateLimitObj) any { return r.limit }),
		"remaining": field(func(r rateLimitObj) any { return r.remaining }),
		"used":      field(func(r rateLimitObj) any { return r.used }),
		"nodeCount": field(func(r rateLimitObj) any { return r.nodes }),
		"resetAt":   field(func(r rateLimitObj) any { return r.resetAt.UTC().Format(time.RFC3339) }),
	},
	"Repository": {
		"id":            field(func(r *Repo) any { return r.GH.GetNodeID() }),
		"databaseId":    field(func(r *Repo) any { return r.GH.GetID() }),
		"name":          field(func(r *Repo) any { return r.GH.GetName() }),
		"nameWithOwner": field(func(r *Repo) any { return r.GH.GetFullName() }),
		"owner":         field(func(r *Repo) any { return r.GH.GetOwner() }),
		"pullRequests":  fieldArgs(pullConnection),
		"pullRequest": fieldArgs(func(ex *executor, r *Repo, a map[string]any) (any, error) {
			n, _ := toInt(a["number"])
			p := r.Pulls[n]
			if p == nil {
				return nil, gqlErr("NOT_FOUND", "Could not resolve to a PullRequest with the number of %d.", n)
			}
			return pullRef{r, p}, nil
		}),
		"issues": fieldArgs(issueConnection),
		"releases": fieldArgs(func(ex *executor, r *Repo, a map[string]any) (any, error) {
			items := make([]any, 0, len(r.Releases))
			for i := len(r.Releases) - 1; i >= 0; i-- {
				items = append(items, plainNode{"Release", r.Releases[i].NodeID})
			}
			return offsetPage("ReleaseConnection", items, a)
		}),
		"deployments": fieldArgs(func(ex *executor, r *Repo, a map[string]any) (any, error) {
			items := make([]any, 0, len(r.Deployments))
			for _, d := range r.Deployments {
				items = append(items, plainNode{"Deployment", d.GH.GetNodeID()})
			}
			return offsetPage("DeploymentConnection", items, a)
		}),
	},
	"Organization": {
		"login":      field(func(o *Org) any { return o.GH.GetLogin() }),
		"databaseId": field(func(o *Org) any { return o.GH.GetID() }),
		"name":       field(func(o *Org) any { return nullable(o.GH.GetName()) }),
		"membersWithRole": fieldArgs(func(ex *executor, o *Org, a map[string]any) (any, error) {
			var items []any
			for _, u := range sortedMembers(o.Members, "") {
				items = append(items, u)
			}
			return offsetPage("OrganizationMemberConnection", items, a)
		}),
		"teams": fieldArgs(func(ex *executor, o *Org, a map[string]any) (any, error) {
			ts := make([]*Team, 0, len(o.Teams))
			for _, t := range o.Teams {
				ts = append(ts, t)
			}
			sort.Slice(ts, func(i, j int) bool { return ts[i].GH.GetID() < ts[j].GH.GetID() })
			items := make([]any, len(ts))
			for i, t := range ts {
				items[i] = teamRef{t}
			}
			return offsetPage("TeamConnection", items, a)
		}),
		"repositories": fieldArgs(func(ex *executor, o *Org, a map[string]any) (any, error) {
			var items []any
			for _, r := range ex.s.reposOf(o.GH.GetLogin()) {
				items = append(items, r)
			}
			return offsetPage("RepositoryConnection", items, a)
		}),
	},
	"PullRequest": {
		"id":             field(func(p pullRef) any { return p.pull.GH.GetNodeID() }),
		"fullDatabaseId": field(func(p pullRef) any { return strconv.FormatInt(p.pull.GH.GetID(), 10) }),
		"databaseId":     field(func(p pullRef) any { return p.pull.GH.GetID() }),
		"number":         field(func(p pullRef) any { return p.pull.GH.GetNumber() }),
		"title":          field(func(p pullRef) any { return p.pull.GH.GetTitle() }),
		"url":            field(func(p pullRef) any { return p.pull.GH.GetHTMLURL() }),
		"state": field(func(p pullRef) any {
			switch {
			case p.pull.GH.GetMerged():
				return "MERGED"
			case p.pull.GH.GetState() == "closed":
				return "CLOSED"
			}
			return "OPEN"
		}),
		"closed":       field(func(p pullRef) any { return p.pull.GH.GetState() == "closed" }),
		"isDraft":      field(func(p pullRef) any { return p.pull.GH.GetDraft() }),
		"merged":       field(func(p pullRef) any { return p.pull.GH.GetMerged() }),
		"mergedAt":     field(func(p pullRef) any { return gqlTime(p.pull.GH.MergedAt) }),
		"closedAt":     field(func(p pullRef) any { return gqlTime(p.pull.GH.ClosedAt) }),
		"createdAt":    field(func(p pullRef) any { return gqlTime(p.pull.GH.CreatedAt) }),
		"updatedAt":    field(func(p pullRef) any { return gqlTime(p.pull.GH.UpdatedAt) }),
		"additions":    field(func(p pullRef) any { return p.pull.GH.GetAdditions() }),
		"deletions":    field(func(p pullRef) any { return p.pull.GH.GetDeletions() }),
		"changedFiles": field(func(p pullRef) any { return p.pull.GH.GetChangedFiles() }),
		"headRefName":  field(func(p pullRef) any { return p.pull.GH.GetHead().GetRef() }),
		"headRefOid":   field(func(p pullRef) any { return p.pull.GH.GetHead().GetSHA() }),
		"baseRefName":  field(func(p pullRef) any { return p.pull.GH.GetBase().GetRef() }),
		"mergeCommit": field(func(p pullRef) any {
			if !p.pull.GH.GetMerged() || p.pull.GH.GetMergeCommitSHA() == "" {
				return nil
			}
			sha := p.pull.GH.GetMergeCommitSHA()
			return commitObj{sha: sha, c: p.repo.Commits[sha]}
		}),
		"author":   field(func(p pullRef) any { return p.pull.GH.User }),
		"mergedBy": field(func(p pullRef) any { return p.pull.GH.MergedBy }),
		// GitHub counts the conversation's comments and the diff's.
		"totalCommentsCount": field(func(p pullRef) any { return p.pull.GH.GetComments() + p.pull.GH.GetReviewComments() }),
		"comments": fieldArgs(func(ex *executor, p pullRef, a map[string]any) (any, error) {
			items := make([]any, p.pull.GH.GetComments())
			for i := range items {
				items[i] = plainNode{"IssueComment", ""}
			}
			return offsetPage("IssueCommentConnection", items, a)
		}),
		"commits": fieldArgs(func(ex *executor, p pullRef, a map[string]any) (any, error) {
			cs := pullCommits(p.repo, p.pull)
			items := make([]any, len(cs))
			for i, c := range cs {
				items[i] = prCommit{c}
			}
			return offsetPage("PullRequestCommitConnection", items, a)
		}),
		"labels": fieldArgs(func(ex *executor, p pullRef, a map[string]any) (any, error) {
			items := make([]any, len(p.pull.GH.Labels))
			for i, l := range p.pull.GH.Labels {
				items[i] = l
			}
			return offsetPage("LabelConnection", items, a)
		}),
		"reviews": fieldArgs(func(ex *executor, p pullRef, a map[string]any) (any, error) {
			items := make([]any, len(p.pull.Reviews))
			for i, r := range p.pull.Reviews {
				items[i] = reviewRef{p.pull, r}
			}
			return offsetPage("PullRequestReviewConnection", items, a)
		}),
		"repository": field(func(p pullRef) any { return p.repo }),
	},
	"PullRequestReview": {
		"id":             field(func(r reviewRef) any { return r.review.GetNodeID() }),
		"fullDatabaseId": field(func(r reviewRef) any { return strconv.FormatInt(r.review.GetID(), 10) }),
		"databaseId":     field(func(r reviewRef) any { return r.review.GetID() }),
		"state":          field(func(r reviewRef) any { return r.review.GetState() }),
		"body":           field(func(r reviewRef) any { return r.review.GetBody() }),
		"submittedAt":    field(func(r reviewRef) any { return gqlTime(r.review.SubmittedAt) }),
		"createdAt":      field(func(r reviewRef) any { return gqlTime(r.review.SubmittedAt) }),
		"author":         field(func(r reviewRef) any { return r.review.User }),
		"commit": field(func(r reviewRef) any {
			if r.review.GetCommitID() == "" {
				return nil
			}
			return commitObj{sha: r.review.GetCommitID()}
		}),
	},
	"PullRequestCommit": {
		"commit": field(func(c prCommit) any { return commitObj{sha: c.c.GetSHA(), c: c.c} }),
	},
	"Commit": {
		"oid": field(func(c commitObj) any { return c.sha }),
		"authoredDate": func(_ *executor, obj any, _ map[string]any) (any, error) {
			c := obj.(commitObj)
			if c.c == nil {
				return nil, gqlErr("", "githubtest: commit %s is not known to the fake", c.sha)
			}
			return gqlTime(c.c.GetCommit().GetAuthor().Date), nil
		},
		"committedDate": func(_ *executor, obj any, _ map[string]any) (any, error) {
			c := obj.(commitObj)
			if c.c == nil {
				return nil, gqlErr("", "githubtest: commit %s is not known to the fake", c.sha)
			}
			return gqlTime(c.c.GetCommit().GetCommitter().Date), nil
		},
		"message": field(func(c commitObj) any { return c.c.GetCommit().GetMessage() }),
		"author":  field(func(c commitObj) any { return gitActor{c.c.GetCommit().GetAuthor()} }),
	},
	"GitActor": {
		"name":  field(func(g gitActor) any { return nullable(g.a.GetName()) }),
		"email": field(func(g gitActor) any { return nullable(g.a.GetEmail()) }),
		"date":  field(func(g gitActor) any { return gqlTime(g.a.Date) }),
	},
	"Label": {
		"name":  field(func(l *github.Label) any { return l.GetName() }),
		"color": field(func(l *github.Label) any { return l.GetColor() }),
		"id":    field(func(l *github.Label) any { return l.GetNodeID() }),
	},
	"Issue": {
		"number":         field(func(i issueRef) any { return i.issue.GetNumber() }),
		"databaseId":     field(func(i issueRef) any { return i.issue.GetID() }),
		"fullDatabaseId": field(func(i issueRef) any { return strconv.FormatInt(i.issue.GetID(), 10) }),
		"title":          field(func(i issueRef) any { return i.issue.GetTitle() }),
		"state":          field(func(i issueRef) any { return strings.ToUpper(i.issue.GetState()) }),
		"createdAt":      field(func(i issueRef) any { return gqlTime(i.issue.CreatedAt) }),
		"updatedAt":      field(func(i issueRef) any { return gqlTime(i.issue.UpdatedAt) }),
		"closedAt":       field(func(i issueRef) any { return gqlTime(i.issue.ClosedAt) }),
		"author":         field(func(i issueRef) any { return i.issue.User }),
	},
	"Team": {
		"id":         field(func(t teamRef) any { return t.team.GH.GetNodeID() }),
		"databaseId": field(func(t teamRef) any { return t.team.GH.GetID() }),
		"slug":       field(func(t teamRef) any { return t.team.GH.GetSlug() }),
		"name":       field(func(t teamRef) any { return t.team.GH.GetName() }),
		// The fake's teams have direct members only, so every membership
		// filter (ALL, IMMEDIATE, CHILD_TEAM) is the same list.
		"members": fieldArgs(func(ex *executor, t teamRef, a map[string]any) (any, error) {
			var items []any
			for _, u := range sortedMembers(t.team.Members, "") {
				items = append(items, u)
			}
			return offsetPage("TeamMemberConnection", items, a)
		}),
	},
	"PageInfo": {
		"hasNextPage":     field(func(p pageInfo) any { return p.hasNext }),
		"hasPreviousPage": field(func(p pageInfo) any { return p.hasPrev }),
		"startCursor":     field(func(p pageInfo) any { return nullable(p.start) }),
		"endCursor":       field(func(p pageInfo) any { return nullable(p.end) }),
	},
}

func resolverFor(obj any, typ, name string) resolver {
	switch obj.(type) {
	case *github.User:
		return actorFields[name]
	case *connection:
		return connectionFields[name]
	case edge:
		return edgeFields[name]
	}
	return resolvers[typ][name]
}

// pullConnection serves Repository.pullRequests: filtered by states,
// ordered by orderBy (default creation ascending), with cursors that name
// the sort key so they survive a pull request moving.
func pullConnection(ex *executor, r *Repo, a map[string]any) (any, error) {
	states := statesArg(a)
	field, desc := "CREATED_AT", false
	if ob, ok := a["orderBy"].(map[string]any); ok {
		field, desc = fmt.Sprint(ob["field"]), fmt.Sprint(ob["direction"]) == "DESC"
	}
	keyOf := func(p *Pull) time.Time {
		if field == "UPDATED_AT" {
			return p.GH.GetUpdatedAt().Time
		}
		return p.GH.GetCreatedAt().Time
	}
	var ps []*Pull
	for _, p := range r.Pulls {
		st := "OPEN"
		if p.GH.GetMerged() {
			st = "MERGED"
		} else if p.GH.GetState() == "closed" {
			st = "CLOSED"
		}
		if states == nil || states[st] {
			ps = append(ps, p)
		}
	}
	// before reports whether (t1, n1) comes first in the order.
	before := func(t1 time.Time, n1 int, t2 time.Time, n2 int) bool {
		switch {
		case !t1.Equal(t2):
			return t1.Before(t2) != desc
		case n1 == n2:
			return false
		}
		return n1 < n2 != desc
	}
	sort.Slice(ps, func(i, j int) bool {
		return before(keyOf(ps[i]), ps[i].GH.GetNumber(), keyOf(ps[j]), ps[j].GH.GetNumber())
	})
	items := make([]any, len(ps))
	for i, p := range ps {
		items[i] = pullRef{r, p}
	}
	key := func(i int) string {
		return fmt.Sprintf("%d:%d", keyOf(ps[i]).UnixNano(), ps[i].GH.GetNumber())
	}
	seek := func(k string) int {
		var ns int64
		var n int
		fmt.Sscanf(k, "%d:%d", &ns, &n)
		t := time.Unix(0, ns)
		return sort.Search(len(ps), func(i int) bool {
			return before(t, n, keyOf(ps[i]), ps[i].GH.GetNumber())
		})
	}
	return paginate("PullRequestConnection", items, key, seek, a)
}

func issueConnection(ex *executor, r *Repo, a map[string]any) (any, error) {
	states := statesArg(a)
	var is []*github.Issue
	for _, i := range r.Issues {
		if states == nil || states[strings.ToUpper(i.GH.GetState())] {
			is = append(is, i.GH)
		}
	}
	sort.Slice(is, func(i, j int) bool { return is[i].GetNumber() < is[j].GetNumber() })
	items := make([]any, len(is))
	for i, x := range is {
		items[i] = issueRef{r, x}
	}
	return offsetPage("IssueConnection", items, a)
}

// statesArg reads a states filter; nil means every state.
func statesArg(a map[string]any) map[string]bool {
	ss, ok := a["states"].([]any)
	if !ok || len(ss) == 0 {
		return nil
	}
	states := map[string]bool{}
	for _, s := range ss {
		states[fmt.Sprint(s)] = true
	}
	return states
}
