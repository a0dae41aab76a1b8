package ingest

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/sextant-dev/sextant/internal/core"
	"github.com/sextant-dev/sextant/internal/store"
	"github.com/sextant-dev/sextant/internal/store/storetest"
)

var recordT0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

type recordFixture struct {
	t   *testing.T
	db  *store.DB
	ci  *CIEvents
	tok int64
}

func newRecordFixture(t *testing.T, db *store.DB) *recordFixture {
	_, tok, err := db.CreateToken(context.Background(), "ci", []string{core.ScopeEventsWrite}, recordT0)
	if err != nil {
		t.Fatal(err)
	}
	return &recordFixture{t: t, db: db, ci: NewCIEvents(db, slog.New(slog.NewTextHandler(io.Discard, nil)), nil), tok: tok.ID}
}

// record parses body as a version 1 event and records it with token tok.
func (f *recordFixture) record(tok int64, body string) (core.CIEvent, bool, error) {
	f.t.Helper()
	e, err := ParseCIEvent([]byte(body), recordT0.Add(24*time.Hour))
	if err != nil {
		f.t.Fatalf("parse %s: %v", body, err)
	}
	return f.ci.Record(context.Background(), tok, e, recordT0.Add(24*time.Hour))
}

func (f *recordFixture) mustRecord(body string) core.CIEvent {
	f.t.Helper()
	e, created, err := f.record(f.tok, body)
	if err != nil || !created {
		f.t.Fatalf("record %s: created %v, %v", body, created, err)
	}
	return e
}

func (f *recordFixture) deployment(id int64) core.Deployment {
	f.t.Helper()
	d, err := f.db.GetDeployment(context.Background(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	return d
}

func (f *recordFixture) count(table string) int {
	f.t.Helper()
	var n int
	if err := f.db.R.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

func TestRecordDeployBecomesDeployment(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newRecordFixture(t, db)
		e := f.mustRecord(`{"event":"deploy","repo":"acme/api","sha":"abc1234","ref":"refs/heads/main","environment":"prod",
			"time":"2026-05-01T12:10:00Z","duration_ms":120000,"url":"https://ci.example/run/9","id":"run-9"}`)
		if e.DeploymentID == 0 || e.RepoID == 0 || e.Token != "ci" || e.ClientID != "run-9" {
			t.Fatalf("stored event %+v: want linked to a deployment and a repository", e)
		}
		d := f.deployment(e.DeploymentID)
		if d.Source != core.SourceCI || d.Environment != "prod" || d.SHA != "abc1234" || d.Ref != "refs/heads/main" ||
			d.Status != core.DeploySuccess || d.RepoID != e.RepoID || d.URL != "https://ci.example/run/9" {
			t.Errorf("deployment %+v", d)
		}
		if want := recordT0.Add(8 * time.Minute); !d.CreatedAt.Equal(want) {
			t.Errorf("created at %s; want the event time minus its duration, %s", d.CreatedAt, want)
		}
		if want := recordT0.Add(10 * time.Minute); !d.FinishedAt.Equal(want) {
			t.Errorf("finished at %s; want the event time %s", d.FinishedAt, want)
		}
		repo, err := db.RepositoryByName(context.Background(), "acme/api")
		if err != nil || repo.ID != e.RepoID {
			t.Errorf("repository %+v, %v", repo, err)
		}

		failed := f.mustRecord(`{"event":"deploy","repo":"acme/api","status":"failure"}`)
		if f.deployment(failed.DeploymentID).Status != core.DeployFailure || failed.Environment != "production" {
			t.Errorf("failed deploy: %+v", failed)
		}
		for _, status := range []string{"in_progress", "error"} {
			e := f.mustRecord(`{"event":"deploy","repo":"acme/api","status":"` + status + `"}`)
			if e.DeploymentID != 0 {
				t.Errorf("a %s deploy became deployment %d; only finished ones should", status, e.DeploymentID)
			}
		}
		if n := f.count("deployments"); n != 2 {
			t.Errorf("%d deployments; want 2", n)
		}
	})
}

func TestRecordIdempotency(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newRecordFixture(t, db)
		body := `{"event":"deploy","repo":"acme/api","id":"run-1"}`
		first := f.mustRecord(body)
		again, created, err := f.record(f.tok, `{"event":"deploy","repo":"acme/api","id":"run-1","sha":"fffffff"}`)
		if err != nil || created || again.ID != first.ID || again.SHA != "" {
			t.Errorf("same key again: %+v created %v, %v; want the first event, unchanged", again, created, err)
		}
		if n := f.count("deployments"); n != 1 {
			t.Errorf("%d deployments after a replay; want 1", n)
		}
		// The key is per token and per event name.
		_, other, _ := db.CreateToken(context.Background(), "other", []string{core.ScopeEventsWrite}, recordT0)
		if e, created, err := f.record(other.ID, body); err != nil || !created || e.ID == first.ID {
			t.Errorf("same key from another token: %+v created %v, %v; want a new event", e, created, err)
		}
		if e, created, err := f.record(f.tok, `{"event":"rollback","repo":"acme/api","id":"run-1"}`); err != nil || !created {
			t.Errorf("same key, other event: %+v created %v, %v; want a new event", e, created, err)
		}
		if n := f.count("ci_events"); n != 3 {
			t.Errorf("%d events; want 3", n)
		}
	})
}

