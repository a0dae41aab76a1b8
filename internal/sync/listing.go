package sync

import (
	"context"
	"database/sql"
	"strconv"
	"time"

	"github.com/sextant-dev/sextant/internal/github"
)

// listCheckpoint is where a walk over every page of a newest-first
// listing stopped.
type listCheckpoint struct {
	Page int  `json:"page,omitempty"`
	All  bool `json:"all,omitempty"`
	// Complete: a walk over every page finished once, so an incremental
	// walk may stop where nothing changed.
	Complete bool `json:"complete,omitempty"`
}

// newestFirst is a listing GitHub sorts newest first by creation
// (deployments, workflow runs, releases), whose older items still change
// (a deployment's statuses, a run finishing).
type newestFirst[T any] struct {
	kind  string
	fetch func(ctx context.Context, cursor string) (github.Page[T], error)
	// prepare reads what a page's items need besides the page (statuses,
	// jobs: requests happen here, never inside a transaction), storing
	// each such item with what it needed in its own transaction, so a
	// stopped sync keeps them; it returns how to store the rest of the
	// page and whether any item was new or changed.
	prepare func(ctx context.Context, items []T) (apply func(tx *sql.Tx) error, changed bool, err error)
	created func(T) time.Time
	// pending is the creation time of the oldest item created in the last
	// recentDays that is not finished (zero when none).
	pending func(ctx context.Context) (time.Time, error)
}

// walkNewestFirst reads a newest-first listing. Incrementally, page 1 is
// asked conditionally (a 304 ends the walk for free) and the walk goes on
// while a page held something new or changed, or while older unfinished
// items remain. The first walk, a full sync and a reconciliation read
// every page, resuming at the checkpoint of one that was stopped. Since
// and Until bound it by creation.
func walkNewestFirst[T any](ctx context.Context, s *Syncer, r repo, mode Mode, l newestFirst[T]) error {
	st, err := loadState[listCheckpoint](ctx, s.db.R, r.full, l.kind)
	if err != nil {
		return err
	}
	all := mode.Full || mode.Reconcile || !st.cp.Complete
	fetchCtx := ctx
	if mode.Full || mode.Reconcile {
		fetchCtx = github.Fresh(ctx)
	}
	page := 1
	if all && st.cp.All && st.cp.Page > 1 {
		page = st.cp.Page
	}
	var pendingSince time.Time
	if !all {
		if pendingSince, err = l.pending(ctx); err != nil {
			return err
		}
	}
	for ; ; page++ {
		p, err := l.fetch(fetchCtx, strconv.Itoa(page))
		if err != nil {
			return err
		}
		if p.NotModified {
			return nil
		}
		items := p.Items[:0:0]
		oldest := time.Time{}
		for _, it := range p.Items {
			c := l.created(it)
			if oldest.IsZero() || c.Before(oldest) {
				oldest = c
			}
			if !mode.Until.IsZero() && c.After(mode.Until) || !mode.Since.IsZero() && c.Before(mode.Since) {
				continue
			}
			items = append(items, it)
		}
		apply, changed, err := l.prepare(ctx, items)
		if err != nil {
			return err
		}
		last := p.Next == "" || !mode.Since.IsZero() && !oldest.IsZero() && oldest.Before(mode.Since)
		err = s.db.Tx(ctx, func(tx *sql.Tx) error {
			if err := apply(tx); err != nil {
				return err
			}
			now := s.now()
			if err := saveValidator(ctx, tx, p.Validator, now); err != nil {
				return err
			}
			complete := st.cp.Complete || all && last && mode.Until.IsZero()
			st.cp = listCheckpoint{Complete: complete}
			if all && !last {
				st.cp = listCheckpoint{Page: page + 1, All: true, Complete: complete}
			}
			return st.save(ctx, tx, now)
		})
		if err != nil {
			return err
		}
		if last {
			return nil
		}
		if !all && !changed && (pendingSince.IsZero() || !oldest.After(pendingSince)) {
			return nil
		}
	}
}

// listed is every item of a listing that is read whole (members, teams,
// repositories): Changed false means GitHub answered 304 to the single
// page stored last time, and Items is empty.
type listed[T any] struct {
	Items     []T
	Changed   bool
	Pages     int
	Validator github.Validator
}

// pagesCheckpoint is how many pages a whole listing had last time.
type pagesCheckpoint struct {
	Pages int `json:"pages,omitempty"`
}

// listWhole reads every page of a listing. One that fit on one page last
// time is asked conditionally, so an unchanged one costs nothing; longer
// ones are read fresh (a 304 on one page of several would leave that
// page's items unknown).
func listWhole[T any](ctx context.Context, s *Syncer, scope, kind string, mode Mode,
	fetch func(ctx context.Context, cursor string) (github.Page[T], error)) (listed[T], *state[pagesCheckpoint], error) {
	st, err := loadState[pagesCheckpoint](ctx, s.db.R, scope, kind)
	if err != nil {
		return listed[T]{}, nil, err
	}
	fetchCtx := ctx
	if mode.Full || st.cp.Pages != 1 {
		fetchCtx = github.Fresh(ctx)
	}
	out := listed[T]{Changed: true}
	for cursor := ""; ; {
		p, err := fetch(fetchCtx, cursor)
		if err != nil {
			return out, &st, err
		}
		if p.NotModified {
			return listed[T]{Pages: st.cp.Pages}, &st, nil
		}
		out.Pages++
		out.Items = append(out.Items, p.Items...)
		if out.Pages == 1 {
			out.Validator = p.Validator
		}
		if cursor = p.Next; cursor == "" {
			break
		}
		fetchCtx = github.Fresh(ctx)
	}
	if out.Pages != 1 {
		out.Validator = github.Validator{}
	}
	return out, &st, nil
}

// saveWhole stores, in the transaction that stored a whole listing, its
// page count and (for one page) its validator.
func saveWhole[T any](ctx context.Context, s *Syncer, tx *sql.Tx, st *state[pagesCheckpoint], l listed[T]) error {
	now := s.now()
	st.cp.Pages = l.Pages
	if err := saveValidator(ctx, tx, l.Validator, now); err != nil {
		return err
	}
	return st.save(ctx, tx, now)
}
