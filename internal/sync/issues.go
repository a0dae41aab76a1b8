package sync

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"

	"github.com/sextant-dev/sextant/internal/core"
	"github.com/sextant-dev/sextant/internal/github"
	"github.com/sextant-dev/sextant/internal/store"
)

// Sync state kinds of issues.
const (
	kindIssues    = "issues"    // the walk by updated_at: watermark and checkpoint
	kindTimelines = "timelines" // the last timeline page of each issue with more than one
	kindNumbers   = "numbers"   // how far the numbers were checked for gaps
)

// issueWalk is a walk over a repository's issues by updated_at, oldest
// first. Each page is asked with since = the newest updated_at stored so
// far (page 1), so an issue updated during the walk, which moves to its
// end, shifts no other issue past the walk; Page counts on only when a
// whole page shares one updated_at.
type issueWalk struct {
	Start        int64 `json:"start,omitempty"` // since of the first page (ms)
	Pos          int64 `json:"pos,omitempty"`   // since of the next page
	Page         int   `json:"page,omitempty"`
	Until        int64 `json:"until,omitempty"`
	SetWatermark bool  `json:"set,omitempty"`
	FromZero     bool  `json:"zero,omitempty"`
	Full         bool  `json:"full,omitempty"`
}

type issueCheckpoint struct {
	Walk     *issueWalk `json:"walk,omitempty"`
	Complete bool       `json:"complete,omitempty"`
}

// syncIssues walks the issues updated since the watermark (a probe
// answered 304 skips it), then polls the timelines of the issues that
// changed and of those updated within EventsWindow, and looks for issues
// moved or deleted: the open ones GitHub no longer lists (reconciliation)
// and the numbers neither a pull request nor an issue holds.
func (s *Syncer) syncIssues(ctx context.Context, r repo, mode Mode) error {
	st, err := loadState[issueCheckpoint](ctx, s.db.R, r.full, kindIssues)
	if err != nil {
		return err
	}
	wm := ms(st.Watermark)
	var (
		walk  *issueWalk
		probe *github.Probe
	)
	switch {
	case mode.backfill():
		walk = &issueWalk{Start: ms(mode.Since), Pos: ms(mode.Since), Until: ms(mode.Until), FromZero: mode.Since.IsZero(),
			SetWatermark: mode.Until.IsZero() && (wm == 0 || wm >= ms(mode.Since))}
		if w := st.cp.Walk; w != nil && w.Start == walk.Start && w.Until == walk.Until && !w.Full {
			walk = w
		}
	case mode.Full:
		walk = &issueWalk{Full: true, SetWatermark: true, FromZero: true}
		if w := st.cp.Walk; w != nil && w.Full {
			walk = w
		}
	case st.cp.Walk != nil:
		walk = st.cp.Walk
	default:
		p, err := s.gh.ProbeIssues(ctx, r.owner, r.name)
		if err != nil {
			return err
		}
		if p.Changed {
			probe = &p
			walk = &issueWalk{Start: wm, Pos: wm, SetWatermark: true, FromZero: wm == 0}
		}
	}
	if walk != nil {
		if err := s.walkIssues(ctx, r, &st, walk, probe); err != nil {
			return err
		}
	}
	if mode.Reconcile {
		if err := s.reconcileOpenIssues(ctx, r); err != nil {
			return err
		}
	}
	if err := s.checkNumbers(ctx, r, st.cp.Complete); err != nil {
		return err
	}
	// A transfer the sync found before a webhook told its old issue's id.
	if err := store.DropStandInTransfers(ctx, s.db.W); err != nil {
		return err
	}
	return s.pollTimelines(ctx, r, mode)
}

func (s *Syncer) walkIssues(ctx context.Context, r repo, st *state[issueCheckpoint], walk *issueWalk, probe *github.Probe) error {
	for {
		page, err := s.gh.Issues(ctx, r.owner, r.name, fromMS(walk.Pos), strconv.Itoa(max(walk.Page, 1)))
		if err != nil {
			return err
		}
		newest := walk.Pos
		for _, it := range page.Items {
			newest = max(newest, ms(it.Issue.UpdatedAt))
		}
		done := page.Next == ""
		stored := 0
		err = s.db.Tx(ctx, func(tx *sql.Tx) error {
			for _, it := range page.Items {
				if it.IsPull || walk.Until != 0 && ms(it.Issue.UpdatedAt) > walk.Until {
					continue
				}
				if err := storeIssue(ctx, tx, r.id, it); err != nil {
					return err
				}
				stored++
			}
			now := s.now()
			if !done {
				if newest > walk.Pos {
					walk.Pos, walk.Page = newest, 1
				} else {
					walk.Page = max(walk.Page, 1) + 1
				}
				st.cp.Walk = walk
				return st.save(ctx, tx, now)
			}
			st.cp.Walk = nil
			if walk.SetWatermark && newest > ms(st.Watermark) {
				st.Watermark = fromMS(newest)
			}
			if walk.FromZero && walk.Until == 0 {
				st.cp.Complete = true
			}
			return finishWalk(ctx, tx, st, probe, now)
		})
		if err != nil {
			return err
		}
		s.Progress.add("issues", stored)
		if done {
			return nil
		}
	}
}

