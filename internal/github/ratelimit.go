package github

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Rate-limit resources, as GitHub names them in x-ratelimit-resource.
const (
	ResourceCore    = "core"
	ResourceGraphQL = "graphql"
	ResourceSearch  = "search"
)

// RateLimit is what GitHub last said about one token's budget for one
// resource.
type RateLimit struct {
	Resource  string
	Limit     int
	Remaining int
	Used      int
	Reset     time.Time
	Observed  time.Time // when the headers were read; zero if never
}

// Usage is one token's consumption of one resource since the process
// started, with its last known budget: what /metrics shows. Token is the
// token's label (a configured name or "app:<id>"), never the token.
type Usage struct {
	Token       string
	Resource    string
	Requests    int64 // requests answered (304s included)
	NotModified int64 // answered 304: free
	Points      int64 // rate-limit points spent, as GitHub charges them
	Retries     int64 // requests repeated after a 5xx, a network error or a limit
	Waits       int64 // times a request waited for a rate limit
	WaitSeconds float64
	Budget      RateLimit
}

// Budget is the rate-limit state of one token, shared by every client that
// uses it. It keeps requests serial (or at most the configured
// concurrency), remembers the last x-ratelimit-* values per resource and
// any secondary-limit pause, and counts what was spent. Safe for
// concurrent use.
type Budget struct {
	label string
	clock Clock
	log   *slog.Logger
	slots chan struct{}

	mu           sync.Mutex
	limits       map[string]RateLimit
	blockedUntil time.Time // a secondary limit's pause, for every resource
	usage        map[string]*Usage
}

// NewBudget returns the budget of the token named label. concurrency is
// how many requests may be in flight at once (GitHub asks for serial
// requests; at least 1).
func NewBudget(label string, concurrency int, clock Clock, log *slog.Logger) *Budget {
	if concurrency < 1 {
		concurrency = 1
	}
	if clock == nil {
		clock = SystemClock{}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Budget{
		label: label, clock: clock, log: log,
		slots:  make(chan struct{}, concurrency),
		limits: map[string]RateLimit{},
		usage:  map[string]*Usage{},
	}
}

// Label is the token's name in logs and metrics.
func (b *Budget) Label() string { return b.label }

// Limit returns the last known budget of resource (Observed is zero when
// no answer told it yet).
func (b *Budget) Limit(resource string) RateLimit {
	b.mu.Lock()
	defer b.mu.Unlock()
	rl := b.limits[resource]
	rl.Resource = resource
	return rl
}

// Usage returns the consumption per resource, sorted by resource.
func (b *Budget) Usage() []Usage {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []Usage
	for r, u := range b.usage {
		c := *u
		c.Budget = b.limits[r]
		c.Budget.Resource = r
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Usage) int { return strings.Compare(a.Resource, b.Resource) })
	return out
}

func (b *Budget) usageOf(resource string) *Usage {
	u := b.usage[resource]
	if u == nil {
		u = &Usage{Token: b.label, Resource: resource}
		b.usage[resource] = u
	}
	return u
}

