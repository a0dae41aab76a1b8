package web

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sextant-dev/sextant/internal/store"
	"github.com/sextant-dev/sextant/internal/store/storetest"
)

// ownExamples holds the edited copies for what the published examples lack.
const ownExamples = "../../testdata/github-webhooks"

// payload is an example payload, decoded generically so that the tests
// read the expected values from it rather than repeating them.
type payload struct {
	t    *testing.T
	raw  []byte
	tree map[string]any
}

func loadPayload(t *testing.T, path string) payload {
	t.Helper()
	raw := readFile(t, path)
	p := payload{t: t, raw: raw}
	if err := json.Unmarshal(raw, &p.tree); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return p
}

func example(t *testing.T, rel string) payload {
	return loadPayload(t, filepath.Join(examplesDir, rel))
}
func own(t *testing.T, rel string) payload { return loadPayload(t, filepath.Join(ownExamples, rel)) }

// get returns the value at a dotted path (array elements by index).
func (p payload) get(path string) any {
	p.t.Helper()
	var v any = p.tree
	for _, k := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			var i int
			fmt.Sscan(k, &i)
			v = x[i]
		default:
			p.t.Fatalf("payload has no %s", path)
		}
	}
	return v
}

func (p payload) id(path string) int64 {
	p.t.Helper()
	f, ok := p.get(path).(float64)
	if !ok {
		p.t.Fatalf("payload %s is %v, not a number", path, p.get(path))
	}
	return int64(f)
}

func (p payload) str(path string) string {
	p.t.Helper()
	s, _ := p.get(path).(string)
	return s
}

// ms is a payload time as stored (Unix milliseconds).
func (p payload) ms(path string) int64 {
	p.t.Helper()
	switch v := p.get(path).(type) {
	case string:
		tm, err := time.Parse(time.RFC3339, v)
		if err != nil {
			p.t.Fatalf("payload %s: %v", path, err)
		}
		return tm.UnixMilli()
	case float64:
		return int64(v) * 1000
	}
	p.t.Fatalf("payload %s is not a time", path)
	return 0
}

// row reads one row of query into dst.
func (f *hookFixture) row(query string, args []any, dst ...any) {
	f.t.Helper()
	if err := f.db.R.QueryRow(query, args...).Scan(dst...); err != nil {
		f.t.Fatalf("%s %v: %v", query, args, err)
	}
}

func (f *hookFixture) deliver(event string, ps ...payload) {
	f.t.Helper()
	for _, p := range ps {
		if a := f.post(event, p.raw); a.status != 202 {
			f.t.Fatalf("%s: %d %v", event, a.status, a.body)
		}
	}
	f.project()
}

// repoID is Sextant's id of the payload's repository.
func (f *hookFixture) repoID(p payload, path string) int64 {
	f.t.Helper()
	var id int64
	f.row(`SELECT id FROM repositories WHERE github_id = $1`, []any{p.id(path + ".id")}, &id)
	return id
}

func (f *hookFixture) actorLogin(id int64) string {
	f.t.Helper()
	var login string
	f.row(`SELECT login FROM actors WHERE id = $1`, []any{id}, &login)
	return login
}

func eq[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v; want %v", what, got, want)
	}
}

