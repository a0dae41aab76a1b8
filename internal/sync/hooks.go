package sync

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sextant-dev/sextant/internal/github"
	"github.com/sextant-dev/sextant/internal/jobs"
	"github.com/sextant-dev/sextant/internal/store"
)

const kindDeliveries = "deliveries"

// openDelivery is a delivery GitHub made that the store does not hold.
type openDelivery struct {
	ID          int64     `json:"id"` // GitHub's id of its latest attempt
	Event       string    `json:"event"`
	RepoID      int64     `json:"repo,omitempty"` // GitHub's repository id
	At          time.Time `json:"at"`             // its first attempt
	Redelivered bool      `json:"redelivered,omitempty"`
}

// hookCheckpoint is a hook's check state: the deliveries listed up to
// Watermark are known, and Open are those of them still missing.
type hookCheckpoint struct {
	Open map[string]openDelivery `json:"open,omitempty"` // by GUID
}

// checkHook lists the hook's deliveries made since the last check (the
// first check goes back DeliveryLookback), newest first, 100 to a request,
// and finds those the store never received. Missing deliveries inside
// GitHub's redelivery window are redelivered; older ones, and those a
// redelivery did not bring, are repaired by a sync of what they were
// about.
func (c *Checker) checkHook(ctx context.Context, h github.HookRef, scope string) ([]Finding, github.Cost, error) {
	prev, err := loadState[hookCheckpoint](ctx, c.db.R, scope, kindDeliveries)
	if err != nil {
		return nil, github.Cost{}, err
	}
	now := c.now()
	since := prev.Watermark
	if since.IsZero() {
		since = now.Add(-c.opts.DeliveryLookback)
	}
	upto := now.Add(-deliveryGrace)
	latest := map[string]openDelivery{}
	var cost github.Cost
	for cursor := ""; ; {
		p, err := c.gh.HookDeliveries(github.Fresh(ctx), h, cursor)
		cost = cost.Add(p.Cost)
		if err != nil {
			return nil, cost, err
		}
		older := false
		for _, d := range p.Items {
			at := d.GetDeliveredAt().Time.UTC()
			if at.Before(since) {
				older = true
				continue
			}
			if at.After(upto) || d.GetEvent() == "ping" || d.GetGUID() == "" {
				continue
			}
			o, seen := latest[d.GetGUID()]
			if !seen || d.GetID() > o.ID {
				first := at
				if seen && o.At.Before(first) {
					first = o.At
				}
				o = openDelivery{ID: d.GetID(), Event: d.GetEvent(), RepoID: d.GetRepositoryID(), At: first}
			} else if at.Before(o.At) {
				o.At = at
			}
			latest[d.GetGUID()] = o
		}
		if cursor = p.Next; cursor == "" || older {
			break
		}
	}
	// The open deliveries are updated in one transaction with what repairs
	// did meanwhile (a redelivery asked, a sync done), never over it.
	var missing, lost []string
	err = c.db.Tx(ctx, func(tx *sql.Tx) error {
		st, err := loadState[hookCheckpoint](ctx, tx, scope, kindDeliveries)
		if err != nil {
			return err
		}
		if st.cp.Open == nil {
			st.cp.Open = map[string]openDelivery{}
		}
		for guid, o := range latest {
			if prev, ok := st.cp.Open[guid]; ok {
				o.Redelivered, o.At = prev.Redelivered, prev.At
			}
			st.cp.Open[guid] = o
		}
		guids := make([]string, 0, len(st.cp.Open))
		for g := range st.cp.Open {
			guids = append(guids, g)
		}
		stored, err := store.StoredDeliveryIDs(ctx, tx, guids)
		if err != nil {
			return err
		}
		for _, g := range stored {
			delete(st.cp.Open, g)
		}
		for g, o := range st.cp.Open {
			if !o.Redelivered && now.Sub(o.At) < c.opts.RedeliveryWindow {
				missing = append(missing, g)
			} else {
				lost = append(lost, g)
			}
		}
		st.Watermark = upto
		return st.save(ctx, tx, now)
	})
	if err != nil {
		return nil, cost, err
	}
	slices.Sort(missing)
	slices.Sort(lost)
	var out []Finding
	if len(missing) > 0 {
		f := Finding{Kind: FindMissing, Found: int64(len(missing)), Detail: "deliveries never received, redelivered: " + strings.Join(head(missing), ", ")}
		if err := c.enqueue(ctx, &f, RepairArgs{Scope: scope, Repair: repairRedeliver, Targets: missing}); err != nil {
			return out, cost, err
		}
		out = append(out, f)
	}
	if len(lost) > 0 {
		f := Finding{Kind: FindLost, Found: int64(len(lost)), Detail: "deliveries never received, too old to redeliver, synced instead: " + strings.Join(head(lost), ", ")}
		if err := c.enqueue(ctx, &f, RepairArgs{Scope: scope, Repair: repairResync, Targets: lost}); err != nil {
			return out, cost, err
		}
		out = append(out, f)
	}
	return out, cost, nil
}

func head(xs []string) []string {
	if len(xs) > 10 {
		return append(slices.Clone(xs[:10]), fmt.Sprintf("and %d more", len(xs)-10))
	}
	return xs
}

