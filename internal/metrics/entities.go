package metrics

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/sextant-dev/sextant/internal/core"
)

// EntityQuery filters the repository and team lists.
type EntityQuery struct {
	Org  string
	Team string
}

// ParseEntityQuery reads the query of /repos (org, team) or /teams (org).
func ParseEntityQuery(q url.Values, allowTeam bool) (EntityQuery, error) {
	known := []string{"org"}
	if allowTeam {
		known = append(known, "team")
	}
	var ps core.Problems
	checkParams(q, known, &ps)
	eq := EntityQuery{Org: strings.TrimSpace(q.Get("org")), Team: strings.TrimSpace(q.Get("team"))}
	if eq.Org != "" && !validName(eq.Org) {
		ps.Add("org", fmt.Sprintf("%q is not an organization login", eq.Org))
	}
	return eq, ps.Invalid("invalid query")
}

// Repo is a repository as the list shows it.
type Repo struct {
	ID                     int64      `json:"id"`
	Repo                   string     `json:"repo"`
	Owner                  string     `json:"owner"`
	Name                   string     `json:"name"`
	HTMLURL                string     `json:"html_url"`
	DefaultBranch          *string    `json:"default_branch"`
	Private                bool       `json:"private"`
	Archived               bool       `json:"archived"`
	ProductionEnvironments []string   `json:"production_environments"`
	Teams                  []string   `json:"teams"`
	LastDeploymentAt       *time.Time `json:"last_deployment_at"`
}

// Repos lists the known repositories by name.
func (e *Engine) Repos(ctx context.Context, q EntityQuery) ([]Repo, error) {
	s, err := e.resolve(ctx, Filter{Org: q.Org, Team: q.Team})
	if err != nil {
		return nil, err
	}
	teamName := map[int64]string{}
	all, err := e.allTeams(ctx)
	if err != nil {
		return nil, err
	}
	for _, t := range all {
		teamName[t.id] = t.name
	}
	out := []Repo{}
	err = query(ctx, e.db.R, `SELECT r.id, r.full_name, r.owner, r.name, r.default_branch, r.private, r.archived,
			(SELECT MAX(m.at) FROM metric_deployments m WHERE m.repo_id = r.id AND m.counted)
		FROM repositories r WHERE `+s.where("r.id")+` ORDER BY r.full_name, r.id`, nil, func(rows *sql.Rows) error {
		var (
			r      Repo
			branch sql.NullString
			last   sql.NullInt64
		)
		if err := rows.Scan(&r.ID, &r.Repo, &r.Owner, &r.Name, &branch, &r.Private, &r.Archived, &last); err != nil {
			return err
		}
		r.DefaultBranch, r.LastDeploymentAt = stringPtr(branch), timePtr(last)
		r.HTMLURL = e.s.WebURL + "/" + r.Repo
		r.ProductionEnvironments = append([]string{}, e.s.productionEnvs(r.Repo)...)
		r.Teams = []string{}
		for _, t := range s.repoTeams[r.ID] {
			if n, ok := teamName[t]; ok {
				r.Teams = append(r.Teams, n)
			}
		}
		sort.Strings(r.Teams)
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list repositories: %w", err)
	}
	return out, nil
}

// Team is a team as the list shows it.
type Team struct {
	ID      int64    `json:"id"`
	Team    string   `json:"team"`
	Org     *string  `json:"org"`
	Slug    string   `json:"slug"`
	Name    string   `json:"name"`
	Parent  *string  `json:"parent"`
	Members int      `json:"members"`
	Repos   []string `json:"repos"`
}

// Teams lists the teams (not deleted) with their current members and the
// repositories they own.
func (e *Engine) Teams(ctx context.Context, q EntityQuery, now time.Time) ([]Team, error) {
	s, err := e.resolve(ctx, Filter{Org: q.Org})
	if err != nil {
		return nil, err
	}
	names := map[int64]string{}
	all, err := e.allTeams(ctx)
	if err != nil {
		return nil, err
	}
	for _, t := range all {
		names[t.id] = t.name
	}
	members := map[int64]int{}
	err = query(ctx, e.db.R, `SELECT team_id, COUNT(DISTINCT actor_id) FROM team_members
		WHERE since <= $1 AND (until IS NULL OR until > $1) GROUP BY team_id`, []any{now.UnixMilli()}, func(rows *sql.Rows) error {
		var id int64
		var n int
		err := rows.Scan(&id, &n)
		members[id] = n
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("count team members: %w", err)
	}
	parents := map[int64]int64{}
	err = query(ctx, e.db.R, `SELECT id, parent_id FROM teams WHERE parent_id IS NOT NULL`, nil, func(rows *sql.Rows) error {
		var id, parent int64
		err := rows.Scan(&id, &parent)
		parents[id] = parent
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list team parents: %w", err)
	}
	out := []Team{}
	for _, t := range s.teams {
		item := Team{ID: t.id, Team: t.name, Name: t.title, Members: members[t.id], Repos: []string{}}
		item.Slug = t.name[strings.LastIndex(t.name, "/")+1:]
		if t.org != "" {
			org := t.org
			item.Org = &org
		}
		if p, ok := names[parents[t.id]]; ok {
			item.Parent = &p
		}
		for _, r := range t.repos {
			if info, ok := s.repoInfo[r]; ok {
				item.Repos = append(item.Repos, info.fullName)
			}
		}
		sort.Strings(item.Repos)
		out = append(out, item)
	}
	return out, nil
}