func TestProjectPullRequests(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newHookFixture(t, db, hookSecret)
		opened, merged := example(t, "pull_request/opened.payload.json"), own(t, "pull_request/closed.merged.payload.json")
		f.deliver("pull_request", opened)
		var (
			state, title, head, base, sha string
			number, author, repo          int64
			created, updated              int64
			merged_, draft                bool
			adds, dels, files, commits    int64
		)
		q := `SELECT number, repo_id, author_id, state, title, head_ref, base_ref, COALESCE(merge_commit_sha, ''), created_at, updated_at,
			merged, draft, additions, deletions, changed_files, commits FROM pull_requests WHERE id = $1`
		f.row(q, []any{opened.id("pull_request.id")}, &number, &repo, &author, &state, &title, &head, &base, &sha,
			&created, &updated, &merged_, &draft, &adds, &dels, &files, &commits)
		eq(t, "number", number, opened.id("pull_request.number"))
		eq(t, "repo", repo, f.repoID(opened, "repository"))
		eq(t, "author", author, opened.id("pull_request.user.id"))
		eq(t, "author login", f.actorLogin(author), opened.str("pull_request.user.login"))
		eq(t, "state", state, "open")
		eq(t, "title", title, opened.str("pull_request.title"))
		eq(t, "head", head, opened.str("pull_request.head.ref"))
		eq(t, "base", base, opened.str("pull_request.base.ref"))
		eq(t, "created", created, opened.ms("pull_request.created_at"))
		eq(t, "updated", updated, opened.ms("pull_request.updated_at"))
		eq(t, "merged", merged_, false)
		eq(t, "additions", adds, opened.id("pull_request.additions"))
		eq(t, "deletions", dels, opened.id("pull_request.deletions"))
		eq(t, "changed files", files, opened.id("pull_request.changed_files"))
		eq(t, "commits", commits, opened.id("pull_request.commits"))
		var labels string
		f.row(`SELECT name FROM pull_request_labels WHERE pull_request_id = $1`, []any{opened.id("pull_request.id")}, &labels)
		eq(t, "label", labels, opened.str("pull_request.labels.0.name"))
		var orgs int
		f.row(`SELECT COUNT(*) FROM organizations`, nil, &orgs)
		eq(t, "organizations from a repository-level payload", orgs, 0)

		f.deliver("pull_request", merged)
		var mergedAt, mergedBy, closedAt int64
		f.row(`SELECT state, merged, merged_at, merged_by_id, merge_commit_sha, closed_at FROM pull_requests WHERE id = $1`,
			[]any{merged.id("pull_request.id")}, &state, &merged_, &mergedAt, &mergedBy, &sha, &closedAt)
		eq(t, "state after merge", state, "closed")
		eq(t, "merged", merged_, true)
		eq(t, "merged_at", mergedAt, merged.ms("pull_request.merged_at"))
		eq(t, "merged by", mergedBy, merged.id("pull_request.merged_by.id"))
		eq(t, "merge commit", sha, merged.str("pull_request.merge_commit_sha"))
		eq(t, "closed_at", closedAt, merged.ms("pull_request.closed_at"))
	})
}

func TestProjectReviewsAndComments(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newHookFixture(t, db, hookSecret)
		commented := example(t, "pull_request_review/submitted.payload.json")
		approved := own(t, "pull_request_review/submitted.approved.payload.json")
		changes := own(t, "pull_request_review/submitted.changes_requested.payload.json")
		f.deliver("pull_request_review", commented, approved, changes)
		for _, tc := range []struct {
			p     payload
			state string
		}{{commented, "COMMENTED"}, {approved, "APPROVED"}, {changes, "CHANGES_REQUESTED"}} {
			var (
				state, commit        string
				pr, reviewer, repoID int64
				submitted            int64
			)
			f.row(`SELECT pull_request_id, repo_id, reviewer_id, state, commit_id, submitted_at FROM reviews WHERE id = $1`,
				[]any{tc.p.id("review.id")}, &pr, &repoID, &reviewer, &state, &commit, &submitted)
			eq(t, "review state", state, tc.state)
			eq(t, "review pull request", pr, tc.p.id("pull_request.id"))
			eq(t, "review repository", repoID, f.repoID(tc.p, "repository"))
			eq(t, "reviewer", reviewer, tc.p.id("review.user.id"))
			eq(t, "commit", commit, tc.p.str("review.commit_id"))
			eq(t, "submitted", submitted, tc.p.ms("review.submitted_at"))
		}
		// The review payload's abridged pull request filled the row.
		var abridged bool
		f.row(`SELECT abridged FROM pull_requests WHERE id = $1`, []any{commented.id("pull_request.id")}, &abridged)
		eq(t, "pull request from a review is abridged", abridged, true)
		// A full copy replaces it even though it is older.
		opened := example(t, "pull_request/opened.payload.json")
		f.deliver("pull_request", opened)
		var adds sql.NullInt64
		f.row(`SELECT abridged, additions FROM pull_requests WHERE id = $1`, []any{opened.id("pull_request.id")}, &abridged, &adds)
		eq(t, "abridged after a full copy", abridged, false)
		eq(t, "additions from the full copy", adds.Int64, opened.id("pull_request.additions"))

		rc := example(t, "pull_request_review_comment/created.payload.json")
		f.deliver("pull_request_review_comment", rc)
		var pr, author, review, created int64
		f.row(`SELECT pull_request_id, author_id, review_id, created_at FROM review_comments WHERE id = $1`,
			[]any{rc.id("comment.id")}, &pr, &author, &review, &created)
		eq(t, "comment pull request", pr, rc.id("pull_request.id"))
		eq(t, "comment author", author, rc.id("comment.user.id"))
		eq(t, "comment review", review, rc.id("comment.pull_request_review_id"))
		eq(t, "comment created", created, rc.ms("comment.created_at"))
		f.deliver("pull_request_review_comment", example(t, "pull_request_review_comment/deleted.payload.json"))
		var deleted bool
		f.row(`SELECT deleted FROM review_comments WHERE id = $1`, []any{rc.id("comment.id")}, &deleted)
		eq(t, "review comment deleted", deleted, true)

		ic := example(t, "issue_comment/created.payload.json")
		f.deliver("issue_comment", ic)
		var number, issueID int64
		var onPull bool
		f.row(`SELECT issue_number, issue_id, on_pull, author_id, created_at FROM issue_comments WHERE id = $1`,
			[]any{ic.id("comment.id")}, &number, &issueID, &onPull, &author, &created)
		eq(t, "issue comment number", number, ic.id("issue.number"))
		eq(t, "issue comment issue", issueID, ic.id("issue.id"))
		eq(t, "issue comment on a pull request", onPull, ic.get("issue.pull_request") != nil)
		eq(t, "issue comment author", author, ic.id("comment.user.id"))
		eq(t, "issue comment created", created, ic.ms("comment.created_at"))
	})
}

