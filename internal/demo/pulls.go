package demo

import (
	"fmt"
	"strings"

	"github.com/google/go-github/v89/github"
)

type pullKind int

const (
	pullFeature pullKind = iota
	pullBot
	pullHotfix
	pullRevert
)

type commit struct {
	sha, tree   string
	msg         string
	author      *person
	email       string
	at          int64   // authored
	committer   *person // nil: the author
	committedAt int64
	added       []string
	modified    []string
	counted     bool
}

type pull struct {
	r        *repo
	kind     pullKind
	author   *person
	fork     *github.Repository // the head repository when it is a fork
	number   int
	id       int64
	title    string
	body     string
	branch   string
	commits  []*commit
	pushed   int // commits visible on the head branch
	labels   []*github.Label
	open     bool
	merged   bool
	created  int64
	closedAt int64
	mergedAt int64
	mergeSHA string
	mergedBy *person
	method   string
	adds     int
	dels     int
	files    int
	comments int
	rcomms   int // review comments
	last     int64
	closes   *issue    // the issue its body closes
	fix      *incident // resolved once this is deployed
	thaw     bool      // lifts the repository's deploy freeze when merged
	first    int64     // first commit authored
	initial  int       // commits before opening
}

func (p *pull) head() string {
	if p.pushed == 0 {
		return ""
	}
	return p.commits[p.pushed-1].sha
}

// review is one submitted review; its comments share its id.
type review struct {
	id    int64
	by    *person
	state string
	body  string
	at    int64
}

// onObject schedules f at t as an update of an object whose updated_at is
// *last. GitHub objects never show the same updated_at twice, so an update
// landing in a second the object already changed in moves one second on.
// Events fire in time order, so *last is never ahead of now.
func (e *engine) onObject(last *int64, t int64, f func()) {
	var g func()
	g = func() {
		if e.now <= *last {
			e.at(*last+1, g)
			return
		}
		*last = e.now
		f()
	}
	e.at(t, g)
}

// pickWeighted picks a person by activity weight.
func (e *engine) pickWeighted(r *repo, ps []*person) *person {
	var sum float64
	for _, p := range ps {
		sum += p.weight
	}
	f := r.rng.Float64() * sum
	for _, p := range ps {
		f -= p.weight
		if f < 0 {
			return p
		}
	}
	return ps[len(ps)-1]
}

// reviewersFor lists who may review a pull request of r at t: teammates at
// work within a few hours, as a team routes reviews around vacations and
// time zones; anyone on the team when nobody is.
func (e *engine) reviewersFor(r *repo, author *person, t int64) []*person {
	var near, all []*person
	for _, m := range r.team.members(t) {
		if m == author {
			continue
		}
		all = append(all, m)
		if m.cal.next(t)-t < 4*hour {
			near = append(near, m)
		}
	}
	switch {
	case len(near) > 0:
		return near
	case len(all) > 0:
		return all
	}
	return []*person{e.admin}
}

