package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tidwall/gjson"

	"github.com/sextant-dev/sextant/internal/core"
	"github.com/sextant-dev/sextant/internal/store"
	"github.com/sextant-dev/sextant/internal/telemetry"
)

// MaxWebhookBody is the largest delivery accepted: GitHub caps payloads
// at 25 MiB.
const MaxWebhookBody = 25 << 20

// Webhook intake outcomes, as counted in /metrics.
const (
	OutcomeAccepted  = "accepted"
	OutcomeDuplicate = "duplicate"
	OutcomeUnknown   = "unknown" // stored, but no projection knows it
	// Outcomes of projection.
	OutcomeProjected = "projected"
	OutcomeFailed    = "failed"
)

// bodyEncoding is how stored bodies are compressed.
const bodyEncoding = "gzip"

// WebhookCounters receives what webhook intake and projection count; the
// telemetry package implements it for /metrics.
type WebhookCounters interface {
	// Delivery counts a delivery by event, action and outcome.
	Delivery(event, action, outcome string)
	// ProjectionError counts a delivery whose projection failed.
	ProjectionError(event string)
	// Projected counts a delivery projected, by event and outcome
	// (projected, failed, unknown).
	Projected(event, outcome string)
}

// NopCounters counts nothing.
type NopCounters struct{}

func (NopCounters) Delivery(string, string, string) {}
func (NopCounters) ProjectionError(string)          {}
func (NopCounters) Projected(string, string)        {}

// WebhookOptions tune Webhooks. Zero values take the defaults.
type WebhookOptions struct {
	Counters WebhookCounters
	// Events receives one processed event per projected delivery (a log
	// line, an OTLP record); nil reports nothing.
	Events *telemetry.Events
	// CommitBatch is the most deliveries one intake transaction stores
	// (group commit). Default 256.
	CommitBatch int
	// ProjectBatch is the most deliveries one projection transaction
	// applies. On SQLite intake waits for it, so it stays small. Default 64.
	ProjectBatch int
	// Workers decode deliveries for projection in parallel. Default 1 (the
	// server's intake needs the rest of the CPU); bulk loads use more.
	Workers int
	// Poll is how often the projector looks for deliveries it was not told
	// about (stored by another replica, or left by a crash). Default 5s.
	Poll time.Duration

	// failAfter, in tests, makes the projection transaction fail after
	// that many deliveries (a crash between storing and projecting).
	failAfter int
}

// Webhooks stores GitHub webhook deliveries durably and projects them onto
// the domain tables. Intake (Receive) batches the deliveries of concurrent
// requests into one transaction, committed by a single goroutine, so one
// fsync acknowledges many; projection runs after the commit, in the
// background, from the stored log, so a crash between the two loses
// nothing: what is not projected yet is projected on the next start.
type Webhooks struct {
	db    *store.DB
	log   *slog.Logger
	count WebhookCounters
	opts  WebhookOptions

	mu      sync.RWMutex // guards closed against sends on queue
	closed  bool
	queue   chan *submit
	closing chan struct{}
	stopped chan struct{}
	kick    chan struct{}

	projectMu  sync.Mutex // one projection pass at a time in this process
	cache      *projectionCache
	lastCommit atomic.Int64 // when intake last committed (Unix ns)
}

type submit struct {
	d    store.WebhookDelivery
	done chan submitResult
}

type submitResult struct {
	inserted bool
	err      error
}

// NewWebhooks returns webhook intake and projection over db. Call Start
// before Receive, and Close after the HTTP server stopped.
func NewWebhooks(db *store.DB, log *slog.Logger, opts WebhookOptions) *Webhooks {
	if opts.Counters == nil {
		opts.Counters = NopCounters{}
	}
	if opts.CommitBatch <= 0 {
		opts.CommitBatch = 256
	}
	if opts.ProjectBatch <= 0 {
		opts.ProjectBatch = 64
	}
	if opts.Workers <= 0 {
		opts.Workers = 1
	}
	if opts.Poll <= 0 {
		opts.Poll = 5 * time.Second
	}
	return &Webhooks{
		db: db, log: log, count: opts.Counters, opts: opts,
		queue:   make(chan *submit, 4*opts.CommitBatch),
		closing: make(chan struct{}),
		stopped: make(chan struct{}),
		kick:    make(chan struct{}, 1),
		cache:   &projectionCache{m: map[string]cached{}},
	}
}

