// Package github talks to the GitHub API for Sextant: a go-github client
// over a transport stack of our own (conditional requests from the
// http_cache table, serial requests per token, rate limits, retries), a
// small GraphQL client, and fetch functions that return Sextant's core
// types one page at a time, each page with its cost and the validator to
// store with it.
package github

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	gh "github.com/google/go-github/v89/github"
)

// DefaultBaseURL is github.com's API root.
const DefaultBaseURL = "https://api.github.com"

// Options configure a Client. Exactly one of Token and App is required.
type Options struct {
	// BaseURL is the API root: https://api.github.com, or a GitHub
	// Enterprise Server's https://HOST/api/v3.
	BaseURL string
	// Token is a personal access token; TokenName labels it in logs and
	// metrics (default "token").
	Token     string
	TokenName string
	// App authenticates as a GitHub App installation; its label is
	// "app:<id>".
	App *AppCredentials
	// Concurrency is how many requests of this token may be in flight
	// (default 1: GitHub asks integrations for serial requests).
	Concurrency int
	// Budget shares one token's rate-limit state between clients; nil makes
	// a new one.
	Budget *Budget
	// Validators turns GETs into conditional requests; nil sends none.
	Validators ValidatorStore
	Clock      Clock
	Logger     *slog.Logger
	// Transport is the HTTP transport under the client's own stack
	// (default: a clone of http.DefaultTransport).
	Transport http.RoundTripper
	// Retries is how often a 5xx answer or network error is retried
	// (default 4); Backoff the first wait, doubled each time (default 1s).
	Retries int
	Backoff time.Duration
	// SecondaryRetries bounds the retries after secondary limits (default 6).
	SecondaryRetries int
	// RequestTimeout bounds one attempt (default 60s).
	RequestTimeout time.Duration
	// PullPageSize is the pull requests per GraphQL page (default
	// DefaultPullPageSize, at most 50).
	PullPageSize int
	UserAgent    string
}

// Client is a GitHub API client. Safe for concurrent use; requests of one
// token still go out serially unless Options.Concurrency says otherwise.
type Client struct {
	// REST is the go-github client over the same transport stack, for calls
	// the fetch functions do not cover.
	REST *gh.Client

	http         *http.Client
	appREST      *gh.Client // JWT-authenticated: /app endpoints
	app          *appAuth
	graphqlURL   string
	budget       *Budget
	clock        Clock
	log          *slog.Logger
	pullPageSize int
}

