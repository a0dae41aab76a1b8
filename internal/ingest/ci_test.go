package ingest

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sextant-dev/sextant/internal/core"
)

var parseNow = time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)

// problemFields returns the fields named by err's problems, in order.
func problemFields(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var ps core.Problems
	if !errors.As(err, &ps) || core.ErrorCode(err) != core.CodeInvalid {
		t.Fatalf("error %v carries no problems or is not invalid", err)
	}
	var fields []string
	for _, p := range ps {
		fields = append(fields, p.Field)
	}
	return fields
}

func TestParseCIEventRules(t *testing.T) {
	big := `{"k":"` + strings.Repeat("x", MaxCIMetadata) + `"}`
	for _, tc := range []struct {
		name, body string
		fields     []string // problems expected, by field
	}{
		{"minimal push", `{"event":"push","repo":"acme/api"}`, nil},
		{"everything", `{"event":"deploy","repo":"acme/api","time":"2026-05-04T09:00:00+02:00","sha":"ABCDEF1234",
			"ref":"refs/heads/main","environment":"staging","status":"failure","id":"run-1","url":"https://ci.example/1",
			"duration_ms":1500,"metadata":{"a":[1,2]}}`, nil},
		{"custom event", `{"event":"lint.done","repo":"ALL"}`, nil},
		{"not an object", `[1]`, []string{"body"}},
		{"not json", `{"event":`, []string{"body"}},
		{"missing both", `{}`, []string{"event", "repo"}},
		{"nulls are missing", `{"event":null,"repo":null}`, []string{"event", "repo"}},
		{"wrong types", `{"event":1,"repo":true,"sha":2}`, []string{"event", "repo", "sha"}},
		{"every problem at once", `{"event":"Deploy!","repo":"noslash","time":"yesterday","sha":"xyz","status":"done",
			"url":"ftp://x","duration_ms":-1,"metadata":[1],"env":"prod"}`,
			[]string{"env", "event", "repo", "time", "sha", "status", "url", "duration_ms", "metadata"}},
		{"fractional duration", `{"event":"push","repo":"a/b","duration_ms":1.5}`, []string{"duration_ms"}},
		{"reserved event", `{"event":"calc_deployment_freq","repo":"a/b"}`, []string{"event"}},
		{"deploy to ALL", `{"event":"deploy","repo":"ALL"}`, []string{"repo"}},
		{"rollback to ALL", `{"event":"rollback","repo":"ALL"}`, []string{"repo"}},
		{"incident without id", `{"event":"incident_opened","repo":"ALL"}`, []string{"id"}},
		{"deployment on a deploy", `{"event":"deploy","repo":"a/b","deployment":"7"}`, []string{"deployment"}},
		{"empty strings", `{"event":"push","repo":"a/b","ref":"","id":""}`, []string{"ref", "id"}},
		{"control character", `{"event":"push","repo":"a/b","environment":"pro\nd"}`, []string{"environment"}},
		{"far future", `{"event":"push","repo":"a/b","time":"2026-05-04T12:00:00Z"}`, []string{"time"}},
		{"metadata too large", `{"event":"push","repo":"a/b","metadata":` + big + `}`, []string{"metadata"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseCIEvent([]byte(tc.body), parseNow)
			if got := problemFields(t, err); !slices.Equal(got, tc.fields) {
				t.Errorf("problems in %v; want %v (error: %v)", got, tc.fields, err)
			}
		})
	}
}

func TestParseCIEventDefaults(t *testing.T) {
	e, err := ParseCIEvent([]byte(`{"event":"deploy","repo":"acme/api","sha":"ABCDEF1"}`), parseNow)
	if err != nil {
		t.Fatal(err)
	}
	if !e.Time.Equal(parseNow) || e.Status != core.CIStatusSuccess || e.Environment != core.DefaultEnvironment || e.SHA != "abcdef1" {
		t.Errorf("defaults: time %s status %q environment %q sha %q", e.Time, e.Status, e.Environment, e.SHA)
	}
	e, err = ParseCIEvent([]byte(`{"event":"push","repo":"acme/api","time":"2026-05-04T09:00:00.123456+02:00",
		"metadata":{ "a" : 1 }}`), parseNow)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 5, 4, 7, 0, 0, 123e6, time.UTC); !e.Time.Equal(want) || e.Time.Location() != time.UTC {
		t.Errorf("time = %s; want %s in UTC, to the millisecond", e.Time, want)
	}
	if string(e.Metadata) != `{"a":1}` || e.Status != "" || e.Environment != "" {
		t.Errorf("push: metadata %s status %q environment %q", e.Metadata, e.Status, e.Environment)
	}
}

// The seed service's own example must be accepted as it is.
func TestParseLegacyCIEventSeedExample(t *testing.T) {
	body := `{
    "Time": "2021-01-01 00:00:00",
    "Repo": "test_repo",
    "Event": "push",
    "Metadata": "{test_metadata: value}"
}`
	e, err := ParseLegacyCIEvent([]byte(body), parseNow)
	if err != nil {
		t.Fatal(err)
	}
	if e.Event != "push" || e.Repo != "test_repo" || !e.Time.Equal(time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("parsed %+v", e)
	}
	var md map[string]string
	if err := json.Unmarshal(e.Metadata, &md); err != nil || md["text"] != "{test_metadata: value}" {
		t.Errorf("metadata %s; want the free text kept", e.Metadata)
	}
}

func TestParseLegacyCIEventRules(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		fields     []string
	}{
		{"json metadata kept as object", `{"Repo":"acme/api","Event":"deploy","Metadata":"{\"v\":1}"}`, nil},
		{"extra fields ignored", `{"Repo":"r","Event":"test_pass","Branch":"main"}`, nil},
		{"missing", `{}`, []string{"Event", "Repo"}},
		{"new event names are not legacy", `{"Repo":"r","Event":"rollback"}`, []string{"Event"}},
		{"bad time and repo", `{"Repo":"a b","Event":"push","Time":"01/01/2021"}`, []string{"Repo", "Time"}},
		{"deploy to ALL", `{"Repo":"ALL","Event":"deploy"}`, []string{"Repo"}},
		{"not a string", `{"Repo":"r","Event":"push","Metadata":{"a":1}}`, []string{"Metadata"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseLegacyCIEvent([]byte(tc.body), parseNow)
			if got := problemFields(t, err); !slices.Equal(got, tc.fields) {
				t.Errorf("problems in %v; want %v (error: %v)", got, tc.fields, err)
			}
		})
	}
}
