package ingest

import (
	"context"
	"sync"
)

// Loader feeds Load from a producer, such as the demo generator: Add
// collects deliveries into batches, which go through a pipeline of two
// background stages (compress and decode on every core; then the
// transaction), so generating, preparing and writing overlap.
//
//	l := hooks.NewLoader(ctx, 2000)
//	for … { if err := l.Add(d); err != nil { … } }
//	stats, err := l.Close()
type Loader struct {
	w     *Webhooks
	ctx   context.Context
	size  int
	batch []Delivery
	work  chan []Delivery
	wg    sync.WaitGroup

	mu    sync.Mutex
	err   error
	stats LoadStats
}

// NewLoader returns a loader that loads batches of size deliveries (2,000
// when size is not positive).
func (w *Webhooks) NewLoader(ctx context.Context, size int) *Loader {
	if size <= 0 {
		size = 2000
	}
	l := &Loader{w: w, ctx: ctx, size: size, work: make(chan []Delivery)}
	prepared := make(chan *loadBatch, 1)
	l.wg.Add(2)
	go func() {
		defer l.wg.Done()
		defer close(prepared)
		for ds := range l.work {
			if l.failed() != nil {
				continue
			}
			b, err := prepareLoad(ds)
			if err != nil {
				l.fail(err)
				continue
			}
			prepared <- b
		}
	}()
	go func() {
		defer l.wg.Done()
		for b := range prepared {
			if l.failed() != nil {
				continue
			}
			st, err := w.commitLoad(ctx, b)
			l.fail(err)
			l.mu.Lock()
			l.stats.Stored += st.Stored
			l.stats.Duplicates += st.Duplicates
			l.stats.Failed += st.Failed
			l.mu.Unlock()
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

func (l *Loader) flush() error {
	if len(l.batch) == 0 {
		return nil
	}
	select {
	case l.work <- l.batch:
	case <-l.ctx.Done():
		return l.ctx.Err()
	}
	l.batch = make([]Delivery, 0, l.size)
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