// startPull plans a pull request from its first commit at or after t0 to
// its merge or close: commits and branch pushes, opening, labels, reviews
// with comments, rework, conversation, then merge or close. Each step is an
// event; the merge itself is resolved when it fires, against main as it is
// then.
func (e *engine) startPull(r *repo, kind pullKind, author *person, t0 int64, fix *incident, thaw bool, reverted *pull) {
	rng := r.rng
	pf := r.team.prof
	p := &pull{r: r, kind: kind, author: author, fix: fix, thaw: thaw}
	urgent := kind == pullHotfix || kind == pullRevert
	cal := author.cal
	if urgent && pf.onCall {
		cal = alwaysOn()
	}

	var n int
	var coding int64
	switch kind {
	case pullBot:
		n, coding = 1, int64(30+rng.IntN(90))
	case pullRevert:
		n, coding = 1, draw(rng, span{5 * minute, 20 * minute})
	case pullHotfix:
		n = 1 + rng.IntN(2)
		if pf.onCall {
			coding = draw(rng, span{10 * minute, 60 * minute})
		} else {
			coding = draw(rng, pf.coding) / 3
		}
	default:
		n = between(rng, pf.commits[0], pf.commits[1])
		coding = draw(rng, pf.coding)
	}
	first := cal.next(t0)
	if !cal.always {
		first = cal.add(first, int64(rng.IntN(40*minute)))
	}
	open := cal.add(first, coding)
	p.first = first

	paths := filePaths()
	nfiles := 1 + rng.IntN(6)
	touched := make([]string, 0, nfiles)
	for range nfiles {
		touched = append(touched, pick(rng, paths))
	}
	var labels []*github.Label
	switch kind {
	case pullBot:
		dep := pick(rng, depNames())
		from, to := version(rng)
		if author == e.dependabot {
			p.title = fmt.Sprintf("Bump %s from %s to %s", dep, from, to)
			p.branch = fmt.Sprintf("dependabot/go_modules/%s-%s", dep, to)
			p.body = fmt.Sprintf("Bumps [%s](https://github.com/%s) from %s to %s.", dep, dep, from, to)
		} else {
			p.title = fmt.Sprintf("chore(deps): update %s to v%s", dep, to)
			p.branch = fmt.Sprintf("renovate/%s-%s", slug(dep), to)
			p.body = fmt.Sprintf("This PR contains the following updates: %s %s → %s", dep, from, to)
		}
		touched = []string{"go.mod", "go.sum"}
		labels = []*github.Label{r.label("dependencies")}
		p.adds, p.dels = 2+rng.IntN(6), 2+rng.IntN(6)
	case pullRevert:
		p.title = fmt.Sprintf("Revert %q", reverted.title)
		p.branch = fmt.Sprintf("revert-%d-%s", reverted.number, reverted.branch)
		p.body = fmt.Sprintf("Reverts %s#%d", r.full, reverted.number)
		p.adds, p.dels = reverted.dels, reverted.adds
		touched = touched[:1]
	case pullHotfix:
		prob := pick(rng, problems())
		p.title = "Hotfix: " + prob
		p.branch = "hotfix/" + slug(prob)
		p.body = "Fixes the production incident: " + prob + "."
		lbl := "hotfix"
		if chance(rng, 0.3) {
			lbl = "bug"
		}
		labels = []*github.Label{r.label(lbl)}
		p.adds, p.dels = 3+rng.IntN(40), 1+rng.IntN(20)
	default:
		p.title = pick(rng, verbs()) + " " + pick(rng, topics())
		p.branch = fmt.Sprintf("%s/%s", author.login, slug(p.title))
		p.body = "## What\n\n" + p.title + ".\n\n## Why\n\nSee the discussion in the team channel."
		size := between(rng, pf.lines[0], pf.lines[1])
		p.adds = size * (50 + rng.IntN(50)) / 100
		p.dels = size - p.adds
		switch f := rng.Float64(); {
		case f < 0.1:
			labels = []*github.Label{r.label("bug")}
		case f < 0.3:
			labels = []*github.Label{r.label("enhancement")}
		case f < 0.35:
			labels = []*github.Label{r.label("refactor")}
		}
		if size > pf.lines[1]/2 && chance(rng, 0.5) {
			labels = append(labels, r.label("complexity: high"))
		}
	}
	p.branch += fmt.Sprintf("-%d", rng.IntN(1000))
	p.initial = n
	p.files = len(touched)
	if author.independent {
		p.fork = e.fork(r, author)
	}

	// Commits spread over the coding time, the last one shortly before
	// the pull request opens.
	times := make([]int64, n)
	for i := range times {
		if i == 0 {
			times[i] = first
			continue
		}
		frac := float64(i) / float64(n)
		t := cal.add(first, int64(frac*float64(coding)*(0.8+0.2*rng.Float64())))
		times[i] = max(t, times[i-1]+1+int64(rng.IntN(120)))
	}
	openAt := max(open, times[n-1]+int64(60+rng.IntN(600)))
	for i := range n {
		msg := p.title
		if i < n-1 || n > 1 && chance(rng, 0.5) {
			msg = pick(rng, []string{"wip", "address feedback", "add tests", "fix lint", "tidy up", "handle edge case", "update docs"})
		}
		if kind == pullRevert {
			msg = fmt.Sprintf("Revert %q\n\nThis reverts commit %s.", reverted.title, reverted.mergeSHA)
		}
		p.commits = append(p.commits, &commit{
			sha: newSHA(rng), tree: newSHA(rng), msg: msg, author: author,
			email: author.email(times[i]), at: times[i], committedAt: times[i],
			modified: []string{pick(rng, touched)},
		})
	}

	// Branch pushes: one to three, the first creating the branch. Forks
	// push to their own repository, which sends the organization nothing.
	if p.fork == nil {
		groups := 1
		if n > 1 {
			groups = 1 + rng.IntN(min(n, 3))
		}
		lo := 0
		for g := range groups {
			hi := (g + 1) * n / groups
			if hi <= lo {
				continue
			}
			at := min(times[hi-1]+int64(30+rng.IntN(900)), openAt-1)
			at = max(at, times[hi-1])
			created := lo == 0
			from, to := lo, hi
			e.onObject(new(int64), at, func() { e.pushBranch(p, from, to, created) })
			lo = hi
		}
	}
	e.onObject(&p.last, openAt, func() { e.openPull(p) })
	for i, l := range labels {
		e.onObject(&p.last, openAt+1+int64(i), func() { e.labelPull(p, l) })
	}
	if kind == pullFeature && chance(rng, 0.3) {
		// Link an open issue; the merge will close it.
		e.onObject(&p.last, openAt+5, func() { e.linkIssue(p) })
	}

	// Reviews.
	cands := e.reviewersFor(r, author, openAt)
	rev1 := e.pickWeighted(r, cands)
	var pickup int64
	switch {
	case urgent && pf.onCall:
		pickup = draw(rng, span{3 * minute, 15 * minute})
	case urgent:
		pickup = draw(rng, pf.pickup) / 4
	case kind == pullBot:
		pickup = draw(rng, pf.pickup) * 2
	default:
		pickup = draw(rng, pf.pickup)
	}
	rcal := rev1.cal
	if urgent && pf.onCall {
		rcal = cal
	}
	t1 := rcal.add(openAt, pickup)
	lastApproval := t1
	lastActivity := t1
	// Rounds of requested changes, each answered by new commits and a
	// fresh look from the same reviewer.
	round := 0
	for !urgent && kind != pullBot && round < 3 && chance(rng, pf.changesP*(1-0.4*float64(min(round, 1)))) {
		e.planReview(p, rev1, "changes_requested", t1, 1+rng.IntN(3))
		if chance(rng, 0.6) {
			// The author answers in the threads, which GitHub records as
			// a commented review by the author.
			e.planReview(p, author, "commented", author.cal.add(t1, draw(rng, span{5 * minute, 2 * hour})), 1)
		}
		m := 1 + rng.IntN(3)
		fixAt := author.cal.add(t1, draw(rng, pf.rework))
		before := len(p.commits)
		for i := range m {
			at := fixAt + int64(i*(60+rng.IntN(1200)))
			p.commits = append(p.commits, &commit{
				sha: newSHA(rng), tree: newSHA(rng), msg: "address review feedback", author: author,
				email: author.email(at), at: at, committedAt: at, modified: []string{pick(rng, touched)},
			})
		}
		pushAt := p.commits[len(p.commits)-1].at + int64(30+rng.IntN(300))
		if p.fork == nil {
			e.onObject(new(int64), pushAt, func() { e.pushBranch(p, before, before+m, false) })
		}
		e.onObject(&p.last, pushAt+1, func() { e.synchronize(p, before, before+m) })
		t1 = rev1.cal.add(pushAt, draw(rng, pf.approve))
		round++
	}
	e.planReview(p, rev1, "approved", t1, rng.IntN(2))
	lastApproval, lastActivity = t1, t1
	if !urgent && kind != pullBot && len(cands) > 1 && chance(rng, pf.secondP) {
		rev2 := e.pickWeighted(r, cands)
		for rev2 == rev1 {
			rev2 = pick(rng, cands)
		}
		t3 := rev2.cal.add(openAt, pickup+draw(rng, pf.pickup))
		if chance(rng, 0.5) {
			e.planReview(p, rev2, "approved", t3, 0)
			lastApproval = max(lastApproval, t3)
		} else {
			e.planReview(p, rev2, "commented", t3, 1+rng.IntN(3))
			if chance(rng, 0.6) {
				// Questions answered, the second reviewer approves too.
				t3 = rev2.cal.add(max(t3, lastActivity), draw(rng, pf.approve))
				e.planReview(p, rev2, "approved", t3, 0)
				lastApproval = max(lastApproval, t3)
			}
		}
		lastActivity = max(lastActivity, t3)
		if chance(rng, 0.3) {
			// A third voice, usually a quick comment.
			rev3 := pick(rng, cands)
			t4 := rev3.cal.add(t3, draw(rng, pf.pickup))
			e.planReview(p, rev3, "commented", t4, 1)
			lastActivity = max(lastActivity, t4)
		}
	}

	// Conversation between opening and the last review.
	nc := poisson(rng, 0.7)
	if kind != pullFeature {
		nc = poisson(rng, 0.2)
	}
	for range nc {
		who := author
		if chance(rng, 0.6) {
			who = pick(rng, cands)
		}
		if who.bot {
			who = rev1
		}
		at := openAt + 60 + rng.Int64N(max(lastActivity-openAt, 120))
		body := pick(rng, conversation())
		e.onObject(&p.last, at, func() { e.commentPull(p, who, body) })
	}

	// Merge or close.
	mergeP := pf.mergeP
	switch kind {
	case pullHotfix, pullRevert:
		mergeP = 1
	case pullBot:
		mergeP = 0.85
	}
	if chance(rng, mergeP) {
		merger := author
		if author.bot || author.independent || chance(rng, 0.3) {
			merger = rev1
		}
		var delay int64
		if urgent && pf.onCall {
			delay = draw(rng, span{1 * minute, 8 * minute})
		} else {
			delay = draw(rng, pf.mergeDelay)
		}
		mcal := merger.cal
		if urgent && pf.onCall {
			mcal = cal
		}
		mergeAt := max(mcal.add(lastApproval, delay), lastActivity+60)
		method := r.pickMethod()
		if kind == pullBot {
			method = "squash"
		}
		e.onObject(&p.last, mergeAt, func() { e.mergePull(p, merger, method) })
		if p.fork == nil && chance(rng, 0.8) {
			e.at(mergeAt+2, func() { e.deleteBranch(p, merger) })
		}
	} else {
		closer := author
		closeAt := author.cal.add(lastActivity, draw(rng, pf.approve)*2)
		if author.bot {
			closeAt = lastActivity + int64(7+rng.IntN(14))*daySeconds
		}
		e.onObject(&p.last, closeAt, func() { e.closePull(p, closer) })
	}
}