// Delivery is a webhook delivery to store.
type Delivery struct {
	GUID           string // X-GitHub-Delivery
	Event          string // X-GitHub-Event
	Action         string // read from the body when empty
	HookID         int64  // X-GitHub-Hook-ID, when known
	InstallationID int64  // read from the body when zero
	Body           []byte // the JSON payload
	ReceivedAt     time.Time
	// Payload optionally holds Body already decoded into go-github's event
	// type for Event (*github.PullRequestEvent, …), as a generator has it;
	// Load then skips decoding. It must say what Body says.
	Payload any
}

// CheckWebhookBody reports whether body is a JSON object, the only payload
// GitHub sends.
func CheckWebhookBody(body []byte) error {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' || !gjson.ValidBytes(body) {
		return core.Errorf(core.CodeInvalid, "the body is not a JSON object")
	}
	return nil
}

var gzipWriters = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed)
	return w
}}

var gzipReaders sync.Pool

// prepare validates d and turns it into the stored form, compressing the
// body. It runs in the caller's goroutine, so concurrent requests compress
// in parallel while the committer only writes.
func prepare(d Delivery) (store.WebhookDelivery, error) {
	var ps core.Problems
	if d.GUID == "" || len(d.GUID) > 255 {
		ps.Add("delivery_id", "must be 1 to 255 characters (X-GitHub-Delivery)")
	}
	if d.Event == "" || len(d.Event) > 255 {
		ps.Add("event", "must be 1 to 255 characters (X-GitHub-Event)")
	}
	if err := CheckWebhookBody(d.Body); err != nil {
		ps.Add("body", "is not a JSON object")
	}
	if err := ps.Invalid("invalid delivery"); err != nil {
		return store.WebhookDelivery{}, err
	}
	meta := readMeta(d.Body)
	if d.Action == "" {
		d.Action = meta.action
	}
	if d.InstallationID == 0 {
		d.InstallationID = meta.installationID
	}
	if d.ReceivedAt.IsZero() {
		d.ReceivedAt = time.Now()
	}
	var buf bytes.Buffer
	buf.Grow(len(d.Body)/6 + 64)
	zw := gzipWriters.Get().(*gzip.Writer)
	zw.Reset(&buf)
	_, err := zw.Write(d.Body)
	if err == nil {
		err = zw.Close()
	}
	gzipWriters.Put(zw)
	if err != nil {
		return store.WebhookDelivery{}, fmt.Errorf("compress delivery %s: %w", d.GUID, err)
	}
	return store.WebhookDelivery{
		DeliveryID: d.GUID, Event: d.Event, Action: d.Action, HookID: d.HookID, InstallationID: d.InstallationID,
		RepoFullName: limitText(meta.repo, 255), ReceivedAt: d.ReceivedAt.UTC(), Body: buf.Bytes(),
		BodyEncoding: bodyEncoding, BodySize: int64(len(d.Body)),
	}, nil
}

func limitText(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// decodeBody returns the JSON of a stored body.
func decodeBody(body []byte, encoding string) ([]byte, error) {
	switch encoding {
	case "identity", "":
		return body, nil
	case bodyEncoding:
	default:
		return nil, fmt.Errorf("unknown body encoding %q", encoding)
	}
	zr, _ := gzipReaders.Get().(*gzip.Reader)
	var err error
	if zr == nil {
		zr, err = gzip.NewReader(bytes.NewReader(body))
	} else {
		err = zr.Reset(bytes.NewReader(body))
	}
	if err != nil {
		return nil, fmt.Errorf("decompress body: %w", err)
	}
	defer gzipReaders.Put(zr)
	out := bytes.NewBuffer(make([]byte, 0, 6*len(body)))
	if _, err := io.Copy(out, io.LimitReader(zr, MaxWebhookBody+1)); err != nil {
		return nil, fmt.Errorf("decompress body: %w", err)
	}
	return out.Bytes(), nil
}

// Start starts the committer that intake's Receive waits on.
func (w *Webhooks) Start() {
	go w.commitLoop()
}

// Close stops intake once the deliveries already submitted are committed.
// Call it after the HTTP server has stopped, so no request waits in vain.
func (w *Webhooks) Close() {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return
	}
	w.closed = true
	w.mu.Unlock()
	close(w.closing)
	<-w.stopped
}

