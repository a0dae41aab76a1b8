package github

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// Inventories: what a repository or an organization holds, one light row
// per object, 100 to a page (1 point each). Integrity repairs compare them
// with the store and fetch only what is missing or stale.

// QueryPullInventory lists a repository's pull requests, oldest first,
// with only what tells whether the stored copy is current.
const QueryPullInventory = `query PullInventory($owner: String!, $name: String!, $after: String) {
  repository(owner: $owner, name: $name) {
    pullRequests(first: 100, after: $after, orderBy: {field: CREATED_AT, direction: ASC}) {
      pageInfo { hasNextPage endCursor }
      nodes { fullDatabaseId number state updatedAt }
    }
  }
  ` + rateLimitField + `
}`

// QueryIssueInventory lists a repository's issues (pull requests are not
// issues in GraphQL) the same way.
const QueryIssueInventory = `query IssueInventory($owner: String!, $name: String!, $after: String) {
  repository(owner: $owner, name: $name) {
    issues(first: 100, after: $after, orderBy: {field: CREATED_AT, direction: ASC}) {
      pageInfo { hasNextPage endCursor }
      nodes { fullDatabaseId number state updatedAt }
    }
  }
  ` + rateLimitField + `
}`

// InventoryItem is one pull request or issue as an inventory lists it.
// State is GraphQL's: OPEN, CLOSED or MERGED.
type InventoryItem struct {
	ID        int64
	Number    int
	State     string
	UpdatedAt time.Time
}

type gqlInventory struct {
	PageInfo gqlPageInfo `json:"pageInfo"`
	Nodes    []struct {
		FullDatabaseID string    `json:"fullDatabaseId"`
		Number         int       `json:"number"`
		State          string    `json:"state"`
		UpdatedAt      time.Time `json:"updatedAt"`
	} `json:"nodes"`
}

// PullInventory fetches one page of a repository's pull request inventory.
func (c *Client) PullInventory(ctx context.Context, owner, name, cursor string) (Page[InventoryItem], error) {
	return c.inventory(ctx, "pull request inventory of "+owner+"/"+name, QueryPullInventory, "pullRequests", owner, name, cursor)
}

// IssueInventory fetches one page of a repository's issue inventory.
func (c *Client) IssueInventory(ctx context.Context, owner, name, cursor string) (Page[InventoryItem], error) {
	return c.inventory(ctx, "issue inventory of "+owner+"/"+name, QueryIssueInventory, "issues", owner, name, cursor)
}

func (c *Client) inventory(ctx context.Context, what, query, field, owner, name, cursor string) (Page[InventoryItem], error) {
	vars := map[string]any{"owner": owner, "name": name}
	if cursor != "" {
		vars["after"] = cursor
	}
	var out struct {
		Repository map[string]gqlInventory `json:"repository"`
	}
	ctx, m := withMeter(ctx)
	if err := c.graphql(ctx, what, query, vars, &out); err != nil {
		return Page[InventoryItem]{Cost: m.cost()}, err
	}
	conn, ok := out.Repository[field]
	if out.Repository == nil || !ok {
		return Page[InventoryItem]{Cost: m.cost()}, fmt.Errorf("github: %s: %w", what, ErrNotFound)
	}
	p := Page[InventoryItem]{Items: make([]InventoryItem, 0, len(conn.Nodes))}
	for _, n := range conn.Nodes {
		id, err := strconv.ParseInt(n.FullDatabaseID, 10, 64)
		if err != nil || id <= 0 || n.Number <= 0 {
			return Page[InventoryItem]{Cost: m.cost()}, fmt.Errorf("github: %s: %w: #%d has fullDatabaseId %q", what, ErrMalformed, n.Number, n.FullDatabaseID)
		}
		p.Items = append(p.Items, InventoryItem{ID: id, Number: n.Number, State: n.State, UpdatedAt: n.UpdatedAt.UTC()})
	}
	if conn.PageInfo.HasNextPage {
		if conn.PageInfo.EndCursor == "" {
			return Page[InventoryItem]{Cost: m.cost()}, fmt.Errorf("github: %s: %w: next page without a cursor", what, ErrMalformed)
		}
		p.Next = conn.PageInfo.EndCursor
	}
	p.Cost = m.cost()
	return p, nil
}

// QueryTeamCounts asks for the direct members of an organization's teams,
// 100 teams a query: teams 1 request plus 100 member counts, 1 point.
const QueryTeamCounts = `query TeamCounts($login: String!, $after: String) {
  organization(login: $login) {
    teams(first: 100, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes { databaseId slug members(first: 1, membership: IMMEDIATE) { totalCount } }
    }
  }
  ` + rateLimitField + `
}`

// TeamCount is one team's number of direct members.
type TeamCount struct {
	ID      int64
	Slug    string
	Members int
}

// TeamCounts fetches one page of the member counts of an organization's
// teams.
func (c *Client) TeamCounts(ctx context.Context, org, cursor string) (Page[TeamCount], error) {
	what := "team counts of " + org
	vars := map[string]any{"login": org}
	if cursor != "" {
		vars["after"] = cursor
	}
	var out struct {
		Organization *struct {
			Teams struct {
				PageInfo gqlPageInfo `json:"pageInfo"`
				Nodes    []struct {
					DatabaseID int64    `json:"databaseId"`
					Slug       string   `json:"slug"`
					Members    gqlTotal `json:"members"`
				} `json:"nodes"`
			} `json:"teams"`
		} `json:"organization"`
	}
	ctx, m := withMeter(ctx)
	if err := c.graphql(ctx, what, QueryTeamCounts, vars, &out); err != nil {
		return Page[TeamCount]{Cost: m.cost()}, err
	}
	if out.Organization == nil {
		return Page[TeamCount]{Cost: m.cost()}, fmt.Errorf("github: %s: %w", what, ErrNotFound)
	}
	conn := out.Organization.Teams
	p := Page[TeamCount]{Items: make([]TeamCount, 0, len(conn.Nodes))}
	for _, n := range conn.Nodes {
		if n.DatabaseID == 0 || n.Slug == "" {
			return Page[TeamCount]{Cost: m.cost()}, fmt.Errorf("github: %s: %w: a team without id or slug", what, ErrMalformed)
		}
		p.Items = append(p.Items, TeamCount{ID: n.DatabaseID, Slug: n.Slug, Members: n.Members.TotalCount})
	}
	if conn.PageInfo.HasNextPage {
		p.Next = conn.PageInfo.EndCursor
	}
	p.Cost = m.cost()
	return p, nil
}
