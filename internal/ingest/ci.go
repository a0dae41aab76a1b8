// Package ingest takes input into Sextant: GitHub webhook deliveries and
// CI/CD events, validated, stored and projected onto the domain tables.
package ingest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/sextant-dev/sextant/internal/core"
)

// Limits of a CI event.
const (
	MaxCIBody      = 1 << 20  // request body
	MaxCIMetadata  = 64 << 10 // metadata, as compact JSON
	maxCIString    = 255      // ids, refs, environments
	maxCIURL       = 2048
	maxCIFuture    = time.Hour // clock skew tolerated on a CI runner
	maxCIDuration  = int64(366 * 24 * time.Hour / time.Millisecond)
	legacyTimeForm = "2006-01-02 15:04:05"
)

var (
	ciEventName = regexp.MustCompile(core.CIEventPattern)
	ciRepo      = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}$`)
	ciBareRepo  = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,100}$`)
	ciSHA       = regexp.MustCompile(`^[0-9a-fA-F]{7,64}$`)
)

// builtinCIEvents are the event names with a meaning; any other valid name
// is a custom event, stored and listed but without domain effects.
var builtinCIEvents = []string{
	core.EventPush, core.EventDeploy, core.EventTestPass, core.EventTestFail,
	core.EventIncidentOpened, core.EventIncidentResolved, core.EventRollback,
}

var ciStatuses = []string{core.CIStatusSuccess, core.CIStatusFailure, core.CIStatusError, core.CIStatusInProgress}

// ciFields are the fields of a version 1 event body.
var ciFields = []string{"event", "repo", "time", "sha", "ref", "environment", "status", "id",
	"deployment", "url", "duration_ms", "metadata"}

// ParseCIEvent decodes and validates a version 1 event body. now is the
// time of an event that gives none. A bad body is an invalid-input error
// listing every problem by field (core.Problems in its chain).
func ParseCIEvent(body []byte, now time.Time) (core.CIEvent, error) {
	var (
		e   core.CIEvent
		ps  core.Problems
		raw map[string]json.RawMessage
	)
	if err := json.Unmarshal(body, &raw); err != nil || raw == nil {
		ps.Add("body", "must be a JSON object")
		return e, ps.Invalid("invalid event")
	}
	var unknown []string
	for k := range raw {
		if !slices.Contains(ciFields, k) {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		// Rejected rather than ignored: a misspelt field ("env") would
		// otherwise lose its value without anyone noticing.
		ps.Add(k, "unknown field (known: "+strings.Join(ciFields, ", ")+")")
	}

	str := func(field string, dst *string) bool {
		v, ok := raw[field]
		if !ok || string(v) == "null" {
			return false
		}
		if err := json.Unmarshal(v, dst); err != nil {
			ps.Add(field, "must be a string")
			return false
		}
		return true
	}

	if str("event", &e.Event) {
		switch {
		case e.Event == "":
			ps.Add("event", "is required")
		case e.Event == core.EventCalcDeployFreq:
			ps.Add("event", e.Event+" is computed by Sextant and cannot be reported")
		case !ciEventName.MatchString(e.Event):
			ps.Add("event", fmt.Sprintf("%q is not one of %s or a custom name matching %s",
				e.Event, strings.Join(builtinCIEvents, ", "), core.CIEventPattern))
		}
	} else if v, ok := raw["event"]; !ok || string(v) == "null" {
		ps.Add("event", "is required")
	}
	if str("repo", &e.Repo) {
		if e.Repo == "" {
			ps.Add("repo", "is required")
		} else if e.Repo != core.RepoAll && !ciRepo.MatchString(e.Repo) {
			ps.Add("repo", fmt.Sprintf("%q is not owner/name or %s", e.Repo, core.RepoAll))
		}
	} else if v, ok := raw["repo"]; !ok || string(v) == "null" {
		ps.Add("repo", "is required")
	}
	var ts string
	if str("time", &ts) {
		t, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			ps.Add("time", fmt.Sprintf("%q is not an RFC 3339 time such as 2024-05-01T12:00:00Z", ts))
		}
		e.Time = t
	}
	if str("sha", &e.SHA) && !ciSHA.MatchString(e.SHA) {
		ps.Add("sha", fmt.Sprintf("%q is not a commit sha (7 to 64 hexadecimal digits)", e.SHA))
	}
	e.SHA = strings.ToLower(e.SHA)
	text := func(field string, dst *string) {
		if str(field, dst) {
			if msg := checkText(*dst); msg != "" {
				ps.Add(field, msg)
			}
		}
	}
	text("ref", &e.Ref)
	text("environment", &e.Environment)
	text("id", &e.ClientID)
	text("deployment", &e.Deployment)
	if str("status", &e.Status) && !slices.Contains(ciStatuses, e.Status) {
		ps.Add("status", fmt.Sprintf("%q is not one of %s", e.Status, strings.Join(ciStatuses, ", ")))
	}
	if str("url", &e.URL) {
		if u, err := url.Parse(e.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			ps.Add("url", fmt.Sprintf("%q is not an http(s) URL", e.URL))
		} else if len(e.URL) > maxCIURL {
			ps.Add("url", fmt.Sprintf("is longer than %d characters", maxCIURL))
		}
	}
	if v, ok := raw["duration_ms"]; ok && string(v) != "null" {
		var n json.Number
		d := json.NewDecoder(bytes.NewReader(v))
		d.UseNumber()
		ms, err := int64(0), d.Decode(&n)
		if err == nil {
			ms, err = n.Int64()
		}
		switch {
		case err != nil:
			ps.Add("duration_ms", "must be a whole number of milliseconds")
		case ms < 0 || ms > maxCIDuration:
			ps.Add("duration_ms", fmt.Sprintf("must be between 0 and %d (a year)", maxCIDuration))
		default:
			e.DurationMS = &ms
		}
	}
	if v, ok := raw["metadata"]; ok && string(v) != "null" {
		e.Metadata = checkMetadata(v, &ps)
	}
	checkCIEvent(&e, now, &ps)
	return e, ps.Invalid("invalid event")
}

