package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sextant-dev/sextant/internal/store"
	"github.com/sextant-dev/sextant/internal/store/storetest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// examples returns every published example payload and the project's
// edited copies as deliveries, in a fixed order, each with its own id and
// received time.
func examples(t *testing.T) []Delivery {
	t.Helper()
	var files []string
	for _, dir := range []string{"../../testdata/octokit-webhooks", "../../testdata/github-webhooks"} {
		fs, err := filepath.Glob(filepath.Join(dir, "*", "*.json"))
		if err != nil || len(fs) == 0 {
			t.Fatalf("no example payloads in %s", dir)
		}
		files = append(files, fs...)
	}
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var out []Delivery
	for i, f := range files {
		event := filepath.Base(filepath.Dir(f))
		if event == "ping" {
			continue
		}
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, Delivery{GUID: fmt.Sprintf("example-%03d", i), Event: event, Body: body,
			ReceivedAt: base.Add(time.Duration(i) * time.Minute)})
	}
	return out
}

// snapshot renders the domain tables with Sextant's own surrogate ids
// replaced by what they stand for (a repository by its GitHub id and name, a
// push by its delivery), so that databases filled in different orders
// compare equal when they hold the same facts.
func snapshot(t *testing.T, db *store.DB) string {
	t.Helper()
	return snapshotOf(t, db, true)
}