// planReview schedules a review and its line comments, comments first as
// GitHub delivers them.
func (e *engine) planReview(p *pull, by *person, state string, at int64, comments int) {
	rng := p.r.rng
	rv := &review{by: by, state: state, body: pick(rng, reviewBodies(state))}
	for range comments {
		body := pick(rng, lineComments())
		path := pick(rng, filePaths())
		e.onObject(&p.last, at, func() { e.reviewComment(p, rv, body, path) })
	}
	e.onObject(&p.last, at, func() { e.submitReview(p, rv) })
}

func (e *engine) countCommits(cs []*commit) {
	for _, c := range cs {
		if !c.counted {
			c.counted = true
			e.sum.Commits++
		}
	}
}

func (e *engine) headCommit(r *repo, c *commit, distinct bool) *github.HeadCommit {
	loc := c.author.cal.loc
	committer := c.author
	email := c.email
	if c.committer != nil {
		committer = c.committer
		email = "noreply@github.com"
	}
	hc := &github.HeadCommit{
		ID:        str(c.sha),
		TreeID:    str(c.tree),
		Distinct:  github.Ptr(distinct),
		Message:   str(c.msg),
		Timestamp: tsIn(c.at, loc),
		URL:       str(htmlURL + "/" + r.full + "/commit/" + c.sha),
		Author:    &github.CommitAuthor{Name: str(c.author.name), Email: str(c.email), Login: str(c.author.login)},
		Committer: &github.CommitAuthor{Name: str(committer.name), Email: str(email), Login: str(committer.login)},
		Added:     c.added,
		Removed:   []string{},
		Modified:  c.modified,
	}
	if hc.Added == nil {
		hc.Added = []string{}
	}
	if hc.Modified == nil {
		hc.Modified = []string{}
	}
	return hc
}

