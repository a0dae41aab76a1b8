package github_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	gh "github.com/google/go-github/v89/github"

	"github.com/sextant-dev/sextant/internal/core"
	"github.com/sextant-dev/sextant/internal/github"
	"github.com/sextant-dev/sextant/internal/github/githubtest"
)

func TestRESTPagination(t *testing.T) {
	e := newEnv(t, githubtest.Options{}, github.Options{})
	e.fake.Mutate(func(st *githubtest.State) {
		for i := range 250 {
			st.AddMember("acme", fmt.Sprintf("user%03d", i), "member")
		}
		st.AddMember("acme", "boss", "admin")
	})
	ctx := context.Background()
	var logins []string
	var cursors []string
	cursor := ""
	for {
		p, err := e.client.OrgMembers(ctx, "acme", "member", cursor)
		if err != nil {
			t.Fatal(err)
		}
		if p.Cost.Requests != 1 || p.Cost.RESTPoints != 1 {
			t.Errorf("page %q cost %+v; want 1 request, 1 point", cursor, p.Cost)
		}
		for _, m := range p.Items {
			if m.Role != "member" {
				t.Errorf("%s has role %q", m.Actor.Login, m.Role)
			}
			logins = append(logins, m.Actor.Login)
		}
		cursors = append(cursors, p.Next)
		if p.Next == "" {
			break
		}
		cursor = p.Next
	}
	// 250 members at 100 a page: pages 1, 2 and 3 (50), then no next.
	if want := []string{"2", "3", ""}; !slices.Equal(cursors, want) {
		t.Errorf("next cursors %q; want %q", cursors, want)
	}
	slices.Sort(logins)
	if len(slices.Compact(logins)) != 250 || logins[0] != "user000" || logins[249] != "user249" {
		t.Errorf("got %d distinct members (%s … %s); want user000 … user249", len(logins), logins[0], logins[len(logins)-1])
	}
	admins, err := e.client.OrgMembers(ctx, "acme", "admin", "")
	if err != nil || len(admins.Items) != 1 || admins.Items[0].Actor.Login != "boss" {
		t.Errorf("admins: %+v, %v; want boss", admins.Items, err)
	}
	if _, err := e.client.OrgMembers(ctx, "acme", "owner", ""); err == nil || !strings.Contains(err.Error(), `role must be admin or member, got "owner"`) {
		t.Errorf("bad role: %v", err)
	}
	if st := e.fake.Stats(); st.RESTPoints != 4 {
		t.Errorf("fake charged %d REST points; want 4 (3 member pages + 1 admin page)", st.RESTPoints)
	}
}

