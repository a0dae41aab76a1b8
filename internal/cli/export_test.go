package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sextant-dev/sextant/internal/core"
	"github.com/sextant-dev/sextant/internal/store"
)

func testEnv(stdout, stderr io.Writer) Env {
	return Env{Stdout: stdout, Stderr: stderr, Getenv: func(string) string { return "" }}
}

// exportDB is a SQLite file with two repositories' deployments and events.
func exportDB(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "x.db")
	ctx := context.Background()
	db, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	base := time.Date(2026, 4, 1, 10, 0, 0, 0, time.UTC)
	for i, name := range []string{"acme/api", "acme/web"} {
		repo, err := store.UpsertRepository(ctx, db.W, core.Repository{GitHubID: int64(100 + i), FullName: name})
		if err != nil {
			t.Fatal(err)
		}
		for d := 0; d < 3; d++ {
			at := base.Add(time.Duration(d) * 24 * time.Hour)
			if _, err := store.UpsertDeployment(ctx, db.W, core.Deployment{Source: core.SourceCI, SourceID: fmt.Sprintf("%s-%d", name, d),
				RepoID: repo, Environment: "production", SHA: fmt.Sprintf("sha%d", d), Status: core.DeploySuccess,
				CreatedAt: at, FinishedAt: at.Add(time.Minute), CausedFailure: d == 2}); err != nil {
				t.Fatal(err)
			}
			if _, err := db.W.Exec(`INSERT INTO ci_events (event, repo, at, sha, metadata, received_at) VALUES ('deploy', $1, $2, $3, $4, $2)`,
				name, at.UnixMilli(), fmt.Sprintf("sha%d", d), `{"note":"line \"one\"\nline two"}`); err != nil {
				t.Fatal(err)
			}
		}
	}
	db.W.Exec(`INSERT INTO webhook_deliveries (delivery_id, event, action, repo_full_name, received_at, body, body_encoding, body_size)
		VALUES ('abc-123', 'pull_request', 'opened', 'acme/api', $1, $2, 'gzip', 1)`, base.UnixMilli(), []byte{1})
	return path
}

func TestExportJSONLAndCSV(t *testing.T) {
	path := exportDB(t)
	var out, errOut bytes.Buffer
	code := Run(context.Background(), testEnv(&out, &errOut), []string{"export", "--db", path, "--kind", "deployments",
		"--repo", "acme/api", "--from", "2026-04-02"})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d rows, want the 2 acme/api deployments from April 2nd: %s", len(lines), out.String())
	}
	var row map[string]any
	if err := json.Unmarshal([]byte(lines[1]), &row); err != nil {
		t.Fatal(err)
	}
	if row["repo"] != "acme/api" || row["sha"] != "sha2" || row["caused_failure"] != true ||
		row["created_at"] != "2026-04-03T10:00:00Z" || row["ref"] != nil {
		t.Errorf("row = %v", row)
	}

	out.Reset()
	if code := Run(context.Background(), testEnv(&out, &errOut), []string{"export", "--db", path, "--kind", "events", "--format", "csv"}); code != 0 {
		t.Fatalf("csv: exit %d: %s", code, errOut.String())
	}
	records, err := csv.NewReader(&out).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 7 || records[0][0] != "id" || records[0][11] != "metadata" {
		t.Fatalf("csv = %v", records)
	}
	if records[1][11] != `{"note":"line \"one\"\nline two"}` || records[1][3] != "2026-04-01T10:00:00Z" {
		t.Errorf("csv row = %q", records[1])
	}

	// JSON metadata is embedded as JSON, strings escaped.
	out.Reset()
	Run(context.Background(), testEnv(&out, &errOut), []string{"export", "--db", path, "--kind", "events", "--repo", "acme/web"})
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var ev struct {
			Metadata map[string]string `json:"metadata"`
			Repo     string            `json:"repo"`
		}
		if err := json.Unmarshal([]byte(l), &ev); err != nil || ev.Metadata["note"] != "line \"one\"\nline two" || ev.Repo != "acme/web" {
			t.Errorf("line %s: %v %+v", l, err, ev)
		}
	}
}

func TestExportBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"export"}, "--kind is required"},
		{[]string{"export", "--kind", "commits"}, `--kind: "commits" is not one of`},
		{[]string{"export", "--kind", "pulls", "--format", "xml"}, `--format: "xml" is not jsonl or csv`},
		{[]string{"export", "--kind", "pulls", "--from", "yesterday"}, `--from: "yesterday" is not RFC 3339`},
		{[]string{"export", "--kind", "pulls", "--from", "2026-02-01", "--to", "2026-01-01"}, "--from must be before --to"},
		{[]string{"export", "--kind", "pulls", "--repo", "acme"}, `--repo: "acme" is not owner/name`},
	} {
		var out, errOut bytes.Buffer
		code := Run(context.Background(), testEnv(&out, &errOut), tc.args)
		if code != 2 || !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", tc.args, code, errOut.String(), tc.want)
		}
	}
}

func TestExportGitCommitsOnlyWhatIsNew(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	path := exportDB(t)
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	if code := Run(context.Background(), testEnv(&out, &errOut), []string{"export", "--db", path, "--git", dir}); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "7 events (1 github, 6 ci)") {
		t.Errorf("output %q", out.String())
	}
	var ev store.NormalizedEvent
	body, err := exec.Command("cat", filepath.Join(dir, "2026/04/01/github-abc-123.json")).Output()
	if err != nil || json.Unmarshal(body, &ev) != nil || ev.Event != "pull_request" || ev.Action != "opened" || ev.Repo != "acme/api" {
		t.Errorf("archived delivery = %s (%v)", body, err)
	}
	count := func() string {
		o, err := exec.Command("git", "-C", dir, "rev-list", "--count", "HEAD").Output()
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(o))
	}
	if c := count(); c != "1" {
		t.Fatalf("commits = %s", c)
	}
	out.Reset()
	if code := Run(context.Background(), testEnv(&out, &errOut), []string{"export", "--db", path, "--git", dir}); code != 0 {
		t.Fatalf("second run exit %d: %s", code, errOut.String())
	}
	if c := count(); c != "1" || !strings.Contains(out.String(), "nothing new") {
		t.Errorf("second run made a commit (%s commits), output %q", c, out.String())
	}
}
