package metrics

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/sextant-dev/sextant/internal/core"
	"github.com/sextant-dev/sextant/internal/metrics/metricstest"
	"github.com/sextant-dev/sextant/internal/store"
)

// at is a time of June 2026 in UTC, as "06-02 17:00". 2026-06-01 is a
// Monday.
func at(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", "2026-"+s)
	if err != nil {
		panic(err)
	}
	return t
}

// sha makes a readable, distinct 40-digit sha from a short name.
func sha(name string) string {
	h := fmt.Sprintf("%x", name)
	return h + strings.Repeat("0", 40-len(h))
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func testSettings() Settings {
	s := DefaultSettings()
	s.DeployWorkflows = []DeployWorkflow{{Pattern: "deploy*", Environment: "production"}}
	return s
}

// Actors of the scenarios.
const (
	alice = 101
	bob   = 102
	carol = 103
	robot = 900 // ci-bot[bot]
)

// deliveryScenario is one week of acme/api's delivery, from which every
// DORA and flow value below is computed by hand. main's history:
//
//	P0 06-01 08:00 creates main at c0                    D1 06-01 09:10 (baseline)
//	P1 06-02 09:00 c0→m1 [b1 b2 m1]  PR #1, merge commit
//	P2 06-02 12:00 m1→s2 [s2]        PR #2, squash
//	P3 06-02 15:00 s2→r2' [r1' r2']  PR #3, rebase       D2 06-02 16:00 failed attempt (CI)
//	                                                     D3 06-02 17:00 GitHub, and CI at 17:05 (one deploy)
//	P4 06-03 08:30 r2'→d4 [d4]       direct push          D4 06-03 10:00 CI
//	P5 06-05 09:00 d4→e5 [e5]        PR #4                D5 06-05 10:00 GitHub; rolled back at 11:00
//	                                                     D6 06-05 11:05 CI, redeploys d4
//	P6 06-06 09:00 e5→f6 [f6]        PR #5, a revert      D7 06-06 10:00 GitHub, and the workflow run at 10:02
//
// Incidents: issue #50 (06-03 12:00–14:00, "root cause: r1'"), CI incident
// 06-04 09:00–09:30 naming nothing, CI incident 06-15 10:00–11:00 naming
// nothing (ten days after the last deployment), and the rollback of D5.
type deliveryScenario struct {
	api, web                   int64
	d1, d2, d3, d4, d5, d6, d7 int64
	d3ci, d7wf                 string
}

func seedDelivery(t *testing.T, db *store.DB) deliveryScenario {
	t.Helper()
	f := metricstest.New(t, db)
	var sc deliveryScenario
	sc.api = f.Repo(1, "acme/api", "main")
	sc.web = f.Repo(2, "acme/web", "main")
	f.Org(core.Organization{ID: 10, Login: "acme", Name: "Acme"})
	f.Team(core.Team{ID: 20, OrgID: 10, Slug: "backend", Name: "Backend"})
	f.Team(core.Team{ID: 21, OrgID: 10, Slug: "frontend", Name: "Frontend"})
	f.TeamRepo(20, sc.api, "push")
	f.TeamRepo(21, sc.web, "admin")
	f.TeamRepo(21, sc.api, "pull") // read access owns nothing
	f.Actor(core.Actor{ID: alice, Login: "alice"})
	f.Actor(core.Actor{ID: bob, Login: "bob"})
	f.Actor(core.Actor{ID: carol, Login: "carol"})
	f.Actor(core.Actor{ID: robot, Login: "ci-bot[bot]", Type: core.ActorBot})

	commit := func(name string, authored time.Time, message string) {
		f.Commit(core.Commit{RepoID: sc.api, SHA: sha(name), AuthorID: alice, AuthoredAt: authored, Message: message})
	}
	push := func(before, after string, when time.Time, commits ...string) {
		var shas []string
		for _, c := range commits {
			shas = append(shas, sha(c))
		}
		b := ""
		if before != "" {
			b = sha(before)
		}
		f.Push(core.Push{RepoID: sc.api, BeforeSHA: b, AfterSHA: sha(after), Created: before == "", PushedAt: when, Commits: shas})
	}

	commit("c0", at("06-01 07:00"), "initial")
	push("", "c0", at("06-01 08:00"), "c0")
	sc.d1 = f.GitHubDeployment(sc.api, "gh-1", "production", sha("c0"), at("06-01 09:00"), "success", at("06-01 09:10"))

	// PR #1, merged with a merge commit; its first commit is known only
	// from its commit list (b1, authored 06-01 10:00).
	commit("b1", at("06-01 10:00"), "part one")
	commit("b2", at("06-01 11:00"), "part two")
	commit("m1", at("06-02 09:00"), "Merge pull request #1")
	f.Pull(core.PullRequest{ID: 1001, RepoID: sc.api, Number: 1, AuthorID: alice, Title: "Feature one", State: core.StateClosed,
		Merged: true, MergeCommitSHA: sha("m1"), CreatedAt: at("06-01 12:00"), ClosedAt: at("06-02 09:00"), MergedAt: at("06-02 09:00"),
		Additions: 100, Deletions: 20})
	f.PullCommits(1001, sha("b1"), sha("b2"))
	f.Review(core.Review{ID: 5001, PullRequestID: 1001, RepoID: sc.api, ReviewerID: bob, SubmittedAt: at("06-01 13:00")})
	push("c0", "m1", at("06-02 09:00"), "b1", "b2", "m1")

	// PR #2, squash-merged; carol comments first, then reviews.
	commit("s2", at("06-02 12:00"), "Feature two (#2)")
	f.Pull(core.PullRequest{ID: 1002, RepoID: sc.api, Number: 2, AuthorID: bob, Title: "Feature two", State: core.StateClosed,
		Merged: true, MergeCommitSHA: sha("s2"), CreatedAt: at("06-02 09:30"), ClosedAt: at("06-02 12:00"), MergedAt: at("06-02 12:00"),
		FirstCommitAt: at("06-02 08:00"), Additions: 10, Deletions: 5})
	f.IssueComment(core.IssueComment{ID: 7001, RepoID: sc.api, IssueNumber: 2, OnPull: true, AuthorID: carol, CreatedAt: at("06-02 10:00")})
	f.Review(core.Review{ID: 5002, PullRequestID: 1002, RepoID: sc.api, ReviewerID: carol, SubmittedAt: at("06-02 11:00")})
	push("m1", "s2", at("06-02 12:00"), "s2")

	// PR #3, rebase-merged: its merge commit is the last rebased commit.
	// A bot reviews first; that is nobody picking it up.
	commit("r1p", at("06-02 07:00"), "part one")
	commit("r2p", at("06-02 07:30"), "part two")
	f.Pull(core.PullRequest{ID: 1003, RepoID: sc.api, Number: 3, AuthorID: carol, Title: "Feature three", State: core.StateClosed,
		Merged: true, MergeCommitSHA: sha("r2p"), CreatedAt: at("06-02 10:00"), ClosedAt: at("06-02 15:00"), MergedAt: at("06-02 15:00"),
		FirstCommitAt: at("06-02 07:00"), Additions: 40, Deletions: 0})
	f.PullCommits(1003, sha("r1"), sha("r2"))
	f.Review(core.Review{ID: 5003, PullRequestID: 1003, RepoID: sc.api, ReviewerID: robot, State: core.ReviewCommented, SubmittedAt: at("06-02 10:05")})
	f.Review(core.Review{ID: 5004, PullRequestID: 1003, RepoID: sc.api, ReviewerID: bob, SubmittedAt: at("06-02 14:00")})
	push("s2", "r2p", at("06-02 15:00"), "r1p", "r2p")

	// A failed attempt, then the deploy that ships #1, #2 and #3, reported
	// by GitHub and by CI.
	e := f.CI(`{"event":"deploy","repo":"acme/api","sha":"`+sha("r2p")+`","time":"2026-06-02T16:00:00Z","status":"failure"}`, at("06-02 16:00"))
	sc.d2 = e.DeploymentID
	sc.d3 = f.GitHubDeployment(sc.api, "gh-3", "Production", sha("r2p"), at("06-02 16:50"), "success", at("06-02 17:00"))
	e = f.CI(`{"event":"deploy","repo":"acme/api","sha":"`+sha("r2p")[:7]+`","time":"2026-06-02T17:05:00Z"}`, at("06-02 17:05"))
	sc.d3ci = fmt.Sprint(e.DeploymentID)

	// A direct push, deployed by CI.
	commit("d4", at("06-03 08:00"), "fix typo")
	push("r2p", "d4", at("06-03 08:30"), "d4")
	sc.d4 = f.CI(`{"event":"deploy","repo":"acme/api","sha":"`+sha("d4")+`","time":"2026-06-03T10:00:00Z"}`, at("06-03 10:00")).DeploymentID

	// PR #4, deployed, rolled back, and the old sha redeployed.
	commit("e5", at("06-05 09:00"), "Feature four (#4)")
	f.Pull(core.PullRequest{ID: 1004, RepoID: sc.api, Number: 4, AuthorID: alice, Title: "Feature four", State: core.StateClosed,
		Merged: true, MergeCommitSHA: sha("e5"), CreatedAt: at("06-04 15:00"), ClosedAt: at("06-05 09:00"), MergedAt: at("06-05 09:00"),
		FirstCommitAt: at("06-04 14:00")})
	push("d4", "e5", at("06-05 09:00"), "e5")
	sc.d5 = f.GitHubDeployment(sc.api, "gh-5", "production", sha("e5"), at("06-05 09:55"), "success", at("06-05 10:00"))
	f.CI(`{"event":"rollback","repo":"acme/api","time":"2026-06-05T11:00:00Z"}`, at("06-05 11:00"))
	sc.d6 = f.CI(`{"event":"deploy","repo":"acme/api","sha":"`+sha("d4")+`","time":"2026-06-05T11:05:00Z"}`, at("06-05 11:05")).DeploymentID

	// PR #5 reverts #4 (squash), deployed by GitHub; the deploy workflow's
	// run reports the same deploy.
	commit("f6", at("06-06 09:00"), `Revert "Feature four (#4)"`)
	f.Pull(core.PullRequest{ID: 1005, RepoID: sc.api, Number: 5, AuthorID: alice, Title: `Revert "Feature four"`, State: core.StateClosed,
		Merged: true, MergeCommitSHA: sha("f6"), CreatedAt: at("06-06 08:10"), ClosedAt: at("06-06 09:00"), MergedAt: at("06-06 09:00"),
		FirstCommitAt: at("06-06 08:00")})
	push("e5", "f6", at("06-06 09:00"), "f6")
	f.GitHubDeployment(sc.api, "gh-staging", "staging", sha("f6"), at("06-06 09:10"), "success", at("06-06 09:20"))
	sc.d7 = f.GitHubDeployment(sc.api, "gh-7", "production", sha("f6"), at("06-06 09:50"), "success", at("06-06 10:00"))
	f.WorkflowRun(core.WorkflowRun{ID: 8007, RepoID: sc.api, Name: "Deploy", Event: "push", HeadSHA: sha("f6"), HeadBranch: "main",
		Status: "completed", Conclusion: "success", CreatedAt: at("06-06 09:40"), StartedAt: at("06-06 09:41"), UpdatedAt: at("06-06 10:02")})
	// A preview deploy of a pull request is never production.
	f.WorkflowRun(core.WorkflowRun{ID: 8008, RepoID: sc.api, Name: "Deploy preview", Event: "pull_request", HeadSHA: sha("zz"),
		Status: "completed", Conclusion: "success", CreatedAt: at("06-06 11:00"), UpdatedAt: at("06-06 11:05")})

	// An open pull request whose first commit is dated after it opened:
	// its coding time is unknown, not negative.
	f.Pull(core.PullRequest{ID: 1006, RepoID: sc.api, Number: 6, AuthorID: bob, Title: "Draft", CreatedAt: at("06-06 11:00"),
		FirstCommitAt: at("06-06 12:00")})

	// Incidents.
	f.Issue(core.Issue{ID: 3050, RepoID: sc.api, Number: 50, AuthorID: carol, Title: "Checkout broken", State: core.StateClosed,
		Body: "Users cannot pay.\n\nRoot cause: " + sha("r1p")[:7] + "\n", CreatedAt: at("06-03 12:00"), ClosedAt: at("06-03 14:00"),
		Labels: []string{"Incident"}})
	f.Issue(core.Issue{ID: 3051, RepoID: sc.api, Number: 51, AuthorID: carol, Title: "False alarm", State: core.StateClosed,
		StateReason: "not_planned", CreatedAt: at("06-04 12:00"), ClosedAt: at("06-04 12:30"), Labels: []string{"incident"}})
	f.CI(`{"event":"incident_opened","repo":"acme/api","id":"inc-2","time":"2026-06-04T09:00:00Z"}`, at("06-04 09:00"))
	f.CI(`{"event":"incident_resolved","repo":"acme/api","id":"inc-2","time":"2026-06-04T09:30:00Z"}`, at("06-04 09:30"))
	f.CI(`{"event":"incident_opened","repo":"acme/api","id":"inc-3","time":"2026-06-15T10:00:00Z"}`, at("06-15 10:00"))
	f.CI(`{"event":"incident_resolved","repo":"acme/api","id":"inc-3","time":"2026-06-15T11:00:00Z"}`, at("06-15 11:00"))
	return sc
}

func refresh(t *testing.T, e *Engine) RefreshStats {
	t.Helper()
	st, err := e.Refresh(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func num(v *float64) string {
	if v == nil {
		return "null"
	}
	return fmt.Sprint(*v)
}

func lvl(v *string) string {
	if v == nil {
		return "null"
	}
	return *v
}

func week() Filter {
	return Filter{From: at("06-01 00:00"), To: at("06-08 00:00"), Interval: Day}
}

func TestGoldenDelivery(t *testing.T) {
	eachEngine(t, func(t *testing.T, db *store.DB) {
		seedDelivery(t, db)
		e := NewEngine(db, quiet, testSettings())
		refresh(t, e)
		d, err := e.DORA(context.Background(), week())
		if err != nil {
			t.Fatal(err)
		}
		// Counted: D1 (baseline), D3, D4, D5, D6, D7. Not D2 (failed), not
		// CI's report of D3 nor the workflow's of D7 (duplicates), not the
		// staging deploy nor the preview.
		df := d.DeploymentFrequency
		// 6 deployments in 7 days: 6 a week; one every 28h, more than a day
		// and at most a week: high. Days with one: 06-01, 02, 03, 05, 06 = 5.
		if df.Deployments != 6 || df.PerWeek != 6 || df.MedianDeployDaysPerWeek != 5 || lvl(df.Level) != LevelHigh {
			t.Errorf("deployment frequency %+v level %s; want 6, 6/week, 5 days, high", df, lvl(df.Level))
		}
		// Lead times (first commit → deployed):
		//   #1 06-01 10:00 (b1) → D3 06-02 17:00 = 31h = 111600s
		//   #2 06-02 08:00      → D3 06-02 17:00 =  9h =  32400s
		//   #3 06-02 07:00      → D3 06-02 17:00 = 10h =  36000s
		//   #4 06-04 14:00      → D5 06-05 10:00 = 20h =  72000s
		//   #5 06-06 08:00      → D7 06-06 10:00 =  2h =   7200s
		// sorted 7200 32400 36000 72000 111600: median 36000 (10h < 1 day:
		// elite); p75 at rank 3 = 72000; p90 at rank 3.6 = 72000 +
		// 0.6×(111600−72000) = 95760.
		lt := d.LeadTime
		if num(lt.Median) != "36000" || num(lt.P75) != "72000" || num(lt.P90) != "95760" || lt.Changes != 5 || lvl(lt.Level) != LevelElite {
			t.Errorf("lead time %s %s %s changes %d level %s; want 36000 72000 95760, 5, elite",
				num(lt.Median), num(lt.P75), num(lt.P90), lt.Changes, lvl(lt.Level))
		}
		// The direct push d4: authored 06-03 08:00, deployed by D4 at 10:00.
		if dp := lt.DirectPushes; num(dp.Median) != "7200" || dp.Commits != 1 {
			t.Errorf("direct pushes %s over %d; want 7200 over 1", num(dp.Median), dp.Commits)
		}
		// Failed: D3 (issue #50 names r1', which D3 shipped), D4 (the CI
		// incident at 06-04 09:00, 23h after D4, within 7 days), D5 (rolled
		// back). 3 of 6 = 0.5 > 15%: low.
		cfr := d.ChangeFailureRate
		if num(cfr.Rate) != "0.5" || cfr.FailedDeployments != 3 || cfr.Deployments != 6 || lvl(cfr.Level) != LevelLow {
			t.Errorf("change failure rate %+v rate %s level %s; want 3/6 = 0.5, low", cfr, num(cfr.Rate), lvl(cfr.Level))
		}
		// Resolved in the week: #50 after 2h (7200s), inc-2 after 30m
		// (1800s), D5's rollback 10:00 → 11:00 (3600s). inc-3 resolves on
		// 06-15, outside. Median 3600 = 1h, not under 1h: high.
		// p75 at rank 1.5 = 3600 + 0.5×3600 = 5400; p90 at 1.8 = 6480.
		ttr := d.TimeToRestore
		if num(ttr.Median) != "3600" || num(ttr.P75) != "5400" || num(ttr.P90) != "6480" || ttr.Incidents != 3 || lvl(ttr.Level) != LevelHigh {
			t.Errorf("time to restore %s over %d level %s; want 3600 over 3, high", num(ttr.Median), ttr.Incidents, lvl(ttr.Level))
		}
		// Rework: D6 (the first deployment after the rollback) and D7 (ships
		// the revert #5): 2 of 6 = 0.3333. No thresholds: no level.
		rw := d.ReworkRate
		if num(rw.Rate) != "0.3333" || rw.ReworkDeployments != 2 || rw.Deployments != 6 || rw.Level != nil {
			t.Errorf("rework %+v rate %s; want 2/6 = 0.3333 without a level", rw, num(rw.Rate))
		}
		// The previous week had nothing.
		if p := d.Previous; p.DeploymentFrequency.Deployments != 0 || p.LeadTime.Median != nil || lvl(p.DeploymentFrequency.Level) != LevelLow ||
			!p.From.Equal(at("05-25 00:00")) || !p.To.Equal(at("06-01 00:00")) {
			t.Errorf("previous %+v", p)
		}
		// The daily series adds up to the week.
		if len(d.Series) != 7 {
			t.Fatalf("%d points; want 7", len(d.Series))
		}
		sum := 0
		for _, p := range d.Series {
			sum += p.DeploymentFrequency.Deployments
		}
		if sum != 6 {
			t.Errorf("series deployments add up to %d", sum)
		}
		// 06-02: D3 alone, shipping #1 #2 #3 (median 36000), failed.
		if p := d.Series[1]; p.DeploymentFrequency.Deployments != 1 || p.LeadTime.Changes != 3 || num(p.LeadTime.Median) != "36000" ||
			p.ChangeFailureRate.FailedDeployments != 1 || !p.From.Equal(at("06-02 00:00")) {
			t.Errorf("06-02: %+v", p)
		}
		// 06-05: D5 (failed) and D6 (rework); the rollback incident resolves.
		if p := d.Series[4]; p.DeploymentFrequency.Deployments != 2 || p.ChangeFailureRate.FailedDeployments != 1 ||
			p.ReworkRate.ReworkDeployments != 1 || p.TimeToRestore.Incidents != 1 || num(p.TimeToRestore.Median) != "3600" {
			t.Errorf("06-05: %+v", p)
		}
		// Breakdown: acme/api has everything, acme/web nothing; the backend
		// team owns acme/api, the frontend team only reads it.
		if len(d.Repos) != 2 || d.Repos[0].Repo != "acme/api" || d.Repos[0].DeploymentFrequency.Deployments != 6 ||
			d.Repos[1].Repo != "acme/web" || d.Repos[1].DeploymentFrequency.Deployments != 0 {
			t.Errorf("repos %+v", d.Repos)
		}
		if len(d.Teams) != 2 || d.Teams[0].Team != "acme/backend" || d.Teams[0].ChangeFailureRate.FailedDeployments != 3 ||
			d.Teams[1].Team != "acme/frontend" || d.Teams[1].DeploymentFrequency.Deployments != 0 {
			t.Errorf("teams %+v", d.Teams)
		}
		// For one repository, the teams are those that own it.
		for repo, want := range map[string]string{"acme/api": "[acme/backend]", "acme/web": "[acme/frontend]"} {
			f := week()
			f.Repo = repo
			r, err := e.DORA(context.Background(), f)
			if err != nil {
				t.Fatal(err)
			}
			var teams []string
			for _, tm := range r.Teams {
				teams = append(teams, tm.Team)
			}
			if fmt.Sprint(teams) != want {
				t.Errorf("teams of %s: %v; want %s", repo, teams, want)
			}
		}
		// The default levels, as the answer states them.
		th := d.Thresholds
		if th.LeadTime != (LevelBounds{86400, 604800, 2592000}) || th.DeploymentFrequency != th.LeadTime ||
			th.TimeToRestore != (LevelBounds{3600, 86400, 604800}) || th.ChangeFailureRate != (LevelBounds{0.05, 0.10, 0.15}) ||
			th.ReworkRate != nil {
			t.Errorf("thresholds %+v", th)
		}
	})
}

// pullPages reads every page of q through the cursors.
func pullPages(t *testing.T, e *Engine, q PullQuery) []Pull {
	t.Helper()
	var out []Pull
	for cursor := ""; ; {
		pq := q
		if cursor != "" {
			pq.page.afterT, pq.page.afterID, _ = decodeCursor(cursor)
			pq.page.hasAfter = true
		}
		p, err := e.Pulls(context.Background(), pq)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p.Pulls...)
		if cursor = p.NextCursor; cursor == "" {
			return out
		}
	}
}

func TestGoldenDeliveryLists(t *testing.T) {
	eachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		sc := seedDelivery(t, db)
		e := NewEngine(db, quiet, testSettings())
		refresh(t, e)
		// Every drill-down adds up to the number the summary shows.
		list := func(q DeploymentQuery) *DeploymentPage {
			t.Helper()
			q.Filter, q.page = week(), page{limit: 100}
			p, err := e.Deployments(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		yes := true
		if n := list(DeploymentQuery{Status: "success"}).Total; n != 6 {
			t.Errorf("successful production deployments listed: %d; want 6 (deployment_frequency.deployments)", n)
		}
		if n := list(DeploymentQuery{Status: "success", Failed: &yes}).Total; n != 3 {
			t.Errorf("failed ones listed: %d; want 3 (change_failure_rate.failed_deployments)", n)
		}
		if n := list(DeploymentQuery{Status: "success", Rework: &yes}).Total; n != 2 {
			t.Errorf("rework listed: %d; want 2 (rework_rate.rework_deployments)", n)
		}
		// All production deployments: the 6, and the failed attempt D2.
		all := list(DeploymentQuery{})
		byID := map[int64]Deployment{}
		for _, d := range all.Deployments {
			byID[d.ID] = d
		}
		if all.Total != 7 || byID[sc.d2].Status != "failure" || byID[sc.d2].Counted {
			t.Errorf("production deployments: %d, D2 %+v", all.Total, byID[sc.d2])
		}
		d3 := byID[sc.d3]
		// D3 shipped b1 b2 m1 (P1), s2 (P2), r1' r2' (P3): 6 commits, #1 #2 #3.
		if fmt.Sprint(d3.Changes) != "[1 2 3]" || d3.Commits == nil || *d3.Commits != 6 || len(d3.Duplicates) != 1 ||
			fmt.Sprint(d3.Duplicates[0].ID) != sc.d3ci || d3.Duplicates[0].Source != core.SourceCI || !d3.Failed ||
			d3.Environment != "Production" || d3.Previous == nil || *d3.Previous != sc.d1 {
			t.Errorf("D3 %+v", d3)
		}
		if d1 := byID[sc.d1]; !d1.Baseline || d1.Commits != nil || len(d1.Changes) != 0 {
			t.Errorf("D1, the first of its chain, is a baseline that ships nothing measurable: %+v", d1)
		}
		// D6 redeploys d4, an ancestor of what D5 deployed: nothing new.
		if d6 := byID[sc.d6]; d6.Commits == nil || *d6.Commits != 0 || !d6.Rework || d6.Failed {
			t.Errorf("D6 %+v", d6)
		}
		if d7 := byID[sc.d7]; fmt.Sprint(d7.Changes) != "[5]" || len(d7.Duplicates) != 1 || d7.Duplicates[0].Source != core.SourceWorkflow {
			t.Errorf("D7 %+v", d7)
		}
		if p := list(DeploymentQuery{Environment: "staging"}); p.Total != 1 || p.Deployments[0].Production || p.Deployments[0].Counted {
			t.Errorf("staging: %+v", p)
		}

		pulls, err := e.Pulls(ctx, PullQuery{Filter: week(), By: "deployed", page: page{limit: 2}})
		if err != nil {
			t.Fatal(err)
		}
		if pulls.Total != 5 || len(pulls.Pulls) != 2 || pulls.NextCursor == "" {
			t.Fatalf("deployed pulls: total %d, page %d, cursor %q; want 5 (lead_time.changes) in pages of 2", pulls.Total, len(pulls.Pulls), pulls.NextCursor)
		}
		var numbers []int64
		for _, x := range pullPages(t, e, PullQuery{Filter: week(), By: "deployed", page: page{limit: 2}}) {
			numbers = append(numbers, x.Number)
			if x.Number == 3 && (num(x.CodingSeconds) != "10800" || num(x.PickupSeconds) != "14400" || num(x.ReviewSeconds) != "3600" ||
				num(x.DeploySeconds) != "7200" || num(x.LeadTimeSeconds) != "36000" || x.Deployment == nil || *x.Deployment != sc.d3 ||
				x.State != "merged" || *x.MergeCommitSHA != sha("r2p")) {
				t.Errorf("#3 %+v", x)
			}
		}
		// Newest deployment first: #5 (D7), #4 (D5), then D3's #3 #2 #1.
		if fmt.Sprint(numbers) != "[5 4 3 2 1]" {
			t.Errorf("pages of deployed pulls: %v", numbers)
		}
		open, err := e.Pulls(ctx, PullQuery{Filter: week(), By: "created", State: "open", page: page{limit: 10}})
		if err != nil || open.Total != 1 || open.Pulls[0].Number != 6 || open.Pulls[0].CodingSeconds != nil {
			t.Errorf("open pulls %+v %v; want #6 with an unknown coding time", open, err)
		}
		if u := open.Pulls[0].HTMLURL; u != "https://github.com/acme/api/pull/6" {
			t.Errorf("#6's html_url = %q", u)
		}
		// Orders, read in pages of 2 through the cursors. Lead times (see
		// TestGoldenDelivery): #1 111600, #4 72000, #3 36000, #2 32400,
		// #5 7200; the open #6 has none and comes last. Opened: #1 06-01
		// 12:00, #2 06-02 09:30, #3 10:00, #4 06-04, #5 06-06 08:10, #6 11:00.
		for _, c := range []struct {
			by, order, want string
		}{
			{"merged", OrderLeadTime, "[1 4 3 2 5]"},
			{"created", OrderLeadTime, "[1 4 3 2 5 6]"},
			{"created", OrderOldest, "[1 2 3 4 5 6]"},
			{"created", OrderNewest, "[6 5 4 3 2 1]"},
		} {
			var got []int64
			for _, x := range pullPages(t, e, PullQuery{Filter: week(), By: c.by, Order: c.order, page: page{limit: 2}}) {
				got = append(got, x.Number)
			}
			if fmt.Sprint(got) != c.want {
				t.Errorf("by=%s order=%s: %v; want %s", c.by, c.order, got, c.want)
			}
		}

		inc, err := e.Incidents(ctx, IncidentQuery{Filter: week(), By: "resolved", page: page{limit: 10}})
		if err != nil {
			t.Fatal(err)
		}
		if inc.Total != 3 {
			t.Errorf("incidents resolved in the week: %d; want 3 (time_to_restore.incidents)", inc.Total)
		}
		links := map[string]string{}
		for _, in := range inc.Incidents {
			links[in.Source+" "+lvl(in.Link)] = fmt.Sprint(*in.Deployment)
		}
		want := map[string]string{"github root_cause": fmt.Sprint(sc.d3), "ci window": fmt.Sprint(sc.d4), "rollback named": fmt.Sprint(sc.d5)}
		if fmt.Sprint(links) != fmt.Sprint(want) {
			t.Errorf("links %v; want %v", links, want)
		}
		later := Filter{From: at("06-15 00:00"), To: at("06-16 00:00"), Interval: Day}
		outside, err := e.Incidents(ctx, IncidentQuery{Filter: later, By: "opened", page: page{limit: 10}})
		if err != nil || outside.Total != 1 || outside.Incidents[0].Deployment != nil || outside.Incidents[0].Link != nil ||
			num(outside.Incidents[0].RestoreSeconds) != "3600" {
			t.Errorf("inc-3, ten days after the last deployment, blames none: %+v %v", outside, err)
		}
	})
}

func TestGoldenFlow(t *testing.T) {
	eachEngine(t, func(t *testing.T, db *store.DB) {
		seedDelivery(t, db)
		e := NewEngine(db, quiet, testSettings())
		refresh(t, e)
		f, err := e.Flow(context.Background(), week())
		if err != nil {
			t.Fatal(err)
		}
		// Merged in the week: #1 #2 #3 #4 #5.
		// Coding (first commit → opened): #1 10:00→12:00 7200, #2 5400,
		// #3 10800, #4 3600, #5 600; sorted 600 3600 5400 7200 10800:
		// median 5400, p75 7200, p90 7200 + 0.6×3600 = 9360.
		if c := f.Coding; num(c.Median) != "5400" || num(c.P75) != "7200" || num(c.P90) != "9360" || c.Count != 5 {
			t.Errorf("coding %s %s %s (%d)", num(c.Median), num(c.P75), num(c.P90), c.Count)
		}
		// Pickup (opened → first response by another person, bots
		// excluded): #1 bob after 3600, #2 carol's comment after 1800, #3
		// bob after 14400 (the bot's review at 10:05 does not count); #4
		// and #5 had none. Sorted 1800 3600 14400: median 3600, p75 3600 +
		// 0.5×10800 = 9000, p90 3600 + 0.8×10800 = 12240.
		if p := f.Pickup; num(p.Median) != "3600" || num(p.P75) != "9000" || num(p.P90) != "12240" || p.Count != 3 {
			t.Errorf("pickup %s %s %s (%d)", num(p.Median), num(p.P75), num(p.P90), p.Count)
		}
		// Review (first review → merged): #1 72000, #2 3600, #3 3600; p75 at
		// rank 1.5 = 3600 + 0.5×68400 = 37800, p90 at 1.8 = 3600 + 0.8×68400 = 58320.
		if r := f.Review; num(r.Median) != "3600" || num(r.P75) != "37800" || num(r.P90) != "58320" || r.Count != 3 {
			t.Errorf("review %s (%d)", num(r.Median), r.Count)
		}
		// Deploy (merged → deployed): 28800 18000 7200 3600 3600: median 7200.
		if d := f.Deploy; num(d.Median) != "7200" || d.Count != 5 {
			t.Errorf("deploy %s (%d)", num(d.Median), d.Count)
		}
		if tp := f.Throughput; tp.Opened != 6 || tp.Merged != 5 || tp.ClosedUnmerged != 0 {
			t.Errorf("throughput %+v; want 6 opened (#1–#6), 5 merged", tp)
		}
		// Sizes known: #1 120, #2 15, #3 40: median 40, p75 40 + 0.5×80 = 80,
		// p90 40 + 0.8×80 = 104.
		if s := f.Size; num(s.Median) != "40" || num(s.P75) != "80" || num(s.P90) != "104" || s.Count != 3 {
			t.Errorf("size %s (%d)", num(s.Median), s.Count)
		}
		// Reviews by people: bob ×2, carol ×1 (the bot's is not one).
		if r := f.Reviews; r.Reviews != 3 || r.Reviewers != 2 || num(r.PerReviewer) != "1.5" {
			t.Errorf("reviews %+v %s", r, num(r.PerReviewer))
		}
		if ir := f.IssueFirstResponse; ir.Issues != 2 || ir.Unanswered != 2 || ir.Median != nil {
			t.Errorf("issue first response %+v", ir)
		}
		// 06-01: #1 opened; nothing merged yet.
		if tp := f.Series[0].Throughput; tp.Opened != 1 || tp.Merged != 0 {
			t.Errorf("06-01: %+v", tp)
		}
		// 06-02: #2 and #3 opened; #1, #2 and #3 merged.
		if len(f.Series) != 7 || f.Series[1].Throughput.Merged != 3 || f.Series[1].Throughput.Opened != 2 {
			t.Errorf("06-02: %+v", f.Series[1].Throughput)
		}
	})
}