func TestPullRequestsGraphQL(t *testing.T) {
	e := newEnv(t, githubtest.Options{}, github.Options{})
	e.repo("api", 100)
	ctx := context.Background()
	seen := map[int]bool{}
	reviews := 0
	pages := 0
	var prev time.Time
	for after := ""; ; {
		p, err := e.client.PullRequests(ctx, "acme", "api", github.PullQuery{After: after})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		// A page of 37 pull requests with 4 connections each needs
		// 1 + 4·37 = 149 requests: 149/100 rounds to 1 point.
		if p.Cost.GraphQLPoints != 1 || p.Cost.Requests != 1 {
			t.Errorf("page %d cost %+v; want 1 request and 1 point", pages, p.Cost)
		}
		for _, it := range p.Items {
			pr := it.Pull
			if seen[pr.Number] {
				t.Errorf("#%d seen twice", pr.Number)
			}
			seen[pr.Number] = true
			if !prev.IsZero() && pr.UpdatedAt.After(prev) {
				t.Errorf("#%d updated %s after the previous one (%s): want newest first", pr.Number, pr.UpdatedAt, prev)
			}
			prev = pr.UpdatedAt
			if len(it.Reviews) < 1 || len(it.Reviews) > 5 {
				t.Errorf("#%d has %d reviews; generated 1 to 5", pr.Number, len(it.Reviews))
			}
			reviews += len(it.Reviews)
			if pr.FirstCommitAt.IsZero() || !pr.FirstCommitAt.Equal(pr.CreatedAt.Add(-3*time.Hour)) {
				t.Errorf("#%d first commit at %s; generated 3h before creation %s", pr.Number, pr.FirstCommitAt, pr.CreatedAt)
			}
			if !pr.Merged || pr.State != "closed" || pr.MergeCommitSHA == "" || len(pr.Labels) != 1 || pr.ID == 0 || pr.AuthorID == 0 {
				t.Errorf("#%d: %+v", pr.Number, pr)
			}
			for _, rv := range it.Reviews {
				if rv.PullRequestID != pr.ID || rv.State != "APPROVED" || rv.ReviewerID == 0 || rv.CommitID != pr.HeadSHA {
					t.Errorf("#%d review %+v", pr.Number, rv)
				}
				if !slices.ContainsFunc(it.Actors, func(a core.Actor) bool { return a.ID == rv.ReviewerID }) {
					t.Errorf("#%d: reviewer %d not among the page's actors", pr.Number, rv.ReviewerID)
				}
			}
		}
		if p.Done {
			if p.Next != "" {
				t.Errorf("done with next %q", p.Next)
			}
			break
		}
		after = p.Next
	}
	// 100 pull requests at 37 a page: 37 + 37 + 26.
	if len(seen) != 100 || pages != 3 {
		t.Errorf("%d pull requests in %d pages; want 100 in 3", len(seen), pages)
	}
	var want int
	e.fake.Read(func(st *githubtest.State) {
		for _, p := range st.Repos["acme/api"].Pulls {
			want += len(p.Reviews)
		}
	})
	if reviews != want {
		t.Errorf("%d reviews; the fake holds %d", reviews, want)
	}
	if st := e.fake.Stats(); st.GraphQLPoints != 3 {
		t.Errorf("fake charged %d points; want 3", st.GraphQLPoints)
	}
	if u := usageOf(e.client.Budget(), github.ResourceGraphQL); u.Points != 3 || u.Requests != 3 || u.Budget.Remaining != 5000-3 {
		t.Errorf("client's usage %+v; want 3 requests, 3 points, 4997 left", u)
	}
}

func usageOf(b *github.Budget, resource string) github.Usage {
	for _, u := range b.Usage() {
		if u.Resource == resource {
			return u
		}
	}
	return github.Usage{}
}

