package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sextant-dev/sextant/internal/config"
	"github.com/sextant-dev/sextant/internal/metrics"
	"github.com/sextant-dev/sextant/internal/store"
)

func runTokenTest(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	env := Env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }}
	code := Run(context.Background(), env, append([]string{"token"}, args...))
	return stdout.String(), stderr.String(), code
}

func TestTokenCommands(t *testing.T) {
	db := filepath.Join(t.TempDir(), "s.db")
	out, stderr, code := runTokenTest(t, "create", "--db", db, "--name", "deployer", "--scope", "events:write,events:read")
	if code != ExitOK {
		t.Fatalf("create: exit %d: %s", code, stderr)
	}
	secret := strings.TrimSuffix(out, "\n")
	if !strings.HasPrefix(secret, store.TokenPrefix) || strings.ContainsAny(secret, " \n") {
		t.Fatalf("stdout %q: want the token alone", out)
	}
	if strings.Contains(stderr, secret) {
		t.Error("the token is repeated on stderr")
	}

	out, _, code = runTokenTest(t, "list", "--db", db)
	if code != ExitOK || !strings.Contains(out, "deployer") || !strings.Contains(out, "events:read,events:write") || strings.Contains(out, secret) {
		t.Errorf("list: exit %d:\n%s", code, out)
	}

	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"create", "--db", db, "--name", "deployer", "--scope", "events:write"}, ExitError, "already exists"},
		{[]string{"create", "--db", db, "--name", "x", "--scope", "admin"}, ExitUsage, `unknown scope "admin"`},
		{[]string{"create", "--db", db, "--name", "x"}, ExitUsage, "at least one scope"},
		{[]string{"revoke", "--db", db}, ExitUsage, "needs the token's name"},
		{[]string{"revoke", "--db", db, "nobody"}, ExitError, `no live token named "nobody"`},
		{[]string{"rotate", "--db", db}, ExitUsage, "unknown subcommand"},
		{[]string{}, ExitUsage, "missing subcommand"},
	} {
		_, stderr, code := runTokenTest(t, tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("token %v: exit %d, stderr %q; want %d and %q", tc.args, code, stderr, tc.code, tc.want)
		}
	}

	out, stderr, code = runTokenTest(t, "revoke", "--db", db, "deployer")
	if code != ExitOK || !strings.Contains(out, "revoked") {
		t.Fatalf("revoke: exit %d: %s%s", code, out, stderr)
	}
	out, _, _ = runTokenTest(t, "list", "--db", db)
	if strings.Contains(out, "deployer") {
		t.Errorf("revoked token still listed:\n%s", out)
	}
	out, _, _ = runTokenTest(t, "list", "--db", db, "--all")
	if !strings.Contains(out, "deployer") {
		t.Errorf("list --all misses the revoked token:\n%s", out)
	}
}

// serve accepts the tokens of its configuration and schedules the
// deployment-frequency job.
func TestServeWiresCIEvents(t *testing.T) {
	cfg := config.Default()
	cfg.Addr = "127.0.0.1:0"
	cfg.DB = filepath.Join(t.TempDir(), "s.db")
	cfg.Jobs.Workers = 0
	cfg.Metrics.DeployFreq.Schedule = "6h"
	const secret = "configured-token-0123456789"
	cfg.API.Tokens = config.Secrets{"deployer|events:write|" + secret}

	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	var logs bytes.Buffer
	env := Env{Stdin: strings.NewReader(""), Stdout: &bytes.Buffer{}, Stderr: &logs, Getenv: func(string) string { return "" }}
	go func() { done <- serve(ctx, env, cfg, ready) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("serve: %v", err)
	}
	out, stderr, code := runReportTest(t, testReporter(&fakeClock{t: time.Now()}),
		map[string]string{"SEXTANT_URL": "http://" + addr, "SEXTANT_TOKEN": secret}, "deploy", "--repo", "acme/api")
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if code != ExitOK || out == "" {
		t.Errorf("report with the configured token: exit %d, stdout %q, stderr %s", code, out, stderr)
	}
	if strings.Contains(logs.String(), secret) {
		t.Error("the configured token appears in the server's log")
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
	found := false
	for _, s := range schedules {
		if s.Name == metrics.DeployFreqKind {
			found = s.Kind == metrics.DeployFreqKind && s.Interval == 6*time.Hour && strings.Contains(s.Args, `"window_days":30`)
		}
	}
	if !found {
		t.Errorf("schedules %+v; want %s every 6h over 30 days", schedules, metrics.DeployFreqKind)
	}
}
