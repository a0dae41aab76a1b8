package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sextant-dev/sextant/internal/demo"
	ghmap "github.com/sextant-dev/sextant/internal/github"
)

// runDemoWebhooks is `sextant demo webhooks`: the demo organization sent to
// a running server the way GitHub and pipelines would send it, as signed
// webhook deliveries and authenticated CI events, in time order.
func runDemoWebhooks(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "demo webhooks", "demo webhooks --url URL --secret S --token T [--rate N] [--concurrency C] [--seed N] [--scale S] [--months M] [--end DATE]")
	server := fs.String("url", "", "the Sextant server, such as http://127.0.0.1:8080 (env SEXTANT_URL)")
	secret := fs.String("secret", "", "the server's webhook secret (env SEXTANT_GITHUB_WEBHOOK_SECRET)")
	token := fs.String("token", "", "an API token with the events:write scope, for the CI events (env SEXTANT_TOKEN)")
	rate := fs.Float64("rate", 0, "webhook deliveries and CI events per second; 0 sends as fast as the server answers")
	concurrency := fs.Int("concurrency", 8, "deliveries in flight at once")
	df := addDemoFlags(fs)
	if err := fs.parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	for _, f := range []struct {
		v   *string
		env string
	}{{server, "SEXTANT_URL"}, {secret, "SEXTANT_GITHUB_WEBHOOK_SECRET"}, {token, "SEXTANT_TOKEN"}} {
		if *f.v == "" {
			*f.v = env.Getenv(f.env)
		}
	}
	var missing []string
	for _, f := range []struct{ name, v string }{{"--url", *server}, {"--secret", *secret}, {"--token", *token}} {
		if f.v == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return usageError{fmt.Errorf("demo webhooks needs %s", strings.Join(missing, ", "))}
	}
	if !strings.HasPrefix(*server, "http://") && !strings.HasPrefix(*server, "https://") {
		return usageError{fmt.Errorf("--url: %q is not an http(s) URL", *server)}
	}
	if *rate < 0 {
		return usageError{fmt.Errorf("--rate: %v is negative", *rate)}
	}
	if *concurrency < 1 || *concurrency > 256 {
		return usageError{fmt.Errorf("--concurrency: %d is not between 1 and 256", *concurrency)}
	}
	opts, err := df.options(time.Now())
	if err != nil {
		return err
	}
	// A shared secret with commas is a rotation list on the server side;
	// GitHub signs with one secret, the first.
	signWith, _, _ := strings.Cut(*secret, ",")
	s := &demoSender{
		base:   strings.TrimRight(*server, "/"),
		secret: signWith,
		token:  *token,
		client: &http.Client{
			Timeout:   30 * time.Second,
			Transport: &http.Transport{MaxIdleConnsPerHost: *concurrency, IdleConnTimeout: 30 * time.Second},
		},
		progress: env.Stderr,
	}
	start := time.Now()
	if err := s.send(ctx, opts, *concurrency, *rate); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "sent %d webhook deliveries (%d accepted, %d duplicate) and %d CI events to %s in %s\n",
		s.accepted.Load()+s.duplicates.Load(), s.accepted.Load(), s.duplicates.Load(), s.ciEvents.Load(), s.base,
		time.Since(start).Round(100*time.Millisecond))
	return nil
}

// demoSender posts a generated stream to a server.
type demoSender struct {
	base, secret, token string
	client              *http.Client
	progress            io.Writer

	accepted, duplicates, ciEvents atomic.Int64
}

