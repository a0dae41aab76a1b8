package web

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/sextant-dev/sextant/internal/core"
	"github.com/sextant-dev/sextant/internal/store"
	"github.com/sextant-dev/sextant/internal/store/storetest"
	"github.com/sextant-dev/sextant/internal/telemetry"
)

const reportScript = "../../scripts/report-event.sh"

// runScript runs scripts/report-event.sh with sh against url, returning
// its stdout, stderr and exit code.
func runScript(t *testing.T, url, token string, args ...string) (string, string, int) {
	t.Helper()
	for _, tool := range []string{"sh", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("scripts/report-event.sh not tested: %s is not installed", tool)
		}
	}
	cmd := exec.Command("sh", append([]string{reportScript}, args...)...)
	cmd.Env = append(os.Environ(), "SEXTANT_URL="+url, "SEXTANT_TOKEN="+token, "SEXTANT_RETRY_DELAY=0", "SEXTANT_RETRY_FOR=30")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(stdout.String()), stderr.String(), code
}

func TestReportScript(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	f := newEventsFixture(t, db)

	id, stderr, code := runScript(t, f.url, f.writer, "deploy", "--repo", "acme/api", "--sha", "abc1234",
		"--env", "prod", "--ref", `refs/tags/v"1"\2`, "--duration-ms", "90000", "--event-url", "https://ci.example/1",
		"--metadata", `{"note":"it's \"quoted\"\nand multi-line"}`)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		t.Fatalf("stdout %q is not the event id", id)
	}
	e, err := store.GetCIEvent(t.Context(), db.R, n)
	if err != nil {
		t.Fatal(err)
	}
	if e.Event != "deploy" || e.Repo != "acme/api" || e.SHA != "abc1234" || e.Environment != "prod" ||
		e.Ref != `refs/tags/v"1"\2` || e.DurationMS == nil || *e.DurationMS != 90000 || e.URL != "https://ci.example/1" ||
		!strings.HasPrefix(e.ClientID, "report-") || e.DeploymentID == 0 || e.Time.IsZero() {
		t.Errorf("stored %+v", e)
	}
	if string(e.Metadata) != `{"note":"it's \"quoted\"\nand multi-line"}` {
		t.Errorf("metadata %s", e.Metadata)
	}

	// The server's reason, exit 1, and no retry for a 400.
	_, stderr, code = runScript(t, f.url, f.writer, "deploy", "--repo", "acme/api", "--status", "done")
	if code != 1 || !strings.Contains(stderr, `HTTP 400`) || !strings.Contains(stderr, `status: "done" is not one of`) {
		t.Errorf("invalid status: exit %d, stderr %q", code, stderr)
	}
	_, stderr, code = runScript(t, f.url, "sxt_wrong", "push", "--repo", "acme/api")
	if code != 1 || !strings.Contains(stderr, "HTTP 401") {
		t.Errorf("wrong token: exit %d, stderr %q", code, stderr)
	}
	// Mistakes caught before sending: exit 2.
	for _, args := range [][]string{{"push"}, {"Push", "--repo", "a/b"}, {"incident_opened", "--repo", "ALL"}, {"push", "--repo", "a/b", "--bogus", "x"}} {
		if _, stderr, code := runScript(t, f.url, f.writer, args...); code != 2 {
			t.Errorf("%v: exit %d (%s); want 2", args, code, stderr)
		}
	}
	if n := f.events(); n != 1 {
		t.Errorf("%d events stored; want only the first", n)
	}
}

