package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/sextant-dev/sextant/internal/config"
	"github.com/sextant-dev/sextant/internal/github"
	"github.com/sextant-dev/sextant/internal/ingest"
	"github.com/sextant-dev/sextant/internal/store"
	ghsync "github.com/sextant-dev/sextant/internal/sync"
)

// errNoGitHubCredentials names the settings the GitHub API needs.
var errNoGitHubCredentials = errors.New("no GitHub credentials: set github.token (env SEXTANT_GITHUB_TOKEN or GITHUB_TOKEN), " +
	"or github.app_id with github.app_private_key_file and github.installation_id")

// hasGitHubCredentials reports whether cfg can authenticate to GitHub.
func hasGitHubCredentials(cfg config.GitHub) bool {
	return cfg.Token != "" || cfg.AppID != 0
}

// newGitHubClient returns the GitHub client the configuration asks for,
// keeping validators in db.
func newGitHubClient(cfg config.Config, db *store.DB, log *slog.Logger) (*github.Client, error) {
	if !hasGitHubCredentials(cfg.GitHub) {
		return nil, errNoGitHubCredentials
	}
	opts := github.ConfigOptions(cfg.GitHub)
	opts.Validators, opts.Logger = db, log
	return github.New(opts)
}

// syncOptions are the sync's options from the configuration.
func syncOptions(cfg config.Config, log *slog.Logger) ghsync.Options {
	return ghsync.Options{Orgs: cfg.GitHub.Orgs, Repos: cfg.GitHub.Repos, ReconcileDays: cfg.Sync.ReconcileDays,
		EventsWindow: cfg.Sync.EventsWindow, Log: log}
}

// checkOptions are the integrity check's options from the configuration;
// the projector of webhooks repairs deliveries never projected.
func checkOptions(cfg config.Config, db *store.DB, log *slog.Logger, hooks *ingest.Webhooks) (ghsync.CheckOptions, error) {
	o := ghsync.CheckOptions{RedeliveryWindow: cfg.Integrity.RedeliveryWindow, DeliveryLookback: cfg.Integrity.DeliveryLookback}
	for _, h := range cfg.Integrity.Hooks {
		ref, err := ghsync.ParseHook(h)
		if err != nil {
			return o, fmt.Errorf("integrity.hooks: %w", err)
		}
		o.Hooks = append(o.Hooks, ref)
	}
	if hooks == nil {
		hooks = ingest.NewWebhooks(db, log, ingest.WebhookOptions{})
	}
	o.Project = func(ctx context.Context) error {
		_, err := hooks.ProjectPending(ctx)
		return err
	}
	return o, nil
}

// targetFlags are --org and --repo, which narrow a sync or a check to
// some of what is configured (or name what is not).
type targetFlags struct {
	orgs, repos *string
}

func addTargetFlags(fs *flagSet, what string) *targetFlags {
	return &targetFlags{
		orgs:  fs.String("org", "", what+" this organization and its repositories (comma-separated for several; default: github.orgs)"),
		repos: fs.String("repo", "", what+" this repository, owner/name (comma-separated for several; default: github.repos)"),
	}
}

// apply puts the flags' targets in cfg, checking each.
func (t *targetFlags) apply(cfg *config.Config) error {
	split := func(s string) []string {
		var out []string
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
		return out
	}
	orgs, repos := split(*t.orgs), split(*t.repos)
	for _, o := range orgs {
		if strings.Contains(o, "/") {
			return usageError{fmt.Errorf("--org: %q is not an organization login (use --repo for owner/name)", o)}
		}
	}
	for _, r := range repos {
		owner, name, ok := strings.Cut(r, "/")
		if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
			return usageError{fmt.Errorf("--repo: %q is not owner/name", r)}
		}
	}
	if len(orgs) > 0 || len(repos) > 0 {
		cfg.GitHub.Orgs, cfg.GitHub.Repos = orgs, repos
	}
	if len(cfg.GitHub.Orgs) == 0 && len(cfg.GitHub.Repos) == 0 {
		return usageError{errors.New("nothing to do: set github.orgs or github.repos (env SEXTANT_GITHUB_ORGS, SEXTANT_GITHUB_REPOS), or give --org or --repo")}
	}
	return nil
}
