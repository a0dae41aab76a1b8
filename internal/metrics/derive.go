package metrics

import (
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/sextant-dev/sextant/internal/core"
)

// sourceRank orders the sources of one deploy reported twice: the
// canonical deployment is GitHub's, else the CI event's, else the
// workflow run's.
func sourceRank(s string) int {
	switch s {
	case core.SourceGitHub:
		return 0
	case core.SourceCI:
		return 1
	case core.SourceWorkflow:
		return 2
	}
	return 3
}

func final(status string) bool {
	return status == statusSuccess || status == statusFailure || status == statusError
}

// dedup groups the reports of one deploy: deployments of the same
// environment and sha with the same outcome, from different sources, whose
// times are within window of the group's first. Each group's canonical
// member (by source, then time, then id) stands for it, at the group's
// earliest time.
func dedup(ds []*deployment, window time.Duration) {
	sort.Slice(ds, func(i, j int) bool {
		if ds[i].at != ds[j].at {
			return ds[i].at < ds[j].at
		}
		return ds[i].id < ds[j].id
	})
	type group struct {
		first   *deployment
		members []*deployment
	}
	var groups []*group
	open := map[string][]*group{}
	for _, d := range ds {
		if d.sha == "" || !final(d.status) || window <= 0 {
			groups = append(groups, &group{d, []*deployment{d}})
			continue
		}
		outcome := "failed"
		if d.success() {
			outcome = "ok"
		}
		key := d.env + "\x00" + d.sha[:min(7, len(d.sha))] + "\x00" + outcome
		var into *group
		for _, g := range open[key] {
			if d.at-g.first.at > window.Milliseconds() || !sameSHA(longer(g.first.sha, d.sha), shorter(g.first.sha, d.sha)) {
				continue
			}
			taken := false
			for _, m := range g.members {
				taken = taken || m.source == d.source
			}
			if !taken {
				into = g
				break
			}
		}
		if into == nil {
			into = &group{d, nil}
			groups = append(groups, into)
			open[key] = append(open[key], into)
		}
		into.members = append(into.members, d)
	}
	for _, g := range groups {
		canon := g.members[0]
		at := canon.at
		for _, m := range g.members[1:] {
			if r, c := sourceRank(m.source), sourceRank(canon.source); r < c || r == c && m.id < canon.id {
				canon = m
			}
			at = min(at, m.at)
		}
		canon.at = at
		canon.members = append([]*deployment{canon}, without(g.members, canon)...)
		for _, m := range g.members {
			m.canonical = canon
		}
	}
}

func longer(a, b string) string {
	if len(a) >= len(b) {
		return a
	}
	return b
}

func shorter(a, b string) string {
	if len(a) >= len(b) {
		return b
	}
	return a
}

func without(ds []*deployment, x *deployment) []*deployment {
	out := make([]*deployment, 0, len(ds))
	for _, d := range ds {
		if d != x {
			out = append(out, d)
		}
	}
	return out
}

// chains links each counted deployment to the previous one of its
// environment; the first of each environment is a baseline.
func chains(r *repoData) []*deployment {
	var counted []*deployment
	for _, d := range r.deployments {
		if d.counted() {
			counted = append(counted, d)
		}
	}
	sort.Slice(counted, func(i, j int) bool {
		if counted[i].at != counted[j].at {
			return counted[i].at < counted[j].at
		}
		return counted[i].id < counted[j].id
	})
	last := map[string]*deployment{}
	for _, d := range counted {
		d.prev = last[d.env]
		d.baseline = d.prev == nil
		last[d.env] = d
	}
	return counted
}

// ship finds what each counted deployment shipped: the commits the compare
// API stored for it (or a duplicate of it), else the push history between
// it and the previous deployment of its chain. A baseline ships nothing
// measurable.
func ship(r *repoData, counted []*deployment) {
	for _, d := range counted {
		if d.baseline {
			continue
		}
		var shas []string
		for _, m := range d.members {
			shas = append(shas, r.compare[m.id]...)
		}
		if len(shas) > 0 {
			seen := map[string]bool{}
			for _, s := range shas {
				if seen[s] {
					continue
				}
				seen[s] = true
				c := shippedCommit{sha: s}
				if pos := r.history.bySHA[s]; len(pos) > 0 {
					c.push = pos[0].p
				}
				d.shipped = append(d.shipped, c)
			}
			d.commitsSource, d.commitsKnown = "compare", true
			continue
		}
		if d.sha == "" || d.prev.sha == "" {
			continue
		}
		if cs, ok := r.history.between(d.sha, d.prev.sha, candidateRefs(d.ref, r.defaultBranch)); ok {
			d.shipped, d.commitsSource, d.commitsKnown = cs, "pushes", true
		}
	}
}

// assign gives each merged pull request the earliest counted deployment
// that shipped its merge commit (merge, squash and rebase merges alike),
// and each directly pushed commit the earliest deployment that shipped it.
// It returns, per commit, the deployment that first shipped it.
func assign(r *repoData, counted []*deployment) map[string]*deployment {
	first := map[string]*deployment{}
	pushHasPull := map[*push]bool{}
	for _, p := range r.history.pushes {
		for _, c := range p.commits {
			if r.pullByMerge[c] != nil {
				pushHasPull[p] = true
				break
			}
		}
	}
	for _, d := range counted {
		for _, c := range d.shipped {
			if first[c.sha] != nil {
				continue
			}
			first[c.sha] = d
			if p := r.pullByMerge[c.sha]; p != nil {
				if p.deployment == nil {
					p.deployment = d
					d.pulls = append(d.pulls, p)
				}
				continue
			}
			// A commit is a direct push unless a pull request lists it or
			// it came in the push that merged a pull request (the other
			// commits of a rebase merge).
			if r.prCommits[c.sha] || c.push != nil && pushHasPull[c.push] {
				continue
			}
			if info, ok := r.commits[c.sha]; ok && info.authoredAt != 0 && d.at >= info.authoredAt {
				d.directLeads = append(d.directLeads, d.at-info.authoredAt)
			}
		}
	}
	return first
}