func storeIssue(ctx context.Context, q store.Querier, repoID int64, it github.IssueItem) error {
	if err := upsertActors(ctx, q, it.Author); err != nil {
		return err
	}
	is := it.Issue
	is.RepoID = repoID
	_, err := store.UpsertIssue(ctx, q, is)
	return err
}

// reconcileOpenIssues lists the open issues and asks GitHub about each
// stored open issue it no longer lists: closed, moved or deleted.
func (s *Syncer) reconcileOpenIssues(ctx context.Context, r repo) error {
	listed := map[int]bool{}
	for cursor := ""; ; {
		page, err := s.gh.OpenIssues(github.Fresh(ctx), r.owner, r.name, cursor)
		if err != nil {
			return err
		}
		err = s.db.Tx(ctx, func(tx *sql.Tx) error {
			for _, it := range page.Items {
				listed[it.Issue.Number] = true
				if err := storeIssue(ctx, tx, r.id, it); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		if cursor = page.Next; cursor == "" {
			break
		}
	}
	open, err := store.OpenIssues(ctx, s.db.R, r.id)
	if err != nil {
		return err
	}
	for _, ref := range open {
		if !listed[ref.Number] {
			if err := s.checkIssue(ctx, r, ref.Number, ref.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

// numbersCheckpoint is how far a repository's numbers were checked.
type numbersCheckpoint struct {
	Checked int `json:"checked,omitempty"`
}

// checkNumbers asks GitHub about each number the repository's pull
// requests and issues leave out, once both walks have stored everything:
// GitHub numbers both in one sequence, so a gap is an issue transferred
// away or deleted before the store saw it. Each gap costs one request,
// once.
func (s *Syncer) checkNumbers(ctx context.Context, r repo, issuesComplete bool) error {
	if !issuesComplete {
		return nil
	}
	if ok, err := s.pullsComplete(ctx, r); err != nil || !ok {
		return err
	}
	st, err := loadState[numbersCheckpoint](ctx, s.db.R, r.full, kindNumbers)
	if err != nil {
		return err
	}
	known, err := store.KnownNumbers(ctx, s.db.R, r.id)
	if err != nil {
		return err
	}
	top := 0
	for n := range known {
		top = max(top, n)
	}
	if top <= st.cp.Checked {
		return nil
	}
	for n := st.cp.Checked + 1; n <= top; n++ {
		if known[n] {
			continue
		}
		if err := s.checkIssue(ctx, r, n, 0); err != nil {
			return err
		}
	}
	st.cp.Checked = top
	return st.save(ctx, s.db.W, s.now())
}

// checkIssue asks GitHub for issue number of r, which the store holds as
// storedID (0 when it does not), and records what became of it: moved
// (both ends of the transfer), deleted, or simply its current state.
func (s *Syncer) checkIssue(ctx context.Context, r repo, number int, storedID int64) error {
	it, _, err := s.gh.Issue(github.Fresh(ctx), r.owner, r.name, number)
	return s.applyIssue(ctx, r, number, storedID, it, err)
}

// applyIssue records what GitHub answered for issue number of r.
func (s *Syncer) applyIssue(ctx context.Context, r repo, number int, storedID int64, it github.IssueItem, err error) error {
	switch {
	case errors.Is(err, github.ErrNotFound):
		if storedID == 0 {
			return nil
		}
		return store.MarkIssueDeleted(ctx, s.db.W, storedID)
	case err != nil:
		return err
	case it.IsPull:
		return nil
	case it.Transfer == nil:
		return s.db.Tx(ctx, func(tx *sql.Tx) error { return storeIssue(ctx, tx, r.id, it) })
	}
	var newRepoID int64
	if nr, err := s.db.RepositoryByName(ctx, it.NewRepo); err == nil && nr.GitHubID != 0 {
		newRepoID = nr.ID
	} else if err != nil && core.ErrorCode(err) != core.CodeNotFound {
		return err
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if newRepoID != 0 {
			if err := storeIssue(ctx, tx, newRepoID, it); err != nil {
				return err
			}
		}
		t := *it.Transfer
		t.OldIssueID, t.OldRepoID, t.NewRepoID = storedID, r.id, newRepoID
		t.TransferredAt = it.Issue.CreatedAt
		if t.TransferredAt.IsZero() {
			t.TransferredAt = s.now()
		}
		return store.RecordFoundTransfer(ctx, tx, t)
	})
	if err == nil {
		s.Progress.add("transfers", 1)
		s.opts.Log.Debug("issue transferred", "repo", r.full, "number", number, "to", it.NewRepo, "new_number", it.Transfer.NewNumber)
	}
	return err
}

// timelineCheckpoint is how far the timelines are read: every issue up to
// (At, Number) by (updated_at, number) had its timeline read after its
// last update. Pages keeps, for the issues whose timeline is longer than
// one page or whose last page is full, the last page and whether it is
// full ("3" or "3+"); every other issue's timeline is page 1, not full.
type timelineCheckpoint struct {
	At     int64             `json:"at,omitempty"`
	Number int               `json:"number,omitempty"`
	Pages  map[string]string `json:"pages,omitempty"`
}

// pollTimelines reads the timelines of the issues updated since they were
// last read (all of them the first time, or with mode.Full), in update
// order with the position kept, so a stopped sync resumes at the next
// issue; then of those updated within EventsWindow, whose timelines may
// change without the issue (a cross-reference). Each page is asked from
// the last known page on, conditionally: an unchanged page is a free 304.
func (s *Syncer) pollTimelines(ctx context.Context, r repo, mode Mode) error {
	st, err := loadState[timelineCheckpoint](ctx, s.db.R, r.full, kindTimelines)
	if err != nil {
		return err
	}
	if mode.Full {
		st.cp.At, st.cp.Number = 0, 0
	}
	fetchCtx := mode.fresh(ctx)
	changed, err := store.IssuesChangedAfter(ctx, s.db.R, r.id, fromMS(st.cp.At), st.cp.Number)
	if err != nil {
		return err
	}
	polled := map[int]bool{}
	for _, ref := range changed {
		if err := s.pollTimeline(ctx, fetchCtx, r, &st, ref.Number, ref.ID); err != nil {
			return err
		}
		polled[ref.Number] = true
		st.cp.At, st.cp.Number = ms(ref.UpdatedAt), ref.Number
		if err := st.save(ctx, s.db.W, s.now()); err != nil {
			return err
		}
	}
	recent, err := store.IssuesUpdatedSince(ctx, s.db.R, r.id, s.now().Add(-s.opts.EventsWindow))
	if err != nil {
		return err
	}
	for _, ref := range recent {
		if polled[ref.Number] {
			continue
		}
		if err := s.pollTimeline(ctx, fetchCtx, r, &st, ref.Number, ref.ID); err != nil {
			return err
		}
	}
	return nil
}

const timelinePage = 100 // GitHub's largest page, which the client asks for

func (s *Syncer) pollTimeline(ctx, fetchCtx context.Context, r repo, st *state[timelineCheckpoint], number int, issueID int64) error {
	key := strconv.Itoa(number)
	last, full := 1, false
	if v, ok := st.cp.Pages[key]; ok {
		full = strings.HasSuffix(v, "+")
		if n, err := strconv.Atoi(strings.TrimSuffix(v, "+")); err == nil && n > 0 {
			last = n
		}
	}
	for p := last; ; p++ {
		page, err := s.gh.IssueTimeline(fetchCtx, r.owner, r.name, number, strconv.Itoa(p))
		if err != nil {
			return s.timelineFailed(ctx, r, number, issueID, err)
		}
		if page.NotModified {
			if full && p == last {
				continue // a full last page: events may have started the next one
			}
			return nil
		}
		if len(page.Items) == 0 && p > 1 {
			return nil
		}
		events := 0
		err = s.db.Tx(ctx, func(tx *sql.Tx) error {
			for _, it := range page.Items {
				if it.Event.ID == 0 {
					continue
				}
				if err := upsertActors(ctx, tx, it.Actor); err != nil {
					return err
				}
				ev := it.Event
				ev.RepoID, ev.IssueID = r.id, issueID
				if err := store.AddIssueEvent(ctx, tx, ev); err != nil {
					return err
				}
				if c := it.Comment; c != nil {
					c.RepoID, c.IssueID = r.id, issueID
					if err := store.UpsertIssueComment(ctx, tx, *c); err != nil {
						return err
					}
				}
				events++
			}
			now := s.now()
			if err := saveValidator(ctx, tx, page.Validator, now); err != nil {
				return err
			}
			entry := strconv.Itoa(p)
			if len(page.Items) >= timelinePage {
				entry += "+"
			}
			if entry == "1" {
				if _, ok := st.cp.Pages[key]; !ok {
					return nil
				}
				delete(st.cp.Pages, key)
			} else {
				if st.cp.Pages == nil {
					st.cp.Pages = map[string]string{}
				}
				st.cp.Pages[key] = entry
			}
			return st.save(ctx, tx, now)
		})
		if err != nil {
			return err
		}
		s.Progress.add("events", events)
		if page.Next == "" {
			return nil
		}
		full = false
	}
}

// timelineFailed: GitHub answers a moved issue's timeline with a redirect
// to the new issue itself, which is not a timeline. Ask for the issue:
// if it moved or is gone, record that; otherwise the error stands.
func (s *Syncer) timelineFailed(ctx context.Context, r repo, number int, issueID int64, err error) error {
	if !errors.Is(err, github.ErrMalformed) && !errors.Is(err, github.ErrNotFound) {
		return err
	}
	it, _, ierr := s.gh.Issue(github.Fresh(ctx), r.owner, r.name, number)
	if ierr == nil && it.Transfer == nil || ierr != nil && !errors.Is(ierr, github.ErrNotFound) {
		return err
	}
	return s.applyIssue(ctx, r, number, issueID, it, ierr)
}
