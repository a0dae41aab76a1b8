package githubtest

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v89/github"
)

func (s *Server) routes() {
	m := http.NewServeMux()
	h := func(pattern string, fn func(*reply, *http.Request)) {
		m.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			rp := w.(*reply)
			rp.route = pattern
			fn(rp, r)
		})
	}
	h("GET /rate_limit", s.rateLimit)
	h("POST /app/installations/{id}/access_tokens", s.createToken)
	h("GET /app/hook/deliveries", func(rp *reply, r *http.Request) { s.deliveries(rp, r, s.st.AppHook) })
	h("POST /app/hook/deliveries/{delivery}/attempts", func(rp *reply, r *http.Request) { s.redeliver(rp, r, s.st.AppHook) })
	h("GET /orgs/{org}", s.org)
	h("GET /orgs/{org}/members", s.orgMembers)
	h("GET /orgs/{org}/teams", s.teams)
	h("GET /orgs/{org}/teams/{slug}/members", s.teamMembers)
	h("GET /orgs/{org}/repos", s.orgRepos)
	h("GET /orgs/{org}/hooks", s.orgHooks)
	h("GET /orgs/{org}/hooks/{id}/deliveries", s.withOrgHook(s.deliveries))
	h("POST /orgs/{org}/hooks/{id}/deliveries/{delivery}/attempts", s.withOrgHook(s.redeliver))
	h("GET /repos/{owner}/{repo}", s.withRepo(func(rp *reply, r *http.Request, repo *Repo) { rp.json(http.StatusOK, repo.GH) }))
	h("GET /repos/{owner}/{repo}/pulls", s.withRepo(s.listPulls))
	h("GET /repos/{owner}/{repo}/pulls/{number}", s.withPull(func(rp *reply, r *http.Request, repo *Repo, p *Pull) { rp.json(http.StatusOK, p.GH) }))
	h("GET /repos/{owner}/{repo}/pulls/{number}/reviews", s.withPull(s.listReviews))
	h("GET /repos/{owner}/{repo}/pulls/{number}/commits", s.withPull(s.listPullCommits))
	h("GET /repos/{owner}/{repo}/issues", s.withRepo(s.listIssues))
	h("GET /repos/{owner}/{repo}/issues/{number}", s.withRepo(s.getIssue))
	h("GET /repos/{owner}/{repo}/issues/{number}/timeline", s.withRepo(s.timeline))
	h("GET /repos/{owner}/{repo}/deployments", s.withRepo(s.listDeployments))
	h("GET /repos/{owner}/{repo}/deployments/{id}/statuses", s.withRepo(s.listStatuses))
	h("GET /repos/{owner}/{repo}/actions/runs", s.withRepo(s.listRuns))
	h("GET /repos/{owner}/{repo}/actions/runs/{id}/jobs", s.withRepo(s.listJobs))
	h("GET /repos/{owner}/{repo}/releases", s.withRepo(s.listReleases))
	h("GET /repos/{owner}/{repo}/compare/{basehead}", s.withRepo(s.compare))
	h("GET /repos/{owner}/{repo}/hooks", s.withRepo(func(rp *reply, r *http.Request, repo *Repo) { rp.json(http.StatusOK, []any{}) }))
	h("GET /repos/{owner}/{repo}/hooks/{id}/deliveries", s.withRepo(func(rp *reply, r *http.Request, repo *Repo) { rp.message(http.StatusNotFound, "Not Found") }))
	h("POST /graphql", s.graphql)
	h("/", func(rp *reply, r *http.Request) { rp.message(http.StatusNotFound, "Not Found") })
	s.mux = m
}

func (s *Server) rateLimit(rp *reply, r *http.Request) {
	res := map[string]any{}
	s.cmu.Lock()
	for _, name := range []string{"core", "graphql"} {
		w := s.window(rp.id, name)
		res[name] = map[string]any{"limit": w.limit, "remaining": w.limit - w.used, "used": w.used, "reset": w.reset.Unix(), "resource": name}
	}
	s.cmu.Unlock()
	rp.json(http.StatusOK, map[string]any{"resources": res, "rate": res["core"]})
}