func TestPullRequestsWatermark(t *testing.T) {
	e := newEnv(t, githubtest.Options{}, github.Options{})
	r := e.repo("api", 80)
	ctx := context.Background()
	first, err := e.client.PullRequests(ctx, "acme", "api", github.PullQuery{})
	if err != nil {
		t.Fatal(err)
	}
	watermark := first.Items[0].Pull.UpdatedAt
	e.clock.Advance(time.Hour)
	var touched []int
	e.fake.Mutate(func(st *githubtest.State) { touched = st.TouchPulls(r, 5, e.clock.Now()) })

	p, err := e.client.PullRequests(ctx, "acme", "api", github.PullQuery{Since: watermark.Add(time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for _, it := range p.Items {
		got = append(got, it.Pull.Number)
		if !strings.HasSuffix(it.Pull.Title, "(edited)") {
			t.Errorf("#%d title %q", it.Pull.Number, it.Pull.Title)
		}
	}
	slices.Sort(got)
	if !p.Done || !slices.Equal(got, touched) || p.Cost.GraphQLPoints != 1 {
		t.Errorf("since the watermark: %v (done %v, cost %+v); want exactly %v, done, 1 point", got, p.Done, p.Cost, touched)
	}
}

func TestConditionalRequests(t *testing.T) {
	validators := memValidators{}
	e := newEnv(t, githubtest.Options{}, github.Options{Validators: validators})
	e.fake.Mutate(func(st *githubtest.State) { st.AddMember("acme", "ann", "member") })
	ctx := context.Background()
	p, err := e.client.OrgMembers(ctx, "acme", "member", "")
	if err != nil || p.NotModified || len(p.Items) != 1 || p.Validator.ETag == "" {
		t.Fatalf("first fetch: %+v, %v", p, err)
	}
	// Not stored yet: the same request is a full answer again.
	p, _ = e.client.OrgMembers(ctx, "acme", "member", "")
	if p.NotModified || p.Cost.RESTPoints != 1 {
		t.Errorf("before saving the validator: %+v", p)
	}
	validators.save(p.Validator)
	p, err = e.client.OrgMembers(ctx, "acme", "member", "")
	if err != nil || !p.NotModified || len(p.Items) != 0 || p.Cost != (github.Cost{Requests: 1, NotModified: 1}) {
		t.Errorf("after saving: %+v, %v; want a free 304", p, err)
	}
	before := e.fake.Stats()
	// Fresh skips the validators.
	p, _ = e.client.OrgMembers(github.Fresh(ctx), "acme", "member", "")
	if p.NotModified || len(p.Items) != 1 {
		t.Errorf("fresh: %+v", p)
	}
	e.fake.Mutate(func(st *githubtest.State) { st.AddMember("acme", "bob", "member") })
	p, _ = e.client.OrgMembers(ctx, "acme", "member", "")
	if p.NotModified || len(p.Items) != 2 {
		t.Errorf("after a change: %+v; want both members", p)
	}
	if d := e.fake.Stats().RESTPoints - before.RESTPoints; d != 2 {
		t.Errorf("fake charged %d points for the fresh and the changed fetch; want 2", d)
	}
}

// memValidators is a ValidatorStore in memory.
type memValidators map[string]github.Validator

func (m memValidators) LookupHTTPCache(_ context.Context, url string) (string, string, error) {
	v := m[url]
	return v.ETag, v.LastModified, nil
}

func (m memValidators) save(v github.Validator) { m[v.URL] = v }

func TestPrimaryLimitWaitsForReset(t *testing.T) {
	e := newEnv(t, githubtest.Options{RESTLimit: 3}, github.Options{})
	e.fake.Mutate(func(st *githubtest.State) { st.AddMember("acme", "ann", "member") })
	ctx := context.Background()
	for i := range 5 {
		if _, err := e.client.OrgMembers(ctx, "acme", "member", ""); err != nil {
			t.Fatalf("request %d: %v", i+1, err)
		}
	}
	// The third answer said 0 remaining: the fourth request waited for the
	// window's reset (an hour after the first request) plus a second.
	sleeps := e.clock.Sleeps()
	if len(sleeps) != 1 || sleeps[0] != time.Hour+time.Second {
		t.Errorf("slept %v; want one wait of 1h0m1s", sleeps)
	}
	if st := e.fake.Stats(); st.RateLimited != 0 || st.RESTPoints != 5 {
		t.Errorf("fake stats %+v; want no refusal and 5 points", st)
	}
	if !strings.Contains(e.logs.String(), "reason=\"primary rate limit spent\"") || strings.Contains(e.logs.String(), "test-token") {
		t.Errorf("logs: %s\nwant the wait logged with its reason, never the token", e.logs.String())
	}
	if u := usageOf(e.client.Budget(), github.ResourceCore); u.Waits != 1 || u.Points != 5 {
		t.Errorf("usage %+v", u)
	}
}

func TestPrimaryLimitRefusedThenRetried(t *testing.T) {
	e := newEnv(t, githubtest.Options{RESTLimit: 2}, github.Options{})
	e.fake.Mutate(func(st *githubtest.State) { st.AddMember("acme", "ann", "member") })
	ctx := context.Background()
	if _, err := e.client.OrgMembers(ctx, "acme", "member", ""); err != nil {
		t.Fatal(err)
	}
	// Another process spends the rest of the budget: this client's view
	// (1 left) is stale, so GitHub refuses its next request.
	other, err := github.New(github.Options{BaseURL: e.srv.URL, Token: "test-token", Clock: e.clock})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.OrgMembers(ctx, "acme", "member", ""); err != nil {
		t.Fatal(err)
	}
	p, err := e.client.OrgMembers(ctx, "acme", "member", "")
	if err != nil || len(p.Items) != 1 {
		t.Fatalf("after the refusal: %+v, %v", p, err)
	}
	if st := e.fake.Stats(); st.RateLimited != 1 || st.RESTPoints != 3 {
		t.Errorf("fake stats %+v; want one refusal and 3 points", st)
	}
	if s := e.clock.Sleeps(); len(s) != 1 || s[0] != time.Hour+time.Second {
		t.Errorf("slept %v; want one wait until the reset", s)
	}
}

func TestGraphQLRateLimited(t *testing.T) {
	e := newEnv(t, githubtest.Options{GraphQLLimit: 2}, github.Options{})
	e.repo("api", 100)
	ctx := context.Background()
	n := 0
	for after := ""; ; {
		p, err := e.client.PullRequests(ctx, "acme", "api", github.PullQuery{After: after})
		if err != nil {
			t.Fatal(err)
		}
		n += len(p.Items)
		if p.Done {
			break
		}
		after = p.Next
	}
	// Three pages at 1 point on a budget of 2: the third waits for the reset.
	if n != 100 {
		t.Errorf("%d pull requests; want 100", n)
	}
	if s := e.clock.Sleeps(); len(s) != 1 || s[0] != time.Hour+time.Second {
		t.Errorf("slept %v; want one wait until the reset", s)
	}
}

func TestSecondaryLimit(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault githubtest.Fault
		want  []time.Duration
	}{
		// retry-after is obeyed as given.
		{"retry-after", githubtest.Fault{Kind: githubtest.FaultSecondary, RetryAfter: 30 * time.Second}, []time.Duration{30 * time.Second}},
		{"429 retry-after", githubtest.Fault{Kind: githubtest.FaultSecondary, Status: 429, RetryAfter: 5 * time.Second}, []time.Duration{5 * time.Second}},
		// Without it: at least a minute, then doubling.
		{"no retry-after", githubtest.Fault{Kind: githubtest.FaultSecondary, Times: 3}, []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, githubtest.Options{}, github.Options{})
			e.fake.Mutate(func(st *githubtest.State) { st.AddMember("acme", "ann", "member") })
			e.fake.Inject(tc.fault)
			p, err := e.client.OrgMembers(context.Background(), "acme", "member", "")
			if err != nil || len(p.Items) != 1 {
				t.Fatalf("%+v, %v", p, err)
			}
			if s := e.clock.Sleeps(); !slices.Equal(s, tc.want) {
				t.Errorf("slept %v; want %v", s, tc.want)
			}
			if st := e.fake.Stats(); st.Secondary != len(tc.want) {
				t.Errorf("secondary answers %d; want %d", st.Secondary, len(tc.want))
			}
		})
	}
	t.Run("gives up", func(t *testing.T) {
		e := newEnv(t, githubtest.Options{}, github.Options{SecondaryRetries: 2})
		e.fake.Mutate(func(st *githubtest.State) { st.AddMember("acme", "ann", "member") })
		e.fake.Inject(githubtest.Fault{Kind: githubtest.FaultSecondary, Times: 5})
		_, err := e.client.OrgMembers(context.Background(), "acme", "member", "")
		var ae *github.APIError
		if !errors.As(err, &ae) || ae.Status != 403 || !strings.Contains(err.Error(), "secondary rate limit") || !strings.Contains(err.Error(), "members of acme") {
			t.Errorf("err %v; want a 403 naming the listing and the secondary limit", err)
		}
	})
}

