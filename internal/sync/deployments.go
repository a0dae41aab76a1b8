package sync

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/sextant-dev/sextant/internal/core"
	"github.com/sextant-dev/sextant/internal/github"
	"github.com/sextant-dev/sextant/internal/store"
)

// Sync state kinds of the newest-first listings.
const (
	kindDeployments = "deployments"
	kindRuns        = "runs"
	kindReleases    = "releases"
)

// syncDeployments reads new and changed deployments with their statuses,
// then the commits each successful deployment shipped: those between it
// and the successful deployment before it in the same environment
// (GitHub's compare), for lead time.
func (s *Syncer) syncDeployments(ctx context.Context, r repo, mode Mode) error {
	fetchCtx := mode.fresh(ctx)
	err := walkNewestFirst(ctx, s, r, mode, newestFirst[github.DeploymentItem]{
		kind: kindDeployments,
		fetch: func(ctx context.Context, cursor string) (github.Page[github.DeploymentItem], error) {
			return s.gh.Deployments(ctx, r.owner, r.name, cursor)
		},
		created: func(d github.DeploymentItem) time.Time { return d.Deployment.CreatedAt },
		pending: func(ctx context.Context) (time.Time, error) {
			return store.PendingDeploymentsSince(ctx, s.db.R, r.id, s.now().AddDate(0, 0, -recentDays))
		},
		prepare: func(ctx context.Context, items []github.DeploymentItem) (func(*sql.Tx) error, bool, error) {
			return s.prepareDeployments(ctx, fetchCtx, r, mode, items)
		},
	})
	if err != nil {
		return err
	}
	return s.shippedCommits(ctx, r)
}

func (s *Syncer) prepareDeployments(ctx, fetchCtx context.Context, r repo, mode Mode, items []github.DeploymentItem) (func(*sql.Tx) error, bool, error) {
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.Deployment.SourceID
	}
	known, err := store.GitHubDeployments(ctx, s.db.R, ids)
	if err != nil {
		return nil, false, err
	}
	changed := false
	var rest []github.DeploymentItem
	for _, it := range items {
		k, ok := known[it.Deployment.SourceID]
		if ok && !mode.Full && !k.StatusesSynced.IsZero() && !k.UpdatedAt.Before(it.Deployment.UpdatedAt) {
			rest = append(rest, it)
			continue
		}
		changed = true
		id, err := strconv.ParseInt(it.Deployment.SourceID, 10, 64)
		if err != nil {
			return nil, false, fmt.Errorf("deployment id %q: %w", it.Deployment.SourceID, err)
		}
		var (
			statuses   []core.DeploymentStatus
			validators []github.Validator
		)
		for cursor := ""; ; {
			p, err := s.gh.DeploymentStatuses(fetchCtx, r.owner, r.name, id, cursor)
			if err != nil {
				return nil, false, err
			}
			statuses = append(statuses, p.Items...)
			validators = append(validators, p.Validator)
			if cursor = p.Next; cursor == "" {
				break
			}
		}
		err = s.db.Tx(ctx, func(tx *sql.Tx) error {
			now := s.now()
			id, err := s.storeDeployment(ctx, tx, r, it)
			if err != nil {
				return err
			}
			for _, st := range statuses {
				if err := store.AddDeploymentStatus(ctx, tx, id, st); err != nil {
					return err
				}
			}
			for _, v := range validators {
				if err := saveValidator(ctx, tx, v, now); err != nil {
					return err
				}
			}
			return store.MarkDeploymentStatusesSynced(ctx, tx, id, now)
		})
		if err != nil {
			return nil, false, err
		}
		s.Progress.add("deployments", 1)
	}
	apply := func(tx *sql.Tx) error {
		for _, it := range rest {
			if _, err := s.storeDeployment(ctx, tx, r, it); err != nil {
				return err
			}
		}
		s.Progress.add("deployments", len(rest))
		return nil
	}
	return apply, changed, nil
}

func (s *Syncer) storeDeployment(ctx context.Context, tx *sql.Tx, r repo, it github.DeploymentItem) (int64, error) {
	if err := upsertActors(ctx, tx, it.Creator); err != nil {
		return 0, err
	}
	d := it.Deployment
	d.RepoID = r.id
	id, err := store.UpsertDeployment(ctx, tx, d)
	if err != nil {
		return 0, err
	}
	// An upsert without statuses resets the status; the statuses stored say
	// what it is.
	return id, store.RefreshDeploymentStatus(ctx, tx, id)
}

