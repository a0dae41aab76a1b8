package githubtest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sextant-dev/sextant/internal/demo"
	"github.com/sextant-dev/sextant/internal/github/githubtest"
)

var now = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func start(t *testing.T, opts githubtest.Options) (*githubtest.Server, *httptest.Server) {
	t.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return now }
	}
	fake, err := githubtest.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	return fake, srv
}

func get(t *testing.T, url string, header ...string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer t1")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// The cost formula reproduces GitHub's documented example: 1 + 100 +
// 100·50 = 5,101 requests, divided by 100 and rounded: 51 points.
func TestGraphQLCostAsDocumented(t *testing.T) {
	fake, _ := start(t, githubtest.Options{})
	q := `query { viewer { login repositories(first: 100) { edges { node { id
		issues(first: 50) { edges { node { id labels(first: 60) { edges { node { id name } } } } } } } } } } }`
	if p, err := fake.Validate(q, nil); err != nil || p != 51 {
		t.Errorf("documented example: %d points, %v; want 51", p, err)
	}
	// A single connection: 1 request, the minimum of 1 point.
	if p, err := fake.Validate(`query { viewer { repositories(first: 5) { totalCount } } }`, nil); err != nil || p != 1 {
		t.Errorf("one connection: %d, %v", p, err)
	}
	// 1 + 100 = 101 requests: round(1.01) = 1; 1 + 100 + 100·100 = 10,101:
	// round(101.01) = 101.
	if p, _ := fake.Validate(`query { viewer { repositories(first: 100) { nodes { issues(first: 100) { nodes { id } } } } } }`, nil); p != 1 {
		t.Errorf("two levels: %d; want 1", p)
	}
	if p, _ := fake.Validate(`query { viewer { repositories(first: 100) { nodes { issues(first: 100) { nodes { labels(first: 1) { totalCount } } } } } } }`, nil); p != 101 {
		t.Errorf("three levels: %d; want 101", p)
	}
}

func TestRESTPagesETagsAndBudget(t *testing.T) {
	fake, srv := start(t, githubtest.Options{RESTLimit: 100})
	fake.Mutate(func(st *githubtest.State) {
		for i := range 65 {
			st.AddMember("acme", fmt.Sprintf("u%02d", i), "member")
		}
	})
	resp := get(t, srv.URL+"/orgs/acme/members?per_page=30&page=2")
	link := resp.Header.Get("Link")
	// 65 members at 30 a page: 3 pages; page 2 links to 3, 3, 1 and 1.
	for _, want := range []string{
		`<` + srv.URL + `/orgs/acme/members?page=3&per_page=30>; rel="next"`,
		`<` + srv.URL + `/orgs/acme/members?page=3&per_page=30>; rel="last"`,
		`<` + srv.URL + `/orgs/acme/members?page=1&per_page=30>; rel="first"`,
		`<` + srv.URL + `/orgs/acme/members?page=1&per_page=30>; rel="prev"`,
	} {
		if !strings.Contains(link, want) {
			t.Errorf("Link %s\nlacks %s", link, want)
		}
	}
	var users []map[string]any
	json.NewDecoder(resp.Body).Decode(&users)
	if len(users) != 30 || users[0]["login"] != "u30" {
		t.Errorf("page 2: %d users starting %v", len(users), users[0]["login"])
	}
	if resp.Header.Get("X-RateLimit-Remaining") != "99" || resp.Header.Get("X-RateLimit-Used") != "1" ||
		resp.Header.Get("X-RateLimit-Reset") != fmt.Sprint(now.Add(time.Hour).Unix()) || resp.Header.Get("X-RateLimit-Resource") != "core" {
		t.Errorf("rate headers %v", resp.Header)
	}
	etag := resp.Header.Get("ETag")
	again := get(t, srv.URL+"/orgs/acme/members?per_page=30&page=2", "If-None-Match", etag)
	body, _ := io.ReadAll(again.Body)
	if again.StatusCode != http.StatusNotModified || len(body) != 0 || again.Header.Get("X-RateLimit-Remaining") != "99" {
		t.Errorf("conditional: %d %q remaining %s; want a free 304", again.StatusCode, body, again.Header.Get("X-RateLimit-Remaining"))
	}
	if st := fake.Stats(); st.NotModified != 1 || st.RESTPoints != 1 || st.ByRoute["GET /orgs/{org}/members"] != 2 {
		t.Errorf("stats %+v", st)
	}
	if r := get(t, srv.URL+"/orgs/acme/members"); r.Header.Get("Link") == "" || r.Header.Get("ETag") == etag {
		t.Errorf("page 1 with 30 a page: Link %q, etag %q (page 2's was %q)", r.Header.Get("Link"), r.Header.Get("ETag"), etag)
	}
}

func TestAuthAndPrimaryLimit(t *testing.T) {
	_, srv := start(t, githubtest.Options{RESTLimit: 2, Tokens: []string{"t1"}})
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/rate_limit", nil)
	if r, _ := http.DefaultClient.Do(req); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("no token: %d", r.StatusCode)
	}
	req.Header.Set("Authorization", "Bearer nope")
	if r, _ := http.DefaultClient.Do(req); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("unknown token: %d", r.StatusCode)
	}
	for i := range 2 {
		if r := get(t, srv.URL+"/orgs/acme"); r.StatusCode != http.StatusNotFound {
			t.Errorf("request %d: %d", i, r.StatusCode)
		}
	}
	r := get(t, srv.URL+"/orgs/acme")
	body, _ := io.ReadAll(r.Body)
	if r.StatusCode != http.StatusForbidden || r.Header.Get("X-RateLimit-Remaining") != "0" || !bytes.Contains(body, []byte("API rate limit exceeded")) {
		t.Errorf("third request: %d %s %s", r.StatusCode, r.Header.Get("X-RateLimit-Remaining"), body)
	}
	// /rate_limit is free.
	var rl struct {
		Resources map[string]struct{ Remaining, Limit int } `json:"resources"`
	}
	json.NewDecoder(get(t, srv.URL+"/rate_limit").Body).Decode(&rl)
	if rl.Resources["core"].Remaining != 0 || rl.Resources["graphql"].Limit != 5000 {
		t.Errorf("rate_limit %+v", rl)
	}
}

