package demo

import (
	"slices"
	"time"
)

// Summary is the ground truth of a generated stream: what was emitted, so
// tests can check what the store holds after intake and projection.
type Summary struct {
	Roster *Roster

	Deliveries        int
	DeliveriesByEvent map[string]int // webhook event name → deliveries
	CIEvents          int
	CIEventsByName    map[string]int // CI event name → events

	OrgMembersAdded        int // organization member_added deliveries
	OrgMembersRemoved      int
	TeamMembershipsAdded   int // membership added deliveries (team memberships started)
	TeamMembershipsRemoved int

	PullRequests       int // opened
	PullRequestsMerged int
	PullRequestsClosed int // closed without merging
	MergeCommits       int // merged with a merge commit
	SquashMerges       int
	RebaseMerges       int
	BotPullRequests    int
	HotfixPullRequests int
	RevertPullRequests int

	Reviews                 int
	ReviewsApproved         int
	ReviewsChangesRequested int
	ReviewsCommented        int
	ReviewComments          int // pull_request_review_comment
	IssueComments           int // issue_comment, on issues and pull requests

	Issues         int // opened, incident issues and transferred copies included
	IssuesClosed   int
	IssueTransfers int
	IncidentIssues int

	Commits  int // distinct commits that reached the organization
	Pushes   int
	Releases int

	// Deployments counts deploy attempts per environment, each once
	// whatever the number of sources reporting it.
	Deployments                     int
	ProductionDeployments           int
	SuccessfulProductionDeployments int
	FailedDeployments               int // attempts that ended in failure, any environment
	GitHubDeployments               int // deployment webhooks
	WorkflowRuns                    int // completed deploy workflow runs
	CIDeploys                       int // CI deploy events

	Incidents         int // opened, from issues and CI events, caused by a deploy or not
	IncidentsResolved int
	Rollbacks         int

	Teams []TeamSummary
}

// TeamSummary is a team's ground truth over the whole window.
type TeamSummary struct {
	Slug  string
	Level string // the DORA level it was generated for
	Repos []string

	PullRequests int
	Merged       int

	Deployments       int // successful production deployments
	DeploysPerWeek    float64
	ChangeFailures    int // successful production deployments that caused an incident
	ChangeFailureRate float64
	Incidents         int
	MedianRestore     time.Duration // incident opened → resolved
	DeployedPulls     int
	MedianLeadTime    time.Duration // first commit → deployed, over deployed pull requests
}

type teamStats struct {
	pulls, merged  int
	deploys        int
	changeFailures int
	incidents      int
	deployedPulls  int
	restores       []int64
	leads          []int64
}

func newSummary(w *world) *Summary {
	return &Summary{
		Roster:            w.roster(),
		DeliveriesByEvent: map[string]int{},
		CIEventsByName:    map[string]int{},
	}
}

func median(xs []int64) time.Duration {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return time.Duration(s[len(s)/2]) * time.Second
}

func (e *engine) finish() {
	weeks := float64(e.end-e.start) / (7 * daySeconds)
	for _, t := range e.teams {
		st := t.stats
		ts := TeamSummary{
			Slug:           t.slug,
			Level:          t.prof.level,
			PullRequests:   st.pulls,
			Merged:         st.merged,
			Deployments:    st.deploys,
			DeploysPerWeek: float64(st.deploys) / weeks,
			ChangeFailures: st.changeFailures,
			Incidents:      st.incidents,
			MedianRestore:  median(st.restores),
			DeployedPulls:  st.deployedPulls,
			MedianLeadTime: median(st.leads),
		}
		if st.deploys > 0 {
			ts.ChangeFailureRate = float64(st.changeFailures) / float64(st.deploys)
		}
		for _, r := range t.repos {
			ts.Repos = append(ts.Repos, r.full)
		}
		e.sum.Teams = append(e.sum.Teams, ts)
	}
}

// Roster is the structure of a generated organization.
type Roster struct {
	Org            string
	OrgID          int64
	InstallationID int64
	Start, End     time.Time
	Companies      []Company
	People         []Person
	Teams          []Team
	Repos          []Repo
	// Affiliations map people to companies over time, in the shape of an
	// affiliations file: login, company, email domain, from, until.
	Affiliations []Affiliation
}

// Company is the organization's owner (Host) or a partner.
type Company struct {
	Name   string
	Domain string // email domain of its people
	Host   bool
}

// Person is a human or a bot.
type Person struct {
	Login       string
	ID          int64
	Name        string
	Type        string // User or Bot
	Region      string
	UTCOffset   string // fixed, e.g. +05:30
	Independent bool   // outside contributor, not an organization member
	OrgMember   bool
	Joined      time.Time // organization membership start (zero for non-members)
	Left        time.Time // zero: still a member
}

// Team is a GitHub team and the DORA level it was generated for.
type Team struct {
	Slug    string
	Name    string
	ID      int64
	Level   string
	Repos   []string
	Members []Membership
}

// Membership is a stretch of time someone was on a team.
type Membership struct {
	Login string
	Role  string
	Since time.Time
	Until time.Time // zero: still
}

// Repo is a repository and how it deploys.
type Repo struct {
	Name     string
	FullName string
	ID       int64
	Team     string
	Deploys  string // StyleGitHub, StyleWorkflow, StyleCI or StyleGitHubCI
	Staging  bool
}

// Affiliation is a stretch of time a person worked for a company.
type Affiliation struct {
	Login   string
	Company string
	Domain  string
	From    time.Time
	Until   time.Time // zero: still
}

func unixOrZero(t int64) time.Time {
	if t == 0 {
		return time.Time{}
	}
	return time.Unix(t, 0).UTC()
}

func (w *world) roster() *Roster {
	ro := &Roster{
		Org: w.opts.Org, OrgID: w.orgID, InstallationID: w.installID,
		Start: time.Unix(w.start, 0).UTC(), End: time.Unix(w.end, 0).UTC(),
	}
	for _, c := range w.companies {
		ro.Companies = append(ro.Companies, Company{Name: c.name, Domain: c.domain, Host: c.host})
	}
	for _, p := range w.people {
		typ := "User"
		if p.bot {
			typ = "Bot"
		}
		member := !p.bot && !p.independent
		pp := Person{
			Login: p.login, ID: p.id, Name: p.name, Type: typ, Region: p.region.name,
			UTCOffset: zoneName(p.region.offset), Independent: p.independent, OrgMember: member,
		}
		if member {
			pp.Joined, pp.Left = unixOrZero(p.joined), unixOrZero(p.left)
		}
		ro.People = append(ro.People, pp)
		for _, a := range p.affils {
			ro.Affiliations = append(ro.Affiliations, Affiliation{
				Login: p.login, Company: a.company.name, Domain: a.company.domain,
				From: unixOrZero(a.from), Until: unixOrZero(a.until),
			})
		}
	}
	for _, t := range w.teams {
		tt := Team{Slug: t.slug, Name: t.name, ID: t.id, Level: t.prof.level}
		for _, r := range t.repos {
			tt.Repos = append(tt.Repos, r.full)
		}
		for _, m := range t.spans {
			tt.Members = append(tt.Members, Membership{Login: m.p.login, Role: m.role, Since: unixOrZero(m.since), Until: unixOrZero(m.until)})
		}
		ro.Teams = append(ro.Teams, tt)
	}
	for _, r := range w.repos {
		ro.Repos = append(ro.Repos, Repo{Name: r.name, FullName: r.full, ID: r.id, Team: r.team.slug, Deploys: r.style, Staging: r.staging})
	}
	return ro
}
