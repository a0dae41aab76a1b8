package ingest

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/sextant-dev/sextant/internal/core"
	"github.com/sextant-dev/sextant/internal/store"
	"github.com/sextant-dev/sextant/internal/telemetry"
)

// CIEvents stores CI events and turns deploys, rollbacks and incidents into
// deployments and incidents.
type CIEvents struct {
	db       *store.DB
	log      *slog.Logger
	events   *telemetry.Events
	webhooks *Webhooks
}

// NewCIEvents returns a CIEvents writing to db and reporting each stored
// event to events (which may be nil).
func NewCIEvents(db *store.DB, log *slog.Logger, events *telemetry.Events) *CIEvents {
	return &CIEvents{db: db, log: log, events: events}
}

// FollowWebhooks makes a rollback that names no deployment first project
// the webhook deliveries already received: the deployment it rolls back
// may be a GitHub deployment whose status was acknowledged a moment ago
// and is still waiting for the projector.
func (c *CIEvents) FollowWebhooks(w *Webhooks) { c.webhooks = w }

// Record stores e, reported with the token tokenID at now, and applies its
// domain effects in the same transaction: either all of it is committed or
// nothing is. When the token already stored an event of that name under
// e's client id, Record changes nothing and returns the stored event with
// created false.
func (c *CIEvents) Record(ctx context.Context, tokenID int64, e core.CIEvent, now time.Time) (stored core.CIEvent, created bool, err error) {
	e.TokenID, e.ReceivedAt = tokenID, now.UTC().Truncate(time.Millisecond)
	if e.Event == core.EventRollback && e.Deployment == "" && c.webhooks != nil {
		if _, err := c.webhooks.ProjectPending(ctx); err != nil {
			// The rollback is still worth storing; it may only miss the
			// very latest deployment.
			c.log.Warn("project pending webhooks before a rollback", "repo", e.Repo, "err", err)
		}
	}
	var unmatchedRollback bool
	err = c.db.Tx(ctx, func(tx *sql.Tx) error {
		if e.ClientID != "" {
			prev, err := store.CIEventByClientID(ctx, tx, tokenID, e.ClientID, e.Event)
			if err == nil {
				stored = prev
				return nil
			}
			if core.ErrorCode(err) != core.CodeNotFound {
				return err
			}
		}
		if ciRepo.MatchString(e.Repo) {
			id, err := store.RepositoryIDByNameFold(ctx, tx, e.Repo)
			if err == nil && id == 0 {
				id, err = store.EnsureRepositoryByName(ctx, tx, e.Repo)
			}
			if err != nil {
				return err
			}
			e.RepoID = id
		}
		var deploymentID int64
		if e.Deployment != "" && refersToDeployment(e.Event) {
			id, err := store.CIDeploymentByReference(ctx, tx, tokenID, e.Deployment)
			if err != nil {
				return err
			}
			if id == 0 {
				var ps core.Problems
				ps.Add("deployment", fmt.Sprintf("no deploy event with id %q was reported (give the deploy's id or the id Sextant returned for it)", e.Deployment))
				return ps.Invalid("invalid event")
			}
			deploymentID = id
		}
		inserted, err := store.InsertCIEvent(ctx, tx, &e)
		if err != nil {
			return err
		}
		if !inserted {
			// A concurrent request with the same key committed first.
			stored, err = store.CIEventByClientID(ctx, tx, tokenID, e.ClientID, e.Event)
			return err
		}
		created = true
		var incidentID int64
		switch e.Event {
		case core.EventDeploy:
			deploymentID, err = recordCIDeployment(ctx, tx, e)
		case core.EventRollback:
			if deploymentID == 0 {
				deploymentID, err = store.LatestSuccessfulDeployment(ctx, tx, e.RepoID, e.Environment, e.Time)
				unmatchedRollback = err == nil && deploymentID == 0
			}
			if err == nil && deploymentID != 0 {
				err = store.MarkDeploymentCausedFailure(ctx, tx, deploymentID)
			}
		case core.EventIncidentOpened, core.EventIncidentResolved:
			incidentID, err = recordCIIncident(ctx, tx, e, deploymentID)
		}
		if err != nil {
			return err
		}
		if deploymentID != 0 || incidentID != 0 {
			if err := store.LinkCIEvent(ctx, tx, e.ID, deploymentID, incidentID); err != nil {
				return err
			}
		}
		stored, err = store.GetCIEvent(ctx, tx, e.ID)
		return err
	})
	if err != nil {
		if core.ErrorCode(err) == core.CodeInternal {
			err = fmt.Errorf("record %s event for %s: %w", e.Event, e.Repo, err)
		}
		return core.CIEvent{}, false, err
	}
	if !created {
		c.log.Debug("ci event already stored", "event", stored.Event, "repo", stored.Repo, "id", stored.ID, "client_id", stored.ClientID)
		return stored, false, nil
	}
	if unmatchedRollback {
		// Not a problem by itself: deployments from workflow runs are not
		// stored as deployments at intake, and the metrics derivation
		// matches the rollback to the latest deployment before it of any
		// source.
		c.log.Info("rollback names no deployment and none is stored yet; the metrics match it to the deployment before it",
			"repo", stored.Repo, "environment", stored.Environment, "id", stored.ID)
	}
	c.events.Record(ctx, telemetry.EventCIEvent, stored.Time, CIEventFields(stored)...)
	return stored, true, nil
}

