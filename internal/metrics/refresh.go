package metrics

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sextant-dev/sextant/internal/core"
	"github.com/sextant-dev/sextant/internal/jobs"
	"github.com/sextant-dev/sextant/internal/store"
)

// RefreshKind is the job kind (and schedule name) of the metrics refresh;
// RebuildSchedule names the schedule of the full rebuild.
const (
	RefreshKind     = "metrics_refresh"
	RebuildSchedule = "metrics_rebuild"
)

// RefreshArgs are the arguments of a refresh job.
type RefreshArgs struct {
	// Full rebuilds every repository, not only those that changed.
	Full bool `json:"full,omitempty"`
}

// derivedTableNames are the tables a refresh writes.
var derivedTableNames = []string{"metric_deployments", "metric_pulls", "metric_incidents", "metric_issues",
	"metric_contributions", "metric_contribution_sums", "metric_team_contribution_sums", "metric_actor_domains"}

// ErrRefreshBusy is returned when another process is refreshing.
var ErrRefreshBusy = errors.New("another metrics refresh is running")

// refreshLease bounds how long a refresh that died keeps others out; a
// running refresh renews it after every repository.
const refreshLease = 10 * time.Minute

// Engine derives the metrics' tables from the domain tables and answers
// metric queries from them.
type Engine struct {
	db    *store.DB
	log   *slog.Logger
	s     Settings
	owner string
	now   func() time.Time
}

// NewEngine returns an engine following the definitions in s.
func NewEngine(db *store.DB, log *slog.Logger, s Settings) *Engine {
	b := make([]byte, 6)
	rand.Read(b)
	return &Engine{db: db, log: log, s: s.normalized(), owner: hex.EncodeToString(b), now: time.Now}
}

// RefreshStats say what a refresh did.
type RefreshStats struct {
	Full     bool          `json:"full"`
	Repos    int           `json:"repos"`
	Days     int           `json:"days"`
	Inserted int           `json:"inserted"`
	Updated  int           `json:"updated"`
	Deleted  int           `json:"deleted"`
	Duration time.Duration `json:"duration_ns"`
}

// Handle runs a refresh job (a jobs.Handler). A refresh already running
// elsewhere makes a scheduled refresh unnecessary; a full rebuild waits
// for it by retrying.
func (e *Engine) Handle(ctx context.Context, job *store.Job) error {
	var args RefreshArgs
	if job.Args != "" {
		if err := json.Unmarshal([]byte(job.Args), &args); err != nil {
			return jobs.Permanent(fmt.Errorf("metrics refresh job %d: arguments %s: %w", job.ID, job.Args, err))
		}
	}
	_, err := e.Refresh(ctx, args.Full)
	if errors.Is(err, ErrRefreshBusy) && !args.Full {
		e.log.Debug("metrics refresh skipped: another is running", "job", job.ID)
		return nil
	}
	return err
}