func (s *Server) createToken(rp *reply, r *http.Request) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if s.opts.App == nil || id != s.opts.App.InstallationID {
		rp.message(http.StatusNotFound, "Not Found")
		return
	}
	b := make([]byte, 18)
	rand.Read(b)
	tok := "ghs_" + hex.EncodeToString(b)
	exp := s.Now().Add(s.opts.App.TokenTTL).Truncate(time.Second)
	s.cmu.Lock()
	s.tokens[tok] = exp
	s.stats.TokensIssued++
	s.cmu.Unlock()
	rp.json(http.StatusCreated, &github.InstallationToken{Token: github.Ptr(tok), ExpiresAt: ts(exp), Permissions: &github.InstallationPermissions{}})
}

func (s *Server) orgOr404(rp *reply, r *http.Request) *Org {
	o := s.st.Orgs[r.PathValue("org")]
	if o == nil {
		rp.message(http.StatusNotFound, "Not Found")
	}
	return o
}

func (s *Server) org(rp *reply, r *http.Request) {
	if o := s.orgOr404(rp, r); o != nil {
		rp.json(http.StatusOK, o.GH)
	}
}

func sortedMembers(ms map[string]*Member, role string) []*github.User {
	var out []*github.User
	for _, m := range ms {
		if role == "" || role == "all" || m.Role == role {
			out = append(out, m.User)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].GetID() < out[j].GetID() })
	return out
}

func (s *Server) orgMembers(rp *reply, r *http.Request) {
	o := s.orgOr404(rp, r)
	if o == nil {
		return
	}
	us := sortedMembers(o.Members, r.URL.Query().Get("role"))
	lo, hi := pageOf(rp, r, len(us))
	rp.json(http.StatusOK, us[lo:hi])
}

func (s *Server) teams(rp *reply, r *http.Request) {
	o := s.orgOr404(rp, r)
	if o == nil {
		return
	}
	var ts []*github.Team
	for _, t := range o.Teams {
		ts = append(ts, t.GH)
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].GetID() < ts[j].GetID() })
	lo, hi := pageOf(rp, r, len(ts))
	rp.json(http.StatusOK, ts[lo:hi])
}

func (s *Server) teamMembers(rp *reply, r *http.Request) {
	o := s.orgOr404(rp, r)
	if o == nil {
		return
	}
	t := o.Teams[r.PathValue("slug")]
	if t == nil {
		rp.message(http.StatusNotFound, "Not Found")
		return
	}
	us := sortedMembers(t.Members, r.URL.Query().Get("role"))
	lo, hi := pageOf(rp, r, len(us))
	rp.json(http.StatusOK, us[lo:hi])
}

func (s *Server) reposOf(org string) []*Repo {
	var rs []*Repo
	for _, r := range s.st.Repos {
		if r.GH.GetOwner().GetLogin() == org && !r.GH.GetFork() {
			rs = append(rs, r)
		}
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].GH.GetFullName() < rs[j].GH.GetFullName() })
	return rs
}

func (s *Server) orgRepos(rp *reply, r *http.Request) {
	o := s.orgOr404(rp, r)
	if o == nil {
		return
	}
	rs := s.reposOf(o.GH.GetLogin())
	lo, hi := pageOf(rp, r, len(rs))
	out := make([]*github.Repository, 0, hi-lo)
	for _, x := range rs[lo:hi] {
		out = append(out, x.GH)
	}
	rp.json(http.StatusOK, out)
}

func (s *Server) orgHooks(rp *reply, r *http.Request) {
	o := s.orgOr404(rp, r)
	if o == nil {
		return
	}
	rp.json(http.StatusOK, []*github.Hook{{
		ID: github.Ptr(o.Hook.ID), Name: github.Ptr("web"), Active: github.Ptr(true), Events: []string{"*"},
		Config: &github.HookConfig{URL: github.Ptr("https://sextant.example/webhooks/github"), ContentType: github.Ptr("json")},
	}})
}

func (s *Server) withOrgHook(fn func(*reply, *http.Request, *Hook)) func(*reply, *http.Request) {
	return func(rp *reply, r *http.Request) {
		o := s.orgOr404(rp, r)
		if o == nil {
			return
		}
		if id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64); id != o.Hook.ID {
			rp.message(http.StatusNotFound, "Not Found")
			return
		}
		fn(rp, r, o.Hook)
	}
}

