package demo

import (
	"math/rand/v2"

	"github.com/google/go-github/v89/github"
)

// repo is a repository with its generation state.
type repo struct {
	idx        int
	name, full string
	id         int64
	team       *team
	style      string
	staging    bool
	dependabot bool       // else renovate
	methods    [3]float64 // merge, squash, rebase weights
	weight     float64    // share of its team's work
	rng        *rand.Rand // the repository's own stream of choices
	createdAt  int64
	pushedAt   int64
	gh         *github.Repository
	labels     map[string]*github.Label

	number      int // last issue or pull request number (shared, as on GitHub)
	mainHead    string
	mainSeq     uint64   // changes landed on main so far
	mainLog     []landed // landed on main, not yet in a production deployment
	shippedUpto uint64   // mainSeq of the newest change a production deploy shipped
	openIssues  []*issue

	deploys      int // deployment counter: CI ids, run numbers
	runNumber    int
	workflowID   int64
	releases     int
	lastRelease  string
	prod         deployRef // last successful production deployment
	deploying    bool      // a deployment (with its retries) is under way
	queued       bool      // a deployment start is scheduled
	want         int       // a deploy reason asked for while one ran
	deferred     bool      // a regular deploy was held back by a freeze
	freeze       int       // open incidents or unmerged fixes that hold deploys
	incident     *incident // the open incident caused by a deploy
	waiting      []*incident
	incidents    int
	pipelineRuns int
	pullRate     float64 // feature pull requests per working second of the team
	issueRate    float64
}

// landed is a change that reached main: a merged pull request or a direct
// push.
type landed struct {
	seq      uint64
	sha      string
	pull     *pull // nil for a direct push
	authored int64 // first commit of the pull request, or the pushed commit
}

type deployRef struct {
	sha  string
	upto uint64
	ci   string // CI event id, for ci styles
}

func (r *repo) githubDeploys() bool { return r.style == StyleGitHub || r.style == StyleGitHubCI }
func (r *repo) workflowRuns() bool  { return r.style == StyleGitHub || r.style == StyleWorkflow }
func (r *repo) ciDeploys() bool     { return r.style == StyleCI || r.style == StyleGitHubCI }

// incidentIssues reports whether the team tracks incidents as GitHub issues;
// teams with an outside pipeline report them as CI events.
func (r *repo) incidentIssues() bool { return !r.ciDeploys() }

func (r *repo) label(name string) *github.Label { return r.labels[name] }

func (r *repo) pickMethod() string {
	f := r.rng.Float64() * (r.methods[0] + r.methods[1] + r.methods[2])
	switch {
	case f < r.methods[0]:
		return "merge"
	case f < r.methods[0]+r.methods[1]:
		return "squash"
	}
	return "rebase"
}

func (r *repo) removeOpenIssue(is *issue) {
	for i, o := range r.openIssues {
		if o == is {
			r.openIssues = append(r.openIssues[:i], r.openIssues[i+1:]...)
			return
		}
	}
}

// landOnMain records a change reaching main.
func (r *repo) landOnMain(sha string, p *pull, authored, now int64) {
	r.mainHead = sha
	r.mainSeq++
	r.mainLog = append(r.mainLog, landed{seq: r.mainSeq, sha: sha, pull: p, authored: authored})
	r.pushedAt = now
}