// A server that fails twice (a 503, then a 429) and then works: the script
// retries and the event is stored once.
func TestReportScriptRetries(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	secret, _, err := db.CreateToken(t.Context(), "ci", []string{core.ScopeEventsWrite}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	real := New(Deps{DB: db, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Metrics: telemetry.New()}).Handler()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch calls.Add(1) {
		case 1:
			http.Error(w, `{"error":"database restarting"}`, http.StatusServiceUnavailable)
		case 2:
			w.WriteHeader(http.StatusTooManyRequests)
		default:
			real.ServeHTTP(w, r)
		}
	}))
	defer srv.Close()

	id, stderr, code := runScript(t, srv.URL, secret, "test_pass", "--repo", "acme/api")
	if code != 0 || id == "" {
		t.Fatalf("exit %d, stdout %q, stderr %s", code, id, stderr)
	}
	if calls.Load() != 3 || strings.Count(stderr, "retrying") != 2 || !strings.Contains(stderr, "database restarting") {
		t.Errorf("%d calls; stderr %s", calls.Load(), stderr)
	}
	var n int
	db.R.QueryRow(`SELECT COUNT(*) FROM ci_events`).Scan(&n)
	if n != 1 {
		t.Errorf("%d events stored; want 1", n)
	}
}

// The composite action's step, run as GitHub would run it: inputs arrive
// as environment variables, the output goes to $GITHUB_OUTPUT.
func TestActionReportsDeploy(t *testing.T) {
	for _, tool := range []string{"sh", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("action.yml not tested: %s is not installed", tool)
		}
	}
	raw, err := os.ReadFile("../../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var action struct {
		Inputs map[string]struct {
			Default string `yaml:"default"`
		} `yaml:"inputs"`
		Runs struct {
			Using string `yaml:"using"`
			Steps []struct {
				ID    string            `yaml:"id"`
				Shell string            `yaml:"shell"`
				Env   map[string]string `yaml:"env"`
				Run   string            `yaml:"run"`
			} `yaml:"steps"`
		} `yaml:"runs"`
	}
	if err := yaml.Unmarshal(raw, &action); err != nil {
		t.Fatal(err)
	}
	if action.Runs.Using != "composite" || len(action.Runs.Steps) != 1 || action.Runs.Steps[0].Shell != "sh" {
		t.Fatalf("action.yml runs %+v; want one composite sh step", action.Runs)
	}
	step := action.Runs.Steps[0]

	db := storetest.Open(t, store.SQLite)
	f := newEventsFixture(t, db)
	// What GitHub would substitute for each ${{ … }} expression.
	inputs := map[string]string{
		"server-url": f.url, "token": f.writer, "event": "deploy", "environment": "production", "status": "failure",
		"repo": "acme/api", "sha": "0123abcd", "ref": "refs/heads/main", "id": "", "deployment": "",
		"duration-ms": "", "metadata": `{"workflow":"deploy"}`, "event-url": "https://github.com/acme/api/actions/runs/77",
		"retry-for": "5",
	}
	for name := range action.Inputs {
		if _, ok := inputs[name]; !ok {
			t.Errorf("input %s is not exercised by this test", name)
		}
	}
	output := filepath.Join(t.TempDir(), "output")
	env := append(os.Environ(), "GITHUB_ACTION_PATH=../..", "GITHUB_OUTPUT="+output,
		"GITHUB_RUN_ID=77", "GITHUB_RUN_ATTEMPT=1", "GITHUB_JOB=deploy")
	for k, v := range step.Env {
		expr := strings.TrimSuffix(strings.TrimPrefix(v, "${{ inputs."), " }}")
		val, ok := inputs[expr]
		if !ok {
			t.Fatalf("env %s = %s: not an input expression", k, v)
		}
		env = append(env, k+"="+val)
	}
	cmd := exec.Command("sh", "-e", "-c", step.Run)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("action step: %v\n%s", err, out)
	}
	written, _ := os.ReadFile(output)
	id, ok := strings.CutPrefix(strings.TrimSpace(string(written)), "event-id=")
	if !ok {
		t.Fatalf("GITHUB_OUTPUT = %q", written)
	}
	n, _ := strconv.ParseInt(id, 10, 64)
	e, err := store.GetCIEvent(t.Context(), db.R, n)
	if err != nil {
		t.Fatal(err)
	}
	if e.Event != "deploy" || e.Status != "failure" || e.Environment != "production" || e.SHA != "0123abcd" ||
		e.ClientID != "77-1-deploy-production" || e.URL != inputs["event-url"] || e.DeploymentID == 0 {
		t.Errorf("stored %+v", e)
	}
}