func TestRecordRollback(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newRecordFixture(t, db)
		d1 := f.mustRecord(`{"event":"deploy","repo":"acme/api","time":"2026-05-01T12:01:00Z","id":"d1"}`)
		d2 := f.mustRecord(`{"event":"deploy","repo":"acme/api","time":"2026-05-01T12:02:00Z","id":"d2"}`)
		d3 := f.mustRecord(`{"event":"deploy","repo":"acme/api","time":"2026-05-01T12:03:00Z","status":"failure"}`)
		d4 := f.mustRecord(`{"event":"deploy","repo":"acme/api","time":"2026-05-01T12:04:00Z","environment":"staging"}`)
		d5 := f.mustRecord(`{"event":"deploy","repo":"acme/api","time":"2026-05-01T12:30:00Z"}`)

		// Unnamed: the latest successful production deploy before the rollback.
		rb := f.mustRecord(`{"event":"rollback","repo":"acme/api","time":"2026-05-01T12:05:00Z"}`)
		if rb.DeploymentID != d2.DeploymentID {
			t.Errorf("rollback marked deployment %d; want d2's %d", rb.DeploymentID, d2.DeploymentID)
		}
		for _, d := range []core.CIEvent{d1, d3, d4, d5} {
			if f.deployment(d.DeploymentID).CausedFailure {
				t.Errorf("deployment %d (%s %s) marked; only d2 should be", d.DeploymentID, d.Environment, d.Time)
			}
		}
		if !f.deployment(d2.DeploymentID).CausedFailure {
			t.Error("d2 not marked as having caused a failure")
		}

		// Named by its client id, and by the id Sextant returned.
		if rb := f.mustRecord(`{"event":"rollback","repo":"acme/api","deployment":"d1"}`); rb.DeploymentID != d1.DeploymentID {
			t.Errorf("rollback of d1 marked %d", rb.DeploymentID)
		}
		ref := `{"event":"rollback","repo":"acme/api","deployment":"` + strconv.FormatInt(d4.ID, 10) + `"}`
		if rb := f.mustRecord(ref); rb.DeploymentID != d4.DeploymentID || !f.deployment(d4.DeploymentID).CausedFailure {
			t.Errorf("rollback of event %d marked %d", d4.ID, rb.DeploymentID)
		}

		// A named deployment that does not exist is rejected, and nothing stored.
		events := f.count("ci_events")
		_, _, err := f.record(f.tok, `{"event":"rollback","repo":"acme/api","deployment":"nope","id":"rb-x"}`)
		if got := problemFields(t, err); len(got) != 1 || got[0] != "deployment" {
			t.Errorf("unknown deployment: %v", err)
		}
		if n := f.count("ci_events"); n != events {
			t.Errorf("events %d → %d after a rejected rollback", events, n)
		}

		// No deployment to blame: stored, nothing marked.
		rb = f.mustRecord(`{"event":"rollback","repo":"acme/web","environment":"prod"}`)
		if rb.DeploymentID != 0 {
			t.Errorf("rollback of a repository never deployed marked %d", rb.DeploymentID)
		}
	})
}

