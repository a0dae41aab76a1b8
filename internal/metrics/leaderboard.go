package metrics

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"slices"
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
	// Series adds each entry's score in every period of the interval.
	Series bool
	limit  int
	offset int
}

// maxSeriesPoints bounds a leaderboard's series: each point is a
// leaderboard of its own period.
const maxSeriesPoints = 400

// ParseLeaderboardQuery reads the query of a leaderboard.
func ParseLeaderboardQuery(q url.Values, now time.Time) (LeaderboardQuery, error) {
	f, err := ParseFilter(q, now, "group", "company", "series", "limit", "offset")
	var ps core.Problems
	lq := LeaderboardQuery{Filter: f, Company: strings.TrimSpace(q.Get("company"))}
	lq.Group = choice(q, "group", GroupPerson, &ps, GroupPerson, GroupTeam, GroupOrg)
	if lq.Company != "" && lq.Group != GroupPerson {
		ps.Add("company", "filters people: use it with group=person")
	}
	if series := boolParam(q, "series", &ps); series != nil && *series {
		lq.Series = true
		if err == nil && len(buckets(f.Range(), f.Interval)) > maxSeriesPoints {
			ps.Add("interval", fmt.Sprintf("series=true with %s over this range makes more than %d points; use a longer interval",
				f.Interval, maxSeriesPoints))
		}
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
	// HTMLURL is a person's GitHub profile.
	HTMLURL string `json:"html_url,omitempty"`
	// Series is the score in each of the answer's periods (series=true).
	Series []int64 `json:"series,omitempty"`

	key string // the entry's key in a tally
}

// Period is one point of a series: the half-open range [From, To).
type Period struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
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
	// Periods are the points of the entries' series (series=true): the
	// interval's periods, the first and last clipped to the range.
	Periods []Period `json:"periods,omitempty"`
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
	now, err := e.scores(ctx, q, s, team, teamsByID, cur, true)
	if err != nil {
		return nil, err
	}
	before, err := e.scores(ctx, q, s, team, teamsByID, prev, true)
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
	if q.Group == GroupPerson {
		for i := range out.Entries {
			if n := out.Entries[i].Name; !strings.HasPrefix(n, "#") {
				out.Entries[i].HTMLURL = e.s.WebURL + "/" + url.PathEscape(n)
			}
		}
	}
	if q.Series {
		// Each point is the leaderboard of its period, so a point adds up
		// as a leaderboard asked for that period would.
		for _, b := range buckets(cur, q.Interval) {
			out.Periods = append(out.Periods, Period{From: b.From, To: b.To})
			m, err := e.scores(ctx, q, s, team, teamsByID, b, false)
			if err != nil {
				return nil, err
			}
			for i := range out.Entries {
				var score int64
				if a := m[out.Entries[i].key]; a != nil {
					score = a.score
				}
				out.Entries[i].Series = append(out.Entries[i].Series, score)
			}
		}
	}
	if at, err := e.RefreshedAt(ctx); err == nil && !at.IsZero() {
		out.RefreshedAt = &at
	}
	return out, nil
}

