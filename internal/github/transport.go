package github

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxBody bounds what one answer may hold in memory. A page of 100 pull
// requests is well under a megabyte; a compare of 250 commits a few.
const maxBody = 64 << 20

// secondaryMinWait is GitHub's advice when a secondary limit names no
// retry-after: wait at least a minute, then exponentially longer.
const secondaryMinWait = time.Minute

// limitTransport is the bottom of the client's stack above
// authentication: it keeps a token's requests serial, waits for its rate
// limits, retries 5xx answers and network errors with backoff, and counts
// what each answer cost. It reads every body whole, so a connection cut
// mid-body is a retried network error rather than a half-read page.
type limitTransport struct {
	next       http.RoundTripper
	budget     *Budget
	clock      Clock
	log        *slog.Logger
	retries    int           // attempts after the first, for 5xx and network errors
	secondary  int           // attempts after secondary limits
	backoff    time.Duration // first retry delay, doubled each time
	timeout    time.Duration // per attempt, 0 for none
	maxPrimary int           // waits for a primary reset in one request
}

// permanentError is an error not worth retrying (bad App credentials).
type permanentError struct{ error }

func (e permanentError) Unwrap() error { return e.error }

func resourceOf(r *http.Request) string {
	p := r.URL.Path
	switch {
	case strings.HasSuffix(p, "/graphql"):
		return ResourceGraphQL
	case strings.Contains(p, "/search/"):
		return ResourceSearch
	}
	return ResourceCore
}

// retriable reports whether the request may be sent twice: reads, and
// GraphQL queries (Sextant sends no mutations).
func retriable(r *http.Request) bool {
	return r.Method == http.MethodGet || r.Method == http.MethodHead || strings.HasSuffix(r.URL.Path, "/graphql")
}

func (t *limitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	resource := resourceOf(req)
	if err := t.budget.acquire(ctx); err != nil {
		return nil, err
	}
	defer t.budget.release()

	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("read request body: %w", err)
		}
		body = b
	}
	m := meterOf(ctx)
	var failures, secondaries, primaries int
	for {
		if err := t.budget.wait(ctx, resource); err != nil {
			return nil, err
		}
		resp, err := t.attempt(ctx, req, body)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			var perm permanentError
			if errors.As(err, &perm) || !retriable(req) || failures >= t.retries {
				if failures > 0 {
					return nil, fmt.Errorf("%w (after %d retries)", err, failures)
				}
				return nil, err
			}
			failures++
			if err := t.pause(ctx, resource, t.backoff<<(failures-1), "network error", err); err != nil {
				return nil, err
			}
			continue
		}
		resource = t.budget.observe(resp.Header, resource)
		data, _ := peekBody(resp)

		switch {
		case primaryLimited(resp, data):
			// Refused, not charged. Wait for the reset and ask again.
			reset := headerReset(resp.Header)
			t.budget.markSpent(resource, reset)
			if primaries >= t.maxPrimary {
				return resp, nil
			}
			primaries++
			t.budget.retried(resource)
			continue
		case secondaryLimited(resp, data):
			wait := retryAfter(resp.Header, t.clock.Now())
			if wait <= 0 {
				wait = secondaryMinWait << secondaries
			}
			if secondaries >= t.secondary {
				return resp, nil
			}
			secondaries++
			t.budget.retried(resource)
			t.log.Warn("github: secondary rate limit", "token", t.budget.label, "resource", resource,
				"status", resp.StatusCode, "wait", wait.String(), "path", req.URL.Path)
			t.budget.pauseSecondary(t.clock.Now().Add(wait))
			continue
		case resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented:
			if !retriable(req) || failures >= t.retries {
				t.count(m, resource, resp, 0)
				return resp, nil
			}
			failures++
			if err := t.pause(ctx, resource, t.backoff<<(failures-1), "server error", errors.New(resp.Status)); err != nil {
				return nil, err
			}
			continue
		}
		points := 1
		if resp.StatusCode == http.StatusNotModified || resource == ResourceGraphQL {
			// 304s are free; GraphQL's cost is in its body (graphql.go).
			points = 0
		}
		t.count(m, resource, resp, points)
		return resp, nil
	}
}

func (t *limitTransport) count(m *meter, resource string, resp *http.Response, points int) {
	nm := resp.StatusCode == http.StatusNotModified
	t.budget.spent(resource, nm, points)
	if m == nil {
		return
	}
	m.requests.Add(1)
	if nm {
		m.notModified.Add(1)
	}
	m.rest.Add(int64(points))
}

func (t *limitTransport) pause(ctx context.Context, resource string, d time.Duration, why string, cause error) error {
	t.budget.retried(resource)
	t.log.Info("github: retrying", "token", t.budget.label, "reason", why, "err", cause.Error(), "wait", d.String())
	return t.clock.Sleep(ctx, d)
}

// attempt sends one request and reads its body whole.
func (t *limitTransport) attempt(ctx context.Context, req *http.Request, body []byte) (*http.Response, error) {
	actx, cancel := ctx, context.CancelFunc(func() {})
	if t.timeout > 0 {
		actx, cancel = context.WithTimeout(ctx, t.timeout)
	}
	defer cancel()
	r := req.Clone(actx)
	if body != nil {
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		r.ContentLength = int64(len(body))
	}
	resp, err := t.next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	resp.Body.Close()
	if err != nil {
		// %v: a cut connection is a network failure, not a malformed answer.
		return nil, fmt.Errorf("read answer of %s %s: %v", req.Method, redactURL(req), err)
	}
	if len(data) > maxBody {
		return nil, permanentError{fmt.Errorf("answer of %s %s is larger than %d bytes", req.Method, redactURL(req), maxBody)}
	}
	resp.Body = io.NopCloser(bytes.NewReader(data))
	resp.ContentLength = int64(len(data))
	// The clone carried the attempt's context; callers know the original.
	resp.Request = req
	return resp, nil
}

