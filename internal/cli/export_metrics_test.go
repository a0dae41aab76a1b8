package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"log/slog"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sextant-dev/sextant/internal/config"
	"github.com/sextant-dev/sextant/internal/demo/demodb"
	"github.com/sextant-dev/sextant/internal/metrics"
	"github.com/sextant-dev/sextant/internal/store"
)

// The leaderboard and DORA exports are the API's numbers, row for row.
func TestExportLeaderboardAndDORA(t *testing.T) {
	ctx := context.Background()
	dbPath := filepath.Join(t.TempDir(), "x.db")
	db, err := store.Open(ctx, dbPath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	sum, err := demodb.Load(ctx, db, demoTestOpts, log, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.DB = dbPath
	affs, err := writeDemoAffiliations(dbPath, sum.Roster)
	if err != nil {
		t.Fatal(err)
	}
	applyDemoSettings(&cfg, affs)
	if err := refreshDemoMetrics(ctx, db, cfg, log); err != nil {
		t.Fatal(err)
	}
	engine, err := newMetricsEngine(ctx, db, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"SEXTANT_DB": dbPath, "SEXTANT_METRICS_AFFILIATIONS_FILE": affs,
		"SEXTANT_METRICS_DEPLOY_WORKFLOWS": demodb.DeployWorkflow}
	export := func(args ...string) string {
		t.Helper()
		var out, errs bytes.Buffer
		e := Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errs, Getenv: func(k string) string { return env[k] }}
		if code := Run(ctx, e, append([]string{"export"}, args...)); code != ExitOK {
			t.Fatalf("export %v: exit %d: %s", args, code, errs.String())
		}
		return out.String()
	}
	q := url.Values{"group": {"org"}, "from": {"2026-05-01"}, "to": {"2026-06-01"}, "limit": {"1000"}}
	lq, err := metrics.ParseLeaderboardQuery(q, demoTestOpts.End)
	if err != nil {
		t.Fatal(err)
	}
	lb, err := engine.Leaderboard(ctx, lq)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(export("--kind", "leaderboard", "--group", "org",
		"--from", "2026-05-01", "--to", "2026-06-01", "--format", "csv"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(lb.Entries) < 2 || len(recs) != len(lb.Entries)+1 {
		t.Fatalf("%d CSV rows for %d leaderboard entries", len(recs)-1, len(lb.Entries))
	}
	for i, e := range lb.Entries {
		r := recs[i+1]
		if r[0] != strconv.Itoa(e.Rank) || r[1] != "org" || r[2] != e.Name || r[3] != strconv.FormatInt(e.Score, 10) ||
			r[5] != strconv.FormatInt(e.Breakdown.PullsMerged.Count, 10) || r[6] != strconv.FormatInt(e.Breakdown.Reviews.Count, 10) {
			t.Errorf("row %v; the API says %+v", r, e)
		}
	}

	f, err := metrics.ParseFilter(url.Values{"from": {"2026-05-01"}, "to": {"2026-06-01"}, "interval": {"week"}}, demoTestOpts.End)
	if err != nil {
		t.Fatal(err)
	}
	d, err := engine.DORA(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(export("--kind", "dora", "--from", "2026-05-01", "--to", "2026-06-01", "--interval", "week")), "\n")
	if len(lines) != len(d.Series) {
		t.Fatalf("%d JSON lines for %d periods", len(lines), len(d.Series))
	}
	total := 0
	for i, l := range lines {
		var row map[string]any
		if err := json.Unmarshal([]byte(l), &row); err != nil {
			t.Fatal(err)
		}
		p := d.Series[i]
		total += p.DeploymentFrequency.Deployments
		if row["deployments"] != float64(p.DeploymentFrequency.Deployments) || row["scope"] != "all" ||
			(p.LeadTime.Median == nil) != (row["lead_time_median_seconds"] == nil) ||
			p.LeadTime.Median != nil && row["lead_time_median_seconds"] != *p.LeadTime.Median {
			t.Errorf("line %s; the API says %+v", l, p)
		}
	}
	if total != d.DeploymentFrequency.Deployments || total == 0 {
		t.Errorf("the weeks add up to %d deployments; the period has %d", total, d.DeploymentFrequency.Deployments)
	}

	// Flags are checked the way the API checks its parameters.
	var errs bytes.Buffer
	e := Env{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: &errs, Getenv: func(k string) string { return env[k] }}
	if code := Run(ctx, e, []string{"export", "--kind", "leaderboard", "--group", "galaxy"}); code != ExitUsage || !strings.Contains(errs.String(), "--group:") {
		t.Errorf("bad group: exit %d, %s", code, errs.String())
	}
	errs.Reset()
	if code := Run(ctx, e, []string{"export", "--kind", "pulls", "--group", "org"}); code != ExitUsage || !strings.Contains(errs.String(), "are for --kind leaderboard and dora") {
		t.Errorf("group on pulls: exit %d, %s", code, errs.String())
	}
}