func TestProjectIssuesAndTransfers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newHookFixture(t, db, hookSecret)
		opened, closed := example(t, "issues/opened.payload.json"), own(t, "issues/closed.payload.json")
		f.deliver("issues", opened)
		var (
			state, title string
			body         sql.NullString
			reason       sql.NullString
			closedAt     sql.NullInt64
			author       int64
		)
		q := `SELECT state, title, body, state_reason, closed_at, author_id FROM issues WHERE id = $1`
		f.row(q, []any{opened.id("issue.id")}, &state, &title, &body, &reason, &closedAt, &author)
		eq(t, "state", state, "open")
		eq(t, "title", title, opened.str("issue.title"))
		eq(t, "body", body.String, opened.str("issue.body"))
		eq(t, "author", author, opened.id("issue.user.id"))
		f.deliver("issues", closed)
		f.row(q, []any{closed.id("issue.id")}, &state, &title, &body, &reason, &closedAt, &author)
		eq(t, "state after close", state, "closed")
		eq(t, "state reason", reason.String, closed.str("issue.state_reason"))
		eq(t, "closed at", closedAt.Int64, closed.ms("issue.closed_at"))
		// Older copies change nothing now.
		f.deliver("issues", opened)
		f.row(q, []any{closed.id("issue.id")}, &state, &title, &body, &reason, &closedAt, &author)
		eq(t, "state after an older copy", state, "closed")

		// A transfer, learned from the old end.
		tr := example(t, "issues/transferred.payload.json")
		f.deliver("issues", tr)
		var oldRepo, oldNumber, newIssue, newRepo, newNumber int64
		f.row(`SELECT old_repo_id, old_number, new_issue_id, new_repo_id, new_number FROM issue_transfers WHERE old_issue_id = $1`,
			[]any{tr.id("issue.id")}, &oldRepo, &oldNumber, &newIssue, &newRepo, &newNumber)
		eq(t, "old repository", oldRepo, f.repoID(tr, "repository"))
		eq(t, "old number", oldNumber, tr.id("issue.number"))
		eq(t, "new issue", newIssue, tr.id("changes.new_issue.id"))
		eq(t, "new repository", newRepo, f.repoID(tr, "changes.new_repository"))
		eq(t, "new number", newNumber, tr.id("changes.new_issue.number"))
		f.row(`SELECT state, state_reason FROM issues WHERE id = $1`, []any{tr.id("issue.id")}, &state, &reason)
		eq(t, "transferred issue state", state+"/"+reason.String, "closed/transferred")
		var n int
		f.row(`SELECT COUNT(*) FROM issues WHERE id = $1`, []any{tr.id("changes.new_issue.id")}, &n)
		eq(t, "new issue stored", n, 1)

		// The new end names the old one.
		nw := example(t, "issues/opened.with-transfer.payload.json")
		f.deliver("issues", nw)
		f.row(`SELECT old_repo_id, old_number, new_issue_id, new_repo_id, new_number FROM issue_transfers WHERE old_issue_id = $1`,
			[]any{nw.id("changes.old_issue.id")}, &oldRepo, &oldNumber, &newIssue, &newRepo, &newNumber)
		eq(t, "old repository (new end)", oldRepo, f.repoID(nw, "changes.old_repository"))
		eq(t, "old number (new end)", oldNumber, nw.id("changes.old_issue.number"))
		eq(t, "new issue (new end)", newIssue, nw.id("issue.id"))
		eq(t, "new repository (new end)", newRepo, f.repoID(nw, "repository"))
	})
}