// deliveries pages newest first by cursor: the cursor is the id below
// which the page starts.
func (s *Server) deliveries(rp *reply, r *http.Request, h *Hook) {
	q := r.URL.Query()
	per, err := strconv.Atoi(q.Get("per_page"))
	if err != nil || per < 1 {
		per = 30
	}
	per = min(per, 100)
	all := s.st.Deliveries
	start := len(all) - 1
	if c := q.Get("cursor"); c != "" {
		below, err := strconv.ParseInt(c, 10, 64)
		if err != nil {
			rp.message(http.StatusUnprocessableEntity, "cursor is not valid")
			return
		}
		start = sort.Search(len(all), func(i int) bool { return all[i].ID >= below }) - 1
	}
	out := []*github.HookDelivery{}
	i := start
	for ; i >= 0 && len(out) < per; i-- {
		if h.Org == "" || all[i].Org == h.Org {
			out = append(out, all[i].github())
		}
	}
	more := false
	for j := i; j >= 0 && !more; j-- {
		more = h.Org == "" || all[j].Org == h.Org
	}
	if more {
		q.Set("cursor", strconv.FormatInt(out[len(out)-1].GetID(), 10))
		u := url.URL{Path: r.URL.Path, RawQuery: q.Encode()}
		rp.header.Set("Link", "<"+rp.base+u.String()+`>; rel="next"`)
	}
	rp.json(http.StatusOK, out)
}

// redeliver sends a delivery again: a new delivery with the same GUID.
func (s *Server) redeliver(rp *reply, r *http.Request, h *Hook) {
	id, _ := strconv.ParseInt(r.PathValue("delivery"), 10, 64)
	all := s.st.Deliveries
	i := sort.Search(len(all), func(i int) bool { return all[i].ID >= id })
	if i == len(all) || all[i].ID != id || h.Org != "" && all[i].Org != h.Org {
		rp.message(http.StatusNotFound, "Not Found")
		return
	}
	c := all[i]
	c.ID, c.Redelivery, c.At, c.StatusCode = s.st.NewID(), true, s.Now(), 0
	s.st.Deliveries = append(s.st.Deliveries, c)
	if s.opts.Redelivered != nil {
		s.opts.Redelivered(c)
	}
	s.cmu.Lock()
	s.stats.Redeliveries++
	s.cmu.Unlock()
	rp.json(http.StatusAccepted, map[string]any{})
}

func (s *Server) withRepo(fn func(*reply, *http.Request, *Repo)) func(*reply, *http.Request) {
	return func(rp *reply, r *http.Request) {
		repo := s.st.Repos[r.PathValue("owner")+"/"+r.PathValue("repo")]
		if repo == nil {
			rp.message(http.StatusNotFound, "Not Found")
			return
		}
		fn(rp, r, repo)
	}
}

func (s *Server) withPull(fn func(*reply, *http.Request, *Repo, *Pull)) func(*reply, *http.Request) {
	return s.withRepo(func(rp *reply, r *http.Request, repo *Repo) {
		n, _ := strconv.Atoi(r.PathValue("number"))
		p := repo.Pulls[n]
		if p == nil {
			rp.message(http.StatusNotFound, "Not Found")
			return
		}
		fn(rp, r, repo, p)
	})
}

// sortBy orders items by created or updated time; desc unless told asc.
func sortBy[T any](items []T, r *http.Request, created, updated func(T) time.Time, number func(T) int) {
	q := r.URL.Query()
	key := created
	if q.Get("sort") == "updated" {
		key = updated
	}
	desc := q.Get("direction") != "asc"
	if q.Get("direction") == "" && q.Get("sort") != "" && q.Get("sort") != "created" {
		desc = false // GitHub: desc by default only when sorting by creation
	}
	sort.SliceStable(items, func(i, j int) bool {
		a, b := key(items[i]), key(items[j])
		if a.Equal(b) {
			if desc {
				return number(items[i]) > number(items[j])
			}
			return number(items[i]) < number(items[j])
		}
		if desc {
			return a.After(b)
		}
		return a.Before(b)
	})
}

func stateMatches(want, state string) bool {
	switch want {
	case "", "open":
		return state == "open"
	case "all":
		return true
	}
	return want == state
}

