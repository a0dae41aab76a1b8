package metrics

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sextant-dev/sextant/internal/core"
)

// Leaderboard groups.
const (
	GroupPerson = "person"
	GroupTeam   = "team"
	GroupOrg    = "org"
)

// LeaderboardQuery selects a leaderboard. Unlike the delivery metrics, its
// team filter means the team's members (while members), not its
// repositories.
type LeaderboardQuery struct {
	Filter
	Group   string
	Company string
	limit   int
	offset  int
}

// ParseLeaderboardQuery reads the query of a leaderboard.
func ParseLeaderboardQuery(q url.Values, now time.Time) (LeaderboardQuery, error) {
	f, err := ParseFilter(q, now, "group", "company", "limit", "offset")
	var ps core.Problems
	lq := LeaderboardQuery{Filter: f, Company: strings.TrimSpace(q.Get("company"))}
	lq.Group = choice(q, "group", GroupPerson, &ps, GroupPerson, GroupTeam, GroupOrg)
	if lq.Company != "" && lq.Group != GroupPerson {
		ps.Add("company", "filters people: use it with group=person")
	}
	lq.limit = intParam(q, "limit", DefaultPage, 1, MaxPage, &ps)
	lq.offset = intParam(q, "offset", 0, 0, 1_000_000, &ps)
	return lq, joinProblems(err, ps)
}

// KindScore is what one kind of contribution counted and scored.
type KindScore struct {
	Count  int64 `json:"count"`
	Points int64 `json:"points"`
}

// MergedScore is KindScore for merged pull requests, with the part of the
// points that label bonuses gave.
type MergedScore struct {
	Count      int64 `json:"count"`
	Points     int64 `json:"points"`
	LabelBonus int64 `json:"label_bonus"`
}

// Breakdown is a score by contribution kind.
type Breakdown struct {
	PullsOpened KindScore   `json:"pulls_opened"`
	PullsMerged MergedScore `json:"pulls_merged"`
	Reviews     KindScore   `json:"reviews"`
	Issues      KindScore   `json:"issues"`
	Comments    KindScore   `json:"comments"`
}

// LeaderboardEntry is one person, team or company.
type LeaderboardEntry struct {
	Rank          int       `json:"rank"`
	Name          string    `json:"name"`
	Title         string    `json:"title,omitempty"`
	Score         int64     `json:"score"`
	Breakdown     Breakdown `json:"breakdown"`
	PreviousRank  *int      `json:"previous_rank"`
	PreviousScore *int64    `json:"previous_score"`
	// Companies a person contributed for in the period, most points first.
	Companies []string `json:"companies,omitempty"`
}

// Leaderboard is the answer of a leaderboard query.
type Leaderboard struct {
	From         time.Time          `json:"from"`
	To           time.Time          `json:"to"`
	Group        string             `json:"group"`
	PreviousFrom time.Time          `json:"previous_from"`
	PreviousTo   time.Time          `json:"previous_to"`
	RefreshedAt  *time.Time         `json:"refreshed_at"`
	Total        int                `json:"total"`
	Entries      []LeaderboardEntry `json:"entries"`
}

type entryAcc struct {
	name, title string
	score       int64
	b           Breakdown
	companies   map[string]int64
}

