package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mathrand "math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sextant-dev/sextant/internal/core"
	"github.com/sextant-dev/sextant/internal/ingest"
)

// reporter holds what `sextant report` needs from the world, so tests can
// replace the clock and the waits between attempts.
type reporter struct {
	client *http.Client
	now    func() time.Time
	sleep  func(ctx context.Context, d time.Duration) error
	// First wait after a failed attempt; it doubles up to maxDelay.
	baseDelay, maxDelay time.Duration
}

func defaultReporter() reporter {
	return reporter{
		client:    &http.Client{},
		now:       time.Now,
		sleep:     sleepCtx,
		baseDelay: time.Second,
		maxDelay:  15 * time.Second,
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func runReport(ctx context.Context, env Env, args []string) error {
	return defaultReporter().run(ctx, env, args)
}

// run reports one event: sextant report EVENT --repo R [flags]. It prints
// the stored event's id alone on stdout.
func (rp reporter) run(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "report", "report EVENT --repo OWNER/NAME [flags]\n\n"+
		"EVENT is push, deploy, test_pass, test_fail, incident_opened, incident_resolved, rollback or a\n"+
		"custom name. The server and token come from SEXTANT_URL and SEXTANT_TOKEN (or the flags).\n"+
		"Network errors, 429 and 5xx answers are retried; the event carries an idempotency id (--id, or\n"+
		"a random one) so a retry never stores it twice.")
	server := fs.String("server", "", "Sextant's base URL (env SEXTANT_URL)")
	token := fs.String("token", "", "API token with the events:write scope (env SEXTANT_TOKEN; prefer the environment, flags show in process lists)")
	repo := fs.String("repo", "", "repository as owner/name, or ALL for an event not tied to one (required)")
	sha := fs.String("sha", "", "commit sha")
	ref := fs.String("ref", "", "git ref, such as refs/heads/main")
	environment := fs.String("env", "", "environment of a deploy, rollback or incident (deploys and rollbacks default to production)")
	status := fs.String("status", "", "success, failure, error or in_progress (a deploy defaults to success)")
	id := fs.String("id", "", "idempotency id; required for incidents, where it names the incident (default: random)")
	deployment := fs.String("deployment", "", "for incidents and rollbacks: the id of the deploy they concern (its --id or the id report printed)")
	metadata := fs.String("metadata", "", "a JSON object of extra data, up to 64 KiB")
	at := fs.String("time", "", "when it happened, RFC 3339 (default: now)")
	link := fs.String("event-url", "", "a link to the pipeline run, deploy or incident")
	duration := fs.Duration("duration", 0, "how long it took, such as 4m30s")
	retryFor := fs.Duration("retry-for", time.Minute, "how long to keep retrying network errors, 429 and 5xx")
	timeout := fs.Duration("timeout", 10*time.Second, "time limit of each attempt")
	if err := fs.parse(args); err != nil {
		return err
	}
	switch {
	case fs.NArg() == 0:
		return usageError{errors.New("missing EVENT (for example: sextant report deploy --repo acme/api)")}
	case fs.NArg() > 1:
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(1))}
	}
	if *server == "" {
		*server = env.Getenv("SEXTANT_URL")
	}
	if *token == "" {
		*token = env.Getenv("SEXTANT_TOKEN")
	}
	if *server == "" {
		return usageError{errors.New("no server: set SEXTANT_URL or --server")}
	}
	if *token == "" {
		return usageError{errors.New("no token: set SEXTANT_TOKEN or --token")}
	}
	if u, err := url.Parse(*server); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usageError{fmt.Errorf("server %q is not an http(s) URL", *server)}
	}
	event := fs.Arg(0)

	body := map[string]any{"event": event, "repo": *repo}
	for k, v := range map[string]string{"sha": *sha, "ref": *ref, "environment": *environment, "status": *status,
		"deployment": *deployment, "url": *link} {
		if v != "" {
			body[k] = v
		}
	}
	// The time and the id are fixed before the first attempt, so every
	// retry sends the same event.
	if *at == "" {
		body["time"] = rp.now().UTC().Format(time.RFC3339Nano)
	} else {
		body["time"] = *at
	}
	if *id != "" {
		body["id"] = *id
	} else if event != core.EventIncidentOpened && event != core.EventIncidentResolved {
		body["id"] = randomID()
	}
	if *duration > 0 {
		body["duration_ms"] = duration.Milliseconds()
	}
	if *metadata != "" {
		body["metadata"] = json.RawMessage(*metadata)
	}
	payload, err := json.Marshal(body)
	if err != nil {
		// Only invalid --metadata JSON can fail here.
		return usageError{fmt.Errorf("invalid event: metadata: must be a JSON object")}
	}
	if _, err := ingest.ParseCIEvent(payload, rp.now()); err != nil {
		return usageError{errors.New(core.ErrorMessage(err))}
	}

	client := *rp.client
	client.Timeout = *timeout
	rp.client = &client
	stored, err := rp.send(ctx, env, eventsURL(*server), *token, payload, *retryFor)
	if err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, stored)
	return nil
}

