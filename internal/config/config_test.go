package config

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDefaultsAreValid(t *testing.T) {
	cfg, err := Load(Source{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "127.0.0.1:8080" || cfg.DB != "./sextant.db" {
		t.Errorf("defaults = %s, %s", cfg.Addr, cfg.DB)
	}
}

// File < environment < flags.
func TestPrecedence(t *testing.T) {
	file := writeFile(t, "c.yml", "addr: 127.0.0.1:1001\ndb: file.db\nlog:\n  level: warn\ngithub:\n  orgs: [acme, globex]\n  repos:\n    - acme/api\njobs:\n  lease: 2m\n")
	cfg, err := Load(Source{
		File:  file,
		Env:   envOf(map[string]string{"SEXTANT_ADDR": "127.0.0.1:1002", "SEXTANT_DB": "env.db", "SEXTANT_GITHUB_ORGS": "initech, umbrella"}),
		Flags: map[string]string{"addr": "127.0.0.1:1003"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "127.0.0.1:1003" {
		t.Errorf("addr = %s, want the flag's", cfg.Addr)
	}
	if cfg.DB != "env.db" {
		t.Errorf("db = %s, want the environment's", cfg.DB)
	}
	if cfg.Log.Level != "warn" || cfg.Jobs.Lease != 2*time.Minute {
		t.Errorf("file values lost: level %s lease %s", cfg.Log.Level, cfg.Jobs.Lease)
	}
	if fmt.Sprint(cfg.GitHub.Orgs) != "[initech umbrella]" || fmt.Sprint(cfg.GitHub.Repos) != "[acme/api]" {
		t.Errorf("orgs %v repos %v", cfg.GitHub.Orgs, cfg.GitHub.Repos)
	}
}

func TestEveryProblemNamedByKey(t *testing.T) {
	file := writeFile(t, "c.yml", "adr: x\ngithub:\n  tokenn: y\n  app_id: 5\nlog:\n  format: xml\njobs:\n  workers: many\n")
	_, err := Load(Source{File: file, Env: envOf(map[string]string{"SEXTANT_JOBS_LEASE": "forever"})})
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("err = %v, want Problems", err)
	}
	got := map[string]bool{}
	for _, p := range ps {
		got[p.Key] = true
	}
	for _, key := range []string{"adr", "github.tokenn", "log.format", "jobs.workers", "SEXTANT_JOBS_LEASE",
		"github.app_private_key", "github.installation_id"} {
		if !got[key] {
			t.Errorf("no problem reported for %s; got %v", key, ps)
		}
	}
}

func TestUnreadableFile(t *testing.T) {
	_, err := Load(Source{File: filepath.Join(t.TempDir(), "missing.yml")})
	if err == nil || !strings.Contains(err.Error(), "missing.yml") {
		t.Errorf("err = %v, want it to name the file", err)
	}
	bad := writeFile(t, "bad.yml", "addr: [unclosed\n")
	if _, err := Load(Source{File: bad}); err == nil || !strings.Contains(err.Error(), "not valid YAML") {
		t.Errorf("err = %v, want a YAML error", err)
	}
}

func TestSecretsFromFilesAndNeverPrinted(t *testing.T) {
	const token, hook1, hook2 = "ghp_supersecrettoken123", "hook-secret-one", "hook-secret-two"
	tokenFile := writeFile(t, "token", token+"\n")
	yml := writeFile(t, "c.yml", "github:\n  webhook_secret_file: "+writeFile(t, "hooks", hook1+","+hook2)+"\n")
	cfg, err := Load(Source{File: yml, Env: envOf(map[string]string{"SEXTANT_GITHUB_TOKEN_FILE": tokenFile})})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.GitHub.Token.Reveal() != token {
		t.Errorf("token from file = %q", cfg.GitHub.Token.Reveal())
	}
	if got := cfg.GitHub.WebhookSecret.Reveal(); len(got) != 2 || got[0] != hook1 || got[1] != hook2 {
		t.Errorf("webhook secrets = %v", got)
	}
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	log.Info("config", "cfg", cfg, "token", cfg.GitHub.Token)
	fmt.Fprintf(&buf, "%v %+v %#v %s", cfg, cfg, cfg, cfg.GitHub.WebhookSecret)
	for _, s := range []string{token, hook1, hook2} {
		if strings.Contains(buf.String(), s) {
			t.Errorf("secret %q printed: %s", s, buf.String())
		}
	}
	// A bad secret value is reported without repeating it.
	_, err = Load(Source{Env: envOf(map[string]string{"SEXTANT_API_TOKENS": "ci|events:write|short"})})
	if err == nil || strings.Contains(err.Error(), "short") && !strings.Contains(err.Error(), "shorter") {
		t.Errorf("err = %v", err)
	}
	_, err = Load(Source{Env: envOf(map[string]string{"SEXTANT_GITHUB_TOKEN_FILE": "/nonexistent/token"})})
	if err == nil || !strings.Contains(err.Error(), "SEXTANT_GITHUB_TOKEN_FILE") {
		t.Errorf("err = %v, want it to name SEXTANT_GITHUB_TOKEN_FILE", err)
	}
}

func TestGitHubTokenAlias(t *testing.T) {
	cfg, err := Load(Source{Env: envOf(map[string]string{"GITHUB_TOKEN": "from-alias"})})
	if err != nil || cfg.GitHub.Token.Reveal() != "from-alias" {
		t.Errorf("token = %q, %v", cfg.GitHub.Token.Reveal(), err)
	}
	cfg, _ = Load(Source{Env: envOf(map[string]string{"GITHUB_TOKEN": "from-alias", "SEXTANT_GITHUB_TOKEN": "own"})})
	if cfg.GitHub.Token.Reveal() != "own" {
		t.Errorf("SEXTANT_GITHUB_TOKEN should win over GITHUB_TOKEN, got %q", cfg.GitHub.Token.Reveal())
	}
}

func TestEnvNamesFollowKeys(t *testing.T) {
	for _, f := range Fields() {
		if f.Env != "SEXTANT_"+strings.ToUpper(strings.ReplaceAll(f.Key, ".", "_")) {
			t.Errorf("%s: env %s", f.Key, f.Env)
		}
		if f.Help == "" {
			t.Errorf("%s has no help text", f.Key)
		}
	}
}

func TestGitHubConcurrency(t *testing.T) {
	for _, n := range []int{0, 9} {
		c := Default()
		c.GitHub.Concurrency = n
		ps := c.Validate()
		if len(ps) != 1 || ps[0].Key != "github.concurrency" || !strings.Contains(ps[0].Message, fmt.Sprintf("got %d", n)) {
			t.Errorf("concurrency %d: %v", n, ps)
		}
	}
	cfg, err := Load(Source{Env: envOf(map[string]string{"SEXTANT_GITHUB_CONCURRENCY": "2"})})
	if err != nil || cfg.GitHub.Concurrency != 2 {
		t.Errorf("from the environment: %d, %v", cfg.GitHub.Concurrency, err)
	}
}
