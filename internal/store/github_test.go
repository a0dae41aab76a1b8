package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/sextant-dev/sextant/internal/core"
	"github.com/sextant-dev/sextant/internal/store"
	"github.com/sextant-dev/sextant/internal/store/storetest"
)

var ghTime = time.Date(2025, 3, 3, 10, 0, 0, 0, time.UTC)

func at(minutes int) time.Time { return ghTime.Add(time.Duration(minutes) * time.Minute) }

// permutations returns every order of n items.
func permutations(n int) [][]int {
	if n == 1 {
		return [][]int{{0}}
	}
	var out [][]int
	for _, p := range permutations(n - 1) {
		for i := 0; i <= len(p); i++ {
			q := append(append(append([]int{}, p[:i]...), n-1), p[i:]...)
			out = append(out, q)
		}
	}
	return out
}

func TestMembershipSpansIgnoreArrivalOrder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		type change struct {
			added bool
			at    int
		}
		// Joined at 0, left at 10, joined again at 20 (as maintainer), a
		// duplicate "added" at 25 while a member, and a removal at 30.
		changes := []change{{true, 0}, {false, 10}, {true, 20}, {true, 25}, {false, 30}}
		want := "[{0 10 member} {20 30 maintainer}]"
		// One transaction: 120 orders of 5 changes, without an fsync each.
		tx, err := db.W.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		for i, order := range permutations(len(changes)) {
			team := int64(1000 + i)
			for _, k := range order {
				c := changes[k]
				role := "member"
				if c.at >= 20 {
					role = "maintainer"
				}
				var err error
				if c.added {
					err = store.AddTeamMember(ctx, tx, team, 7, role, at(c.at))
				} else {
					err = store.RemoveTeamMember(ctx, tx, team, 7, at(c.at))
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			ms, err := store.TeamMembers(ctx, tx, team)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range ms {
				got = append(got, fmt.Sprintf("{%d %d %s}", int(m.Since.Sub(ghTime).Minutes()), int(m.Until.Sub(ghTime).Minutes()), m.Role))
			}
			if s := fmt.Sprint(got); s != want {
				t.Fatalf("order %v gives spans %s; want %s", order, s, want)
			}
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		// A removal seen before any addition opens nothing until the
		// addition arrives; a redelivered change is ignored.
		if err := store.RemoveOrgMember(ctx, db.W, 1, 8, at(50)); err != nil {
			t.Fatal(err)
		}
		if ms, _ := store.OrgMembers(ctx, db.R, 1); len(ms) != 0 {
			t.Fatalf("spans from a lone removal: %+v", ms)
		}
		for range 2 {
			if err := store.AddOrgMember(ctx, db.W, 1, 8, "admin", at(40)); err != nil {
				t.Fatal(err)
			}
		}
		ms, _ := store.OrgMembers(ctx, db.R, 1)
		if len(ms) != 1 || !ms[0].Since.Equal(at(40)) || !ms[0].Until.Equal(at(50)) || ms[0].Role != "admin" {
			t.Fatalf("spans = %+v; want one from 40 to 50", ms)
		}
	})
}

func TestTeamRepositoriesFollowTheLatestChange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ops := []func(team int64) error{
			func(team int64) error { return store.AddTeamRepository(ctx, db.W, team, 5, "push", at(0)) },
			func(team int64) error { return store.RemoveTeamRepository(ctx, db.W, team, 5, at(10)) },
			func(team int64) error { return store.AddTeamRepository(ctx, db.W, team, 6, "admin", at(5)) },
		}
		for i, order := range permutations(len(ops)) {
			team := int64(i + 1)
			for _, k := range order {
				if err := ops[k](team); err != nil {
					t.Fatal(err)
				}
			}
			if repos, _ := store.TeamRepositories(ctx, db.R, team); fmt.Sprint(repos) != "[6]" {
				t.Errorf("order %v: repositories %v; want [6] (5 was removed last)", order, repos)
			}
		}
	})
}

