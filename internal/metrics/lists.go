package metrics

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sextant-dev/sextant/internal/core"
	"github.com/sextant-dev/sextant/internal/store"
)

// Page sizes of the lists.
const (
	DefaultPage = 100
	MaxPage     = 1000
)

// page is the paging of a list: at most limit items after the cursor (the
// time and id of the last item of the previous page; lists run newest
// first).
type page struct {
	limit    int
	afterT   int64
	afterID  int64
	hasAfter bool
}

func parsePage(q url.Values, ps *core.Problems) page {
	p := page{limit: intParam(q, "limit", DefaultPage, 1, MaxPage, ps)}
	if c := q.Get("cursor"); c != "" {
		t, id, err := decodeCursor(c)
		if err != nil {
			ps.Add("cursor", "is not a cursor returned by this endpoint")
		}
		p.afterT, p.afterID, p.hasAfter = t, id, err == nil
	}
	return p
}

func encodeCursor(t, id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(t, 10) + ":" + strconv.FormatInt(id, 10)))
}

func decodeCursor(c string) (int64, int64, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, 0, err
	}
	a, z, ok := strings.Cut(string(b), ":")
	if !ok {
		return 0, 0, errors.New("no separator")
	}
	t, err1 := strconv.ParseInt(a, 10, 64)
	id, err2 := strconv.ParseInt(z, 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, 0, err
	}
	return t, id, nil
}

// conditions gathers a WHERE clause and its arguments.
type conditions struct {
	parts []string
	args  []any
}

func (c *conditions) add(cond string, args ...any) {
	for _, a := range args {
		c.args = append(c.args, a)
		cond = strings.Replace(cond, "?", "$"+strconv.Itoa(len(c.args)), 1)
	}
	c.parts = append(c.parts, cond)
}

func (c *conditions) sql() string { return strings.Join(c.parts, " AND ") }

// after adds the keyset condition of a page ordered by (col, id) newest
// first.
func (c *conditions) after(p page, col, id string) {
	if p.hasAfter {
		c.add("("+col+" < ? OR "+col+" = ? AND "+id+" < ?)", p.afterT, p.afterT, p.afterID)
	}
}

// afterAscending is after for a page ordered by (col, id) oldest first.
func (c *conditions) afterAscending(p page, col, id string) {
	if p.hasAfter {
		c.add("("+col+" > ? OR "+col+" = ? AND "+id+" > ?)", p.afterT, p.afterT, p.afterID)
	}
}

func timePtr(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := store.Time(v)
	return &t
}

func secondsPtr(v sql.NullInt64) *float64 {
	if !v.Valid {
		return nil
	}
	return msSeconds(v.Int64)
}

func stringPtr(v sql.NullString) *string {
	if !v.Valid {
		return nil
	}
	return &v.String
}

func int64Ptr(v sql.NullInt64) *int64 {
	if !v.Valid {
		return nil
	}
	return &v.Int64
}

// count runs a COUNT(*) of from with the conditions.
func (e *Engine) count(ctx context.Context, from string, c conditions) (int, error) {
	var n int
	err := e.db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+from+` WHERE `+c.sql(), c.args...).Scan(&n)
	return n, err
}

// PullQuery selects pull requests: those whose By time falls in the range.
type PullQuery struct {
	Filter
	By     string // created, merged, closed or deployed
	State  string // open, merged or closed (closed without merging); empty for all
	Author string
	Bots   *bool // nil: bots' pull requests too
	// Order is newest or oldest (by the By time), or lead_time (longest
	// first, those without one last).
	Order string
	page  page
}

// Orders of the pull request list.
const (
	OrderNewest   = "newest"
	OrderOldest   = "oldest"
	OrderLeadTime = "lead_time"
)

// ParsePullQuery reads the query of the pull request list.
func ParsePullQuery(q url.Values, now time.Time) (PullQuery, error) {
	f, err := ParseFilter(q, now, "by", "state", "author", "bots", "order", "limit", "cursor")
	var ps core.Problems
	pq := PullQuery{Filter: f, Author: strings.TrimSpace(q.Get("author"))}
	pq.By = choice(q, "by", "created", &ps, "created", "merged", "closed", "deployed")
	pq.State = choice(q, "state", "", &ps, "open", "merged", "closed")
	pq.Order = choice(q, "order", OrderNewest, &ps, OrderNewest, OrderOldest, OrderLeadTime)
	pq.Bots = boolParam(q, "bots", &ps)
	pq.page = parsePage(q, &ps)
	return pq, joinProblems(err, ps)
}