func TestServerErrorsRetried(t *testing.T) {
	e := newEnv(t, githubtest.Options{}, github.Options{})
	e.fake.Mutate(func(st *githubtest.State) { st.AddMember("acme", "ann", "member") })
	e.fake.Inject(githubtest.Fault{Kind: githubtest.FaultStatus, Status: 502, Times: 2})
	p, err := e.client.OrgMembers(context.Background(), "acme", "member", "")
	if err != nil || len(p.Items) != 1 {
		t.Fatalf("%+v, %v", p, err)
	}
	if s := e.clock.Sleeps(); !slices.Equal(s, []time.Duration{time.Second, 2 * time.Second}) {
		t.Errorf("slept %v; want backoff 1s, 2s", s)
	}
	// The retries are not charged; the answer is.
	if p.Cost.Requests != 1 || p.Cost.RESTPoints != 1 || e.fake.Stats().RESTPoints != 1 {
		t.Errorf("cost %+v, fake %+v", p.Cost, e.fake.Stats())
	}

	e.fake.Inject(githubtest.Fault{Kind: githubtest.FaultStatus, Status: 503, Times: 10})
	_, err = e.client.OrgMembers(context.Background(), "acme", "member", "")
	var ae *github.APIError
	if !errors.As(err, &ae) || ae.Status != 503 {
		t.Errorf("after 4 retries: %v; want the 503", err)
	}
	if left := e.fake.PendingFaults(); left != 5 {
		t.Errorf("%d faults left; want 10 - (1 + 4 retries) = 5", left)
	}
}

