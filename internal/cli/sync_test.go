package cli

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sextant-dev/sextant/internal/config"
	"github.com/sextant-dev/sextant/internal/demo"
	"github.com/sextant-dev/sextant/internal/github"
	"github.com/sextant-dev/sextant/internal/github/githubtest"
	"github.com/sextant-dev/sextant/internal/store"
	ghsync "github.com/sextant-dev/sextant/internal/sync"
)

// fakeGitHub serves a month of the demo organization on loopback. Its
// handler counts requests and, when stopAfter is set, cancels stop's
// context after that many, as Ctrl-C would.
type fakeGitHub struct {
	fake      *githubtest.Server
	url       string
	requests  atomic.Int64
	stopAfter int64
	stop      context.CancelFunc
}

func newFakeGitHub(t *testing.T) *fakeGitHub {
	t.Helper()
	fake, err := githubtest.New(githubtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fake.Load(demo.Options{Seed: 1, Months: 1, End: time.Now().UTC().Truncate(24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	f := &fakeGitHub{fake: fake}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n := f.requests.Add(1); f.stopAfter > 0 && n == f.stopAfter {
			f.stop()
		}
		fake.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	f.url = srv.URL
	return f
}

// runCmd runs the command line with the environment vars and returns its
// output and exit code.
func runCmd(ctx context.Context, vars map[string]string, args ...string) (stdout, stderr string, code int) {
	var out, errOut strings.Builder
	env := Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, Getenv: func(k string) string { return vars[k] }}
	code = Run(ctx, env, args)
	return out.String(), errOut.String(), code
}

func TestSyncNeedsCredentialsAndTargets(t *testing.T) {
	db := filepath.Join(t.TempDir(), "s.db")
	for _, tc := range []struct {
		name string
		vars map[string]string
		args []string
		code int
		want string
	}{
		{"no token", map[string]string{"SEXTANT_GITHUB_ORGS": "acme"}, nil, ExitError, "github.token"},
		{"nothing to sync", map[string]string{"SEXTANT_GITHUB_TOKEN": "t"}, nil, ExitUsage, "github.orgs"},
		{"bad --since", map[string]string{"SEXTANT_GITHUB_TOKEN": "t"}, []string{"--org", "acme", "--since", "May"}, ExitUsage, "--since"},
		{"until before since", map[string]string{"SEXTANT_GITHUB_TOKEN": "t"}, []string{"--org", "acme", "--since", "2024-05-02", "--until", "2024-05-01"}, ExitUsage, "--until"},
		{"full with since", map[string]string{"SEXTANT_GITHUB_TOKEN": "t"}, []string{"--org", "acme", "--full", "--since", "2024-05-01"}, ExitUsage, "--full"},
		{"bad --repo", map[string]string{"SEXTANT_GITHUB_TOKEN": "t"}, []string{"--repo", "acme"}, ExitUsage, "--repo"},
		{"bad --parts", map[string]string{"SEXTANT_GITHUB_TOKEN": "t"}, []string{"--org", "acme", "--parts", "pulls,stars"}, ExitUsage, "stars"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := runCmd(context.Background(), tc.vars, append([]string{"sync", "--db", db}, tc.args...)...)
			if code != tc.code || !strings.Contains(stderr, tc.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Errorf("exit %d, stderr %q; want %d and one line naming %s", code, stderr, tc.code, tc.want)
			}
		})
	}
	_, stderr, code := runCmd(context.Background(), map[string]string{"SEXTANT_GITHUB_ORGS": "acme"}, "check", "--db", db)
	if code != checkFailed || !strings.Contains(stderr, "github.token") {
		t.Errorf("check without a token: exit %d, %q; want %d naming github.token", code, stderr, checkFailed)
	}
}

func countRows(t *testing.T, path, query string) int {
	t.Helper()
	db, err := store.Open(context.Background(), path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.R.QueryRow(query).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// sextant sync stopped by Ctrl-C exits 130 keeping what it stored; run
// again it completes without reading again what it had. sextant check is
// clean then, finds rows removed (exit 1), and --repair closes the gaps
// (exit 0).
func TestSyncAndCheckCommands(t *testing.T) {
	f := newFakeGitHub(t)
	db := filepath.Join(t.TempDir(), "s.db")
	vars := map[string]string{"SEXTANT_GITHUB_TOKEN": "t", "SEXTANT_GITHUB_BASE_URL": f.url, "SEXTANT_GITHUB_ORGS": demo.DefaultOrg,
		"SEXTANT_DB": db}

	ctx, cancel := context.WithCancel(context.Background())
	f.stopAfter, f.stop = 60, cancel
	stdout, stderr, code := runCmd(ctx, vars, "sync")
	if code != ExitInterrupted || !strings.Contains(stderr, "run the same command again to resume") || !strings.HasPrefix(stdout, "sync stopped in ") {
		t.Fatalf("interrupted sync: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	stored := countRows(t, db, `SELECT COUNT(*) FROM pull_requests`)
	f.stopAfter = 0
	graphqlBefore := f.fake.Stats().GraphQLQueries
	stdout, stderr, code = runCmd(context.Background(), vars, "sync")
	if code != ExitOK || !strings.HasPrefix(stdout, "synced in ") || !strings.Contains(stdout, "rate-limit points") {
		t.Fatalf("sync: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	var pulls, pages, repos int
	f.fake.Read(func(st *githubtest.State) {
		for _, r := range st.Repos {
			if r.GH.GetOwner().GetLogin() == demo.DefaultOrg && !r.GH.GetFork() {
				pulls += len(r.Pulls)
				pages += (len(r.Pulls) + github.DefaultPullPageSize - 1) / github.DefaultPullPageSize
				repos++
			}
		}
	})
	if n := countRows(t, db, `SELECT COUNT(*) FROM pull_requests`); n != pulls || stored == 0 || stored >= pulls {
		t.Errorf("%d pull requests after the stop, %d after the resumed sync; GitHub has %d", stored, n, pulls)
	}
	// The first run's GraphQL pages are not read again: the pages of pull
	// requests, the counts each run takes of each repository for its
	// progress bar, and at most the page in flight at the stop.
	if q := f.fake.Stats().GraphQLQueries; q > pages+2*repos+1 {
		t.Errorf("%d GraphQL queries in all (%d before the resume) for %d pages of pull requests in %d repositories", q, graphqlBefore, pages, repos)
	}

	stdout, stderr, code = runCmd(context.Background(), vars, "check")
	if code != checkClean || !strings.Contains(stdout, "0 gaps, 0 errors") || !strings.Contains(stdout, demo.DefaultOrg+"/") {
		t.Fatalf("check after sync: exit %d\n%s%s", code, stdout, stderr)
	}
	sdb, err := store.Open(context.Background(), db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sdb.W.Exec(`DELETE FROM pull_requests WHERE id IN (SELECT id FROM pull_requests ORDER BY id LIMIT 2)`); err != nil {
		t.Fatal(err)
	}
	sdb.Close()
	stdout, _, code = runCmd(context.Background(), vars, "check")
	if code != checkGaps || !strings.Contains(stdout, "pull_requests") || !strings.Contains(stdout, "job ") {
		t.Errorf("check with 2 pull requests gone: exit %d\n%s", code, stdout)
	}
	stdout, stderr, code = runCmd(context.Background(), vars, "check", "--repair", "--wait", "0s")
	if code != checkClean || !strings.Contains(stdout, "ran ") || !strings.HasSuffix(strings.TrimSpace(stdout), "0 gaps, 0 errors") {
		t.Errorf("check --repair: exit %d\n%s%s", code, stdout, stderr)
	}
	if n := countRows(t, db, `SELECT COUNT(*) FROM pull_requests`); n != pulls {
		t.Errorf("%d pull requests after the repair; GitHub has %d", n, pulls)
	}
	// GitHub unreachable: the check fails with 2.
	vars["SEXTANT_GITHUB_BASE_URL"] = "http://127.0.0.1:1"
	_, stderr, code = runCmd(context.Background(), vars, "check", "--repo", demo.DefaultOrg+"/checkout-api")
	if code != checkFailed {
		t.Errorf("check with GitHub unreachable: exit %d, %s", code, stderr)
	}
}

// sextant serve with GitHub configured runs the scheduled sync at start
// through the job queue, and the data health API shows it.
func TestServeRunsTheSync(t *testing.T) {
	f := newFakeGitHub(t)
	cfg := config.Default()
	cfg.Addr = "127.0.0.1:0"
	cfg.DB = filepath.Join(t.TempDir(), "s.db")
	cfg.GitHub.Token = "t"
	cfg.GitHub.BaseURL = f.url
	cfg.GitHub.Orgs = []string{demo.DefaultOrg}
	cfg.Jobs.Workers = 2
	cfg.Jobs.PollInterval = 20 * time.Millisecond
	cfg.Log.Level = "error"
	addr, stop := testServer(t, cfg)
	defer stop()
	deadline := time.Now().Add(60 * time.Second)
	var health struct {
		Repos []struct {
			Repo       string               `json:"repo"`
			Watermarks map[string]time.Time `json:"watermarks"`
		} `json:"repos"`
		RateLimits []struct {
			Resource  string `json:"resource"`
			Remaining int    `json:"remaining"`
		} `json:"rate_limits"`
		Queue []struct {
			Kind, State string
			Count       int
		} `json:"queue"`
	}
	for {
		resp, err := http.Get("http://" + addr + "/api/v1/health/data")
		if err != nil {
			t.Fatal(err)
		}
		err = json.NewDecoder(resp.Body).Decode(&health)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		synced := 0
		for _, r := range health.Repos {
			if !r.Watermarks["pulls"].IsZero() {
				synced++
			}
		}
		if synced > 0 && synced == len(health.Repos) && len(health.RateLimits) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the scheduled sync did not finish: %+v", health)
		}
		time.Sleep(50 * time.Millisecond)
	}
	kinds := map[string]bool{}
	for _, q := range health.Queue {
		kinds[q.Kind] = true
	}
	for _, k := range []string{"github.sync", "github.sync_org", "github.sync_repo"} {
		if !kinds[k] {
			t.Errorf("queue %+v: no %s job", health.Queue, k)
		}
	}
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	b := string(body)
	if !strings.Contains(b, `sextant_github_points_total{resource="graphql",token="token"}`) {
		t.Errorf("/metrics lacks the GitHub budget:\n%s", grep(b, "sextant_github"))
	}
	var scheduled int
	sdb, err := sql.Open("sqlite", cfg.DB)
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	if err := sdb.QueryRow(`SELECT COUNT(*) FROM schedules WHERE name IN ('github-sync', 'github-events', 'github-reconcile', 'integrity.check')`).Scan(&scheduled); err != nil {
		t.Fatal(err)
	}
	if scheduled != 4 {
		t.Errorf("%d of the 4 schedules stored", scheduled)
	}
}

func TestSyncProgressLines(t *testing.T) {
	p := &ghsync.Progress{}
	p.Expect(400)
	var out strings.Builder
	sp := newSyncProgress(&out, p, github.NewBudget("token", 1, nil, nil), time.Now().Add(-time.Minute))
	sp.draw()
	if got, want := out.String(), "sync: 0/400 pull requests and issues (0%), 0 items, 0 requests, 0 points spent, left: unknown\n"; got != want {
		t.Errorf("plain progress %q; want %q", got, want)
	}
	out.Reset()
	sp.tty = true
	sp.draw()
	if got := out.String(); !strings.HasPrefix(got, "\r\033[K[                        ] 0/400") {
		t.Errorf("terminal progress %q; want a bar redrawn in place", got)
	}
}