// push emits a push of commits to ref.
func (e *engine) push(r *repo, ref, before, after string, cs []*commit, distinct func(*commit) bool, by *person, created bool) {
	r.pushedAt = e.now
	hcs := make([]*github.HeadCommit, len(cs))
	for i, c := range cs {
		hcs[i] = e.headCommit(r, c, distinct == nil || distinct(c))
	}
	var head *github.HeadCommit
	if len(hcs) > 0 {
		head = hcs[len(hcs)-1]
	}
	cmp := before
	if len(cmp) > 12 {
		cmp = cmp[:12]
	}
	e.webhook("push", "", &github.PushEvent{
		Ref:          str(ref),
		Before:       str(before),
		After:        str(after),
		Created:      github.Ptr(created),
		Deleted:      github.Ptr(false),
		Forced:       github.Ptr(false),
		Compare:      str(fmt.Sprintf("%s/%s/compare/%s...%s", htmlURL, r.full, cmp, after[:12])),
		Commits:      hcs,
		HeadCommit:   head,
		Repo:         r.pushRepository(),
		Pusher:       &github.CommitAuthor{Name: str(by.login), Email: str(by.email(e.now))},
		Sender:       by.user,
		Organization: e.org,
		Installation: e.install,
	})
	e.sum.Pushes++
	e.countCommits(cs)
}