func TestMalformedAnswers(t *testing.T) {
	e := newEnv(t, githubtest.Options{}, github.Options{})
	e.repo("api", 10)
	e.fake.Mutate(func(st *githubtest.State) { st.AddMember("acme", "ann", "member") })
	ctx := context.Background()

	e.fake.Inject(githubtest.Fault{Kind: githubtest.FaultTruncate, Path: "/orgs/acme/members"})
	_, err := e.client.OrgMembers(ctx, "acme", "member", "")
	if !errors.Is(err, github.ErrMalformed) || !strings.Contains(err.Error(), "members of acme") {
		t.Errorf("truncated body: %v; want ErrMalformed naming the listing", err)
	}
	e.fake.Inject(githubtest.Fault{Kind: githubtest.FaultMalformed, Path: "/graphql"})
	_, err = e.client.PullRequests(ctx, "acme", "api", github.PullQuery{})
	if !errors.Is(err, github.ErrMalformed) || !strings.Contains(err.Error(), "pull requests of acme/api") {
		t.Errorf("HTML instead of JSON: %v; want ErrMalformed", err)
	}
	e.fake.Inject(githubtest.Fault{Kind: githubtest.FaultTruncate, Path: "/graphql"})
	_, err = e.client.PullRequests(ctx, "acme", "api", github.PullQuery{})
	if !errors.Is(err, github.ErrMalformed) {
		t.Errorf("truncated GraphQL: %v; want ErrMalformed", err)
	}
	// A connection cut mid-body is a network error: retried, then fine.
	e.fake.Inject(githubtest.Fault{Kind: githubtest.FaultReset, Path: "/graphql"})
	p, err := e.client.PullRequests(ctx, "acme", "api", github.PullQuery{})
	if err != nil || len(p.Items) != 10 {
		t.Errorf("after a cut connection: %d items, %v", len(p.Items), err)
	}
	// Nothing broke for good: the next page is fine.
	if p, err := e.client.OrgMembers(ctx, "acme", "member", ""); err != nil || len(p.Items) != 1 {
		t.Errorf("afterwards: %+v, %v", p, err)
	}
}

func TestSlowAnswerTimesOut(t *testing.T) {
	e := newEnv(t, githubtest.Options{}, github.Options{RequestTimeout: 50 * time.Millisecond})
	e.fake.Mutate(func(st *githubtest.State) { st.AddMember("acme", "ann", "member") })
	e.fake.Inject(githubtest.Fault{Kind: githubtest.FaultSlow, Delay: 2 * time.Second})
	p, err := e.client.OrgMembers(context.Background(), "acme", "member", "")
	if err != nil || len(p.Items) != 1 {
		t.Fatalf("%+v, %v", p, err)
	}
	if u := usageOf(e.client.Budget(), github.ResourceCore); u.Retries != 1 {
		t.Errorf("usage %+v; want one retry after the timeout", u)
	}
}

