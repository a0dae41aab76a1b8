package github_test

import (
	"bytes"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	gh "github.com/google/go-github/v89/github"

	"github.com/sextant-dev/sextant/internal/core"
	"github.com/sextant-dev/sextant/internal/github"
	"github.com/sextant-dev/sextant/internal/github/githubtest"
)

var start = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

type env struct {
	fake   *githubtest.Server
	srv    *httptest.Server
	clock  *github.ManualClock
	logs   *syncBuffer
	client *github.Client
}

// syncBuffer is a log sink tests read.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newEnv starts a fake GitHub on loopback and a client for it, sharing a
// manual clock: waits for rate limits and backoffs take no real time.
func newEnv(t testing.TB, fo githubtest.Options, co github.Options) *env {
	t.Helper()
	e := &env{clock: github.NewManualClock(start), logs: &syncBuffer{}}
	fo.Now = e.clock.Now
	fake, err := githubtest.New(fo)
	if err != nil {
		t.Fatal(err)
	}
	e.fake = fake
	e.srv = httptest.NewServer(fake)
	t.Cleanup(e.srv.Close)
	// A base URL that is only a path is taken on the fake's host.
	if co.BaseURL == "" || strings.HasPrefix(co.BaseURL, "/") {
		co.BaseURL = e.srv.URL + co.BaseURL
	}
	if co.Token == "" && co.App == nil {
		co.Token = "test-token"
	}
	co.Clock = e.clock
	co.Logger = slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, err := github.New(co)
	if err != nil {
		t.Fatal(err)
	}
	e.client = c
	return e
}

// repo adds a repository with n generated pull requests.
func (e *env) repo(name string, pulls int) *githubtest.Repo {
	var r *githubtest.Repo
	e.fake.Mutate(func(st *githubtest.State) {
		r = st.AddRepo("acme", name, start.AddDate(-1, 0, 0))
		st.AddPulls(r, pulls, e.clock.Now(), githubtest.PullSpec{MinReviews: 1, MaxReviews: 5, Seed: 7})
	})
	return r
}

type (
	coreTeam     = core.Team
	coreRepo     = core.Repository
	coreRelease  = core.Release
	coreStatus   = core.DeploymentStatus
	coreRun      = core.WorkflowRun
	coreJob      = core.WorkflowJob
	hookDelivery = *gh.HookDelivery
)
