package cli

import (
	"bufio"
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sextant-dev/sextant/internal/github"
	"github.com/sextant-dev/sextant/internal/telemetry"
)

func TestDemoGitHub(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	var stderr strings.Builder
	env := Env{Stdin: strings.NewReader(""), Stdout: pw, Stderr: &stderr, Getenv: func(string) string { return "" }}
	code := make(chan int, 1)
	go func() {
		code <- Run(ctx, env, []string{"demo", "github", "--addr", "127.0.0.1:0", "--months", "1", "--seed", "2", "--enterprise"})
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	var out []string
	base := ""
	for base == "" && lines.Scan() {
		out = append(out, lines.Text())
		if u, ok := strings.CutPrefix(lines.Text(), "base URL: "); ok {
			base = u
		}
	}
	if !strings.HasSuffix(base, "/api/v3") || !strings.Contains(out[0], "organization acme-corp") {
		t.Fatalf("output %q (stderr %s)", out, stderr.String())
	}
	rest := make(chan []string, 1)
	go func() {
		var tail []string
		for lines.Scan() {
			tail = append(tail, lines.Text())
		}
		rest <- tail
	}()

	c, err := github.New(github.Options{BaseURL: base, Token: "demo"})
	if err != nil {
		t.Fatal(err)
	}
	repos, err := c.OrgRepos(ctx, "acme-corp", "")
	if err != nil || len(repos.Items) == 0 {
		t.Fatalf("repositories: %+v, %v", repos, err)
	}
	p, err := c.PullRequests(ctx, "acme-corp", repos.Items[0].Name, github.PullQuery{})
	if err != nil || len(p.Items) == 0 {
		t.Fatalf("pull requests: %d, %v", len(p.Items), err)
	}

	// The client's budget reaches /metrics under the token's label only.
	m := telemetry.New()
	m.RegisterGitHub(githubUsage(c.Budget()))
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	metrics := rec.Body.String()
	if !strings.Contains(metrics, `sextant_github_requests_total{resource="core",token="token"} 1`) ||
		!strings.Contains(metrics, `sextant_github_points_total{resource="graphql",token="token"} 1`) ||
		!strings.Contains(metrics, `sextant_github_rate_limit_remaining{resource="core",token="token"} 4999`) {
		t.Errorf("metrics:\n%s", grep(metrics, "sextant_github"))
	}

	cancel()
	select {
	case c := <-code:
		if c != ExitOK {
			t.Errorf("exit %d: %s", c, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("demo github did not stop on cancel")
	}
	if tail := <-rest; len(tail) == 0 || !strings.HasPrefix(tail[len(tail)-1], "served 2 requests: 1 REST points, 1 GraphQL points") {
		t.Errorf("closing line %q", tail)
	}
}

func grep(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestDemoGitHubBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"demo", "github", "--scale", "huge"}, `--scale: "huge" is not small, medium or large`},
		{[]string{"demo", "github", "--months", "0"}, "--months: 0 is not between 1 and 60"},
		{[]string{"demo", "github", "extra"}, `unexpected argument "extra"`},
		{[]string{"demo", "github", "--bogus"}, "flag provided but not defined"},
	} {
		var stderr strings.Builder
		env := Env{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: &stderr, Getenv: func(string) string { return "" }}
		if code := Run(context.Background(), env, tc.args); code != ExitUsage || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: exit %d, %q; want exit 2 mentioning %q", tc.args, code, stderr.String(), tc.want)
		}
	}
}
