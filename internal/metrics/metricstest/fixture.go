// Package metricstest writes test fixtures into the domain tables of schema
// v1 for the metrics engine's tests. Deployments and CI events go through
// the real store and intake; the GitHub entities whose store functions are
// not there yet are written with plain SQL, all in this one place, so that
// switching to the store's upserts changes nothing else.
package metricstest

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/sextant-dev/sextant/internal/core"
	"github.com/sextant-dev/sextant/internal/ingest"
	"github.com/sextant-dev/sextant/internal/store"
)

// Fixture writes fixtures into one database, failing the test on error.
type Fixture struct {
	T   testing.TB
	DB  *store.DB
	ctx context.Context
	ci  *ingest.CIEvents
	tok int64
}

// New returns a fixture writer for db.
func New(t testing.TB, db *store.DB) *Fixture {
	return &Fixture{T: t, DB: db, ctx: context.Background(), ci: ingest.NewCIEvents(db, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)}
}

func (f *Fixture) exec(q string, args ...any) {
	f.T.Helper()
	if _, err := f.DB.W.ExecContext(f.ctx, q, args...); err != nil {
		f.T.Fatalf("%s: %v", q, err)
	}
}

func ms(t time.Time) sql.NullInt64 { return store.Millis(t) }

func null(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

func nullID(id int64) sql.NullInt64 { return sql.NullInt64{Int64: id, Valid: id != 0} }

// Repo stores a repository seen on GitHub (owner/name) with its default
// branch and returns its id.
func (f *Fixture) Repo(githubID int64, fullName, defaultBranch string) int64 {
	f.T.Helper()
	id, err := store.UpsertRepository(f.ctx, f.DB.W, core.Repository{GitHubID: githubID, FullName: fullName, DefaultBranch: defaultBranch})
	if err != nil {
		f.T.Fatal(err)
	}
	return id
}

// Actor stores a user or bot.
func (f *Fixture) Actor(a core.Actor) {
	f.T.Helper()
	if a.Type == "" {
		a.Type = core.ActorUser
	}
	f.exec(`INSERT INTO actors (id, login, type, name, email, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (id) DO UPDATE SET login = excluded.login, type = excluded.type, email = excluded.email`,
		a.ID, a.Login, a.Type, null(a.Name), null(a.Email), ms(a.UpdatedAt))
}

// Org stores an organization.
func (f *Fixture) Org(o core.Organization) {
	f.T.Helper()
	f.exec(`INSERT INTO organizations (id, login, name) VALUES ($1, $2, $3)`, o.ID, o.Login, null(o.Name))
}

// OrgMember stores a span of organization membership.
func (f *Fixture) OrgMember(m core.OrgMember) {
	f.T.Helper()
	f.exec(`INSERT INTO org_members (org_id, actor_id, role, since, until) VALUES ($1, $2, $3, $4, $5)`,
		m.OrgID, m.ActorID, null(m.Role), m.Since.UnixMilli(), ms(m.Until))
}

// Team stores a team.
func (f *Fixture) Team(t core.Team) {
	f.T.Helper()
	f.exec(`INSERT INTO teams (id, org_id, slug, name, deleted) VALUES ($1, $2, $3, $4, $5)`,
		t.ID, nullID(t.OrgID), t.Slug, t.Name, t.Deleted)
}

// TeamMember stores a span of team membership.
func (f *Fixture) TeamMember(m core.TeamMember) {
	f.T.Helper()
	f.exec(`INSERT INTO team_members (team_id, actor_id, role, since, until) VALUES ($1, $2, $3, $4, $5)`,
		m.TeamID, m.ActorID, null(m.Role), m.Since.UnixMilli(), ms(m.Until))
}

// TeamRepo gives a team a permission on a repository.
func (f *Fixture) TeamRepo(teamID, repoID int64, permission string) {
	f.T.Helper()
	f.exec(`INSERT INTO team_repositories (team_id, repo_id, permission) VALUES ($1, $2, $3)`, teamID, repoID, permission)
}

// Pull stores a pull request with its labels.
func (f *Fixture) Pull(p core.PullRequest) {
	f.T.Helper()
	if p.State == "" {
		p.State = core.StateOpen
	}
	if p.UpdatedAt.IsZero() {
		p.UpdatedAt = p.CreatedAt
	}
	f.exec(`INSERT INTO pull_requests (id, repo_id, number, author_id, title, state, draft, merged, merge_commit_sha,
			head_sha, base_ref, created_at, updated_at, closed_at, merged_at, first_commit_at, additions, deletions, commits)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)`,
		p.ID, p.RepoID, p.Number, nullID(p.AuthorID), p.Title, p.State, p.Draft, p.Merged, null(p.MergeCommitSHA),
		null(p.HeadSHA), null(p.BaseRef), p.CreatedAt.UnixMilli(), p.UpdatedAt.UnixMilli(), ms(p.ClosedAt), ms(p.MergedAt),
		ms(p.FirstCommitAt), sql.NullInt64{Int64: int64(p.Additions), Valid: p.Additions+p.Deletions > 0},
		sql.NullInt64{Int64: int64(p.Deletions), Valid: p.Additions+p.Deletions > 0}, nullID(int64(p.Commits)))
	for _, l := range p.Labels {
		f.exec(`INSERT INTO pull_request_labels (pull_request_id, name) VALUES ($1, $2)`, p.ID, l)
	}
}

// PullCommits lists the commits of a pull request's branch.
func (f *Fixture) PullCommits(pullID int64, shas ...string) {
	f.T.Helper()
	for _, s := range shas {
		f.exec(`INSERT INTO pull_request_commits (pull_request_id, sha) VALUES ($1, $2)`, pullID, s)
	}
}

// Review stores a review.
func (f *Fixture) Review(r core.Review) {
	f.T.Helper()
	if r.State == "" {
		r.State = core.ReviewApproved
	}
	f.exec(`INSERT INTO reviews (id, pull_request_id, repo_id, reviewer_id, state, commit_id, submitted_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, r.ID, r.PullRequestID, r.RepoID, nullID(r.ReviewerID), r.State,
		null(r.CommitID), ms(r.SubmittedAt))
}

// ReviewComment stores a comment on a pull request's diff.
func (f *Fixture) ReviewComment(c core.ReviewComment) {
	f.T.Helper()
	f.exec(`INSERT INTO review_comments (id, pull_request_id, repo_id, author_id, created_at, deleted)
		VALUES ($1, $2, $3, $4, $5, $6)`, c.ID, c.PullRequestID, c.RepoID, nullID(c.AuthorID), c.CreatedAt.UnixMilli(), c.Deleted)
}

// IssueComment stores a comment on an issue or a pull request.
func (f *Fixture) IssueComment(c core.IssueComment) {
	f.T.Helper()
	f.exec(`INSERT INTO issue_comments (id, repo_id, issue_number, issue_id, on_pull, author_id, created_at, deleted)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, c.ID, c.RepoID, c.IssueNumber, nullID(c.IssueID), c.OnPull,
		nullID(c.AuthorID), c.CreatedAt.UnixMilli(), c.Deleted)
}

// Issue stores an issue with its labels.
func (f *Fixture) Issue(i core.Issue) {
	f.T.Helper()
	if i.State == "" {
		i.State = core.StateOpen
	}
	if i.UpdatedAt.IsZero() {
		i.UpdatedAt = i.CreatedAt
	}
	f.exec(`INSERT INTO issues (id, repo_id, number, author_id, title, body, state, state_reason, created_at, updated_at, closed_at, deleted)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`, i.ID, i.RepoID, i.Number, nullID(i.AuthorID), i.Title,
		null(i.Body), i.State, null(i.StateReason), i.CreatedAt.UnixMilli(), i.UpdatedAt.UnixMilli(), ms(i.ClosedAt), i.Deleted)
	for _, l := range i.Labels {
		f.exec(`INSERT INTO issue_labels (issue_id, name) VALUES ($1, $2)`, i.ID, l)
	}
}

// Commit stores a commit.
func (f *Fixture) Commit(c core.Commit) {
	f.T.Helper()
	f.exec(`INSERT INTO commits (repo_id, sha, author_id, author_email, authored_at, committed_at, message)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, c.RepoID, c.SHA, nullID(c.AuthorID), null(c.AuthorEmail),
		ms(c.AuthoredAt), ms(c.CommittedAt), null(c.Message))
}

// Push stores a push and its commits (oldest first) and returns its id.
func (f *Fixture) Push(p core.Push) int64 {
	f.T.Helper()
	if p.Ref == "" {
		p.Ref = "refs/heads/main"
	}
	if p.DistinctSize == 0 {
		p.DistinctSize = len(p.Commits)
	}
	var id int64
	err := f.DB.W.QueryRowContext(f.ctx, `INSERT INTO pushes (repo_id, ref, before_sha, after_sha, pusher_id, forced, created, deleted,
			distinct_size, pushed_at, delivery_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
		p.RepoID, p.Ref, null(p.BeforeSHA), p.AfterSHA, nullID(p.PusherID), p.Forced, p.Created, p.Deleted,
		p.DistinctSize, p.PushedAt.UnixMilli(), null(p.DeliveryID)).Scan(&id)
	if err != nil {
		f.T.Fatal(err)
	}
	for i, c := range p.Commits {
		f.exec(`INSERT INTO push_commits (push_id, position, sha) VALUES ($1, $2, $3)`, id, i, c)
	}
	return id
}

// WorkflowRun stores a GitHub Actions workflow run.
func (f *Fixture) WorkflowRun(r core.WorkflowRun) {
	f.T.Helper()
	f.exec(`INSERT INTO workflow_runs (id, repo_id, name, event, head_sha, head_branch, run_number, run_attempt, status,
			conclusion, created_at, started_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
		ON CONFLICT (id) DO UPDATE SET status = excluded.status, conclusion = excluded.conclusion, updated_at = excluded.updated_at,
			run_attempt = excluded.run_attempt, name = excluded.name`,
		r.ID, r.RepoID, null(r.Name), null(r.Event), null(r.HeadSHA), null(r.HeadBranch), r.RunNumber, r.RunAttempt,
		null(r.Status), null(r.Conclusion), ms(r.CreatedAt), ms(r.StartedAt), ms(r.UpdatedAt))
}

// Deployment stores a deployment through the store, then its statuses,
// and returns its id.
func (f *Fixture) Deployment(d core.Deployment, statuses ...core.DeploymentStatus) int64 {
	f.T.Helper()
	id, err := store.UpsertDeployment(f.ctx, f.DB.W, d)
	if err != nil {
		f.T.Fatal(err)
	}
	for i, s := range statuses {
		if s.SourceID == "" {
			s.SourceID = d.SourceID + "-" + strconv.Itoa(i)
		}
		if err := store.AddDeploymentStatus(f.ctx, f.DB.W, id, s); err != nil {
			f.T.Fatal(err)
		}
	}
	return id
}

// GitHubDeployment stores a GitHub deployment of sha to env created at
// created, with a final status state at finished.
func (f *Fixture) GitHubDeployment(repoID int64, sourceID, env, sha string, created time.Time, state string, finished time.Time) int64 {
	f.T.Helper()
	return f.Deployment(core.Deployment{Source: core.SourceGitHub, SourceID: sourceID, RepoID: repoID, Environment: env,
		SHA: sha, Ref: "main", CreatedAt: created}, core.DeploymentStatus{State: state, CreatedAt: finished})
}

// CI records a CI event (a version 1 body) through the real intake, as a
// pipeline reporting at now would, and returns the stored event.
func (f *Fixture) CI(body string, now time.Time) core.CIEvent {
	f.T.Helper()
	if f.tok == 0 {
		_, tok, err := f.DB.CreateToken(f.ctx, "fixture-ci", []string{core.ScopeEventsWrite}, now)
		if err != nil {
			f.T.Fatal(err)
		}
		f.tok = tok.ID
	}
	e, err := ingest.ParseCIEvent([]byte(body), now)
	if err != nil {
		f.T.Fatalf("%s: %v", body, err)
	}
	stored, _, err := f.ci.Record(f.ctx, f.tok, e, now)
	if err != nil {
		f.T.Fatalf("%s: %v", body, err)
	}
	return stored
}
