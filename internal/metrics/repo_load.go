package metrics

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/sextant-dev/sextant/internal/store"
)

// repoData is everything one repository's derivation reads, loaded in one
// pass per table.
type repoData struct {
	id            int64
	fullName      string
	owner         string
	defaultBranch string

	deployments   []*deployment
	rollbacks     []rollback
	compare       map[int64][]string // deployment id → shipped shas, from the compare API
	history       *history
	pulls         []*pull
	pullByNum     map[int64]*pull
	pullByMerge   map[string]*pull
	prCommits     map[string]bool // shas listed as a pull request's commits
	commits       map[string]commitInfo
	issues        []*issue
	issueComments []issueComment
	domains       map[actorDomain]bool // who committed with an address at which domain
	incidents     []*incident
	contribs      []contribution
}

type deployment struct {
	id            int64
	source        string
	env           string // lower case
	sha           string // lower case
	ref           string
	status        string // normalized: success, failure, error, pending, in_progress, inactive, …
	at            int64
	causedFailure bool

	production bool
	canonical  *deployment
	members    []*deployment // of a canonical deployment, itself first
	prev       *deployment
	baseline   bool

	commitsSource string // compare, pushes, or "" when unknown
	shipped       []shippedCommit
	commitsKnown  bool
	pulls         []*pull
	directLeads   []int64
	rework        bool
	failed        bool
}

func (d *deployment) success() bool { return d.status == statusSuccess }

// counted: a successful production deployment that is not a duplicate.
func (d *deployment) counted() bool { return d.production && d.success() && d.canonical == d }

const (
	statusSuccess = "success"
	statusFailure = "failure"
	statusError   = "error"
)

type rollback struct {
	id           int64
	at           int64
	env          string
	deploymentID int64
}

type pull struct {
	id, number, authorID  int64
	state                 string
	merged                bool
	mergeSHA, title       string
	createdAt, mergedAt   int64
	closedAt, firstCommit int64
	additions, deletions  sql.NullInt64
	labels                []string
	commits               []string
	firstResponse         int64
	firstReview           int64
	reviews               int64
	deployment            *deployment
	bot                   bool
	isRework              bool
}

type commitInfo struct {
	authoredAt int64
	revert     bool
}

type issue struct {
	id, number, authorID int64
	title, body          string
	state, stateReason   string
	createdAt, closedAt  int64
	deleted              bool
	labels               []string
	firstResponse        int64
}

type incident struct {
	id           int64
	source       string
	sourceID     string
	title        string
	openedAt     int64
	resolvedAt   int64
	deploymentID int64
}

// Contribution kinds. Comments on issues and on diffs are both "comments"
// in a breakdown, kept apart here because their ids are separate spaces.
const (
	kindPullOpened    = "pull_opened"
	kindPullMerged    = "pull_merged"
	kindReview        = "review"
	kindIssue         = "issue"
	kindIssueComment  = "issue_comment"
	kindReviewComment = "review_comment"
)

type contribution struct {
	kind     string
	sourceID int64
	actorID  int64
	at       int64
	points   int64
}

func nullMillis(v sql.NullInt64) int64 {
	if v.Valid {
		return v.Int64
	}
	return 0
}