func peekBody(resp *http.Response) ([]byte, error) {
	data, err := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(bytes.NewReader(data))
	return data, err
}

func redactURL(r *http.Request) string {
	u := *r.URL
	u.User = nil
	u.RawQuery = ""
	return u.String()
}

func headerReset(h http.Header) time.Time {
	s, err := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.Unix(s, 0).UTC()
}

// retryAfter reads retry-after in seconds or as an HTTP date.
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return t.Sub(now)
	}
	return 0
}

// primaryLimited: REST answers 403 or 429 with x-ratelimit-remaining 0;
// GraphQL answers 200 with a RATE_LIMITED error (also when a query costs
// more than the points left, with remaining above 0).
func primaryLimited(resp *http.Response, body []byte) bool {
	switch resp.StatusCode {
	case http.StatusForbidden, http.StatusTooManyRequests:
		return resp.Header.Get("X-RateLimit-Remaining") == "0" && (!mentionsSecondary(body) || resp.Header.Get("Retry-After") == "")
	case http.StatusOK:
		return graphQLErrorType(body, "RATE_LIMITED") && !mentionsSecondary(body)
	}
	return false
}

// secondaryLimited: 403 or 429 with retry-after or GitHub's secondary-limit
// message (GraphQL may say it with a 200).
func secondaryLimited(resp *http.Response, body []byte) bool {
	switch resp.StatusCode {
	case http.StatusForbidden, http.StatusTooManyRequests:
		return resp.Header.Get("Retry-After") != "" || mentionsSecondary(body)
	case http.StatusOK:
		return mentionsSecondary(body) && graphQLErrorMentions(body, "secondary rate limit")
	}
	return false
}

func mentionsSecondary(body []byte) bool {
	return bytes.Contains(bytes.ToLower(body), []byte("secondary rate limit"))
}

type gqlErrorsOnly struct {
	Errors []struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	} `json:"errors"`
}

func graphQLErrorType(body []byte, typ string) bool {
	if !bytes.Contains(body, []byte(typ)) {
		return false
	}
	var e gqlErrorsOnly
	if json.Unmarshal(body, &e) != nil {
		return false
	}
	for _, x := range e.Errors {
		if x.Type == typ {
			return true
		}
	}
	return false
}

func graphQLErrorMentions(body []byte, text string) bool {
	var e gqlErrorsOnly
	if json.Unmarshal(body, &e) != nil {
		return false
	}
	for _, x := range e.Errors {
		if strings.Contains(strings.ToLower(x.Message), text) {
			return true
		}
	}
	return false
}

// authTransport adds the token a TokenSource gives.
type authTransport struct {
	next  http.RoundTripper
	token func(ctx context.Context) (string, error)
}

func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	tok, err := t.token(req.Context())
	if err != nil {
		// The token's own requests were retried already.
		return nil, permanentError{err}
	}
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", "Bearer "+tok)
	return t.next.RoundTrip(r)
}

// ValidatorStore keeps the ETag and Last-Modified of answers per request
// URL (store.DB implements it over the http_cache table). The client only
// reads it: the caller saves a page's Validator in the transaction that
// stores the page, so a 304 always means "you have this".
type ValidatorStore interface {
	LookupHTTPCache(ctx context.Context, url string) (etag, lastModified string, err error)
}

// Validator is what a later request sends back to learn, for free, that an
// answer has not changed.
type Validator struct {
	URL          string
	ETag         string
	LastModified string
}

type freshKey struct{}

// Fresh returns a context whose requests are never conditional: a full
// re-fetch (sync --full, or a repair of lost rows).
func Fresh(ctx context.Context) context.Context { return context.WithValue(ctx, freshKey{}, true) }

// cacheTransport makes GETs conditional on the stored validators.
type cacheTransport struct {
	next  http.RoundTripper
	store ValidatorStore
}

func (t *cacheTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.store == nil || req.Method != http.MethodGet || req.Context().Value(freshKey{}) != nil {
		return t.next.RoundTrip(req)
	}
	etag, lm, err := t.store.LookupHTTPCache(req.Context(), cacheKey(req))
	if err != nil {
		return nil, permanentError{fmt.Errorf("conditional request %s: %w", redactURL(req), err)}
	}
	if etag == "" && lm == "" {
		return t.next.RoundTrip(req)
	}
	r := req.Clone(req.Context())
	if etag != "" {
		r.Header.Set("If-None-Match", etag)
	}
	if lm != "" {
		r.Header.Set("If-Modified-Since", lm)
	}
	return t.next.RoundTrip(r)
}

// cacheKey is the request URL, which never holds a credential.
func cacheKey(r *http.Request) string {
	u := *r.URL
	u.User = nil
	return u.String()
}

func validatorOf(resp *http.Response) Validator {
	if resp == nil || resp.Request == nil {
		return Validator{}
	}
	return Validator{URL: cacheKey(resp.Request), ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified")}
}
