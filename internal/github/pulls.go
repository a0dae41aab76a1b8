package github

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sextant-dev/sextant/internal/core"
)

// DefaultPullPageSize is the pull requests per GraphQL page. GitHub
// charges a query the requests its connections need, divided by 100 and
// rounded to the nearest whole number (at least 1). A page of n pull
// requests, each with four connections (reviews, labels, the first commit,
// the conversation's comment count), needs 1 + 4n requests: up to n = 37
// that is at most 149, which rounds to 1 point; n = 50 would be 201, 2
// points. So 37 is the cheapest page per pull request.
const DefaultPullPageSize = 37

// A pull request's first 50 reviews and labels come in the same query (a
// nested first adds nothing to the cost at this depth); the rare pull
// request with more gets follow-up queries.

const actorFields = `__typename login ... on User { databaseId name } ... on Bot { databaseId } ... on Organization { databaseId name } ... on Mannequin { databaseId }`

const reviewFields = `fullDatabaseId state submittedAt commit { oid } author { ` + actorFields + ` }`

const pullFields = `id fullDatabaseId number title state isDraft merged mergedAt closedAt createdAt updatedAt
	additions deletions changedFiles headRefName headRefOid baseRefName
	mergeCommit { oid }
	author { ` + actorFields + ` }
	mergedBy { ` + actorFields + ` }
	totalCommentsCount
	comments(first: 1) { totalCount }
	commits(first: 1) { totalCount nodes { commit { oid authoredDate } } }
	labels(first: ` + "50" + `) { totalCount pageInfo { hasNextPage endCursor } nodes { name } }
	reviews(first: ` + "50" + `) { totalCount pageInfo { hasNextPage endCursor } nodes { ` + reviewFields + ` } }`

// QueryPullRequests is the GraphQL query behind PullRequests: a
// repository's pull requests, most recently updated first.
const QueryPullRequests = `query PullRequests($owner: String!, $name: String!, $first: Int!, $after: String, $states: [PullRequestState!]) {
  repository(owner: $owner, name: $name) {
    pullRequests(first: $first, after: $after, states: $states, orderBy: {field: UPDATED_AT, direction: DESC}) {
      pageInfo { hasNextPage endCursor }
      nodes { ` + pullFields + ` }
    }
  }
  ` + rateLimitField + `
}`

// QueryPullRequest fetches one pull request by number.
const QueryPullRequest = `query PullRequest($owner: String!, $name: String!, $number: Int!) {
  repository(owner: $owner, name: $name) {
    pullRequest(number: $number) { ` + pullFields + ` }
  }
  ` + rateLimitField + `
}`

// QueryMoreReviews and QueryMoreLabels continue a pull request's reviews
// or labels past the first page.
const (
	QueryMoreReviews = `query MoreReviews($id: ID!, $after: String) {
  node(id: $id) { ... on PullRequest { reviews(first: 100, after: $after) { pageInfo { hasNextPage endCursor } nodes { ` + reviewFields + ` } } } }
  ` + rateLimitField + `
}`
	QueryMoreLabels = `query MoreLabels($id: ID!, $after: String) {
  node(id: $id) { ... on PullRequest { labels(first: 100, after: $after) { pageInfo { hasNextPage endCursor } nodes { name } } } }
  ` + rateLimitField + `
}`
)

type gqlPageInfo struct {
	HasNextPage bool   `json:"hasNextPage"`
	EndCursor   string `json:"endCursor"`
}

type gqlActor struct {
	Typename   string `json:"__typename"`
	Login      string `json:"login"`
	DatabaseID int64  `json:"databaseId"`
	Name       string `json:"name"`
}

type gqlReview struct {
	FullDatabaseID string     `json:"fullDatabaseId"`
	State          string     `json:"state"`
	SubmittedAt    *time.Time `json:"submittedAt"`
	Commit         *struct {
		OID string `json:"oid"`
	} `json:"commit"`
	Author *gqlActor `json:"author"`
}

type gqlReviews struct {
	TotalCount int         `json:"totalCount"`
	PageInfo   gqlPageInfo `json:"pageInfo"`
	Nodes      []gqlReview `json:"nodes"`
}

