package github_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sextant-dev/sextant/internal/config"
	"github.com/sextant-dev/sextant/internal/github"
	"github.com/sextant-dev/sextant/internal/github/githubtest"
)

func TestConfigOptions(t *testing.T) {
	cfg := config.Default().GitHub
	if _, err := github.New(github.ConfigOptions(cfg)); err == nil || !strings.Contains(err.Error(), "github.token") {
		t.Errorf("nothing configured: %v; want the missing settings named", err)
	}
	e := newEnv(t, githubtest.Options{}, github.Options{})
	cfg.BaseURL, cfg.Token, cfg.Concurrency = e.srv.URL, "configured-token", 2
	c, err := github.New(github.ConfigOptions(cfg))
	if err != nil {
		t.Fatal(err)
	}
	e.fake.Mutate(func(st *githubtest.State) { st.AddMember("acme", "ann", "member") })
	if p, err := c.OrgMembers(context.Background(), "acme", "member", ""); err != nil || len(p.Items) != 1 {
		t.Errorf("with the configured token: %+v, %v", p, err)
	}
	if e.fake.Remaining("configured-token", "core") != 4999 {
		t.Error("the request was not made with the configured token")
	}
	_, pemKey := appKey(t)
	cfg.AppID, cfg.InstallationID, cfg.AppPrivateKey = 5, 6, config.Secret(pemKey)
	c, err = github.New(github.ConfigOptions(cfg))
	if err != nil || c.Budget().Label() != "app:5" {
		t.Errorf("app configured: %v, label %q", err, c.Budget().Label())
	}
}