func TestPullRequestVersions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		repo, err := store.UpsertRepository(ctx, db.W, core.Repository{GitHubID: 9, FullName: "acme/api"})
		if err != nil {
			t.Fatal(err)
		}
		base := core.PullRequest{ID: 77, RepoID: repo, Number: 3, Title: "Add", State: core.StateOpen, CreatedAt: at(0),
			UpdatedAt: at(1), Labels: []string{"a"}, Additions: 10}
		merged := base
		merged.State, merged.Merged, merged.MergedAt, merged.ClosedAt, merged.UpdatedAt = core.StateClosed, true, at(5), at(5), at(5)
		merged.Labels = []string{"a", "b"}
		sameTimeOpen := merged // another copy of the same second that is still open
		sameTimeOpen.State, sameTimeOpen.Merged, sameTimeOpen.MergedAt, sameTimeOpen.ClosedAt = core.StateOpen, false, time.Time{}, time.Time{}
		abridged := merged
		abridged.ID, abridged.Number, abridged.Abridged, abridged.UpdatedAt, abridged.Merged = 78, 4, true, at(9), false
		full78 := abridged
		full78.Abridged, full78.UpdatedAt, full78.Additions = false, at(2), 40

		for i, order := range permutations(3) {
			id := int64(100 + i)
			copies := []core.PullRequest{base, merged, sameTimeOpen}
			for _, k := range order {
				c := copies[k]
				c.ID, c.Number = id, 100+i
				if _, err := store.UpsertPullRequest(ctx, db.W, c); err != nil {
					t.Fatal(err)
				}
			}
			got, err := store.GetPullRequest(ctx, db.R, id)
			if err != nil {
				t.Fatal(err)
			}
			// merged (rank 2) beats the open copy of the same updated_at, and
			// both beat the older one.
			if !got.Merged || got.State != core.StateClosed || fmt.Sprint(got.Labels) != "[a b]" {
				t.Errorf("order %v: %+v; want the merged copy", order, got)
			}
		}
		// An abridged copy fills a missing row; a full copy replaces it even
		// when older, and a later abridged copy changes nothing.
		for _, c := range []core.PullRequest{abridged, full78, abridged} {
			if _, err := store.UpsertPullRequest(ctx, db.W, c); err != nil {
				t.Fatal(err)
			}
		}
		got, _ := store.GetPullRequest(ctx, db.R, 78)
		if got.Abridged || got.Additions != 40 || !got.UpdatedAt.Equal(at(2)) {
			t.Errorf("after abridged, full, abridged: %+v; want the full copy", got)
		}
		// Another id claiming a number: the later one keeps it.
		if _, err := store.UpsertPullRequest(ctx, db.W, base); err != nil {
			t.Fatal(err)
		}
		clash := base
		clash.ID, clash.UpdatedAt = 79, at(30)
		if _, err := store.UpsertPullRequest(ctx, db.W, clash); err != nil {
			t.Fatal(err)
		}
		first, err := store.GetPullRequest(ctx, db.R, 77)
		if err != nil || first.Number != -77 {
			t.Errorf("older pull request with the same number kept %d, %v; want -77", first.Number, err)
		}
		if second, err := store.GetPullRequest(ctx, db.R, 79); err != nil || second.Number != 3 {
			t.Errorf("newer pull request has number %d, %v; want 3", second.Number, err)
		}
	})
}

func TestPushedCommitsLinkInEitherOrder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		repo, _ := store.UpsertRepository(ctx, db.W, core.Repository{GitHubID: 9, FullName: "acme/api"})
		zero := "0000000000000000000000000000000000000000"
		// The branch is created with c1, c2, then c3 is pushed; c0 was
		// pushed to the branch by an earlier pull request, before the branch
		// was deleted and created again.
		pushes := []core.Push{
			{Ref: "refs/heads/feature", BeforeSHA: zero, AfterSHA: "c0", Created: true, PushedAt: at(-60), DeliveryID: "p0", Commits: []string{"c0"}},
			{Ref: "refs/heads/feature", BeforeSHA: zero, AfterSHA: "c2", Created: true, PushedAt: at(1), DeliveryID: "p1", Commits: []string{"c1", "c2"}},
			{Ref: "refs/heads/feature", BeforeSHA: "c2", AfterSHA: "c3", PushedAt: at(3), DeliveryID: "p2", Commits: []string{"c3"}},
		}
		commits := map[string]time.Time{"c0": at(-70), "c1": at(-5), "c2": at(0), "c3": at(2)}
		pr := core.PullRequest{RepoID: repo, Title: "f", State: core.StateOpen, HeadRef: "feature", HeadSHA: "c3",
			CreatedAt: at(2), UpdatedAt: at(4)}
		for i, prFirst := range []bool{true, false} {
			p := pr
			p.ID, p.Number = int64(500+i), 500+i
			r := repo
			if i == 1 {
				r, _ = store.UpsertRepository(ctx, db.W, core.Repository{GitHubID: 10, FullName: "acme/web"})
				p.RepoID = r
			}
			if prFirst {
				if _, err := store.UpsertPullRequest(ctx, db.W, p); err != nil {
					t.Fatal(err)
				}
			}
			for _, ps := range pushes {
				ps.RepoID, ps.DeliveryID = r, fmt.Sprint(ps.DeliveryID, "-", i)
				for _, sha := range ps.Commits {
					if err := store.UpsertCommit(ctx, db.W, core.Commit{RepoID: r, SHA: sha, AuthoredAt: commits[sha]}); err != nil {
						t.Fatal(err)
					}
				}
				if _, _, err := store.InsertPush(ctx, db.W, ps); err != nil {
					t.Fatal(err)
				}
				if err := store.LinkPushToPullRequests(ctx, db.W, r, ps.Ref); err != nil {
					t.Fatal(err)
				}
			}
			if !prFirst {
				if _, err := store.UpsertPullRequest(ctx, db.W, p); err != nil {
					t.Fatal(err)
				}
			}
			shas, err := store.PullRequestCommits(ctx, db.R, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := store.GetPullRequest(ctx, db.R, p.ID)
			// c1 is the earliest commit of this pull request (c0 belongs to the
			// branch's earlier life).
			if fmt.Sprint(shas) != "[c1 c2 c3]" || !got.FirstCommitAt.Equal(at(-5)) {
				t.Errorf("pull request first %v: commits %v, first commit %v; want [c1 c2 c3] from %v", prFirst, shas, got.FirstCommitAt, at(-5))
			}
		}
	})
}