type gqlLabels struct {
	TotalCount int         `json:"totalCount"`
	PageInfo   gqlPageInfo `json:"pageInfo"`
	Nodes      []struct {
		Name string `json:"name"`
	} `json:"nodes"`
}

type gqlPull struct {
	ID             string     `json:"id"`
	FullDatabaseID string     `json:"fullDatabaseId"`
	Number         int        `json:"number"`
	Title          string     `json:"title"`
	State          string     `json:"state"`
	IsDraft        bool       `json:"isDraft"`
	Merged         bool       `json:"merged"`
	MergedAt       *time.Time `json:"mergedAt"`
	ClosedAt       *time.Time `json:"closedAt"`
	CreatedAt      time.Time  `json:"createdAt"`
	UpdatedAt      time.Time  `json:"updatedAt"`
	Additions      int        `json:"additions"`
	Deletions      int        `json:"deletions"`
	ChangedFiles   int        `json:"changedFiles"`
	HeadRefName    string     `json:"headRefName"`
	HeadRefOID     string     `json:"headRefOid"`
	BaseRefName    string     `json:"baseRefName"`
	MergeCommit    *struct {
		OID string `json:"oid"`
	} `json:"mergeCommit"`
	Author             *gqlActor `json:"author"`
	MergedBy           *gqlActor `json:"mergedBy"`
	TotalCommentsCount int       `json:"totalCommentsCount"`
	Comments           struct {
		TotalCount int `json:"totalCount"`
	} `json:"comments"`
	Commits struct {
		TotalCount int `json:"totalCount"`
		Nodes      []struct {
			Commit struct {
				OID          string    `json:"oid"`
				AuthoredDate time.Time `json:"authoredDate"`
			} `json:"commit"`
		} `json:"nodes"`
	} `json:"commits"`
	Labels  gqlLabels  `json:"labels"`
	Reviews gqlReviews `json:"reviews"`
}

// PullRequestItem is a pull request with what came with it: its reviews
// and the actors they name (store them first: the rows refer to them).
// RepoID fields are left 0 for the caller, who knows Sextant's id.
type PullRequestItem struct {
	Pull    core.PullRequest
	Reviews []core.Review
	Actors  []core.Actor
}

// PullQuery selects a walk over a repository's pull requests.
type PullQuery struct {
	// After is the cursor of the page to continue after ("" for the most
	// recently updated).
	After string
	// Since is the watermark: the walk stops at the first pull request
	// updated before it. Zero walks everything.
	Since time.Time
	// PageSize overrides the client's pull page size (1 to 50).
	PageSize int
	// States keeps only pull requests in these GraphQL states (OPEN,
	// CLOSED, MERGED): open ones to refresh until they close, closed ones to
	// reconcile. Empty means all.
	States []string
}

// PullPage is one page of pull requests, most recently updated first.
type PullPage struct {
	Items []PullRequestItem
	// Next is the cursor of the next page; empty when Done.
	Next string
	// Done: the last page, or the page that reached the watermark.
	Done bool
	Cost Cost
}