// shippedCommits fills deployment_commits for the successful deployments
// of r that lack them.
func (s *Syncer) shippedCommits(ctx context.Context, r repo) error {
	pairs, err := store.DeploymentsToCompare(ctx, s.db.R, r.id)
	if err != nil {
		return err
	}
	for _, p := range pairs {
		var (
			commits []core.Commit
			authors []core.Actor
		)
		if p.BaseSHA != "" && p.BaseSHA != p.SHA {
			for cursor := ""; ; {
				page, err := s.gh.Compare(ctx, r.owner, r.name, p.BaseSHA, p.SHA, cursor)
				if errors.Is(err, github.ErrNotFound) {
					// A sha GitHub no longer has (a force push): nothing to
					// know, and nothing to ask again.
					s.opts.Log.Info("compare: a deployed sha is unknown to GitHub", "repo", r.full, "base", p.BaseSHA, "head", p.SHA)
					commits = nil
					break
				}
				if err != nil {
					return err
				}
				for _, c := range page.Items {
					commits = append(commits, c.Commits...)
					authors = append(authors, c.Authors...)
				}
				if cursor = page.Next; cursor == "" {
					break
				}
			}
		}
		err := s.db.Tx(ctx, func(tx *sql.Tx) error {
			if err := upsertActors(ctx, tx, authors...); err != nil {
				return err
			}
			shas := make([]string, 0, len(commits))
			for _, c := range commits {
				c.RepoID = r.id
				if err := store.UpsertCommit(ctx, tx, c); err != nil {
					return err
				}
				shas = append(shas, c.SHA)
			}
			return store.SetDeploymentCommits(ctx, tx, p.DeploymentID, shas, s.now())
		})
		if err != nil {
			return err
		}
		s.Progress.add("commits", len(commits))
	}
	return nil
}

// syncRuns reads new and changed workflow runs and the jobs of those that
// changed or finished. A reconciliation re-reads the last recentDays.
func (s *Syncer) syncRuns(ctx context.Context, r repo, mode Mode) error {
	fetchCtx := mode.fresh(ctx)
	since := mode.Since
	if mode.Reconcile && since.IsZero() {
		since = s.now().AddDate(0, 0, -recentDays)
	}
	return walkNewestFirst(ctx, s, r, mode, newestFirst[core.WorkflowRun]{
		kind: kindRuns,
		fetch: func(ctx context.Context, cursor string) (github.Page[core.WorkflowRun], error) {
			return s.gh.WorkflowRuns(ctx, r.owner, r.name, since, cursor)
		},
		created: func(w core.WorkflowRun) time.Time { return w.CreatedAt },
		pending: func(ctx context.Context) (time.Time, error) {
			return store.PendingRunsSince(ctx, s.db.R, r.id, s.now().AddDate(0, 0, -recentDays))
		},
		prepare: func(ctx context.Context, runs []core.WorkflowRun) (func(*sql.Tx) error, bool, error) {
			ids := make([]int64, len(runs))
			for i, w := range runs {
				ids[i] = w.ID
			}
			known, err := store.WorkflowRunStates(ctx, s.db.R, ids)
			if err != nil {
				return nil, false, err
			}
			changed := false
			var rest []core.WorkflowRun
			for _, w := range runs {
				k, ok := known[w.ID]
				fresh := !ok || k.UpdatedAt.Before(w.UpdatedAt) || k.Status != w.Status
				changed = changed || fresh
				if !fresh && !mode.Full && (w.Status != "completed" || k.JobsDone) {
					rest = append(rest, w)
					continue
				}
				var jobs []core.WorkflowJob
				for cursor := ""; ; {
					p, err := s.gh.WorkflowJobs(fetchCtx, r.owner, r.name, w.ID, cursor)
					if err != nil {
						return nil, false, err
					}
					jobs = append(jobs, p.Items...)
					if cursor = p.Next; cursor == "" {
						break
					}
				}
				err := s.db.Tx(ctx, func(tx *sql.Tx) error {
					w.RepoID = r.id
					if err := store.UpsertWorkflowRun(ctx, tx, w); err != nil {
						return err
					}
					for _, j := range jobs {
						j.RepoID = r.id
						if err := store.UpsertWorkflowJob(ctx, tx, j); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					return nil, false, err
				}
				s.Progress.add("runs", 1)
			}
			return func(tx *sql.Tx) error {
				for _, w := range rest {
					w.RepoID = r.id
					if err := store.UpsertWorkflowRun(ctx, tx, w); err != nil {
						return err
					}
				}
				s.Progress.add("runs", len(rest))
				return nil
			}, changed, nil
		},
	})
}

// syncReleases reads new and changed releases.
func (s *Syncer) syncReleases(ctx context.Context, r repo, mode Mode) error {
	return walkNewestFirst(ctx, s, r, mode, newestFirst[core.Release]{
		kind: kindReleases,
		fetch: func(ctx context.Context, cursor string) (github.Page[core.Release], error) {
			return s.gh.Releases(ctx, r.owner, r.name, cursor)
		},
		created: func(rel core.Release) time.Time { return rel.CreatedAt },
		pending: func(context.Context) (time.Time, error) { return time.Time{}, nil },
		prepare: func(ctx context.Context, rels []core.Release) (func(*sql.Tx) error, bool, error) {
			ids := make([]int64, len(rels))
			for i, rel := range rels {
				ids[i] = rel.ID
			}
			known, err := store.ReleaseVersions(ctx, s.db.R, ids)
			if err != nil {
				return nil, false, err
			}
			changed := false
			for i := range rels {
				rels[i].RepoID = r.id
				if v, ok := known[rels[i].ID]; !ok || v != store.ReleaseVersion(rels[i]) {
					changed = true
				}
			}
			return func(tx *sql.Tx) error {
				for _, rel := range rels {
					if err := store.UpsertRelease(ctx, tx, rel); err != nil {
						return err
					}
				}
				s.Progress.add("releases", len(rels))
				return nil
			}, changed, nil
		},
	})
}