// Refresh brings the derived tables up to date: the repositories (and the
// people) that changed since the last refresh, or everything when full,
// when the definitions changed, or on the first run.
func (e *Engine) Refresh(ctx context.Context, full bool) (RefreshStats, error) {
	start := e.now()
	st := RefreshStats{}
	got, err := e.lock(ctx)
	if err != nil {
		return st, err
	}
	if !got {
		return st, ErrRefreshBusy
	}
	defer e.unlock(context.WithoutCancel(ctx))

	fingerprint := e.s.fingerprint()
	prev, err := e.stateValue(ctx, "definitions")
	if err != nil {
		return st, err
	}
	full = full || prev != fingerprint
	repos, actors, all, err := e.takeChanges(ctx)
	if err != nil {
		return st, err
	}
	full = full || all
	st.Full = full
	if full {
		repos = nil
		err = query(ctx, e.db.R, `SELECT id FROM repositories ORDER BY id`, nil, func(rows *sql.Rows) error {
			var id int64
			err := rows.Scan(&id)
			repos = append(repos, id)
			return err
		})
		if err != nil {
			return st, fmt.Errorf("list repositories: %w", err)
		}
		repos = append(repos, 0)
	} else if len(actors) > 0 {
		more, err := e.reposOf(ctx, actors)
		if err != nil {
			return st, err
		}
		repos = append(repos, more...)
	}
	slices.Sort(repos)
	repos = slices.Compact(repos)
	if len(repos) == 0 && len(actors) == 0 {
		st.Duration = e.now().Sub(start)
		return st, e.setState(ctx, "refreshed", `{"repos":0}`, 0)
	}

	w, err := loadWorld(ctx, e.db, e.s, full)
	if err != nil {
		return st, e.requeue(ctx, full, repos, actors, err)
	}
	days := map[int64]bool{}
	// fail keeps what this refresh did not finish for the next one. The
	// repositories already written changed contributions whose sums must
	// follow now: a later refresh would find nothing left to change there.
	fail := func(remaining []int64, err error) error {
		if !full && len(days) > 0 {
			if err := e.sum(ctx, false, days); err != nil {
				e.log.Error("metrics refresh: could not sum the contributions it changed; the next rebuild will", "err", err)
			}
		}
		return e.requeue(ctx, full, remaining, actors, err)
	}
	for i, repo := range repos {
		if err := e.deriveRepo(ctx, w, repo, days, &st); err != nil {
			return st, fail(repos[i:], fmt.Errorf("metrics refresh of repository %d: %w", repo, err))
		}
		if repo != 0 {
			st.Repos++
		}
		if ok, err := e.lock(ctx); err != nil || !ok {
			if err == nil {
				err = fmt.Errorf("metrics refresh: lost its lease to another process")
			}
			return st, fail(repos[i+1:], err)
		}
	}
	if !full && len(actors) > 0 {
		// A membership change moves contributions between teams without
		// changing them: the days those people contributed on are redone.
		if err := e.daysOf(ctx, actors, days); err != nil {
			return st, fail(nil, err)
		}
	}
	if err := e.sum(ctx, full, days); err != nil {
		// Which days changed is known to this run only: rebuild next time.
		return st, e.requeue(ctx, true, nil, nil, err)
	}
	st.Days = len(days)
	if full {
		// A rebuild rewrote the derived tables: fresh statistics let the
		// planners pick the covering indexes the queries were made for.
		for _, t := range derivedTableNames {
			if _, err := e.db.W.ExecContext(ctx, `ANALYZE `+t); err != nil {
				e.log.Warn("metrics refresh: analyze", "table", t, "err", err)
			}
		}
	}
	st.Duration = e.now().Sub(start)
	stats, _ := json.Marshal(st)
	if err := e.setState(ctx, "definitions", fingerprint, 0); err != nil {
		return st, err
	}
	if err := e.setState(ctx, "refreshed", string(stats), 0); err != nil {
		return st, err
	}
	e.log.Info("metrics refreshed", "full", st.Full, "repos", st.Repos, "days", st.Days,
		"inserted", st.Inserted, "updated", st.Updated, "deleted", st.Deleted, "duration", st.Duration)
	return st, nil
}

// requeue puts back what a failed refresh took but did not finish, so the
// next one does it, and returns err.
func (e *Engine) requeue(ctx context.Context, full bool, repos, actors []int64, err error) error {
	ctx = context.WithoutCancel(ctx)
	err2 := e.db.Tx(ctx, func(tx *sql.Tx) error {
		if full {
			_, err := tx.ExecContext(ctx, `INSERT INTO metric_changes (scope, ref) VALUES ('all', NULL)`)
			return err
		}
		for _, r := range repos {
			if _, err := tx.ExecContext(ctx, `INSERT INTO metric_changes (scope, ref) VALUES ('repo', $1)`, r); err != nil {
				return err
			}
		}
		for _, a := range actors {
			if _, err := tx.ExecContext(ctx, `INSERT INTO metric_changes (scope, ref) VALUES ('actor', $1)`, a); err != nil {
				return err
			}
		}
		return nil
	})
	if err2 != nil {
		e.log.Error("metrics refresh: could not keep the changes it did not finish; the next rebuild will", "err", err2)
	}
	return err
}

