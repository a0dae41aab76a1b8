package ingest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/sextant-dev/sextant/internal/store"
)

// Store stores deliveries in one transaction and reports for each
// whether it was new; projection is left to ProjectPending or the running
// projector.
func (w *Webhooks) Store(ctx context.Context, ds []Delivery) ([]bool, error) {
	sds, err := prepareAll(ds)
	if err != nil {
		return nil, err
	}
	var ids []int64
	err = w.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		ids, err = store.InsertDeliveries(ctx, w.db.Prepared(tx), sds)
		return err
	})
	if err != nil {
		return nil, err
	}
	inserted := make([]bool, len(ids))
	for i, d := range sds {
		inserted[i] = ids[i] != 0
		w.countDelivery(d.Event, d.Action, inserted[i])
	}
	return inserted, nil
}

func prepareAll(ds []Delivery) ([]store.WebhookDelivery, error) {
	sds := make([]store.WebhookDelivery, len(ds))
	errs := make([]error, len(ds))
	parallel(len(ds), runtime.GOMAXPROCS(0), func(i int) {
		sds[i], errs[i] = prepare(ds[i])
	})
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("delivery %d (%s): %w", i+1, ds[i].GUID, err)
		}
	}
	return sds, nil
}

// LoadStats is what Load did.
type LoadStats struct {
	Stored     int // new deliveries stored
	Duplicates int // delivery ids already stored, left as they were
	Failed     int // stored deliveries whose projection failed (projection_error set)
}

// Load stores deliveries and projects them in the same transaction: the
// bulk path (sextant demo, imports), with the storing and projection code
// of HTTP intake. Compression, decoding and mapping run on every core
// first; the transaction then only writes. A delivery that carries its
// decoded go-github event (Payload) is not decoded again. Deliveries
// already stored are skipped. Batches of a few thousand deliveries suit it;
// a Loader overlaps the batches.
func (w *Webhooks) Load(ctx context.Context, ds []Delivery) (LoadStats, error) {
	b, err := prepareLoad(ds)
	if err != nil {
		return LoadStats{}, err
	}
	return w.commitLoad(ctx, b)
}

// loadBatch is a batch of Load, compressed and planned.
type loadBatch struct {
	sds   []store.WebhookDelivery
	plans []plan
	// then runs after the batch commits (Loader.Then).
	then []func(context.Context) error
}

func prepareLoad(ds []Delivery) (*loadBatch, error) {
	sds, err := prepareAll(ds)
	if err != nil {
		return nil, err
	}
	plans := make([]plan, len(ds))
	parallel(len(ds), runtime.GOMAXPROCS(0), func(i int) {
		plans[i] = planDelivery(sds[i], ds[i].Body, ds[i].Payload)
	})
	return &loadBatch{sds: sds, plans: plans}, nil
}

func (w *Webhooks) commitLoad(ctx context.Context, b *loadBatch) (LoadStats, error) {
	w.projectMu.Lock()
	defer w.projectMu.Unlock()
	var (
		st      LoadStats
		fresh   []plan
		failed  []plan
		learned map[string]cached
	)
	now := time.Now()
	for i := range b.sds {
		// Stored as projected: the projection commits with it, and a
		// failure is written over it below.
		b.sds[i].ProjectedAt = now
	}
	apply := func(savepoints bool) error {
		return w.db.Tx(ctx, func(tx *sql.Tx) error {
			ids, err := store.InsertDeliveries(ctx, w.db.Prepared(tx), b.sds)
			if err != nil {
				return err
			}
			fresh = fresh[:0]
			for i, id := range ids {
				b.plans[i].d.ID = id
				if id != 0 {
					fresh = append(fresh, b.plans[i])
				}
			}
			st.Stored, st.Duplicates = len(fresh), len(b.sds)-len(fresh)
			failed, learned, err = w.applyInTx(ctx, tx, fresh, now, savepoints, false)
			return err
		})
	}
	anyBad := slices.ContainsFunc(b.plans, func(p plan) bool { return p.err != nil })
	err := apply(anyBad)
	if errors.Is(err, errRetrySafely) {
		err = apply(true)
	}
	if err != nil {
		return LoadStats{}, fmt.Errorf("load deliveries: %w", err)
	}
	w.cache.commit(learned)
	st.Failed = len(failed)
	for i, d := range b.sds {
		w.countDelivery(d.Event, d.Action, b.plans[i].d.ID != 0)
	}
	w.reportProjected(ctx, fresh, failed)
	return st, nil
}

