package metrics

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/sextant-dev/sextant/internal/store"
)

// Independent is the company of someone no affiliation or organization
// membership claims.
const Independent = "Independent"

// Affiliation says a login, or the people with an email address at a
// domain, worked for a company from Since (inclusive) to Until
// (exclusive); a zero time is open-ended.
type Affiliation struct {
	Company     string
	Login       string
	EmailDomain string
	Since       time.Time
	Until       time.Time
}

// span is a half-open time range in Unix milliseconds; 0 is open-ended.
type span struct{ since, until int64 }

func (s span) covers(at int64) bool {
	return (s.since == 0 || at >= s.since) && (s.until == 0 || at < s.until)
}

type companySpan struct {
	span
	company string
}

type actorInfo struct {
	login string
	bot   bool
}

// world is what every repository's derivation shares: who the actors are,
// whether they are bots, and which company they worked for when.
type world struct {
	actors   map[int64]actorInfo
	byLogin  map[string][]companySpan // affiliation rules by lower-case login
	byDomain map[string][]companySpan // affiliation rules by email domain
	domains  map[int64][]string       // email domains of each actor, profile first
	orgs     map[int64][]companySpan  // organization memberships
	settings Settings
	// complete: the domains come from every commit (a full refresh); else
	// from what earlier refreshes recorded, and a repository that finds a
	// new one marks its people for the next refresh.
	complete bool
}

func loadWorld(ctx context.Context, db *store.DB, s Settings, full bool) (*world, error) {
	w := &world{actors: map[int64]actorInfo{}, byLogin: map[string][]companySpan{}, byDomain: map[string][]companySpan{},
		domains: map[int64][]string{}, orgs: map[int64][]companySpan{}, settings: s}
	profileEmail := map[int64]string{}
	err := query(ctx, db.R, `SELECT id, login, type, email FROM actors`, nil, func(rows *sql.Rows) error {
		var (
			id         int64
			login, typ string
			email      sql.NullString
		)
		if err := rows.Scan(&id, &login, &typ, &email); err != nil {
			return err
		}
		w.actors[id] = actorInfo{login: login, bot: s.isBot(login, typ)}
		if email.Valid {
			profileEmail[id] = email.String
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load actors: %w", err)
	}
	err = query(ctx, db.R, `SELECT company, login, email_domain, since, until FROM affiliations ORDER BY id`, nil, func(rows *sql.Rows) error {
		var (
			company      string
			login, dom   sql.NullString
			since, until sql.NullInt64
		)
		if err := rows.Scan(&company, &login, &dom, &since, &until); err != nil {
			return err
		}
		cs := companySpan{span{since.Int64, until.Int64}, company}
		if login.Valid && login.String != "" {
			k := strings.ToLower(login.String)
			w.byLogin[k] = append(w.byLogin[k], cs)
		} else if dom.Valid && dom.String != "" {
			k := strings.ToLower(dom.String)
			w.byDomain[k] = append(w.byDomain[k], cs)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load affiliations: %w", err)
	}
	if len(w.byDomain) > 0 {
		// Email domains matter only when a rule names one. A full refresh
		// reads every commit author's address; others read the domains
		// recorded per repository.
		for _, id := range sortedKeys(profileEmail) {
			w.addDomain(id, profileEmail[id])
		}
		q := `SELECT DISTINCT actor_id, domain FROM metric_actor_domains ORDER BY actor_id, domain`
		if full {
			q = `SELECT DISTINCT author_id, author_email FROM commits
				WHERE author_id IS NOT NULL AND author_email IS NOT NULL ORDER BY author_id, author_email`
			w.complete = true
		}
		err = query(ctx, db.R, q, nil, func(rows *sql.Rows) error {
			var (
				id    int64
				email string
			)
			if err := rows.Scan(&id, &email); err != nil {
				return err
			}
			if !full {
				email = "@" + email
			}
			w.addDomain(id, email)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("load email domains: %w", err)
		}
	}
	err = query(ctx, db.R, `SELECT m.actor_id, o.login, o.name, m.since, m.until
		FROM org_members m JOIN organizations o ON o.id = m.org_id ORDER BY m.actor_id, m.since, o.login`, nil, func(rows *sql.Rows) error {
		var (
			actor, since int64
			login        string
			name         sql.NullString
			until        sql.NullInt64
		)
		if err := rows.Scan(&actor, &login, &name, &since, &until); err != nil {
			return err
		}
		company := login
		if name.Valid && name.String != "" {
			company = name.String
		}
		w.orgs[actor] = append(w.orgs[actor], companySpan{span{since, until.Int64}, company})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load organization members: %w", err)
	}
	return w, nil
}

// addDomain records that an actor has an address (or "@domain") at a
// domain; it reports whether that is new.
func (w *world) addDomain(actor int64, email string) bool {
	dom := domainOf(email)
	if dom == "" {
		return false
	}
	for _, d := range w.domains[actor] {
		if d == dom {
			return false
		}
	}
	w.domains[actor] = append(w.domains[actor], dom)
	return true
}

// domainOf is the lower-case domain of an email address, "" for none.
func domainOf(email string) string {
	_, dom, ok := strings.Cut(email, "@")
	if !ok {
		return ""
	}
	return strings.ToLower(strings.TrimSpace(dom))
}

// actor returns what is known of an actor; an unknown one is no bot and
// is named by its id.
func (w *world) actor(id int64) actorInfo {
	if a, ok := w.actors[id]; ok {
		return a
	}
	return actorInfo{login: fmt.Sprintf("#%d", id)}
}

// company is the company an actor worked for at the instant: the
// affiliations file by login, then by email domain, then organization
// membership, else Independent.
func (w *world) company(actor int64, at int64) string {
	a, ok := w.actors[actor]
	if ok {
		for _, r := range w.byLogin[strings.ToLower(a.login)] {
			if r.covers(at) {
				return r.company
			}
		}
	}
	for _, d := range w.domains[actor] {
		for _, r := range w.byDomain[d] {
			if r.covers(at) {
				return r.company
			}
		}
	}
	for _, m := range w.orgs[actor] {
		if m.covers(at) {
			return m.company
		}
	}
	return Independent
}

// sortedKeys returns a map's keys in order, for deterministic work.
func sortedKeys[V any](m map[int64]V) []int64 {
	out := make([]int64, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// query runs a query and calls each for every row.
func query(ctx context.Context, q store.Querier, text string, args []any, each func(*sql.Rows) error) error {
	rows, err := q.QueryContext(ctx, text, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := each(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