func (s *Server) listPulls(rp *reply, r *http.Request, repo *Repo) {
	var ps []*github.PullRequest
	for _, p := range repo.Pulls {
		if stateMatches(r.URL.Query().Get("state"), p.GH.GetState()) {
			ps = append(ps, p.GH)
		}
	}
	sortBy(ps, r, func(p *github.PullRequest) time.Time { return p.GetCreatedAt().Time },
		func(p *github.PullRequest) time.Time { return p.GetUpdatedAt().Time }, (*github.PullRequest).GetNumber)
	lo, hi := pageOf(rp, r, len(ps))
	rp.json(http.StatusOK, ps[lo:hi])
}

func (s *Server) listReviews(rp *reply, r *http.Request, repo *Repo, p *Pull) {
	lo, hi := pageOf(rp, r, len(p.Reviews))
	rp.json(http.StatusOK, append([]*github.PullRequestReview{}, p.Reviews[lo:hi]...))
}

func (s *Server) listPullCommits(rp *reply, r *http.Request, repo *Repo, p *Pull) {
	cs := pullCommits(repo, p)
	lo, hi := pageOfMax(rp, r, len(cs), 30, 100)
	rp.json(http.StatusOK, cs[lo:hi])
}

// pullCommits are the pull request's commits, oldest first. A pull request
// from a fork, whose commits the demo never pushed to the organization,
// gets one commit at its head, authored when it was opened.
func pullCommits(repo *Repo, p *Pull) []*github.RepositoryCommit {
	var cs []*github.RepositoryCommit
	for _, sha := range p.Commits {
		if c := repo.Commits[sha]; c != nil {
			cs = append(cs, c)
		}
	}
	if len(cs) == 0 && p.GH.GetHead().GetSHA() != "" {
		at := p.GH.CreatedAt
		u := p.GH.GetUser()
		cs = append(cs, &github.RepositoryCommit{
			SHA:    p.GH.Head.SHA,
			Commit: &github.Commit{SHA: p.GH.Head.SHA, Message: p.GH.Title, Author: &github.CommitAuthor{Name: u.Login, Date: at}, Committer: &github.CommitAuthor{Name: u.Login, Date: at}},
			Author: u,
		})
	}
	return cs
}

// issueOfPull is a pull request as the issues API shows it.
func issueOfPull(repo *Repo, p *github.PullRequest) *github.Issue {
	full := repo.GH.GetFullName()
	is := &github.Issue{
		ID: p.ID, NodeID: p.NodeID, Number: p.Number, State: p.State, Title: p.Title, Body: p.Body, User: p.User,
		Labels: p.Labels, Comments: p.Comments, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt, ClosedAt: p.ClosedAt,
		URL:           github.Ptr("https://api.github.com/repos/" + full + "/issues/" + strconv.Itoa(p.GetNumber())),
		RepositoryURL: github.Ptr("https://api.github.com/repos/" + full),
		PullRequestLinks: &github.PullRequestLinks{
			URL: p.URL, HTMLURL: p.HTMLURL, MergedAt: p.MergedAt,
		},
	}
	if is.Labels == nil {
		is.Labels = []*github.Label{}
	}
	return is
}

func (s *Server) listIssues(rp *reply, r *http.Request, repo *Repo) {
	q := r.URL.Query()
	var since time.Time
	if v := q.Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			rp.message(http.StatusUnprocessableEntity, "Invalid value for parameter 'since': "+v)
			return
		}
		since = t
	}
	var is []*github.Issue
	keep := func(i *github.Issue) {
		if stateMatches(q.Get("state"), i.GetState()) && !i.GetUpdatedAt().Time.Before(since) {
			is = append(is, i)
		}
	}
	for _, i := range repo.Issues {
		keep(i.GH)
	}
	for _, p := range repo.Pulls {
		keep(issueOfPull(repo, p.GH))
	}
	sortBy(is, r, func(i *github.Issue) time.Time { return i.GetCreatedAt().Time },
		func(i *github.Issue) time.Time { return i.GetUpdatedAt().Time }, (*github.Issue).GetNumber)
	lo, hi := pageOf(rp, r, len(is))
	rp.json(http.StatusOK, is[lo:hi])
}