// send streams the organization: deliveries go out concurrently, and
// before each CI event every earlier delivery has been answered, so the
// server sees a CI event after what preceded it, as it would in life.
func (s *demoSender) send(ctx context.Context, opts demo.Options, concurrency int, rate float64) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan *demo.Delivery)
	var (
		inflight sync.WaitGroup
		workers  sync.WaitGroup
		errOnce  sync.Once
		firstErr error
	)
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err; cancel() })
	}
	for range concurrency {
		workers.Go(func() {
			for d := range work {
				if err := s.delivery(ctx, d); err != nil {
					fail(err)
				}
				inflight.Done()
			}
		})
	}
	start, n := time.Now(), 0
	lastProgress := start
	_, err := demo.Stream(opts, func(it *demo.Item) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		n++
		if rate > 0 {
			due := start.Add(time.Duration(float64(n) / rate * float64(time.Second)))
			if err := sleepCtx(ctx, time.Until(due)); err != nil {
				return err
			}
		}
		if time.Since(lastProgress) > 2*time.Second {
			lastProgress = time.Now()
			fmt.Fprintf(s.progress, "  %d deliveries and %d CI events sent, up to %s\n",
				s.accepted.Load()+s.duplicates.Load(), s.ciEvents.Load(), it.Time.Format(time.DateOnly))
		}
		if it.Delivery != nil {
			inflight.Add(1)
			select {
			case work <- it.Delivery:
				return nil
			case <-ctx.Done():
				inflight.Done()
				return ctx.Err()
			}
		}
		inflight.Wait()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return s.ciEvent(ctx, it.CI)
	})
	close(work)
	workers.Wait()
	if firstErr != nil {
		return firstErr
	}
	return err
}

// delivery posts one signed webhook delivery, retrying what GitHub would
// redeliver (network errors and 5xx).
func (s *demoSender) delivery(ctx context.Context, d *demo.Delivery) error {
	body, err := d.Body()
	if err != nil {
		return fmt.Errorf("delivery %s: %w", d.GUID, err)
	}
	status, answer, err := s.post(ctx, "/webhooks/github", body, func(h http.Header) {
		h.Set("X-GitHub-Event", d.Event)
		h.Set("X-GitHub-Delivery", d.GUID)
		h.Set("X-Hub-Signature-256", ghmap.Sign(s.secret, body))
		h.Set("User-Agent", "GitHub-Hookshot/sextant-demo")
	})
	if err != nil {
		return fmt.Errorf("delivery %s (%s): %w", d.GUID, d.Event, err)
	}
	switch status {
	case http.StatusAccepted:
		s.accepted.Add(1)
	case http.StatusOK:
		s.duplicates.Add(1)
	default:
		return fmt.Errorf("delivery %s (%s): server answered %d: %s", d.GUID, d.Event, status, serverReason(answer))
	}
	return nil
}

// ciEvent posts one CI event with the API token.
func (s *demoSender) ciEvent(ctx context.Context, e *demo.CIEvent) error {
	body, err := json.Marshal(e)
	if err != nil {
		return err
	}
	status, answer, err := s.post(ctx, "/api/v1/events", body, func(h http.Header) {
		h.Set("Authorization", "Bearer "+s.token)
	})
	if err != nil {
		return fmt.Errorf("CI event %s %s: %w", e.Event, e.ID, err)
	}
	if status != http.StatusCreated && status != http.StatusOK {
		return fmt.Errorf("CI event %s %s: server answered %d: %s", e.Event, e.ID, status, serverReason(answer))
	}
	s.ciEvents.Add(1)
	return nil
}

// post sends body as JSON, retrying network errors and 5xx answers with
// exponential backoff for up to a minute; other answers are returned.
func (s *demoSender) post(ctx context.Context, path string, body []byte, header func(http.Header)) (int, []byte, error) {
	backoff := 100 * time.Millisecond
	deadline := time.Now().Add(time.Minute)
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.base+path, bytes.NewReader(body))
		if err != nil {
			return 0, nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		header(req.Header)
		resp, err := s.client.Do(req)
		var answer []byte
		if err == nil {
			answer, err = io.ReadAll(io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
			if err == nil && resp.StatusCode < 500 {
				return resp.StatusCode, answer, nil
			}
			if err == nil {
				err = fmt.Errorf("server answered %d: %s", resp.StatusCode, serverReason(answer))
			}
		}
		if ctx.Err() != nil {
			return 0, nil, ctx.Err()
		}
		if time.Now().Add(backoff).After(deadline) {
			return 0, nil, fmt.Errorf("gave up after a minute: %w", err)
		}
		if err := sleepCtx(ctx, backoff); err != nil {
			return 0, nil, err
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// serverReason is the error message of a JSON error answer, or its text.
func serverReason(answer []byte) string {
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(answer, &e) == nil && e.Error != "" {
		return e.Error
	}
	if s := strings.TrimSpace(string(answer)); s != "" {
		return oneLine(s)
	}
	return "no reason given"
}
