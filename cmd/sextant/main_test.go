package main_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sextant-dev/sextant/internal/store/storetest"
)

// binary is the sextant binary built once for these end-to-end tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sextant-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "sextant")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build sextant: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// run runs the binary in dir with a clean SEXTANT_ environment.
func run(t *testing.T, dir string, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	cmd.Env = append(cleanEnv(), env...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return o.String(), e.String(), ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), 0
}

func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SEXTANT_") && !strings.HasPrefix(kv, "GITHUB_TOKEN=") {
			out = append(out, kv)
		}
	}
	return out
}

// Each failure is one clear line on stderr, a non-zero exit, no stack trace.
func TestFailuresAreOneLine(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "unknown.yml"), []byte("addr: 127.0.0.1:0\nwebhook_secret: x\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "invalid.yml"), []byte("addr: [\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "notadb.db"), []byte("hello"), 0o600)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()

	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown command", []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"bad flag", []string{"serve", "--no-such-flag"}, 2, "flag provided but not defined: -no-such-flag"},
		{"bad flag value", []string{"serve", "--log-level", "loud"}, 1, `log.level: "loud" is not debug, info, warn or error`},
		{"unreadable config", []string{"serve", "--config", "missing.yml"}, 1, "read config file: open missing.yml: no such file or directory"},
		{"invalid config", []string{"serve", "--config", "invalid.yml"}, 1, "not valid YAML"},
		{"unknown key", []string{"serve", "--config", "unknown.yml"}, 1, "webhook_secret: unknown key (line 2)"},
		{"bad dsn", []string{"serve", "--db", "postgres://sextant:hunter2@127.0.0.1:1/none"}, 1, "connect to postgres://sextant:xxxxx@127.0.0.1:1/none"},
		{"not a database", []string{"serve", "--db", "notadb.db"}, 1, "not a SQLite database"},
		{"missing directory", []string{"serve", "--db", "nope/x.db"}, 1, "directory nope does not exist"},
		{"port in use", []string{"serve", "--addr", busy.Addr().String()}, 1, "address already in use"},
		{"healthcheck of nothing", []string{"healthcheck", "--url", "http://127.0.0.1:1/healthz"}, 1, "connection refused"},
		{"copy without target", []string{"migrate", "copy", "--from", "a.db"}, 2, "migrate copy needs --from DSN and --to DSN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := run(t, dir, nil, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr: %s", code, tc.code, stderr)
			}
			lines := nonLogLines(stderr)
			if len(lines) != 1 || !strings.Contains(lines[0], tc.want) {
				t.Errorf("stderr error lines %q, want one line containing %q", lines, tc.want)
			}
			if strings.Contains(stderr, "goroutine ") || strings.Contains(stderr, "panic") {
				t.Errorf("stack trace in stderr: %s", stderr)
			}
			if strings.Contains(stderr, "hunter2") {
				t.Errorf("password leaked: %s", stderr)
			}
		})
	}
}

// nonLogLines drops slog lines (the server may log before it fails).
func nonLogLines(s string) []string {
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if l != "" && !strings.HasPrefix(l, "time=") {
			out = append(out, l)
		}
	}
	return out
}

func TestHelpAndVersion(t *testing.T) {
	dir := t.TempDir()
	out, _, code := run(t, dir, nil, "help")
	if code != 0 || !strings.Contains(out, "serve") || !strings.Contains(out, "migrate") {
		t.Errorf("help: exit %d, %q", code, out)
	}
	out, _, code = run(t, dir, nil, "serve", "-h")
	if code != 0 || !strings.Contains(out, "-addr") || !strings.Contains(out, "SEXTANT_DB") {
		t.Errorf("serve -h: exit %d, %q", code, out)
	}
	out, _, code = run(t, dir, nil, "version")
	if code != 0 || !regexp.MustCompile(`^sextant \S+ \(go1\.`).MatchString(out) {
		t.Errorf("version: exit %d, %q", code, out)
	}
	_, stderr, code := run(t, dir, nil)
	if code != 2 || !strings.Contains(stderr, "Usage: sextant <command>") {
		t.Errorf("no command: exit %d, %q", code, stderr)
	}
}