func (c *Checker) hookOf(scope string) (github.HookRef, error) {
	for _, h := range c.opts.Hooks {
		if hookScope(h) == scope {
			return h, nil
		}
	}
	return github.HookRef{}, jobs.Permanent(fmt.Errorf("%s is not a configured hook (integrity.hooks)", scope))
}

// updateOpen changes the open deliveries of a hook in one transaction.
func (c *Checker) updateOpen(ctx context.Context, scope string, fn func(open map[string]openDelivery)) error {
	return c.db.Tx(ctx, func(tx *sql.Tx) error {
		st, err := loadState[hookCheckpoint](ctx, tx, scope, kindDeliveries)
		if err != nil {
			return err
		}
		if st.cp.Open == nil {
			return nil
		}
		fn(st.cp.Open)
		return st.save(ctx, tx, c.now())
	})
}

// redeliver asks GitHub to send the missing deliveries (by GUID) again.
func (c *Checker) redeliver(ctx context.Context, a RepairArgs) error {
	h, err := c.hookOf(a.Scope)
	if err != nil {
		return err
	}
	st, err := loadState[hookCheckpoint](ctx, c.db.R, a.Scope, kindDeliveries)
	if err != nil {
		return err
	}
	for _, guid := range a.Targets {
		o, ok := st.cp.Open[guid]
		if !ok || o.Redelivered {
			continue
		}
		if _, err := c.gh.Redeliver(ctx, h, o.ID); err != nil {
			return err
		}
		err := c.updateOpen(ctx, a.Scope, func(open map[string]openDelivery) {
			if o, ok := open[guid]; ok {
				o.Redelivered = true
				open[guid] = o
			}
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// partOf is the part of a repository an event's data is synced with
// ("" for the whole repository).
func partOf(event string) Part {
	switch {
	case strings.HasPrefix(event, "pull_request"), event == "push", event == "create", event == "delete":
		return PartPulls
	case event == "issues", event == "issue_comment", event == "label", event == "milestone":
		return PartIssues
	case strings.HasPrefix(event, "deployment"):
		return PartDeployments
	case strings.HasPrefix(event, "workflow_"), strings.HasPrefix(event, "check_"):
		return PartRuns
	case event == "release":
		return PartReleases
	}
	return ""
}

// resync syncs, once each, what the lost deliveries were about: the part
// of their repository, or their organization's members and teams; then
// they are known.
func (c *Checker) resync(ctx context.Context, a RepairArgs) error {
	st, err := loadState[hookCheckpoint](ctx, c.db.R, a.Scope, kindDeliveries)
	if err != nil {
		return err
	}
	h, err := c.hookOf(a.Scope)
	if err != nil {
		return err
	}
	type target struct {
		repo string
		part Part
	}
	done := map[target]bool{}
	for _, guid := range a.Targets {
		o, ok := st.cp.Open[guid]
		if !ok {
			continue
		}
		t := target{part: partOf(o.Event)}
		if o.RepoID != 0 {
			if t.repo, err = store.RepositoryByGitHubID(ctx, c.db.R, o.RepoID); err != nil {
				return err
			}
		}
		if !done[t] {
			done[t] = true
			if err := c.resyncTarget(ctx, h, t.repo, t.part); err != nil {
				return err
			}
		}
		if err := c.updateOpen(ctx, a.Scope, func(open map[string]openDelivery) { delete(open, guid) }); err != nil {
			return err
		}
	}
	return nil
}

func (c *Checker) resyncTarget(ctx context.Context, h github.HookRef, repo string, part Part) error {
	if repo != "" {
		m := Mode{}
		if part != "" {
			m.Parts = []Part{part}
		}
		return c.SyncRepo(ctx, repo, m)
	}
	org := h.Owner
	if org == "" {
		orgs, _ := c.Targets()
		if len(orgs) == 0 {
			return nil
		}
		org = orgs[0]
	}
	_, err := c.SyncOrg(ctx, org, Mode{Members: true})
	return err
}

// AwaitRedeliveries waits, up to timeout, for the deliveries GitHub was
// asked to send again to reach the store (the running server receives
// them), and returns how many have not.
func (c *Checker) AwaitRedeliveries(ctx context.Context, timeout time.Duration, poll time.Duration) (int, error) {
	deadline := time.Now().Add(timeout)
	for {
		waiting := 0
		for _, h := range c.opts.Hooks {
			st, err := loadState[hookCheckpoint](ctx, c.db.R, hookScope(h), kindDeliveries)
			if err != nil {
				return 0, err
			}
			var guids []string
			for g, o := range st.cp.Open {
				if o.Redelivered {
					guids = append(guids, g)
				}
			}
			stored, err := store.StoredDeliveryIDs(ctx, c.db.R, guids)
			if err != nil {
				return 0, err
			}
			waiting += len(guids) - len(stored)
		}
		if waiting == 0 || !time.Now().Before(deadline) {
			return waiting, nil
		}
		select {
		case <-ctx.Done():
			return waiting, ctx.Err()
		case <-time.After(poll):
		}
	}
}
