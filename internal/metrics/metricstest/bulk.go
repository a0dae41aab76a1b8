package metricstest

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sextant-dev/sextant/internal/store"
)

// LargeOptions size a generated organization. The same options always
// generate the same rows.
type LargeOptions struct {
	Seed        uint64
	Start, End  time.Time
	Repos       int // a quarter under a second organization
	Teams       int // each owns Repos/Teams repositories
	People      int // team members; a sixth more are outside contributors
	Pulls       int
	Reviews     int // on average per pull request: Reviews/Pulls
	Deployments int // deployment rows, duplicates and failed attempts included
}

// Large is the benchmark dataset of issue 8: 100,000 pull requests,
// 300,000 reviews, 20,000 deployments and about 1,000,000 commits over two
// years.
func Large() LargeOptions {
	return LargeOptions{Seed: 8, Start: time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC),
		Repos: 64, Teams: 16, People: 320, Pulls: 100_000, Reviews: 300_000, Deployments: 20_000}
}

// LargeSummary counts what was generated.
type LargeSummary struct {
	Repos, People, Pulls, Reviews, Comments, Issues int
	Commits, Pushes, PushCommits                    int
	Deployments, Incidents                          int
	Duration                                        time.Duration
}

// bulk collects rows of one table and writes them in multi-row INSERTs.
type bulk struct {
	ctx   context.Context
	tx    *sql.Tx
	table string
	cols  []string
	args  []any
	n     int
	// anon writes SQLite's anonymous ? parameters: with thousands of
	// them, named ones ($1) cost a search each when parsed and bound.
	anon bool
}

// batchParams stays under SQLite's limit of 32766 parameters.
const batchParams = 30000

func (b *bulk) add(vals ...any) error {
	b.args = append(b.args, vals...)
	b.n++
	if len(b.args)+len(b.cols) > batchParams {
		return b.flush()
	}
	return nil
}

func (b *bulk) flush() error {
	if b.n == 0 {
		return nil
	}
	var sb strings.Builder
	sb.Grow(b.n * len(b.cols) * 6)
	sb.WriteString("INSERT INTO " + b.table + " (" + strings.Join(b.cols, ", ") + ") VALUES ")
	p := 0
	for i := 0; i < b.n; i++ {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteByte('(')
		for j := range b.cols {
			if j > 0 {
				sb.WriteString(", ")
			}
			p++
			if b.anon {
				sb.WriteByte('?')
			} else {
				sb.WriteString("$" + strconv.Itoa(p))
			}
		}
		sb.WriteByte(')')
	}
	if _, err := b.tx.ExecContext(b.ctx, sb.String(), b.args...); err != nil {
		return fmt.Errorf("bulk insert into %s: %w", b.table, err)
	}
	b.args, b.n = b.args[:0], 0
	return nil
}

type generator struct {
	o      LargeOptions
	r      *rand.Rand
	sum    LargeSummary
	shaN   uint64
	nextID map[string]int64
	tables map[string]*bulk
	order  []string
	people []person
	teams  [][]int // member indexes per team
	bots   []int64
	ms     func(time.Time) int64
}

type person struct {
	id      int64
	login   string
	team    int
	email   string
	partner string // company by the affiliations file, "" for the host
	movesTo string // a second company from the middle of the period
}

var columns = map[string][]string{
	"actors":               {"id", "login", "type", "email"},
	"organizations":        {"id", "login", "name"},
	"org_members":          {"org_id", "actor_id", "since", "until"},
	"teams":                {"id", "org_id", "slug", "name"},
	"team_members":         {"team_id", "actor_id", "since", "until"},
	"team_repositories":    {"team_id", "repo_id", "permission"},
	"affiliations":         {"company", "login", "email_domain", "since", "until"},
	"repositories":         {"id", "github_id", "owner", "name", "full_name", "default_branch"},
	"pull_requests":        {"id", "repo_id", "number", "author_id", "title", "state", "merged", "merge_commit_sha", "created_at", "updated_at", "closed_at", "merged_at", "first_commit_at", "additions", "deletions"},
	"pull_request_labels":  {"pull_request_id", "name"},
	"pull_request_commits": {"pull_request_id", "sha"},
	"reviews":              {"id", "pull_request_id", "repo_id", "reviewer_id", "state", "submitted_at"},
	"review_comments":      {"id", "pull_request_id", "repo_id", "author_id", "created_at"},
	"issue_comments":       {"id", "repo_id", "issue_number", "on_pull", "author_id", "created_at"},
	"issues":               {"id", "repo_id", "number", "author_id", "title", "body", "state", "created_at", "updated_at", "closed_at"},
	"issue_labels":         {"issue_id", "name"},
	"commits":              {"repo_id", "sha", "author_id", "author_email", "authored_at", "message"},
	"pushes":               {"id", "repo_id", "ref", "before_sha", "after_sha", "created", "distinct_size", "pushed_at"},
	"push_commits":         {"push_id", "position", "sha"},
	"deployments":          {"id", "source", "source_id", "repo_id", "environment", "sha", "ref", "status", "created_at", "updated_at", "finished_at", "caused_failure"},
	"deployment_statuses":  {"deployment_id", "source_id", "state", "created_at"},
	"incidents":            {"source", "source_id", "repo_id", "title", "opened_at", "resolved_at", "deployment_id"},
	"ci_events":            {"event", "repo", "repo_id", "at", "sha", "environment", "status", "deployment_id", "received_at"},
}