// CIEventFields are the fields a stored CI event is logged and exported
// with: the same keys for every event, empty ones left out.
func CIEventFields(e core.CIEvent) []slog.Attr {
	f := []slog.Attr{slog.String("event", e.Event), slog.String("repo", e.Repo), slog.Int64("id", e.ID)}
	for _, kv := range [][2]string{{"environment", e.Environment}, {"status", e.Status}, {"sha", e.SHA},
		{"ref", e.Ref}, {"client_id", e.ClientID}, {"deployment", e.Deployment}, {"token", e.Token}} {
		if kv[1] != "" {
			f = append(f, slog.String(kv[0], kv[1]))
		}
	}
	if e.DurationMS != nil {
		f = append(f, slog.Int64("duration_ms", *e.DurationMS))
	}
	if e.DeploymentID != 0 {
		f = append(f, slog.Int64("deployment_id", e.DeploymentID))
	}
	if e.IncidentID != 0 {
		f = append(f, slog.Int64("incident_id", e.IncidentID))
	}
	return f
}

func refersToDeployment(event string) bool {
	switch event {
	case core.EventIncidentOpened, core.EventIncidentResolved, core.EventRollback:
		return true
	}
	return false
}

// recordCIDeployment makes a finished deploy a deployment of source "ci",
// keyed by the event's id. Deploys still in progress or that errored
// before deploying anything are kept in the time series only, and so are
// deploys of a bare repository name (the older payload), which name no
// repository a deployment could belong to.
func recordCIDeployment(ctx context.Context, tx *sql.Tx, e core.CIEvent) (int64, error) {
	if e.Status != core.CIStatusSuccess && e.Status != core.CIStatusFailure || e.RepoID == 0 {
		return 0, nil
	}
	started := e.Time
	if e.DurationMS != nil {
		started = e.Time.Add(-time.Duration(*e.DurationMS) * time.Millisecond)
	}
	key := strconv.FormatInt(e.ID, 10)
	id, err := store.UpsertDeployment(ctx, tx, core.Deployment{
		Source:      core.SourceCI,
		SourceID:    key,
		RepoID:      e.RepoID,
		Environment: e.Environment,
		SHA:         e.SHA,
		Ref:         e.Ref,
		Status:      core.DeployInProgress,
		URL:         e.URL,
		CreatedAt:   started,
		UpdatedAt:   started,
	})
	if err != nil {
		return 0, err
	}
	err = store.AddDeploymentStatus(ctx, tx, id, core.DeploymentStatus{
		SourceID:    key,
		State:       e.Status,
		Environment: e.Environment,
		CreatedAt:   e.Time,
	})
	return id, err
}

// recordCIIncident opens or resolves the incident named by the event's id.
// An incident names its deployment only when the client says so: blaming
// the latest deploy by default would make every incident a change failure.
func recordCIIncident(ctx context.Context, tx *sql.Tx, e core.CIEvent, deploymentID int64) (int64, error) {
	inc := core.Incident{
		Source:       core.IncidentSourceCI,
		SourceID:     e.ClientID,
		RepoID:       e.RepoID,
		Title:        metadataString(e.Metadata, "title"),
		URL:          e.URL,
		DeploymentID: deploymentID,
	}
	var (
		id  int64
		err error
	)
	if e.Event == core.EventIncidentOpened {
		inc.OpenedAt = e.Time
		id, err = store.OpenIncident(ctx, tx, inc)
	} else {
		inc.ResolvedAt = e.Time
		id, err = store.ResolveIncident(ctx, tx, inc)
	}
	if err == nil && deploymentID != 0 {
		err = store.MarkDeploymentCausedFailure(ctx, tx, deploymentID)
	}
	return id, err
}

// metadataString returns a string field of a metadata object, or "".
func metadataString(md json.RawMessage, key string) string {
	var m map[string]any
	if len(md) == 0 || json.Unmarshal(md, &m) != nil {
		return ""
	}
	s, _ := m[key].(string)
	return s
}
