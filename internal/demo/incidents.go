package demo

import (
	"fmt"
)

type incident struct {
	r        *repo
	n        int
	cause    *deployment // nil: not caused by a deployment
	culprit  *pull       // the change the cause shipped that broke things
	title    string
	sev      string
	opened   int64
	issue    *issue
	ciID     string
	fixSeq   uint64 // main sequence of the fix
	resolved bool
	oncall   *person
}

// openIncident opens an incident now, tracked as a GitHub issue labelled
// incident or as CI incident events depending on the team, and starts the
// recovery: a rollback, a revert or a hotfix.
func (e *engine) openIncident(inc *incident) {
	r := inc.r
	rng := r.rng
	pf := r.team.prof
	r.incidents++
	inc.n = r.incidents
	inc.opened = e.now
	inc.sev = "sev2"
	if chance(rng, 0.3) {
		inc.sev = "sev1"
	}
	members := r.team.members(e.now)
	inc.oncall = r.team.lead
	if len(members) > 0 {
		inc.oncall = pick(rng, members)
	}
	if inc.cause != nil {
		inc.title = "Incident: " + pick(rng, problems())
		if pf.freeze {
			r.freeze++
		}
	} else {
		inc.title = "Incident: " + pick(rng, unrelatedIncidents())
	}
	e.sum.Incidents++
	r.team.stats.incidents++

	if r.incidentIssues() {
		body := "Impact: customers affected. Investigating."
		if inc.cause != nil && chance(rng, 0.5) {
			body += "\n\nroot cause: " + inc.cause.sha
		}
		is := e.newIssue(r, inc.oncall, inc.title, body)
		is.incident = inc
		inc.issue = is
		e.sum.IncidentIssues++
		e.onObject(&is.last, e.now+1, func() { e.labelIssue(is, r.label("incident"), inc.oncall) })
		e.onObject(&is.last, e.now+2, func() { e.labelIssue(is, r.label(inc.sev), inc.oncall) })
		e.at(e.now+draw(rng, span{2 * minute, 20 * minute}), func() {
			e.commentIssue(is, inc.oncall, "Mitigation in progress.")
		})
	} else {
		inc.ciID = fmt.Sprintf("incident-%s-%d", r.name, inc.n)
		ev := &CIEvent{
			Event: "incident_opened", Repo: r.full, ID: inc.ciID, Environment: "production",
			Metadata: map[string]any{"title": inc.title, "severity": inc.sev, "reported_by": inc.oncall.login},
		}
		if inc.cause != nil {
			ev.SHA = inc.cause.sha
			ev.Deployment = inc.cause.prodCI
		}
		e.ci(ev)
	}

	if inc.cause == nil {
		e.at(e.now+draw(rng, pf.mitigate), func() { e.resolveIncident(inc) })
		return
	}
	react := draw(rng, span{5 * minute, 30 * minute})
	if !pf.onCall {
		react = inc.oncall.cal.add(e.now, draw(rng, span{15 * minute, 3 * hour})) - e.now
	}
	switch {
	case inc.cause.prevSHA != "" && chance(rng, pf.rollbackP):
		e.at(e.now+react, func() { e.rollback(inc) })
	case chance(rng, pf.revertP) && inc.culprit.merged:
		e.at(e.now+react, func() { e.fixPull(inc, pullRevert, true) })
	default:
		e.at(e.now+react, func() { e.fixPull(inc, pullHotfix, true) })
	}
}

// fixPull starts the pull request that fixes an incident. With resolve, the
// incident is resolved once the fix is deployed; either way the fix lifts
// the deploy freeze when merged.
func (e *engine) fixPull(inc *incident, kind pullKind, resolve bool) {
	r := inc.r
	author := inc.oncall
	if c := inc.culprit; kind == pullRevert && c.author.active(e.now) && !c.author.independent && !c.author.bot {
		author = c.author
	}
	var fix *incident
	if resolve {
		fix = inc
	}
	e.startPull(r, kind, author, e.now, fix, r.team.prof.freeze, inc.culprit)
}

// rollback redeploys the previous good sha now and reports the rollback.
// The freeze stays until a revert lands, or the next deploy would ship the
// bad change again.
func (e *engine) rollback(inc *incident) {
	r := inc.r
	if r.deploying {
		e.fixPull(inc, pullHotfix, true)
		return
	}
	d := &deployment{
		r: r, sha: inc.cause.prevSHA, ref: "main", upto: inc.cause.prevUpto, reason: reasonRollback,
		trigger: inc.oncall, desc: "Rollback to " + inc.cause.prevSHA[:7], rollback: inc,
	}
	e.ci(&CIEvent{
		Event: "rollback", Repo: r.full, SHA: d.sha, Ref: "main", Environment: "production",
		ID: fmt.Sprintf("rollback-%s-%d", r.name, inc.n), Deployment: inc.cause.prodCI,
		Metadata: map[string]any{"from": inc.cause.sha, "to": d.sha, "by": inc.oncall.login},
	})
	e.sum.Rollbacks++
	e.runDeploy(d)
	if inc.culprit.merged {
		later := inc.oncall.cal.add(e.now, draw(e.rng, span{30 * minute, 4 * hour}))
		e.at(later, func() { e.startPull(r, pullRevert, inc.oncall, e.now, nil, r.team.prof.freeze, inc.culprit) })
	} else if r.team.prof.freeze {
		e.thaw(r)
	}
}

func (e *engine) resolveIncident(inc *incident) {
	if inc.resolved {
		return
	}
	r := inc.r
	inc.resolved = true
	if r.incident == inc {
		r.incident = nil
	}
	e.sum.IncidentsResolved++
	r.team.stats.restores = append(r.team.stats.restores, e.now-inc.opened)
	if is := inc.issue; is != nil {
		e.commentIssue(is, inc.oncall, "Resolved. Post-mortem to follow.")
		e.closeIssue(is, inc.oncall, "completed")
		return
	}
	e.ci(&CIEvent{
		Event: "incident_resolved", Repo: r.full, ID: inc.ciID, Environment: "production",
		Metadata: map[string]any{"title": inc.title, "resolved_by": inc.oncall.login},
	})
}

// planUnrelated schedules the next incident of r that no deployment caused
// (an outage upstream, an expired certificate).
func (e *engine) planUnrelated(r *repo, from int64) {
	rate := r.team.prof.unrelated / (365 * daySeconds)
	gap := int64(e.rng.ExpFloat64() / rate)
	t := from + gap
	e.at(t, func() {
		e.openIncident(&incident{r: r})
		e.planUnrelated(r, e.now)
	})
}
