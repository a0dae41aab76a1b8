package demo

import (
	"fmt"

	"github.com/google/go-github/v89/github"
)

type issue struct {
	r           *repo
	author      *person
	number      int
	id          int64
	title, body string
	labels      []*github.Label
	open        bool
	stateReason string
	created     int64
	closedAt    int64
	closedBy    *person
	comments    int
	last        int64
	linked      bool      // an open pull request will close it
	incident    *incident // the incident it tracks
	movedTo     *issue    // where it was transferred
}

// current follows transfers: later steps planned for an issue apply to the
// issue it became.
func (is *issue) current() *issue {
	for is.movedTo != nil {
		is = is.movedTo
	}
	return is
}

func (e *engine) issueObject(is *issue) *github.Issue {
	r := is.r
	state := "closed"
	if is.open {
		state = "open"
	}
	o := &github.Issue{
		ID:                github.Ptr(is.id),
		NodeID:            str(nodeID("Issue", is.id)),
		Number:            github.Ptr(is.number),
		State:             str(state),
		Locked:            github.Ptr(false),
		Title:             str(is.title),
		Body:              str(is.body),
		AuthorAssociation: str(is.author.association()),
		User:              is.author.user,
		Labels:            append([]*github.Label{}, is.labels...),
		Comments:          github.Ptr(is.comments),
		CreatedAt:         ts(is.created),
		UpdatedAt:         e.nowTS(),
		URL:               str(fmt.Sprintf("%s/repos/%s/issues/%d", apiURL, r.full, is.number)),
		HTMLURL:           str(fmt.Sprintf("%s/%s/issues/%d", htmlURL, r.full, is.number)),
		CommentsURL:       str(fmt.Sprintf("%s/repos/%s/issues/%d/comments", apiURL, r.full, is.number)),
		EventsURL:         str(fmt.Sprintf("%s/repos/%s/issues/%d/events", apiURL, r.full, is.number)),
		LabelsURL:         str(fmt.Sprintf("%s/repos/%s/issues/%d/labels{/name}", apiURL, r.full, is.number)),
		RepositoryURL:     str(apiURL + "/repos/" + r.full),
		Assignees:         []*github.User{},
	}
	if !is.open {
		o.ClosedAt = ts(is.closedAt)
		o.StateReason = str(is.stateReason)
		if is.closedBy != nil {
			o.ClosedBy = is.closedBy.user
		}
	}
	return o
}

func (e *engine) issuesEvent(is *issue, action string, sender *person, label *github.Label) *github.IssuesEvent {
	return &github.IssuesEvent{
		Action:       str(action),
		Issue:        e.issueObject(is),
		Label:        label,
		Repo:         is.r.repoAt(),
		Sender:       sender.user,
		Installation: e.install,
		Org:          e.org,
	}
}

// newIssue opens an issue now.
func (e *engine) newIssue(r *repo, author *person, title, body string) *issue {
	r.number++
	is := &issue{
		r: r, author: author, number: r.number, id: e.ids.take(idIssue),
		title: title, body: body, open: true, created: e.now, last: e.now,
	}
	e.webhook("issues", "opened", e.issuesEvent(is, "opened", author, nil))
	e.sum.Issues++
	return is
}