func (s *Server) getIssue(rp *reply, r *http.Request, repo *Repo) {
	n, _ := strconv.Atoi(r.PathValue("number"))
	if m, ok := repo.Moved[n]; ok {
		loc := rp.base + "/repos/" + m.Repo + "/issues/" + strconv.Itoa(m.Number)
		rp.header.Set("Location", loc)
		rp.json(http.StatusMovedPermanently, map[string]string{"message": "Moved Permanently", "url": loc})
		return
	}
	if is := repo.Issues[n]; is != nil {
		rp.json(http.StatusOK, is.GH)
		return
	}
	if p := repo.Pulls[n]; p != nil {
		rp.json(http.StatusOK, issueOfPull(repo, p.GH))
		return
	}
	rp.message(http.StatusNotFound, "Not Found")
}

func (s *Server) timeline(rp *reply, r *http.Request, repo *Repo) {
	n, _ := strconv.Atoi(r.PathValue("number"))
	if _, ok := repo.Moved[n]; ok {
		s.getIssue(rp, r, repo)
		return
	}
	if repo.Issues[n] == nil && repo.Pulls[n] == nil {
		rp.message(http.StatusNotFound, "Not Found")
		return
	}
	evs := repo.Timelines[n]
	lo, hi := pageOf(rp, r, len(evs))
	rp.json(http.StatusOK, append([]*github.Timeline{}, evs[lo:hi]...))
}

func (s *Server) listDeployments(rp *reply, r *http.Request, repo *Repo) {
	q := r.URL.Query()
	var ds []*github.Deployment
	for i := len(repo.Deployments) - 1; i >= 0; i-- {
		d := repo.Deployments[i].GH
		if (q.Get("sha") == "" || q.Get("sha") == d.GetSHA()) && (q.Get("ref") == "" || q.Get("ref") == d.GetRef()) &&
			(q.Get("environment") == "" || q.Get("environment") == d.GetEnvironment()) && (q.Get("task") == "" || q.Get("task") == d.GetTask()) {
			ds = append(ds, d)
		}
	}
	lo, hi := pageOf(rp, r, len(ds))
	rp.json(http.StatusOK, append([]*github.Deployment{}, ds[lo:hi]...))
}

func (s *Server) listStatuses(rp *reply, r *http.Request, repo *Repo) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	for _, d := range repo.Deployments {
		if d.GH.GetID() == id {
			st := slices.Clone(d.Statuses)
			slices.Reverse(st)
			lo, hi := pageOf(rp, r, len(st))
			rp.json(http.StatusOK, append([]*github.DeploymentStatus{}, st[lo:hi]...))
			return
		}
	}
	rp.message(http.StatusNotFound, "Not Found")
}

// createdMatches reads the runs filter's created: ">=T", "<=T", "A..B" or
// a date.
func createdMatches(expr string, t time.Time) bool {
	if expr == "" {
		return true
	}
	parse := func(s string) time.Time {
		for _, layout := range []string{time.RFC3339, "2006-01-02"} {
			if x, err := time.Parse(layout, s); err == nil {
				return x
			}
		}
		return time.Time{}
	}
	switch {
	case strings.HasPrefix(expr, ">="):
		return !t.Before(parse(expr[2:]))
	case strings.HasPrefix(expr, "<="):
		return !t.After(parse(expr[2:]))
	case strings.Contains(expr, ".."):
		a, b, _ := strings.Cut(expr, "..")
		return !t.Before(parse(a)) && !t.After(parse(b))
	}
	return t.Format("2006-01-02") == expr
}

func (s *Server) listRuns(rp *reply, r *http.Request, repo *Repo) {
	q := r.URL.Query()
	var rs []*github.WorkflowRun
	for i := len(repo.Runs) - 1; i >= 0; i-- {
		w := repo.Runs[i].GH
		if createdMatches(q.Get("created"), w.GetCreatedAt().Time) && (q.Get("status") == "" || q.Get("status") == w.GetStatus() || q.Get("status") == w.GetConclusion()) &&
			(q.Get("branch") == "" || q.Get("branch") == w.GetHeadBranch()) && (q.Get("event") == "" || q.Get("event") == w.GetEvent()) &&
			(q.Get("head_sha") == "" || q.Get("head_sha") == w.GetHeadSHA()) {
			rs = append(rs, w)
		}
	}
	lo, hi := pageOf(rp, r, len(rs))
	rp.json(http.StatusOK, &github.WorkflowRuns{TotalCount: github.Ptr(len(rs)), WorkflowRuns: append([]*github.WorkflowRun{}, rs[lo:hi]...)})
}

