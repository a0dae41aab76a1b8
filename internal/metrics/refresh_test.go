package metrics

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sextant-dev/sextant/internal/core"
	"github.com/sextant-dev/sextant/internal/metrics/metricstest"
	"github.com/sextant-dev/sextant/internal/store"
	"github.com/sextant-dev/sextant/internal/store/storetest"
)

func mustDORA(t *testing.T, e *Engine, f Filter) *DORA {
	t.Helper()
	d, err := e.DORA(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// The refresh redoes only what changed, and what it derived follows every
// change of the domain tables, whoever wrote it.
func TestIncrementalRefresh(t *testing.T) {
	eachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		sc := seedDelivery(t, db)
		e := NewEngine(db, quiet, testSettings())
		if st := refresh(t, e); !st.Full {
			t.Errorf("first refresh %+v; want a full one", st)
		}
		refresh(t, e) // takes the marks of its own writes (workflow deployments, incidents)
		if st := refresh(t, e); st.Repos != 0 || st.Inserted+st.Updated+st.Deleted != 0 {
			t.Errorf("refresh with nothing changed %+v", st)
		}

		// A new pull request, pushed and deployed on 06-07.
		f := metricstest.New(t, db)
		f.Commit(core.Commit{RepoID: sc.api, SHA: sha("g7"), AuthoredAt: at("06-07 08:00")})
		f.Pull(core.PullRequest{ID: 1007, RepoID: sc.api, Number: 7, AuthorID: bob, Title: "Seven", State: core.StateClosed,
			Merged: true, MergeCommitSHA: sha("g7"), CreatedAt: at("06-07 08:30"), ClosedAt: at("06-07 09:00"), MergedAt: at("06-07 09:00"),
			FirstCommitAt: at("06-07 08:00")})
		f.Push(core.Push{RepoID: sc.api, BeforeSHA: sha("f6"), AfterSHA: sha("g7"), PushedAt: at("06-07 09:00"), Commits: []string{sha("g7")}})
		d8 := f.GitHubDeployment(sc.api, "gh-8", "production", sha("g7"), at("06-07 09:30"), "success", at("06-07 10:00"))
		st := refresh(t, e)
		if st.Full || st.Repos != 1 {
			t.Errorf("refresh after one repository changed %+v; want that repository only", st)
		}
		d := mustDORA(t, e, week())
		// 7 deployments; #7 first commit 08:00 → D8 10:00 = 7200s, a sixth change.
		if d.DeploymentFrequency.Deployments != 7 || d.LeadTime.Changes != 6 {
			t.Errorf("after D8: %d deployments, %d changes; want 7 and 6", d.DeploymentFrequency.Deployments, d.LeadTime.Changes)
		}
		p, err := e.Pulls(ctx, PullQuery{Filter: week(), By: "deployed", page: page{limit: 1}})
		if err != nil || p.Pulls[0].Number != 7 || *p.Pulls[0].Deployment != d8 || num(p.Pulls[0].LeadTimeSeconds) != "7200" {
			t.Errorf("newest deployed pull %+v %v", p.Pulls, err)
		}

		// Issue #50 loses its incident label: no longer an incident, and D3
		// no longer failed. Failed: D4, D5 of 7.
		if _, err := db.W.ExecContext(ctx, `DELETE FROM issue_labels WHERE issue_id = 3050`); err != nil {
			t.Fatal(err)
		}
		refresh(t, e)
		d = mustDORA(t, e, week())
		if d.ChangeFailureRate.FailedDeployments != 2 || num(d.ChangeFailureRate.Rate) != "0.2857" || d.TimeToRestore.Incidents != 2 {
			t.Errorf("after unlabelling #50: %+v, %d incidents", d.ChangeFailureRate, d.TimeToRestore.Incidents)
		}
		var n int
		db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM incidents WHERE source = 'github'`).Scan(&n)
		if n != 0 {
			t.Errorf("%d github incidents left", n)
		}

		// New definitions rebuild everything: a one-hour incident window no
		// longer reaches from D4 (06-03 10:00) to inc-2 (06-04 09:00).
		s := testSettings()
		s.IncidentWindow = time.Hour
		e2 := NewEngine(db, quiet, s)
		if st := refresh(t, e2); !st.Full {
			t.Errorf("refresh with new definitions %+v; want a full one", st)
		}
		if d := mustDORA(t, e2, week()); d.ChangeFailureRate.FailedDeployments != 1 {
			t.Errorf("with a one-hour window: %d failed; want D5 only", d.ChangeFailureRate.FailedDeployments)
		}
	})
}

func TestIncrementalPeople(t *testing.T) {
	eachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedContributors(t, db)
		e := NewEngine(db, quiet, contributorSettings())
		refresh(t, e)
		board := func(group string) string {
			t.Helper()
			l, err := e.Leaderboard(ctx, LeaderboardQuery{Filter: june(), Group: group, limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			var parts []string
			for _, en := range l.Entries {
				parts = append(parts, en.Name+":"+strconv.FormatInt(en.Score, 10))
			}
			return strings.Join(parts, " ")
		}
		// erin joins the backend team on 06-20: her 06-25 pull request (1)
		// moves to it, without any contribution changing.
		metricstest.New(t, db).TeamMember(core.TeamMember{TeamID: 20, ActorID: erin, Since: at("06-20 00:00")})
		refresh(t, e)
		if got := board(GroupTeam); got != "acme/backend:32 acme/frontend:5" {
			t.Errorf("teams after erin joined backend: %s", got)
		}
		// dave turns out to be a bot: gone from the boards.
		if _, err := db.W.ExecContext(ctx, `UPDATE actors SET type = 'Bot' WHERE id = $1`, dave); err != nil {
			t.Fatal(err)
		}
		refresh(t, e)
		if got := board(GroupPerson); got != "alice:20 erin:5" {
			t.Errorf("people after dave became a bot: %s", got)
		}
		// A new affiliations file: erin's domain now belongs to Initech.
		if _, err := SyncAffiliations(ctx, db, []Affiliation{{Company: "Initech", EmailDomain: "globex.example"}}); err != nil {
			t.Fatal(err)
		}
		if st := refresh(t, e); !st.Full {
			t.Errorf("refresh after the affiliations changed %+v; want a full one", st)
		}
		if got := board(GroupOrg); got != "Acme:20 Initech:5" {
			t.Errorf("companies after the new file: %s", got)
		}
		if changed, err := SyncAffiliations(ctx, db, []Affiliation{{Company: "Initech", EmailDomain: "GLOBEX.example"}}); err != nil || changed {
			t.Errorf("the same file again changed %v, %v; want nothing written", changed, err)
		}
		// greg has no address on his profile, but commits as
		// greg@globex.example: his pull request (1) counts for Initech at
		// once, in an incremental refresh.
		f := metricstest.New(t, db)
		f.Actor(core.Actor{ID: 108, Login: "greg"})
		f.Commit(core.Commit{RepoID: 1, SHA: sha("greg"), AuthorID: 108, AuthorEmail: "greg@globex.example", AuthoredAt: at("06-21 09:00")})
		f.Pull(core.PullRequest{ID: 2020, RepoID: 1, Number: 20, AuthorID: 108, Title: "greg", CreatedAt: at("06-21 10:00")})
		if st := refresh(t, e); st.Full {
			t.Errorf("refresh %+v; want an incremental one", st)
		}
		if got := board(GroupOrg); got != "Acme:20 Initech:6" {
			t.Errorf("companies after greg's commit: %s", got)
		}
	})
}

func TestOneRefreshAtATime(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	a := NewEngine(db, quiet, testSettings())
	b := NewEngine(db, quiet, testSettings())
	if ok, err := a.lock(context.Background()); !ok || err != nil {
		t.Fatalf("lock: %v %v", ok, err)
	}
	if _, err := b.Refresh(context.Background(), false); !errors.Is(err, ErrRefreshBusy) {
		t.Errorf("second refresh: %v; want ErrRefreshBusy", err)
	}
	// A scheduled refresh is skipped, a rebuild retries.
	if err := b.Handle(context.Background(), &store.Job{ID: 1, Args: `{}`}); err != nil {
		t.Errorf("scheduled refresh while busy: %v; want it skipped", err)
	}
	if err := b.Handle(context.Background(), &store.Job{ID: 2, Args: `{"full":true}`}); !errors.Is(err, ErrRefreshBusy) {
		t.Errorf("rebuild while busy: %v; want a retry", err)
	}
	a.unlock(context.Background())
	if _, err := b.Refresh(context.Background(), false); err != nil {
		t.Errorf("refresh after the lease was released: %v", err)
	}
	// A lease left by a process that died expires.
	if ok, _ := a.lock(context.Background()); !ok {
		t.Fatal("relock")
	}
	b.now = func() time.Time { return time.Now().Add(refreshLease + time.Minute) }
	if _, err := b.Refresh(context.Background(), false); err != nil {
		t.Errorf("refresh after the lease expired: %v", err)
	}
	if err := b.Handle(context.Background(), &store.Job{ID: 3, Args: `{"full":`}); err == nil {
		t.Error("bad arguments accepted")
	}
}

// A refresh that fails keeps what it took for the next one.
func TestFailedRefreshRequeues(t *testing.T) {
	eachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		sc := seedDelivery(t, db)
		e := NewEngine(db, quiet, testSettings())
		refresh(t, e)
		refresh(t, e)
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := db.W.ExecContext(ctx, `UPDATE pull_requests SET title = 'renamed' WHERE id = 1001`); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Refresh(cancelled, false); err == nil {
			t.Fatal("refresh with a cancelled context succeeded")
		}
		if err := e.requeue(ctx, false, []int64{sc.api}, []int64{alice}, errors.New("boom")); err == nil {
			t.Error("requeue lost the error")
		}
		repos, actors, all, err := e.takeChanges(ctx)
		if err != nil || all || len(actors) != 1 || actors[0] != alice || len(repos) == 0 || repos[0] != sc.api {
			t.Errorf("changes after requeue: repos %v actors %v all %v %v", repos, actors, all, err)
		}
		if err := e.requeue(ctx, true, nil, nil, errors.New("boom")); err == nil {
			t.Error("requeue lost the error")
		}
		if st := refresh(t, e); !st.Full {
			t.Errorf("refresh after a failed rebuild %+v; want a full one", st)
		}
	})
}

// A rollback names no deployment and the intake, comparing environments
// exactly, found none for "production" among "Production" deployments:
// the metrics, ignoring case, still blame the latest one.
func TestRollbackIgnoresEnvironmentCase(t *testing.T) {
	eachEngine(t, func(t *testing.T, db *store.DB) {
		f := metricstest.New(t, db)
		api := f.Repo(1, "acme/api", "main")
		f.GitHubDeployment(api, "1", "Production", sha("a"), at("06-01 09:00"), "success", at("06-01 09:05"))
		d2 := f.GitHubDeployment(api, "2", "Production", sha("b"), at("06-02 09:00"), "success", at("06-02 09:05"))
		if e := f.CI(`{"event":"rollback","repo":"acme/api","time":"2026-06-02T10:05:00Z"}`, at("06-02 10:05")); e.DeploymentID != 0 {
			t.Fatalf("the intake matched %d; this test is about the metrics matching", e.DeploymentID)
		}
		e := NewEngine(db, quiet, testSettings())
		refresh(t, e)
		d := mustDORA(t, e, week())
		// 1 of 2 failed; the rollback incident 09:05 → 10:05 = 3600s.
		if d.ChangeFailureRate.FailedDeployments != 1 || d.TimeToRestore.Incidents != 1 || num(d.TimeToRestore.Median) != "3600" {
			t.Errorf("%+v %+v", d.ChangeFailureRate, d.TimeToRestore)
		}
		inc, err := e.Incidents(context.Background(), IncidentQuery{Filter: week(), By: "opened", page: page{limit: 10}})
		if err != nil || inc.Total != 1 || *inc.Incidents[0].Deployment != d2 || inc.Incidents[0].Source != core.IncidentSourceRollback {
			t.Errorf("incidents %+v %v", inc, err)
		}
	})
}