// Incident link kinds.
const (
	linkNamed     = "named"      // the CI event or rollback named the deployment
	linkRootCause = "root_cause" // the issue body named a commit: "root cause: <sha>"
	linkWindow    = "window"     // the latest production deployment before it, within the window
)

var rootCause = regexp.MustCompile(`(?i)root\s*cause\s*:\s*([0-9a-f]{7,40})\b`)

type incidentLink struct {
	deployment   *deployment
	deploymentID int64 // a deployment of another repository, named by a CI event
	kind         string
}

// link blames each incident on a deployment: the one it names, else the
// latest counted deployment of its repository that finished before it
// opened, within window; none outside the window.
func link(r *repoData, counted []*deployment, first map[string]*deployment, window time.Duration, bodies map[string]string) map[int64]incidentLink {
	byID := map[int64]*deployment{}
	for _, d := range r.deployments {
		byID[d.id] = d
	}
	out := map[int64]incidentLink{}
	for _, in := range r.incidents {
		if in.deploymentID != 0 {
			if d := byID[in.deploymentID]; d != nil {
				out[in.id] = incidentLink{deployment: d.canonical, kind: linkNamed}
			} else {
				out[in.id] = incidentLink{deploymentID: in.deploymentID, kind: linkNamed}
			}
			continue
		}
		if in.source == core.IncidentSourceGitHub {
			if m := rootCause.FindStringSubmatch(bodies[in.sourceID]); m != nil {
				if d := shippedBy(strings.ToLower(m[1]), counted, first); d != nil {
					out[in.id] = incidentLink{deployment: d, kind: linkRootCause}
					continue
				}
			}
		}
		// counted is sorted by time: the last one before the opening.
		i := sort.Search(len(counted), func(i int) bool { return counted[i].at >= in.openedAt })
		if i > 0 && in.openedAt-counted[i-1].at <= window.Milliseconds() {
			out[in.id] = incidentLink{deployment: counted[i-1], kind: linkWindow}
		}
	}
	return out
}

// shippedBy is the deployment that first shipped a commit named by a
// possibly abbreviated sha, else the earliest deployment of that sha.
func shippedBy(sha string, counted []*deployment, first map[string]*deployment) *deployment {
	if d := first[sha]; d != nil {
		return d
	}
	var best *deployment
	for c, d := range first {
		if sameSHA(c, sha) && (best == nil || d.at < best.at || d.at == best.at && d.id < best.id) {
			best = d
		}
	}
	if best != nil {
		return best
	}
	for _, d := range counted {
		if sameSHA(longer(d.sha, sha), shorter(d.sha, sha)) {
			return d
		}
	}
	return nil
}

// rollbackTargets resolves what each rollback rolled back: the deployment
// the CI intake marked, else the latest counted deployment of its
// environment at or before it. The intake compares environments exactly;
// here they compare ignoring case, as everywhere in the metrics.
func rollbackTargets(r *repoData, counted []*deployment) map[int64]*deployment {
	byID := map[int64]*deployment{}
	for _, d := range r.deployments {
		byID[d.id] = d
	}
	out := map[int64]*deployment{}
	for _, rb := range r.rollbacks {
		if rb.deploymentID != 0 {
			// One of another repository, when not of this one: not ours.
			if d := byID[rb.deploymentID]; d != nil {
				out[rb.id] = d.canonical
			}
			continue
		}
		for i := len(counted) - 1; i >= 0; i-- {
			if d := counted[i]; d.env == rb.env && d.at <= rb.at {
				out[rb.id] = d
				break
			}
		}
	}
	return out
}

// rework marks the counted deployments that were unplanned fixes: they
// shipped a pull request labelled as a fix or a revert, a revert commit,
// or they are the first deployment of their environment after a rollback.
func rework(r *repoData, counted []*deployment, reworkLabels []string) {
	for _, p := range r.pulls {
		p.isRework = hasLabel(p.labels, reworkLabels) || strings.HasPrefix(p.title, `Revert "`)
	}
	for _, d := range counted {
		for _, p := range d.pulls {
			d.rework = d.rework || p.isRework
		}
		for _, c := range d.shipped {
			d.rework = d.rework || r.commits[c.sha].revert
		}
	}
	for _, rb := range r.rollbacks {
		for _, d := range counted {
			if d.env == rb.env && d.at > rb.at {
				d.rework = true
				break
			}
		}
	}
}

func monthOf(ms int64) int64 {
	t := time.UnixMilli(ms).UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC).UnixMilli()
}

// span returns end-start when both are known and it is not negative:
// a negative span is unknown, not zero.
func spanMS(start, end int64) any {
	if start == 0 || end == 0 || end < start {
		return nil
	}
	return end - start
}

func orNil(v int64) any {
	if v == 0 {
		return nil
	}
	return v
}

func orNilString(s string) any {
	if s == "" {
		return nil
	}
	return s
}
