package demo

import (
	"fmt"
	"time"

	"github.com/google/go-github/v89/github"
)

// bootstrap creates the organization's structure at the start of the
// window (members, teams, repositories with an initial commit) and starts
// every recurring process: pull requests, issues, bots, deploy trains,
// releases, unrelated incidents, and the roster changes.
func (e *engine) bootstrap() {
	t := e.start
	tick := func() int64 { t++; return t }
	for _, p := range e.people {
		if p.bot || p.independent || p.joined > e.start {
			continue
		}
		e.at(tick(), func() { e.memberAdded(p) })
	}
	for _, tm := range e.teams {
		e.at(tick(), func() { e.teamEvent(tm, "created", nil) })
		for _, m := range tm.spans {
			if m.since == e.start {
				e.at(tick(), func() { e.membership(tm, m.p, "added") })
			}
		}
	}
	for _, r := range e.repos {
		e.at(tick(), func() { e.repoCreated(r) })
		e.at(tick(), func() { e.teamEvent(r.team, "added_to_repository", r) })
	}
	// Roster changes during the window.
	for _, tm := range e.teams {
		for _, m := range tm.spans {
			if m.since > e.start {
				if m.p.joined == m.since {
					e.at(m.since, func() { e.memberAdded(m.p) })
				}
				e.at(m.since+1, func() { e.membership(tm, m.p, "added") })
			}
			if m.until != 0 {
				e.at(m.until, func() { e.membership(tm, m.p, "removed") })
			}
		}
	}
	for _, p := range e.people {
		if p.left != 0 {
			e.at(p.left+1, func() { e.memberRemoved(p) })
		}
	}

	e.planRates()
	for _, r := range e.repos {
		start := t + 60
		e.planPulls(r, start)
		e.planIssues(r, start)
		e.planBots(r, start)
		e.planTrain(r, start)
		e.planRelease(r, start)
		e.planUnrelated(r, start)
	}
}

func (e *engine) memberAdded(p *person) {
	e.webhook("organization", "member_added", &github.OrganizationEvent{
		Action: str("member_added"),
		Membership: &github.Membership{
			URL:             str(fmt.Sprintf("%s/orgs/%s/memberships/%s", apiURL, e.opts.Org, p.login)),
			State:           str("active"),
			Role:            str(p.role),
			OrganizationURL: str(apiURL + "/orgs/" + e.opts.Org),
			User:            p.user,
		},
		Organization: e.org,
		Sender:       e.admin.user,
		Installation: e.install,
	})
	e.sum.OrgMembersAdded++
}

func (e *engine) memberRemoved(p *person) {
	e.webhook("organization", "member_removed", &github.OrganizationEvent{
		Action: str("member_removed"),
		Membership: &github.Membership{
			URL:             str(fmt.Sprintf("%s/orgs/%s/memberships/%s", apiURL, e.opts.Org, p.login)),
			State:           str("active"),
			Role:            str(p.role),
			OrganizationURL: str(apiURL + "/orgs/" + e.opts.Org),
			User:            p.user,
		},
		Organization: e.org,
		Sender:       e.admin.user,
		Installation: e.install,
	})
	e.sum.OrgMembersRemoved++
}

func (e *engine) teamEvent(t *team, action string, r *repo) {
	ev := &github.TeamEvent{Action: str(action), Team: t.gh, Org: e.org, Sender: e.admin.user, Installation: e.install}
	if r != nil {
		ev.Repo = r.repoAt()
		if action == "added_to_repository" {
			// GitHub gives the team's permissions on the repository here:
			// each team writes to its own repositories.
			ev.Repo.Permissions = &github.RepositoryPermissions{Pull: github.Ptr(true), Triage: github.Ptr(true), Push: github.Ptr(true)}
		}
	}
	e.webhook("team", action, ev)
}

func (e *engine) membership(t *team, p *person, action string) {
	e.webhook("membership", action, &github.MembershipEvent{
		Action: str(action), Scope: str("team"), Member: p.user, Team: t.gh,
		Org: e.org, Sender: e.admin.user, Installation: e.install,
	})
	if action == "added" {
		e.sum.TeamMembershipsAdded++
	} else {
		e.sum.TeamMembershipsRemoved++
	}
}

// repoCreated creates a repository with an initial commit on main, so every
// later push and deployment has a parent.
func (e *engine) repoCreated(r *repo) {
	e.webhook("repository", "created", &github.RepositoryEvent{
		Action: str("created"), Repo: r.repoAt(), Org: e.org, Sender: e.admin.user, Installation: e.install,
	})
	lead := r.team.lead
	c := &commit{
		sha: newSHA(r.rng), tree: newSHA(r.rng), msg: "Initial commit", author: lead,
		email: lead.email(e.now), at: e.now, committedAt: e.now, added: []string{"README.md", "go.mod"},
	}
	r.mainHead = c.sha
	r.pushedAt = e.now
	e.push(r, "refs/heads/main", zeroSHA, c.sha, []*commit{c}, nil, lead, true)
}