func TestIssueTransferFromEitherEnd(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		oldRepo, _ := store.UpsertRepository(ctx, db.W, core.Repository{GitHubID: 1, FullName: "acme/old"})
		newRepo, _ := store.UpsertRepository(ctx, db.W, core.Repository{GitHubID: 2, FullName: "acme/new"})
		oldIssue := core.Issue{ID: 10, RepoID: oldRepo, Number: 4, Title: "Bug", State: core.StateOpen, CreatedAt: at(0), UpdatedAt: at(5)}
		fromOld := core.IssueTransfer{OldIssueID: 10, OldRepoID: oldRepo, OldNumber: 4, NewIssueID: 20, NewRepoID: newRepo, NewNumber: 1, ActorID: 3, TransferredAt: at(6)}
		fromNew := core.IssueTransfer{OldIssueID: 10, OldRepoID: oldRepo, OldNumber: 4, NewIssueID: 20, NewRepoID: newRepo, NewNumber: 1, ActorID: 3, TransferredAt: at(7)}
		for _, order := range [][]int{{0, 1, 2}, {2, 1, 0}, {1, 2, 0}} {
			if _, err := db.W.Exec(`DELETE FROM issues; DELETE FROM issue_transfers`); err != nil {
				t.Fatal(err)
			}
			steps := []func() error{
				func() error { _, err := store.UpsertIssue(ctx, db.W, oldIssue); return err },
				func() error { return store.RecordIssueTransfer(ctx, db.W, fromOld) },
				func() error { return store.RecordIssueTransfer(ctx, db.W, fromNew) },
			}
			for _, k := range order {
				if err := steps[k](); err != nil {
					t.Fatal(err)
				}
			}
			tr, err := store.IssueTransferOf(ctx, db.R, 10)
			if err != nil || tr.NewIssueID != 20 || tr.NewRepoID != newRepo || !tr.TransferredAt.Equal(at(6)) {
				t.Errorf("order %v: transfer %+v, %v; want to 20 at the earlier time", order, tr, err)
			}
			is, err := store.GetIssue(ctx, db.R, 10)
			if err != nil || is.State != core.StateClosed || is.StateReason != store.StateReasonTransferred || !is.ClosedAt.Equal(at(6)) {
				t.Errorf("order %v: old issue %+v, %v; want closed as transferred at 6", order, is, err)
			}
		}
	})
}

func TestRepositoryNameClaims(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		old := core.Repository{GitHubID: 1, FullName: "acme/api", UpdatedAt: at(0)}
		recreated := core.Repository{GitHubID: 2, FullName: "acme/api", UpdatedAt: at(10)}
		for i, order := range [][]core.Repository{{old, recreated}, {recreated, old}} {
			if i > 0 {
				db.W.Exec(`DELETE FROM repositories`)
			}
			for _, r := range order {
				if _, err := store.UpsertRepository(ctx, db.W, r); err != nil {
					t.Fatal(err)
				}
			}
			var names []string
			rows, _ := db.R.Query(`SELECT full_name FROM repositories ORDER BY github_id`)
			for rows.Next() {
				var n string
				rows.Scan(&n)
				names = append(names, n)
			}
			rows.Close()
			if !slices.Equal(names, []string{"acme/api@1", "acme/api"}) {
				t.Errorf("order %d: names %v; want the newer repository to hold the name", i, names)
			}
		}
	})
}