func (e *engine) pushBranch(p *pull, from, to int, created bool) {
	r := p.r
	before := zeroSHA
	if !created {
		before = p.commits[from-1].sha
	}
	if created {
		e.webhook("create", "", &github.CreateEvent{
			Ref: str(p.branch), RefType: str("branch"), MasterBranch: str("main"),
			Description: r.gh.Description, PusherType: str("user"),
			Repo: r.repoAt(), Org: e.org, Sender: p.author.user, Installation: e.install,
		})
	}
	p.pushed = to
	e.push(r, "refs/heads/"+p.branch, before, p.commits[to-1].sha, p.commits[from:to], nil, p.author, created)
}

func (e *engine) pullObject(p *pull) *github.PullRequest {
	r := p.r
	api := fmt.Sprintf("%s/repos/%s/pulls/%d", apiURL, r.full, p.number)
	web := fmt.Sprintf("%s/%s/pull/%d", htmlURL, r.full, p.number)
	state := "closed"
	if p.open {
		state = "open"
	}
	headRepo, headOwner, headLabel := r.repoAt(), e.orgUser, e.opts.Org+":"+p.branch
	if p.fork != nil {
		headRepo, headOwner, headLabel = p.fork, p.author.user, p.author.login+":"+p.branch
	}
	pr := &github.PullRequest{
		ID:                  github.Ptr(p.id),
		NodeID:              str(nodeID("PullRequest", p.id)),
		Number:              github.Ptr(p.number),
		State:               str(state),
		Locked:              github.Ptr(false),
		Title:               str(p.title),
		Body:                str(p.body),
		CreatedAt:           ts(p.created),
		UpdatedAt:           e.nowTS(),
		Labels:              append([]*github.Label{}, p.labels...),
		User:                p.author.user,
		Draft:               github.Ptr(false),
		URL:                 str(api),
		HTMLURL:             str(web),
		IssueURL:            str(fmt.Sprintf("%s/repos/%s/issues/%d", apiURL, r.full, p.number)),
		DiffURL:             str(web + ".diff"),
		PatchURL:            str(web + ".patch"),
		CommitsURL:          str(api + "/commits"),
		CommentsURL:         str(fmt.Sprintf("%s/repos/%s/issues/%d/comments", apiURL, r.full, p.number)),
		ReviewCommentsURL:   str(api + "/comments"),
		AuthorAssociation:   str(p.author.association()),
		Merged:              github.Ptr(p.merged),
		Comments:            github.Ptr(p.comments),
		ReviewComments:      github.Ptr(p.rcomms),
		Commits:             github.Ptr(p.pushed),
		Additions:           github.Ptr(p.adds),
		Deletions:           github.Ptr(p.dels),
		ChangedFiles:        github.Ptr(p.files),
		MaintainerCanModify: github.Ptr(false),
		Assignees:           []*github.User{},
		RequestedReviewers:  []*github.User{},
		Head: &github.PullRequestBranch{
			Label: str(headLabel), Ref: str(p.branch), SHA: str(p.head()), Repo: headRepo, User: headOwner,
		},
		Base: &github.PullRequestBranch{
			Label: str(e.opts.Org + ":main"), Ref: str("main"), SHA: str(r.mainHead), Repo: r.repoAt(), User: e.orgUser,
		},
	}
	if !p.open {
		pr.ClosedAt = ts(p.closedAt)
	}
	if p.merged {
		pr.MergedAt = ts(p.mergedAt)
		pr.MergedBy = p.mergedBy.user
		pr.MergeCommitSHA = str(p.mergeSHA)
	}
	return pr
}

