package cli

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"
)

// runHealthcheck asks a running server's /healthz. Container images without
// a shell or curl use it as their HEALTHCHECK.
func runHealthcheck(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "healthcheck", "healthcheck [--url URL]")
	url := fs.String("url", "", "URL to check (default: /healthz on the configured addr)")
	cf := addConfigFlags(fs, "addr")
	if err := fs.parse(args); err != nil {
		return err
	}
	if *url == "" {
		cfg, err := cf.load(env)
		if err != nil {
			return err
		}
		host, port, _ := net.SplitHostPort(cfg.Addr)
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "127.0.0.1"
		}
		*url = "http://" + net.JoinHostPort(host, port) + "/healthz"
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
	if err != nil {
		return usageError{fmt.Errorf("--url: %w", err)}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %w", *url, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", *url, resp.Status)
	}
	fmt.Fprintf(env.Stdout, "ok: %s\n", *url)
	return nil
}
