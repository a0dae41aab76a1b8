package sync

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"github.com/sextant-dev/sextant/internal/core"
	"github.com/sextant-dev/sextant/internal/github"
	"github.com/sextant-dev/sextant/internal/jobs"
	"github.com/sextant-dev/sextant/internal/store"
)

// HandleRepair runs one repair job (a jobs.Handler). When it succeeds,
// the findings it was enqueued for are marked repaired.
func (c *Checker) HandleRepair(ctx context.Context, job *store.Job) error {
	var a RepairArgs
	if err := json.Unmarshal([]byte(job.Args), &a); err != nil {
		return jobs.Permanent(fmt.Errorf("repair job %d: arguments %s: %w", job.ID, job.Args, err))
	}
	if err := c.repair(ctx, a); err != nil {
		return permanentIfGone(fmt.Errorf("repair %s of %s: %w", a.Repair, a.Scope, err))
	}
	return store.MarkRepaired(ctx, c.db.W, job.ID, c.now())
}

func (c *Checker) repair(ctx context.Context, a RepairArgs) error {
	switch a.Repair {
	case repairOrg:
		_, err := c.SyncOrg(ctx, a.Scope, Mode{Members: true, Full: true})
		return err
	case repairProject:
		if c.opts.Project == nil {
			return jobs.Permanent(fmt.Errorf("no webhook projector in this process"))
		}
		return c.opts.Project(ctx)
	case repairRedeliver:
		return c.redeliver(ctx, a)
	case repairResync:
		return c.resync(ctx, a)
	}
	r, err := c.resolveRepo(ctx, a.Scope, false)
	if err != nil {
		return err
	}
	nums := make([]int64, 0, len(a.Targets))
	for _, t := range a.Targets {
		n, err := strconv.ParseInt(t, 10, 64)
		if err != nil {
			return jobs.Permanent(fmt.Errorf("target %q is not a number", t))
		}
		nums = append(nums, n)
	}
	switch a.Repair {
	case repairPulls:
		return c.repairPulls(ctx, r)
	case repairIssues:
		return c.repairIssues(ctx, r)
	case repairRefetch:
		numbers := make([]int, len(nums))
		for i, n := range nums {
			numbers[i] = int(n)
		}
		return c.refreshPulls(ctx, r, numbers)
	case repairStatuses:
		return c.refreshStatuses(ctx, r, nums)
	}
	return jobs.Permanent(fmt.Errorf("unknown repair %q", a.Repair))
}

// inventory reads a whole GitHub inventory by number.
func inventory(ctx context.Context, fetch func(ctx context.Context, cursor string) (github.Page[github.InventoryItem], error)) (map[int]github.InventoryItem, error) {
	out := map[int]github.InventoryItem{}
	for cursor := ""; ; {
		p, err := fetch(ctx, cursor)
		if err != nil {
			return nil, err
		}
		for _, it := range p.Items {
			out[it.Number] = it
		}
		if cursor = p.Next; cursor == "" {
			return out, nil
		}
	}
}

// stale lists the numbers GitHub lists that the store lacks or holds in
// another state or version.
func stale(inv map[int]github.InventoryItem, have map[int]store.StoredItem, also map[int64]bool) []int {
	var out []int
	for n, it := range inv {
		h, ok := have[n]
		if !ok || h.Stale || h.State != it.State || !h.UpdatedAt.Equal(it.UpdatedAt) || also[it.ID] {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// repairPulls compares the repository's pull requests with GitHub's
// inventory (1 point per 100) and fetches those missing or stale, and
// those that orphaned reviews belong to: one by one when they are few, by
// a full walk when that is cheaper (a page of 37 costs what one does).
func (c *Checker) repairPulls(ctx context.Context, r repo) error {
	inv, err := inventory(ctx, func(ctx context.Context, cursor string) (github.Page[github.InventoryItem], error) {
		return c.gh.PullInventory(ctx, r.owner, r.name, cursor)
	})
	if err != nil {
		return err
	}
	have, err := store.PullInventory(ctx, c.db.R, r.id)
	if err != nil {
		return err
	}
	orphans, err := store.OrphanReviews(ctx, c.db.R, r.id)
	if err != nil {
		return err
	}
	also := map[int64]bool{}
	for _, id := range orphans.Sample {
		also[id] = true
	}
	todo := stale(inv, have, also)
	if len(todo) > len(inv)/github.DefaultPullPageSize+1 {
		if err := store.ForgetPullVersions(ctx, c.db.W, r.id, todo); err != nil {
			return err
		}
		st, err := loadState[pullCheckpoint](ctx, c.db.R, r.full, kindPulls)
		if err != nil {
			return err
		}
		return c.walkPulls(ctx, r, &st, &pullWalk{Full: true}, nil, func(cp *pullCheckpoint) **pullWalk { return &cp.Walk })
	}
	return c.refreshPulls(ctx, r, todo)
}

// repairIssues compares the repository's issues with GitHub's inventory:
// a stored issue GitHub no longer lists is asked about (moved or
// deleted), a missing or stale one is fetched.
func (c *Checker) repairIssues(ctx context.Context, r repo) error {
	inv, err := inventory(ctx, func(ctx context.Context, cursor string) (github.Page[github.InventoryItem], error) {
		return c.gh.IssueInventory(ctx, r.owner, r.name, cursor)
	})
	if err != nil {
		return err
	}
	have, err := store.IssueInventory(ctx, c.db.R, r.id)
	if err != nil {
		return err
	}
	var gone []int
	for n := range have {
		if _, ok := inv[n]; !ok {
			gone = append(gone, n)
		}
	}
	slices.Sort(gone)
	for _, n := range gone {
		if err := c.checkIssue(ctx, r, n, have[n].ID); err != nil {
			return err
		}
	}
	todo := stale(inv, have, nil)
	if len(todo) > len(inv)/100+1 {
		st, err := loadState[issueCheckpoint](ctx, c.db.R, r.full, kindIssues)
		if err != nil {
			return err
		}
		return c.walkIssues(ctx, r, &st, &issueWalk{Full: true, SetWatermark: true, FromZero: true}, nil)
	}
	for _, n := range todo {
		if err := store.ForgetIssueVersion(ctx, c.db.W, r.id, n); err != nil {
			return err
		}
		if err := c.checkIssue(ctx, r, n, have[n].ID); err != nil {
			return err
		}
	}
	return nil
}

// refreshStatuses reads the statuses of GitHub deployments (ids) again.
func (c *Checker) refreshStatuses(ctx context.Context, r repo, ids []int64) error {
	sids := make([]string, len(ids))
	for i, id := range ids {
		sids[i] = strconv.FormatInt(id, 10)
	}
	known, err := store.GitHubDeployments(ctx, c.db.R, sids)
	if err != nil {
		return err
	}
	for i, id := range ids {
		k, ok := known[sids[i]]
		if !ok {
			continue
		}
		var statuses []core.DeploymentStatus
		for cursor := ""; ; {
			p, err := c.gh.DeploymentStatuses(github.Fresh(ctx), r.owner, r.name, id, cursor)
			if err != nil {
				return err
			}
			statuses = append(statuses, p.Items...)
			if cursor = p.Next; cursor == "" {
				break
			}
		}
		err := c.db.Tx(ctx, func(tx *sql.Tx) error {
			for _, st := range statuses {
				if err := store.AddDeploymentStatus(ctx, tx, k.ID, st); err != nil {
					return err
				}
			}
			return store.MarkDeploymentStatusesSynced(ctx, tx, k.ID, c.now())
		})
		if err != nil {
			return err
		}
	}
	return nil
}
