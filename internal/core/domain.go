package core

import "time"

// Repository is a GitHub repository. ID is Sextant's own id; GitHubID is
// zero for a repository known only from CI events so far.
type Repository struct {
	ID            int64
	GitHubID      int64
	Owner         string
	Name          string
	FullName      string // owner/name
	Private       bool
	Archived      bool
	DefaultBranch string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	PushedAt      time.Time
}

// Deployment sources.
const (
	SourceGitHub   = "github"   // GitHub deployments API and webhooks
	SourceWorkflow = "workflow" // GitHub Actions workflow runs matching deploy patterns
	SourceCI       = "ci"       // deploy events reported by pipelines
)

// Deployment statuses, normalized across sources.
const (
	DeployPending    = "pending"
	DeployInProgress = "in_progress"
	DeploySuccess    = "success"
	DeployFailure    = "failure"
	DeployError      = "error"
	DeployInactive   = "inactive"
)

// Deployment is one attempt to deploy a sha of a repository to an
// environment, from any source.
type Deployment struct {
	ID            int64
	Source        string
	SourceID      string // the id in its source: GitHub deployment id, workflow run id, CI event id
	RepoID        int64
	Environment   string
	SHA           string
	Ref           string
	Task          string
	Status        string
	CreatorID     int64
	URL           string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	FinishedAt    time.Time // when it reached a final status
	CausedFailure bool      // marked by a rollback
}

// DeploymentStatus is one status change of a deployment.
type DeploymentStatus struct {
	SourceID    string
	State       string
	Description string
	Environment string
	CreatorID   int64
	CreatedAt   time.Time
}