// errClosed answers deliveries that arrive while the server shuts down.
var errClosed = core.Errorf(core.CodeUnavailable, "the server is shutting down; GitHub can redeliver this delivery")

// Receive stores one delivery durably: when it returns without error the
// delivery is committed (inserted true) or was already stored (a
// redelivery: inserted false, nothing changed). Concurrent calls share
// transactions.
func (w *Webhooks) Receive(ctx context.Context, d Delivery) (inserted bool, err error) {
	sd, err := prepare(d)
	if err != nil {
		return false, err
	}
	s := &submit{d: sd, done: make(chan submitResult, 1)}
	w.mu.RLock()
	if w.closed {
		w.mu.RUnlock()
		return false, errClosed
	}
	select {
	case w.queue <- s:
	case <-ctx.Done():
		w.mu.RUnlock()
		return false, ctx.Err()
	}
	w.mu.RUnlock()
	select {
	case res := <-s.done:
		if res.err == nil {
			w.countDelivery(sd.Event, sd.Action, res.inserted)
		}
		return res.inserted, res.err
	case <-ctx.Done():
		return false, ctx.Err()
	}
}

func (w *Webhooks) countDelivery(event, action string, inserted bool) {
	switch {
	case !inserted:
		w.count.Delivery(event, action, OutcomeDuplicate)
	case KnownWebhook(event, action):
		w.count.Delivery(event, action, OutcomeAccepted)
	default:
		w.count.Delivery(event, action, OutcomeUnknown)
	}
}

// commitLoop is the single committer: it takes every delivery waiting
// (up to CommitBatch), stores them in one transaction, and answers each
// only after the commit.
func (w *Webhooks) commitLoop() {
	defer close(w.stopped)
	for {
		var first *submit
		select {
		case first = <-w.queue:
		case <-w.closing:
			// No sender is left (Close held the lock): commit what queued.
			for {
				select {
				case s := <-w.queue:
					w.commit(w.collect(s))
				default:
					return
				}
			}
		}
		w.commit(w.collect(first))
	}
}

func (w *Webhooks) collect(first *submit) []*submit {
	batch := []*submit{first}
	for len(batch) < w.opts.CommitBatch {
		select {
		case s := <-w.queue:
			batch = append(batch, s)
		default:
			return batch
		}
	}
	return batch
}

// commitTimeout bounds one intake transaction: past it the requests fail
// (GitHub waits 10 s) rather than hang.
const commitTimeout = 8 * time.Second

func (w *Webhooks) commit(batch []*submit) {
	ctx, cancel := context.WithTimeout(context.Background(), commitTimeout)
	defer cancel()
	ds := make([]store.WebhookDelivery, len(batch))
	for i, s := range batch {
		ds[i] = s.d
	}
	var ids []int64
	err := w.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		ids, err = store.InsertDeliveries(ctx, w.db.Prepared(tx), ds)
		return err
	})
	w.lastCommit.Store(time.Now().UnixNano())
	if err != nil && len(batch) > 1 {
		// One bad delivery must not fail the others: store each alone.
		w.log.Warn("webhook batch failed; storing one by one", "deliveries", len(batch), "err", err)
		for _, s := range batch {
			w.commit([]*submit{s})
		}
		return
	}
	kicked := false
	for i, s := range batch {
		if err != nil {
			s.done <- submitResult{err: &core.Error{Code: core.CodeUnavailable, Message: "could not store the delivery; GitHub can redeliver it", Err: err}}
			continue
		}
		kicked = kicked || ids[i] != 0
		s.done <- submitResult{inserted: ids[i] != 0}
	}
	if kicked {
		w.Kick()
	}
}

// Kick tells the projector that there is something to project.
func (w *Webhooks) Kick() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// errInjected is the failure tests inject into a projection transaction.
var errInjected = errors.New("injected failure")
