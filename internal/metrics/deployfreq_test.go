package metrics

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/sextant-dev/sextant/internal/core"
	"github.com/sextant-dev/sextant/internal/ingest"
	"github.com/sextant-dev/sextant/internal/store"
	"github.com/sextant-dev/sextant/internal/store/storetest"
	"github.com/sextant-dev/sextant/internal/telemetry"
)

var (
	freqEnd = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	later   = freqEnd.Add(30 * 24 * time.Hour)
)

// seedDeployments records, through the real CI intake and the deployments
// store, the history the expected values below are computed by hand from.
func seedDeployments(t *testing.T, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	_, tok, err := db.CreateToken(ctx, "ci", []string{core.ScopeEventsWrite}, freqEnd)
	if err != nil {
		t.Fatal(err)
	}
	ci := ingest.NewCIEvents(db, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	record := func(parse func([]byte, time.Time) (core.CIEvent, error), body string) {
		t.Helper()
		e, err := parse([]byte(body), later)
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		if _, _, err := ci.Record(ctx, tok.ID, e, later); err != nil {
			t.Fatalf("%s: %v", body, err)
		}
	}
	v1 := ingest.ParseCIEvent
	// acme/api production, window [2026-05-02, 2026-06-01):
	record(v1, `{"event":"deploy","repo":"acme/api","time":"2026-05-01T23:59:59Z"}`)                         // before: no
	record(v1, `{"event":"deploy","repo":"acme/api","time":"2026-05-02T00:00:00Z"}`)                         // 1 (start is inclusive)
	record(v1, `{"event":"deploy","repo":"acme/api","time":"2026-05-20T10:00:00Z"}`)                         // 2
	record(v1, `{"event":"deploy","repo":"acme/api","time":"2026-05-15T10:00:00Z","status":"failure"}`)      // failed: no
	record(v1, `{"event":"deploy","repo":"acme/api","time":"2026-05-16T10:00:00Z","status":"error"}`)        // no deployment
	record(v1, `{"event":"deploy","repo":"acme/api","time":"2026-05-31T23:59:59Z"}`)                         // 3
	record(v1, `{"event":"deploy","repo":"acme/api","time":"2026-06-01T00:00:00Z"}`)                         // end is exclusive: no
	record(v1, `{"event":"deploy","repo":"acme/api","time":"2026-04-01T00:00:00Z","environment":"staging"}`) // staging: 0 in window
	record(v1, `{"event":"deploy","repo":"acme/web","time":"2026-05-10T00:00:00Z","status":"in_progress"}`)  // not a deployment
	// The older payload with a bare repository name: counted from events.
	legacy := ingest.ParseLegacyCIEvent
	record(legacy, `{"Time":"2026-05-05 08:00:00","Repo":"legacy_repo","Event":"deploy"}`) // 1
	record(legacy, `{"Time":"2026-05-06 08:00:00","Repo":"legacy_repo","Event":"deploy"}`) // 2
	record(legacy, `{"Time":"2026-04-06 08:00:00","Repo":"legacy_repo","Event":"deploy"}`) // before: no
	record(legacy, `{"Time":"2026-05-07 08:00:00","Repo":"legacy_repo","Event":"push"}`)   // not a deploy

	// A GitHub deployment of acme/api to production that succeeded on
	// 2026-05-12 and was later marked inactive by a newer one: 4.
	repo, err := db.RepositoryByName(ctx, "acme/api")
	if err != nil {
		t.Fatal(err)
	}
	gh, err := store.UpsertDeployment(ctx, db.W, core.Deployment{Source: core.SourceGitHub, SourceID: "9001", RepoID: repo.ID,
		Environment: "production", CreatedAt: time.Date(2026, 5, 12, 9, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range []struct {
		state string
		at    time.Time
	}{{"success", time.Date(2026, 5, 12, 9, 5, 0, 0, time.UTC)}, {"inactive", time.Date(2026, 5, 25, 0, 0, 0, 0, time.UTC)}} {
		err := store.AddDeploymentStatus(ctx, db.W, gh, core.DeploymentStatus{SourceID: string(rune('a' + i)), State: s.state, CreatedAt: s.at})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestDeploymentFrequency(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedDeployments(t, db)
		var logs bytes.Buffer
		df := NewDeployFreq(db, telemetry.NewEvents(slog.New(slog.NewJSONHandler(&logs, nil)), nil), 0)
		job := &store.Job{ID: 1, Kind: DeployFreqKind, Args: `{"window_days":30}`, CreatedAt: freqEnd.Add(400 * time.Millisecond)}
		for range 2 { // a rerun for the same period replaces its results
			if err := df.Handle(ctx, job); err != nil {
				t.Fatal(err)
			}
		}

		// Hand-computed: 4 deploys in 30 days is 0.1333 a day, 0.9333 a week.
		want := []struct {
			repo, env string
			n         int64
			perDay    float64
		}{
			{"acme/api", "production", 4, 0.1333},
			{"acme/api", "staging", 0, 0},
			{"legacy_repo", "production", 2, 0.0667},
		}
		snaps, err := db.MetricSnapshots(ctx, DeployFreqSnapshot, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(snaps) != len(want) {
			t.Fatalf("%d snapshots; want %d: %+v", len(snaps), len(want), snaps)
		}
		byKey := map[string]store.MetricSnapshot{}
		for _, s := range snaps {
			var v DeployFreqValue
			if err := json.Unmarshal(s.Data, &v); err != nil {
				t.Fatal(err)
			}
			byKey[v.Repo+" "+v.Environment] = s
		}
		for _, w := range want {
			s, ok := byKey[w.repo+" "+w.env]
			if !ok {
				t.Errorf("no snapshot for %s %s", w.repo, w.env)
				continue
			}
			var v DeployFreqValue
			json.Unmarshal(s.Data, &v)
			if v.Deployments != w.n || s.Value != w.perDay || v.PerDay != w.perDay || v.WindowDays != 30 ||
				!s.PeriodStart.Equal(time.Date(2026, 5, 2, 0, 0, 0, 0, time.UTC)) || !s.PeriodEnd.Equal(freqEnd) {
				t.Errorf("%s %s: %+v (data %s); want %d deploys, %.4f a day over [2026-05-02, 2026-06-01)", w.repo, w.env, s, s.Data, w.n, w.perDay)
			}
			if (w.repo == "legacy_repo") != (s.RepoID == 0) {
				t.Errorf("%s: repo id %d", w.repo, s.RepoID)
			}
		}
		if v := byKey["acme/api production"]; !strings.Contains(string(v.Data), `"per_week":0.9333`) {
			t.Errorf("per week in %s", v.Data)
		}

		events, err := db.ListCIEvents(ctx, store.CIEventFilter{Event: core.EventCalcDeployFreq})
		if err != nil || len(events) != len(want) {
			t.Fatalf("%d %s events (%v); want %d", len(events), core.EventCalcDeployFreq, err, len(want))
		}
		for _, e := range events {
			if !e.Time.Equal(freqEnd) || e.Token != "" || !strings.Contains(string(e.Metadata), `"window_days":30`) {
				t.Errorf("internal event %+v (metadata %s)", e, e.Metadata)
			}
		}

		// One structured line per value, per run.
		lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
		if len(lines) != 2*len(want) {
			t.Fatalf("%d log lines; want %d:\n%s", len(lines), 2*len(want), logs.String())
		}
		var line map[string]any
		if err := json.Unmarshal([]byte(lines[0]), &line); err != nil {
			t.Fatal(err)
		}
		if line["msg"] != "event" || line["kind"] != "calc_deployment_freq" || line["repo"] != "acme/api" || line["environment"] != "production" ||
			line["deployments"] != 4.0 || line["per_day"] != 0.1333 || line["window_days"] != 30.0 {
			t.Errorf("log line %s", lines[0])
		}
	})
}

func TestDeploymentFrequencyWindowAndArgs(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	seedDeployments(t, db)
	df := NewDeployFreq(db, nil, 7)
	// Default window from the job's configuration: 7 days holds only the
	// 2026-05-31 deploy of acme/api production.
	values, err := df.Compute(ctx, freqEnd, 7, later)
	if err != nil {
		t.Fatal(err)
	}
	if len(values) == 0 || values[0].Repo != "acme/api" || values[0].Deployments != 1 || values[0].PerDay != 0.1429 {
		t.Errorf("7-day values %+v; want 1 deploy, 0.1429 a day", values)
	}
	if err := df.Handle(ctx, &store.Job{ID: 2, Args: `{"window_days":`}); err == nil {
		t.Error("bad arguments accepted")
	}
}
