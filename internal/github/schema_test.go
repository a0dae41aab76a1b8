package github_test

import (
	"strings"
	"testing"

	"github.com/sextant-dev/sextant/internal/github"
	"github.com/sextant-dev/sextant/internal/github/githubtest"
)

// Every query the client sends passes GitHub's published schema, and costs
// what GitHub's formula says.
func TestQueriesMatchGitHubSchema(t *testing.T) {
	fake, err := githubtest.New(githubtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	repo := map[string]any{"owner": "acme", "name": "api"}
	for _, tc := range []struct {
		name   string
		query  string
		vars   map[string]any
		points int
	}{
		// 1 + 4·37 = 149 requests → round(1.49) = 1.
		{"pull requests, 37", github.QueryPullRequests, map[string]any{"owner": "acme", "name": "api", "first": 37}, 1},
		// 1 + 4·50 = 201 requests → round(2.01) = 2.
		{"pull requests, 50", github.QueryPullRequests, map[string]any{"owner": "acme", "name": "api", "first": 50, "after": "Y3Vyc29yOnYyOjA=", "states": []any{"OPEN", "MERGED"}}, 2},
		// comments, commits, labels, reviews: 4 requests → minimum 1.
		{"pull request", github.QueryPullRequest, map[string]any{"owner": "acme", "name": "api", "number": 7}, 1},
		{"more reviews", github.QueryMoreReviews, map[string]any{"id": "PR_1", "after": "x"}, 1},
		{"more labels", github.QueryMoreLabels, map[string]any{"id": "PR_1"}, 1},
		{"repo counts", github.QueryRepoCounts, repo, 1},
		{"org counts", github.QueryOrgCounts, map[string]any{"login": "acme"}, 1},
		// pullRequests(first: 100): 1 request → 1.
		{"pull inventory", github.QueryPullInventory, map[string]any{"owner": "acme", "name": "api", "after": "x"}, 1},
		{"issue inventory", github.QueryIssueInventory, repo, 1},
		// teams(first: 100) 1 + members under each of 100 teams 100 = 101
		// requests → round(1.01) = 1.
		{"team counts", github.QueryTeamCounts, map[string]any{"login": "acme"}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			points, err := fake.Validate(tc.query, tc.vars)
			if err != nil {
				t.Fatalf("GitHub would reject it: %v", err)
			}
			if points != tc.points {
				t.Errorf("costs %d points; want %d", points, tc.points)
			}
		})
	}
}

func TestWrongQueriesRejected(t *testing.T) {
	fake, err := githubtest.New(githubtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, query, want string }{
		{"unknown field", `query { repository(owner: "a", name: "b") { pullRequests(first: 5) { nodes { reviewCount } } } }`, `Cannot query field "reviewCount" on type "PullRequest"`},
		{"wrong argument type", `query { repository(owner: "a", name: "b") { pullRequests(first: "five") { totalCount } } }`, "Int"},
		{"unknown enum", `query { repository(owner: "a", name: "b") { pullRequests(first: 5, orderBy: {field: UPDATED, direction: DESC}) { totalCount } } }`, "UPDATED"},
		{"missing variable", `query($n: String!) { repository(owner: "a", name: $n) { id } }`, "n"},
		{"no first", `query { repository(owner: "a", name: "b") { pullRequests { nodes { number } } } }`, "You must provide a `first` or `last` value"},
		{"first above 100", `query { repository(owner: "a", name: "b") { pullRequests(first: 101) { nodes { number } } } }`, "exceeds the `first` limit of 100"},
		{"deprecated mutation", `mutation { addStar(input: {starrableId: "x"}) { clientMutationId } }`, "only queries"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := fake.Validate(tc.query, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v; want one mentioning %q", err, tc.want)
			}
		})
	}
}