// pullIssue is the pull request seen as an issue, as issue_comment carries it.
func (e *engine) pullIssue(p *pull) *github.Issue {
	r := p.r
	state := "closed"
	if p.open {
		state = "open"
	}
	is := &github.Issue{
		ID:                github.Ptr(p.id),
		NodeID:            str(nodeID("PullRequest", p.id)),
		Number:            github.Ptr(p.number),
		State:             str(state),
		Locked:            github.Ptr(false),
		Title:             str(p.title),
		Body:              str(p.body),
		AuthorAssociation: str(p.author.association()),
		User:              p.author.user,
		Labels:            append([]*github.Label{}, p.labels...),
		Comments:          github.Ptr(p.comments),
		CreatedAt:         ts(p.created),
		UpdatedAt:         e.nowTS(),
		URL:               str(fmt.Sprintf("%s/repos/%s/issues/%d", apiURL, r.full, p.number)),
		HTMLURL:           str(fmt.Sprintf("%s/%s/pull/%d", htmlURL, r.full, p.number)),
		RepositoryURL:     str(apiURL + "/repos/" + r.full),
		Assignees:         []*github.User{},
		PullRequestLinks: &github.PullRequestLinks{
			URL:     str(fmt.Sprintf("%s/repos/%s/pulls/%d", apiURL, r.full, p.number)),
			HTMLURL: str(fmt.Sprintf("%s/%s/pull/%d", htmlURL, r.full, p.number)),
		},
	}
	if !p.open {
		is.ClosedAt = ts(p.closedAt)
	}
	if p.merged {
		is.PullRequestLinks.MergedAt = ts(p.mergedAt)
	}
	return is
}

func (e *engine) pullEvent(p *pull, action string, sender *person, label *github.Label) *github.PullRequestEvent {
	return &github.PullRequestEvent{
		Action:       str(action),
		Number:       github.Ptr(p.number),
		PullRequest:  e.pullObject(p),
		Label:        label,
		Repo:         p.r.repoAt(),
		Sender:       sender.user,
		Organization: e.org,
		Installation: e.install,
	}
}

func (e *engine) openPull(p *pull) {
	r := p.r
	r.number++
	p.number = r.number
	p.id = e.ids.take(idPull)
	p.created = e.now
	p.open = true
	if p.fork != nil {
		// A fork's commits enter the organization with the pull request.
		p.pushed = p.initial
		e.countCommits(p.commits[:p.initial])
	}
	if p.pushed == 0 {
		// The branch push fell in the same second; GitHub shows the head
		// it has.
		p.pushed = min(len(p.commits), 1)
	}
	e.webhook("pull_request", "opened", e.pullEvent(p, "opened", p.author, nil))
	e.sum.PullRequests++
	r.team.stats.pulls++
	switch p.kind {
	case pullBot:
		e.sum.BotPullRequests++
	case pullHotfix:
		e.sum.HotfixPullRequests++
	case pullRevert:
		e.sum.RevertPullRequests++
	}
}

func (e *engine) labelPull(p *pull, l *github.Label) {
	if !p.open {
		return
	}
	p.labels = append(p.labels, l)
	sender := p.author
	if p.author.independent {
		sender = p.r.team.lead
	}
	e.webhook("pull_request", "labeled", e.pullEvent(p, "labeled", sender, l))
}

func (e *engine) linkIssue(p *pull) {
	r := p.r
	for _, is := range r.openIssues {
		if !is.linked && is.incident == nil && is.open {
			is.linked = true
			p.closes = is
			p.body += fmt.Sprintf("\n\nCloses #%d", is.number)
			e.webhook("pull_request", "edited", &github.PullRequestEvent{
				Action: str("edited"), Number: github.Ptr(p.number), PullRequest: e.pullObject(p),
				Changes: &github.EditChange{Body: &github.EditBody{From: str(strings.TrimSuffix(p.body, fmt.Sprintf("\n\nCloses #%d", is.number)))}},
				Repo:    r.repoAt(), Sender: p.author.user, Organization: e.org, Installation: e.install,
			})
			return
		}
	}
}

func (e *engine) synchronize(p *pull, from, to int) {
	if !p.open {
		return
	}
	before := p.commits[from-1].sha
	if p.fork != nil {
		p.pushed = to
	}
	ev := e.pullEvent(p, "synchronize", p.author, nil)
	ev.Before, ev.After = str(before), str(p.commits[to-1].sha)
	e.webhook("pull_request", "synchronize", ev)
	if p.fork != nil {
		e.countCommits(p.commits[from:to])
	}
}

