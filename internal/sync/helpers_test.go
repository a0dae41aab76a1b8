package sync_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	gh "github.com/google/go-github/v89/github"

	"github.com/sextant-dev/sextant/internal/demo"
	"github.com/sextant-dev/sextant/internal/github"
	"github.com/sextant-dev/sextant/internal/github/githubtest"
	"github.com/sextant-dev/sextant/internal/store"
	ghsync "github.com/sextant-dev/sextant/internal/sync"
)

// start is the fake's clock at the beginning of every test.
var start = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// env is a fake GitHub on loopback, a client and a syncer for it, sharing
// a manual clock: waits for rate limits and backoffs take no real time.
type env struct {
	fake   *githubtest.Server
	clock  *github.ManualClock
	db     *store.DB
	client *github.Client
	syncer *ghsync.Syncer
	org    string
	url    string // the fake's base URL
}

func newEnv(t testing.TB, db *store.DB, fo githubtest.Options, so ghsync.Options) *env {
	t.Helper()
	e := &env{clock: github.NewManualClock(start), db: db}
	fo.Now = e.clock.Now
	fake, err := githubtest.New(fo)
	if err != nil {
		t.Fatal(err)
	}
	e.fake = fake
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	e.url = srv.URL
	c, err := github.New(github.Options{BaseURL: srv.URL, Token: "test-token", Clock: e.clock, Validators: db})
	if err != nil {
		t.Fatal(err)
	}
	e.client = c
	so.Now = e.clock.Now
	if so.Log == nil {
		so.Log = slog.New(slog.DiscardHandler)
	}
	e.syncer = ghsync.New(db, c, so)
	return e
}

// demoOptions is the generated organization of the tests: a month of a
// small one (about 160 pull requests, 50 issues, 2,300 deliveries).
var demoOptions = demo.Options{Seed: 1, End: start.Add(-time.Hour), Months: 1}

// loadDemo fills the fake with the tests' generated organization, moves
// one of its open issues to another repository (a month of the demo has
// no transfer), and points the syncer at it.
func (e *env) loadDemo(t testing.TB) *demo.Summary {
	t.Helper()
	sum, err := e.fake.Load(demoOptions)
	if err != nil {
		t.Fatal(err)
	}
	e.org = sum.Roster.Org
	e.fake.Mutate(func(st *githubtest.State) {
		names := reposWithIssues(st, e.org)
		from := st.Repos[names[0]]
		var open []int
		for n, is := range from.Issues {
			if is.GH.GetState() == "open" {
				open = append(open, n)
			}
		}
		slices.Sort(open)
		moveIssue(st, from, open[len(open)-1], st.Repos[names[1]], st.Repos[names[0]].Issues[open[len(open)-1]].GH.GetCreatedAt().Time)
	})
	e.syncer = ghsync.New(e.db, e.client, ghsync.Options{Orgs: []string{e.org}, Now: e.clock.Now})
	return sum
}

// reposWithIssues are the organization's repositories with issues and
// GitHub deployments, by name.
func reposWithIssues(st *githubtest.State, org string) []string {
	var names []string
	for full, r := range st.Repos {
		if r.GH.GetOwner().GetLogin() == org && !r.GH.GetFork() && len(r.Issues) > 0 && len(r.Deployments) > 0 {
			names = append(names, full)
		}
	}
	slices.Sort(names)
	return names
}

// moveIssue transfers issue n of from to to at at, as GitHub does: the
// issue leaves its repository, its old number answers with a redirect,
// and it is opened anew in the other with a new id and number.
func moveIssue(st *githubtest.State, from *githubtest.Repo, n int, to *githubtest.Repo, at time.Time) int {
	moved := *from.Issues[n].GH
	delete(from.Issues, n)
	number := 0
	for k := range to.Pulls {
		number = max(number, k)
	}
	for k := range to.Issues {
		number = max(number, k)
	}
	number++
	moved.ID, moved.Number, moved.CreatedAt, moved.UpdatedAt = gh.Ptr(st.NewID()), gh.Ptr(number), ts(at), ts(at)
	moved.RepositoryURL = gh.Ptr("https://api.github.com/repos/" + to.GH.GetFullName())
	to.Issues[number] = &githubtest.Issue{GH: &moved}
	from.Moved[n] = githubtest.Moved{Repo: to.GH.GetFullName(), Number: number}
	return number
}

