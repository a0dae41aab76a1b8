package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strconv"

	gh "github.com/google/go-github/v89/github"

	"github.com/sextant-dev/sextant/internal/core"
	ghmap "github.com/sextant-dev/sextant/internal/github"
	"github.com/sextant-dev/sextant/internal/ingest"
	"github.com/sextant-dev/sextant/internal/store"
)

// eventName is what GitHub's event names look like (pull_request,
// workflow_job, …); anything else in X-GitHub-Event is refused before it
// becomes a column and a metric label.
var eventName = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// Limits of the deliveries lookup.
const maxLookupIDs = 10000

// routeWebhooks registers the GitHub webhook endpoint and the lookup of
// stored deliveries.
func (s *Server) routeWebhooks() {
	// Every method reaches the handler, so that a GET gets a JSON 405
	// rather than the mux's plain-text one.
	s.mux.HandleFunc("/webhooks/github", s.githubWebhook)
	s.mux.HandleFunc("POST /api/v1/webhooks/deliveries/lookup", s.withRead(s.lookupDeliveries))
}

// webhookCounters returns where rejections are counted.
func (s *Server) webhookCounters() ingest.WebhookCounters {
	if s.webhookCount != nil {
		return s.webhookCount
	}
	return ingest.NopCounters{}
}

// githubWebhook receives a GitHub webhook delivery: verified, stored
// durably (deduplicated by X-GitHub-Delivery) before the answer, projected
// afterwards. A rejected request stores nothing.
func (s *Server) githubWebhook(w http.ResponseWriter, r *http.Request) {
	reject := func(reason, event string, err error) {
		s.webhookCounters().Delivery(event, "", "rejected_"+reason)
		if core.ErrorCode(err) == core.CodeInvalid {
			s.writeAPIError(w, r, err, "") // lists the problems by header
			return
		}
		s.writeError(w, r, err)
	}
	if r.Method != http.MethodPost {
		// No error kind of core means "wrong method": that is HTTP's own.
		s.webhookCounters().Delivery("", "", "rejected_method")
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{
			"error": "method " + r.Method + " not allowed: GitHub delivers webhooks with POST", "code": "method_not_allowed"})
		return
	}
	if !s.verifier.Configured() || s.webhooks == nil {
		reject("unconfigured", "", core.Errorf(core.CodeUnavailable,
			"webhook intake is off: no webhook secret is configured; set github.webhook_secret (env SEXTANT_GITHUB_WEBHOOK_SECRET, several separated by commas while rotating) to the secret of the GitHub webhook"))
		return
	}
	tooLarge := core.Errorf(core.CodeTooLarge, "the body is larger than %d bytes (25 MiB), GitHub's limit", ingest.MaxWebhookBody)
	if r.ContentLength > ingest.MaxWebhookBody {
		reject("too_large", "", tooLarge)
		return
	}
	raw, err := readAllSized(http.MaxBytesReader(w, r.Body, ingest.MaxWebhookBody), r.ContentLength)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		reject("too_large", "", tooLarge)
		return
	}
	if err != nil {
		reject("body", "", &core.Error{Code: core.CodeInvalid, Message: "could not read the request body", Err: err})
		return
	}
	if err := s.verifier.Verify(r.Header.Get(ghmap.SignatureHeader), r.Header.Get(ghmap.LegacySignatureHeader), raw); err != nil {
		reject("signature", "", &core.Error{Code: core.CodeUnauthorized, Message: err.Error()})
		return
	}
	event, guid := r.Header.Get(gh.EventTypeHeader), r.Header.Get(gh.DeliveryIDHeader)
	var ps core.Problems
	if event == "" {
		ps.Add(gh.EventTypeHeader, "is required (the event type)")
	} else if !eventName.MatchString(event) {
		ps.Add(gh.EventTypeHeader, "is not an event name (at most 64 letters, digits, _, . or -)")
	}
	if guid == "" {
		ps.Add(gh.DeliveryIDHeader, "is required (the delivery's unique id)")
	} else if len(guid) > 255 {
		ps.Add(gh.DeliveryIDHeader, "is longer than 255 characters")
	}
	if err := ps.Invalid("invalid webhook headers"); err != nil {
		reject("headers", "", err)
		return
	}
	body := raw
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "application/x-www-form-urlencoded" {
		// GitHub's other content type: the JSON is the payload field, the
		// signature covers the whole form.
		form, err := url.ParseQuery(string(raw))
		if err != nil {
			reject("body", event, core.Errorf(core.CodeInvalid, "the form body cannot be parsed"))
			return
		}
		body = []byte(form.Get("payload"))
	}
	if err := ingest.CheckWebhookBody(body); err != nil {
		reject("body", event, err)
		return
	}
	if event == "ping" {
		s.webhookCounters().Delivery("ping", "", "ping")
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "delivery": guid, "event": "ping"})
		return
	}
	hookID, _ := strconv.ParseInt(r.Header.Get("X-GitHub-Hook-ID"), 10, 64)
	inserted, err := s.webhooks.Receive(r.Context(), ingest.Delivery{
		GUID: guid, Event: event, HookID: hookID, Body: body,
	})
	if err != nil {
		if core.ErrorCode(err) == core.CodeInvalid {
			reject("body", event, err)
			return
		}
		s.writeError(w, r, err)
		return
	}
	if !inserted {
		writeJSON(w, http.StatusOK, map[string]string{"status": "duplicate", "delivery": guid})
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "accepted", "delivery": guid})
}

// readAllSized reads r whole into a buffer of the announced size, sparing
// io.ReadAll's regrowths for the tens of kilobytes of a typical payload.
func readAllSized(r io.Reader, size int64) ([]byte, error) {
	if size <= 0 || size > ingest.MaxWebhookBody {
		return io.ReadAll(r)
	}
	buf := bytes.NewBuffer(make([]byte, 0, size+1))
	_, err := buf.ReadFrom(r)
	return buf.Bytes(), err
}

// deliveryLookup is the body of POST /api/v1/webhooks/deliveries/lookup.
type deliveryLookup struct {
	IDs []string `json:"ids"`
}

// lookupDeliveries answers which of a list of delivery ids are stored.
func (s *Server) lookupDeliveries(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(w, r, 1<<20)
	if err != nil {
		s.writeAPIError(w, r, err, core.ScopeRead)
		return
	}
	var req deliveryLookup
	var ps core.Problems
	if err := json.Unmarshal(body, &req); err != nil {
		ps.Add("ids", "the body must be a JSON object {\"ids\": [\"<X-GitHub-Delivery>\", …]}")
	} else if len(req.IDs) > maxLookupIDs {
		ps.Add("ids", "at most "+strconv.Itoa(maxLookupIDs)+" ids per request")
	}
	if err := ps.Invalid("invalid lookup"); err != nil {
		s.writeAPIError(w, r, err, core.ScopeRead)
		return
	}
	stored, err := store.StoredDeliveryIDs(r.Context(), s.db.R, req.IDs)
	if err != nil {
		s.writeAPIError(w, r, err, core.ScopeRead)
		return
	}
	have := make(map[string]bool, len(stored))
	for _, id := range stored {
		have[id] = true
	}
	missing := []string{}
	for _, id := range req.IDs {
		if !have[id] {
			missing = append(missing, id)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"stored": stored, "missing": missing})
}