func (e *engine) reviewObject(p *pull, rv *review) *github.PullRequestReview {
	r := p.r
	return &github.PullRequestReview{
		ID:                github.Ptr(rv.id),
		NodeID:            str(nodeID("PullRequestReview", rv.id)),
		User:              rv.by.user,
		Body:              str(rv.body),
		SubmittedAt:       ts(rv.at),
		CommitID:          str(p.head()),
		HTMLURL:           str(fmt.Sprintf("%s/%s/pull/%d#pullrequestreview-%d", htmlURL, r.full, p.number, rv.id)),
		PullRequestURL:    str(fmt.Sprintf("%s/repos/%s/pulls/%d", apiURL, r.full, p.number)),
		State:             str(rv.state),
		AuthorAssociation: str(rv.by.association()),
	}
}

func (e *engine) reviewComment(p *pull, rv *review, body, path string) {
	if !p.open {
		return
	}
	if rv.id == 0 {
		rv.id = e.ids.take(idReview)
	}
	r := p.r
	id := e.ids.take(idReviewComment)
	p.rcomms++
	line := 1 + int(id%200)
	e.webhook("pull_request_review_comment", "created", &github.PullRequestReviewCommentEvent{
		Action:      str("created"),
		PullRequest: e.pullObject(p),
		Comment: &github.PullRequestComment{
			ID:                  github.Ptr(id),
			NodeID:              str(nodeID("PullRequestReviewComment", id)),
			PullRequestReviewID: github.Ptr(rv.id),
			DiffHunk:            str(fmt.Sprintf("@@ -%d,6 +%d,8 @@", line, line)),
			Path:                str(path),
			Line:                github.Ptr(line),
			OriginalLine:        github.Ptr(line),
			Side:                str("RIGHT"),
			CommitID:            str(p.head()),
			OriginalCommitID:    str(p.head()),
			User:                rv.by.user,
			Body:                str(body),
			CreatedAt:           e.nowTS(),
			UpdatedAt:           e.nowTS(),
			AuthorAssociation:   str(rv.by.association()),
			URL:                 str(fmt.Sprintf("%s/repos/%s/pulls/comments/%d", apiURL, r.full, id)),
			HTMLURL:             str(fmt.Sprintf("%s/%s/pull/%d#discussion_r%d", htmlURL, r.full, p.number, id)),
			PullRequestURL:      str(fmt.Sprintf("%s/repos/%s/pulls/%d", apiURL, r.full, p.number)),
			SubjectType:         str("line"),
		},
		Repo: r.repoAt(), Sender: rv.by.user, Org: e.org, Installation: e.install,
	})
	e.sum.ReviewComments++
}

func (e *engine) submitReview(p *pull, rv *review) {
	if !p.open {
		return
	}
	if rv.id == 0 {
		rv.id = e.ids.take(idReview)
	}
	rv.at = e.now
	e.webhook("pull_request_review", "submitted", &github.PullRequestReviewEvent{
		Action:       str("submitted"),
		Review:       e.reviewObject(p, rv),
		PullRequest:  e.pullObject(p),
		Repo:         p.r.repoAt(),
		Sender:       rv.by.user,
		Organization: e.org,
		Installation: e.install,
	})
	e.sum.Reviews++
	switch rv.state {
	case "approved":
		e.sum.ReviewsApproved++
	case "changes_requested":
		e.sum.ReviewsChangesRequested++
	default:
		e.sum.ReviewsCommented++
	}
}

func (e *engine) commentPull(p *pull, by *person, body string) {
	if !p.open {
		return
	}
	p.comments++
	e.webhook("issue_comment", "created", &github.IssueCommentEvent{
		Action:       str("created"),
		Issue:        e.pullIssue(p),
		Comment:      e.commentObject(p.r, p.number, by, body),
		Repo:         p.r.repoAt(),
		Sender:       by.user,
		Organization: e.org,
		Installation: e.install,
	})
}

func (e *engine) commentObject(r *repo, number int, by *person, body string) *github.IssueComment {
	id := e.ids.take(idIssueComment)
	e.sum.IssueComments++
	return &github.IssueComment{
		ID:                github.Ptr(id),
		NodeID:            str(nodeID("IssueComment", id)),
		Body:              str(body),
		User:              by.user,
		CreatedAt:         e.nowTS(),
		UpdatedAt:         e.nowTS(),
		AuthorAssociation: str(by.association()),
		URL:               str(fmt.Sprintf("%s/repos/%s/issues/comments/%d", apiURL, r.full, id)),
		HTMLURL:           str(fmt.Sprintf("%s/%s/issues/%d#issuecomment-%d", htmlURL, r.full, number, id)),
		IssueURL:          str(fmt.Sprintf("%s/repos/%s/issues/%d", apiURL, r.full, number)),
	}
}