// takeChanges removes and returns the recorded changes. Deleting with
// RETURNING takes exactly the rows it reports, so a change committed while
// this runs stays for the next refresh.
func (e *Engine) takeChanges(ctx context.Context) (repos, actors []int64, all bool, err error) {
	err = e.db.Tx(ctx, func(tx *sql.Tx) error {
		return query(ctx, tx, `DELETE FROM metric_changes RETURNING scope, ref`, nil, func(rows *sql.Rows) error {
			var (
				scope string
				ref   sql.NullInt64
			)
			if err := rows.Scan(&scope, &ref); err != nil {
				return err
			}
			switch scope {
			case "repo":
				repos = append(repos, ref.Int64)
			case "actor":
				actors = append(actors, ref.Int64)
			default:
				all = true
			}
			return nil
		})
	})
	if err != nil {
		return nil, nil, false, fmt.Errorf("take metric changes: %w", err)
	}
	slices.Sort(actors)
	return repos, slices.Compact(actors), all, nil
}

// inList renders ids as a literal list: they are integers from the
// database, and a literal list keeps one statement for any number of them.
func inList(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// reposOf lists the repositories where people contributed or authored a
// pull request: their company or bot status changed there.
func (e *Engine) reposOf(ctx context.Context, actors []int64) ([]int64, error) {
	var out []int64
	list := inList(actors)
	err := query(ctx, e.db.R, `SELECT repo_id FROM metric_contributions WHERE actor_id IN `+list+`
		UNION SELECT repo_id FROM metric_pulls WHERE author_id IN `+list, nil, func(rows *sql.Rows) error {
		var id int64
		err := rows.Scan(&id)
		out = append(out, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("find repositories of changed people: %w", err)
	}
	return out, nil
}

// lock takes or renews the refresh lease; false when another holds it.
func (e *Engine) lock(ctx context.Context) (bool, error) {
	now := e.now().UnixMilli()
	var owner string
	err := e.db.W.QueryRowContext(ctx, `
		INSERT INTO metric_state (name, value, until, updated_at) VALUES ('lock', $1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value, until = excluded.until, updated_at = excluded.updated_at
		WHERE metric_state.value = excluded.value OR metric_state.until IS NULL OR metric_state.until < $3
		RETURNING value`, e.owner, now+refreshLease.Milliseconds(), now).Scan(&owner)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("take the metrics refresh lease: %w", err)
	}
	return true, nil
}

func (e *Engine) unlock(ctx context.Context) {
	_, err := e.db.W.ExecContext(ctx, `UPDATE metric_state SET until = NULL WHERE name = 'lock' AND value = $1`, e.owner)
	if err != nil {
		e.log.Warn("release the metrics refresh lease", "err", err)
	}
}

func (e *Engine) stateValue(ctx context.Context, name string) (string, error) {
	var v sql.NullString
	err := e.db.R.QueryRowContext(ctx, `SELECT value FROM metric_state WHERE name = $1`, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read metrics state %s: %w", name, err)
	}
	return v.String, nil
}

func (e *Engine) setState(ctx context.Context, name, value string, until int64) error {
	_, err := e.db.W.ExecContext(ctx, `
		INSERT INTO metric_state (name, value, until, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value, until = excluded.until, updated_at = excluded.updated_at`,
		name, value, orNil(until), e.now().UnixMilli())
	if err != nil {
		return fmt.Errorf("save metrics state %s: %w", name, err)
	}
	return nil
}

// RefreshedAt is when the derived tables were last brought up to date;
// zero before the first refresh.
func (e *Engine) RefreshedAt(ctx context.Context) (time.Time, error) {
	var at sql.NullInt64
	err := e.db.R.QueryRowContext(ctx, `SELECT updated_at FROM metric_state WHERE name = 'refreshed'`).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("read metrics refresh time: %w", err)
	}
	return store.Time(at), nil
}

// deriveRepo recomputes one repository's derived rows (repository 0: the
// incidents of no repository) and records the days whose contributions
// changed.
func (e *Engine) deriveRepo(ctx context.Context, w *world, repoID int64, days map[int64]bool, st *RefreshStats) error {
	if repoID == 0 {
		return e.deriveOrphanIncidents(ctx, st)
	}
	if err := e.materializeWorkflows(ctx, repoID); err != nil {
		return err
	}
	r, err := loadRepo(ctx, e.db.R, w, repoID)
	if err != nil {
		return err
	}
	if r == nil {
		// The repository is gone: so are its derived rows.
		return e.writeRepo(ctx, repoID, derivedRows{}, days, st)
	}
	dedup(r.deployments, e.s.DedupWindow)
	counted := chains(r)
	ship(r, counted)
	first := assign(r, counted)
	bodies := map[string]string{}
	for _, is := range r.issues {
		bodies[strconv.FormatInt(is.id, 10)] = is.body
	}
	changed, err := e.materializeIssueIncidents(ctx, r)
	if err != nil {
		return err
	}
	if changed {
		if err := r.loadIncidents(ctx, e.db.R, w); err != nil {
			return err
		}
	}
	links := link(r, counted, first, e.s.IncidentWindow, bodies)
	targets := rollbackTargets(r, counted)
	if changed, err = e.materializeRollbackIncidents(ctx, r, links, targets); err != nil {
		return err
	}
	if changed {
		if err := r.loadIncidents(ctx, e.db.R, w); err != nil {
			return err
		}
		links = link(r, counted, first, e.s.IncidentWindow, bodies)
	}
	rework(r, counted, e.s.ReworkLabels)
	// This repository's own commit addresses count for its companies now;
	// people with an address new to the others are redone next time.
	var renamed []int64
	for _, ad := range sortedDomains(r.domains) {
		if w.addDomain(ad.actor, "@"+ad.domain) && !w.complete && len(w.byDomain) > 0 {
			renamed = append(renamed, ad.actor)
		}
	}
	d := e.rowsOf(r, w, links, targets)
	d.renamed = renamed
	return e.writeRepo(ctx, repoID, d, days, st)
}

type derivedRows struct {
	deployments, pulls, incidents, issues, contributions, domains rows
	renamed                                                       []int64 // people to redo: their companies may change elsewhere
}

func (e *Engine) writeRepo(ctx context.Context, repoID int64, d derivedRows, days map[int64]bool, st *RefreshStats) error {
	return e.db.Tx(ctx, func(tx *sql.Tx) error {
		where, args := "repo_id = $1", []any{repoID}
		for _, t := range []struct {
			table derivedTable
			want  rows
		}{{deploymentsTable, d.deployments}, {pullsTable, d.pulls}, {incidentsTable, d.incidents}, {issuesTable, d.issues},
			{actorDomainsTable, d.domains}} {
			s, err := t.table.sync(ctx, tx, e.db.Dialect, where, args, t.want, nil)
			if err != nil {
				return err
			}
			st.Inserted, st.Updated, st.Deleted = st.Inserted+s.inserted, st.Updated+s.updated, st.Deleted+s.deleted
		}
		s, err := contributionsTable.sync(ctx, tx, e.db.Dialect, where, args, d.contributions, func(old, new []any) {
			for _, row := range [][]any{old, new} {
				if row != nil {
					days[normalize(row[6]).(int64)] = true
				}
			}
		})
		st.Inserted, st.Updated, st.Deleted = st.Inserted+s.inserted, st.Updated+s.updated, st.Deleted+s.deleted
		if err != nil {
			return err
		}
		for _, a := range d.renamed {
			if _, err := tx.ExecContext(ctx, `INSERT INTO metric_changes (scope, ref) VALUES ('actor', $1)`, a); err != nil {
				return err
			}
		}
		return nil
	})
}

// deriveOrphanIncidents derives the incidents of no repository (a CI
// incident reported for ALL): they can only be linked by name.
func (e *Engine) deriveOrphanIncidents(ctx context.Context, st *RefreshStats) error {
	want := rows{}
	err := query(ctx, e.db.R, `SELECT i.id, i.source, i.opened_at, i.resolved_at, i.deployment_id, d.canonical_id
		FROM incidents i LEFT JOIN metric_deployments d ON d.deployment_id = i.deployment_id
		WHERE i.repo_id IS NULL`, nil, func(r *sql.Rows) error {
		var (
			id, opened                 int64
			source                     string
			resolved, named, canonical sql.NullInt64
		)
		if err := r.Scan(&id, &source, &opened, &resolved, &named, &canonical); err != nil {
			return err
		}
		var dep, kind any
		if named.Valid {
			dep, kind = named.Int64, linkNamed
			if canonical.Valid {
				dep = canonical.Int64
			}
		}
		incidentsTable.add(want, []any{id, nil, source, opened, orNil(nullMillis(resolved)), spanMS(opened, nullMillis(resolved)), dep, kind})
		return nil
	})
	if err != nil {
		return fmt.Errorf("load incidents of no repository: %w", err)
	}
	return e.db.Tx(ctx, func(tx *sql.Tx) error {
		s, err := incidentsTable.sync(ctx, tx, e.db.Dialect, "repo_id IS NULL", nil, want, nil)
		st.Inserted, st.Updated, st.Deleted = st.Inserted+s.inserted, st.Updated+s.updated, st.Deleted+s.deleted
		return err
	})
}

// rowsOf turns a derived repository into the rows of the derived tables.
func (e *Engine) rowsOf(r *repoData, w *world, links map[int64]incidentLink, rolledBack map[int64]*deployment) derivedRows {
	out := derivedRows{deployments: rows{}, pulls: rows{}, incidents: rows{}, issues: rows{}, contributions: rows{}, domains: rows{}}
	for ad := range r.domains {
		actorDomainsTable.add(out.domains, []any{r.id, ad.actor, ad.domain})
	}
	blamed := map[*deployment]bool{}
	for _, l := range links {
		if l.deployment != nil {
			blamed[l.deployment] = true
		}
	}
	for _, d := range rolledBack {
		blamed[d] = true
	}
	for _, d := range r.deployments {
		c := d.canonical
		var prev, commits any
		var leads, direct []byte
		failed, changes := false, int64(0)
		if d == c {
			for _, m := range d.members {
				failed = failed || m.causedFailure
			}
			failed = failed || blamed[d]
		}
		if d.counted() {
			if d.prev != nil {
				prev = d.prev.id
			}
			if d.commitsKnown {
				commits = int64(len(d.shipped))
			}
			var ms []int64
			for _, p := range d.pulls {
				if l := p.leadMS(r); l >= 0 {
					ms = append(ms, l)
				}
			}
			slices.Sort(ms)
			slices.Sort(d.directLeads)
			leads, direct = packDurations(ms), packDurations(d.directLeads)
			changes = int64(len(d.pulls))
		}
		deploymentsTable.add(out.deployments, []any{d.id, c.id, r.id, d.env, d.production, d.status, d.counted(), d.at,
			orNilString(d.sha), prev, d.counted() && d.baseline, orNilString(d.commitsSource), commits, changes, failed,
			d.counted() && d.rework, leads, direct})
	}
	owner := strings.ToLower(r.owner)
	contrib := func(c contribution) {
		contributionsTable.add(out.contributions, []any{c.kind, c.sourceID, r.id, owner, c.actorID, c.at, dayOf(c.at), monthOf(c.at),
			w.company(c.actorID, c.at), c.points})
	}
	wt := e.s.Weights
	for _, p := range r.pulls {
		var depID, deployedAt, lead any
		if p.deployment != nil {
			depID, deployedAt = p.deployment.id, p.deployment.at
			if l := p.leadMS(r); l >= 0 {
				lead = l
			}
		}
		var size any
		if p.additions.Valid || p.deletions.Valid {
			size = p.additions.Int64 + p.deletions.Int64
		}
		state := p.state
		if p.merged {
			state = "merged"
		}
		first := p.firstCommitAt(r)
		var deploy any
		if p.deployment != nil {
			deploy = spanMS(p.mergedAt, p.deployment.at)
		}
		pullsTable.add(out.pulls, []any{p.id, r.id, p.number, orNil(p.authorID), p.bot, state, p.createdAt, orNil(p.mergedAt),
			orNil(p.closedAt), orNil(first), orNil(p.firstResponse), orNil(p.firstReview), depID, deployedAt,
			spanMS(first, p.createdAt), spanMS(p.createdAt, p.firstResponse), spanMS(p.firstReview, p.mergedAt),
			deploy, lead, size, p.reviews, p.isRework})
		if p.authorID == 0 || p.bot {
			continue
		}
		contrib(contribution{kindPullOpened, p.id, p.authorID, p.createdAt, int64(wt.OpenedPull)})
		if p.merged && p.mergedAt != 0 {
			points := int64(wt.MergedPull)
			for _, l := range p.labels {
				points += int64(wt.LabelBonuses[strings.ToLower(l)])
			}
			contrib(contribution{kindPullMerged, p.id, p.authorID, p.mergedAt, points})
		}
	}
	for _, c := range r.contribs {
		contrib(c)
	}
	for _, in := range r.incidents {
		var dep, kind any
		if l, ok := links[in.id]; ok {
			kind = l.kind
			if l.deployment != nil {
				dep = l.deployment.id
			} else {
				dep = l.deploymentID
			}
		}
		incidentsTable.add(out.incidents, []any{in.id, r.id, in.source, in.openedAt, orNil(in.resolvedAt),
			spanMS(in.openedAt, in.resolvedAt), dep, kind})
	}
	for _, is := range r.issues {
		if is.deleted {
			continue
		}
		bot := is.authorID != 0 && w.actor(is.authorID).bot
		issuesTable.add(out.issues, []any{is.id, r.id, is.createdAt, orNil(is.firstResponse), spanMS(is.createdAt, is.firstResponse), bot})
	}
	return out
}

// firstCommitAt is when a pull request's first commit was authored: as
// stored, else the earliest authored time of its commits.
func (p *pull) firstCommitAt(r *repoData) int64 {
	if p.firstCommit != 0 {
		return p.firstCommit
	}
	var first int64
	for _, c := range p.commits {
		earliest(&first, r.commits[c].authoredAt)
	}
	return first
}

// leadMS is a deployed pull request's lead time: first commit (else
// opened) to deployed; -1 when unknown or negative.
func (p *pull) leadMS(r *repoData) int64 {
	start := p.firstCommitAt(r)
	if start == 0 {
		start = p.createdAt
	}
	if p.deployment == nil || p.deployment.at < start {
		return -1
	}
	return p.deployment.at - start
}

// materializeWorkflows keeps the deployments of source workflow equal to
// the repository's completed runs of deploy workflows.
func (e *Engine) materializeWorkflows(ctx context.Context, repoID int64) error {
	type wf struct {
		env, sha, ref, status string
		created, finished     int64
	}
	want := map[string]wf{}
	if len(e.s.DeployWorkflows) > 0 {
		err := query(ctx, e.db.R, `SELECT id, name, event, head_sha, head_branch, status, conclusion, created_at, started_at, updated_at
			FROM workflow_runs WHERE repo_id = $1`, []any{repoID}, func(rows *sql.Rows) error {
			var (
				id                                           int64
				name, event, sha, branch, status, conclusion sql.NullString
				created, started, updated                    sql.NullInt64
			)
			if err := rows.Scan(&id, &name, &event, &sha, &branch, &status, &conclusion, &created, &started, &updated); err != nil {
				return err
			}
			env, ok := e.s.deployWorkflow(name.String)
			// Runs for pull requests deploy previews, never production.
			if !ok || strings.HasPrefix(event.String, "pull_request") || status.String != "completed" ||
				(conclusion.String != statusSuccess && conclusion.String != statusFailure) || !updated.Valid {
				return nil
			}
			begin := firstOf(started, created, updated.Int64)
			want[strconv.FormatInt(id, 10)] = wf{env, strings.ToLower(sha.String), branch.String, conclusion.String, begin, updated.Int64}
			return nil
		})
		if err != nil {
			return fmt.Errorf("load workflow runs of repository %d: %w", repoID, err)
		}
	}
	have := map[string]wf{}
	ids := map[string]int64{}
	err := query(ctx, e.db.R, `SELECT id, source_id, environment, sha, ref, status, created_at, finished_at
		FROM deployments WHERE repo_id = $1 AND source = 'workflow'`, []any{repoID}, func(rows *sql.Rows) error {
		var (
			id       int64
			sourceID string
			d        wf
			sha, ref sql.NullString
			finished sql.NullInt64
		)
		if err := rows.Scan(&id, &sourceID, &d.env, &sha, &ref, &d.status, &d.created, &finished); err != nil {
			return err
		}
		d.sha, d.ref, d.finished = sha.String, ref.String, finished.Int64
		have[sourceID], ids[sourceID] = d, id
		return nil
	})
	if err != nil {
		return fmt.Errorf("load workflow deployments of repository %d: %w", repoID, err)
	}
	if len(want) == 0 && len(have) == 0 {
		return nil
	}
	return e.db.Tx(ctx, func(tx *sql.Tx) error {
		for _, key := range sortedStrings(want) {
			d := want[key]
			if h, ok := have[key]; ok && h == d {
				continue
			}
			// Written here rather than with store.UpsertDeployment: a re-run
			// of the workflow changes when the deployment finished, which a
			// deployment reported once keeps.
			_, err := tx.ExecContext(ctx, `
				INSERT INTO deployments (source, source_id, repo_id, environment, sha, ref, status, created_at, updated_at, finished_at)
				VALUES ('workflow', $1, $2, $3, $4, $5, $6, $7, $8, $8)
				ON CONFLICT (source, source_id) DO UPDATE SET repo_id = excluded.repo_id, environment = excluded.environment,
					sha = excluded.sha, ref = excluded.ref, status = excluded.status, created_at = excluded.created_at,
					updated_at = excluded.updated_at, finished_at = excluded.finished_at`,
				key, repoID, d.env, orNilString(d.sha), orNilString(d.ref), d.status, d.created, d.finished)
			if err != nil {
				return fmt.Errorf("store the deployment of workflow run %s: %w", key, err)
			}
		}
		for key, id := range ids {
			if _, ok := want[key]; ok {
				continue
			}
			for _, q := range []string{`DELETE FROM deployment_commits WHERE deployment_id = $1`,
				`DELETE FROM deployment_statuses WHERE deployment_id = $1`, `DELETE FROM deployments WHERE id = $1`} {
				if _, err := tx.ExecContext(ctx, q, id); err != nil {
					return fmt.Errorf("remove the deployment of workflow run %s: %w", key, err)
				}
			}
		}
		return nil
	})
}

func sortedStrings[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// derivedIncident is an incident row the refresh keeps (sources github and
// rollback).
type derivedIncident struct {
	title            string
	opened, resolved int64
	deploymentID     int64
}

// materializeIssueIncidents keeps the incidents of source github equal to
// the repository's issues with an incident label (closed as not planned:
// a false alarm, not an incident).
func (e *Engine) materializeIssueIncidents(ctx context.Context, r *repoData) (bool, error) {
	want := map[string]derivedIncident{}
	for _, is := range r.issues {
		if is.deleted || is.stateReason == "not_planned" || !hasLabel(is.labels, e.s.IncidentLabels) {
			continue
		}
		in := derivedIncident{title: is.title, opened: is.createdAt}
		if is.state == core.StateClosed {
			in.resolved = is.closedAt
		}
		want[strconv.FormatInt(is.id, 10)] = in
	}
	return e.syncIncidents(ctx, r, core.IncidentSourceGitHub, want)
}

// materializeRollbackIncidents makes each rolled-back deployment that no
// incident explains an incident of source rollback: opened when the
// deployment finished, resolved by the rollback (the earliest, when there
// were several).
func (e *Engine) materializeRollbackIncidents(ctx context.Context, r *repoData, links map[int64]incidentLink, targets map[int64]*deployment) (bool, error) {
	explained := map[*deployment]bool{}
	for _, in := range r.incidents {
		if l, ok := links[in.id]; ok && in.source != core.IncidentSourceRollback && l.deployment != nil {
			explained[l.deployment] = true
		}
	}
	first := map[*deployment]rollback{}
	for _, rb := range r.rollbacks {
		d := targets[rb.id]
		if d == nil || explained[d] {
			continue
		}
		if cur, ok := first[d]; !ok || rb.at < cur.at || rb.at == cur.at && rb.id < cur.id {
			first[d] = rb
		}
	}
	want := map[string]derivedIncident{}
	for d, rb := range first {
		title := "Rollback in " + d.env
		if d.sha != "" {
			title = "Rollback of " + d.sha[:min(7, len(d.sha))] + " in " + d.env
		}
		want[strconv.FormatInt(rb.id, 10)] = derivedIncident{title: title, opened: d.at, resolved: rb.at, deploymentID: d.id}
	}
	return e.syncIncidents(ctx, r, core.IncidentSourceRollback, want)
}

// syncIncidents makes the repository's incidents of one source equal want
// (by source id), and reports whether it wrote anything.
func (e *Engine) syncIncidents(ctx context.Context, r *repoData, source string, want map[string]derivedIncident) (bool, error) {
	have := map[string]*incident{}
	for _, in := range r.incidents {
		if in.source == source {
			have[in.sourceID] = in
		}
	}
	var upserts []string
	for _, key := range sortedStrings(want) {
		w := want[key]
		h, ok := have[key]
		if !ok || h.title != w.title || h.openedAt != w.opened || h.resolvedAt != w.resolved || h.deploymentID != w.deploymentID {
			upserts = append(upserts, key)
		}
	}
	var deletes []int64
	for key, h := range have {
		if _, ok := want[key]; !ok {
			deletes = append(deletes, h.id)
		}
	}
	if len(upserts) == 0 && len(deletes) == 0 {
		return false, nil
	}
	err := e.db.Tx(ctx, func(tx *sql.Tx) error {
		for _, key := range upserts {
			w := want[key]
			_, err := tx.ExecContext(ctx, `
				INSERT INTO incidents (source, source_id, repo_id, title, opened_at, resolved_at, deployment_id)
				VALUES ($1, $2, $3, $4, $5, $6, $7)
				ON CONFLICT (source, source_id) DO UPDATE SET repo_id = excluded.repo_id, title = excluded.title,
					opened_at = excluded.opened_at, resolved_at = excluded.resolved_at, deployment_id = excluded.deployment_id`,
				source, key, r.id, orNilString(w.title), w.opened, orNil(w.resolved), orNil(w.deploymentID))
			if err != nil {
				return fmt.Errorf("store %s incident %s: %w", source, key, err)
			}
		}
		for _, id := range deletes {
			if _, err := tx.ExecContext(ctx, `DELETE FROM incidents WHERE id = $1`, id); err != nil {
				return fmt.Errorf("remove %s incident %d: %w", source, id, err)
			}
		}
		return nil
	})
	return true, err
}

func sortedDomains(m map[actorDomain]bool) []actorDomain {
	out := make([]actorDomain, 0, len(m))
	for ad := range m {
		out = append(out, ad)
	}
	slices.SortFunc(out, func(a, b actorDomain) int {
		if a.actor != b.actor {
			return int(a.actor - b.actor)
		}
		return strings.Compare(a.domain, b.domain)
	})
	return out
}