// planRates sets each repository's pace so the organization lands near the
// scale's pull-request target: the team's share follows its size and
// level, the repository's its weight within the team.
func (e *engine) planRates() {
	spec := specFor(e.opts.Scale)
	years := float64(e.end-e.start) / (365.25 * daySeconds)
	// Bots, fixes and pull requests started too late to open make up the
	// rest of the target; 0.95 was measured across scales.
	target := float64(spec.pullsPerYear) * years * 0.95
	var total float64
	for _, t := range e.teams {
		total += float64(len(t.spans)) * t.prof.pullWeight
	}
	for _, t := range e.teams {
		share := target * float64(len(t.spans)) * t.prof.pullWeight / total
		work := float64(t.cal.workSeconds(e.start, e.end))
		var wsum float64
		for _, r := range t.repos {
			wsum += r.weight
		}
		for _, r := range t.repos {
			r.pullRate = share * r.weight / wsum / work
			r.issueRate = r.pullRate * 0.3
		}
	}
}

// planPulls schedules the next feature pull request of r: arrivals are a
// Poisson process in the team's working time, by a member chosen by
// activity, now and then someone from another team or an outside
// contributor.
func (e *engine) planPulls(r *repo, from int64) {
	gap := int64(r.rng.ExpFloat64() / r.pullRate)
	t := r.team.cal.add(from, gap)
	e.at(t, func() {
		rng := r.rng
		var author *person
		switch f := rng.Float64(); {
		case f < 0.05 && len(e.indeps) > 0:
			author = e.pickWeighted(r, e.indeps)
		case f < 0.1:
			other := e.teams[rng.IntN(len(e.teams))]
			if ms := other.members(e.now); len(ms) > 0 {
				author = pick(rng, ms)
			}
		}
		if author == nil {
			if ms := r.team.members(e.now); len(ms) > 0 {
				author = e.pickWeighted(r, ms)
			}
		}
		if author != nil {
			e.startPull(r, pullFeature, author, e.now, nil, false, nil)
		}
		e.planPulls(r, e.now)
	})
}

func (e *engine) planIssues(r *repo, from int64) {
	gap := int64(r.rng.ExpFloat64() / r.issueRate)
	t := r.team.cal.add(from, gap)
	e.at(t, func() {
		e.startIssue(r, e.now)
		e.planIssues(r, e.now)
	})
}

// planBots schedules the weekly dependency updates: dependabot on Monday
// mornings UTC, renovate early on Saturdays, about one pull request every
// other week per repository.
func (e *engine) planBots(r *repo, from int64) {
	bot, wd, hr := e.dependabot, 1, 5
	if !r.dependabot {
		bot, wd, hr = e.renovate, 6, 3
	}
	d := from/daySeconds + 1
	for weekday(d) != time.Weekday(wd) {
		d++
	}
	t := d*daySeconds + int64(hr*hour) + int64(r.rng.IntN(hour))
	e.at(t, func() {
		for i := range poisson(r.rng, 0.5) {
			e.startPull(r, pullBot, bot, e.now+int64(i*90), nil, false, nil)
		}
		e.planBots(r, e.now)
	})
}

// planTrain schedules the team's deploy cadence. Continuous teams deploy
// from merges instead.
func (e *engine) planTrain(r *repo, from int64) {
	pf := r.team.prof
	if pf.cadence == cadenceContinuous {
		return
	}
	cal := r.team.cal
	d, _ := cal.local(from)
	for {
		d++
		if !cal.workday(d) {
			continue
		}
		wd := weekday(d)
		ok := false
		switch pf.cadence {
		case cadenceDaily:
			ok = true
		case cadenceWeekly:
			ok = wd == time.Thursday
		case cadenceBiweekly:
			ok = wd == 3 && (d/7)%2 == 0
		}
		if ok {
			break
		}
	}
	t := cal.at(d, int64(pf.deployHour*hour)) + int64(r.rng.IntN(30*minute))
	e.at(t, func() {
		e.train(r)
		e.planTrain(r, e.now)
	})
}