func TestMigrateAndStatus(t *testing.T) {
	dir := t.TempDir()
	out, _, code := run(t, dir, []string{"SEXTANT_DB=m.db"}, "migrate", "status")
	if code != 0 || !regexp.MustCompile(`(\d+) migrations, \d+ pending`).MatchString(out) || strings.Contains(out, " 0 pending") {
		t.Errorf("status before: exit %d, %q", code, out)
	}
	out, _, code = run(t, dir, []string{"SEXTANT_DB=m.db"}, "migrate")
	if code != 0 || !strings.Contains(out, "applied migrations [1 ") && !strings.Contains(out, "applied migrations [1]") {
		t.Errorf("migrate: exit %d, %q", code, out)
	}
	out, _, code = run(t, dir, nil, "migrate", "status", "--db", "m.db")
	if code != 0 || !strings.Contains(out, "0 pending") || !strings.Contains(out, "applied") {
		t.Errorf("status after: exit %d, %q", code, out)
	}
}

// serve on the default embedded database answers its probes and stops
// cleanly with exit 0 on SIGTERM and on SIGINT.
func TestServeAndGracefulStop(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			cmd := exec.Command(binary, "serve", "--addr", "127.0.0.1:0", "--log-format", "json")
			cmd.Dir = dir
			cmd.Env = append(cleanEnv(), "SEXTANT_GITHUB_TOKEN=ghp_neverlogged0123456789")
			stderr, _ := cmd.StderrPipe()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()
			var logs bytes.Buffer
			addr := waitForAddr(t, io.TeeReader(stderr, &logs))
			copied := make(chan struct{})
			go func() { io.Copy(&logs, stderr); close(copied) }()

			for _, probe := range []struct {
				path string
				want int
			}{{"/healthz", 200}, {"/readyz", 200}, {"/nope", 404}, {"/metrics", 200}} {
				path, want := probe.path, probe.want
				resp, err := http.Get("http://" + addr + path)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != want {
					t.Errorf("GET %s = %d, want %d: %s", path, resp.StatusCode, want, body)
				}
				if path == "/metrics" {
					for _, m := range []string{`sextant_http_requests_total{code="200",method="GET",route="GET /healthz"} 1`,
						"sextant_http_request_duration_seconds_bucket"} {
						if !strings.Contains(string(body), m) {
							t.Errorf("/metrics lacks %s", m)
						}
					}
				}
			}
			if out, stderr, code := run(t, dir, nil, "healthcheck", "--addr", addr); code != 0 || !strings.Contains(out, "ok: http://"+addr+"/healthz") {
				t.Errorf("healthcheck: exit %d, %q %q", code, out, stderr)
			}
			if _, err := os.Stat(filepath.Join(dir, "sextant.db")); err != nil {
				t.Errorf("default database file not created: %v", err)
			}
			cmd.Process.Signal(sig)
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("exit after %s: %v", sig, err)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("server did not stop")
			}
			<-copied
			if !strings.Contains(logs.String(), `"msg":"stopped"`) {
				t.Errorf("no clean stop in the log: %s", logs.String())
			}
			if strings.Contains(logs.String(), "ghp_neverlogged") {
				t.Error("token appeared in the log")
			}
		})
	}
}

func waitForAddr(t *testing.T, r io.Reader) string {
	t.Helper()
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(r)
		re := regexp.MustCompile(`"addr":"([^"]+)"`)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
				return
			}
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	select {
	case a := <-found:
		return a
	case <-ctx.Done():
		t.Fatal("server did not report its address")
		return ""
	}
}

// sextant migrate copy moves an embedded SQLite install to PostgreSQL.
func TestMigrateCopyToPostgres(t *testing.T) {
	base := os.Getenv("SEXTANT_TEST_POSTGRES")
	if base == "" {
		if os.Getenv("SEXTANT_TEST_POSTGRES_REQUIRED") == "1" {
			t.Fatal("SEXTANT_TEST_POSTGRES is empty")
		}
		t.Skip("PostgreSQL tests skipped: set SEXTANT_TEST_POSTGRES to a DSN")
	}
	dir := t.TempDir()
	if _, stderr, code := run(t, dir, nil, "migrate", "--db", "src.db"); code != 0 {
		t.Fatalf("migrate: %s", stderr)
	}
	dst := storetest.FreshSchema(t, base)
	out, stderr, code := run(t, dir, nil, "migrate", "copy", "--from", "src.db", "--to", dst)
	if code != 0 || !strings.Contains(out, "copied 0 rows from src.db (sqlite)") || !strings.Contains(out, "pull_requests") {
		t.Errorf("copy: exit %d, %q %q", code, out, stderr)
	}
	out, _, code = run(t, dir, nil, "migrate", "status", "--db", dst)
	if code != 0 || !strings.Contains(out, "0 pending") {
		t.Errorf("status of the copy: exit %d, %q", code, out)
	}
}