func rank(m map[string]*entryAcc) []LeaderboardEntry {
	out := make([]LeaderboardEntry, 0, len(m))
	for key, a := range m {
		en := LeaderboardEntry{Name: a.name, Title: a.title, Score: a.score, Breakdown: a.b, key: key}
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
// months come from the monthly sums, whole days around them from the daily
// sums, and the part-days at the ends (a range not starting at midnight)
// from the contributions themselves. A repository filter reads
// contributions only: the sums are per organization. People are named by
// login when named is true (else by id: the keys are the same).
func (e *Engine) scores(ctx context.Context, q LeaderboardQuery, s *scope, team *teamInfo, teamsByID map[int64]teamInfo, r Range, named bool) (map[string]*entryAcc, error) {
	type span struct{ from, to int64 }
	var months, days, raw []span
	if q.Repo != "" {
		raw = []span{{r.fromMS(), r.toMS()}}
	} else {
		dayFrom, dayTo := startOf(r.From, Day), startOf(r.To, Day)
		if dayFrom.Before(r.From) {
			dayFrom = next(dayFrom, Day)
		}
		if !dayFrom.Before(dayTo) {
			raw = []span{{r.fromMS(), r.toMS()}}
		} else {
			raw = []span{{r.fromMS(), dayFrom.UnixMilli()}, {dayTo.UnixMilli(), r.toMS()}}
			mFrom, mTo := startOf(dayFrom, Month), startOf(dayTo, Month)
			if mFrom.Before(dayFrom) {
				mFrom = next(mFrom, Month)
			}
			if mFrom.Before(mTo) {
				months = []span{{mFrom.UnixMilli(), mTo.UnixMilli()}}
				days = []span{{dayFrom.UnixMilli(), mFrom.UnixMilli()}, {mTo.UnixMilli(), dayTo.UnixMilli()}}
			} else {
				days = []span{{dayFrom.UnixMilli(), dayTo.UnixMilli()}}
			}
		}
	}
	out := map[string]*entryAcc{}
	var actorIDs []int64
	add := func(actor, teamID int64, company string, counts *[10]int64) {
		var key, name, title string
		switch q.Group {
		case GroupPerson:
			key, name = "a"+strconv.FormatInt(actor, 10), strconv.FormatInt(actor, 10)
		case GroupTeam:
			t, ok := teamsByID[teamID]
			if !ok { // a deleted team
				return
			}
			key, name, title = "t"+strconv.FormatInt(teamID, 10), t.name, t.title
		case GroupOrg:
			key, name = "c"+company, company
		}
		a := out[key]
		if a == nil {
			a = &entryAcc{name: name, title: title}
			if q.Group == GroupPerson {
				a.companies = map[string]int64{}
				actorIDs = append(actorIDs, actor)
			}
			out[key] = a
		}
		points := counts[1] + counts[3] + counts[5] + counts[7] + counts[9]
		a.score += points
		if a.companies != nil {
			a.companies[company] += points
		}
		b := &a.b
		b.PullsOpened.Count += counts[0]
		b.PullsOpened.Points += counts[1]
		b.PullsMerged.Count += counts[2]
		b.PullsMerged.Points += counts[3]
		b.PullsMerged.LabelBonus += counts[3] - counts[2]*int64(e.s.Weights.MergedPull)
		b.Reviews.Count += counts[4]
		b.Reviews.Points += counts[5]
		b.Issues.Count += counts[6]
		b.Issues.Points += counts[7]
		b.Comments.Count += counts[8]
		b.Comments.Points += counts[9]
	}
	byTeam := q.Group == GroupTeam || team != nil
	// The filters common to every level, on a table aliased x.
	filter := func(args *[]any) string {
		ph := func(v any) string {
			*args = append(*args, v)
			return "$" + strconv.Itoa(len(*args))
		}
		var cond string
		if q.Org != "" {
			cond += " AND x.owner = " + ph(strings.ToLower(q.Org))
		}
		if q.Company != "" {
			cond += " AND x.company = " + ph(q.Company)
		}
		if q.Repo != "" {
			cond += " AND " + s.where("x.repo_id")
		}
		if team != nil {
			cond += " AND x.team_id = " + ph(team.id)
		}
		return cond
	}
	sums := func(period string, sp span) error {
		if sp.from >= sp.to {
			return nil
		}
		args := []any{period, sp.from, sp.to}
		table, teamCol := "metric_contribution_sums", "0"
		if byTeam {
			table, teamCol = "metric_team_contribution_sums", "x.team_id"
		}
		text := `SELECT x.actor_id, ` + teamCol + `, x.company, ` + sumColumns("x.") + ` FROM ` + table + ` x
			WHERE x.period = $1 AND x.start >= $2 AND x.start < $3` + filter(&args)
		return query(ctx, e.db.R, text, args, func(rows *sql.Rows) error {
			var (
				actor, teamID int64
				company       string
				c             [10]int64
			)
			if err := rows.Scan(&actor, &teamID, &company, &c[0], &c[1], &c[2], &c[3], &c[4], &c[5], &c[6], &c[7], &c[8], &c[9]); err != nil {
				return err
			}
			add(actor, teamID, company, &c)
			return nil
		})
	}
	contributions := func(sp span) error {
		if sp.from >= sp.to {
			return nil
		}
		args := []any{sp.from, sp.to}
		text := `SELECT x.actor_id, 0, x.company, x.kind, x.points FROM metric_contributions x
			WHERE x.at >= $1 AND x.at < $2` + filter(&args)
		if byTeam {
			// DISTINCT: overlapping spans of one membership count once.
			text = `SELECT x.actor_id, x.team_id, x.company, x.kind, x.points FROM (
				SELECT DISTINCT c.kind, c.source_id, c.actor_id, c.company, c.points, c.owner, c.repo_id, m.team_id
				FROM metric_contributions c JOIN team_members m ON m.actor_id = c.actor_id
					AND m.since <= c.at AND (m.until IS NULL OR m.until > c.at)
				WHERE c.at >= $1 AND c.at < $2) x WHERE TRUE` + filter(&args)
		}
		return query(ctx, e.db.R, text, args, func(rows *sql.Rows) error {
			var (
				actor, teamID, points int64
				company, kind         string
				c                     [10]int64
			)
			if err := rows.Scan(&actor, &teamID, &company, &kind, &points); err != nil {
				return err
			}
			for i, k := range sumKinds {
				if slices.Contains(k.kinds, kind) {
					c[2*i], c[2*i+1] = 1, points
				}
			}
			add(actor, teamID, company, &c)
			return nil
		})
	}
	for _, sp := range months {
		if err := sums("month", sp); err != nil {
			return nil, fmt.Errorf("read monthly sums: %w", err)
		}
	}
	for _, sp := range days {
		if err := sums("day", sp); err != nil {
			return nil, fmt.Errorf("read daily sums: %w", err)
		}
	}
	for _, sp := range raw {
		if err := contributions(sp); err != nil {
			return nil, fmt.Errorf("read contributions: %w", err)
		}
	}
	if named && q.Group == GroupPerson && len(actorIDs) > 0 {
		logins := map[int64]string{}
		err := query(ctx, e.db.R, `SELECT id, login FROM actors WHERE id IN `+inList(actorIDs), nil, func(rows *sql.Rows) error {
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
