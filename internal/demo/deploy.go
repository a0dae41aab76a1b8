package demo

import (
	"encoding/json"
	"fmt"

	"github.com/google/go-github/v89/github"
)

// Why a deployment starts.
const (
	reasonNone     = iota
	reasonRegular  // continuous deployment or a scheduled train
	reasonFix      // ships a fix for an open incident at once
	reasonRollback // puts the previous good sha back
)

type deployment struct {
	r        *repo
	n        int // per repository
	attempt  int
	sha, ref string
	upto     uint64
	reason   int
	desc     string
	trigger  *person
	prevSHA  string // the previous successful production deployment
	prevUpto uint64
	prodCI   string // CI event id of the production step
	runID    int64
	runNum   int
	rollback *incident // the incident a rollback answers
	created  int64
}

// requestDeploy asks for a deployment after delay. While one is queued or
// running the request is remembered and served when it ends, which batches
// merges the way a deploy pipeline does.
func (e *engine) requestDeploy(r *repo, reason int, delay int64) {
	if r.deploying || r.queued {
		r.want = max(r.want, reason)
		return
	}
	r.queued = true
	e.at(e.now+delay, func() {
		r.queued = false
		e.startDeploy(r, reason, "main", nil)
	})
}

// startDeploy deploys main's head now, unless a freeze holds regular
// deploys or nothing landed since the last production deploy.
func (e *engine) startDeploy(r *repo, reason int, ref string, by *person) bool {
	if r.deploying {
		r.want = max(r.want, reason)
		return false
	}
	if reason == reasonRegular && r.freeze > 0 {
		r.deferred = true
		return false
	}
	if r.mainSeq == r.prod.upto {
		return false
	}
	if by == nil {
		by = r.team.lead
		if ms := r.team.members(e.now); len(ms) > 0 {
			by = pick(r.rng, ms)
		}
	}
	d := &deployment{r: r, sha: r.mainHead, ref: ref, upto: r.mainSeq, reason: reason, trigger: by, desc: "Deploy " + r.mainHead[:7]}
	e.runDeploy(d)
	return true
}

// thaw lifts one hold on regular deploys and serves one held back.
func (e *engine) thaw(r *repo) {
	if r.freeze > 0 {
		r.freeze--
	}
	if r.freeze == 0 && r.deferred {
		r.deferred = false
		e.requestDeploy(r, reasonRegular, draw(r.rng, span{5 * minute, 20 * minute}))
	}
}

// runDeploy plays one attempt: staging first when the repository has it,
// then production. A failed attempt is retried after a while with the same
// sha (a re-run of the same workflow run), up to three attempts.
func (e *engine) runDeploy(d *deployment) {
	r := d.r
	rng := r.rng
	pf := r.team.prof
	r.deploying = true
	if d.attempt == 0 {
		r.deploys++
		d.n = r.deploys
		d.attempt = 1
		d.prevSHA, d.prevUpto = r.prod.sha, r.prod.upto
		if r.workflowRuns() {
			d.runID = e.ids.take(idWorkflowRun)
			r.runNumber++
			d.runNum = r.runNumber
		}
	}
	d.created = e.now
	envs := []string{"production"}
	if r.staging && d.reason != reasonRollback {
		envs = []string{"staging", "production"}
	}
	failAt := -1
	if d.reason != reasonRollback && chance(rng, pf.failP) {
		failAt = len(envs) - 1
		if len(envs) > 1 && chance(rng, 0.4) {
			failAt = 0
		}
	}
	t := e.now
	for i, env := range envs {
		ok := i != failAt
		dur := draw(rng, pf.deployDur)
		start, end := t, t+dur
		gd := &github.Deployment{}
		if r.githubDeploys() {
			e.at(start, func() { *gd = *e.createDeployment(d, env) })
			e.at(start+20+int64(rng.IntN(40)), func() { e.deploymentStatus(d, gd, "in_progress") })
		}
		e.at(end, func() {
			state := "success"
			if !ok {
				state = "failure"
				e.sum.FailedDeployments++
			}
			if r.githubDeploys() {
				e.deploymentStatus(d, gd, state)
			}
			if r.ciDeploys() {
				e.ciDeploy(d, env, state, end-start)
			}
			e.sum.Deployments++
			if env == "production" {
				e.sum.ProductionDeployments++
				if ok {
					e.prodSuccess(d)
				}
			}
		})
		t = end
		if !ok {
			break
		}
		if i < len(envs)-1 {
			t += draw(rng, span{2 * minute, 10 * minute}) // soak in staging
		}
	}
	done := t
	if r.workflowRuns() {
		done = t + 3 + int64(rng.IntN(30))
		ok := failAt < 0
		e.at(done, func() { e.workflowRun(d, ok) })
	}
	e.at(done, func() {
		if failAt >= 0 && d.attempt < 3 {
			d.attempt++
			e.at(e.now+draw(rng, span{10 * minute, 90 * minute}), func() { e.runDeploy(d) })
			return
		}
		r.deploying = false
		if w := r.want; w != reasonNone {
			r.want = reasonNone
			e.requestDeploy(r, w, draw(rng, span{2 * minute, 10 * minute}))
		}
	})
}