func loadRepo(ctx context.Context, q store.Querier, w *world, repoID int64) (*repoData, error) {
	r := &repoData{id: repoID, compare: map[int64][]string{}, pullByNum: map[int64]*pull{},
		pullByMerge: map[string]*pull{}, prCommits: map[string]bool{}, commits: map[string]commitInfo{},
		domains: map[actorDomain]bool{}}
	var branch sql.NullString
	err := q.QueryRowContext(ctx, `SELECT full_name, owner, default_branch FROM repositories WHERE id = $1`, repoID).
		Scan(&r.fullName, &r.owner, &branch)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load repository %d: %w", repoID, err)
	}
	r.defaultBranch = branch.String
	steps := []struct {
		what string
		fn   func(context.Context, store.Querier, *world) error
	}{
		{"deployments", r.loadDeployments},
		{"rollbacks", r.loadRollbacks},
		{"deployment commits", r.loadCompare},
		{"pushes", r.loadPushes},
		{"commits", r.loadCommits},
		{"pull requests", r.loadPulls},
		{"reviews", r.loadReviews},
		{"comments", r.loadComments},
		{"issues", r.loadIssues},
		{"incidents", r.loadIncidents},
	}
	for _, s := range steps {
		if err := s.fn(ctx, q, w); err != nil {
			return nil, fmt.Errorf("load %s of %s: %w", s.what, r.fullName, err)
		}
	}
	return r, nil
}

func (r *repoData) loadDeployments(ctx context.Context, q store.Querier, w *world) error {
	prod := w.settings.productionEnvs(r.fullName)
	return query(ctx, q, `
		SELECT d.id, d.source, d.environment, d.sha, d.ref, d.status, d.created_at, d.finished_at, d.caused_failure,
			(SELECT MIN(s.created_at) FROM deployment_statuses s WHERE s.deployment_id = d.id AND s.state = 'success')
		FROM deployments d WHERE d.repo_id = $1`, []any{r.id}, func(rows *sql.Rows) error {
		var (
			d                 deployment
			sha, ref          sql.NullString
			created           int64
			finished, success sql.NullInt64
		)
		if err := rows.Scan(&d.id, &d.source, &d.env, &sha, &ref, &d.status, &created, &finished, &d.causedFailure, &success); err != nil {
			return err
		}
		d.env = strings.ToLower(strings.TrimSpace(d.env))
		d.sha, d.ref = strings.ToLower(sha.String), ref.String
		// A deployment that succeeded stays a success when GitHub later
		// marks it inactive (a newer one replaced it).
		switch {
		case success.Valid || d.status == statusSuccess:
			d.status = statusSuccess
			d.at = firstOf(success, finished, created)
		case d.status == statusFailure || d.status == statusError:
			d.at = firstOf(finished, sql.NullInt64{}, created)
		default:
			d.at = created
		}
		for _, p := range prod {
			if d.env == p {
				d.production = true
			}
		}
		r.deployments = append(r.deployments, &d)
		return nil
	})
}

func firstOf(a, b sql.NullInt64, c int64) int64 {
	switch {
	case a.Valid:
		return a.Int64
	case b.Valid:
		return b.Int64
	}
	return c
}

func (r *repoData) loadRollbacks(ctx context.Context, q store.Querier, w *world) error {
	return query(ctx, q, `SELECT id, at, environment, deployment_id FROM ci_events WHERE event = 'rollback' AND repo_id = $1`,
		[]any{r.id}, func(rows *sql.Rows) error {
			var (
				rb  rollback
				env sql.NullString
				dep sql.NullInt64
			)
			if err := rows.Scan(&rb.id, &rb.at, &env, &dep); err != nil {
				return err
			}
			rb.env, rb.deploymentID = strings.ToLower(env.String), dep.Int64
			if rb.env == "" {
				rb.env = "production"
			}
			r.rollbacks = append(r.rollbacks, rb)
			return nil
		})
}

func (r *repoData) loadCompare(ctx context.Context, q store.Querier, w *world) error {
	return query(ctx, q, `SELECT dc.deployment_id, dc.sha FROM deployment_commits dc
		JOIN deployments d ON d.id = dc.deployment_id WHERE d.repo_id = $1`, []any{r.id}, func(rows *sql.Rows) error {
		var (
			id  int64
			sha string
		)
		if err := rows.Scan(&id, &sha); err != nil {
			return err
		}
		r.compare[id] = append(r.compare[id], strings.ToLower(sha))
		return nil
	})
}