func (g *generator) row(table string, vals ...any) error {
	b := g.tables[table]
	if b == nil {
		return fmt.Errorf("no table %s", table)
	}
	return b.add(vals...)
}

func (g *generator) id(kind string) int64 {
	g.nextID[kind]++
	return g.nextID[kind]
}

// sha is a distinct, well-spread 40-digit hex sha.
func (g *generator) sha() string {
	g.shaN++
	x := g.shaN * 0x9E3779B97F4A7C15
	return fmt.Sprintf("%016x%024x", x^(x>>31), g.shaN)
}

// GenerateLarge writes a whole organization's history into the domain
// tables of db with plain SQL in large transactions. db must be migrated
// and empty.
func GenerateLarge(ctx context.Context, db *store.DB, o LargeOptions) (LargeSummary, error) {
	start := time.Now()
	g := &generator{o: o, r: rand.New(rand.NewPCG(o.Seed, o.Seed^0x5eed)), nextID: map[string]int64{}, tables: map[string]*bulk{}}
	g.ms = func(t time.Time) int64 { return t.UnixMilli() }
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		g.open(ctx, tx, db.Dialect)
		if err := g.organization(); err != nil {
			return err
		}
		return g.flushAll()
	})
	if err != nil {
		return g.sum, err
	}
	for repo := 1; repo <= o.Repos; repo++ {
		err := db.Tx(ctx, func(tx *sql.Tx) error {
			g.open(ctx, tx, db.Dialect)
			if err := g.repository(int64(repo)); err != nil {
				return err
			}
			return g.flushAll()
		})
		if err != nil {
			return g.sum, fmt.Errorf("generate repository %d: %w", repo, err)
		}
	}
	if db.Dialect == store.Postgres {
		// Rows came with explicit ids: move the identity sequences past them.
		for _, t := range []string{"pushes", "deployments"} {
			if _, err := db.W.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence('`+t+`', 'id'), (SELECT MAX(id) FROM `+t+`))`); err != nil {
				return g.sum, err
			}
		}
		if _, err := db.W.ExecContext(ctx, `ANALYZE`); err != nil {
			return g.sum, err
		}
	} else if _, err := db.W.ExecContext(ctx, `ANALYZE`); err != nil {
		return g.sum, err
	}
	g.sum.Duration = time.Since(start)
	return g.sum, nil
}

func (g *generator) open(ctx context.Context, tx *sql.Tx, d store.Dialect) {
	g.order = g.order[:0]
	for _, t := range []string{"actors", "organizations", "org_members", "teams", "team_members", "team_repositories", "affiliations",
		"repositories", "commits", "pushes", "push_commits", "pull_requests", "pull_request_labels", "pull_request_commits", "reviews",
		"review_comments", "issues", "issue_labels", "issue_comments", "deployments", "deployment_statuses", "incidents", "ci_events"} {
		g.tables[t] = &bulk{ctx: ctx, tx: tx, table: t, cols: columns[t], anon: d == store.SQLite}
		g.order = append(g.order, t)
	}
}

func (g *generator) flushAll() error {
	for _, t := range g.order {
		if err := g.tables[t].flush(); err != nil {
			return err
		}
	}
	return nil
}

var partners = []struct{ name, domain string }{{"Initech", "initech.example"}, {"Globex", "globex.example"},
	{"Umbrella", "umbrella.example"}, {"Hooli", "hooli.example"}}

// organization writes the people, organizations, teams, memberships and
// affiliation rules. Most team members work for the host (members of its
// organization); a fifth for partners, named by login or by address; some
// move company or team half-way.
func (g *generator) organization() error {
	o := g.o
	mid := o.Start.Add(o.End.Sub(o.Start) / 2)
	since := g.ms(o.Start.AddDate(-1, 0, 0))
	for _, org := range [][]any{{int64(1), "acme", "Acme"}, {int64(2), "acme-labs", "Acme Labs"}} {
		if err := g.row("organizations", org...); err != nil {
			return err
		}
	}
	g.teams = make([][]int, o.Teams)
	for t := 0; t < o.Teams; t++ {
		if err := g.row("teams", int64(t+1), int64(1), fmt.Sprintf("team-%02d", t+1), fmt.Sprintf("Team %d", t+1)); err != nil {
			return err
		}
	}
	total := o.People + o.People/6
	for i := 0; i < total; i++ {
		p := person{id: int64(1000 + i), login: fmt.Sprintf("dev-%03d", i), team: -1}
		p.email = p.login + "@acme.example"
		if i < o.People {
			p.team = i % o.Teams
			g.teams[p.team] = append(g.teams[p.team], i)
			switch {
			case i%5 == 1:
				pt := partners[(i/5)%len(partners)]
				p.partner = pt.name
				if i%10 == 1 {
					p.email = p.login + "@" + pt.domain // named by address, not login
				}
				if i%25 == 1 {
					p.movesTo = partners[(i/5+1)%len(partners)].name
				}
			}
		} else {
			p.email = p.login + "@users.example"
		}
		g.people = append(g.people, p)
		if err := g.row("actors", p.id, p.login, "User", p.email); err != nil {
			return err
		}
		if p.team >= 0 && p.partner == "" {
			if err := g.row("org_members", int64(1), p.id, since, nil); err != nil {
				return err
			}
		}
		if p.team >= 0 {
			until := any(nil)
			if i%16 == 3 { // moves team half-way
				until = g.ms(mid)
				next := (p.team + 1) % o.Teams
				if err := g.row("team_members", int64(next+1), p.id, g.ms(mid), nil); err != nil {
					return err
				}
			}
			if err := g.row("team_members", int64(p.team+1), p.id, since, until); err != nil {
				return err
			}
		}
		if p.partner != "" && !strings.Contains(p.email, "@"+domainOf(p.partner)) {
			until := any(nil)
			if p.movesTo != "" {
				until = g.ms(mid)
				if err := g.row("affiliations", p.movesTo, p.login, nil, g.ms(mid), nil); err != nil {
					return err
				}
			}
			if err := g.row("affiliations", p.partner, p.login, nil, nil, until); err != nil {
				return err
			}
		}
	}
	for _, pt := range partners {
		if err := g.row("affiliations", pt.name, nil, pt.domain, nil, nil); err != nil {
			return err
		}
	}
	for i, login := range []string{"dependabot[bot]", "renovate[bot]"} {
		id := int64(900 + i)
		g.bots = append(g.bots, id)
		if err := g.row("actors", id, login, "Bot", nil); err != nil {
			return err
		}
	}
	g.sum.People = total
	return nil
}

func domainOf(company string) string {
	for _, p := range partners {
		if p.name == company {
			return p.domain
		}
	}
	return ""
}

type genPull struct {
	id, number, author int64
	created, merged    int64
	closed             int64
	state              string
	mergeSHA           string
	mainCommits        []string // what the merge adds to main, oldest first
}

type genPush struct {
	id     int64
	at     int64
	before string
	after  string
}

// repository writes one repository's pull requests, reviews, comments,
// issues, commits, push history, deployments and incidents.
func (g *generator) repository(repo int64) error {
	o := g.o
	owner := "acme"
	if repo%4 == 0 {
		owner = "acme-labs"
	}
	name := fmt.Sprintf("service-%02d", repo)
	full := owner + "/" + name
	if err := g.row("repositories", repo, 10_000+repo, owner, name, full, "main"); err != nil {
		return err
	}
	team := int((repo - 1) % int64(o.Teams))
	if err := g.row("team_repositories", int64(team+1), repo, "push"); err != nil {
		return err
	}
	if err := g.row("team_repositories", int64((team+1)%o.Teams+1), repo, "pull"); err != nil {
		return err
	}
	startMS, endMS := g.ms(o.Start), g.ms(o.End)
	span := endMS - startMS
	hour := int64(time.Hour / time.Millisecond)
	members := g.teams[team]
	pick := func() person {
		if g.r.IntN(10) < 8 {
			return g.people[members[g.r.IntN(len(members))]]
		}
		return g.people[g.r.IntN(len(g.people))]
	}
	other := func(not int64) person {
		for {
			if p := pick(); p.id != not {
				return p
			}
		}
	}
	// Work happens on weekdays, in office hours.
	workTime := func() int64 {
		for {
			t := startMS + g.r.Int64N(span-7*24*hour)
			wd := time.UnixMilli(t).UTC().Weekday()
			if wd != time.Saturday && wd != time.Sunday {
				day := t - t%(24*hour)
				return day + (9+g.r.Int64N(9))*hour + g.r.Int64N(hour)
			}
		}
	}
	share := func(total int) int { // an even share, the remainder to the first repositories
		n := total / o.Repos
		if int(repo) <= total%o.Repos {
			n++
		}
		return n
	}
	nPulls := share(o.Pulls)
	pulls := make([]*genPull, nPulls)
	for i := range pulls {
		pulls[i] = &genPull{created: workTime()}
	}
	sort.Slice(pulls, func(i, j int) bool { return pulls[i].created < pulls[j].created })
	reviewsPerPull := float64(o.Reviews) / float64(o.Pulls)
	var merged []*genPull
	for i, p := range pulls {
		p.id, p.number = repo*1_000_000+int64(i+1), int64(i+1)
		var author person
		bot := g.r.IntN(20) == 0
		if bot {
			p.author = g.bots[g.r.IntN(len(g.bots))]
		} else {
			author = pick()
			p.author = author.id
		}
		// Branch commits, authored before the pull request opened.
		n := 1 + g.r.IntN(16)
		first := p.created - g.r.Int64N(48*hour) - hour
		branch := make([]string, n)
		for k := range branch {
			branch[k] = g.sha()
			at := first + int64(k)*(p.created-first)/int64(n)
			if err := g.row("commits", repo, branch[k], p.author, authorEmail(author), at, "work"); err != nil {
				return err
			}
			if err := g.row("pull_request_commits", p.id, branch[k]); err != nil {
				return err
			}
		}
		g.sum.Commits += n
		// Most merge: lognormal hours to merge, a median of about a day.
		hours := math.Exp(g.r.NormFloat64()*1.2 + 3)
		p.merged = p.created + int64(hours*float64(hour))
		roll := g.r.IntN(100)
		switch {
		case p.merged >= endMS-hour || roll >= 93:
			p.state, p.merged = "open", 0
		case roll >= 85:
			p.state, p.closed, p.merged = "closed", p.created+int64(hours*float64(hour)), 0
		default:
			p.state, p.closed = "closed", p.merged
			switch s := g.r.IntN(100); {
			case s < 50: // merge commit: the branch and the merge reach main
				p.mergeSHA = g.sha()
				p.mainCommits = append(append([]string{}, branch...), p.mergeSHA)
				if err := g.row("commits", repo, p.mergeSHA, p.author, authorEmail(author), p.merged, "Merge pull request #"+strconv.FormatInt(p.number, 10)); err != nil {
					return err
				}
				g.sum.Commits++
			case s < 85: // squash
				p.mergeSHA = g.sha()
				p.mainCommits = []string{p.mergeSHA}
				msg := "Change (#" + strconv.FormatInt(p.number, 10) + ")"
				if g.r.IntN(50) == 0 {
					msg = `Revert "Change"`
				}
				if err := g.row("commits", repo, p.mergeSHA, p.author, authorEmail(author), first, msg); err != nil {
					return err
				}
				g.sum.Commits++
			default: // rebase: copies of the branch, the last one the merge sha
				for range branch {
					c := g.sha()
					p.mainCommits = append(p.mainCommits, c)
					if err := g.row("commits", repo, c, p.author, authorEmail(author), first, "work"); err != nil {
						return err
					}
				}
				g.sum.Commits += len(branch)
				p.mergeSHA = p.mainCommits[len(p.mainCommits)-1]
			}
			merged = append(merged, p)
		}
		closed, mergedAt := nullMS(p.closed), nullMS(p.merged)
		updated := max(p.created, p.closed)
		title := "Change " + strconv.FormatInt(p.number, 10)
		adds, dels := int64(g.r.ExpFloat64()*150)+1, int64(g.r.ExpFloat64()*60)
		if err := g.row("pull_requests", p.id, repo, p.number, p.author, title, p.state, p.merged != 0, nullStr(p.mergeSHA),
			p.created, updated, closed, mergedAt, first, adds, dels); err != nil {
			return err
		}
		for _, l := range []struct {
			name string
			odds int
		}{{"bug", 10}, {"hotfix", 33}, {"complexity: high", 20}} {
			if g.r.IntN(l.odds) == 0 {
				if err := g.row("pull_request_labels", p.id, l.name); err != nil {
					return err
				}
			}
		}
		end := p.closed
		if end == 0 {
			end = min(p.created+72*hour, endMS-1)
		}
		// Reviews by people other than the author, between opening and merge.
		nr := int(reviewsPerPull*float64(g.r.IntN(5)+1)/3 + 0.5)
		nr = max(1, min(5, nr))
		for k := 0; k < nr; k++ {
			at := p.created + g.r.Int64N(max(1, end-p.created))
			state := "APPROVED"
			if k < nr-1 {
				state = "COMMENTED"
			}
			if err := g.row("reviews", g.id("review"), p.id, repo, other(p.author).id, state, at); err != nil {
				return err
			}
			g.sum.Reviews++
		}
		for k := g.r.IntN(3); k > 0; k-- {
			if err := g.row("review_comments", g.id("comment"), p.id, repo, other(p.author).id, p.created+g.r.Int64N(max(1, end-p.created))); err != nil {
				return err
			}
			g.sum.Comments++
		}
		for k := g.r.IntN(2); k > 0; k-- {
			if err := g.row("issue_comments", g.id("comment"), repo, p.number, true, pick().id, p.created+g.r.Int64N(max(1, end-p.created))); err != nil {
				return err
			}
			g.sum.Comments++
		}
	}
	g.sum.Pulls += len(pulls)

	// main's history: every merge is a push, with now and then a direct one.
	sort.Slice(merged, func(i, j int) bool { return merged[i].merged < merged[j].merged })
	var pushes []genPush
	head := g.sha()
	if err := g.row("commits", repo, head, nil, nil, startMS-48*hour, "initial"); err != nil {
		return err
	}
	g.sum.Commits++
	push := func(at int64, commits []string) error {
		id := g.id("push")
		created := len(pushes) == 0
		before := any(head)
		if created {
			before = strings.Repeat("0", 40)
		}
		after := commits[len(commits)-1]
		if err := g.row("pushes", id, repo, "refs/heads/main", before, after, created, int64(len(commits)), at); err != nil {
			return err
		}
		for k, c := range commits {
			if err := g.row("push_commits", id, int64(k), c); err != nil {
				return err
			}
		}
		g.sum.Pushes++
		g.sum.PushCommits += len(commits)
		pushes = append(pushes, genPush{id: id, at: at, before: head, after: after})
		head = after
		return nil
	}
	if err := push(startMS-48*hour, []string{head}); err != nil {
		return err
	}
	for i, p := range merged {
		if i%25 == 7 {
			c := g.sha()
			author := pick()
			at := p.merged - g.r.Int64N(hour) - 1
			if err := g.row("commits", repo, c, author.id, author.email, at-g.r.Int64N(4*hour), "direct fix"); err != nil {
				return err
			}
			g.sum.Commits++
			if err := push(at, []string{c}); err != nil {
				return err
			}
		}
		if err := push(p.merged, p.mainCommits); err != nil {
			return err
		}
	}

	// Deployments of main's head, every few working hours; some fail, some
	// are reported twice (GitHub and CI), a few are CI's alone.
	nDeploys := share(o.Deployments)
	times := make([]int64, 0, nDeploys)
	for len(times) < nDeploys*100/106 {
		times = append(times, workTime())
	}
	slices.Sort(times)
	type live struct {
		id  int64
		at  int64
		sha string
	}
	var ok []live
	headAt := func(t int64) string {
		i := sort.Search(len(pushes), func(i int) bool { return pushes[i].at > t })
		if i == 0 {
			return ""
		}
		return pushes[i-1].after
	}
	for _, t := range times {
		sha := headAt(t)
		if sha == "" {
			continue
		}
		finished := t + 5*60*1000 + g.r.Int64N(10*60*1000)
		roll := g.r.IntN(100)
		id := g.id("deployment")
		switch {
		case roll < 4: // a failed attempt
			if err := g.row("deployments", id, "ci", strconv.FormatInt(id, 10), repo, "production", sha, "main", "failure", t, finished, finished, false); err != nil {
				return err
			}
		case roll < 7: // CI alone
			if err := g.row("deployments", id, "ci", strconv.FormatInt(id, 10), repo, "production", sha, "main", "success", t, finished, finished, false); err != nil {
				return err
			}
			ok = append(ok, live{id, finished, sha})
		default:
			if err := g.row("deployments", id, "github", strconv.FormatInt(id, 10), repo, "production", sha, "main", "success", t, finished, finished, false); err != nil {
				return err
			}
			for k, st := range []struct {
				state string
				at    int64
			}{{"in_progress", t + 1000}, {"success", finished}} {
				if err := g.row("deployment_statuses", id, strconv.Itoa(k), st.state, st.at); err != nil {
					return err
				}
			}
			ok = append(ok, live{id, finished, sha})
			if roll < 13 { // CI reports the same deploy a minute later
				dup := g.id("deployment")
				if err := g.row("deployments", dup, "ci", strconv.FormatInt(dup, 10), repo, "production", sha, "main", "success", t, finished+60_000, finished+60_000, false); err != nil {
					return err
				}
				g.sum.Deployments++
			}
		}
		g.sum.Deployments++
	}

	// Incidents after one deployment in fifty: CI incidents that name
	// nothing, issues labelled incident naming the cause, and rollbacks.
	var rolledBack []int64
	for i, d := range ok {
		if i%50 != 17 {
			continue
		}
		opened := d.at + 10*60*1000 + g.r.Int64N(6*hour)
		resolved := opened + int64(math.Exp(g.r.NormFloat64()+1.5)*float64(hour)/4)
		switch i % 3 {
		case 0:
			src := fmt.Sprintf("inc-%d-%d", repo, i)
			if err := g.row("incidents", "ci", src, repo, "Degraded", opened, resolved, nil); err != nil {
				return err
			}
		case 1:
			num := int64(900_000 + i)
			issueID := repo*1_000_000 + num
			body := "Something broke.\n\nroot cause: " + d.sha[:12]
			if err := g.row("issues", issueID, repo, num, pick().id, "Outage", body, "closed", opened, resolved, resolved); err != nil {
				return err
			}
			if err := g.row("issue_labels", issueID, "incident"); err != nil {
				return err
			}
			g.sum.Issues++
		default:
			if err := g.row("ci_events", "rollback", full, repo, opened, nil, "production", "success", d.id, opened); err != nil {
				return err
			}
			rolledBack = append(rolledBack, d.id)
		}
		g.sum.Incidents++
	}
	if len(rolledBack) > 0 {
		// As the CI intake does: a rollback marks what it rolled back.
		dep := g.tables["deployments"]
		if err := dep.flush(); err != nil {
			return err
		}
		ids := make([]string, len(rolledBack))
		for i, id := range rolledBack {
			ids[i] = strconv.FormatInt(id, 10)
		}
		if _, err := dep.tx.ExecContext(dep.ctx, `UPDATE deployments SET caused_failure = TRUE WHERE id IN (`+strings.Join(ids, ", ")+`)`); err != nil {
			return err
		}
	}

	// Issues, answered (or not) by someone else.
	for k := 0; k < nPulls/10; k++ {
		num := int64(500_000 + k)
		id := repo*1_000_000 + num
		author := pick()
		created := workTime()
		state, closed := "open", any(nil)
		if g.r.IntN(10) < 7 {
			state, closed = "closed", created+g.r.Int64N(30*24*hour)
		}
		if err := g.row("issues", id, repo, num, author.id, "Issue", nil, state, created, created, closed); err != nil {
			return err
		}
		g.sum.Issues++
		for c := g.r.IntN(3); c > 0; c-- {
			if err := g.row("issue_comments", g.id("comment"), repo, num, false, other(author.id).id, created+g.r.Int64N(72*hour)); err != nil {
				return err
			}
			g.sum.Comments++
		}
	}
	g.sum.Repos++
	return nil
}

func authorEmail(p person) any {
	if p.email == "" {
		return nil
	}
	return p.email
}

func nullMS(v int64) any {
	if v == 0 {
		return nil
	}
	return v
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}