func (e *engine) deploymentObject(d *deployment, id int64, env string) *github.Deployment {
	r := d.r
	payload := json.RawMessage(`{}`)
	if d.reason == reasonRollback {
		payload = json.RawMessage(`{"rollback":true}`)
	}
	return &github.Deployment{
		URL:           str(fmt.Sprintf("%s/repos/%s/deployments/%d", apiURL, r.full, id)),
		ID:            github.Ptr(id),
		NodeID:        str(nodeID("Deployment", id)),
		SHA:           str(d.sha),
		Ref:           str(d.ref),
		Task:          str("deploy"),
		Payload:       payload,
		Environment:   str(env),
		Description:   str(d.desc),
		Creator:       e.actions.user,
		CreatedAt:     e.nowTS(),
		UpdatedAt:     e.nowTS(),
		StatusesURL:   str(fmt.Sprintf("%s/repos/%s/deployments/%d/statuses", apiURL, r.full, id)),
		RepositoryURL: str(apiURL + "/repos/" + r.full),
	}
}

func (e *engine) createDeployment(d *deployment, env string) *github.Deployment {
	id := e.ids.take(idDeployment)
	gd := e.deploymentObject(d, id, env)
	ev := &github.DeploymentEvent{
		Deployment: gd, Repo: d.r.repoAt(), Sender: e.actions.user, Installation: e.install, Org: e.org,
	}
	if d.runID != 0 {
		ev.Workflow = e.deployWorkflow(d.r)
		ev.WorkflowRun = e.workflowRunObject(d, "in_progress", "")
	}
	e.webhook("deployment", "created", ev)
	e.sum.GitHubDeployments++
	return gd
}

func (e *engine) deploymentStatus(d *deployment, gd *github.Deployment, state string) {
	r := d.r
	id := e.ids.take(idDeploymentStatus)
	dep := *gd
	dep.UpdatedAt = e.nowTS()
	logURL := fmt.Sprintf("%s/%s/actions/runs/%d", htmlURL, r.full, d.runID)
	e.webhook("deployment_status", "created", &github.DeploymentStatusEvent{
		Action:     str("created"),
		Deployment: &dep,
		DeploymentStatus: &github.DeploymentStatus{
			ID:            github.Ptr(id),
			NodeID:        str(nodeID("DeploymentStatus", id)),
			State:         str(state),
			Creator:       e.actions.user,
			Description:   str(d.desc),
			Environment:   gd.Environment,
			CreatedAt:     e.nowTS(),
			UpdatedAt:     e.nowTS(),
			TargetURL:     str(logURL),
			LogURL:        str(logURL),
			DeploymentURL: gd.URL,
			RepositoryURL: gd.RepositoryURL,
			URL:           str(fmt.Sprintf("%s/statuses/%d", gd.GetURL(), id)),
		},
		Repo: r.repoAt(), Sender: e.actions.user, Installation: e.install, Org: e.org,
	})
}

func (e *engine) deployWorkflow(r *repo) *github.Workflow {
	if r.workflowID == 0 {
		r.workflowID = e.ids.take(idWorkflow)
	}
	name, path := "Deploy production", ".github/workflows/deploy.yml"
	return &github.Workflow{
		ID:        github.Ptr(r.workflowID),
		NodeID:    str(nodeID("Workflow", r.workflowID)),
		Name:      str(name),
		Path:      str(path),
		State:     str("active"),
		CreatedAt: ts(r.createdAt),
		UpdatedAt: ts(r.createdAt),
		URL:       str(fmt.Sprintf("%s/repos/%s/actions/workflows/%d", apiURL, r.full, r.workflowID)),
		HTMLURL:   str(fmt.Sprintf("%s/%s/blob/main/%s", htmlURL, r.full, path)),
		BadgeURL:  str(fmt.Sprintf("%s/%s/workflows/deploy/badge.svg", htmlURL, r.full)),
	}
}

