package demo

import (
	"encoding/json"
	"math/rand/v2"
	"time"

	"github.com/google/go-github/v89/github"
)

// Item is one thing that happens to the organization: a GitHub webhook
// delivery or a CI event, never both.
type Item struct {
	Time     time.Time // when it happened (UTC, whole seconds)
	Delivery *Delivery // a GitHub webhook delivery, or nil
	CI       *CIEvent  // a CI/CD event for POST /api/v1/events, or nil
}

// Delivery is a GitHub webhook delivery.
type Delivery struct {
	GUID   string // X-GitHub-Delivery: derived from the seed, stable
	Event  string // X-GitHub-Event
	Action string // the payload's action, empty for events without one
	// Payload is the go-github event type for Event (*github.PullRequestEvent
	// for pull_request, …). It shares sub-objects with other deliveries:
	// read-only.
	Payload any
	// Transfer is what go-github's IssuesEvent cannot hold: the other end of
	// an issue transfer, which GitHub sends as "changes" on issues
	// transferred (new_issue, new_repository) and on the opened delivery of
	// the new issue (old_issue, old_repository). Body includes it.
	Transfer *IssueTransfer
}

// IssueTransfer is the "changes" object of a transferred issue.
type IssueTransfer struct {
	NewIssue      *github.Issue      `json:"new_issue,omitempty"`
	NewRepository *github.Repository `json:"new_repository,omitempty"`
	OldIssue      *github.Issue      `json:"old_issue,omitempty"`
	OldRepository *github.Repository `json:"old_repository,omitempty"`
}

// Body is the JSON body GitHub would send for the delivery.
func (d *Delivery) Body() ([]byte, error) {
	switch p := d.Payload.(type) {
	case *github.DeploymentEvent:
		// GitHub sends "action": "created"; go-github's type has no field
		// for it.
		return json.Marshal(struct {
			Action string `json:"action"`
			*github.DeploymentEvent
		}{d.Action, p})
	case *github.IssuesEvent:
		if d.Transfer != nil {
			return json.Marshal(struct {
				*github.IssuesEvent
				Changes *IssueTransfer `json:"changes"`
			}{p, d.Transfer})
		}
	}
	return json.Marshal(d.Payload)
}

// CIEvent is a pipeline event as POST /api/v1/events accepts it.
type CIEvent struct {
	Event       string         `json:"event"`
	Repo        string         `json:"repo"`
	Time        time.Time      `json:"time"`
	SHA         string         `json:"sha,omitempty"`
	Ref         string         `json:"ref,omitempty"`
	Environment string         `json:"environment,omitempty"`
	Status      string         `json:"status,omitempty"`
	ID          string         `json:"id,omitempty"`
	Deployment  string         `json:"deployment,omitempty"`
	URL         string         `json:"url,omitempty"`
	DurationMS  int64          `json:"duration_ms,omitempty"`
	Metadata    map[string]any `json:"metadata,omitempty"`
}

// Describe returns the organization's structure (companies, people, teams,
// repositories, affiliations) without generating its activity: for an
// affiliations file, or to know what a stream will contain.
func Describe(opts Options) (*Roster, error) {
	o, err := opts.normalize()
	if err != nil {
		return nil, err
	}
	return buildWorld(o).roster(), nil
}

// Stream generates the organization and calls emit for each item in time
// order (ties keep a fixed order). Memory stays bounded by the work in
// flight, not by the history, so the large scale streams in constant space.
// An error from emit stops the generation and is returned. The summary is
// the ground truth of what was emitted.
func Stream(opts Options, emit func(*Item) error) (*Summary, error) {
	o, err := opts.normalize()
	if err != nil {
		return nil, err
	}
	e := &engine{
		world: buildWorld(o),
		emit:  emit,
		rng:   rand.New(rand.NewPCG(uint64(o.Seed), 0x6f7267)),
		guids: rand.New(rand.NewPCG(uint64(o.Seed), 0x67756964)),
	}
	e.sum = newSummary(e.world)
	e.now = e.start
	e.bootstrap()
	for len(e.queue) > 0 && e.err == nil {
		ev := e.queue.pop()
		e.now = ev.at
		ev.fire()
	}
	if e.err != nil {
		return nil, e.err
	}
	e.finish()
	return e.sum, nil
}

// event is something scheduled to happen at a second: it may emit items
// stamped with that second and schedule later events.
type event struct {
	at   int64
	seq  uint64
	fire func()
}

// queue is a binary min-heap of events ordered by time, then by scheduling
// order, which makes the stream deterministic.
type queue []event

func (q queue) less(i, j int) bool {
	return q[i].at < q[j].at || q[i].at == q[j].at && q[i].seq < q[j].seq
}

func (q *queue) push(ev event) {
	*q = append(*q, ev)
	h := *q
	for i := len(h) - 1; i > 0; {
		p := (i - 1) / 2
		if !h.less(i, p) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
}

func (q *queue) pop() event {
	h := *q
	top := h[0]
	n := len(h) - 1
	h[0] = h[n]
	h[n] = event{}
	h = h[:n]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < n && h.less(l, m) {
			m = l
		}
		if r < n && h.less(r, m) {
			m = r
		}
		if m == i {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	*q = h
	return top
}

type engine struct {
	*world
	emit  func(*Item) error
	err   error
	rng   *rand.Rand // organization-level choices
	guids *rand.Rand // delivery ids, apart so payload changes keep ids
	queue queue
	seq   uint64
	now   int64
	sum   *Summary
}

// at schedules f at t; events past the end never happen, so they are not
// kept.
func (e *engine) at(t int64, f func()) {
	if t < e.now {
		panic("demo: event scheduled in the past")
	}
	if t > e.end {
		return
	}
	e.seq++
	e.queue.push(event{at: t, seq: e.seq, fire: f})
}

func (e *engine) send(it *Item) {
	if e.err == nil {
		e.err = e.emit(it)
	}
}

// webhook emits a delivery stamped now.
func (e *engine) webhook(event, action string, payload any) *Delivery {
	return e.deliver(&Delivery{Event: event, Action: action, Payload: payload})
}

// deliver emits d, complete (consumers may encode it at once), stamped now.
func (e *engine) deliver(d *Delivery) *Delivery {
	d.GUID = newGUID(e.guids)
	e.send(&Item{Time: time.Unix(e.now, 0).UTC(), Delivery: d})
	e.sum.Deliveries++
	e.sum.DeliveriesByEvent[d.Event]++
	return d
}

// ci emits a CI event stamped now.
func (e *engine) ci(ev *CIEvent) {
	ev.Time = time.Unix(e.now, 0).UTC()
	e.send(&Item{Time: ev.Time, CI: ev})
	e.sum.CIEvents++
	e.sum.CIEventsByName[ev.Event]++
}

func (e *engine) nowTS() *github.Timestamp { return ts(e.now) }