// New returns a client. It makes no request: App credentials are checked
// when the first installation token is fetched.
func New(opts Options) (*Client, error) {
	if opts.BaseURL == "" {
		opts.BaseURL = DefaultBaseURL
	}
	base, err := url.Parse(opts.BaseURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("github base url %q is not an http(s) URL", opts.BaseURL)
	}
	if (opts.Token == "") == (opts.App == nil) {
		return nil, errors.New("github: set either a token (github.token) or GitHub App credentials (github.app_id, github.app_private_key, github.installation_id)")
	}
	if opts.Clock == nil {
		opts.Clock = SystemClock{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Transport == nil {
		opts.Transport = http.DefaultTransport.(*http.Transport).Clone()
	}
	if opts.Retries == 0 {
		opts.Retries = 4
	}
	if opts.Backoff == 0 {
		opts.Backoff = time.Second
	}
	if opts.SecondaryRetries == 0 {
		opts.SecondaryRetries = 6
	}
	if opts.RequestTimeout == 0 {
		opts.RequestTimeout = time.Minute
	}
	if opts.PullPageSize == 0 {
		opts.PullPageSize = DefaultPullPageSize
	}
	if opts.PullPageSize < 1 || opts.PullPageSize > 50 {
		return nil, fmt.Errorf("github: pull page size must be between 1 and 50, got %d", opts.PullPageSize)
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "sextant"
	}
	c := &Client{clock: opts.Clock, log: opts.Logger, pullPageSize: opts.PullPageSize}

	label := opts.TokenName
	if opts.App != nil {
		label = "app:" + strconv.FormatInt(opts.App.AppID, 10)
	} else if label == "" {
		label = "token"
	}
	c.budget = opts.Budget
	if c.budget == nil {
		c.budget = NewBudget(label, opts.Concurrency, opts.Clock, opts.Logger)
	}
	restBase := strings.TrimSuffix(base.String(), "/") + "/"
	c.graphqlURL = graphQLURL(base)

	stack := func(budget *Budget, token func(context.Context) (string, error), validators ValidatorStore) *http.Client {
		lt := &limitTransport{
			next: &authTransport{next: opts.Transport, token: token}, budget: budget, clock: opts.Clock,
			log: opts.Logger, retries: opts.Retries, secondary: opts.SecondaryRetries, backoff: opts.Backoff,
			timeout: opts.RequestTimeout, maxPrimary: 3,
		}
		return &http.Client{Transport: &cacheTransport{next: lt, store: validators}}
	}
	newREST := func(hc *http.Client) (*gh.Client, error) {
		return gh.NewClient(gh.WithHTTPClient(hc), gh.WithURLs(&restBase, &restBase),
			gh.WithUserAgent(opts.UserAgent), gh.WithDisableRateLimitCheck())
	}

	token := func(context.Context) (string, error) { return opts.Token, nil }
	if opts.App != nil {
		a, err := newAppAuth(*opts.App, opts.Clock)
		if err != nil {
			return nil, err
		}
		// App-level calls (token creation, App hook deliveries) have their
		// own budget, apart from the installation's.
		appBudget := NewBudget(label+"/jwt", 1, opts.Clock, opts.Logger)
		if a.apps, err = newREST(stack(appBudget, a.JWT, nil)); err != nil {
			return nil, err
		}
		c.app, c.appREST, token = a, a.apps, a.Token
	}
	c.http = stack(c.budget, token, opts.Validators)
	if c.REST, err = newREST(c.http); err != nil {
		return nil, err
	}
	return c, nil
}

// graphQLURL is /graphql on github.com and /api/graphql on GitHub
// Enterprise Server, whose REST root is /api/v3.
func graphQLURL(base *url.URL) string {
	u := *base
	p := strings.TrimSuffix(u.Path, "/")
	if strings.HasSuffix(p, "/api/v3") {
		u.Path = strings.TrimSuffix(p, "/v3") + "/graphql"
	} else {
		u.Path = p + "/graphql"
	}
	return u.String()
}

// Budget is the rate-limit state and consumption of the client's token.
func (c *Client) Budget() *Budget { return c.budget }

// GraphQLURL is where GraphQL queries go.
func (c *Client) GraphQLURL() string { return c.graphqlURL }

// AppTokenFetches is how many installation tokens this client fetched (0
// for a personal access token).
func (c *Client) AppTokenFetches() int {
	if c.app == nil {
		return 0
	}
	return c.app.TokenFetches()
}

// ErrMalformed is wrapped by errors about answers that are not what GitHub
// sends: truncated or invalid JSON, missing fields. Such an answer fails
// its page; the caller retries later.
var ErrMalformed = errors.New("malformed answer")

// ErrNotFound is wrapped when GitHub answers 404 (or 410).
var ErrNotFound = errors.New("not found")

// APIError is an answer GitHub refused (4xx, or 5xx after the retries).
type APIError struct {
	What    string
	Status  int
	Message string
}

func (e *APIError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("github: %s: %d %s", e.What, e.Status, http.StatusText(e.Status))
	}
	return fmt.Sprintf("github: %s: %d %s: %s", e.What, e.Status, http.StatusText(e.Status), e.Message)
}

func (e *APIError) Is(target error) bool {
	return target == ErrNotFound && (e.Status == http.StatusNotFound || e.Status == http.StatusGone)
}

// callError turns a go-github error into ours, naming what was fetched.
func callError(what string, resp *gh.Response, err error) error {
	var er *gh.ErrorResponse
	var rl *gh.RateLimitError
	var ab *gh.AbuseRateLimitError
	switch {
	case errors.As(err, &rl):
		return &APIError{What: what, Status: rl.Response.StatusCode, Message: "rate limit still spent after waiting: " + rl.Message}
	case errors.As(err, &ab):
		return &APIError{What: what, Status: ab.Response.StatusCode, Message: "secondary rate limit persisted: " + ab.Message}
	case errors.As(err, &er):
		return &APIError{What: what, Status: er.Response.StatusCode, Message: er.Message}
	case isDecodeError(err):
		return fmt.Errorf("github: %s: %w: %v", what, ErrMalformed, err)
	}
	return fmt.Errorf("github: %s: %w", what, err)
}