// joinProblems merges the problems of a filter with more of a list's own.
func joinProblems(err error, more core.Problems) error {
	var ps core.Problems
	if err != nil && !errors.As(err, &ps) {
		return err
	}
	return append(append(core.Problems{}, ps...), more...).Invalid("invalid query")
}

// Pull is a pull request as the list shows it. Spans are in seconds, null
// where unknown.
type Pull struct {
	Repo            string     `json:"repo"`
	Number          int64      `json:"number"`
	Title           string     `json:"title"`
	HTMLURL         string     `json:"html_url"`
	Author          *string    `json:"author"`
	Bot             bool       `json:"bot"`
	State           string     `json:"state"`
	CreatedAt       time.Time  `json:"created_at"`
	MergedAt        *time.Time `json:"merged_at"`
	ClosedAt        *time.Time `json:"closed_at"`
	MergeCommitSHA  *string    `json:"merge_commit_sha"`
	CodingSeconds   *float64   `json:"coding_seconds"`
	PickupSeconds   *float64   `json:"pickup_seconds"`
	ReviewSeconds   *float64   `json:"review_seconds"`
	DeploySeconds   *float64   `json:"deploy_seconds"`
	LeadTimeSeconds *float64   `json:"lead_time_seconds"`
	Deployment      *int64     `json:"deployment"`
	DeployedAt      *time.Time `json:"deployed_at"`
	Size            *int64     `json:"size"`
	Reviews         int64      `json:"reviews"`
	Rework          bool       `json:"rework"`
}