func (e *engine) workflowRunObject(d *deployment, status, conclusion string) *github.WorkflowRun {
	r := d.r
	wf := e.deployWorkflow(r)
	event := "push"
	if d.reason == reasonRollback {
		event = "workflow_dispatch"
	}
	run := &github.WorkflowRun{
		ID:              github.Ptr(d.runID),
		Name:            wf.Name,
		NodeID:          str(nodeID("WorkflowRun", d.runID)),
		HeadBranch:      str("main"),
		HeadSHA:         str(d.sha),
		Path:            wf.Path,
		RunNumber:       github.Ptr(d.runNum),
		RunAttempt:      github.Ptr(d.attempt),
		Event:           str(event),
		DisplayTitle:    str(d.desc),
		Status:          str(status),
		WorkflowID:      wf.ID,
		URL:             str(fmt.Sprintf("%s/repos/%s/actions/runs/%d", apiURL, r.full, d.runID)),
		HTMLURL:         str(fmt.Sprintf("%s/%s/actions/runs/%d", htmlURL, r.full, d.runID)),
		CreatedAt:       ts(d.created),
		UpdatedAt:       e.nowTS(),
		RunStartedAt:    ts(d.created),
		WorkflowURL:     wf.URL,
		Repository:      r.repoAt(),
		HeadRepository:  r.repoAt(),
		Actor:           d.trigger.user,
		TriggeringActor: d.trigger.user,
		PullRequests:    []*github.PullRequest{},
	}
	if conclusion != "" {
		run.Conclusion = str(conclusion)
	}
	return run
}

func (e *engine) workflowRun(d *deployment, ok bool) {
	conclusion := "success"
	if !ok {
		conclusion = "failure"
	}
	e.webhook("workflow_run", "completed", &github.WorkflowRunEvent{
		Action:       str("completed"),
		Workflow:     e.deployWorkflow(d.r),
		WorkflowRun:  e.workflowRunObject(d, "completed", conclusion),
		Org:          e.org,
		Repo:         d.r.repoAt(),
		Sender:       d.trigger.user,
		Installation: e.install,
	})
	e.sum.WorkflowRuns++
}

func (e *engine) ciDeploy(d *deployment, env, state string, dur int64) {
	r := d.r
	id := fmt.Sprintf("deploy-%s-%d-%s-%d", r.name, d.n, env, d.attempt)
	if env == "production" {
		d.prodCI = id
	}
	md := map[string]any{"pipeline": "jenkins", "build": d.n, "attempt": d.attempt, "triggered_by": d.trigger.login}
	if d.reason == reasonRollback {
		md["rollback"] = true
	}
	e.ci(&CIEvent{
		Event: "deploy", Repo: r.full, SHA: d.sha, Ref: d.ref, Environment: env, Status: state,
		ID: id, URL: fmt.Sprintf("https://ci.%s/job/%s/%d", e.companies[0].domain, r.name, d.n),
		DurationMS: dur * 1000, Metadata: md,
	})
	e.sum.CIDeploys++
}

// prodSuccess is a successful production deployment: the chain moves on,
// the changes it shipped are recorded, incidents waiting for a fix it
// carries are resolved, and sometimes it causes an incident.
func (e *engine) prodSuccess(d *deployment) {
	r := d.r
	rng := r.rng
	pf := r.team.prof
	st := &r.team.stats
	r.prod = deployRef{sha: d.sha, upto: d.upto, ci: d.prodCI}
	e.sum.SuccessfulProductionDeployments++
	st.deploys++
	shipped := 0
	var culprit *pull
	if d.upto > r.shippedUpto {
		k := 0
		for ; k < len(r.mainLog) && r.mainLog[k].seq <= d.upto; k++ {
			l := r.mainLog[k]
			if l.pull != nil {
				st.leads = append(st.leads, e.now-l.authored)
				st.deployedPulls++
				culprit = l.pull
			}
			shipped++
		}
		r.mainLog = r.mainLog[k:]
		r.shippedUpto = d.upto
	}
	for i := 0; i < len(r.waiting); i++ {
		if inc := r.waiting[i]; inc.fixSeq <= d.upto {
			r.waiting = append(r.waiting[:i], r.waiting[i+1:]...)
			i--
			e.at(e.now+draw(rng, span{2 * minute, 10 * minute}), func() { e.resolveIncident(inc) })
		}
	}
	if inc := d.rollback; inc != nil {
		e.at(e.now+draw(rng, span{1 * minute, 5 * minute}), func() { e.resolveIncident(inc) })
		return
	}
	if shipped > 0 && culprit != nil && r.incident == nil && chance(rng, pf.cfr) {
		inc := &incident{r: r, cause: d, culprit: culprit}
		r.incident = inc
		st.changeFailures++
		e.at(e.now+draw(rng, pf.detect), func() { e.openIncident(inc) })
	}
}
