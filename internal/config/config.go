// Package config loads Sextant's configuration from a YAML file, then
// SEXTANT_* environment variables, then command-line flags, each overriding
// the one before, and validates it.
package config

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Config is the whole configuration. The yaml tag of each field is its key;
// nested structs make dotted key paths (github.token).
type Config struct {
	Addr    string  `yaml:"addr" help:"listen address of the HTTP server"`
	DB      string  `yaml:"db" help:"database: a SQLite path (or sqlite://path) or a postgres:// URL"`
	Log     Log     `yaml:"log"`
	HTTP    HTTP    `yaml:"http"`
	Jobs    Jobs    `yaml:"jobs"`
	GitHub  GitHub  `yaml:"github"`
	API     API     `yaml:"api"`
	Metrics Metrics `yaml:"metrics"`
	// Sync and Integrity: issues 6 and 7.
	Sync      Sync      `yaml:"sync"`
	Integrity Integrity `yaml:"integrity"`
}

// Log configures log/slog output.
type Log struct {
	Format string `yaml:"format" help:"log format: text or json"`
	Level  string `yaml:"level" help:"minimum level: debug, info, warn or error"`
	// Levels override Level per component.
	Levels []string `yaml:"levels" help:"minimum level per component, each COMPONENT=LEVEL (components: http, webhooks, ci, jobs, metrics, sync, github, events)"`
}

// LogComponents are the components whose log level can be set alone.
func LogComponents() []string {
	return []string{"http", "webhooks", "ci", "jobs", "metrics", "sync", "github", "events"}
}

// ComponentLevels parses log.levels: component → level.
func ComponentLevels(entries []string) (map[string]slog.Level, error) {
	out := map[string]slog.Level{}
	for i, e := range entries {
		c, l, ok := strings.Cut(e, "=")
		c = strings.TrimSpace(c)
		if !ok || !slices.Contains(LogComponents(), c) {
			return nil, fmt.Errorf("entry %d %q: want COMPONENT=LEVEL with a component among %s", i+1, e, strings.Join(LogComponents(), ", "))
		}
		level, err := ParseLevel(strings.TrimSpace(l))
		if err != nil {
			return nil, fmt.Errorf("entry %d %q: %v", i+1, e, err)
		}
		out[c] = level
	}
	return out, nil
}

// HTTP tunes the HTTP server.
type HTTP struct {
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout" help:"how long to wait for in-flight requests and jobs on SIGINT/SIGTERM"`
	ReadTimeout     time.Duration `yaml:"read_timeout" help:"maximum time to read a request, body included"`
}

// Jobs tunes the durable job queue's workers.
type Jobs struct {
	Workers      int           `yaml:"workers" help:"number of job workers in this process (0 disables the workers)"`
	Lease        time.Duration `yaml:"lease" help:"how long a claimed job is leased before another worker may take it back"`
	PollInterval time.Duration `yaml:"poll_interval" help:"how often idle workers look for due jobs and schedules"`
	MaxAttempts  int           `yaml:"max_attempts" help:"attempts before a job is marked failed"`
}

// GitHub holds GitHub credentials and what to sync.
type GitHub struct {
	Token          Secret   `yaml:"token" secret:"true" env:"GITHUB_TOKEN" help:"personal access token (GITHUB_TOKEN is also read)"`
	AppID          int64    `yaml:"app_id" help:"GitHub App id, for App authentication"`
	AppPrivateKey  Secret   `yaml:"app_private_key" secret:"true" help:"the GitHub App's PEM private key, usually given as a file with app_private_key_file"`
	InstallationID int64    `yaml:"installation_id" help:"GitHub App installation id"`
	BaseURL        string   `yaml:"base_url" help:"GitHub API root; GitHub Enterprise Server: https://HOST/api/v3"`
	WebhookSecret  Secrets  `yaml:"webhook_secret" secret:"true" help:"webhook secret, or several separated by commas while rotating"`
	Orgs           []string `yaml:"orgs" help:"organizations to sync (comma-separated in the environment)"`
	Repos          []string `yaml:"repos" help:"repositories to sync, as owner/name (comma-separated in the environment)"`
	Concurrency    int      `yaml:"concurrency" help:"GitHub API requests in flight at once per token (GitHub asks for serial requests: 1)"`
}

