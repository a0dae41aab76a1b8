package ingest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	gh "github.com/google/go-github/v89/github"

	"github.com/sextant-dev/sextant/internal/core"
	ghmap "github.com/sextant-dev/sextant/internal/github"
	"github.com/sextant-dev/sextant/internal/store"
)

// Projection turns a stored delivery into rows of the domain tables in two
// steps. plan decodes the body and maps it to core types, outside any
// transaction (it is the CPU-heavy part, and on SQLite the write
// connection must not wait for it); apply runs the resulting operations in
// the projection's transaction.

// op is one store operation of a delivery's projection.
type op func(a *applier) error

// plan is the projection of one delivery, ready to apply.
type plan struct {
	d   store.WebhookDelivery
	ops []op
	err error // the delivery could not be decoded: recorded, nothing applied
}

// repoRef is a repository a plan refers to; apply fills id (Sextant's).
type repoRef struct {
	r  core.Repository
	id int64
}

// builder collects the operations of one delivery.
type builder struct {
	d   *store.WebhookDelivery
	at  time.Time // when the delivery happened, for what has no time of its own
	ops []op
}

func (b *builder) add(f op) { b.ops = append(b.ops, f) }

// actor stores a user and returns its id (0 for none).
func (b *builder) actor(u *gh.User) int64 {
	a, ok := ghmap.Actor(u)
	if !ok {
		return 0
	}
	b.add(func(ap *applier) error { return ap.actor(a) })
	return a.ID
}

// org stores an organization and returns its id (0 for none).
func (b *builder) org(o *gh.Organization) int64 {
	org, ok := ghmap.Organization(o)
	if !ok {
		return 0
	}
	b.add(func(ap *applier) error { return ap.org(org) })
	return org.ID
}

func (b *builder) repo(r *gh.Repository) *repoRef {
	rr, ok := ghmap.Repository(r)
	return b.repoOf(rr, ok)
}

func (b *builder) repoOf(r core.Repository, ok bool) *repoRef {
	if !ok {
		return nil
	}
	ref := &repoRef{r: r}
	b.add(func(ap *applier) error {
		id, err := ap.repo(r)
		ref.id = id
		return err
	})
	return ref
}

// onRepo adds an operation that needs the repository's Sextant id; without
// a repository in the payload there is nothing to attach it to.
func (b *builder) onRepo(ref *repoRef, f func(a *applier, repoID int64) error) {
	if ref == nil {
		return
	}
	b.add(func(ap *applier) error { return f(ap, ref.id) })
}

// applier runs operations in one transaction. Its cache remembers the
// actors, organizations and repositories already written with the same
// content, which nearly every delivery carries again: skipping those saves
// most of the statements. The cache is sound across transactions because
// a stored version only ever grows, so a copy once written never needs
// writing again.
type applier struct {
	ctx context.Context
	q   store.Querier
	d   *store.WebhookDelivery
	c   *projectionCache
	// staged holds this delivery's cache entries until its savepoint is
	// released, and tx those of the transaction until it commits.
	staged, tx map[string]cached
}

type cached struct {
	id      int64 // Sextant id, for repositories
	version int64
	pushed  int64
}

// projectionCache is shared by the transactions of one projector.
type projectionCache struct {
	m map[string]cached
}

const maxCached = 50000

func (c *projectionCache) get(k string, a *applier) (cached, bool) {
	if v, ok := a.staged[k]; ok {
		return v, true
	}
	if v, ok := a.tx[k]; ok {
		return v, true
	}
	v, ok := c.m[k]
	return v, ok
}

func (c *projectionCache) commit(entries map[string]cached) {
	if len(c.m)+len(entries) > maxCached {
		c.m = map[string]cached{}
	}
	for k, v := range entries {
		c.m[k] = v
	}
}

func (a *applier) actor(x core.Actor) error {
	k := "a" + itoa(x.ID)
	v := store.ActorVersion(x)
	if c, ok := a.c.get(k, a); ok && c.version == v {
		return nil
	}
	if err := store.UpsertActor(a.ctx, a.q, x); err != nil {
		return err
	}
	a.staged[k] = cached{version: v}
	return nil
}