func (r *repoData) loadPushes(ctx context.Context, q store.Querier, w *world) error {
	byID := map[int64]*push{}
	var pushes []*push
	err := query(ctx, q, `SELECT id, ref, before_sha, after_sha, forced, created, deleted, distinct_size, pushed_at
		FROM pushes WHERE repo_id = $1 ORDER BY id`, []any{r.id}, func(rows *sql.Rows) error {
		var (
			p        push
			before   sql.NullString
			distinct sql.NullInt64
		)
		if err := rows.Scan(&p.id, &p.ref, &before, &p.after, &p.forced, &p.created, &p.deleted, &distinct, &p.pushedAt); err != nil {
			return err
		}
		p.before, p.after, p.distinctSize = strings.ToLower(before.String), strings.ToLower(p.after), distinct.Int64
		byID[p.id] = &p
		pushes = append(pushes, &p)
		return nil
	})
	if err != nil {
		return err
	}
	err = query(ctx, q, `SELECT pc.push_id, pc.sha FROM push_commits pc JOIN pushes p ON p.id = pc.push_id
		WHERE p.repo_id = $1 ORDER BY pc.push_id, pc.position`, []any{r.id}, func(rows *sql.Rows) error {
		var (
			id  int64
			sha string
		)
		if err := rows.Scan(&id, &sha); err != nil {
			return err
		}
		if p := byID[id]; p != nil {
			p.commits = append(p.commits, strings.ToLower(sha))
		}
		return nil
	})
	if err != nil {
		return err
	}
	r.history = newHistory(pushes)
	return nil
}

func (r *repoData) loadCommits(ctx context.Context, q store.Querier, w *world) error {
	// Only what a metric reads: when a commit was authored (lead time of
	// direct pushes, first commit of a pull request) and whether it is a
	// revert (rework). substr and = compare exactly on both engines, where
	// LIKE would ignore case on SQLite only.
	return query(ctx, q, `SELECT sha, authored_at, CASE WHEN substr(message, 1, 8) = 'Revert "' THEN 1 ELSE 0 END,
			author_id, author_email
		FROM commits WHERE repo_id = $1`, []any{r.id}, func(rows *sql.Rows) error {
		var (
			sha      string
			authored sql.NullInt64
			revert   int64
			author   sql.NullInt64
			email    sql.NullString
		)
		if err := rows.Scan(&sha, &authored, &revert, &author, &email); err != nil {
			return err
		}
		r.commits[strings.ToLower(sha)] = commitInfo{authoredAt: nullMillis(authored), revert: revert == 1}
		if d := domainOf(email.String); author.Valid && d != "" {
			r.domains[actorDomain{author.Int64, d}] = true
		}
		return nil
	})
}