// checkMetadata returns the metadata as compact JSON, adding a problem when
// it is not an object or too large.
func checkMetadata(v json.RawMessage, ps *core.Problems) json.RawMessage {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(v, &obj); err != nil {
		ps.Add("metadata", "must be a JSON object")
		return nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, v); err != nil {
		ps.Add("metadata", "must be a JSON object")
		return nil
	}
	if buf.Len() > MaxCIMetadata {
		ps.Add("metadata", fmt.Sprintf("is %d bytes; the limit is %d (64 KiB)", buf.Len(), MaxCIMetadata))
		return nil
	}
	return buf.Bytes()
}

// checkCIEvent applies the rules that depend on the event name, and fills
// the defaults (time, deploy status, environment) so that what is stored
// is what was acted on.
func checkCIEvent(e *core.CIEvent, now time.Time, ps *core.Problems) {
	if e.Time.IsZero() {
		e.Time = now
	} else if e.Time.After(now.Add(maxCIFuture)) {
		ps.Add("time", fmt.Sprintf("%s is more than an hour in the future", e.Time.Format(time.RFC3339)))
	}
	e.Time = e.Time.UTC().Truncate(time.Millisecond)
	switch e.Event {
	case core.EventDeploy, core.EventRollback:
		if e.Repo == core.RepoAll {
			ps.Add("repo", "a "+e.Event+" event needs one repository as owner/name, not "+core.RepoAll)
		}
		if e.Environment == "" {
			e.Environment = core.DefaultEnvironment
		}
	case core.EventIncidentOpened, core.EventIncidentResolved:
		if e.ClientID == "" {
			ps.Add("id", "is required for "+e.Event+": incident_opened and incident_resolved with the same id are one incident")
		}
	}
	if e.Event == core.EventDeploy && e.Status == "" {
		e.Status = core.CIStatusSuccess
	}
	switch e.Event {
	case core.EventPush, core.EventDeploy, core.EventTestPass, core.EventTestFail:
		if e.Deployment != "" {
			ps.Add("deployment", "only incident_opened, incident_resolved and rollback events refer to a deployment")
		}
	}
}