func (b *Budget) acquire(ctx context.Context) error {
	select {
	case b.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (b *Budget) release() { <-b.slots }

// observe reads the x-ratelimit-* headers of an answer.
func (b *Budget) observe(h http.Header, resource string) string {
	if r := h.Get("X-RateLimit-Resource"); r != "" {
		resource = r
	}
	limit, err1 := strconv.Atoi(h.Get("X-RateLimit-Limit"))
	remaining, err2 := strconv.Atoi(h.Get("X-RateLimit-Remaining"))
	reset, err3 := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		// GitHub Enterprise Server with rate limits off sends none.
		return resource
	}
	used, _ := strconv.Atoi(h.Get("X-RateLimit-Used"))
	b.mu.Lock()
	defer b.mu.Unlock()
	b.limits[resource] = RateLimit{
		Resource: resource, Limit: limit, Remaining: remaining, Used: used,
		Reset: time.Unix(reset, 0).UTC(), Observed: b.clock.Now(),
	}
	return resource
}

// spent records an answered request and its points.
func (b *Budget) spent(resource string, notModified bool, points int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	u := b.usageOf(resource)
	u.Requests++
	if notModified {
		u.NotModified++
	}
	u.Points += int64(points)
}

// addPoints records points learnt after the answer (GraphQL's cost).
func (b *Budget) addPoints(resource string, points int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.usageOf(resource).Points += int64(points)
}

func (b *Budget) retried(resource string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.usageOf(resource).Retries++
}

// pauseSecondary makes every request of this token wait until t.
func (b *Budget) pauseSecondary(t time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if t.After(b.blockedUntil) {
		b.blockedUntil = t
	}
}

// markSpent records that GitHub refused a request for a spent budget, so
// the next request waits for the reset without asking again.
func (b *Budget) markSpent(resource string, reset time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	rl := b.limits[resource]
	rl.Resource, rl.Remaining = resource, 0
	if !reset.IsZero() {
		rl.Reset = reset
	}
	rl.Observed = b.clock.Now()
	b.limits[resource] = rl
}

// wait blocks until resource may be used: past a secondary-limit pause,
// and past the reset when the primary budget is spent. It logs when and why
// it waits.
func (b *Budget) wait(ctx context.Context, resource string) error {
	for {
		now := b.clock.Now()
		b.mu.Lock()
		rl := b.limits[resource]
		var until time.Time
		var why string
		if b.blockedUntil.After(now) {
			until, why = b.blockedUntil, "secondary rate limit"
		}
		if rl.Remaining == 0 && !rl.Observed.IsZero() && rl.Reset.After(now) && rl.Reset.After(until) {
			// One second past the reset: GitHub's clock and ours differ.
			until, why = rl.Reset.Add(time.Second), "primary rate limit spent"
		}
		if until.IsZero() {
			b.mu.Unlock()
			return nil
		}
		d := until.Sub(now)
		u := b.usageOf(resource)
		u.Waits++
		u.WaitSeconds += d.Seconds()
		b.mu.Unlock()
		b.log.Warn("github: waiting for rate limit", "token", b.label, "resource", resource,
			"reason", why, "until", until.UTC().Format(time.RFC3339), "wait", d.Round(time.Second).String(),
			"limit", rl.Limit)
		if err := b.clock.Sleep(ctx, d); err != nil {
			return err
		}
		b.mu.Lock()
		if !b.clock.Now().Before(rl.Reset) && b.limits[resource].Reset.Equal(rl.Reset) {
			// The window rolled over: the budget is whole again until an
			// answer says otherwise.
			l := b.limits[resource]
			l.Remaining = l.Limit
			b.limits[resource] = l
		}
		b.mu.Unlock()
	}
}

// Cost is what one call cost: requests sent and answered, answers that
// were 304 (free), and rate-limit points spent per kind.
type Cost struct {
	Requests      int
	NotModified   int
	RESTPoints    int
	GraphQLPoints int
}

// Points is every rate-limit point the call spent.
func (c Cost) Points() int { return c.RESTPoints + c.GraphQLPoints }

// Add returns the sum of two costs.
func (c Cost) Add(d Cost) Cost {
	return Cost{c.Requests + d.Requests, c.NotModified + d.NotModified, c.RESTPoints + d.RESTPoints, c.GraphQLPoints + d.GraphQLPoints}
}

// meter accumulates the cost of one call's requests; the transport finds
// it in the request's context.
type meter struct {
	requests, notModified, rest, graphql atomic.Int64
}

func (m *meter) cost() Cost {
	return Cost{int(m.requests.Load()), int(m.notModified.Load()), int(m.rest.Load()), int(m.graphql.Load())}
}

type meterKey struct{}

func withMeter(ctx context.Context) (context.Context, *meter) {
	m := &meter{}
	return context.WithValue(ctx, meterKey{}, m), m
}

func meterOf(ctx context.Context) *meter {
	m, _ := ctx.Value(meterKey{}).(*meter)
	return m
}