func TestProjectPushesAndRefs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newHookFixture(t, db, hookSecret)
		push := example(t, "push/payload.json")
		f.deliver("push", push)
		guid := f.received[len(f.received)-1]
		p, err := store.PushByDelivery(t.Context(), db.R, guid)
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "ref", p.Ref, push.str("ref"))
		eq(t, "before", p.BeforeSHA, push.str("before"))
		eq(t, "after", p.AfterSHA, push.str("after"))
		eq(t, "pusher", p.PusherID, push.id("sender.id"))
		eq(t, "pushed at", p.PushedAt.UnixMilli(), push.ms("repository.pushed_at"))
		commits := push.get("commits").([]any)
		eq(t, "commits", len(p.Commits), len(commits))
		for i := range commits {
			sha := push.str(fmt.Sprintf("commits.%d.id", i))
			eq(t, "commit sha", p.Commits[i], sha)
			c, err := store.GetCommit(t.Context(), db.R, p.RepoID, sha)
			if err != nil {
				t.Fatal(err)
			}
			eq(t, "commit author email", c.AuthorEmail, push.str(fmt.Sprintf("commits.%d.author.email", i)))
			eq(t, "commit authored", c.AuthoredAt.UnixMilli(), push.ms(fmt.Sprintf("commits.%d.timestamp", i)))
			eq(t, "commit message", c.Message, push.str(fmt.Sprintf("commits.%d.message", i)))
		}
		var pushedAt int64
		f.row(`SELECT pushed_at FROM repositories WHERE id = $1`, []any{p.RepoID}, &pushedAt)
		eq(t, "repository pushed_at", pushedAt, push.ms("repository.pushed_at"))

		for _, ev := range []string{"create", "delete"} {
			e := example(t, ev+"/payload.json")
			f.deliver(ev, e)
			var ref, typ, action string
			var actor int64
			f.row(`SELECT ref, ref_type, action, actor_id FROM ref_events WHERE delivery_id = $1`,
				[]any{f.received[len(f.received)-1]}, &ref, &typ, &action, &actor)
			eq(t, ev+" ref", ref, e.str("ref"))
			eq(t, ev+" ref type", typ, e.str("ref_type"))
			eq(t, ev+" action", action, ev+"d")
			eq(t, ev+" actor", actor, e.id("sender.id"))
		}
	})
}

func TestProjectDeployments(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newHookFixture(t, db, hookSecret)
		dep, ok, failed := example(t, "deployment/payload.json"), example(t, "deployment_status/payload.json"),
			own(t, "deployment_status/failure.payload.json")
		f.deliver("deployment", dep)
		var (
			env, sha, ref, status, source string
			created                       int64
			finished                      sql.NullInt64
		)
		q := `SELECT source, environment, sha, ref, status, created_at, finished_at FROM deployments WHERE source_id = $1`
		f.row(q, []any{fmt.Sprint(dep.id("deployment.id"))}, &source, &env, &sha, &ref, &status, &created, &finished)
		eq(t, "source", source, "github")
		eq(t, "environment", env, dep.str("deployment.environment"))
		eq(t, "sha", sha, dep.str("deployment.sha"))
		eq(t, "ref", ref, dep.str("deployment.ref"))
		eq(t, "status before any status", status, "pending")
		eq(t, "created", created, dep.ms("deployment.created_at"))

		f.deliver("deployment_status", ok)
		f.row(q, []any{fmt.Sprint(ok.id("deployment.id"))}, &source, &env, &sha, &ref, &status, &created, &finished)
		eq(t, "status", status, ok.str("deployment_status.state"))
		eq(t, "finished", finished.Int64, ok.ms("deployment_status.created_at"))

		f.deliver("deployment_status", failed)
		f.row(q, []any{fmt.Sprint(failed.id("deployment.id"))}, &source, &env, &sha, &ref, &status, &created, &finished)
		eq(t, "status after the later failure", status, "failure")
		eq(t, "finished at the first final status", finished.Int64, ok.ms("deployment_status.created_at"))
		var n int
		f.row(`SELECT COUNT(*) FROM deployment_statuses`, nil, &n)
		eq(t, "statuses", n, 2)
		// The deployment delivered again after its statuses keeps their status.
		f.deliver("deployment", dep)
		f.row(q, []any{fmt.Sprint(dep.id("deployment.id"))}, &source, &env, &sha, &ref, &status, &created, &finished)
		eq(t, "status after the deployment again", status, "failure")
	})
}