// PullRequests fetches one page of a repository's pull requests by
// updated_at descending, with reviews, labels, first commit time and merge
// state, over GraphQL. Pull requests updated before q.Since are left out
// and end the walk.
//
// Take the first page's first updated_at as the next watermark: a pull
// request updated while the walk runs moves to the front, behind the walk,
// and the next sync picks it up.
func (c *Client) PullRequests(ctx context.Context, owner, name string, q PullQuery) (PullPage, error) {
	what := fmt.Sprintf("pull requests of %s/%s", owner, name)
	first := q.PageSize
	if first == 0 {
		first = c.pullPageSize
	}
	if first < 1 || first > 50 {
		return PullPage{}, fmt.Errorf("github: %s: page size must be between 1 and 50, got %d", what, first)
	}
	vars := map[string]any{"owner": owner, "name": name, "first": first}
	if q.After != "" {
		vars["after"] = q.After
	}
	for _, st := range q.States {
		switch st {
		case "OPEN", "CLOSED", "MERGED":
		default:
			return PullPage{}, fmt.Errorf("github: %s: state %q is not OPEN, CLOSED or MERGED", what, st)
		}
	}
	if len(q.States) > 0 {
		vars["states"] = q.States
	}
	var out struct {
		Repository *struct {
			PullRequests struct {
				PageInfo gqlPageInfo `json:"pageInfo"`
				Nodes    []gqlPull   `json:"nodes"`
			} `json:"pullRequests"`
		} `json:"repository"`
	}
	ctx, m := withMeter(ctx)
	if err := c.graphql(ctx, what, QueryPullRequests, vars, &out); err != nil {
		return PullPage{Cost: m.cost()}, err
	}
	if out.Repository == nil {
		return PullPage{Cost: m.cost()}, fmt.Errorf("github: %s: %w", what, ErrNotFound)
	}
	conn := out.Repository.PullRequests
	page := PullPage{}
	for _, n := range conn.Nodes {
		if !q.Since.IsZero() && n.UpdatedAt.Before(q.Since) {
			page.Done = true
			break
		}
		it, err := c.pullItem(ctx, what, n)
		if err != nil {
			return PullPage{Cost: m.cost()}, err
		}
		page.Items = append(page.Items, it)
	}
	if !conn.PageInfo.HasNextPage {
		page.Done = true
	}
	if !page.Done {
		if conn.PageInfo.EndCursor == "" {
			return PullPage{Cost: m.cost()}, fmt.Errorf("github: %s: %w: next page without a cursor", what, ErrMalformed)
		}
		page.Next = conn.PageInfo.EndCursor
	}
	page.Cost = m.cost()
	return page, nil
}

// PullRequest fetches one pull request by number (repairs, integrity
// checks).
func (c *Client) PullRequest(ctx context.Context, owner, name string, number int) (PullRequestItem, Cost, error) {
	what := fmt.Sprintf("pull request %s/%s#%d", owner, name, number)
	var out struct {
		Repository *struct {
			PullRequest *gqlPull `json:"pullRequest"`
		} `json:"repository"`
	}
	ctx, m := withMeter(ctx)
	err := c.graphql(ctx, what, QueryPullRequest, map[string]any{"owner": owner, "name": name, "number": number}, &out)
	if err != nil {
		return PullRequestItem{}, m.cost(), err
	}
	if out.Repository == nil || out.Repository.PullRequest == nil {
		return PullRequestItem{}, m.cost(), fmt.Errorf("github: %s: %w", what, ErrNotFound)
	}
	it, err := c.pullItem(ctx, what, *out.Repository.PullRequest)
	return it, m.cost(), err
}