// Leaderboard ranks people, teams or companies by the points of their
// contributions in the period, with their rank and score in the previous
// period of equal length.
func (e *Engine) Leaderboard(ctx context.Context, q LeaderboardQuery) (*Leaderboard, error) {
	s, err := e.resolve(ctx, Filter{Repo: q.Repo, Org: q.Org})
	if err != nil {
		return nil, err
	}
	// Teams by id, for names: every team, whatever the filter.
	ts, err := e.resolve(ctx, Filter{Team: q.Team})
	if err != nil {
		return nil, err
	}
	team := ts.team
	teamsByID := map[int64]teamInfo{}
	all := ts.teams
	if team != nil {
		if all, err = e.allTeams(ctx); err != nil {
			return nil, err
		}
	}
	for _, t := range all {
		teamsByID[t.id] = t
	}
	cur, prev := q.Range(), q.Range().previous()
	now, err := e.scores(ctx, q, s, team, teamsByID, cur)
	if err != nil {
		return nil, err
	}
	before, err := e.scores(ctx, q, s, team, teamsByID, prev)
	if err != nil {
		return nil, err
	}
	ranked, prevRanked := rank(now), rank(before)
	prevByName := map[string]int{}
	for i, en := range prevRanked {
		prevByName[en.Name] = i
	}
	for i := range ranked {
		if j, ok := prevByName[ranked[i].Name]; ok {
			r, sc := prevRanked[j].Rank, prevRanked[j].Score
			ranked[i].PreviousRank, ranked[i].PreviousScore = &r, &sc
		}
	}
	out := &Leaderboard{From: cur.From, To: cur.To, Group: q.Group, PreviousFrom: prev.From, PreviousTo: prev.To,
		Total: len(ranked), Entries: []LeaderboardEntry{}}
	if q.offset < len(ranked) {
		out.Entries = ranked[q.offset:min(len(ranked), q.offset+q.limit)]
	}
	if at, err := e.RefreshedAt(ctx); err == nil && !at.IsZero() {
		out.RefreshedAt = &at
	}
	return out, nil
}

func rank(m map[string]*entryAcc) []LeaderboardEntry {
	out := make([]LeaderboardEntry, 0, len(m))
	for _, a := range m {
		en := LeaderboardEntry{Name: a.name, Title: a.title, Score: a.score, Breakdown: a.b}
		if len(a.companies) > 0 {
			for c := range a.companies {
				en.Companies = append(en.Companies, c)
			}
			sort.Slice(en.Companies, func(i, j int) bool {
				pi, pj := a.companies[en.Companies[i]], a.companies[en.Companies[j]]
				return pi > pj || pi == pj && en.Companies[i] < en.Companies[j]
			})
		}
		out = append(out, en)
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Score > out[j].Score || out[i].Score == out[j].Score && out[i].Name < out[j].Name
	})
	// Ties share a rank; the next rank counts them (1, 2, 2, 4).
	for i := range out {
		if i > 0 && out[i].Score == out[i-1].Score {
			out[i].Rank = out[i-1].Rank
		} else {
			out[i].Rank = i + 1
		}
	}
	return out
}

