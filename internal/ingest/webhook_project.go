package ingest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
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

// pullRequest stores a pull request. An abridged copy is skipped once a
// full copy was written: it could only fill a missing row.
func (a *applier) pullRequest(p core.PullRequest) error {
	k := "p" + itoa(p.ID)
	if _, ok := a.c.get(k, a); ok && p.Abridged {
		return nil
	}
	if _, err := store.UpsertPullRequest(a.ctx, a.q, p); err != nil {
		return err
	}
	if !p.Abridged {
		a.staged[k] = cached{}
	}
	return nil
}

func (a *applier) repo(r core.Repository) (int64, error) {
	k := "r" + itoa(r.GitHubID)
	v := store.RepositoryVersion(r)
	pushed := int64(0)
	if !r.PushedAt.IsZero() {
		pushed = r.PushedAt.UnixMilli()
	}
	c, ok := a.c.get(k, a)
	if ok && c.version == v {
		if pushed > c.pushed {
			// Only pushed_at moved, as with every push.
			if err := store.RepositoryPushed(a.ctx, a.q, c.id, r.PushedAt); err != nil {
				return 0, err
			}
			c.pushed = pushed
			a.staged[k] = c
		}
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

// run applies the operations of one delivery. With savepoints, a failure
// undoes this delivery's operations alone and is returned as its own
// error (*projectionFailure); without, any failure is returned as is and
// the caller must roll the transaction back.
func (a *applier) run(ops []op, savepoint bool) error {
	clear(a.staged)
	if !savepoint {
		for _, f := range ops {
			if err := a.apply(f); err != nil {
				return err
			}
		}
		maps.Copy(a.tx, a.staged)
		return nil
	}
	if _, err := a.q.ExecContext(a.ctx, "SAVEPOINT delivery"); err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	var err error
	for _, f := range ops {
		if err = a.apply(f); err != nil {
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
	maps.Copy(a.tx, a.staged)
	return &projectionFailure{err: err}
}

// apply runs one operation; a panic in it becomes its error, so that one
// delivery cannot take the projector (and the server) down.
func (a *applier) apply(f op) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: projection: %v", r)
		}
	}()
	return f(a)
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

// errRetrySafely aborts an optimistic batch so it runs again with a
// savepoint per delivery.
var errRetrySafely = errors.New("a delivery failed: retry with savepoints")

// applyPlans projects plans in one transaction and marks each delivery
// projected, with its own error if it has one. It first runs without
// savepoints (on SQLite a savepoint makes every changed page go through a
// statement journal, which doubles the writes); if any delivery fails, it
// rolls back and runs the batch again with a savepoint per delivery, so
// that one bad delivery costs only itself. It returns how many
// deliveries it projected (those another projector took meanwhile are
// skipped), the failed ones among them included, and the failed ones.
func (w *Webhooks) applyPlans(ctx context.Context, plans []plan, now time.Time, replay bool) (done, failed []plan, err error) {
	anyBad := false
	for _, p := range plans {
		anyBad = anyBad || p.err != nil
	}
	done, failed, err = w.applyOnce(ctx, plans, now, replay, anyBad)
	if errors.Is(err, errRetrySafely) {
		done, failed, err = w.applyOnce(ctx, plans, now, replay, true)
	}
	return done, failed, err
}

func (w *Webhooks) applyOnce(ctx context.Context, plans []plan, now time.Time, replay, savepoints bool) (done, failed []plan, err error) {
	var learned map[string]cached
	err = w.db.Tx(ctx, func(tx *sql.Tx) error {
		todo := plans
		if !replay {
			ids := make([]int64, len(plans))
			for i, p := range plans {
				ids[i] = p.d.ID
			}
			claimed, err := w.db.ClaimDeliveries(ctx, tx, ids)
			if err != nil {
				return err
			}
			todo = make([]plan, 0, len(plans))
			for _, p := range plans {
				if claimed[p.d.ID] {
					todo = append(todo, p)
				}
			}
		}
		done = todo
		failed, learned, err = w.applyInTx(ctx, tx, todo, now, savepoints, true)
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("project deliveries: %w", err)
	}
	w.cache.commit(learned)
	return done, failed, nil
}

// applyInTx applies plans in tx and marks failed deliveries with their
// error, and, with markOK, the others projected. It returns the failed
// plans and what the cache may learn once tx commits.
func (w *Webhooks) applyInTx(ctx context.Context, tx *sql.Tx, plans []plan, now time.Time, savepoints, markOK bool) ([]plan, map[string]cached, error) {
	a := &applier{ctx: ctx, q: w.db.Prepared(tx), c: w.cache, staged: map[string]cached{}, tx: map[string]cached{}}
	var (
		ok     []int64
		failed []plan
	)
	for i := range plans {
		p := &plans[i]
		if w.opts.failAfter > 0 && i >= w.opts.failAfter {
			return nil, nil, errInjected
		}
		perr := p.err
		if perr == nil {
			a.d = &p.d
			err := a.run(p.ops, savepoints)
			var pf *projectionFailure
			switch {
			case errors.As(err, &pf):
				perr = pf.err
			case err != nil && !savepoints && ctx.Err() == nil:
				return nil, nil, errRetrySafely
			case err != nil:
				return nil, nil, err
			}
		}
		if perr == nil {
			ok = append(ok, p.d.ID)
			continue
		}
		p.err = perr
		failed = append(failed, *p)
		if err := store.MarkProjected(ctx, a.q, p.d.ID, now, perr.Error()); err != nil {
			return nil, nil, err
		}
	}
	if markOK {
		if err := store.MarkProjectedOK(ctx, a.q, ok, now); err != nil {
			return nil, nil, err
		}
	}
	return failed, a.tx, nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
