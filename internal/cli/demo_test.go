package cli

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sextant-dev/sextant/internal/config"
	"github.com/sextant-dev/sextant/internal/demo"
	"github.com/sextant-dev/sextant/internal/demo/demodb"
	"github.com/sextant-dev/sextant/internal/store"
)

// One month of the small organization keeps the test quick under -race.
var demoTestOpts = demo.Options{Seed: 3, Scale: demo.Small, Months: 1, End: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)}

// testServer runs serve in-process on a fresh SQLite file and returns its
// address, its database path and a stop function.
func testServer(t *testing.T, cfg config.Config) (addr string, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	env := Env{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard, Getenv: func(string) string { return "" }}
	go func() { done <- serve(ctx, env, cfg, ready) }()
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("serve: %v", err)
	}
	return addr, func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}
}

// The organization sent over HTTP as signed webhooks and CI events is
// stored as direct generation stores it.
func TestDemoWebhooksMatchDirectGeneration(t *testing.T) {
	const (
		secret = "demo-webhook-secret"
		token  = "demo-ci-token-0123456789"
	)
	cfg := config.Default()
	cfg.Addr = "127.0.0.1:0"
	cfg.DB = filepath.Join(t.TempDir(), "http.db")
	cfg.Jobs.Workers = 0
	cfg.GitHub.WebhookSecret = config.Secrets{secret}
	cfg.API.Tokens = config.Secrets{"pipelines|events:write|" + token}
	addr, stop := testServer(t, cfg)

	var stdout, stderr bytes.Buffer
	env := Env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }}
	code := Run(context.Background(), env, []string{"demo", "webhooks", "--url", "http://" + addr, "--secret", secret,
		"--token", token, "--seed", "3", "--months", "1", "--end", "2026-06-01"})
	if code != ExitOK {
		stop()
		t.Fatalf("demo webhooks: exit %d: %s", code, stderr.String())
	}
	sent, err := store.Open(context.Background(), cfg.DB, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sent.Close()
	waitProjected(t, sent)
	stop()

	direct, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "direct.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close()
	sum, err := demodb.Load(context.Background(), direct, demoTestOpts, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("sent %d webhook deliveries (%d accepted, 0 duplicate) and %d CI events", sum.Deliveries, sum.Deliveries, sum.CIEvents); !strings.Contains(stdout.String(), want) {
		t.Errorf("demo webhooks said %q; want %q", stdout.String(), want)
	}

	for _, c := range demoComparisons() {
		a, b := tableRows(t, direct, c.query), tableRows(t, sent, c.query)
		if len(a) == 0 {
			t.Errorf("%s: direct generation stored none", c.name)
		}
		if d := cmp.Diff(a, b); d != "" {
			t.Errorf("%s differ between direct generation and webhooks over HTTP (-direct +http):\n%s", c.name, d)
		}
	}
}

// demoComparisons are the rows compared, by natural keys (Sextant's own
// ids depend on arrival order). Membership spans are compared without
// their times: a membership delivery carries no timestamp, so the server
// stamps it when it arrives, while direct generation stamps it when it
// happened.
func demoComparisons() []struct{ name, query string } {
	return []struct{ name, query string }{
		{"pull requests", `SELECT r.full_name, p.id, p.number, p.author_id, p.title, p.state, p.draft, p.merged,
			p.merge_commit_sha, p.merged_by_id, p.head_ref, p.base_ref, p.created_at, p.updated_at, p.closed_at, p.merged_at,
			p.additions, p.deletions, p.changed_files, p.commits
			FROM pull_requests p JOIN repositories r ON r.id = p.repo_id`},
		{"pull request labels", `SELECT pull_request_id, name FROM pull_request_labels`},
		{"reviews", `SELECT id, pull_request_id, reviewer_id, state, commit_id, submitted_at FROM reviews`},
		{"issues", `SELECT r.full_name, i.id, i.number, i.author_id, i.state, i.state_reason, i.created_at, i.closed_at
			FROM issues i JOIN repositories r ON r.id = i.repo_id`},
		{"deployments", `SELECT r.full_name, d.source, CASE WHEN d.source = 'ci' THEN '' ELSE d.source_id END,
			d.environment, d.sha, d.ref, d.status, d.created_at, d.finished_at, d.caused_failure
			FROM deployments d JOIN repositories r ON r.id = d.repo_id`},
		{"incidents", `SELECT i.source, i.source_id, r.full_name, i.title, i.opened_at, i.resolved_at, d.sha, d.environment
			FROM incidents i LEFT JOIN repositories r ON r.id = i.repo_id LEFT JOIN deployments d ON d.id = i.deployment_id`},
		{"CI events and what they matched", `SELECT e.event, e.repo, e.at, e.sha, e.environment, e.status, e.deployment,
			d.source, d.sha, d.environment, d.created_at, i.source, i.opened_at
			FROM ci_events e LEFT JOIN deployments d ON d.id = e.deployment_id LEFT JOIN incidents i ON i.id = e.incident_id`},
		// A rollback naming no deployment marks the latest one stored,
		// which depends on what was stored before it.
		{"rollbacks matched to the deployment before them", `SELECT e.repo, e.at, d.source, d.sha, d.created_at
			FROM ci_events e JOIN deployments d ON d.id = e.deployment_id
			WHERE e.event = 'rollback' AND COALESCE(e.deployment, '') = ''`},
		{"teams", `SELECT id, org_id, slug, name, parent_id, privacy, deleted FROM teams`},
		{"team memberships", `SELECT team_id, actor_id, role, until IS NULL FROM team_members`},
		{"organization memberships", `SELECT org_id, actor_id, role, until IS NULL FROM org_members`},
	}
}

// tableRows runs query and returns its rows as text, sorted.
func tableRows(t *testing.T, db *store.DB, query string) []string {
	t.Helper()
	rows, err := db.R.QueryContext(context.Background(), query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			parts[i] = "NULL"
			if v.Valid {
				parts[i] = v.String
			}
		}
		out = append(out, strings.Join(parts, "|"))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// waitProjected waits until the server has projected every delivery.
func waitProjected(t *testing.T, db *store.DB) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		n, err := store.CountPendingDeliveries(context.Background(), db.R)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d deliveries still unprojected after two minutes", n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A demo load is idempotent: running it again stores nothing new, and the
// database is marked as holding a complete demo.
func TestDemoLoadIsIdempotent(t *testing.T) {
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "demo.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if _, ok, err := demodb.Loaded(context.Background(), db); ok || err != nil {
		t.Fatalf("a fresh database counts as a loaded demo (%v, %v)", ok, err)
	}
	if _, err := demodb.Load(context.Background(), db, demoTestOpts, log, nil); err != nil {
		t.Fatal(err)
	}
	counts := func() []string {
		return tableRows(t, db, `SELECT 'deliveries', COUNT(*), 0 FROM webhook_deliveries
			UNION ALL SELECT 'ci', COUNT(*), 0 FROM ci_events UNION ALL SELECT 'pulls', COUNT(*), 0 FROM pull_requests
			UNION ALL SELECT 'deployments', COUNT(*), 0 FROM deployments UNION ALL SELECT 'incidents', COUNT(*), 0 FROM incidents`)
	}
	first := counts()
	if _, err := demodb.Load(context.Background(), db, demoTestOpts, log, nil); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(first, counts()); d != "" {
		t.Errorf("a second load changed the counts:\n%s", d)
	}
	if opts, ok, err := demodb.Loaded(context.Background(), db); !ok || err != nil || opts != demoTestOpts {
		t.Errorf("a loaded demo is not marked as such: %+v %v %v; want %+v", opts, ok, err, demoTestOpts)
	}
}

func TestDemoFlagsAreChecked(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"demo", "--scale", "huge"}, `--scale: "huge" is not small, medium or large`},
		{[]string{"demo", "--months", "0"}, "--months: 0 is not between 1 and 60"},
		{[]string{"demo", "--end", "June"}, `--end: "June" is not a date`},
		{[]string{"demo", "frobnicate"}, `unknown subcommand "frobnicate"`},
		{[]string{"demo", "webhooks"}, "demo webhooks needs --url, --secret, --token"},
		{[]string{"demo", "webhooks", "--url", "ftp://x", "--secret", "s", "--token", "t"}, `--url: "ftp://x" is not an http(s) URL`},
	} {
		var stderr bytes.Buffer
		env := Env{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: &stderr, Getenv: func(string) string { return "" }}
		if code := Run(context.Background(), env, c.args); code != ExitUsage || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("%v: exit %d, %q; want exit 2 and %q", c.args, code, stderr.String(), c.want)
		}
	}
}