// snapshotOf is snapshot, with or without the version columns.
func snapshotOf(t *testing.T, db *store.DB, versions bool) string {
	t.Helper()
	repo := `(SELECT COALESCE(CAST(github_id AS TEXT), '') || ':' || full_name FROM repositories r WHERE r.id = %s)`
	r := func(col string) string { return fmt.Sprintf(repo, col) }
	queries := map[string]string{
		"repositories":         `SELECT github_id, owner, name, full_name, private, archived, default_branch, created_at, updated_at, pushed_at FROM repositories`,
		"actors":               `SELECT * FROM actors`,
		"organizations":        `SELECT * FROM organizations`,
		"teams":                `SELECT * FROM teams`,
		"org_members":          `SELECT org_id, actor_id, role, since, until FROM org_members`,
		"team_members":         `SELECT team_id, actor_id, role, since, until FROM team_members`,
		"membership_events":    `SELECT scope, group_id, actor_id, action, role, at FROM membership_events`,
		"team_repositories":    `SELECT team_id, ` + r("repo_id") + `, permission, updated_at, removed_at FROM team_repositories`,
		"pull_requests":        `SELECT id, ` + r("repo_id") + `, number, node_id, author_id, title, state, draft, merged, merge_commit_sha, merged_by_id, head_ref, head_sha, base_ref, created_at, updated_at, closed_at, merged_at, first_commit_at, additions, deletions, changed_files, commits, review_comments, version, abridged FROM pull_requests`,
		"pull_request_labels":  `SELECT * FROM pull_request_labels`,
		"pull_request_commits": `SELECT * FROM pull_request_commits`,
		"reviews":              `SELECT id, pull_request_id, ` + r("repo_id") + `, reviewer_id, state, commit_id, submitted_at, version FROM reviews`,
		"review_comments":      `SELECT id, pull_request_id, ` + r("repo_id") + `, review_id, author_id, in_reply_to_id, created_at, updated_at, deleted, version FROM review_comments`,
		"issues":               `SELECT id, ` + r("repo_id") + `, number, node_id, author_id, title, body, state, state_reason, comments, created_at, updated_at, closed_at, deleted, version FROM issues`,
		"issue_labels":         `SELECT * FROM issue_labels`,
		"issue_comments":       `SELECT id, ` + r("repo_id") + `, issue_number, issue_id, on_pull, author_id, created_at, updated_at, deleted, version FROM issue_comments`,
		"issue_transfers":      `SELECT old_issue_id, ` + r("old_repo_id") + `, old_number, new_issue_id, ` + r("new_repo_id") + `, new_number, actor_id, transferred_at FROM issue_transfers`,
		"commits":              `SELECT ` + r("repo_id") + `, sha, author_id, author_name, author_email, authored_at, committer_email, committed_at, message FROM commits`,
		"pushes":               `SELECT ` + r("repo_id") + `, ref, before_sha, after_sha, pusher_id, pusher_name, forced, created, deleted, distinct_size, pushed_at, delivery_id FROM pushes`,
		"push_commits":         `SELECT (SELECT delivery_id FROM pushes p WHERE p.id = push_id), position, sha FROM push_commits`,
		"ref_events":           `SELECT ` + r("repo_id") + `, ref, ref_type, action, actor_id, at, delivery_id FROM ref_events`,
		"releases":             `SELECT id, ` + r("repo_id") + `, tag_name, name, target_commitish, draft, prerelease, author_id, created_at, published_at, deleted, version FROM releases`,
		"check_suites":         `SELECT id, ` + r("repo_id") + `, head_sha, head_branch, status, conclusion, app_slug, created_at, updated_at, version FROM check_suites`,
		"check_runs":           `SELECT id, check_suite_id, ` + r("repo_id") + `, name, head_sha, status, conclusion, started_at, completed_at, version FROM check_runs`,
		"workflow_runs":        `SELECT id, ` + r("repo_id") + `, workflow_id, name, event, head_sha, head_branch, run_number, run_attempt, status, conclusion, created_at, started_at, updated_at, version FROM workflow_runs`,
		"workflow_jobs":        `SELECT id, run_id, ` + r("repo_id") + `, name, status, conclusion, created_at, started_at, completed_at, version FROM workflow_jobs`,
		"deployments":          `SELECT source, source_id, ` + r("repo_id") + `, environment, sha, ref, task, status, creator_id, url, created_at, updated_at, finished_at FROM deployments`,
		"deployment_statuses":  `SELECT (SELECT source_id FROM deployments d WHERE d.id = deployment_id), source_id, state, description, environment, creator_id, created_at FROM deployment_statuses`,
	}
	names := make([]string, 0, len(queries))
	for n := range queries {
		names = append(names, n)
	}
	slices.Sort(names)
	var sb strings.Builder
	for _, n := range names {
		q := queries[n]
		if !versions {
			q = strings.ReplaceAll(strings.ReplaceAll(q, ", version, abridged FROM", ", abridged FROM"), ", version FROM", " FROM")
			q = strings.Replace(q, "SELECT * FROM actors", "SELECT id, login, type, name, email, updated_at FROM actors", 1)
			q = strings.Replace(q, "SELECT * FROM organizations", "SELECT id, login, name, updated_at FROM organizations", 1)
			q = strings.Replace(q, "SELECT * FROM teams", "SELECT id, org_id, slug, name, parent_id, privacy, deleted, updated_at FROM teams", 1)
		}
		rows, err := db.R.Query(q)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		cols, _ := rows.Columns()
		var lines []string
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				switch x := v.(type) {
				case []byte:
					vals[i] = string(x)
				case bool: // PostgreSQL booleans and SQLite integers print alike
					vals[i] = map[bool]int{false: 0, true: 1}[x]
				}
			}
			lines = append(lines, fmt.Sprint(vals...))
		}
		rows.Close()
		slices.Sort(lines)
		fmt.Fprintf(&sb, "== %s (%d)\n%s\n", n, len(lines), strings.Join(lines, "\n"))
	}
	return sb.String()
}

// storeAndProject stores ds in the order given, in a few transactions,
// and projects them in batches that do not line up with those.
func storeAndProject(t *testing.T, db *store.DB, ds []Delivery) {
	t.Helper()
	w := NewWebhooks(db, quiet, WebhookOptions{ProjectBatch: 23})
	for start := 0; start < len(ds); start += 40 {
		if _, err := w.Store(context.Background(), ds[start:min(start+40, len(ds))]); err != nil {
			t.Fatal(err)
		}
	}
	st, err := w.ProjectPending(context.Background())
	if err != nil || st.Failed != 0 || st.Projected != len(ds) {
		t.Fatalf("projected %+v, %v; want all %d without failure", st, err, len(ds))
	}
}

