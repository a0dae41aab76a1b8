package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/sextant-dev/sextant/internal/demo"
	"github.com/sextant-dev/sextant/internal/github"
	"github.com/sextant-dev/sextant/internal/github/githubtest"
	"github.com/sextant-dev/sextant/internal/telemetry"
)

// runDemoGitHub serves a generated organization from the fake GitHub until
// interrupted, so sync can be tried without a GitHub account.
func runDemoGitHub(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "demo github", "demo github [--addr HOST:PORT] [--seed N] [--scale small|medium|large] [--months M] [--end DATE] [--org LOGIN] [--enterprise]")
	addr := fs.String("addr", "127.0.0.1:9090", "listen address of the fake GitHub")
	df := addDemoFlags(fs)
	org := fs.String("org", demo.DefaultOrg, "organization login")
	enterprise := fs.Bool("enterprise", false, "serve GitHub Enterprise Server's paths (/api/v3 and /api/graphql)")
	restLimit := fs.Int("rest-limit", 5000, "REST requests per token per hour")
	graphqlLimit := fs.Int("graphql-limit", 5000, "GraphQL points per token per hour")
	if err := fs.parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	opts, err := df.options(time.Now())
	if err != nil {
		return err
	}
	opts.Org = *org
	if *restLimit < 1 || *graphqlLimit < 1 {
		return usageError{errors.New("--rest-limit and --graphql-limit must be positive")}
	}
	fake, err := githubtest.New(githubtest.Options{Enterprise: *enterprise, RESTLimit: *restLimit, GraphQLLimit: *graphqlLimit})
	if err != nil {
		return err
	}
	sum, err := fake.Load(opts)
	if err != nil {
		return fmt.Errorf("generate the demo organization: %w", err)
	}
	l, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	base := "http://" + l.Addr().String()
	if *enterprise {
		base += "/api/v3"
	}
	fmt.Fprintf(env.Stdout, "fake GitHub: organization %s, %d repositories, %d pull requests, %d issues\n",
		*org, len(sum.Roster.Repos), sum.PullRequests, sum.Issues)
	fmt.Fprintf(env.Stdout, "base URL: %s\n", base)
	fmt.Fprintf(env.Stdout, "try: SEXTANT_GITHUB_BASE_URL=%s SEXTANT_GITHUB_TOKEN=demo SEXTANT_GITHUB_ORGS=%s sextant sync\n", base, *org)
	srv := &http.Server{Handler: fake, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	select {
	case err := <-done:
		return fmt.Errorf("serve the fake GitHub: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("stop the fake GitHub: %w", err)
	}
	st := fake.Stats()
	fmt.Fprintf(env.Stdout, "served %d requests: %d REST points, %d GraphQL points, %d not modified\n", st.Requests, st.RESTPoints, st.GraphQLPoints, st.NotModified)
	return nil
}

// githubUsage adapts the GitHub clients' budgets to /metrics: wire it with
// metrics.RegisterGitHub(githubUsage(client.Budget())) where serve builds
// its GitHub client.
func githubUsage(budgets ...*github.Budget) func() []telemetry.GitHubUsage {
	return func() []telemetry.GitHubUsage {
		var out []telemetry.GitHubUsage
		for _, b := range budgets {
			for _, u := range b.Usage() {
				out = append(out, telemetry.GitHubUsage{
					Token: u.Token, Resource: u.Resource, Requests: u.Requests, NotModified: u.NotModified,
					Points: u.Points, Retries: u.Retries, Waits: u.Waits, WaitSeconds: u.WaitSeconds,
					Known: !u.Budget.Observed.IsZero(), Limit: int64(u.Budget.Limit),
					Remaining: int64(u.Budget.Remaining), Reset: u.Budget.Reset,
				})
			}
		}
		return out
	}
}