// API configures the JSON API's authentication.
type API struct {
	Tokens        Secrets `yaml:"tokens" secret:"true" help:"API tokens given in configuration, each NAME|SCOPES|TOKEN with scopes separated by + (for example ci|events:write+events:read|s3cr3t...)"`
	AnonymousRead string  `yaml:"anonymous_read" help:"allow reads without a token: auto (only when listening on loopback), true or false"`
}

// Metrics configures the scheduled metric computations and the
// definitions of the metrics (docs/METRICS.md); metrics.go validates them.
type Metrics struct {
	DeployFreq                 DeployFreq    `yaml:"deployment_frequency"`
	RefreshSchedule            string        `yaml:"refresh_schedule" help:"how often the derived metric tables are brought up to date with what changed: an interval such as 5m or a daily UTC time"`
	RebuildSchedule            string        `yaml:"rebuild_schedule" help:"when the derived metric tables are rebuilt from scratch, a safety net for missed changes: a daily UTC time such as 03:00 or an interval"`
	GaugeInterval              time.Duration `yaml:"gauge_interval" help:"how often each server recomputes the DORA gauges of /metrics (the last 30 days per repository), so a scrape never runs a query"`
	ProductionEnvironments     []string      `yaml:"production_environments" help:"deployment environments that are production, matched ignoring case"`
	RepoProductionEnvironments []string      `yaml:"repo_production_environments" help:"per-repository production environments replacing production_environments for that repository, each owner/name=env+env"`
	DeployWorkflows            []string      `yaml:"deploy_workflows" help:"GitHub Actions workflow names whose runs are deployments, each PATTERN or PATTERN=ENVIRONMENT (glob, ignoring case; environment production when not given)"`
	DedupWindow                time.Duration `yaml:"dedup_window" help:"deployments of the same repository, sha and environment reported by different sources within this time of each other are one deployment"`
	IncidentLabels             []string      `yaml:"incident_labels" help:"GitHub issues with any of these labels are incidents"`
	IncidentWindow             time.Duration `yaml:"incident_window" help:"an incident that names no deployment is blamed on the latest production deployment that finished at most this long before it opened"`
	ReworkLabels               []string      `yaml:"rework_labels" help:"pull-request labels that make the deployment shipping them an unplanned fix (rework)"`
	Bots                       []string      `yaml:"bots" help:"logins counted as bots besides GitHub's Bot accounts and [bot] logins"`
	AffiliationsFile           string        `yaml:"affiliations_file" help:"YAML or CSV file mapping logins and email domains to companies over date ranges"`
	Levels                     Levels        `yaml:"levels"`
	Leaderboard                Leaderboard   `yaml:"leaderboard"`
}

// DeployFreq configures the deployment-frequency job.
type DeployFreq struct {
	Schedule   string `yaml:"schedule" help:"when deployment frequency is computed: an interval such as 6h or a daily UTC time such as 00:05"`
	WindowDays int    `yaml:"window_days" help:"days of deployments each deployment-frequency value covers"`
}

// Sync configures the GitHub API sync that sextant serve schedules.
type Sync struct {
	Schedule          string        `yaml:"schedule" help:"when pull requests, issues, deployments, workflow runs and releases are synced: an interval such as 30m or a daily UTC time such as 05:00"`
	EventsSchedule    string        `yaml:"events_schedule" help:"when recently updated issues and their timelines are synced"`
	ReconcileSchedule string        `yaml:"reconcile_schedule" help:"when members and teams are synced and what incremental syncs can miss is read again (open and closed unmerged pull requests, open issues, every deployment)"`
	ReconcileDays     int           `yaml:"reconcile_days" help:"how many days back the reconciliation reads closed unmerged pull requests again"`
	EventsWindow      time.Duration `yaml:"events_window" help:"issues updated this recently have their timelines polled on every sync (free when unchanged)"`
}

// Integrity configures the integrity check that compares the store with
// GitHub.
type Integrity struct {
	Schedule         string        `yaml:"schedule" help:"when the integrity check runs: an interval such as 1h or a daily UTC time such as 06:00"`
	Hooks            []string      `yaml:"hooks" help:"webhooks whose recent deliveries the check compares with the store: org:LOGIN:HOOK_ID, repo:OWNER/NAME:HOOK_ID or app (comma-separated in the environment)"`
	RedeliveryWindow time.Duration `yaml:"redelivery_window" help:"how old a missed delivery may be for GitHub to redeliver it; older ones are repaired by a targeted sync"`
	DeliveryLookback time.Duration `yaml:"delivery_lookback" help:"how far back the first check lists a hook's deliveries (later checks go on from the last one)"`
}