func TestReplayInAnyOrderGivesTheSameRows(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ds := examples(t)
		storeAndProject(t, db, ds)
		want := snapshot(t, db)
		reference := storetest.Open(t, db.Dialect)
		storeAndProject(t, reference, ds)
		if !strings.Contains(want, "== pull_requests (2)") || !strings.Contains(want, "== org_members (1)") {
			t.Fatalf("the examples should give rows in every table:\n%s", want)
		}
		for seed := range uint64(2) {
			shuffled := slices.Clone(ds)
			rand.New(rand.NewPCG(seed, 7)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
			other := storetest.Open(t, db.Dialect)
			storeAndProject(t, other, shuffled)
			if got := snapshot(t, other); got != want {
				t.Errorf("order %d gives other rows:\n%s", seed, diffLines(want, got))
			}
		}
		// Replaying the log (sextant replay) rebuilds the same rows.
		w := NewWebhooks(db, quiet, WebhookOptions{ProjectBatch: 50})
		if _, err := db.W.Exec(`DELETE FROM pull_requests`); err != nil {
			t.Fatal(err)
		}
		var calls []int64
		st, err := w.Replay(context.Background(), ReplayOptions{Progress: func(done, total int64) { calls = append(calls, done, total) }})
		if err != nil || st.Projected != len(ds) || st.Failed != 0 {
			t.Fatalf("replay: %+v, %v", st, err)
		}
		// Replay resets versions; rows it cannot rewrite (a transferred
		// issue) keep none, so versions are left out of this comparison.
		if got, want := snapshotOf(t, db, false), snapshotOf(t, reference, false); got != want {
			t.Errorf("replay gives other rows:\n%s", diffLines(want, got))
		}
		if len(calls) < 2 || calls[len(calls)-2] != int64(len(ds)) || calls[len(calls)-1] != int64(len(ds)) {
			t.Errorf("progress calls %v; want the last to be %d of %d", calls, len(ds), len(ds))
		}
		st, err = w.Replay(context.Background(), ReplayOptions{Event: "push"})
		pushes := 0
		for _, d := range ds {
			if d.Event == "push" {
				pushes++
			}
		}
		if err != nil || st.Projected != pushes {
			t.Errorf("replay of push: %+v, %v; want %d deliveries", st, err, pushes)
		}
	})
}

// diffLines shows the lines of got that differ from want.
func diffLines(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var out []string
	for _, l := range g {
		if !slices.Contains(w, l) {
			out = append(out, "+ "+l)
		}
	}
	for _, l := range w {
		if !slices.Contains(g, l) {
			out = append(out, "- "+l)
		}
	}
	return strings.Join(out, "\n")
}

func TestOlderPayloadNeverOverwritesNewerState(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		byName := map[string]Delivery{}
		for _, d := range examples(t) {
			byName[d.Event+"/"+string(d.Body[:0])+d.GUID] = d
		}
		read := func(rel string) []byte {
			b, err := os.ReadFile(rel)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		ex := "../../testdata/octokit-webhooks/"
		own := "../../testdata/github-webhooks/"
		at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		// Newest first: each later delivery is an older copy.
		ds := []Delivery{
			{GUID: "1", Event: "pull_request", Body: read(own + "pull_request/closed.merged.payload.json")},
			{GUID: "2", Event: "pull_request", Body: read(ex + "pull_request/opened.payload.json")},
			{GUID: "3", Event: "issues", Body: read(own + "issues/closed.payload.json")},
			{GUID: "4", Event: "issues", Body: read(ex + "issues/opened.payload.json")},
			{GUID: "5", Event: "check_suite", Body: read(ex + "check_suite/completed.payload.json")},
			{GUID: "6", Event: "check_suite", Body: read(ex + "check_suite/requested.payload.json")},
			{GUID: "7", Event: "workflow_job", Body: read(ex + "workflow_job/completed.success.with-organization.payload.json")},
			{GUID: "8", Event: "workflow_job", Body: read(ex + "workflow_job/in_progress.payload.json")},
		}
		for i := range ds {
			ds[i].ReceivedAt = at.Add(time.Duration(i) * time.Minute)
		}
		storeAndProject(t, db, ds)
		var prState, issueState, suiteStatus, jobStatus string
		var merged bool
		db.R.QueryRow(`SELECT state, merged FROM pull_requests`).Scan(&prState, &merged)
		db.R.QueryRow(`SELECT state FROM issues`).Scan(&issueState)
		db.R.QueryRow(`SELECT status FROM check_suites`).Scan(&suiteStatus)
		db.R.QueryRow(`SELECT status FROM workflow_jobs`).Scan(&jobStatus)
		if prState != "closed" || !merged || issueState != "closed" || suiteStatus != "completed" || jobStatus != "completed" {
			t.Errorf("after older copies: pull request %s merged %v, issue %s, check suite %s, job %s; want the newest state kept",
				prState, merged, issueState, suiteStatus, jobStatus)
		}
	})
}

func TestCrashBetweenStoringAndProjectingLosesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ds := examples(t)[:40]
		// Intake stores through the committer, as for HTTP.
		w := NewWebhooks(db, quiet, WebhookOptions{})
		w.Start()
		for _, d := range ds {
			if ok, err := w.Receive(ctx, d); err != nil || !ok {
				t.Fatalf("receive %s: %v, %v", d.GUID, ok, err)
			}
		}
		w.Close()
		// The process dies in the middle of its first projection.
		crashing := NewWebhooks(db, quiet, WebhookOptions{ProjectBatch: 64, failAfter: 25})
		if _, err := crashing.ProjectPending(ctx); err == nil {
			t.Fatal("the injected failure did not stop the projection")
		}
		pending, err := store.CountPendingDeliveries(ctx, db.R)
		if err != nil || pending != int64(len(ds)) {
			t.Fatalf("%d pending after the crash, %v; want all %d (nothing half projected)", pending, err, len(ds))
		}
		var rows int
		db.R.QueryRow(`SELECT COUNT(*) FROM actors`).Scan(&rows)
		if rows != 0 {
			t.Fatalf("%d actors after the crashed projection; want its transaction undone", rows)
		}
		// On the next start, the projector first projects what is left.
		restarted := NewWebhooks(db, quiet, WebhookOptions{Poll: time.Hour})
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { restarted.RunProjector(runCtx); close(done) }()
		deadline := time.Now().Add(20 * time.Second)
		for pending > 0 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
			pending, _ = store.CountPendingDeliveries(ctx, db.R)
		}
		cancel()
		<-done
		if pending != 0 {
			t.Fatalf("%d deliveries still pending after the restart", pending)
		}
		reference := storetest.Open(t, db.Dialect)
		storeAndProject(t, reference, ds)
		if got, want := snapshot(t, db), snapshot(t, reference); got != want {
			t.Errorf("after the restart the rows differ from an uninterrupted projection:\n%s", diffLines(want, got))
		}
	})
}

func TestLoadStoresAndProjectsLikeIntake(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ds := examples(t)
		reference := storetest.Open(t, db.Dialect)
		storeAndProject(t, reference, ds)
		w := NewWebhooks(db, quiet, WebhookOptions{})
		l := w.NewLoader(context.Background(), 50)
		for _, d := range ds {
			if err := l.Add(d); err != nil {
				t.Fatal(err)
			}
		}
		st, err := l.Close()
		if err != nil || st.Stored != len(ds) || st.Failed != 0 {
			t.Fatalf("load: %+v, %v", st, err)
		}
		if got, want := snapshot(t, db), snapshot(t, reference); got != want {
			t.Errorf("Load gives other rows than intake:\n%s", diffLines(want, got))
		}
		// Loading the same deliveries again stores nothing.
		st, err = w.Load(context.Background(), ds[:10])
		if err != nil || st.Stored != 0 || st.Duplicates != 10 {
			t.Errorf("second load: %+v, %v; want 10 duplicates", st, err)
		}
		pending, _ := store.CountPendingDeliveries(context.Background(), db.R)
		if pending != 0 {
			t.Errorf("%d deliveries left pending by Load", pending)
		}
	})
}

