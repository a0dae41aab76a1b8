package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/sextant-dev/sextant/internal/github"
	"github.com/sextant-dev/sextant/internal/jobs"
	"github.com/sextant-dev/sextant/internal/store"
)

// Job kinds of the sync.
const (
	// KindSync fans a scheduled sync out: one job per organization and
	// per configured repository.
	KindSync = "github.sync"
	// KindSyncOrg syncs an organization and enqueues a job per repository.
	KindSyncOrg = "github.sync_org"
	// KindSyncRepo syncs one repository.
	KindSyncRepo = "github.sync_repo"
)

// Schedule is a kind of scheduled sync.
type Schedule string

// The scheduled syncs, after the seed's ETL: every 30 minutes pull
// requests and issues (and deployments, runs, releases); every 10 minutes
// recently updated issues and their timelines; daily at 05:00 UTC members,
// teams, and what incremental syncs miss.
const (
	ScheduleSync      Schedule = "sync"
	ScheduleEvents    Schedule = "events"
	ScheduleReconcile Schedule = "reconcile"
)

// Default schedules (jobs.ParseSpec's syntax).
var DefaultSchedules = map[Schedule]string{ScheduleSync: "30m", ScheduleEvents: "10m", ScheduleReconcile: "05:00"}

// Mode is what a scheduled sync does.
func (sc Schedule) Mode() (Mode, error) {
	switch sc {
	case ScheduleSync:
		return Mode{}, nil
	case ScheduleEvents:
		return Mode{Parts: []Part{PartIssues}}, nil
	case ScheduleReconcile:
		return Mode{Members: true, Reconcile: true}, nil
	}
	return Mode{}, fmt.Errorf("unknown sync schedule %q (sync, events, reconcile)", sc)
}

// JobArgs are the arguments of the sync's jobs.
type JobArgs struct {
	Schedule Schedule `json:"schedule"`
	Org      string   `json:"org,omitempty"`
	Repo     string   `json:"repo,omitempty"`
	// Parts of the repository to sync (empty: the schedule's).
	Parts []Part `json:"parts,omitempty"`
}

// Enqueuer enqueues jobs: a jobs.Runner.
type Enqueuer interface {
	Enqueue(ctx context.Context, j store.NewJob) (int64, bool, error)
}

// RepoJob is the job that syncs repo as schedule sc would, keyed so a
// pending one is never enqueued twice.
func RepoJob(sc Schedule, repo string, parts []Part) (store.NewJob, error) {
	args, err := json.Marshal(JobArgs{Schedule: sc, Repo: repo, Parts: parts})
	if err != nil {
		return store.NewJob{}, err
	}
	key := KindSyncRepo + ":" + string(sc) + ":" + strings.ToLower(repo)
	for _, p := range parts {
		key += ":" + string(p)
	}
	return store.NewJob{Kind: KindSyncRepo, Args: string(args), UniqueKey: key}, nil
}

func orgJob(sc Schedule, org string) (store.NewJob, error) {
	args, err := json.Marshal(JobArgs{Schedule: sc, Org: org})
	if err != nil {
		return store.NewJob{}, err
	}
	return store.NewJob{Kind: KindSyncOrg, Args: string(args), UniqueKey: KindSyncOrg + ":" + string(sc) + ":" + strings.ToLower(org)}, nil
}

// Register gives runner the sync's job handlers and stores its schedules
// (specs by schedule; a missing one takes its default).
func (s *Syncer) Register(ctx context.Context, runner *jobs.Runner, specs map[Schedule]jobs.Spec) error {
	runner.Handle(KindSync, func(ctx context.Context, job *store.Job) error { return s.handleFanOut(ctx, runner, job) })
	runner.Handle(KindSyncOrg, func(ctx context.Context, job *store.Job) error { return s.handleOrg(ctx, runner, job) })
	runner.Handle(KindSyncRepo, s.handleRepo)
	for _, sc := range []Schedule{ScheduleSync, ScheduleEvents, ScheduleReconcile} {
		spec, ok := specs[sc]
		if !ok {
			var err error
			if spec, err = jobs.ParseSpec(DefaultSchedules[sc]); err != nil {
				return err
			}
		}
		args, err := json.Marshal(JobArgs{Schedule: sc})
		if err != nil {
			return err
		}
		if err := runner.Schedule(ctx, "github-"+string(sc), KindSync, string(args), spec); err != nil {
			return err
		}
	}
	return nil
}

func jobArgs(job *store.Job) (JobArgs, Mode, error) {
	var a JobArgs
	if err := json.Unmarshal([]byte(job.Args), &a); err != nil {
		return a, Mode{}, jobs.Permanent(fmt.Errorf("%s job %d: arguments %s: %w", job.Kind, job.ID, job.Args, err))
	}
	m, err := a.Schedule.Mode()
	if err != nil {
		return a, m, jobs.Permanent(fmt.Errorf("%s job %d: %w", job.Kind, job.ID, err))
	}
	if len(a.Parts) > 0 {
		m.Parts = a.Parts
	}
	return a, m, nil
}

func (s *Syncer) handleFanOut(ctx context.Context, q Enqueuer, job *store.Job) error {
	a, _, err := jobArgs(job)
	if err != nil {
		return err
	}
	orgs, repos := s.Targets()
	for _, org := range orgs {
		j, err := orgJob(a.Schedule, org)
		if err != nil {
			return err
		}
		if _, _, err := q.Enqueue(ctx, j); err != nil {
			return err
		}
	}
	return enqueueRepos(ctx, q, a.Schedule, repos)
}

func enqueueRepos(ctx context.Context, q Enqueuer, sc Schedule, repos []string) error {
	for _, r := range repos {
		j, err := RepoJob(sc, r, nil)
		if err != nil {
			return err
		}
		if _, _, err := q.Enqueue(ctx, j); err != nil {
			return err
		}
	}
	return nil
}

func (s *Syncer) handleOrg(ctx context.Context, q Enqueuer, job *store.Job) error {
	a, mode, err := jobArgs(job)
	if err != nil {
		return err
	}
	repos, err := s.SyncOrg(ctx, a.Org, mode)
	if err != nil {
		return permanentIfGone(err)
	}
	return enqueueRepos(ctx, q, a.Schedule, repos)
}

func (s *Syncer) handleRepo(ctx context.Context, job *store.Job) error {
	a, mode, err := jobArgs(job)
	if err != nil {
		return err
	}
	return permanentIfGone(s.SyncRepo(ctx, a.Repo, mode))
}

// permanentIfGone: what GitHub does not have (or hides from the token)
// will not appear by retrying; the next scheduled sync asks again.
func permanentIfGone(err error) error {
	if errors.Is(err, github.ErrNotFound) {
		return jobs.Permanent(err)
	}
	return err
}