func (a *applier) org(o core.Organization) error {
	k := "o" + itoa(o.ID)
	v := store.OrganizationVersion(o)
	if c, ok := a.c.get(k, a); ok && c.version == v {
		return nil
	}
	if err := store.UpsertOrganization(a.ctx, a.q, o); err != nil {
		return err
	}
	a.staged[k] = cached{version: v}
	return nil
}

func (a *applier) repo(r core.Repository) (int64, error) {
	k := "r" + itoa(r.GitHubID)
	v := store.RepositoryVersion(r)
	pushed := int64(0)
	if !r.PushedAt.IsZero() {
		pushed = r.PushedAt.UnixMilli()
	}
	if c, ok := a.c.get(k, a); ok && c.version == v && pushed <= c.pushed {
		return c.id, nil
	}
	id, err := store.UpsertRepository(a.ctx, a.q, r)
	if err != nil {
		return 0, err
	}
	if c, ok := a.c.get(k, a); ok && c.pushed > pushed {
		pushed = c.pushed
	}
	a.staged[k] = cached{id: id, version: v, pushed: pushed}
	return id, nil
}

// savepoint runs the operations of one delivery so that a failure undoes
// them alone, not the batch.
func (a *applier) run(ops []op) error {
	if _, err := a.q.ExecContext(a.ctx, "SAVEPOINT delivery"); err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	clear(a.staged)
	var err error
	for _, f := range ops {
		if err = f(a); err != nil {
			break
		}
	}
	if err != nil {
		if _, rerr := a.q.ExecContext(a.ctx, "ROLLBACK TO SAVEPOINT delivery"); rerr != nil {
			return fmt.Errorf("roll back a failed projection: %w", rerr)
		}
		clear(a.staged)
	}
	if _, rerr := a.q.ExecContext(a.ctx, "RELEASE SAVEPOINT delivery"); rerr != nil {
		return fmt.Errorf("release savepoint: %w", rerr)
	}
	for k, v := range a.staged {
		a.tx[k] = v
	}
	return &projectionFailure{err: err}
}

// projectionFailure carries a delivery's own projection error (nil when it
// succeeded) apart from the errors that fail the whole batch.
type projectionFailure struct{ err error }

func (p *projectionFailure) Error() string {
	if p.err == nil {
		return "projected"
	}
	return p.err.Error()
}

// applyPlans projects plans in one transaction, marking each delivery
// projected with its own error, if any. It returns how many deliveries
// it projected (those another projector took meanwhile are skipped) and how
// many of them failed.
func (w *Webhooks) applyPlans(ctx context.Context, plans []plan, now time.Time, replay bool) (done int, failed []plan, err error) {
	ids := make([]int64, len(plans))
	for i, p := range plans {
		ids[i] = p.d.ID
	}
	a := &applier{ctx: ctx, c: w.cache, staged: map[string]cached{}, tx: map[string]cached{}}
	err = w.db.Tx(ctx, func(tx *sql.Tx) error {
		done, failed = 0, nil
		clear(a.tx)
		claimed := map[int64]bool{}
		if !replay {
			var err error
			if claimed, err = w.db.ClaimDeliveries(ctx, tx, ids); err != nil {
				return err
			}
		}
		a.q = tx
		for i := range plans {
			p := &plans[i]
			if !replay && !claimed[p.d.ID] {
				continue
			}
			if w.opts.failAfter > 0 && done >= w.opts.failAfter {
				return errInjected
			}
			perr := p.err
			if perr == nil {
				a.d = &p.d
				var pf *projectionFailure
				if err := a.run(p.ops); !errors.As(err, &pf) {
					return err
				} else {
					perr = pf.err
				}
			}
			msg := ""
			if perr != nil {
				msg = perr.Error()
				p.err = perr
				failed = append(failed, *p)
			}
			if err := store.MarkProjected(ctx, tx, p.d.ID, now, msg); err != nil {
				return err
			}
			done++
		}
		return nil
	})
	if err != nil {
		return 0, nil, fmt.Errorf("project deliveries: %w", err)
	}
	w.cache.commit(a.tx)
	return done, failed, nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