// TestLoaderThenKeepsItsPlace checks where a function queued with Then
// runs: after the batch it was queued in, or right after the deliveries
// before it when the loader was flushed first; in order; and an error from
// one stops the loader.
func TestLoaderThenKeepsItsPlace(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ds := examples(t)
		const size, loose = 50, 120
		if len(ds) < loose+20 {
			t.Fatalf("%d example deliveries; the test needs %d", len(ds), loose+20)
		}
		type seen struct{ added, stored int }
		var got, want []seen
		l := NewWebhooks(db, quiet, WebhookOptions{}).NewLoader(ctx, size)
		record := func(added int) func(context.Context) error {
			return func(ctx context.Context) error {
				var n int
				err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM webhook_deliveries`).Scan(&n)
				got = append(got, seen{added, n})
				return err
			}
		}
		then := func(added int) {
			t.Helper()
			if err := l.Then(record(added)); err != nil {
				t.Fatal(err)
			}
		}
		thenFlush := func(added int) {
			t.Helper()
			if err := l.ThenFlush(record(added)); err != nil {
				t.Fatal(err)
			}
		}
		for i, d := range ds {
			switch {
			case i < loose && i%7 == 3:
				// The batch being filled ends at the next multiple of size,
				// or at the first ThenFlush.
				want = append(want, seen{i, min((i/size+1)*size, loose)})
				then(i)
			case i >= loose && i%5 == 0:
				want = append(want, seen{i, i})
				thenFlush(i)
			}
			if err := l.Add(d); err != nil {
				t.Fatal(err)
			}
		}
		if err := l.Then(func(context.Context) error { return errors.New("no more") }); err != nil {
			t.Fatal(err)
		}
		then(-1) // never runs: the one before failed
		if _, err := l.Close(); err == nil || err.Error() != "no more" {
			t.Errorf("Close: %v; want the error of the function that failed", err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("functions ran as (added, stored)\n%v\nwant\n%v", got, want)
		}
		if err := l.Add(ds[0]); err == nil {
			t.Error("Add after a failed function: no error")
		}
	})
}

func TestProjectionErrorsAreKept(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := NewWebhooks(db, quiet, WebhookOptions{})
		// A pull request without an id is valid JSON GitHub never sends.
		bad := Delivery{GUID: "bad", Event: "pull_request", Body: []byte(`{"action":"opened","pull_request":{"number":1},"repository":{"id":5,"full_name":"a/b"}}`)}
		good := examples(t)[0]
		if _, err := w.Store(ctx, []Delivery{bad, good}); err != nil {
			t.Fatal(err)
		}
		st, err := w.ProjectPending(ctx)
		if err != nil || st.Projected != 2 || st.Failed != 1 {
			t.Fatalf("projection: %+v, %v; want 2 projected, 1 failed", st, err)
		}
		d, err := store.DeliveryByID(ctx, db.R, "bad")
		if err != nil || d.ProjectedAt.IsZero() || !strings.Contains(d.ProjectionError, "pull request without id") {
			t.Errorf("bad delivery: projected %v error %q, %v", d.ProjectedAt, d.ProjectionError, err)
		}
		g, _ := store.DeliveryByID(ctx, db.R, good.GUID)
		if g.ProjectionError != "" || g.ProjectedAt.IsZero() {
			t.Errorf("good delivery beside the bad one: %q %v", g.ProjectionError, g.ProjectedAt)
		}
		// Unknown events and actions are stored and count as projected.
		unknown := []Delivery{
			{GUID: "u1", Event: "star", Body: []byte(`{"action":"created"}`)},
			{GUID: "u2", Event: "organization", Body: []byte(`{"action":"something_new"}`)},
		}
		if _, err := w.Store(ctx, unknown); err != nil {
			t.Fatal(err)
		}
		if st, err := w.ProjectPending(ctx); err != nil || st.Failed != 0 || st.Projected != 2 {
			t.Errorf("unknown deliveries: %+v, %v", st, err)
		}
		if KnownWebhook("star", "created") || KnownWebhook("organization", "something_new") || !KnownWebhook("push", "") {
			t.Error("KnownWebhook misclassifies")
		}
	})
}