// train runs a scheduled deploy; medium and low teams cut a release first:
// a version commit pushed to main, a tag, a published release, then the
// deploy of the tag.
func (e *engine) train(r *repo) {
	if r.deploying || r.queued || r.mainSeq == r.prod.upto || r.freeze > 0 {
		return
	}
	pf := r.team.prof
	ms := r.team.members(e.now)
	if len(ms) == 0 {
		return
	}
	by := pick(r.rng, ms)
	if pf.cadence == cadenceDaily {
		e.startDeploy(r, reasonRegular, "main", by)
		return
	}
	r.releases++
	tag := fmt.Sprintf("v1.%d.0", r.releases)
	c := &commit{
		sha: newSHA(r.rng), tree: newSHA(r.rng), msg: "chore(release): " + tag, author: by,
		email: by.email(e.now), at: e.now, committedAt: e.now, modified: []string{"CHANGELOG.md"},
	}
	before := r.mainHead
	r.landOnMain(c.sha, nil, c.at, e.now)
	e.push(r, "refs/heads/main", before, c.sha, []*commit{c}, nil, by, false)
	e.afterMainPush(r, by)
	sha := c.sha
	r.queued = true
	e.at(e.now+60+int64(r.rng.IntN(60)), func() { e.publishRelease(r, tag, sha, by) })
	e.at(e.now+5*minute+int64(r.rng.IntN(5*minute)), func() {
		r.queued = false
		e.startDeploy(r, reasonRegular, tag, by)
	})
}

// planRelease schedules monthly releases for teams that deploy from main
// without trains: on the first work day of each month, when main moved.
func (e *engine) planRelease(r *repo, from int64) {
	pf := r.team.prof
	if pf.cadence != cadenceContinuous && pf.cadence != cadenceDaily {
		return
	}
	cal := r.team.cal
	d, _ := cal.local(from)
	month := dayMonth(d)
	for {
		d++
		if dayMonth(d) != month && cal.workday(d) {
			break
		}
	}
	t := cal.at(d, 10*hour) + int64(r.rng.IntN(hour))
	e.at(t, func() {
		if r.mainHead != r.lastRelease {
			if ms := r.team.members(e.now); len(ms) > 0 {
				r.releases++
				e.publishRelease(r, fmt.Sprintf("v%d.%d.0", 2, r.releases), r.mainHead, pick(r.rng, ms))
			}
		}
		e.planRelease(r, e.now)
	})
}

func (e *engine) publishRelease(r *repo, tag, sha string, by *person) {
	r.lastRelease = sha
	e.webhook("create", "", &github.CreateEvent{
		Ref: str(tag), RefType: str("tag"), MasterBranch: str("main"), Description: r.gh.Description,
		PusherType: str("user"), Repo: r.repoAt(), Org: e.org, Sender: by.user, Installation: e.install,
	})
	id := e.ids.take(idRelease)
	e.webhook("release", "published", &github.ReleaseEvent{
		Action: str("published"),
		Release: &github.RepositoryRelease{
			TagName:         tag,
			TargetCommitish: "main",
			Name:            str(tag),
			Body:            str("## Changes\n\nSee the merged pull requests since the previous release."),
			ID:              id,
			CreatedAt:       *e.nowTS(),
			PublishedAt:     e.nowTS(),
			URL:             fmt.Sprintf("%s/repos/%s/releases/%d", apiURL, r.full, id),
			HTMLURL:         fmt.Sprintf("%s/%s/releases/tag/%s", htmlURL, r.full, tag),
			AssetsURL:       fmt.Sprintf("%s/repos/%s/releases/%d/assets", apiURL, r.full, id),
			UploadURL:       fmt.Sprintf("https://uploads.github.com/repos/%s/releases/%d/assets{?name,label}", r.full, id),
			TarballURL:      str(fmt.Sprintf("%s/repos/%s/tarball/%s", apiURL, r.full, tag)),
			ZipballURL:      str(fmt.Sprintf("%s/repos/%s/zipball/%s", apiURL, r.full, tag)),
			Author:          by.user,
			NodeID:          nodeID("Release", id),
			Assets:          []*github.ReleaseAsset{},
		},
		Repo: r.repoAt(), Sender: by.user, Installation: e.install, Org: e.org,
	})
	e.sum.Releases++
}

// afterMainPush reports the push to the pipeline of repositories deployed
// from outside GitHub: the push itself and the test run it triggers.
func (e *engine) afterMainPush(r *repo, by *person) {
	if !r.ciDeploys() {
		return
	}
	r.pipelineRuns++
	n := r.pipelineRuns
	sha := r.mainHead
	e.ci(&CIEvent{
		Event: "push", Repo: r.full, SHA: sha, Ref: "refs/heads/main", ID: fmt.Sprintf("push-%s-%d", r.name, n),
		Metadata: map[string]any{"pusher": by.login},
	})
	dur := draw(r.rng, span{3 * minute, 15 * minute})
	ev := "test_pass"
	if chance(r.rng, 0.08) {
		ev = "test_fail"
	}
	e.at(e.now+dur, func() {
		e.ci(&CIEvent{
			Event: ev, Repo: r.full, SHA: sha, Ref: "refs/heads/main", ID: fmt.Sprintf("test-%s-%d", r.name, n),
			DurationMS: dur * 1000, URL: fmt.Sprintf("https://ci.%s/job/%s-tests/%d", e.companies[0].domain, r.name, n),
		})
	})
}
