package metrics

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sextant-dev/sextant/internal/core"
	"github.com/sextant-dev/sextant/internal/metrics/metricstest"
	"github.com/sextant-dev/sextant/internal/store"
)

const (
	dave      = 104
	erin      = 105
	deploybot = 106
)

// seedContributors writes June 2026 (and a little of May) of acme/api's
// contributions. dave works for Initech until 06-16, then for Globex (the
// affiliations file); alice is a member of the acme organization; erin is
// in no organization but her address is at globex.example; renovate[bot]
// is a Bot account and deploybot a configured bot.
func seedContributors(t *testing.T, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	f := metricstest.New(t, db)
	api := f.Repo(1, "acme/api", "main")
	f.Org(core.Organization{ID: 10, Login: "acme", Name: "Acme"})
	f.Actor(core.Actor{ID: alice, Login: "alice"})
	f.Actor(core.Actor{ID: dave, Login: "dave"})
	f.Actor(core.Actor{ID: erin, Login: "erin", Email: "erin@globex.example"})
	f.Actor(core.Actor{ID: robot, Login: "renovate[bot]", Type: core.ActorBot})
	f.Actor(core.Actor{ID: deploybot, Login: "deploybot"})
	f.OrgMember(core.OrgMember{OrgID: 10, ActorID: alice, Since: at("01-01 00:00")})
	f.OrgMember(core.OrgMember{OrgID: 10, ActorID: dave, Since: at("01-01 00:00")}) // the file wins over membership
	f.Team(core.Team{ID: 20, OrgID: 10, Slug: "backend", Name: "Backend"})
	f.Team(core.Team{ID: 21, OrgID: 10, Slug: "frontend", Name: "Frontend"})
	f.Team(core.Team{ID: 22, OrgID: 10, Slug: "old", Name: "Old", Deleted: true})
	f.TeamMember(core.TeamMember{TeamID: 20, ActorID: alice, Since: at("01-01 00:00")})
	f.TeamMember(core.TeamMember{TeamID: 20, ActorID: dave, Since: at("06-10 00:00")})
	f.TeamMember(core.TeamMember{TeamID: 21, ActorID: erin, Since: at("01-01 00:00")})
	f.TeamMember(core.TeamMember{TeamID: 22, ActorID: erin, Since: at("01-01 00:00")})
	_, err := SyncAffiliations(ctx, db, []Affiliation{
		{Company: "Initech", Login: "dave", Until: at("06-16 00:00")},
		{Company: "Globex", Login: "Dave", Since: at("06-16 00:00")},
		{Company: "Globex", EmailDomain: "globex.example"},
	})
	if err != nil {
		t.Fatal(err)
	}
	merged := func(id int64, number int, author int64, opened, mergedAt time.Time, labels ...string) {
		f.Pull(core.PullRequest{ID: id, RepoID: api, Number: number, AuthorID: author, Title: "pr", State: core.StateClosed,
			Merged: true, MergeCommitSHA: sha(fmt.Sprint(id)), CreatedAt: opened, ClosedAt: mergedAt, MergedAt: mergedAt, Labels: labels})
	}
	// May: alice's #9 (1 + 10 = 11), erin's issue #59 (2).
	merged(2009, 9, alice, at("05-10 10:00"), at("05-12 10:00"))
	f.Issue(core.Issue{ID: 3059, RepoID: api, Number: 59, AuthorID: erin, Title: "may", CreatedAt: at("05-20 10:00")})
	// June.
	merged(2010, 10, alice, at("06-02 09:00"), at("06-03 09:00"), "complexity: high")
	f.Review(core.Review{ID: 6001, PullRequestID: 2010, RepoID: api, ReviewerID: dave, SubmittedAt: at("06-02 12:00")})
	f.Issue(core.Issue{ID: 3060, RepoID: api, Number: 60, AuthorID: dave, Title: "bug", CreatedAt: at("06-05 10:00")})
	merged(2011, 11, dave, at("06-10 10:00"), at("06-20 10:00"))
	f.Review(core.Review{ID: 6002, PullRequestID: 2011, RepoID: api, ReviewerID: alice, SubmittedAt: at("06-12 10:00")})
	f.Review(core.Review{ID: 6003, PullRequestID: 2011, RepoID: api, ReviewerID: dave, State: core.ReviewCommented, SubmittedAt: at("06-12 11:00")})
	f.Review(core.Review{ID: 6004, PullRequestID: 2011, RepoID: api, ReviewerID: erin, State: core.ReviewCommented, SubmittedAt: at("06-15 10:00")})
	f.Review(core.Review{ID: 6005, PullRequestID: 2011, RepoID: api, ReviewerID: erin, State: core.ReviewPending})
	f.ReviewComment(core.ReviewComment{ID: 7101, PullRequestID: 2011, RepoID: api, AuthorID: erin, CreatedAt: at("06-15 10:00")})
	f.ReviewComment(core.ReviewComment{ID: 7102, PullRequestID: 2011, RepoID: api, AuthorID: erin, CreatedAt: at("06-15 10:01"), Deleted: true})
	f.IssueComment(core.IssueComment{ID: 7201, RepoID: api, IssueNumber: 60, AuthorID: alice, CreatedAt: at("06-20 10:00")})
	f.IssueComment(core.IssueComment{ID: 7202, RepoID: api, IssueNumber: 60, AuthorID: deploybot, CreatedAt: at("06-20 11:00")})
	f.Pull(core.PullRequest{ID: 2012, RepoID: api, Number: 12, AuthorID: erin, Title: "wip", CreatedAt: at("06-25 10:00")})
	merged(2013, 13, robot, at("06-26 10:00"), at("06-26 11:00"))
	f.IssueComment(core.IssueComment{ID: 7203, RepoID: api, IssueNumber: 13, OnPull: true, AuthorID: robot, CreatedAt: at("06-26 10:30")})
}

