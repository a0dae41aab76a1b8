package github

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Cheap totals for integrity checks: what GitHub holds, to compare with
// what the store holds, for a point or two.

// QueryRepoCounts asks for a repository's totals: six connections with no
// nodes, 6 requests, so 1 point.
const QueryRepoCounts = `query RepoCounts($owner: String!, $name: String!) {
  repository(owner: $owner, name: $name) {
    pullRequests(first: 1) { totalCount }
    openPullRequests: pullRequests(first: 1, states: [OPEN]) { totalCount }
    issues(first: 1) { totalCount }
    openIssues: issues(first: 1, states: [OPEN]) { totalCount }
    releases(first: 1) { totalCount }
    deployments(first: 1) { totalCount }
  }
  ` + rateLimitField + `
}`

// RepoCounts are a repository's totals as GitHub counts them.
type RepoCounts struct {
	PullRequests, OpenPullRequests int
	Issues, OpenIssues             int
	Releases, Deployments          int
}

type gqlTotal struct {
	TotalCount int `json:"totalCount"`
}

// RepoCounts fetches a repository's totals in one GraphQL query.
func (c *Client) RepoCounts(ctx context.Context, owner, name string) (RepoCounts, Cost, error) {
	var out struct {
		Repository *struct {
			PullRequests     gqlTotal `json:"pullRequests"`
			OpenPullRequests gqlTotal `json:"openPullRequests"`
			Issues           gqlTotal `json:"issues"`
			OpenIssues       gqlTotal `json:"openIssues"`
			Releases         gqlTotal `json:"releases"`
			Deployments      gqlTotal `json:"deployments"`
		} `json:"repository"`
	}
	what := "counts of " + owner + "/" + name
	ctx, m := withMeter(ctx)
	if err := c.graphql(ctx, what, QueryRepoCounts, map[string]any{"owner": owner, "name": name}, &out); err != nil {
		return RepoCounts{}, m.cost(), err
	}
	r := out.Repository
	if r == nil {
		return RepoCounts{}, m.cost(), fmt.Errorf("github: %s: %w", what, ErrNotFound)
	}
	return RepoCounts{
		PullRequests: r.PullRequests.TotalCount, OpenPullRequests: r.OpenPullRequests.TotalCount,
		Issues: r.Issues.TotalCount, OpenIssues: r.OpenIssues.TotalCount,
		Releases: r.Releases.TotalCount, Deployments: r.Deployments.TotalCount,
	}, m.cost(), nil
}

// QueryOrgCounts asks for an organization's totals (1 point).
const QueryOrgCounts = `query OrgCounts($login: String!) {
  organization(login: $login) {
    membersWithRole(first: 1) { totalCount }
    teams(first: 1) { totalCount }
    repositories(first: 1) { totalCount }
  }
  ` + rateLimitField + `
}`

// OrgCounts are an organization's totals.
type OrgCounts struct{ Members, Teams, Repositories int }

// OrgCounts fetches an organization's totals in one GraphQL query.
func (c *Client) OrgCounts(ctx context.Context, org string) (OrgCounts, Cost, error) {
	var out struct {
		Organization *struct {
			MembersWithRole gqlTotal `json:"membersWithRole"`
			Teams           gqlTotal `json:"teams"`
			Repositories    gqlTotal `json:"repositories"`
		} `json:"organization"`
	}
	what := "counts of " + org
	ctx, m := withMeter(ctx)
	if err := c.graphql(ctx, what, QueryOrgCounts, map[string]any{"login": org}, &out); err != nil {
		return OrgCounts{}, m.cost(), err
	}
	o := out.Organization
	if o == nil {
		return OrgCounts{}, m.cost(), fmt.Errorf("github: %s: %w", what, ErrNotFound)
	}
	return OrgCounts{Members: o.MembersWithRole.TotalCount, Teams: o.Teams.TotalCount, Repositories: o.Repositories.TotalCount}, m.cost(), nil
}

// CountREST counts the items of any REST listing with one request: it asks
// for one item per page, and the Link header's last page number is the
// total. path is relative to the API root, with its query if any
// ("repos/o/r/deployments?environment=production").
func (c *Client) CountREST(ctx context.Context, path string) (int, Cost, error) {
	u, err := url.Parse(path)
	if err != nil || u.IsAbs() || strings.HasPrefix(path, "/") {
		return 0, Cost{}, fmt.Errorf("github: count %q: want a path relative to the API root", path)
	}
	q := u.Query()
	q.Set("per_page", "1")
	u.RawQuery = q.Encode()
	ctx, m := withMeter(ctx)
	// A count is never conditional: a 304 would not say how many.
	req, err := c.REST.NewRequest(Fresh(ctx), http.MethodGet, u.String(), nil)
	if err != nil {
		return 0, m.cost(), fmt.Errorf("github: count %s: %w", path, err)
	}
	var items json.RawMessage
	resp, err := c.REST.Do(req, &items)
	if err != nil {
		return 0, m.cost(), callError("count "+path, resp, err)
	}
	if resp.LastPage > 0 {
		return resp.LastPage, m.cost(), nil
	}
	// One page: zero or one item, in a list or in an object with a list.
	var list []json.RawMessage
	if json.Unmarshal(items, &list) == nil {
		return len(list), m.cost(), nil
	}
	var obj struct {
		TotalCount *int `json:"total_count"`
	}
	if json.Unmarshal(items, &obj) == nil && obj.TotalCount != nil {
		return *obj.TotalCount, m.cost(), nil
	}
	return 0, m.cost(), fmt.Errorf("github: count %s: %w: neither a list nor a total_count", path, ErrMalformed)
}