func TestProjectChecksAndWorkflows(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newHookFixture(t, db, hookSecret)
		suite, run := example(t, "check_suite/completed.payload.json"), example(t, "check_run/completed.payload.json")
		wr, wj := example(t, "workflow_run/completed.payload.json"), example(t, "workflow_job/completed.failure.with-organization.payload.json")
		f.deliver("check_suite", suite)
		f.deliver("check_run", run)
		f.deliver("workflow_run", wr)
		f.deliver("workflow_job", wj)
		var status, conclusion, sha, name string
		f.row(`SELECT status, conclusion, head_sha FROM check_suites WHERE id = $1`, []any{suite.id("check_suite.id")}, &status, &conclusion, &sha)
		eq(t, "suite status", status, suite.str("check_suite.status"))
		eq(t, "suite conclusion", conclusion, suite.str("check_suite.conclusion"))
		eq(t, "suite sha", sha, suite.str("check_suite.head_sha"))
		var suiteID, completed int64
		f.row(`SELECT name, status, conclusion, check_suite_id, completed_at FROM check_runs WHERE id = $1`,
			[]any{run.id("check_run.id")}, &name, &status, &conclusion, &suiteID, &completed)
		eq(t, "run name", name, run.str("check_run.name"))
		eq(t, "run status", status, run.str("check_run.status"))
		eq(t, "run conclusion", conclusion, run.str("check_run.conclusion"))
		eq(t, "run suite", suiteID, run.id("check_run.check_suite.id"))
		eq(t, "run completed", completed, run.ms("check_run.completed_at"))
		var workflow, number, attempt, runID int64
		f.row(`SELECT COALESCE(name, ''), workflow_id, run_number, run_attempt, status, conclusion FROM workflow_runs WHERE id = $1`,
			[]any{wr.id("workflow_run.id")}, &name, &workflow, &number, &attempt, &status, &conclusion)
		eq(t, "workflow name", name, wr.str("workflow_run.name"))
		eq(t, "workflow id", workflow, wr.id("workflow_run.workflow_id"))
		eq(t, "run number", number, wr.id("workflow_run.run_number"))
		eq(t, "workflow conclusion", conclusion, wr.str("workflow_run.conclusion"))
		f.row(`SELECT run_id, name, status, conclusion, completed_at FROM workflow_jobs WHERE id = $1`,
			[]any{wj.id("workflow_job.id")}, &runID, &name, &status, &conclusion, &completed)
		eq(t, "job run", runID, wj.id("workflow_job.run_id"))
		eq(t, "job name", name, wj.str("workflow_job.name"))
		eq(t, "job conclusion", conclusion, wj.str("workflow_job.conclusion"))
		eq(t, "job completed", completed, wj.ms("workflow_job.completed_at"))
	})
}

func TestProjectReleasesAndRepositories(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newHookFixture(t, db, hookSecret)
		rel := example(t, "release/published.payload.json")
		f.deliver("release", rel)
		var tag, target string
		var author, published int64
		var draft, deleted bool
		q := `SELECT tag_name, target_commitish, author_id, published_at, draft, deleted FROM releases WHERE id = $1`
		f.row(q, []any{rel.id("release.id")}, &tag, &target, &author, &published, &draft, &deleted)
		eq(t, "tag", tag, rel.str("release.tag_name"))
		eq(t, "target", target, rel.str("release.target_commitish"))
		eq(t, "author", author, rel.id("release.author.id"))
		eq(t, "published", published, rel.ms("release.published_at"))
		f.deliver("release", example(t, "release/deleted.payload.json"))
		f.row(q, []any{rel.id("release.id")}, &tag, &target, &author, &published, &draft, &deleted)
		eq(t, "release deleted", deleted, true)

		renamed := example(t, "repository/renamed.payload.json")
		f.deliver("repository", renamed)
		var fullName string
		var private bool
		f.row(`SELECT full_name, private FROM repositories WHERE github_id = $1`, []any{renamed.id("repository.id")}, &fullName, &private)
		eq(t, "renamed repository", fullName, renamed.str("repository.full_name"))
		eq(t, "private", private, renamed.get("repository.private").(bool))

		inst := example(t, "installation/created.payload.json")
		f.deliver("installation", inst)
		for _, r := range inst.get("repositories").([]any) {
			name := r.(map[string]any)["full_name"].(string)
			var n int
			f.row(`SELECT COUNT(*) FROM repositories WHERE full_name = $1`, []any{name}, &n)
			eq(t, "installed repository "+name, n, 1)
		}
		eq(t, "installation account", f.actorLogin(inst.id("installation.account.id")), inst.str("installation.account.login"))

		member := example(t, "member/added.payload.json")
		f.deliver("member", member)
		eq(t, "collaborator", f.actorLogin(member.id("member.id")), member.str("member.login"))
	})
}