func TestGraphQLEndpoint(t *testing.T) {
	fake, srv := start(t, githubtest.Options{})
	if _, err := fake.Load(demo.Options{Seed: 1, End: now, Months: 1}); err != nil {
		t.Fatal(err)
	}
	post := func(query string) map[string]any {
		t.Helper()
		body, _ := json.Marshal(map[string]any{"query": query})
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/graphql", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer t1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.Header.Get("X-RateLimit-Resource") != "graphql" {
			t.Errorf("resource %q", resp.Header.Get("X-RateLimit-Resource"))
		}
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return out
	}
	out := post(`{ organization(login: "acme-corp") { login teams(first: 1) { totalCount } } rateLimit { cost remaining } }`)
	data, _ := out["data"].(map[string]any)
	org, _ := data["organization"].(map[string]any)
	rl, _ := data["rateLimit"].(map[string]any)
	if org["login"] != "acme-corp" || rl["cost"] != float64(1) || rl["remaining"] != float64(4999) {
		t.Errorf("answer %v", out)
	}
	// A query GitHub would reject is rejected, and costs nothing.
	out = post(`{ organization(login: "acme-corp") { teams(first: 1) { count } } }`)
	if errs, _ := out["errors"].([]any); len(errs) != 1 || !strings.Contains(fmt.Sprint(errs[0]), `Cannot query field "count"`) {
		t.Errorf("invalid query: %v", out)
	}
	if st := fake.Stats(); st.GraphQLPoints != 1 || st.GraphQLQueries != 2 {
		t.Errorf("stats %+v", st)
	}
	// A valid field the fake does not serve says so.
	out = post(`{ organization(login: "acme-corp") { websiteUrl } }`)
	if !strings.Contains(fmt.Sprint(out["errors"]), "Organization.websiteUrl is not served by the fake") {
		t.Errorf("unserved field: %v", out)
	}
}