func TestSerialPerToken(t *testing.T) {
	for _, conc := range []int{1, 2} {
		t.Run(fmt.Sprint(conc), func(t *testing.T) {
			e := newEnv(t, githubtest.Options{}, github.Options{Concurrency: conc})
			e.fake.Mutate(func(st *githubtest.State) { st.AddMember("acme", "ann", "member") })
			// Slow answers make overlapping requests visible to the fake.
			e.fake.Inject(githubtest.Fault{Kind: githubtest.FaultSlow, Delay: 20 * time.Millisecond, Times: 8})
			var wg sync.WaitGroup
			for range 8 {
				wg.Go(func() {
					if _, err := e.client.OrgMembers(context.Background(), "acme", "member", ""); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			if got := e.fake.Stats().MaxInFlight; got != conc {
				t.Errorf("%d requests in flight at most; want %d (the configured concurrency)", got, conc)
			}
		})
	}
}

// A query that costs more than the points left is refused with RATE_LIMITED
// while remaining is still above 0: the client waits for the reset too.
func TestGraphQLCostAboveRemaining(t *testing.T) {
	e := newEnv(t, githubtest.Options{GraphQLLimit: 2}, github.Options{})
	e.repo("api", 60)
	ctx := context.Background()
	// 1 + 4·50 = 201 requests: 2 points; after a 1-point query 1 is left.
	if _, err := e.client.PullRequests(ctx, "acme", "api", github.PullQuery{PageSize: 10}); err != nil {
		t.Fatal(err)
	}
	p, err := e.client.PullRequests(ctx, "acme", "api", github.PullQuery{PageSize: 50})
	if err != nil || len(p.Items) != 50 {
		t.Fatalf("%d items, %v", len(p.Items), err)
	}
	if st := e.fake.Stats(); st.RateLimited != 1 || st.GraphQLPoints != 3 {
		t.Errorf("fake stats %+v; want one refusal, then 1 + 2 points", st)
	}
	if s := e.clock.Sleeps(); len(s) != 1 || s[0] != time.Hour+time.Second {
		t.Errorf("slept %v; want one wait until the reset", s)
	}
}

// A pull request with more reviews than the first page holds gets them all,
// for one more query.
func TestManyReviews(t *testing.T) {
	e := newEnv(t, githubtest.Options{}, github.Options{})
	r := e.repo("api", 3)
	var want int
	e.fake.Mutate(func(st *githubtest.State) {
		by := st.AddUser("reviewer")
		for range 60 {
			if _, err := st.AddReview(r, 2, by, "COMMENTED", e.clock.Now()); err != nil {
				t.Fatal(err)
			}
		}
		want = len(r.Pulls[2].Reviews)
	})
	it, cost, err := e.client.PullRequest(context.Background(), "acme", "api", 2)
	if err != nil {
		t.Fatal(err)
	}
	// Generated 1 to 5, plus 60: more than the 50 of the first page.
	if len(it.Reviews) != want || want <= 60 || cost.GraphQLPoints != 2 || cost.Requests != 2 {
		t.Errorf("%d reviews for %+v; want %d for 2 queries and 2 points", len(it.Reviews), cost, want)
	}
	ids := map[int64]bool{}
	for _, rv := range it.Reviews {
		ids[rv.ID] = true
	}
	if len(ids) != want {
		t.Errorf("%d distinct review ids; want %d", len(ids), want)
	}
	if _, _, err := e.client.PullRequest(context.Background(), "acme", "api", 99); !errors.Is(err, github.ErrNotFound) {
		t.Errorf("missing pull request: %v; want ErrNotFound", err)
	}
}

func TestPullRequestsByState(t *testing.T) {
	e := newEnv(t, githubtest.Options{}, github.Options{})
	r := e.repo("api", 12)
	e.fake.Mutate(func(st *githubtest.State) {
		for _, n := range []int{3, 5} {
			c := *r.Pulls[n].GH
			c.State, c.Merged, c.MergedAt, c.ClosedAt = gh.Ptr("open"), gh.Ptr(false), nil, nil
			r.Pulls[n].GH = &c
		}
	})
	p, err := e.client.PullRequests(context.Background(), "acme", "api", github.PullQuery{States: []string{"OPEN"}})
	var got []int
	for _, it := range p.Items {
		got = append(got, it.Pull.Number)
	}
	slices.Sort(got)
	if err != nil || !slices.Equal(got, []int{3, 5}) || !p.Done {
		t.Errorf("open: %v, %v", got, err)
	}
	if _, err := e.client.PullRequests(context.Background(), "acme", "api", github.PullQuery{States: []string{"open"}}); err == nil || !strings.Contains(err.Error(), `state "open" is not OPEN, CLOSED or MERGED`) {
		t.Errorf("bad state: %v", err)
	}
}