// ts is a GitHub timestamp.
func ts(t time.Time) *gh.Timestamp { return &gh.Timestamp{Time: t.UTC().Truncate(time.Second)} }

// sync runs a sync and fails the test on an error.
func (e *env) sync(t testing.TB, mode ghsync.Mode) {
	t.Helper()
	if err := e.syncer.Run(context.Background(), mode); err != nil {
		t.Fatalf("sync: %v", err)
	}
}

func tm(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func gtm(t *gh.Timestamp) string {
	if t == nil {
		return "-"
	}
	return tm(t.Time)
}

// snapshot is everything the sync keeps, one line per object, keyed by
// what identifies it: the fake's truth and the store's copy compare with
// go-cmp.
type snapshot map[string]string

func sortedLabels(ls []*gh.Label) string {
	var names []string
	for _, l := range ls {
		names = append(names, l.GetName())
	}
	slices.Sort(names)
	return strings.Join(names, ",")
}

// fakeSnapshot is what the fake holds, in the terms of the store.
func fakeSnapshot(e *env) snapshot {
	out := snapshot{}
	e.fake.Read(func(st *githubtest.State) {
		for login, o := range st.Orgs {
			if login != e.org {
				continue
			}
			for _, m := range o.Members {
				out[fmt.Sprintf("member %s %d", login, m.User.GetID())] = m.Role
			}
			for slug, tm := range o.Teams {
				out["team "+login+"/"+slug] = fmt.Sprintf("id=%d name=%s", tm.GH.GetID(), tm.GH.GetName())
				for _, m := range tm.Members {
					out[fmt.Sprintf("team member %s/%s %d", login, slug, m.User.GetID())] = m.Role
				}
			}
		}
		for full, r := range st.Repos {
			if r.GH.GetOwner().GetLogin() != e.org || r.GH.GetFork() {
				continue
			}
			out["repo "+full] = strconv.FormatInt(r.GH.GetID(), 10)
			for n, p := range r.Pulls {
				out[fmt.Sprintf("pull %s#%d", full, n)] = fakePull(r, p)
				reviews := map[int64]*gh.PullRequestReview{}
				for _, rv := range p.Reviews {
					reviews[rv.GetID()] = rv
				}
				for id, rv := range reviews {
					out[fmt.Sprintf("review %s#%d %d", full, n, id)] = fmt.Sprintf("state=%s by=%d at=%s commit=%s",
						strings.ToUpper(rv.GetState()), rv.GetUser().GetID(), gtm(rv.SubmittedAt), rv.GetCommitID())
				}
			}
			for n, is := range r.Issues {
				i := is.GH
				out[fmt.Sprintf("issue %s#%d", full, n)] = fmt.Sprintf("id=%d title=%q state=%s reason=%s author=%d comments=%d created=%s updated=%s closed=%s labels=%s body=%d",
					i.GetID(), i.GetTitle(), i.GetState(), i.GetStateReason(), i.GetUser().GetID(), i.GetComments(),
					gtm(i.CreatedAt), gtm(i.UpdatedAt), gtm(i.ClosedAt), sortedLabels(i.Labels), len(i.GetBody()))
				for _, ev := range r.Timelines[n] {
					if ev.GetID() == 0 {
						continue
					}
					who := ev.Actor
					if who == nil {
						who = ev.User
					}
					out[fmt.Sprintf("event %s#%d %d", full, n, ev.GetID())] = fmt.Sprintf("%s by=%d label=%s at=%s",
						ev.GetEvent(), who.GetID(), ev.GetLabel().GetName(), gtm(ev.CreatedAt))
				}
			}
			for old, m := range r.Moved {
				out[fmt.Sprintf("transfer %s#%d", full, old)] = fmt.Sprintf("%s#%d", m.Repo, m.Number)
			}
			for _, d := range r.Deployments {
				out[fmt.Sprintf("deployment %s %d", full, d.GH.GetID())] = fakeDeployment(d)
				for _, s := range d.Statuses {
					out[fmt.Sprintf("deployment status %s %d", full, s.GetID())] = fmt.Sprintf("%s at=%s", github.DeployState(s.GetState()), gtm(s.CreatedAt))
				}
			}
			for k, v := range fakeShipped(r) {
				out[fmt.Sprintf("shipped %s %s", full, k)] = v
			}
			for _, w := range r.Runs {
				out[fmt.Sprintf("run %s %d", full, w.GH.GetID())] = fmt.Sprintf("status=%s conclusion=%s sha=%s attempt=%d",
					w.GH.GetStatus(), w.GH.GetConclusion(), w.GH.GetHeadSHA(), w.GH.GetRunAttempt())
				completed := "-"
				if w.GH.GetStatus() == "completed" {
					completed = gtm(w.GH.UpdatedAt)
				}
				out[fmt.Sprintf("job %s %d", full, w.GH.GetID()*10+1)] = fmt.Sprintf("deploy status=%s completed=%s", w.GH.GetStatus(), completed)
			}
			for _, rel := range r.Releases {
				out[fmt.Sprintf("release %s %d", full, rel.ID)] = fmt.Sprintf("tag=%s draft=%t pre=%t published=%s",
					rel.TagName, rel.Draft, rel.Prerelease, gtm(rel.PublishedAt))
			}
		}
	})
	return out
}

func fakePull(r *githubtest.Repo, p *githubtest.Pull) string {
	g := p.GH
	state := g.GetState()
	merge := "-"
	if g.GetMerged() && g.GetMergeCommitSHA() != "" {
		merge = g.GetMergeCommitSHA()
	}
	// The first commit: the fake's commits of the pull request, or for one
	// from a fork one commit at its head, authored when it was opened.
	first, commits := gtm(g.CreatedAt), 0
	for _, sha := range p.Commits {
		if c := r.Commits[sha]; c != nil {
			if commits == 0 {
				first = gtm(c.GetCommit().GetAuthor().Date)
			}
			commits++
		}
	}
	if commits == 0 && g.GetHead().GetSHA() != "" {
		commits = 1
	}
	return fmt.Sprintf("id=%d title=%q state=%s draft=%t merged=%t merge=%s author=%d by=%d head=%s@%s base=%s created=%s updated=%s closed=%s mergedat=%s first=%s +%d -%d files=%d commits=%d reviewcomments=%d labels=%s",
		g.GetID(), g.GetTitle(), state, g.GetDraft(), g.GetMerged(), merge, g.GetUser().GetID(), g.GetMergedBy().GetID(),
		g.GetHead().GetRef(), g.GetHead().GetSHA(), g.GetBase().GetRef(), gtm(g.CreatedAt), gtm(g.UpdatedAt), gtm(g.ClosedAt),
		gtm(g.MergedAt), first, g.GetAdditions(), g.GetDeletions(), g.GetChangedFiles(), commits, g.GetReviewComments(), sortedLabels(g.Labels))
}

func fakeDeployment(d *githubtest.Deployment) string {
	status := "pending"
	var latest *gh.DeploymentStatus
	for _, s := range d.Statuses {
		if latest == nil || !s.GetCreatedAt().Before(latest.GetCreatedAt().Time) {
			latest = s
		}
	}
	if latest != nil {
		status = github.DeployState(latest.GetState())
	}
	env := d.GH.GetEnvironment()
	if env == "" {
		env = "production"
	}
	return fmt.Sprintf("env=%s sha=%s ref=%s task=%s creator=%d status=%s created=%s",
		env, strings.ToLower(d.GH.GetSHA()), d.GH.GetRef(), d.GH.GetTask(), d.GH.GetCreator().GetID(), status, gtm(d.GH.CreatedAt))
}

// fakeShipped is what each successful deployment shipped: the commits of
// the branch holding both shas after the previous successful deployment
// of its environment, up to its own (none for the first).
func fakeShipped(r *githubtest.Repo) map[string]string {
	type dep struct {
		id       int64
		env, sha string
		created  time.Time
	}
	var ok []dep
	for _, d := range r.Deployments {
		if fakeDeploymentSucceeded(d) {
			env := d.GH.GetEnvironment()
			if env == "" {
				env = "production"
			}
			ok = append(ok, dep{d.GH.GetID(), env, strings.ToLower(d.GH.GetSHA()), d.GH.GetCreatedAt().Time})
		}
	}
	sort.SliceStable(ok, func(i, j int) bool {
		if ok[i].env != ok[j].env {
			return ok[i].env < ok[j].env
		}
		if !ok[i].created.Equal(ok[j].created) {
			return ok[i].created.Before(ok[j].created)
		}
		return ok[i].id < ok[j].id
	})
	out := map[string]string{}
	for i, d := range ok {
		var shas []string
		if i > 0 && ok[i-1].env == d.env && ok[i-1].sha != d.sha {
			shas = between(r, ok[i-1].sha, d.sha)
		}
		slices.Sort(shas)
		out[strconv.FormatInt(d.id, 10)] = strings.Join(shas, ",")
	}
	return out
}

// fakeDeploymentSucceeded: one of its statuses is a success (a later
// inactive one does not undo it).
func fakeDeploymentSucceeded(d *githubtest.Deployment) bool {
	for _, s := range d.Statuses {
		if github.DeployState(s.GetState()) == "success" {
			return true
		}
	}
	return false
}

// between is the fake's compare: the commits after base up to head on the
// first branch (main first) that has both.
func between(r *githubtest.Repo, base, head string) []string {
	branches := []string{r.GH.GetDefaultBranch()}
	var rest []string
	for b := range r.Branches {
		if b != branches[0] {
			rest = append(rest, b)
		}
	}
	sort.Strings(rest)
	for _, b := range append(branches, rest...) {
		log := r.Branches[b]
		bi, hi := slices.Index(log, base), slices.Index(log, head)
		if bi < 0 || hi < 0 {
			continue
		}
		if hi > bi {
			return slices.Clone(log[bi+1 : hi+1])
		}
		return nil
	}
	return nil
}

// storeSnapshot is what the store holds, in the same terms.
func storeSnapshot(t testing.TB, e *env) snapshot {
	t.Helper()
	ctx := context.Background()
	q := e.db.R
	out := snapshot{}
	rows := func(query string, args []any, scan func(func(...any) error) error) {
		t.Helper()
		rs, err := q.QueryContext(ctx, query, args...)
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		defer rs.Close()
		for rs.Next() {
			if err := scan(rs.Scan); err != nil {
				t.Fatal(err)
			}
		}
		if err := rs.Err(); err != nil {
			t.Fatal(err)
		}
	}
	org, err := store.OrganizationByLogin(ctx, q, e.org)
	if err != nil {
		t.Fatal(err)
	}
	members, err := store.CurrentOrgMembers(ctx, q, org.ID)
	if err != nil {
		t.Fatal(err)
	}
	for id, role := range members {
		out[fmt.Sprintf("member %s %d", e.org, id)] = role
	}
	teams, err := store.TeamsOf(ctx, q, org.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, tm := range teams {
		out["team "+e.org+"/"+tm.Slug] = fmt.Sprintf("id=%d name=%s", tm.ID, tm.Name)
		ms, err := store.CurrentTeamMembers(ctx, q, tm.ID)
		if err != nil {
			t.Fatal(err)
		}
		for id, role := range ms {
			out[fmt.Sprintf("team member %s/%s %d", e.org, tm.Slug, id)] = role
		}
	}
	names, err := store.RepositoriesOf(ctx, q, e.org)
	if err != nil {
		t.Fatal(err)
	}
	repoNames := map[int64]string{}
	for _, full := range names {
		r, err := e.db.RepositoryByName(ctx, full)
		if err != nil {
			t.Fatal(err)
		}
		repoNames[r.ID] = full
		out["repo "+full] = strconv.FormatInt(r.GitHubID, 10)
		var ids []int64
		rows(`SELECT id FROM pull_requests WHERE repo_id = $1`, []any{r.ID}, func(scan func(...any) error) error {
			var id int64
			err := scan(&id)
			ids = append(ids, id)
			return err
		})
		for _, id := range ids {
			p, err := store.GetPullRequest(ctx, q, id)
			if err != nil {
				t.Fatal(err)
			}
			merge := p.MergeCommitSHA
			if merge == "" {
				merge = "-"
			}
			out[fmt.Sprintf("pull %s#%d", full, p.Number)] = fmt.Sprintf("id=%d title=%q state=%s draft=%t merged=%t merge=%s author=%d by=%d head=%s@%s base=%s created=%s updated=%s closed=%s mergedat=%s first=%s +%d -%d files=%d commits=%d reviewcomments=%d labels=%s",
				p.ID, p.Title, p.State, p.Draft, p.Merged, merge, p.AuthorID, p.MergedByID, p.HeadRef, p.HeadSHA, p.BaseRef,
				tm(p.CreatedAt), tm(p.UpdatedAt), tm(p.ClosedAt), tm(p.MergedAt), tm(p.FirstCommitAt), p.Additions, p.Deletions,
				p.ChangedFiles, p.Commits, p.ReviewComments, strings.Join(p.Labels, ","))
		}
		rows(`SELECT r.id, p.number, r.state, r.reviewer_id, r.submitted_at, r.commit_id FROM reviews r
			JOIN pull_requests p ON p.id = r.pull_request_id WHERE r.repo_id = $1`, []any{r.ID}, func(scan func(...any) error) error {
			var (
				id, by, at int64
				n          int
				state, sha string
			)
			if err := scan(&id, &n, &state, &by, &at, &sha); err != nil {
				return err
			}
			out[fmt.Sprintf("review %s#%d %d", full, n, id)] = fmt.Sprintf("state=%s by=%d at=%s commit=%s", state, by, tm(time.UnixMilli(at)), sha)
			return nil
		})
		var issues []store.IssueRef
		rows(`SELECT id, number FROM issues WHERE repo_id = $1 AND NOT deleted AND COALESCE(state_reason, '') <> 'transferred'`, []any{r.ID},
			func(scan func(...any) error) error {
				var ref store.IssueRef
				err := scan(&ref.ID, &ref.Number)
				issues = append(issues, ref)
				return err
			})
		for _, ref := range issues {
			i, err := store.GetIssue(ctx, q, ref.ID)
			if err != nil {
				t.Fatal(err)
			}
			out[fmt.Sprintf("issue %s#%d", full, i.Number)] = fmt.Sprintf("id=%d title=%q state=%s reason=%s author=%d comments=%d created=%s updated=%s closed=%s labels=%s body=%d",
				i.ID, i.Title, i.State, i.StateReason, i.AuthorID, i.Comments, tm(i.CreatedAt), tm(i.UpdatedAt), tm(i.ClosedAt),
				strings.Join(i.Labels, ","), len(i.Body))
		}
		rows(`SELECT e.id, e.issue_number, e.event, COALESCE(e.actor_id, 0), COALESCE(e.label, ''), e.created_at FROM issue_events e
			WHERE e.repo_id = $1 AND EXISTS (SELECT 1 FROM issues i WHERE i.repo_id = e.repo_id AND i.number = e.issue_number
				AND NOT i.deleted AND COALESCE(i.state_reason, '') <> 'transferred')`, []any{r.ID},
			func(scan func(...any) error) error {
				var (
					id, by, at   int64
					n            int
					event, label string
				)
				if err := scan(&id, &n, &event, &by, &label, &at); err != nil {
					return err
				}
				out[fmt.Sprintf("event %s#%d %d", full, n, id)] = fmt.Sprintf("%s by=%d label=%s at=%s", event, by, label, tm(time.UnixMilli(at)))
				return nil
			})
		rows(`SELECT d.id, d.source_id, d.environment, COALESCE(d.sha, ''), COALESCE(d.ref, ''), COALESCE(d.task, ''),
			COALESCE(d.creator_id, 0), d.status, d.created_at FROM deployments d WHERE d.repo_id = $1 AND d.source = 'github'`, []any{r.ID},
			func(scan func(...any) error) error {
				var (
					id, creator, created          int64
					sid, env, sha, ref, task, stt string
				)
				if err := scan(&id, &sid, &env, &sha, &ref, &task, &creator, &stt, &created); err != nil {
					return err
				}
				out[fmt.Sprintf("deployment %s %s", full, sid)] = fmt.Sprintf("env=%s sha=%s ref=%s task=%s creator=%d status=%s created=%s",
					env, sha, ref, task, creator, stt, tm(time.UnixMilli(created)))
				var succeeded bool
				if err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM deployment_statuses WHERE deployment_id = $1
					AND state = 'success')`, id).Scan(&succeeded); err != nil {
					return err
				}
				if succeeded {
					shas, err := store.DeploymentCommits(ctx, q, id)
					if err != nil {
						return err
					}
					out[fmt.Sprintf("shipped %s %s", full, sid)] = strings.Join(shas, ",")
				}
				return nil
			})
		rows(`SELECT s.source_id, s.state, s.created_at FROM deployment_statuses s JOIN deployments d ON d.id = s.deployment_id
			WHERE d.repo_id = $1`, []any{r.ID}, func(scan func(...any) error) error {
			var (
				sid, state string
				at         int64
			)
			if err := scan(&sid, &state, &at); err != nil {
				return err
			}
			out[fmt.Sprintf("deployment status %s %s", full, sid)] = fmt.Sprintf("%s at=%s", state, tm(time.UnixMilli(at)))
			return nil
		})
		rows(`SELECT id, COALESCE(status, ''), COALESCE(conclusion, ''), COALESCE(head_sha, ''), COALESCE(run_attempt, 0)
			FROM workflow_runs WHERE repo_id = $1`, []any{r.ID}, func(scan func(...any) error) error {
			var (
				id, attempt             int64
				status, conclusion, sha string
			)
			if err := scan(&id, &status, &conclusion, &sha, &attempt); err != nil {
				return err
			}
			out[fmt.Sprintf("run %s %d", full, id)] = fmt.Sprintf("status=%s conclusion=%s sha=%s attempt=%d", status, conclusion, sha, attempt)
			return nil
		})
		rows(`SELECT id, name, COALESCE(status, ''), completed_at FROM workflow_jobs WHERE repo_id = $1`, []any{r.ID},
			func(scan func(...any) error) error {
				var (
					id           int64
					name, status string
					completed    *int64
				)
				if err := scan(&id, &name, &status, &completed); err != nil {
					return err
				}
				c := "-"
				if completed != nil {
					c = tm(time.UnixMilli(*completed))
				}
				out[fmt.Sprintf("job %s %d", full, id)] = fmt.Sprintf("%s status=%s completed=%s", name, status, c)
				return nil
			})
		rows(`SELECT id, tag_name, draft, prerelease, published_at FROM releases WHERE repo_id = $1`, []any{r.ID},
			func(scan func(...any) error) error {
				var (
					id        int64
					tag       string
					draft, pr bool
					published *int64
				)
				if err := scan(&id, &tag, &draft, &pr, &published); err != nil {
					return err
				}
				p := "-"
				if published != nil {
					p = tm(time.UnixMilli(*published))
				}
				out[fmt.Sprintf("release %s %d", full, id)] = fmt.Sprintf("tag=%s draft=%t pre=%t published=%s", tag, draft, pr, p)
				return nil
			})
	}
	rows(`SELECT old_repo_id, old_number, COALESCE(new_repo_id, 0), COALESCE(new_number, 0) FROM issue_transfers`, nil,
		func(scan func(...any) error) error {
			var (
				oldRepo, newRepo int64
				oldN, newN       int
			)
			if err := scan(&oldRepo, &oldN, &newRepo, &newN); err != nil {
				return err
			}
			if repoNames[oldRepo] != "" {
				out[fmt.Sprintf("transfer %s#%d", repoNames[oldRepo], oldN)] = fmt.Sprintf("%s#%d", repoNames[newRepo], newN)
			}
			return nil
		})
	return out
}

// sameAsFake fails the test with the differences between the store and
// the fake.
func sameAsFake(t testing.TB, e *env) {
	t.Helper()
	want, got := fakeSnapshot(e), storeSnapshot(t, e)
	if diff := cmp.Diff(want, got); diff != "" {
		lines := strings.Split(diff, "\n")
		if len(lines) > 60 {
			lines = append(lines[:60], fmt.Sprintf("… %d more lines", len(lines)-60))
		}
		t.Errorf("the store differs from the fake (-fake +store):\n%s", strings.Join(lines, "\n"))
	}
}

// count is one number from the store.
func count(t testing.TB, e *env, query string, args ...any) int {
	t.Helper()
	var n int
	if err := e.db.R.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}
