package metrics

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/sextant-dev/sextant/internal/core"
)

// A team owns the repositories it can write to; read access (pull,
// triage) makes no team's delivery.
const ownerPermissions = `('admin', 'maintain', 'push', 'write')`

type repoInfo struct {
	id       int64
	fullName string
	owner    string // lower case
}

type teamInfo struct {
	id    int64
	name  string // org/slug
	title string // the team's display name
	org   string // lower case
	repos []int64
}

// scope is a filter resolved against what is known: the repositories it
// covers (all of them when all is true) and the teams in it.
type scope struct {
	all       bool
	repos     []int64
	inScope   map[int64]bool
	repoInfo  map[int64]repoInfo
	repoTeams map[int64][]int64
	teams     []teamInfo
	team      *teamInfo // the team filter, when given
}

// resolve turns a filter into a scope; an unknown repository, team or
// organization is an invalid query naming the parameter.
func (e *Engine) resolve(ctx context.Context, f Filter) (*scope, error) {
	s := &scope{all: true, inScope: map[int64]bool{}, repoInfo: map[int64]repoInfo{}, repoTeams: map[int64][]int64{}}
	var order []int64
	err := query(ctx, e.db.R, `SELECT id, full_name, owner FROM repositories ORDER BY full_name, id`, nil, func(rows *sql.Rows) error {
		var r repoInfo
		if err := rows.Scan(&r.id, &r.fullName, &r.owner); err != nil {
			return err
		}
		r.owner = strings.ToLower(r.owner)
		s.repoInfo[r.id] = r
		order = append(order, r.id)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list repositories: %w", err)
	}
	byTeam := map[int64]*teamInfo{}
	err = query(ctx, e.db.R, `SELECT t.id, COALESCE(o.login, ''), t.slug, t.name FROM teams t
		LEFT JOIN organizations o ON o.id = t.org_id WHERE NOT t.deleted ORDER BY o.login, t.slug, t.id`, nil, func(rows *sql.Rows) error {
		var t teamInfo
		if err := rows.Scan(&t.id, &t.org, &t.name, &t.title); err != nil {
			return err
		}
		t.org = strings.ToLower(t.org)
		if t.org != "" {
			t.name = t.org + "/" + t.name
		}
		s.teams = append(s.teams, t)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list teams: %w", err)
	}
	for i := range s.teams {
		byTeam[s.teams[i].id] = &s.teams[i]
	}
	err = query(ctx, e.db.R, `SELECT team_id, repo_id FROM team_repositories WHERE permission IN `+ownerPermissions+
		` ORDER BY team_id, repo_id`, nil, func(rows *sql.Rows) error {
		var team, repo int64
		if err := rows.Scan(&team, &repo); err != nil {
			return err
		}
		if t := byTeam[team]; t != nil {
			t.repos = append(t.repos, repo)
			s.repoTeams[repo] = append(s.repoTeams[repo], team)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list team repositories: %w", err)
	}

	var ps core.Problems
	keep := func(ok func(id int64) bool) {
		s.all = false
		var out []int64
		for _, id := range order {
			if ok(id) {
				out = append(out, id)
			}
		}
		order = out
	}
	if f.Repo != "" {
		found := false
		for _, r := range s.repoInfo {
			found = found || strings.EqualFold(r.fullName, f.Repo)
		}
		if !found {
			ps.Add("repo", fmt.Sprintf("no repository %s is known", f.Repo))
		}
		keep(func(id int64) bool { return strings.EqualFold(s.repoInfo[id].fullName, f.Repo) })
	}
	if f.Org != "" {
		org := strings.ToLower(f.Org)
		found := false
		for _, r := range s.repoInfo {
			found = found || r.owner == org
		}
		if !found {
			ps.Add("org", fmt.Sprintf("no repository of an organization %s is known", f.Org))
		}
		keep(func(id int64) bool { return s.repoInfo[id].owner == org })
		s.teams = slices.DeleteFunc(s.teams, func(t teamInfo) bool { return t.org != org })
	}
	if f.Team != "" {
		var matches []teamInfo
		for _, t := range s.teams {
			if strings.EqualFold(t.name, f.Team) || !strings.Contains(f.Team, "/") && strings.EqualFold(t.name[strings.LastIndex(t.name, "/")+1:], f.Team) {
				matches = append(matches, t)
			}
		}
		switch len(matches) {
		case 0:
			ps.Add("team", fmt.Sprintf("no team %s is known", f.Team))
		case 1:
			t := matches[0]
			s.team = &t
			s.teams = []teamInfo{t}
			owned := map[int64]bool{}
			for _, id := range t.repos {
				owned[id] = true
			}
			keep(func(id int64) bool { return owned[id] })
		default:
			names := make([]string, len(matches))
			for i, m := range matches {
				names[i] = m.name
			}
			sort.Strings(names)
			ps.Add("team", fmt.Sprintf("%s is the slug of several teams: give one of %s", f.Team, strings.Join(names, ", ")))
		}
	}
	if err := ps.Invalid("invalid query"); err != nil {
		return nil, err
	}
	s.repos = order
	for _, id := range order {
		s.inScope[id] = true
	}
	if f.Repo != "" {
		// A repository's breakdown by team lists the teams that own it.
		s.teams = slices.DeleteFunc(s.teams, func(t teamInfo) bool {
			return !slices.ContainsFunc(t.repos, func(id int64) bool { return s.inScope[id] })
		})
	}
	return s, nil
}

// where is the SQL condition restricting column to the scope's
// repositories ("TRUE" for all of them).
func (s *scope) where(column string) string {
	if s.all {
		return "TRUE"
	}
	if len(s.repos) == 0 {
		return "FALSE"
	}
	return column + " IN " + inList(s.repos)
}