// Default returns the configuration used when nothing is set.
func Default() Config {
	return Config{
		Addr: "127.0.0.1:8080",
		DB:   "./sextant.db",
		Log:  Log{Format: "text", Level: "info"},
		HTTP: HTTP{ShutdownTimeout: 30 * time.Second, ReadTimeout: 30 * time.Second},
		Jobs: Jobs{Workers: 4, Lease: 5 * time.Minute, PollInterval: time.Second, MaxAttempts: 8},
		GitHub: GitHub{
			BaseURL:     "https://api.github.com",
			Concurrency: 1,
		},
		API:     API{AnonymousRead: "auto"},
		Metrics: defaultMetrics(),
		Sync: Sync{Schedule: "30m", EventsSchedule: "10m", ReconcileSchedule: "05:00", ReconcileDays: 365,
			EventsWindow: 24 * time.Hour},
		Integrity: Integrity{Schedule: "1h", RedeliveryWindow: 72 * time.Hour, DeliveryLookback: 7 * 24 * time.Hour},
	}
}

// Problem is one thing wrong with a configuration, named by its key.
type Problem struct {
	Key     string
	Message string
}

func (p Problem) String() string { return p.Key + ": " + p.Message }

// Problems is every problem found; it is an error when not empty.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return "invalid configuration: " + strings.Join(lines, "; ")
}

var repoName = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)

// Validate reports every problem of c, each with the key it concerns.
func (c *Config) Validate() Problems {
	var ps Problems
	add := func(key, format string, args ...any) {
		ps = append(ps, Problem{Key: key, Message: fmt.Sprintf(format, args...)})
	}
	if _, port, err := net.SplitHostPort(c.Addr); err != nil || port == "" {
		add("addr", "%q is not a host:port listen address", c.Addr)
	}
	if c.DB == "" {
		add("db", "must not be empty")
	} else if u, err := url.Parse(c.DB); err == nil && u.Scheme != "" && len(u.Scheme) > 1 &&
		u.Scheme != "sqlite" && u.Scheme != "postgres" && u.Scheme != "postgresql" && u.Scheme != "file" {
		add("db", "unsupported scheme %q: use a SQLite path, sqlite://path or postgres://…", u.Scheme)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		add("log.format", "%q is not text or json", c.Log.Format)
	}
	if _, err := ParseLevel(c.Log.Level); err != nil {
		add("log.level", "%v", err)
	}
	if _, err := ComponentLevels(c.Log.Levels); err != nil {
		add("log.levels", "%v", err)
	}
	if c.HTTP.ShutdownTimeout <= 0 {
		add("http.shutdown_timeout", "must be positive")
	}
	if c.HTTP.ReadTimeout <= 0 {
		add("http.read_timeout", "must be positive")
	}
	if c.Jobs.Workers < 0 || c.Jobs.Workers > 256 {
		add("jobs.workers", "must be between 0 and 256, got %d", c.Jobs.Workers)
	}
	if c.Jobs.Lease < time.Second {
		add("jobs.lease", "must be at least 1s, got %s", c.Jobs.Lease)
	}
	if c.Jobs.PollInterval <= 0 {
		add("jobs.poll_interval", "must be positive")
	}
	if c.Jobs.MaxAttempts < 1 {
		add("jobs.max_attempts", "must be at least 1, got %d", c.Jobs.MaxAttempts)
	}
	if u, err := url.Parse(c.GitHub.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		add("github.base_url", "%q is not an http(s) URL", c.GitHub.BaseURL)
	}
	if c.GitHub.AppID != 0 {
		if c.GitHub.AppPrivateKey == "" {
			add("github.app_private_key", "required when github.app_id is set (give it as a file with github.app_private_key_file)")
		}
		if c.GitHub.InstallationID == 0 {
			add("github.installation_id", "required when github.app_id is set")
		}
	}
	if n := c.GitHub.Concurrency; n < 1 || n > 8 {
		add("github.concurrency", "must be between 1 and 8, got %d", n)
	}
	if c.GitHub.AppID < 0 {
		add("github.app_id", "must be positive")
	}
	for _, s := range c.GitHub.WebhookSecret {
		if strings.TrimSpace(string(s)) == "" {
			add("github.webhook_secret", "contains an empty secret")
		}
	}
	for _, o := range c.GitHub.Orgs {
		if o == "" || strings.Contains(o, "/") {
			add("github.orgs", "%q is not an organization login", o)
		}
	}
	for _, r := range c.GitHub.Repos {
		if !repoName.MatchString(r) {
			add("github.repos", "%q is not owner/name", r)
		}
	}
	for i, t := range c.API.Tokens {
		if _, err := ParseTokenSpec(string(t)); err != nil {
			add("api.tokens", "entry %d: %v", i+1, err)
		}
	}
	if !validSchedule(c.Metrics.DeployFreq.Schedule) {
		add("metrics.deployment_frequency.schedule", "%q is neither an interval of at least 1s such as 6h nor a daily UTC time such as 00:05", c.Metrics.DeployFreq.Schedule)
	}
	if w := c.Metrics.DeployFreq.WindowDays; w < 1 || w > 366 {
		add("metrics.deployment_frequency.window_days", "must be between 1 and 366, got %d", w)
	}
	ps = append(ps, c.Metrics.problems()...)
	for _, sc := range []struct{ key, value string }{{"sync.schedule", c.Sync.Schedule},
		{"sync.events_schedule", c.Sync.EventsSchedule}, {"sync.reconcile_schedule", c.Sync.ReconcileSchedule},
		{"integrity.schedule", c.Integrity.Schedule}} {
		if !validSchedule(sc.value) {
			add(sc.key, "%q is neither an interval of at least 1s such as 30m nor a daily UTC time such as 05:00", sc.value)
		}
	}
	if d := c.Sync.ReconcileDays; d < 1 || d > 3650 {
		add("sync.reconcile_days", "must be between 1 and 3650, got %d", d)
	}
	if c.Sync.EventsWindow < time.Minute {
		add("sync.events_window", "must be at least 1m, got %s", c.Sync.EventsWindow)
	}
	for _, h := range c.Integrity.Hooks {
		if err := ValidHook(h); err != nil {
			add("integrity.hooks", "%v", err)
		}
	}
	if w := c.Integrity.RedeliveryWindow; w < 0 || w > 30*24*time.Hour {
		add("integrity.redelivery_window", "must be between 0 and 720h, got %s", w)
	}
	if c.Integrity.DeliveryLookback < time.Minute {
		add("integrity.delivery_lookback", "must be at least 1m, got %s", c.Integrity.DeliveryLookback)
	}
	switch c.API.AnonymousRead {
	case "auto", "true", "false":
	default:
		add("api.anonymous_read", "%q is not auto, true or false", c.API.AnonymousRead)
	}
	return ps
}