func contributorSettings() Settings {
	s := testSettings()
	s.Bots = []string{"DeployBot"}
	s.Weights.LabelBonuses = map[string]int{"Complexity: High": 5}
	return s
}

type scored struct {
	Name  string
	Score int64
	Rank  int
	Prev  string
}

func summary(l *Leaderboard) []scored {
	var out []scored
	for _, e := range l.Entries {
		p := "-"
		if e.PreviousRank != nil {
			p = fmt.Sprintf("%d:%d", *e.PreviousRank, *e.PreviousScore)
		}
		out = append(out, scored{e.Name, e.Score, e.Rank, p})
	}
	return out
}

func june() Filter { return Filter{From: at("06-01 00:00"), To: at("07-01 00:00"), Interval: Week} }

func TestGoldenLeaderboard(t *testing.T) {
	eachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedContributors(t, db)
		e := NewEngine(db, quiet, contributorSettings())
		refresh(t, e)
		board := func(q LeaderboardQuery) *Leaderboard {
			t.Helper()
			if q.limit == 0 {
				q.limit = 100
			}
			l, err := e.Leaderboard(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			return l
		}
		// June, by person:
		//   alice: #10 opened 1 + merged 10 + "complexity: high" 5, review of
		//          #11 3, comment on #60 1                        = 20
		//   dave:  review of #10 3, issue #60 2, #11 opened 1 + merged 10
		//          (his own review of #11 does not count)         = 16
		//   erin:  review of #11 3, a diff comment 1 (the deleted one and
		//          the pending review do not count), #12 opened 1  =  5
		// renovate[bot] and deploybot are bots. The previous 30 days
		// (05-02 to 06-01): alice 11 (#9), erin 2 (#59).
		l := board(LeaderboardQuery{Filter: june(), Group: GroupPerson})
		want := []scored{{"alice", 20, 1, "1:11"}, {"dave", 16, 2, "-"}, {"erin", 5, 3, "2:2"}}
		if d := cmp.Diff(want, summary(l)); d != "" || l.Total != 3 {
			t.Errorf("people (-want +got):\n%s", d)
		}
		a := l.Entries[0].Breakdown
		if a.PullsMerged != (MergedScore{Count: 1, Points: 15, LabelBonus: 5}) || a.Reviews != (KindScore{1, 3}) ||
			a.Comments != (KindScore{1, 1}) || a.PullsOpened != (KindScore{1, 1}) || a.Issues != (KindScore{}) {
			t.Errorf("alice's breakdown %+v", a)
		}
		// dave moved from Initech to Globex on 06-16: review 06-02 (3),
		// issue 06-05 (2), #11 opened 06-10 (1) for Initech = 6; #11 merged
		// 06-20 for Globex = 10.
		if c := fmt.Sprint(l.Entries[1].Companies); c != "[Globex Initech]" {
			t.Errorf("dave's companies %s", c)
		}
		// By company: Acme (alice, a member) 20; Globex: dave 10 + erin 5 (by
		// her address) = 15; Initech: dave 6.
		org := board(LeaderboardQuery{Filter: june(), Group: GroupOrg})
		want = []scored{{"Acme", 20, 1, "1:11"}, {"Globex", 15, 2, "2:2"}, {"Initech", 6, 3, "-"}}
		if d := cmp.Diff(want, summary(org)); d != "" {
			t.Errorf("companies (-want +got):\n%s", d)
		}
		// By team of the day: backend has alice (20) and dave from 06-10
		// (#11 opened 1 + merged 10 = 11) = 31; frontend erin 5; the deleted
		// team shows nowhere.
		teams := board(LeaderboardQuery{Filter: june(), Group: GroupTeam})
		want = []scored{{"acme/backend", 31, 1, "1:11"}, {"acme/frontend", 5, 2, "2:2"}}
		if d := cmp.Diff(want, summary(teams)); d != "" {
			t.Errorf("teams (-want +got):\n%s", d)
		}
		// The backend team's people: dave only while a member.
		members := board(LeaderboardQuery{Filter: Filter{From: june().From, To: june().To, Team: "backend"}, Group: GroupPerson})
		want = []scored{{"alice", 20, 1, "1:11"}, {"dave", 11, 2, "-"}}
		if d := cmp.Diff(want, summary(members)); d != "" {
			t.Errorf("backend people (-want +got):\n%s", d)
		}
		// Globex's people; in the previous period erin was its only one.
		globex := board(LeaderboardQuery{Filter: june(), Group: GroupPerson, Company: "Globex"})
		want = []scored{{"dave", 10, 1, "-"}, {"erin", 5, 2, "1:2"}}
		if d := cmp.Diff(want, summary(globex)); d != "" {
			t.Errorf("Globex people (-want +got):\n%s", d)
		}
		// A range that is not whole months reads the monthly sums for June
		// and the contributions of the days around it; a repository filter
		// reads contributions only. Both give the same board.
		odd := Filter{From: at("05-15 00:00"), To: at("07-15 00:00")}
		viaMonths := board(LeaderboardQuery{Filter: odd, Group: GroupPerson})
		odd.Repo = "acme/api"
		viaRows := board(LeaderboardQuery{Filter: odd, Group: GroupPerson})
		if d := cmp.Diff(summary(viaMonths), summary(viaRows)); d != "" || len(viaMonths.Entries) != 3 || viaMonths.Entries[2].Score != 7 {
			t.Errorf("months and rows differ (-months +rows):\n%s\n%+v", d, summary(viaMonths))
		}
		// Part-days at both ends too (not midnight): months, days and rows.
		partDays := Filter{From: at("05-20 09:30"), To: at("06-20 10:30")}
		mixed := board(LeaderboardQuery{Filter: partDays, Group: GroupTeam})
		partDays.Repo = "acme/api"
		rowsOnly := board(LeaderboardQuery{Filter: partDays, Group: GroupTeam})
		// backend: alice's 20 (her comment at 06-20 10:00 is before 10:30)
		// and dave's #11 opened 06-10 (1) and merged 06-20 10:00 (10) = 31;
		// frontend: erin's issue at 05-20 10:00 (after 09:30, 2), her review
		// (3) and comment (1) = 6.
		if d := cmp.Diff(summary(mixed), summary(rowsOnly)); d != "" || len(mixed.Entries) != 2 ||
			mixed.Entries[0].Score != 31 || mixed.Entries[1].Score != 6 {
			t.Errorf("part-days differ (-sums +rows):\n%s\n%+v", d, summary(mixed))
		}
		// Weekly series (06-01 is a Monday; the last week is clipped to
		// 06-29..07-01), each point the board of its week:
		//   alice: #10 opened 06-02 and merged 06-03 (1 + 15), review 06-12
		//          (3), comment 06-20 (1)                   = [16 3 1 0 0]
		//   dave:  review 06-02 (3) and issue 06-05 (2), #11 opened 06-10
		//          (1), merged 06-20 (10)                   = [5 1 10 0 0]
		//   erin:  review and comment 06-15 (3 + 1), #12 opened 06-25 (1)
		//                                                   = [0 0 4 1 0]
		// backend: alice, and dave from 06-10 (#11: 1 + 10) = [16 4 11 0 0]
		withSeries := board(LeaderboardQuery{Filter: june(), Group: GroupPerson, Series: true})
		series := map[string]string{}
		for _, en := range withSeries.Entries {
			series[en.Name] = fmt.Sprint(en.Series)
		}
		if d := cmp.Diff(map[string]string{"alice": "[16 3 1 0 0]", "dave": "[5 1 10 0 0]", "erin": "[0 0 4 1 0]"}, series); d != "" {
			t.Errorf("series (-want +got):\n%s", d)
		}
		if p := withSeries.Periods; len(p) != 5 || !p[1].From.Equal(at("06-08 00:00")) || !p[4].To.Equal(at("07-01 00:00")) {
			t.Errorf("periods %+v", p)
		}
		if u := withSeries.Entries[0].HTMLURL; u != "https://github.com/alice" {
			t.Errorf("alice's html_url %q", u)
		}
		teamSeries := board(LeaderboardQuery{Filter: june(), Group: GroupTeam, Series: true})
		if s := fmt.Sprint(teamSeries.Entries[0].Series); teamSeries.Entries[0].Name != "acme/backend" || s != "[16 4 11 0 0]" {
			t.Errorf("backend's series %s", s)
		}
		if l.Entries[0].Series != nil || l.Periods != nil {
			t.Errorf("a series nobody asked for: %v %v", l.Entries[0].Series, l.Periods)
		}
		page := board(LeaderboardQuery{Filter: june(), Group: GroupPerson, limit: 1, offset: 1})
		if len(page.Entries) != 1 || page.Entries[0].Name != "dave" || page.Total != 3 {
			t.Errorf("second page %+v", page)
		}
	})
}

func TestRankTies(t *testing.T) {
	got := rank(map[string]*entryAcc{"a": {name: "b", score: 5}, "b": {name: "a", score: 5}, "c": {name: "c", score: 9}, "d": {name: "d", score: 1}})
	var s []string
	for _, e := range got {
		s = append(s, fmt.Sprintf("%d %s", e.Rank, e.Name))
	}
	if fmt.Sprint(s) != "[1 c 2 a 2 b 4 d]" {
		t.Errorf("ranks %v; want ties sharing a rank and the next counting them", s)
	}
}