func (r *repoData) loadPulls(ctx context.Context, q store.Querier, w *world) error {
	byID := map[int64]*pull{}
	err := query(ctx, q, `SELECT id, number, author_id, state, merged, merge_commit_sha, title, created_at, merged_at,
			closed_at, first_commit_at, additions, deletions
		FROM pull_requests WHERE repo_id = $1 ORDER BY number`, []any{r.id}, func(rows *sql.Rows) error {
		var (
			p                           pull
			author                      sql.NullInt64
			mergeSHA                    sql.NullString
			merged, closed, firstCommit sql.NullInt64
		)
		if err := rows.Scan(&p.id, &p.number, &author, &p.state, &p.merged, &mergeSHA, &p.title, &p.createdAt, &merged,
			&closed, &firstCommit, &p.additions, &p.deletions); err != nil {
			return err
		}
		p.authorID, p.mergeSHA = author.Int64, strings.ToLower(mergeSHA.String)
		p.mergedAt, p.closedAt, p.firstCommit = nullMillis(merged), nullMillis(closed), nullMillis(firstCommit)
		if !p.merged {
			p.mergedAt = 0
		}
		a := w.actor(p.authorID)
		p.bot = p.authorID != 0 && a.bot
		r.pulls = append(r.pulls, &p)
		r.pullByNum[p.number] = &p
		byID[p.id] = &p
		if p.merged && p.mergeSHA != "" {
			r.pullByMerge[p.mergeSHA] = &p
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = query(ctx, q, `SELECT l.pull_request_id, l.name FROM pull_request_labels l
		JOIN pull_requests p ON p.id = l.pull_request_id WHERE p.repo_id = $1 ORDER BY l.pull_request_id, l.name`,
		[]any{r.id}, func(rows *sql.Rows) error {
			var (
				id   int64
				name string
			)
			if err := rows.Scan(&id, &name); err != nil {
				return err
			}
			if p := byID[id]; p != nil {
				p.labels = append(p.labels, name)
			}
			return nil
		})
	if err != nil {
		return err
	}
	return query(ctx, q, `SELECT c.pull_request_id, c.sha FROM pull_request_commits c
		JOIN pull_requests p ON p.id = c.pull_request_id WHERE p.repo_id = $1`, []any{r.id}, func(rows *sql.Rows) error {
		var (
			id  int64
			sha string
		)
		if err := rows.Scan(&id, &sha); err != nil {
			return err
		}
		sha = strings.ToLower(sha)
		r.prCommits[sha] = true
		if p := byID[id]; p != nil {
			p.commits = append(p.commits, sha)
		}
		return nil
	})
}

// responder reports whether someone answering a pull request or issue
// counts for its first response: not its author, not a bot.
func responder(w *world, actor, author int64) bool {
	return actor != 0 && actor != author && !w.actor(actor).bot
}

// earliest keeps the earliest known time.
func earliest(cur *int64, t int64) {
	if t != 0 && (*cur == 0 || t < *cur) {
		*cur = t
	}
}

func (r *repoData) loadReviews(ctx context.Context, q store.Querier, w *world) error {
	byID := map[int64]*pull{}
	for _, p := range r.pulls {
		byID[p.id] = p
	}
	return query(ctx, q, `SELECT id, pull_request_id, reviewer_id, state, submitted_at FROM reviews WHERE repo_id = $1`,
		[]any{r.id}, func(rows *sql.Rows) error {
			var (
				id, prID  int64
				reviewer  sql.NullInt64
				state     string
				submitted sql.NullInt64
			)
			if err := rows.Scan(&id, &prID, &reviewer, &state, &submitted); err != nil {
				return err
			}
			p := byID[prID]
			if p == nil || state == "PENDING" || !submitted.Valid {
				return nil
			}
			if responder(w, reviewer.Int64, p.authorID) {
				earliest(&p.firstResponse, submitted.Int64)
				earliest(&p.firstReview, submitted.Int64)
				p.reviews++
				r.contribs = append(r.contribs, contribution{kindReview, id, reviewer.Int64, submitted.Int64, int64(w.settings.Weights.Review)})
			}
			return nil
		})
}

func (r *repoData) loadComments(ctx context.Context, q store.Querier, w *world) error {
	byID := map[int64]*pull{}
	for _, p := range r.pulls {
		byID[p.id] = p
	}
	comment := int64(w.settings.Weights.Comment)
	err := query(ctx, q, `SELECT id, pull_request_id, author_id, created_at FROM review_comments
		WHERE repo_id = $1 AND NOT deleted`, []any{r.id}, func(rows *sql.Rows) error {
		var (
			id, prID, at int64
			author       sql.NullInt64
		)
		if err := rows.Scan(&id, &prID, &author, &at); err != nil {
			return err
		}
		if p := byID[prID]; p != nil && responder(w, author.Int64, p.authorID) {
			earliest(&p.firstResponse, at)
		}
		if author.Int64 != 0 && !w.actor(author.Int64).bot {
			r.contribs = append(r.contribs, contribution{kindReviewComment, id, author.Int64, at, comment})
		}
		return nil
	})
	if err != nil {
		return err
	}
	// Issue comments are matched to issues after those load; pull request
	// conversation comments are matched here.
	return query(ctx, q, `SELECT id, issue_number, on_pull, author_id, created_at FROM issue_comments
		WHERE repo_id = $1 AND NOT deleted`, []any{r.id}, func(rows *sql.Rows) error {
		var (
			id, number, at int64
			onPull         bool
			author         sql.NullInt64
		)
		if err := rows.Scan(&id, &number, &onPull, &author, &at); err != nil {
			return err
		}
		if p := r.pullByNum[number]; p != nil && onPull && responder(w, author.Int64, p.authorID) {
			earliest(&p.firstResponse, at)
		}
		if !onPull {
			r.issueComments = append(r.issueComments, issueComment{number, author.Int64, at})
		}
		if author.Int64 != 0 && !w.actor(author.Int64).bot {
			r.contribs = append(r.contribs, contribution{kindIssueComment, id, author.Int64, at, comment})
		}
		return nil
	})
}

type actorDomain struct {
	actor  int64
	domain string
}

type issueComment struct {
	number, author, at int64
}

func (r *repoData) loadIssues(ctx context.Context, q store.Querier, w *world) error {
	byID := map[int64]*issue{}
	byNum := map[int64]*issue{}
	err := query(ctx, q, `SELECT id, number, author_id, title, body, state, state_reason, created_at, closed_at, deleted
		FROM issues WHERE repo_id = $1 ORDER BY number`, []any{r.id}, func(rows *sql.Rows) error {
		var (
			is           issue
			author       sql.NullInt64
			body, reason sql.NullString
			closed       sql.NullInt64
		)
		if err := rows.Scan(&is.id, &is.number, &author, &is.title, &body, &is.state, &reason, &is.createdAt, &closed, &is.deleted); err != nil {
			return err
		}
		is.authorID, is.body, is.stateReason, is.closedAt = author.Int64, body.String, reason.String, nullMillis(closed)
		r.issues = append(r.issues, &is)
		byID[is.id] = &is
		byNum[is.number] = &is
		return nil
	})
	if err != nil {
		return err
	}
	err = query(ctx, q, `SELECT l.issue_id, l.name FROM issue_labels l JOIN issues i ON i.id = l.issue_id
		WHERE i.repo_id = $1 ORDER BY l.issue_id, l.name`, []any{r.id}, func(rows *sql.Rows) error {
		var (
			id   int64
			name string
		)
		if err := rows.Scan(&id, &name); err != nil {
			return err
		}
		if is := byID[id]; is != nil {
			is.labels = append(is.labels, name)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, c := range r.issueComments {
		if is := byNum[c.number]; is != nil && responder(w, c.author, is.authorID) {
			earliest(&is.firstResponse, c.at)
		}
	}
	issuePoints := int64(w.settings.Weights.Issue)
	for _, is := range r.issues {
		if !is.deleted && is.authorID != 0 && !w.actor(is.authorID).bot {
			r.contribs = append(r.contribs, contribution{kindIssue, is.id, is.authorID, is.createdAt, issuePoints})
		}
	}
	return nil
}

func (r *repoData) loadIncidents(ctx context.Context, q store.Querier, w *world) error {
	r.incidents = r.incidents[:0]
	return query(ctx, q, `SELECT id, source, source_id, title, opened_at, resolved_at, deployment_id FROM incidents
		WHERE repo_id = $1 ORDER BY id`, []any{r.id}, func(rows *sql.Rows) error {
		var (
			in                 incident
			title              sql.NullString
			resolved, deployID sql.NullInt64
		)
		if err := rows.Scan(&in.id, &in.source, &in.sourceID, &title, &in.openedAt, &resolved, &deployID); err != nil {
			return err
		}
		in.title, in.resolvedAt, in.deploymentID = title.String, nullMillis(resolved), deployID.Int64
		r.incidents = append(r.incidents, &in)
		return nil
	})
}
