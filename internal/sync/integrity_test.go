package sync_test

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/sextant-dev/sextant/internal/demo"
	"github.com/sextant-dev/sextant/internal/github"
	"github.com/sextant-dev/sextant/internal/github/githubtest"
	"github.com/sextant-dev/sextant/internal/ingest"
	"github.com/sextant-dev/sextant/internal/jobs"
	"github.com/sextant-dev/sextant/internal/store"
	"github.com/sextant-dev/sextant/internal/store/storetest"
	ghsync "github.com/sextant-dev/sextant/internal/sync"
)

// checkEnv is an organization the store received as webhooks and then
// synced, a checker with the organization's hook, and a runner for the
// repairs. GitHub's redeliveries reach the store as GitHub would send
// them: the fake calls back with each, and the original payload is stored.
type checkEnv struct {
	*env
	hooks   *ingest.Webhooks
	runner  *jobs.Runner
	checker *ghsync.Checker
	hook    github.HookRef
	bodies  map[string]ingest.Delivery
}

func newCheckEnv(t *testing.T, db *store.DB) *checkEnv {
	t.Helper()
	ce := &checkEnv{bodies: map[string]ingest.Delivery{}}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ce.hooks = ingest.NewWebhooks(db, log, ingest.WebhookOptions{})
	ce.env = newEnv(t, db, githubtest.Options{Redelivered: func(d githubtest.Delivery) {
		orig, ok := ce.bodies[d.GUID]
		if !ok {
			t.Errorf("GitHub redelivered %s, which the test never sent", d.GUID)
			return
		}
		if _, err := ce.hooks.Store(context.Background(), []ingest.Delivery{orig}); err != nil {
			t.Errorf("store redelivery %s: %v", d.GUID, err)
		}
	}}, ghsync.Options{})
	opts := demoOptions
	if _, err := ce.fake.Load(opts); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var batch []ingest.Delivery
	sum, err := demo.Stream(opts, func(it *demo.Item) error {
		if it.Delivery == nil {
			return nil
		}
		body, err := it.Delivery.Body()
		if err != nil {
			return err
		}
		d := ingest.Delivery{GUID: it.Delivery.GUID, Event: it.Delivery.Event, Action: it.Delivery.Action, Body: body, ReceivedAt: it.Time}
		ce.bodies[d.GUID] = d
		batch = append(batch, d)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ce.hooks.Store(ctx, batch); err != nil {
		t.Fatal(err)
	}
	if st, err := ce.hooks.ProjectPending(ctx); err != nil || st.Failed > 0 {
		t.Fatalf("project the demo: %+v, %v", st, err)
	}
	ce.org = sum.Roster.Org
	ce.fake.Read(func(st *githubtest.State) {
		ce.hook = github.HookRef{Kind: github.HookOrg, Owner: ce.org, ID: st.Orgs[ce.org].Hook.ID}
	})
	ce.syncer = ghsync.New(db, ce.client, ghsync.Options{Orgs: []string{ce.org}, Now: ce.clock.Now})
	ce.runner = jobs.New(db, log, nil, jobs.Options{Now: ce.clock.Now, MaxAttempts: 3})
	ce.checker = ghsync.NewChecker(ce.syncer, ce.runner, ghsync.CheckOptions{
		Hooks: []github.HookRef{ce.hook},
		Project: func(ctx context.Context) error {
			_, err := ce.hooks.ProjectPending(ctx)
			return err
		},
	})
	ce.runner.Handle(ghsync.KindRepair, ce.checker.HandleRepair)
	return ce
}

// check runs a check of everything and returns the findings by scope and
// kind.
func (ce *checkEnv) check(t *testing.T) (map[string][]ghsync.Finding, []ghsync.Result) {
	t.Helper()
	res, err := ce.checker.Run(context.Background(), ghsync.Targets{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]ghsync.Finding{}
	for _, r := range res {
		if r.Err != nil {
			t.Errorf("check %s: %v", r.Scope, r.Err)
		}
		if len(r.Findings) > 0 {
			out[r.Scope] = r.Findings
		}
	}
	return out, res
}

// repair runs every due repair job.
func (ce *checkEnv) repair(t *testing.T) int {
	t.Helper()
	n := 0
	for {
		ran, err := ce.runner.RunOne(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !ran {
			return n
		}
		n++
	}
}

func kinds(fs []ghsync.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Kind)
	}
	slices.Sort(out)
	return out
}

func (ce *checkEnv) exec(t *testing.T, query string, args ...any) int64 {
	t.Helper()
	res, err := ce.db.W.Exec(query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	n, _ := res.RowsAffected()
	return n
}

// The check of a store that received an organization's webhooks and was
// synced is clean. Rows removed, deliveries dropped and projections lost
// are each found, each enqueues one repair however often the check runs,
// the repairs close every gap, and the next check is clean again.
func TestCheckFindsAndRepairsGaps(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ce := newCheckEnv(t, db)
		ce.sync(t, ghsync.Mode{Members: true})
		// Deliveries never received: three of the last day, inside the
		// redelivery window, and two of five days ago, outside it.
		recent := ce.exec(t, `DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM webhook_deliveries
			WHERE received_at > $1 AND event <> 'ping' ORDER BY id DESC LIMIT 3)`, start.Add(-24*time.Hour).UnixMilli())
		old := ce.exec(t, `DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM webhook_deliveries
			WHERE received_at < $1 AND received_at > $2 ORDER BY id DESC LIMIT 2)`,
			start.Add(-5*24*time.Hour).UnixMilli(), start.Add(-6*24*time.Hour).UnixMilli())
		if recent != 3 || old != 2 {
			t.Fatalf("dropped %d recent and %d old deliveries; want 3 and 2", recent, old)
		}
		hookScope := "hook:org:" + ce.org + ":" + strconv.FormatInt(ce.hook.ID, 10)
		found, _ := ce.check(t)
		if len(found) != 1 || !slices.Equal(kinds(found[hookScope]), []string{ghsync.FindLost, ghsync.FindMissing}) {
			t.Fatalf("a synced store with deliveries dropped: findings %+v; want only the deliveries", found)
		}

		// The repository with the most GitHub deployments gets the gaps.
		var repoName string
		if err := db.R.QueryRow(`SELECT r.full_name FROM repositories r JOIN deployments d ON d.repo_id = r.id
			WHERE d.source = 'github' GROUP BY r.full_name ORDER BY COUNT(*) DESC, r.full_name LIMIT 1`).Scan(&repoName); err != nil {
			t.Fatal(err)
		}
		r, err := db.RepositoryByName(context.Background(), repoName)
		if err != nil {
			t.Fatal(err)
		}
		// Three pull requests gone (their reviews stay: orphans), two
		// issues, one author, a merge commit, a deployment's statuses.
		ce.exec(t, `DELETE FROM pull_requests WHERE id IN (SELECT id FROM pull_requests WHERE repo_id = $1
			AND EXISTS (SELECT 1 FROM reviews v WHERE v.pull_request_id = pull_requests.id) ORDER BY number LIMIT 3)`, r.ID)
		ce.exec(t, `DELETE FROM issues WHERE id IN (SELECT id FROM issues WHERE repo_id = $1 ORDER BY number LIMIT 2)`, r.ID)
		ce.exec(t, `UPDATE pull_requests SET merge_commit_sha = NULL WHERE id = (SELECT id FROM pull_requests
			WHERE repo_id = $1 AND merged ORDER BY number DESC LIMIT 1)`, r.ID)
		var author int64
		if err := db.R.QueryRow(`SELECT author_id FROM pull_requests p WHERE repo_id = $1 AND author_id IS NOT NULL
			AND author_id NOT IN (SELECT actor_id FROM org_members) AND author_id NOT IN (SELECT actor_id FROM team_members)
			ORDER BY number DESC LIMIT 1`, r.ID).Scan(&author); err != nil {
			t.Fatalf("an author outside the organization: %v", err)
		}
		ce.exec(t, `DELETE FROM actors WHERE id = $1`, author)
		ce.exec(t, `DELETE FROM deployment_statuses WHERE deployment_id = (SELECT id FROM deployments WHERE repo_id = $1
			AND source = 'github' ORDER BY created_at LIMIT 1)`, r.ID)
		ce.exec(t, `UPDATE deployments SET statuses_synced_at = NULL WHERE repo_id = $1`, r.ID)
		// A team membership lost, and a team member unknown.
		ce.exec(t, `DELETE FROM team_members WHERE id = (SELECT MIN(id) FROM team_members WHERE until IS NULL)`)
		ce.exec(t, `DELETE FROM actors WHERE id = (SELECT MAX(actor_id) FROM team_members WHERE until IS NULL)`)
		// A delivery whose projection was lost.
		ce.exec(t, `UPDATE webhook_deliveries SET projected_at = NULL WHERE id = (SELECT MIN(id) FROM webhook_deliveries)`)

		ce.clock.Advance(time.Hour)
		found, _ = ce.check(t)
		want := map[string][]string{
			repoName: {ghsync.FindNoStatus, ghsync.FindIssues, ghsync.FindNoMergeCommit, ghsync.FindUnknownAuthor,
				ghsync.FindPulls, ghsync.FindOrphanReviews},
			ce.org:            {ghsync.FindTeamMembers, ghsync.FindUnknownTeamMembers},
			ghsync.StoreScope: {ghsync.FindUnprojected},
			hookScope:         {ghsync.FindLost, ghsync.FindMissing},
		}
		for scope, kinds := range want {
			slices.Sort(kinds)
			want[scope] = kinds
		}
		got := map[string][]string{}
		for scope, fs := range found {
			got[scope] = kinds(fs)
			for _, f := range fs {
				if f.RepairJobID == 0 {
					t.Errorf("%s %s: no repair enqueued", scope, f.Kind)
				}
			}
		}
		// Open and closed counts differ too when the removed ones were
		// closed or open: those findings are allowed, not required.
		for _, extra := range []string{ghsync.FindClosedPulls, ghsync.FindOpenPulls, ghsync.FindOpenIssues, ghsync.FindUnknownMembers,
			ghsync.FindOrphanComments} {
			for scope, ks := range got {
				got[scope] = slices.DeleteFunc(ks, func(k string) bool { return k == extra && !slices.Contains(want[scope], extra) })
			}
		}
		// The author removed may have opened pull requests elsewhere too.
		for scope, ks := range got {
			if _, ok := want[scope]; !ok && slices.Equal(ks, []string{ghsync.FindUnknownAuthor}) {
				delete(got, scope)
			}
		}
		if !mapsEqual(got, want) {
			t.Errorf("findings %v; want %v", got, want)
		}
		for _, f := range found[repoName] {
			if f.Kind == ghsync.FindPulls && f.Expected-f.Found != 3 {
				t.Errorf("pull requests: expected %d, found %d; want 3 missing", f.Expected, f.Found)
			}
			if f.Kind == ghsync.FindIssues && f.Expected-f.Found != 2 {
				t.Errorf("issues: expected %d, found %d; want 2 missing", f.Expected, f.Found)
			}
		}
		jobsBefore := count(t, ce.env, `SELECT COUNT(*) FROM jobs WHERE kind = $1`, ghsync.KindRepair)
		ce.check(t)
		if jobsAfter := count(t, ce.env, `SELECT COUNT(*) FROM jobs WHERE kind = $1`, ghsync.KindRepair); jobsAfter != jobsBefore {
			t.Errorf("a second check enqueued %d more repairs; want none while the first are pending", jobsAfter-jobsBefore)
		}
		if n := ce.repair(t); n != jobsBefore {
			t.Errorf("ran %d repairs; %d were enqueued", n, jobsBefore)
		}
		if n := count(t, ce.env, `SELECT COUNT(*) FROM jobs WHERE kind = $1 AND state <> 'done'`, ghsync.KindRepair); n != 0 {
			t.Errorf("%d repairs not done", n)
		}
		if st := ce.fake.Stats(); st.Redeliveries != 3 {
			t.Errorf("GitHub was asked for %d redeliveries; want the 3 inside the window", st.Redeliveries)
		}
		ce.clock.Advance(time.Hour)
		found, _ = ce.check(t)
		if len(found) != 0 {
			t.Errorf("after the repairs the check finds %+v", found)
		}
		if n := count(t, ce.env, `SELECT COUNT(*) FROM integrity_findings WHERE repaired_at IS NULL`); n != 0 {
			t.Errorf("%d findings not marked repaired", n)
		}
	})
}

func mapsEqual(a, b map[string][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

// A repository of 10,000 pull requests is checked with one request (one
// GraphQL query of totals, 1 point), whatever it holds; an organization
// with one more per 100 teams.
func TestCheckCostIsBounded(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	e := newEnv(t, db, githubtest.Options{}, ghsync.Options{})
	e.fake.Mutate(func(st *githubtest.State) {
		r := st.AddRepo("acme", "huge", start.AddDate(-2, 0, 0))
		st.AddPulls(r, 10000, start, githubtest.PullSpec{MinReviews: 1, MaxReviews: 2, Seed: 5})
		for i := range 5 {
			st.AddMember("acme", "member"+strconv.Itoa(i), "member")
		}
	})
	s := ghsync.New(db, e.client, ghsync.Options{Orgs: []string{"acme"}, Now: e.clock.Now})
	if _, err := s.SyncOrg(context.Background(), "acme", ghsync.Mode{Members: true}); err != nil {
		t.Fatal(err)
	}
	runner := jobs.New(db, slog.New(slog.DiscardHandler), nil, jobs.Options{Now: e.clock.Now})
	c := ghsync.NewChecker(s, runner, ghsync.CheckOptions{})
	e.fake.ResetStats()
	res, err := c.Run(context.Background(), ghsync.Targets{Org: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	byScope := map[string]ghsync.Result{}
	for _, r := range res {
		byScope[r.Scope] = r
	}
	repo, org := byScope["acme/huge"], byScope["acme"]
	if repo.Err != nil || repo.Requests != 1 {
		t.Errorf("repository check: %d requests, %v; want 1", repo.Requests, repo.Err)
	}
	if len(repo.Findings) == 0 || repo.Findings[0].Kind != ghsync.FindPulls || repo.Findings[0].Expected != 10000 {
		t.Errorf("repository findings %+v; want the 10,000 pull requests the store lacks", repo.Findings)
	}
	// OrgCounts 1 + TeamCounts (no team: one page) 1.
	if org.Err != nil || org.Requests != 2 || len(org.Findings) != 0 {
		t.Errorf("organization check: %d requests, %+v, %v; want 2 and clean", org.Requests, org.Findings, org.Err)
	}
	if st := e.fake.Stats(); st.Requests != 3 || st.Points() != 3 {
		t.Errorf("the fake answered %d requests for %d points; want 3 and 3", st.Requests, st.Points())
	}
}

func TestParseHook(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want github.HookRef
		ok   bool
	}{
		{"org:acme:12", github.HookRef{Kind: github.HookOrg, Owner: "acme", ID: 12}, true},
		{"repo:acme/api:7", github.HookRef{Kind: github.HookRepo, Owner: "acme", Repo: "api", ID: 7}, true},
		{"app", github.HookRef{Kind: github.HookApp}, true},
		{"org:acme", github.HookRef{}, false},
		{"repo:acme:7", github.HookRef{}, false},
		{"org:acme:-1", github.HookRef{}, false},
		{"team:acme:1", github.HookRef{}, false},
	} {
		got, err := ghsync.ParseHook(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseHook(%q) = %+v, %v; want %+v, ok %t", tc.in, got, err, tc.want, tc.ok)
		}
	}
}