// parallel runs f(0..n-1) on up to workers goroutines.
func parallel(n, workers int, f func(i int)) {
	if workers <= 1 || n < 2 {
		for i := range n {
			f(i)
		}
		return
	}
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(workers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				f(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

// Loader feeds Load from a producer, such as the demo generator: Add
// collects deliveries into batches, which go through a pipeline of two
// background stages (compress and decode on every core; then the
// transaction), so generating, preparing and writing overlap. The
// producer's own writes go through the pipeline too (Then): on SQLite
// there is one writer, and a producer that wrote beside the loader would
// wait for each batch's transaction and leave the pipeline empty.
//
//	l := hooks.NewLoader(ctx, 2000)
//	for … { if err := l.Add(d); err != nil { … } }
//	stats, err := l.Close()
type Loader struct {
	w     *Webhooks
	ctx   context.Context
	size  int
	batch []Delivery
	then  []func(context.Context) error
	work  chan loadWork
	wg    sync.WaitGroup

	mu    sync.Mutex
	err   error
	stats LoadStats
}

// loadWork is a batch as Add collected it.
type loadWork struct {
	ds   []Delivery
	then []func(context.Context) error
}

// NewLoader returns a loader that loads batches of size deliveries (2,000
// when size is not positive).
func (w *Webhooks) NewLoader(ctx context.Context, size int) *Loader {
	if size <= 0 {
		size = 2000
	}
	l := &Loader{w: w, ctx: ctx, size: size, work: make(chan loadWork)}
	prepared := make(chan *loadBatch, 1)
	l.wg.Add(2)
	go func() {
		defer l.wg.Done()
		defer close(prepared)
		for lw := range l.work {
			if l.failed() != nil {
				continue
			}
			b, err := prepareLoad(lw.ds)
			if err != nil {
				l.fail(err)
				continue
			}
			b.then = lw.then
			prepared <- b
		}
	}()
	go func() {
		defer l.wg.Done()
		for b := range prepared {
			if l.failed() != nil {
				continue
			}
			if len(b.sds) > 0 {
				st, err := w.commitLoad(ctx, b)
				l.fail(err)
				l.mu.Lock()
				l.stats.Stored += st.Stored
				l.stats.Duplicates += st.Duplicates
				l.stats.Failed += st.Failed
				l.mu.Unlock()
			}
			for _, fn := range b.then {
				if l.failed() != nil {
					break
				}
				l.fail(fn(ctx))
			}
		}
	}()
	return l
}

func (l *Loader) fail(err error) {
	if err == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err == nil {
		l.err = err
	}
}

func (l *Loader) failed() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// Add queues a delivery; it returns the error of an earlier batch, if any,
// after which the loader takes nothing more.
func (l *Loader) Add(d Delivery) error {
	if err := l.failed(); err != nil {
		return err
	}
	l.batch = append(l.batch, d)
	if len(l.batch) >= l.size {
		return l.flush()
	}
	return nil
}

// Then queues fn to run in the loader's writer once the batch being
// filled is stored and projected, before any later batch: after every
// delivery added before it and some added later, up to a batch's worth.
// An error from fn stops the loader like a failed batch.
func (l *Loader) Then(fn func(context.Context) error) error {
	if err := l.failed(); err != nil {
		return err
	}
	l.then = append(l.then, fn)
	return nil
}

// ThenFlush is Then for a function that must see every delivery added
// before it and none added after: the batch ends with it, however short.
func (l *Loader) ThenFlush(fn func(context.Context) error) error {
	if err := l.Then(fn); err != nil {
		return err
	}
	return l.flush()
}

// flush sends the deliveries added so far and the functions queued with
// Then as a batch.
func (l *Loader) flush() error {
	if len(l.batch) == 0 && len(l.then) == 0 {
		return l.failed()
	}
	select {
	case l.work <- loadWork{ds: l.batch, then: l.then}:
	case <-l.ctx.Done():
		return l.ctx.Err()
	}
	l.batch, l.then = make([]Delivery, 0, l.size), nil
	return l.failed()
}

// Close loads what is left, waits for the loading to finish and returns
// the totals.
func (l *Loader) Close() (LoadStats, error) {
	err := l.flush()
	close(l.work)
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		err = l.err
	}
	return l.stats, err
}