// PullPage is a page of pull requests; Total counts every match.
type PullPage struct {
	Pulls      []Pull `json:"pulls"`
	Total      int    `json:"total"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// Pulls lists pull requests in the query's order: by default newest first
// by the query's time.
func (e *Engine) Pulls(ctx context.Context, q PullQuery) (*PullPage, error) {
	s, err := e.resolve(ctx, q.Filter)
	if err != nil {
		return nil, err
	}
	col := "p." + q.By + "_at"
	var c conditions
	c.add(col+" >= ? AND "+col+" < ?", q.From.UnixMilli(), q.To.UnixMilli())
	c.add(s.where("p.repo_id"))
	if q.State != "" {
		c.add("p.state = ?", q.State)
	}
	if q.Author != "" {
		c.add("p.author_id IN (SELECT id FROM actors WHERE LOWER(login) = LOWER(?))", q.Author)
	}
	if q.Bots != nil && !*q.Bots {
		c.add("NOT p.bot")
	}
	total, err := e.count(ctx, "metric_pulls p", c)
	if err != nil {
		return nil, fmt.Errorf("count pull requests: %w", err)
	}
	// key is what the list is ordered by, then the id; the cursor holds
	// the last item's pair.
	key, dir := col, "DESC"
	switch q.Order {
	case OrderOldest:
		dir = "ASC"
		c.afterAscending(q.page, key, "p.pull_request_id")
	case OrderLeadTime:
		key = "COALESCE(p.lead_ms, -1)"
		c.after(q.page, key, "p.pull_request_id")
	default:
		c.after(q.page, key, "p.pull_request_id")
	}
	out := &PullPage{Pulls: []Pull{}, Total: total}
	var keys [][2]int64
	err = query(ctx, e.db.R, `
		SELECT p.pull_request_id, `+key+`, r.full_name, p.number, COALESCE(pr.title, ''), a.login, p.bot, p.state, p.created_at,
			p.merged_at, p.closed_at, pr.merge_commit_sha, p.coding_ms, p.pickup_ms, p.review_ms, p.deploy_ms, p.lead_ms,
			p.deployment_id, p.deployed_at, p.size, p.reviews, p.rework
		FROM metric_pulls p JOIN repositories r ON r.id = p.repo_id
		LEFT JOIN pull_requests pr ON pr.id = p.pull_request_id LEFT JOIN actors a ON a.id = p.author_id
		WHERE `+c.sql()+` ORDER BY `+key+` `+dir+`, p.pull_request_id `+dir+` LIMIT `+strconv.Itoa(q.page.limit+1),
		c.args, func(rows *sql.Rows) error {
			var (
				p                                    Pull
				id, t, created                       int64
				author, mergeSHA                     sql.NullString
				merged, closed, deployed             sql.NullInt64
				coding, pickup, review, deploy, lead sql.NullInt64
				dep, size                            sql.NullInt64
			)
			if err := rows.Scan(&id, &t, &p.Repo, &p.Number, &p.Title, &author, &p.Bot, &p.State, &created, &merged, &closed,
				&mergeSHA, &coding, &pickup, &review, &deploy, &lead, &dep, &deployed, &size, &p.Reviews, &p.Rework); err != nil {
				return err
			}
			p.Author, p.MergeCommitSHA = stringPtr(author), stringPtr(mergeSHA)
			p.CreatedAt = time.UnixMilli(created).UTC()
			p.MergedAt, p.ClosedAt, p.DeployedAt = timePtr(merged), timePtr(closed), timePtr(deployed)
			p.CodingSeconds, p.PickupSeconds, p.ReviewSeconds = secondsPtr(coding), secondsPtr(pickup), secondsPtr(review)
			p.DeploySeconds, p.LeadTimeSeconds = secondsPtr(deploy), secondsPtr(lead)
			p.Deployment, p.Size = int64Ptr(dep), int64Ptr(size)
			p.HTMLURL = e.s.WebURL + "/" + p.Repo + "/pull/" + strconv.FormatInt(p.Number, 10)
			out.Pulls = append(out.Pulls, p)
			keys = append(keys, [2]int64{t, id})
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("list pull requests: %w", err)
	}
	if len(out.Pulls) > q.page.limit {
		// The cursor is the last item shown, not the extra one read.
		out.Pulls = out.Pulls[:q.page.limit]
		k := keys[q.page.limit-1]
		out.NextCursor = encodeCursor(k[0], k[1])
	}
	return out, nil
}

// DeploymentQuery selects deployments that finished in the range.
type DeploymentQuery struct {
	Filter
	Environment string // empty: the production environments; "all"; or one name
	Status      string // success, failure, error, … ; empty for all
	Failed      *bool
	Rework      *bool
	page        page
}

// ParseDeploymentQuery reads the query of the deployment list.
func ParseDeploymentQuery(q url.Values, now time.Time) (DeploymentQuery, error) {
	f, err := ParseFilter(q, now, "environment", "status", "failed", "rework", "limit", "cursor")
	var ps core.Problems
	dq := DeploymentQuery{Filter: f, Environment: strings.ToLower(strings.TrimSpace(q.Get("environment")))}
	dq.Status = choice(q, "status", "", &ps, "success", "failure", "error", "pending", "queued", "in_progress", "inactive")
	dq.Failed, dq.Rework = boolParam(q, "failed", &ps), boolParam(q, "rework", &ps)
	dq.page = parsePage(q, &ps)
	return dq, joinProblems(err, ps)
}

// Deployment is a deployment as the list shows it: one per deploy, the
// reports of other sources under duplicates.
type Deployment struct {
	ID          int64       `json:"id"`
	Repo        string      `json:"repo"`
	Environment string      `json:"environment"`
	SHA         *string     `json:"sha"`
	Status      string      `json:"status"`
	FinishedAt  time.Time   `json:"finished_at"`
	Source      string      `json:"source"`
	URL         *string     `json:"url"`
	Production  bool        `json:"production"`
	Counted     bool        `json:"counted"`
	Baseline    bool        `json:"baseline"`
	Commits     *int64      `json:"commits"`
	Changes     []int64     `json:"changes"`
	Failed      bool        `json:"failed"`
	Rework      bool        `json:"rework"`
	Previous    *int64      `json:"previous"`
	Duplicates  []Duplicate `json:"duplicates"`
}

// Duplicate is another source's report of the same deploy.
type Duplicate struct {
	ID     int64  `json:"id"`
	Source string `json:"source"`
}

// DeploymentPage is a page of deployments; Total counts every match.
type DeploymentPage struct {
	Deployments []Deployment `json:"deployments"`
	Total       int          `json:"total"`
	NextCursor  string       `json:"next_cursor,omitempty"`
}

// Deployments lists deployments newest first.
func (e *Engine) Deployments(ctx context.Context, q DeploymentQuery) (*DeploymentPage, error) {
	s, err := e.resolve(ctx, q.Filter)
	if err != nil {
		return nil, err
	}
	var c conditions
	c.add("m.canonical_id = m.deployment_id")
	c.add("m.at >= ? AND m.at < ?", q.From.UnixMilli(), q.To.UnixMilli())
	c.add(s.where("m.repo_id"))
	switch q.Environment {
	case "":
		c.add("m.production")
	case "all":
	default:
		c.add("m.environment = ?", q.Environment)
	}
	if q.Status != "" {
		c.add("m.status = ?", q.Status)
	}
	if q.Failed != nil {
		c.add("m.failed = ?", *q.Failed)
	}
	if q.Rework != nil {
		c.add("m.rework = ?", *q.Rework)
	}
	total, err := e.count(ctx, "metric_deployments m", c)
	if err != nil {
		return nil, fmt.Errorf("count deployments: %w", err)
	}
	c.after(q.page, "m.at", "m.deployment_id")
	out := &DeploymentPage{Deployments: []Deployment{}, Total: total}
	byID := map[int64]int{}
	var ats []int64
	err = query(ctx, e.db.R, `
		SELECT m.deployment_id, r.full_name, d.environment, d.sha, m.status, m.at, d.source, d.url, m.production, m.counted,
			m.baseline, m.commits, m.failed, m.rework, m.prev_id
		FROM metric_deployments m JOIN deployments d ON d.id = m.deployment_id JOIN repositories r ON r.id = m.repo_id
		WHERE `+c.sql()+` ORDER BY m.at DESC, m.deployment_id DESC LIMIT `+strconv.Itoa(q.page.limit+1),
		c.args, func(rows *sql.Rows) error {
			var (
				d             Deployment
				at            int64
				sha, url      sql.NullString
				commits, prev sql.NullInt64
			)
			if err := rows.Scan(&d.ID, &d.Repo, &d.Environment, &sha, &d.Status, &at, &d.Source, &url, &d.Production,
				&d.Counted, &d.Baseline, &commits, &d.Failed, &d.Rework, &prev); err != nil {
				return err
			}
			d.SHA, d.URL, d.Commits, d.Previous = stringPtr(sha), stringPtr(url), int64Ptr(commits), int64Ptr(prev)
			d.FinishedAt = time.UnixMilli(at).UTC()
			d.Changes, d.Duplicates = []int64{}, []Duplicate{}
			byID[d.ID] = len(out.Deployments)
			out.Deployments = append(out.Deployments, d)
			ats = append(ats, at)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("list deployments: %w", err)
	}
	if len(out.Deployments) > q.page.limit {
		out.Deployments = out.Deployments[:q.page.limit]
		last := out.Deployments[q.page.limit-1]
		out.NextCursor = encodeCursor(ats[q.page.limit-1], last.ID)
	}
	if len(out.Deployments) == 0 {
		return out, nil
	}
	ids := make([]int64, len(out.Deployments))
	for i, d := range out.Deployments {
		ids[i] = d.ID
	}
	err = query(ctx, e.db.R, `SELECT deployment_id, number FROM metric_pulls WHERE deployment_id IN `+inList(ids)+
		` ORDER BY deployment_id, number`, nil, func(rows *sql.Rows) error {
		var id, n int64
		if err := rows.Scan(&id, &n); err != nil {
			return err
		}
		if i, ok := byID[id]; ok && i < len(out.Deployments) {
			out.Deployments[i].Changes = append(out.Deployments[i].Changes, n)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list the changes of deployments: %w", err)
	}
	// A duplicate is within the dedup window after its canonical deployment
	// (dedup): the time bounds let the query read the index on at rather
	// than every deployment.
	lo, hi := ats[0], ats[0]
	for _, at := range ats[:len(out.Deployments)] {
		lo, hi = min(lo, at), max(hi, at)
	}
	err = query(ctx, e.db.R, `SELECT m.canonical_id, m.deployment_id, d.source FROM metric_deployments m
		JOIN deployments d ON d.id = m.deployment_id
		WHERE m.at >= $1 AND m.at <= $2 AND m.canonical_id IN `+inList(ids)+` AND m.canonical_id <> m.deployment_id
		ORDER BY m.deployment_id`, []any{lo, hi + e.s.DedupWindow.Milliseconds()},
		func(rows *sql.Rows) error {
			var (
				canon int64
				dup   Duplicate
			)
			if err := rows.Scan(&canon, &dup.ID, &dup.Source); err != nil {
				return err
			}
			if i, ok := byID[canon]; ok && i < len(out.Deployments) {
				out.Deployments[i].Duplicates = append(out.Deployments[i].Duplicates, dup)
			}
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("list the duplicates of deployments: %w", err)
	}
	return out, nil
}

// IncidentQuery selects incidents opened (or resolved) in the range.
type IncidentQuery struct {
	Filter
	By     string // opened or resolved
	Source string
	Linked *bool
	page   page
}

// ParseIncidentQuery reads the query of the incident list.
func ParseIncidentQuery(q url.Values, now time.Time) (IncidentQuery, error) {
	f, err := ParseFilter(q, now, "by", "source", "linked", "limit", "cursor")
	var ps core.Problems
	iq := IncidentQuery{Filter: f}
	iq.By = choice(q, "by", "opened", &ps, "opened", "resolved")
	iq.Source = choice(q, "source", "", &ps, core.IncidentSourceCI, core.IncidentSourceGitHub, core.IncidentSourceRollback)
	iq.Linked = boolParam(q, "linked", &ps)
	iq.page = parsePage(q, &ps)
	return iq, joinProblems(err, ps)
}

// Incident is an incident as the list shows it.
type Incident struct {
	ID             int64      `json:"id"`
	Repo           *string    `json:"repo"`
	Source         string     `json:"source"`
	Title          *string    `json:"title"`
	URL            *string    `json:"url"`
	OpenedAt       time.Time  `json:"opened_at"`
	ResolvedAt     *time.Time `json:"resolved_at"`
	RestoreSeconds *float64   `json:"restore_seconds"`
	Deployment     *int64     `json:"deployment"`
	Link           *string    `json:"link"`
}

// IncidentPage is a page of incidents; Total counts every match.
type IncidentPage struct {
	Incidents  []Incident `json:"incidents"`
	Total      int        `json:"total"`
	NextCursor string     `json:"next_cursor,omitempty"`
}

// Incidents lists incidents newest first by the query's time.
func (e *Engine) Incidents(ctx context.Context, q IncidentQuery) (*IncidentPage, error) {
	s, err := e.resolve(ctx, q.Filter)
	if err != nil {
		return nil, err
	}
	col := "m." + q.By + "_at"
	var c conditions
	c.add(col+" >= ? AND "+col+" < ?", q.From.UnixMilli(), q.To.UnixMilli())
	c.add(s.where("m.repo_id"))
	if q.Source != "" {
		c.add("m.source = ?", q.Source)
	}
	if q.Linked != nil {
		if *q.Linked {
			c.add("m.deployment_id IS NOT NULL")
		} else {
			c.add("m.deployment_id IS NULL")
		}
	}
	total, err := e.count(ctx, "metric_incidents m", c)
	if err != nil {
		return nil, fmt.Errorf("count incidents: %w", err)
	}
	c.after(q.page, col, "m.incident_id")
	out := &IncidentPage{Incidents: []Incident{}, Total: total}
	var ts []int64
	err = query(ctx, e.db.R, `
		SELECT m.incident_id, `+col+`, r.full_name, m.source, i.title, i.url, m.opened_at, m.resolved_at, m.restore_ms,
			m.deployment_id, m.link
		FROM metric_incidents m JOIN incidents i ON i.id = m.incident_id LEFT JOIN repositories r ON r.id = m.repo_id
		WHERE `+c.sql()+` ORDER BY `+col+` DESC, m.incident_id DESC LIMIT `+strconv.Itoa(q.page.limit+1),
		c.args, func(rows *sql.Rows) error {
			var (
				in                     Incident
				t, opened              int64
				repo, title, url, link sql.NullString
				resolved, restore, dep sql.NullInt64
			)
			if err := rows.Scan(&in.ID, &t, &repo, &in.Source, &title, &url, &opened, &resolved, &restore, &dep, &link); err != nil {
				return err
			}
			in.Repo, in.Title, in.URL, in.Link = stringPtr(repo), stringPtr(title), stringPtr(url), stringPtr(link)
			in.OpenedAt, in.ResolvedAt = time.UnixMilli(opened).UTC(), timePtr(resolved)
			in.RestoreSeconds, in.Deployment = secondsPtr(restore), int64Ptr(dep)
			out.Incidents = append(out.Incidents, in)
			ts = append(ts, t)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	if len(out.Incidents) > q.page.limit {
		out.Incidents = out.Incidents[:q.page.limit]
		out.NextCursor = encodeCursor(ts[q.page.limit-1], out.Incidents[q.page.limit-1].ID)
	}
	return out, nil
}