// startIssue plans an ordinary issue: opened, labelled, answered, maybe
// transferred to a sibling repository, and usually closed.
func (e *engine) startIssue(r *repo, t0 int64) {
	rng := r.rng
	pf := r.team.prof
	members := r.team.members(t0)
	if len(members) == 0 {
		return
	}
	author := pick(rng, members)
	switch f := rng.Float64(); {
	case f < 0.45:
	case f < 0.75 && len(e.indeps) > 0:
		author = pick(rng, e.indeps)
	default:
		if ms := e.teams[rng.IntN(len(e.teams))].members(t0); len(ms) > 0 {
			author = pick(rng, ms)
		}
	}
	at := author.cal.add(author.cal.next(t0), int64(rng.IntN(3*hour)))
	title := pick(rng, issueTitles())
	label := "bug"
	switch f := rng.Float64(); {
	case f < 0.4:
		label = "enhancement"
	case f < 0.55:
		label = "question"
	case f < 0.6:
		label = "documentation"
	}
	is := &issue{r: r}
	e.at(at, func() {
		*is = *e.newIssue(r, author, title, "Steps to reproduce and details in the thread.")
		r.openIssues = append(r.openIssues, is)
	})
	e.onObject(&is.last, at+1, func() { e.labelIssue(is.current(), r.label(label), author) })

	responder := pick(rng, members)
	resp := responder.cal.add(at, draw(rng, span{30 * minute, 16 * hour}))
	if chance(rng, 0.85) {
		e.at(resp, func() { e.commentIssue(is.current(), responder, pick(r.rng, conversation())) })
	}
	for range poisson(rng, 0.8) {
		who := pick(rng, []*person{author, responder})
		t := resp + int64(rng.IntN(5*daySeconds))
		e.at(t, func() { e.commentIssue(is.current(), who, pick(r.rng, conversation())) })
	}
	if len(r.team.repos) > 1 && chance(rng, 0.06) {
		to := r.team.repos[rng.IntN(len(r.team.repos))]
		if to != r {
			e.at(resp+int64(rng.IntN(2*daySeconds))+60, func() { e.transferIssue(is, to, responder) })
		}
	}
	if chance(rng, 0.7) {
		closer := responder
		reason := "completed"
		if chance(rng, 0.2) {
			reason = "not_planned"
		}
		t := closer.cal.add(resp, draw(rng, span{2 * hour, 20 * pf.pickup[1]}))
		e.at(t, func() { e.closeIssue(is.current(), closer, reason) })
	}
}

func (e *engine) labelIssue(is *issue, l *github.Label, by *person) {
	if !is.open {
		return
	}
	is.labels = append(is.labels, l)
	e.webhook("issues", "labeled", e.issuesEvent(is, "labeled", by, l))
}

// commentIssue comments now, or a second later if the issue changed this
// second.
func (e *engine) commentIssue(is *issue, by *person, body string) {
	if is.id == 0 {
		return
	}
	e.onObject(&is.last, e.now, func() {
		is.comments++
		e.webhook("issue_comment", "created", &github.IssueCommentEvent{
			Action:       str("created"),
			Issue:        e.issueObject(is),
			Comment:      e.commentObject(is.r, is.number, by, body),
			Repo:         is.r.repoAt(),
			Sender:       by.user,
			Organization: e.org,
			Installation: e.install,
		})
	})
}

func (e *engine) closeIssue(is *issue, by *person, reason string) {
	if is.id == 0 || !is.open {
		return
	}
	e.onObject(&is.last, e.now, func() {
		if !is.open {
			return
		}
		is.open = false
		is.closedAt, is.closedBy, is.stateReason = e.now, by, reason
		is.r.removeOpenIssue(is)
		e.webhook("issues", "closed", e.issuesEvent(is, "closed", by, nil))
		e.sum.IssuesClosed++
	})
}

// transferIssue moves an open issue to another repository: GitHub sends
// "transferred" for the old issue and "opened" for the new one, each naming
// the other in "changes", and the new issue gets a new id and number.
func (e *engine) transferIssue(is *issue, to *repo, by *person) {
	is = is.current()
	if is.id == 0 || !is.open || is.linked || is.r == to {
		return
	}
	e.onObject(&is.last, e.now, func() {
		if !is.open {
			return
		}
		to.number++
		nw := &issue{
			r: to, author: is.author, number: to.number, id: e.ids.take(idIssue),
			title: is.title, body: is.body, open: true, created: e.now, last: e.now,
			comments: is.comments,
		}
		for _, l := range is.labels {
			nw.labels = append(nw.labels, to.label(l.GetName()))
		}
		is.open = false
		is.closedAt, is.stateReason = e.now, "completed"
		is.movedTo = nw
		is.r.removeOpenIssue(is)
		to.openIssues = append(to.openIssues, nw)

		old := e.issuesEvent(is, "transferred", by, nil)
		old.Issue.State = str("open") // GitHub shows the issue as it was
		old.Issue.ClosedAt, old.Issue.StateReason = nil, nil
		e.deliver(&Delivery{Event: "issues", Action: "transferred", Payload: old,
			Transfer: &IssueTransfer{NewIssue: e.issueObject(nw), NewRepository: to.repoAt()}})
		e.deliver(&Delivery{Event: "issues", Action: "opened", Payload: e.issuesEvent(nw, "opened", by, nil),
			Transfer: &IssueTransfer{OldIssue: old.Issue, OldRepository: is.r.repoAt()}})
		e.sum.IssueTransfers++
		e.sum.Issues++
	})
}