func TestProjectOrganizationsAndTeams(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newHookFixture(t, db, hookSecret)
		added, removed := example(t, "organization/member_added.payload.json"), own(t, "organization/member_removed.payload.json")
		f.deliver("organization", added)
		orgID, userID := added.id("organization.id"), added.id("membership.user.id")
		var login string
		f.row(`SELECT login FROM organizations WHERE id = $1`, []any{orgID}, &login)
		eq(t, "organization", login, added.str("organization.login"))
		members, err := store.OrgMembers(t.Context(), db.R, orgID)
		if err != nil || len(members) != 1 || members[0].ActorID != userID || !members[0].Until.IsZero() ||
			members[0].Role != added.str("membership.role") {
			t.Fatalf("members after member_added = %+v, %v", members, err)
		}
		f.deliver("organization", removed)
		members, _ = store.OrgMembers(t.Context(), db.R, orgID)
		if len(members) != 1 || members[0].Until.IsZero() || members[0].Until.Before(members[0].Since) {
			t.Fatalf("members after member_removed = %+v; want the span closed", members)
		}

		created := example(t, "team/created.payload.json")
		f.deliver("team", created)
		teamID := created.id("team.id")
		var slug, name string
		f.row(`SELECT slug, name FROM teams WHERE id = $1`, []any{teamID}, &slug, &name)
		eq(t, "team slug", slug, created.str("team.slug"))
		eq(t, "team name", name, created.str("team.name"))

		toRepo := example(t, "team/added_to_repository.payload.json")
		f.deliver("team", toRepo)
		repos, _ := store.TeamRepositories(t.Context(), db.R, toRepo.id("team.id"))
		eq(t, "team repositories", fmt.Sprint(repos), fmt.Sprint([]int64{f.repoID(toRepo, "repository")}))
		f.deliver("team", example(t, "team/removed_from_repository.payload.json"))
		repos, _ = store.TeamRepositories(t.Context(), db.R, toRepo.id("team.id"))
		eq(t, "team repositories after removal", len(repos), 0)

		ta := example(t, "team_add/payload.json")
		f.deliver("team_add", ta)
		repos, _ = store.TeamRepositories(t.Context(), db.R, ta.id("team.id"))
		if !slices.Contains(repos, f.repoID(ta, "repository")) {
			t.Errorf("team_add: team %d repositories %v lack the payload's repository", ta.id("team.id"), repos)
		}

		ma := example(t, "membership/added.payload.json")
		f.deliver("membership", ma)
		tm, _ := store.TeamMembers(t.Context(), db.R, ma.id("team.id"))
		if len(tm) != 1 || tm[0].ActorID != ma.id("member.id") || !tm[0].Until.IsZero() {
			t.Fatalf("team members after added = %+v", tm)
		}
		f.deliver("membership", example(t, "membership/removed.payload.json"))
		tm, _ = store.TeamMembers(t.Context(), db.R, ma.id("team.id"))
		if len(tm) != 1 || tm[0].Until.IsZero() {
			t.Fatalf("team members after removed = %+v; want the span closed", tm)
		}
		deletedTeam := example(t, "membership/removed.with-deleted-team.payload.json")
		f.deliver("membership", deletedTeam)
		var deleted bool
		f.row(`SELECT deleted FROM teams WHERE id = $1`, []any{deletedTeam.id("team.id")}, &deleted)
		eq(t, "deleted team", deleted, true)
		f.deliver("team", example(t, "team/deleted.payload.json"))
		f.row(`SELECT deleted FROM teams WHERE id = $1`, []any{example(t, "team/deleted.payload.json").id("team.id")}, &deleted)
		eq(t, "team deleted", deleted, true)
	})
}