// mergePull merges against main as it is now: a merge commit with the
// branch as second parent, one squashed commit, or the branch commits
// replayed; merge_commit_sha is the merge commit, the squash commit or the
// last replayed commit. The push to main comes first, as on GitHub.
func (e *engine) mergePull(p *pull, by *person, method string) {
	if !p.open {
		return
	}
	r := p.r
	rng := r.rng
	before := r.mainHead
	commits := p.commits[:p.pushed]
	var pushed []*commit
	var distinct func(*commit) bool
	switch method {
	case "merge":
		mc := &commit{
			sha: newSHA(rng), tree: newSHA(rng), author: by, email: by.email(e.now), at: e.now,
			committer: e.webFlow, committedAt: e.now,
			msg: fmt.Sprintf("Merge pull request #%d from %s\n\n%s", p.number, p.headLabel(e.opts.Org), p.title),
		}
		pushed = append(append(pushed, commits...), mc)
		// Branch commits already in the repository are not distinct;
		// a fork's are new to it.
		forked := p.fork != nil
		distinct = func(c *commit) bool { return c == mc || forked }
		p.mergeSHA = mc.sha
		e.sum.MergeCommits++
	case "squash":
		var b strings.Builder
		for _, c := range commits {
			b.WriteString("\n* " + strings.SplitN(c.msg, "\n", 2)[0])
		}
		sc := &commit{
			sha: newSHA(rng), tree: newSHA(rng), author: p.author, email: p.author.email(e.now), at: e.now,
			committer: e.webFlow, committedAt: e.now,
			msg: fmt.Sprintf("%s (#%d)\n%s", p.title, p.number, b.String()), modified: commits[0].modified,
		}
		pushed = []*commit{sc}
		p.mergeSHA = sc.sha
		e.sum.SquashMerges++
	default:
		for _, c := range commits {
			rc := *c
			rc.sha, rc.committer, rc.committedAt, rc.counted = newSHA(rng), e.webFlow, e.now, false
			pushed = append(pushed, &rc)
		}
		p.mergeSHA = pushed[len(pushed)-1].sha
		e.sum.RebaseMerges++
	}
	r.landOnMain(p.mergeSHA, p, p.first, e.now)
	e.push(r, "refs/heads/main", before, p.mergeSHA, pushed, distinct, by, false)

	p.open, p.merged = false, true
	p.closedAt, p.mergedAt, p.mergedBy, p.method = e.now, e.now, by, method
	e.webhook("pull_request", "closed", e.pullEvent(p, "closed", by, nil))
	e.sum.PullRequestsMerged++
	r.team.stats.merged++

	e.afterMainPush(r, by)
	if is := p.closes; is != nil && is.open {
		e.onObject(&is.last, e.now+2, func() { e.closeIssue(is, by, "completed") })
	}
	if p.fix != nil {
		p.fix.fixSeq = r.mainSeq
		r.waiting = append(r.waiting, p.fix)
	}
	if p.thaw {
		e.thaw(r)
	}
	if p.fix != nil && r.team.prof.fastFix {
		e.requestDeploy(r, reasonFix, draw(rng, span{3 * minute, 12 * minute}))
	} else if r.team.prof.cadence == cadenceContinuous {
		e.requestDeploy(r, reasonRegular, draw(rng, r.team.prof.pipeline))
	}
}

func (p *pull) headLabel(org string) string {
	if p.fork != nil {
		return p.author.login + "/" + p.branch
	}
	return org + "/" + p.branch
}

func (e *engine) closePull(p *pull, by *person) {
	if !p.open {
		return
	}
	p.open = false
	p.closedAt = e.now
	e.webhook("pull_request", "closed", e.pullEvent(p, "closed", by, nil))
	e.sum.PullRequestsClosed++
	if is := p.closes; is != nil {
		is.linked = false
	}
}

func (e *engine) deleteBranch(p *pull, by *person) {
	r := p.r
	e.webhook("delete", "", &github.DeleteEvent{
		Ref: str(p.branch), RefType: str("branch"), PusherType: str("user"),
		Repo: r.repoAt(), Sender: by.user, Installation: e.install, Org: e.org,
	})
}
