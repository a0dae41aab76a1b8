package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sextant-dev/sextant/internal/config"
	"github.com/sextant-dev/sextant/internal/metrics"
	"github.com/sextant-dev/sextant/internal/store"
)

func TestMetricsSettingsFromConfig(t *testing.T) {
	m := config.Default().Metrics
	m.RepoProductionEnvironments = []string{"acme/web=web-prod"}
	m.DeployWorkflows = []string{"deploy*", "ship staging=staging"}
	m.Leaderboard.LabelBonuses = []string{"complexity: high=5"}
	m.Levels.ReworkRate = config.ReworkRateLevels{Elite: 5, High: 10, Medium: 20}
	s, affs, err := metricsSettings(m)
	if err != nil || affs != nil {
		t.Fatal(err, affs)
	}
	want := metrics.DefaultSettings()
	want.RepoProductionEnvironments = map[string][]string{"acme/web": {"web-prod"}}
	want.DeployWorkflows = []metrics.DeployWorkflow{{Pattern: "deploy*", Environment: "production"}, {Pattern: "ship staging", Environment: "staging"}}
	want.Weights.LabelBonuses = map[string]int{"complexity: high": 5}
	want.Levels.ReworkRate = [3]float64{0.05, 0.10, 0.20}
	if d := cmp.Diff(want, s); d != "" {
		t.Errorf("settings from the default configuration differ from the engine's defaults (-want +got):\n%s", d)
	}
}

func TestServeWiresMetrics(t *testing.T) {
	dir := t.TempDir()
	aff := filepath.Join(dir, "aff.csv")
	if err := os.WriteFile(aff, []byte("company,login\nInitech,dave\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Addr = "127.0.0.1:0"
	cfg.DB = filepath.Join(dir, "s.db")
	cfg.Jobs.Workers = 0
	cfg.Metrics.RefreshSchedule = "10m"
	cfg.Metrics.AffiliationsFile = aff
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	env := Env{Stdin: strings.NewReader(""), Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}, Getenv: func(string) string { return "" }}
	go func() { done <- serve(ctx, env, cfg, ready) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("serve: %v", err)
	}
	resp, err := http.Get("http://" + addr + "/api/v1/dora?from=2026-06-01&to=2026-06-08")
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || body["deployment_frequency"] == nil {
		t.Errorf("dora on a fresh server: %d %v", resp.StatusCode, body)
	}

	db, err := store.Open(context.Background(), cfg.DB, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	schedules, err := db.Schedules(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, s := range schedules {
		if s.Kind == metrics.RefreshKind {
			got[s.Name] = s.Args + " " + (jobsSpec(s))
		}
	}
	want := map[string]string{metrics.RefreshKind: "{} every 10m0s", metrics.RebuildSchedule: `{"full":true} daily at 03:00`}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("metrics schedules (-want +got):\n%s", d)
	}
	var company string
	if err := db.R.QueryRow(`SELECT company FROM affiliations WHERE login = 'dave'`).Scan(&company); err != nil || company != "Initech" {
		t.Errorf("affiliations file not stored: %q %v", company, err)
	}
}

func jobsSpec(s store.Schedule) string {
	if s.DailyAt != "" {
		return "daily at " + s.DailyAt
	}
	return "every " + s.Interval.String()
}

func TestMetricsRefreshCommand(t *testing.T) {
	db := filepath.Join(t.TempDir(), "s.db")
	run := func(args ...string) (string, string, int) {
		var stdout, stderr bytes.Buffer
		env := Env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }}
		code := Run(context.Background(), env, append([]string{"metrics"}, args...))
		return stdout.String(), stderr.String(), code
	}
	out, stderr, code := run("refresh", "--full", "--db", db)
	if code != ExitOK || !strings.Contains(out, "refreshed 0 repositories (full: true)") {
		t.Errorf("metrics refresh: exit %d, %q, %q", code, out, stderr)
	}
	for _, args := range [][]string{{}, {"recompute"}, {"refresh", "extra"}, {"refresh", "--fast"}} {
		if _, stderr, code := run(args...); code != ExitUsage || stderr == "" {
			t.Errorf("metrics %v: exit %d %q; want a usage error", args, code, stderr)
		}
	}
	bad := filepath.Join(t.TempDir(), "bad.yml")
	os.WriteFile(bad, []byte("metrics:\n  affiliations_file: /nonexistent.csv\n"), 0o600)
	if _, stderr, code := run("refresh", "--config", bad, "--db", db); code != ExitError || !strings.Contains(stderr, "metrics.affiliations_file") {
		t.Errorf("bad affiliations file: exit %d %q", code, stderr)
	}
}
