package core

import (
	"encoding/json"
	"time"
)

// CI event names Sextant gives a meaning to. Any other name matching
// CIEventPattern is stored as a custom event.
const (
	EventPush             = "push"
	EventDeploy           = "deploy"
	EventTestPass         = "test_pass"
	EventTestFail         = "test_fail"
	EventIncidentOpened   = "incident_opened"
	EventIncidentResolved = "incident_resolved"
	EventRollback         = "rollback"
	// EventCalcDeployFreq is written by Sextant itself (the deployment
	// frequency job), never accepted from clients.
	EventCalcDeployFreq = "calc_deployment_freq"
)

// CIEventPattern is the form of a custom event name.
const CIEventPattern = `^[a-z][a-z0-9_.-]{0,63}$`

// RepoAll is the repo of an event not tied to one repository.
const RepoAll = "ALL"

// CI event statuses.
const (
	CIStatusSuccess    = "success"
	CIStatusFailure    = "failure"
	CIStatusError      = "error"
	CIStatusInProgress = "in_progress"
)

// DefaultEnvironment is the environment of a deploy or rollback that names
// none, as on GitHub's deployments API.
const DefaultEnvironment = "production"

// CIEvent is one event reported by a pipeline (or computed by Sextant), as
// stored in the CI event time series.
type CIEvent struct {
	ID          int64           `json:"id"`
	ClientID    string          `json:"client_id,omitempty"` // the client's idempotency key
	Event       string          `json:"event"`
	Repo        string          `json:"repo"`
	Time        time.Time       `json:"time"`
	SHA         string          `json:"sha,omitempty"`
	Ref         string          `json:"ref,omitempty"`
	Environment string          `json:"environment,omitempty"`
	Status      string          `json:"status,omitempty"`
	Deployment  string          `json:"deployment,omitempty"` // the deploy an incident or rollback refers to, as the client named it
	URL         string          `json:"url,omitempty"`
	DurationMS  *int64          `json:"duration_ms,omitempty"`
	Metadata    json.RawMessage `json:"metadata,omitempty"`
	ReceivedAt  time.Time       `json:"received_at"`
	// Token is the name of the API token that reported it; empty for
	// Sextant's own events.
	Token string `json:"token,omitempty"`
	// The domain rows the event created or affected.
	DeploymentID int64 `json:"deployment_id,omitempty"`
	IncidentID   int64 `json:"incident_id,omitempty"`

	TokenID int64 `json:"-"`
	RepoID  int64 `json:"-"`
}

// Incident sources.
const (
	IncidentSourceCI = "ci"
)

// Incident is a production incident: opened, perhaps resolved, perhaps
// linked to the deployment that caused it.
type Incident struct {
	ID           int64
	Source       string
	SourceID     string
	RepoID       int64
	Title        string
	URL          string
	OpenedAt     time.Time
	ResolvedAt   time.Time
	DeploymentID int64
}

// API token scopes.
const (
	ScopeEventsWrite = "events:write"
	ScopeEventsRead  = "events:read"
	// ScopeRead reads metrics, leaderboards, entities and data health.
	ScopeRead = "read"
)

// Scopes lists every scope a token may have.
func Scopes() []string {
	return []string{ScopeEventsWrite, ScopeEventsRead, ScopeRead}
}

// APIToken is an API token as stored: its secret is kept only as a hash.
type APIToken struct {
	ID         int64
	Name       string
	Scopes     []string
	FromConfig bool
	CreatedAt  time.Time
	LastUsedAt time.Time
	RevokedAt  time.Time
}

// HasScope reports whether the token grants scope.
func (t APIToken) HasScope(scope string) bool {
	for _, s := range t.Scopes {
		if s == scope {
			return true
		}
	}
	return false
}