func TestRecordIncidents(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newRecordFixture(t, db)
		ctx := context.Background()
		dep := f.mustRecord(`{"event":"deploy","repo":"acme/api","id":"rel-7"}`)
		opened := f.mustRecord(`{"event":"incident_opened","repo":"acme/api","id":"INC-1","time":"2026-05-01T13:00:00Z",
			"deployment":"rel-7","metadata":{"title":"checkout down"},"url":"https://pager.example/INC-1"}`)
		resolved := f.mustRecord(`{"event":"incident_resolved","repo":"acme/api","id":"INC-1","time":"2026-05-01T14:30:00Z"}`)
		if opened.IncidentID == 0 || resolved.IncidentID != opened.IncidentID {
			t.Fatalf("incident ids %d and %d; want one incident", opened.IncidentID, resolved.IncidentID)
		}
		inc, err := db.GetIncident(ctx, opened.IncidentID)
		if err != nil {
			t.Fatal(err)
		}
		if inc.Source != core.IncidentSourceCI || inc.SourceID != "INC-1" || inc.Title != "checkout down" ||
			inc.URL != "https://pager.example/INC-1" || inc.DeploymentID != dep.DeploymentID || inc.RepoID != dep.RepoID ||
			!inc.OpenedAt.Equal(recordT0.Add(time.Hour)) || !inc.ResolvedAt.Equal(recordT0.Add(150*time.Minute)) {
			t.Errorf("incident %+v", inc)
		}
		if !f.deployment(dep.DeploymentID).CausedFailure {
			t.Error("the deployment an incident names is not marked as having caused a failure")
		}

		// Out of order, not tied to a repository, and blaming nothing.
		r := f.mustRecord(`{"event":"incident_resolved","repo":"ALL","id":"INC-2","time":"2026-05-01T16:00:00Z"}`)
		o := f.mustRecord(`{"event":"incident_opened","repo":"ALL","id":"INC-2","time":"2026-05-01T15:00:00Z"}`)
		inc, err = db.GetIncident(ctx, o.IncidentID)
		if err != nil || o.IncidentID != r.IncidentID {
			t.Fatalf("incident %d vs %d: %v", o.IncidentID, r.IncidentID, err)
		}
		if !inc.OpenedAt.Equal(recordT0.Add(3*time.Hour)) || !inc.ResolvedAt.Equal(recordT0.Add(4*time.Hour)) ||
			inc.RepoID != 0 || inc.DeploymentID != 0 {
			t.Errorf("out-of-order incident %+v", inc)
		}
		if n := f.count("incidents"); n != 2 {
			t.Errorf("%d incidents; want 2", n)
		}
	})
}

// A repository GitHub already told us about is matched whatever the case
// a pipeline writes its name in.
func TestRecordMatchesKnownRepositoryIgnoringCase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newRecordFixture(t, db)
		id, err := store.UpsertRepository(context.Background(), db.W, core.Repository{GitHubID: 42, FullName: "Acme/API"})
		if err != nil {
			t.Fatal(err)
		}
		if e := f.mustRecord(`{"event":"push","repo":"acme/api"}`); e.RepoID != id {
			t.Errorf("repo id %d; want the known repository %d", e.RepoID, id)
		}
		if n := f.count("repositories"); n != 1 {
			t.Errorf("%d repositories; want 1", n)
		}
	})
}
