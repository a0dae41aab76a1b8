package sync

import (
	"context"
	"database/sql"

	"github.com/sextant-dev/sextant/internal/github"
	"github.com/sextant-dev/sextant/internal/store"
)

// Sync state kinds of pull requests.
const (
	kindPulls       = "pulls"        // the incremental walk: watermark and checkpoint
	kindPullsOpen   = "pulls:open"   // reconciliation of open pull requests
	kindPullsClosed = "pulls:closed" // reconciliation of closed unmerged ones
)

// pullWalk is a walk over a repository's pull requests, most recently
// updated first, as a checkpoint: the cursor after the last stored page
// and what the walk will do when it completes.
type pullWalk struct {
	After  string   `json:"after,omitempty"`
	Since  int64    `json:"since,omitempty"` // stop at pull requests updated before (ms)
	Until  int64    `json:"until,omitempty"` // store none updated after (ms)
	States []string `json:"states,omitempty"`
	// Next is the first page's first updated_at: the watermark once the
	// walk completes, when SetWatermark.
	Next         int64 `json:"next,omitempty"`
	SetWatermark bool  `json:"set,omitempty"`
	Full         bool  `json:"full,omitempty"`
}

type pullCheckpoint struct {
	Walk *pullWalk `json:"walk,omitempty"`
	// Complete: a walk from the beginning finished, so every pull request
	// is stored (number gaps then mean transferred or deleted issues).
	Complete bool `json:"complete,omitempty"`
}

func (w *pullWalk) same(o *pullWalk) bool {
	return o != nil && w.Since == o.Since && w.Until == o.Until && w.Full == o.Full
}

// syncPulls walks the pull requests updated since the watermark (all of
// them the first time), newest first, a page per transaction; a probe
// answered 304 skips the walk for free. A reconciliation then re-reads the
// open ones and the closed unmerged ones of the last ReconcileDays.
func (s *Syncer) syncPulls(ctx context.Context, r repo, mode Mode) error {
	st, err := loadState[pullCheckpoint](ctx, s.db.R, r.full, kindPulls)
	if err != nil {
		return err
	}
	wm := ms(st.Watermark)
	var (
		walk  *pullWalk
		probe *github.Probe
	)
	switch {
	case mode.backfill():
		walk = &pullWalk{Since: ms(mode.Since), Until: ms(mode.Until),
			SetWatermark: mode.Until.IsZero() && (wm == 0 || wm >= ms(mode.Since))}
	case mode.Full:
		walk = &pullWalk{Full: true, SetWatermark: true}
	case st.cp.Walk != nil:
		walk = st.cp.Walk
	default:
		p, err := s.gh.ProbePulls(ctx, r.owner, r.name)
		if err != nil {
			return err
		}
		if !p.Changed {
			return nil
		}
		probe = &p
		walk = &pullWalk{Since: wm, SetWatermark: true}
	}
	if walk.same(st.cp.Walk) {
		walk = st.cp.Walk // resume where a stopped walk left off
	}
	if err := s.walkPulls(ctx, r, &st, walk, probe, func(cp *pullCheckpoint) **pullWalk { return &cp.Walk }); err != nil {
		return err
	}
	if !mode.Reconcile {
		return nil
	}
	for _, rc := range []struct {
		kind string
		walk pullWalk
	}{
		{kindPullsOpen, pullWalk{States: []string{"OPEN"}}},
		{kindPullsClosed, pullWalk{States: []string{"CLOSED"}, Since: ms(s.now().AddDate(0, 0, -s.opts.ReconcileDays))}},
	} {
		rst, err := loadState[pullCheckpoint](ctx, s.db.R, r.full, rc.kind)
		if err != nil {
			return err
		}
		w := rc.walk
		if rst.cp.Walk != nil && len(rst.cp.Walk.States) > 0 && rst.cp.Walk.States[0] == w.States[0] {
			w.After = rst.cp.Walk.After
		}
		if err := s.walkPulls(ctx, r, &rst, &w, nil, func(cp *pullCheckpoint) **pullWalk { return &cp.Walk }); err != nil {
			return err
		}
	}
	return nil
}

// walkPulls runs walk page by page until it is done, storing each page
// with the walk's checkpoint (slot says where in st the walk is kept).
func (s *Syncer) walkPulls(ctx context.Context, r repo, st *state[pullCheckpoint], walk *pullWalk, probe *github.Probe,
	slot func(*pullCheckpoint) **pullWalk) error {
	for {
		page, err := s.gh.PullRequests(ctx, r.owner, r.name, github.PullQuery{After: walk.After, Since: fromMS(walk.Since), States: walk.States})
		if err != nil {
			return err
		}
		if walk.After == "" && walk.Next == 0 && len(page.Items) > 0 {
			walk.Next = ms(page.Items[0].Pull.UpdatedAt)
		}
		stored, reviews := 0, 0
		err = s.db.Tx(ctx, func(tx *sql.Tx) error {
			for _, it := range page.Items {
				if walk.Until != 0 && it.Pull.UpdatedAt.UnixMilli() > walk.Until {
					continue
				}
				if err := storePull(ctx, tx, r.id, it); err != nil {
					return err
				}
				stored++
				reviews += len(it.Reviews)
			}
			now := s.now()
			if !page.Done {
				walk.After = page.Next
				*slot(&st.cp) = walk
				return st.save(ctx, tx, now)
			}
			*slot(&st.cp) = nil
			if walk.SetWatermark && walk.Next > ms(st.Watermark) {
				st.Watermark = fromMS(walk.Next)
			}
			if walk.Since == 0 && walk.Until == 0 && len(walk.States) == 0 {
				st.cp.Complete = true
			}
			return finishWalk(ctx, tx, st, probe, now)
		})
		if err != nil {
			return err
		}
		s.Progress.add("pulls", stored)
		s.Progress.add("reviews", reviews)
		if page.Done {
			return nil
		}
	}
}

// storePull stores a pull request, its reviews and the actors they name.
func storePull(ctx context.Context, q store.Querier, repoID int64, it github.PullRequestItem) error {
	if err := upsertActors(ctx, q, it.Actors...); err != nil {
		return err
	}
	pr := it.Pull
	pr.RepoID = repoID
	if _, err := store.UpsertPullRequest(ctx, q, pr); err != nil {
		return err
	}
	for _, rv := range it.Reviews {
		rv.RepoID = repoID
		if err := store.UpsertReview(ctx, q, rv); err != nil {
			return err
		}
	}
	return nil
}

// pullsComplete reports whether every pull request of the repository was
// stored by a walk from the beginning.
func (s *Syncer) pullsComplete(ctx context.Context, r repo) (bool, error) {
	st, err := loadState[pullCheckpoint](ctx, s.db.R, r.full, kindPulls)
	return st.cp.Complete && st.cp.Walk == nil, err
}

// refreshPulls fetches pull requests by number and stores GitHub's copy
// as it is, whatever the stored one's version (repairs).
func (s *Syncer) refreshPulls(ctx context.Context, r repo, numbers []int) error {
	if err := store.ForgetPullVersions(ctx, s.db.W, r.id, numbers); err != nil {
		return err
	}
	for _, n := range numbers {
		it, _, err := s.gh.PullRequest(ctx, r.owner, r.name, n)
		if err != nil {
			return err
		}
		if err := s.db.Tx(ctx, func(tx *sql.Tx) error { return storePull(ctx, tx, r.id, it) }); err != nil {
			return err
		}
		s.Progress.add("pulls", 1)
	}
	return nil
}