// scores sums the contributions of a range per entry of the group. Whole
// months come from the monthly sums; the days before the first and after
// the last whole month from the contributions themselves. A repository
// filter reads contributions only (the sums are per organization).
func (e *Engine) scores(ctx context.Context, q LeaderboardQuery, s *scope, team *teamInfo, teamsByID map[int64]teamInfo, r Range) (map[string]*entryAcc, error) {
	mStart := startOf(r.From, Month)
	if mStart.Before(r.From) {
		mStart = next(mStart, Month)
	}
	mEnd := startOf(r.To, Month)
	months := [2]int64{mStart.UnixMilli(), mEnd.UnixMilli()}
	edges := [4]int64{r.fromMS(), months[0], months[1], r.toMS()}
	if !mStart.Before(mEnd) || q.Repo != "" {
		months = [2]int64{0, 0}
		edges = [4]int64{r.fromMS(), r.toMS(), 0, 0}
	}
	var args []any
	ph := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	monthCond := "x.month >= " + ph(months[0]) + " AND x.month < " + ph(months[1])
	rawCond := "(c.at >= " + ph(edges[0]) + " AND c.at < " + ph(edges[1]) + " OR c.at >= " + ph(edges[2]) + " AND c.at < " + ph(edges[3]) + ")"
	if q.Org != "" {
		org := strings.ToLower(q.Org)
		monthCond += " AND x.owner = " + ph(org)
		rawCond += " AND c.owner = " + ph(org)
	}
	if q.Repo != "" {
		rawCond += " AND " + s.where("c.repo_id")
	}
	if q.Company != "" {
		monthCond += " AND x.company = " + ph(q.Company)
		rawCond += " AND c.company = " + ph(q.Company)
	}
	var text string
	if q.Group != GroupTeam && team == nil {
		text = `SELECT actor_id, 0, company, kind, SUM(n), SUM(points) FROM (
			SELECT x.actor_id, x.company, x.kind, x.n, x.points FROM metric_contribution_months x WHERE ` + monthCond + `
			UNION ALL
			SELECT c.actor_id, c.company, c.kind, 1, c.points FROM metric_contributions c WHERE ` + rawCond + `
		) y GROUP BY actor_id, company, kind`
	} else {
		if team != nil {
			monthCond += " AND x.team_id = " + ph(team.id)
			rawCond += " AND m.team_id = " + ph(team.id)
		}
		// DISTINCT: overlapping spans of one membership count once.
		text = `SELECT actor_id, team_id, company, kind, SUM(n), SUM(points) FROM (
			SELECT x.actor_id, x.team_id, x.company, x.kind, x.n, x.points FROM metric_team_contribution_months x WHERE ` + monthCond + `
			UNION ALL
			SELECT c.actor_id, t.team_id, c.company, c.kind, 1, c.points
			FROM (SELECT DISTINCT c.kind, c.source_id, m.team_id FROM metric_contributions c
			      JOIN team_members m ON m.actor_id = c.actor_id AND m.since <= c.at AND (m.until IS NULL OR m.until > c.at)
			      WHERE ` + rawCond + `) t
			JOIN metric_contributions c ON c.kind = t.kind AND c.source_id = t.source_id
		) y GROUP BY actor_id, team_id, company, kind`
	}
	logins := map[int64]string{}
	out := map[string]*entryAcc{}
	var actorIDs []int64
	err := query(ctx, e.db.R, text, args, func(rows *sql.Rows) error {
		var (
			actor, teamID, n, points int64
			company, kind            string
		)
		if err := rows.Scan(&actor, &teamID, &company, &kind, &n, &points); err != nil {
			return err
		}
		var key, name, title string
		switch q.Group {
		case GroupPerson:
			key = "a" + strconv.FormatInt(actor, 10)
			actorIDs = append(actorIDs, actor)
		case GroupTeam:
			t, ok := teamsByID[teamID]
			if !ok { // a deleted team
				return nil
			}
			key, name, title = "t"+strconv.FormatInt(teamID, 10), t.name, t.title
		case GroupOrg:
			key, name = "c"+company, company
		}
		a := out[key]
		if a == nil {
			a = &entryAcc{name: name, title: title}
			if q.Group == GroupPerson {
				a.name = strconv.FormatInt(actor, 10)
				a.companies = map[string]int64{}
			}
			out[key] = a
		}
		a.score += points
		if a.companies != nil {
			a.companies[company] += points
		}
		switch kind {
		case kindPullOpened:
			a.b.PullsOpened.Count += n
			a.b.PullsOpened.Points += points
		case kindPullMerged:
			a.b.PullsMerged.Count += n
			a.b.PullsMerged.Points += points
			a.b.PullsMerged.LabelBonus += points - n*int64(e.s.Weights.MergedPull)
		case kindReview:
			a.b.Reviews.Count += n
			a.b.Reviews.Points += points
		case kindIssue:
			a.b.Issues.Count += n
			a.b.Issues.Points += points
		case kindIssueComment, kindReviewComment:
			a.b.Comments.Count += n
			a.b.Comments.Points += points
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sum contributions: %w", err)
	}
	if q.Group == GroupPerson && len(actorIDs) > 0 {
		err = query(ctx, e.db.R, `SELECT id, login FROM actors WHERE id IN `+inList(actorIDs), nil, func(rows *sql.Rows) error {
			var (
				id    int64
				login string
			)
			err := rows.Scan(&id, &login)
			logins[id] = login
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("name contributors: %w", err)
		}
		for key, a := range out {
			id, _ := strconv.ParseInt(key[1:], 10, 64)
			if l, ok := logins[id]; ok {
				a.name = l
			} else {
				a.name = "#" + a.name
			}
		}
	}
	return out, nil
}

func (e *Engine) allTeams(ctx context.Context) ([]teamInfo, error) {
	s, err := e.resolve(ctx, Filter{})
	if err != nil {
		return nil, err
	}
	return s.teams, nil
}