func (c *Client) pullItem(ctx context.Context, what string, n gqlPull) (PullRequestItem, error) {
	id, err := strconv.ParseInt(n.FullDatabaseID, 10, 64)
	if err != nil || id <= 0 {
		return PullRequestItem{}, fmt.Errorf("github: %s: %w: pull request #%d has fullDatabaseId %q", what, ErrMalformed, n.Number, n.FullDatabaseID)
	}
	actors := actorSet{}
	p := core.PullRequest{
		ID: id, Number: n.Number, NodeID: n.ID, Title: n.Title,
		State: core.StateOpen, Draft: n.IsDraft, Merged: n.Merged,
		HeadRef: n.HeadRefName, HeadSHA: n.HeadRefOID, BaseRef: n.BaseRefName,
		CreatedAt: n.CreatedAt.UTC(), UpdatedAt: n.UpdatedAt.UTC(),
		ClosedAt: timeOf(n.ClosedAt), MergedAt: timeOf(n.MergedAt),
		Additions: n.Additions, Deletions: n.Deletions, ChangedFiles: n.ChangedFiles,
		Commits: n.Commits.TotalCount,
		// totalCommentsCount counts the conversation and the diff comments.
		ReviewComments: max(0, n.TotalCommentsCount-n.Comments.TotalCount),
		AuthorID:       actors.add(n.Author),
		MergedByID:     actors.add(n.MergedBy),
	}
	if n.State != "OPEN" {
		p.State = core.StateClosed
	}
	if n.MergeCommit != nil {
		p.MergeCommitSHA = n.MergeCommit.OID
	}
	if len(n.Commits.Nodes) > 0 {
		p.FirstCommitAt = n.Commits.Nodes[0].Commit.AuthoredDate.UTC()
	}
	labels := make([]string, 0, len(n.Labels.Nodes))
	for _, l := range n.Labels.Nodes {
		labels = append(labels, l.Name)
	}
	for pi := n.Labels.PageInfo; pi.HasNextPage; {
		var more struct {
			Node *struct {
				Labels gqlLabels `json:"labels"`
			} `json:"node"`
		}
		if err := c.graphql(ctx, what+" labels", QueryMoreLabels, map[string]any{"id": n.ID, "after": pi.EndCursor}, &more); err != nil {
			return PullRequestItem{}, err
		}
		if more.Node == nil {
			return PullRequestItem{}, fmt.Errorf("github: %s: %w: pull request #%d vanished while reading its labels", what, ErrMalformed, n.Number)
		}
		for _, l := range more.Node.Labels.Nodes {
			labels = append(labels, l.Name)
		}
		pi = more.Node.Labels.PageInfo
	}
	p.Labels = labels

	reviews := n.Reviews.Nodes
	for pi := n.Reviews.PageInfo; pi.HasNextPage; {
		var more struct {
			Node *struct {
				Reviews gqlReviews `json:"reviews"`
			} `json:"node"`
		}
		if err := c.graphql(ctx, what+" reviews", QueryMoreReviews, map[string]any{"id": n.ID, "after": pi.EndCursor}, &more); err != nil {
			return PullRequestItem{}, err
		}
		if more.Node == nil {
			return PullRequestItem{}, fmt.Errorf("github: %s: %w: pull request #%d vanished while reading its reviews", what, ErrMalformed, n.Number)
		}
		reviews = append(reviews, more.Node.Reviews.Nodes...)
		pi = more.Node.Reviews.PageInfo
	}
	it := PullRequestItem{Pull: p}
	for _, r := range reviews {
		rid, err := strconv.ParseInt(r.FullDatabaseID, 10, 64)
		if err != nil || rid <= 0 {
			return PullRequestItem{}, fmt.Errorf("github: %s: %w: a review of #%d has fullDatabaseId %q", what, ErrMalformed, n.Number, r.FullDatabaseID)
		}
		rv := core.Review{ID: rid, PullRequestID: id, State: r.State, SubmittedAt: timeOf(r.SubmittedAt), ReviewerID: actors.add(r.Author)}
		if r.Commit != nil {
			rv.CommitID = r.Commit.OID
		}
		it.Reviews = append(it.Reviews, rv)
	}
	it.Actors = actors.list()
	return it, nil
}

func timeOf(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// actorSet collects the distinct actors of a page.
type actorSet struct {
	order []int64
	byID  map[int64]core.Actor
}

// add records a GraphQL actor and returns its id (0 for a deleted account,
// which GitHub shows as null).
func (s *actorSet) add(a *gqlActor) int64 {
	if a == nil || a.DatabaseID == 0 {
		return 0
	}
	typ := a.Typename
	login := a.Login
	switch typ {
	case core.ActorUser, core.ActorOrganization:
	case core.ActorBot:
		// GraphQL names bots without the suffix REST and webhooks show.
		if !strings.HasSuffix(login, "[bot]") {
			login += "[bot]"
		}
	default:
		typ = core.ActorUser
	}
	if s.byID == nil {
		s.byID = map[int64]core.Actor{}
	}
	if _, ok := s.byID[a.DatabaseID]; !ok {
		s.order = append(s.order, a.DatabaseID)
	}
	s.byID[a.DatabaseID] = core.Actor{ID: a.DatabaseID, Login: login, Type: typ, Name: a.Name}
	return a.DatabaseID
}

func (s *actorSet) list() []core.Actor {
	out := make([]core.Actor, 0, len(s.order))
	for _, id := range s.order {
		out = append(out, s.byID[id])
	}
	return out
}