// eventsURL accepts Sextant's base URL or the endpoint itself.
func eventsURL(server string) string {
	server = strings.TrimRight(server, "/")
	if strings.HasSuffix(server, "/api/v1/events") {
		return server
	}
	return server + "/api/v1/events"
}

func randomID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return "report-" + hex.EncodeToString(b)
}

// send posts the event until it is stored, the server refuses it, or
// retryFor has passed, and returns the stored event's id.
func (rp reporter) send(ctx context.Context, env Env, endpoint, token string, payload []byte, retryFor time.Duration) (string, error) {
	deadline := rp.now().Add(retryFor)
	delay := rp.baseDelay
	for attempt := 1; ; attempt++ {
		id, after, err := rp.attempt(ctx, endpoint, token, payload)
		if err == nil {
			return id, nil
		}
		var refused refusedError
		if errors.As(err, &refused) || ctx.Err() != nil {
			return "", err
		}
		// Equal jitter: reporters of one pipeline that failed together
		// should not retry in step.
		wait := delay/2 + mathrand.N(delay/2+1)
		wait = max(wait, after)
		if rp.now().Add(wait).After(deadline) {
			return "", fmt.Errorf("giving up after %d attempt(s): %w", attempt, err)
		}
		fmt.Fprintf(env.Stderr, "sextant report: attempt %d failed (%v); retrying in %s\n", attempt, err, wait.Round(time.Millisecond))
		if err := rp.sleep(ctx, wait); err != nil {
			return "", fmt.Errorf("giving up after %d attempt(s): %w", attempt, err)
		}
		delay = min(delay*2, rp.maxDelay)
	}
}

// refusedError is an answer that retrying cannot change (a 4xx other than
// 429): the event or the token is wrong.
type refusedError struct {
	status int
	reason string
}

func (e refusedError) Error() string {
	return fmt.Sprintf("server refused the event (HTTP %d): %s", e.status, e.reason)
}

// attempt posts once. It returns the stored id, or an error and how long
// the server asked to wait (Retry-After) before the next attempt.
func (rp reporter) attempt(ctx context.Context, endpoint, token string, payload []byte) (string, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(payload))
	if err != nil {
		return "", 0, refusedError{reason: err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("User-Agent", "sextant-report")
	resp, err := rp.client.Do(req)
	if err != nil {
		return "", 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", 0, fmt.Errorf("read answer: %w", err)
	}
	var answer struct {
		ID    json.Number `json:"id"`
		Error string      `json:"error"`
	}
	json.Unmarshal(body, &answer)
	switch {
	case resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusCreated:
		if answer.ID == "" {
			return "", 0, refusedError{status: resp.StatusCode, reason: "the answer has no event id: is the URL Sextant's?"}
		}
		return answer.ID.String(), 0, nil
	}
	reason := answer.Error
	if reason == "" {
		reason = strings.TrimSpace(string(body))
		if len(reason) > 200 {
			reason = reason[:200] + "…"
		}
		if reason == "" {
			reason = http.StatusText(resp.StatusCode)
		}
	}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
		return "", retryAfter(resp.Header.Get("Retry-After")), fmt.Errorf("HTTP %d: %s", resp.StatusCode, reason)
	}
	return "", 0, refusedError{status: resp.StatusCode, reason: reason}
}

// retryAfter reads a Retry-After header given in seconds.
func retryAfter(v string) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 {
		return 0
	}
	return time.Duration(n) * time.Second
}