// ParseLevel turns a level name into a slog.Level.
func ParseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("%q is not debug, info, warn or error", s)
	}
	return l, nil
}

// TokenSpec is an API token given in configuration.
type TokenSpec struct {
	Name   string
	Scopes []string
	Token  Secret
}

// ParseTokenSpec parses NAME|SCOPE+SCOPE|TOKEN. Errors never include the token.
func ParseTokenSpec(s string) (TokenSpec, error) {
	parts := strings.SplitN(s, "|", 3)
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" {
		return TokenSpec{}, fmt.Errorf("want NAME|SCOPES|TOKEN")
	}
	if len(parts[2]) < 16 {
		return TokenSpec{}, fmt.Errorf("token %q is shorter than 16 characters", parts[0])
	}
	return TokenSpec{Name: parts[0], Scopes: strings.Split(parts[1], "+"), Token: Secret(parts[2])}, nil
}

var hookOwner = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// ValidHook checks a webhook reference of integrity.hooks:
// org:LOGIN:HOOK_ID, repo:OWNER/NAME:HOOK_ID or app.
func ValidHook(s string) error {
	if s == "app" {
		return nil
	}
	kind, rest, _ := strings.Cut(s, ":")
	owner, id, ok := strings.Cut(rest, ":")
	valid := ok && id != "" && strings.Trim(id, "0123456789") == "" && strings.TrimLeft(id, "0") != ""
	switch {
	case kind == "org" && valid && hookOwner.MatchString(owner):
		return nil
	case kind == "repo" && valid && repoName.MatchString(owner):
		return nil
	}
	return fmt.Errorf("%q is not org:LOGIN:HOOK_ID, repo:OWNER/NAME:HOOK_ID or app", s)
}

// validSchedule accepts what jobs.ParseSpec does: "15:04" or a duration of
// at least a second. (config stays free of the jobs package.)
func validSchedule(s string) bool {
	if _, err := time.Parse("15:04", s); err == nil {
		return true
	}
	d, err := time.ParseDuration(s)
	return err == nil && d >= time.Second
}