// jobOf is the one job the fake gives each run (the demo generates runs,
// not their jobs): "deploy", spanning the run.
func jobOf(w *github.WorkflowRun) *github.WorkflowJob {
	j := &github.WorkflowJob{
		ID: github.Ptr(w.GetID()*10 + 1), RunID: w.ID, NodeID: github.Ptr("J_" + strconv.FormatInt(w.GetID(), 10)),
		HeadBranch: w.HeadBranch, HeadSHA: w.HeadSHA, Status: w.Status, Conclusion: w.Conclusion, Name: github.Ptr("deploy"),
		CreatedAt: w.CreatedAt, StartedAt: w.RunStartedAt, WorkflowName: w.Name, RunAttempt: github.Ptr(int64(w.GetRunAttempt())),
		Labels: []string{"ubuntu-latest"}, Steps: []*github.TaskStep{},
	}
	if w.GetStatus() == "completed" {
		j.CompletedAt = w.UpdatedAt
	}
	return j
}

func (s *Server) listJobs(rp *reply, r *http.Request, repo *Repo) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	for _, w := range repo.Runs {
		if w.GH.GetID() == id {
			lo, hi := pageOf(rp, r, 1)
			jobs := []*github.WorkflowJob{jobOf(w.GH)}[lo:hi]
			rp.json(http.StatusOK, &github.Jobs{TotalCount: github.Ptr(1), Jobs: append([]*github.WorkflowJob{}, jobs...)})
			return
		}
	}
	rp.message(http.StatusNotFound, "Not Found")
}

func (s *Server) listReleases(rp *reply, r *http.Request, repo *Repo) {
	rs := slices.Clone(repo.Releases)
	slices.Reverse(rs)
	lo, hi := pageOf(rp, r, len(rs))
	rp.json(http.StatusOK, append([]*github.RepositoryRelease{}, rs[lo:hi]...))
}

// compare finds base and head on one branch (main first) and lists the
// commits after base up to head.
func (s *Server) compare(rp *reply, r *http.Request, repo *Repo) {
	base, head, ok := strings.Cut(r.PathValue("basehead"), "...")
	if !ok || base == "" || head == "" {
		rp.message(http.StatusNotFound, "Not Found")
		return
	}
	branches := []string{repo.GH.GetDefaultBranch()}
	for b := range repo.Branches {
		if b != branches[0] {
			branches = append(branches, b)
		}
	}
	sort.Strings(branches[1:])
	for _, b := range branches {
		log := repo.Branches[b]
		bi, hi := indexOf(log, base), indexOf(log, head)
		if bi < 0 || hi < 0 {
			continue
		}
		cmp := &github.CommitsComparison{
			Status: github.Ptr("identical"), AheadBy: github.Ptr(0), BehindBy: github.Ptr(0), TotalCommits: github.Ptr(0),
			BaseCommit: repo.Commits[base], MergeBaseCommit: repo.Commits[base], Commits: []*github.RepositoryCommit{}, Files: []*github.CommitFile{},
		}
		var between []string
		switch {
		case hi > bi:
			between = log[bi+1 : hi+1]
			cmp.Status, cmp.AheadBy, cmp.TotalCommits = github.Ptr("ahead"), github.Ptr(len(between)), github.Ptr(len(between))
		case hi < bi:
			cmp.Status, cmp.BehindBy, cmp.MergeBaseCommit = github.Ptr("behind"), github.Ptr(bi-hi), repo.Commits[head]
		}
		lo, up := pageOfMax(rp, r, len(between), 250, 250)
		for _, sha := range between[lo:up] {
			cmp.Commits = append(cmp.Commits, repo.Commits[sha])
		}
		rp.json(http.StatusOK, cmp)
		return
	}
	rp.message(http.StatusNotFound, "Not Found")
}

func indexOf(xs []string, x string) int {
	for i, y := range xs {
		if y == x {
			return i
		}
	}
	return -1
}