// checkText returns what is wrong with a short identifier, or "".
func checkText(s string) string {
	if s == "" {
		return "must not be empty (leave the field out instead)"
	}
	if len(s) > maxCIString {
		return fmt.Sprintf("is longer than %d characters", maxCIString)
	}
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return "must not contain control characters"
	}
	return ""
}

var legacyEvents = []string{core.EventPush, core.EventDeploy, core.EventTestPass}

// legacyFields maps the older payload's field names to version 1's, so
// problems found by the shared rules name the field the client sent.
var legacyFields = map[string]string{"time": "Time", "repo": "Repo", "event": "Event", "metadata": "Metadata"}

// ParseLegacyCIEvent decodes and validates the payload of the older DevOps
// event service, {"Time": "2021-01-01 00:00:00", "Repo": "test_repo",
// "Event": "push", "Metadata": "…"}. Time is UTC ("2006-01-02 15:04:05" or
// RFC 3339) and defaults to now; Repo may be a bare name; Metadata is free
// text, kept as {"text": …} unless it is itself a JSON object. Other fields
// are ignored, as the older service did.
func ParseLegacyCIEvent(body []byte, now time.Time) (core.CIEvent, error) {
	var (
		e   core.CIEvent
		ps  core.Problems
		raw map[string]json.RawMessage
	)
	if err := json.Unmarshal(body, &raw); err != nil || raw == nil {
		ps.Add("body", "must be a JSON object with Time, Repo, Event and Metadata")
		return e, ps.Invalid("invalid event")
	}
	// str returns a field's string; ok is false when it is absent, empty
	// or not a string (a problem then says so, unless required is false).
	str := func(field string, required bool) (string, bool) {
		v, given := raw[field]
		var s string
		if given && string(v) != "null" && json.Unmarshal(v, &s) != nil {
			ps.Add(field, "must be a string")
			return "", false
		}
		if s == "" && required {
			ps.Add(field, "is required")
		}
		return s, s != ""
	}
	if ev, ok := str("Event", true); ok {
		if slices.Contains(legacyEvents, ev) {
			e.Event = ev
		} else {
			ps.Add("Event", fmt.Sprintf("%q is not one of %s", ev, strings.Join(legacyEvents, ", ")))
		}
	}
	if r, ok := str("Repo", true); ok {
		if r == core.RepoAll || ciRepo.MatchString(r) || ciBareRepo.MatchString(r) {
			e.Repo = r
		} else {
			ps.Add("Repo", fmt.Sprintf("%q is not a repository name, owner/name or %s", r, core.RepoAll))
		}
	}
	if ts, ok := str("Time", false); ok {
		t, err := time.Parse(legacyTimeForm, ts)
		if err != nil {
			t, err = time.Parse(time.RFC3339Nano, ts)
		}
		if err != nil {
			ps.Add("Time", fmt.Sprintf("%q is not a time such as 2021-01-01 00:00:00 (UTC)", ts))
		}
		e.Time = t
	}
	if md, ok := str("Metadata", false); ok {
		var obj map[string]json.RawMessage
		v := json.RawMessage(md)
		if json.Unmarshal(v, &obj) != nil {
			v, _ = json.Marshal(map[string]string{"text": md})
		}
		e.Metadata = checkMetadata(v, &ps)
	}
	if e.Event != "" && e.Repo != "" {
		checkCIEvent(&e, now, &ps)
	}
	for i, p := range ps {
		if name, ok := legacyFields[p.Field]; ok {
			ps[i].Field = name
		}
	}
	return e, ps.Invalid("invalid event")
}
