package web

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

// The pages against API answers in the field names of issues 7 and 8
// (docs/API.md once those land): what each page shows, computed by hand
// from the answers below. These pin the front end's reading of the API;
// when a field is renamed, js/api.js and these answers change together.

// May 2024, a range the URL sets so the dates below stay inside it.
const sampleRange = "from=2024-05-01&to=2024-05-31"

func decode(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("sample answer: %v\n%s", err, s)
	}
	return v
}

// sampleAPI answers every read endpoint with a small organization: five
// deployments of which three are successful production ones (one of them
// caused a failure), three deployed pull requests and an open one, one
// incident.
func sampleAPI(t *testing.T, d *dashboard) {
	doraNow := decode(t, `{
		"deployment_frequency": {"deployments": 3, "median_deploy_days_per_week": 1.5, "level": "high"},
		"lead_time": {"median_seconds": 93600, "p75_seconds": 172800, "p90_seconds": 345600, "changes": 3, "level": "high"},
		"change_failure_rate": {"rate": 0.3333, "failed_deployments": 1, "deployments": 3, "level": "low"},
		"time_to_restore": {"median_seconds": 5400, "incidents": 1, "level": "high"},
		"rework_rate": {"rate": 0.1667, "deployments": 3},
		"series": [
			{"start": "2024-04-29T00:00:00Z", "deployment_frequency": {"deployments": 1}, "lead_time": {"median_seconds": 86400}, "change_failure_rate": {"rate": 0}, "time_to_restore": {"median_seconds": null}, "rework_rate": {"rate": 0}},
			{"start": "2024-05-06T00:00:00Z", "deployment_frequency": {"deployments": 2}, "lead_time": {"median_seconds": 100800}, "change_failure_rate": {"rate": 0.5}, "time_to_restore": {"median_seconds": 5400}, "rework_rate": {"rate": 0.5}}
		]}`)
	// The previous period: 2 deployments, lead time 2 days, no failure.
	doraBefore := decode(t, `{
		"deployment_frequency": {"deployments": 2, "median_deploy_days_per_week": 1, "level": "high"},
		"lead_time": {"median_seconds": 172800, "changes": 2, "level": "high"},
		"change_failure_rate": {"rate": 0, "failed_deployments": 0, "deployments": 2, "level": "elite"},
		"time_to_restore": {"median_seconds": null, "incidents": 0, "level": null},
		"rework_rate": {"rate": 0, "deployments": 2}, "series": []}`)
	d.answer("/api/v1/dora", func(q url.Values) any {
		if q.Get("from") < "2024-05-01" {
			return doraBefore
		}
		return doraNow
	})
	board := map[string]any{
		"person": decode(t, `{"entries": [
			{"rank": 1, "name": "alice", "score": 120, "breakdown": {"pulls_merged": 9, "reviews": 10}, "previous_rank": 4, "previous_score": 40},
			{"rank": 2, "name": "bob", "score": 95.5, "breakdown": {"pulls_merged": 8, "reviews": 5}, "previous_rank": 1, "previous_score": 100},
			{"rank": 3, "name": "carol", "score": 30, "breakdown": {"comments": 30}, "previous_rank": null, "previous_score": null}]}`),
		"team": decode(t, `{"entries": [
			{"rank": 1, "name": "platform", "score": 150, "breakdown": {}, "previous_rank": 1, "previous_score": 90},
			{"rank": 2, "name": "web", "score": 95.5, "breakdown": {}, "previous_rank": 2, "previous_score": 100}]}`),
		"org": decode(t, `{"entries": [{"rank": 1, "name": "Acme Partners", "score": 245.5, "breakdown": {}, "previous_rank": null, "previous_score": null}]}`),
	}
	d.answer("/api/v1/leaderboard", func(q url.Values) any { return board[q.Get("group")] })
	deployments := decode(t, `{"deployments": [
		{"id": 1, "repo": "acme/api", "environment": "production", "sha": "aaaaaaa1", "status": "success", "finished_at": "2024-05-02T10:00:00Z", "source": "github", "changes": [10, 11], "failed": false},
		{"id": 2, "repo": "acme/api", "environment": "production", "sha": "bbbbbbb2", "status": "success", "finished_at": "2024-05-08T10:00:00Z", "source": "ci", "changes": [12], "failed": true},
		{"id": 3, "repo": "acme/web", "environment": "prod", "sha": "ccccccc3", "status": "success", "finished_at": "2024-05-09T10:00:00Z", "source": "workflow", "changes": [], "failed": false},
		{"id": 4, "repo": "acme/api", "environment": "staging", "sha": "ddddddd4", "status": "success", "finished_at": "2024-05-09T11:00:00Z", "source": "ci", "changes": [], "failed": false},
		{"id": 5, "repo": "acme/api", "environment": "production", "sha": "eeeeeee5", "status": "failure", "finished_at": "2024-05-07T10:00:00Z", "source": "ci", "changes": [], "failed": false}]}`)
	d.answer("/api/v1/deployments", func(url.Values) any { return deployments })
	pulls := decode(t, `{"pulls": [
		{"repo": "acme/api", "number": 10, "author": "alice", "state": "merged", "merged_at": "2024-05-01T12:00:00Z", "merge_commit_sha": "a1", "coding_seconds": 3600, "pickup_seconds": 7200, "review_seconds": 10800, "deploy_seconds": 79200, "lead_time_seconds": 100800, "deployment": 1},
		{"repo": "acme/api", "number": 11, "author": "bob", "state": "merged", "merged_at": "2024-05-01T18:00:00Z", "merge_commit_sha": "a2", "coding_seconds": 1800, "pickup_seconds": null, "review_seconds": 3600, "deploy_seconds": 57600, "lead_time_seconds": 93600, "deployment": 1},
		{"repo": "acme/api", "number": 12, "author": "alice", "state": "merged", "merged_at": "2024-05-07T10:00:00Z", "merge_commit_sha": "a3", "coding_seconds": 7200, "pickup_seconds": 3600, "review_seconds": 3600, "deploy_seconds": 86400, "lead_time_seconds": 86400, "deployment": 2},
		{"repo": "acme/web", "number": 7, "author": "carol", "state": "open", "created_at": "2024-04-20T09:00:00Z", "merged_at": null, "coding_seconds": 600, "pickup_seconds": null, "review_seconds": null, "deploy_seconds": null, "lead_time_seconds": null, "deployment": null}]}`)
	d.answer("/api/v1/pulls", func(url.Values) any { return pulls })
	incidents := decode(t, `{"incidents": [
		{"id": 31, "repo": "acme/api", "title": "API 500s after deploy", "source": "github", "opened_at": "2024-05-08T11:00:00Z", "resolved_at": "2024-05-08T12:30:00Z", "deployment": 2,
		 "url": "javascript:alert(1)"}]}`)
	d.answer("/api/v1/incidents", func(url.Values) any { return incidents })
	flow := decode(t, `{
		"coding_seconds": 3600, "pickup_seconds": 5400, "review_seconds": 3600, "deploy_seconds": 79200, "opened": 4, "merged": 3,
		"series": [
			{"start": "2024-04-29T00:00:00Z", "coding_seconds": 2700, "pickup_seconds": 7200, "review_seconds": 7200, "deploy_seconds": 68400},
			{"start": "2024-05-06T00:00:00Z", "coding_seconds": 7200, "pickup_seconds": 3600, "review_seconds": 3600, "deploy_seconds": 86400}]}`)
	d.answer("/api/v1/flow", func(url.Values) any { return flow })
	d.answer("/api/v1/repos", func(url.Values) any {
		return decode(t, `{"repos": [{"full_name": "acme/api"}, {"full_name": "acme/web"}]}`)
	})
	d.answer("/api/v1/teams", func(url.Values) any {
		return decode(t, `{"teams": [{"org": "acme", "slug": "platform", "name": "Platform"}]}`)
	})
	d.answer("/api/v1/health/data", func(url.Values) any {
		return decode(t, `{
			"repos": [{"repo": "acme/api", "last_webhook_at": "2024-05-09T11:00:00Z", "synced_at": "2024-05-09T10:00:00Z",
				"watermarks": {"pulls": "2024-05-09T09:58:00Z", "issues": "2024-05-09T09:40:00Z"},
				"check": {"checked_at": "2024-05-09T10:30:00Z", "status": "gaps", "requests": 1, "error": null, "findings": [
					{"kind": "pull_requests", "expected": 120, "found": 118, "repair_status": "queued", "repair_job": 7, "repaired_at": null}]}}],
			"orgs": [{"org": "acme", "synced_at": "2024-05-09T05:00:00Z", "last_webhook_at": null,
				"check": {"checked_at": "2024-05-09T10:30:00Z", "status": "clean", "requests": 2, "error": null, "findings": []}}],
			"hooks": [{"hook": "hook:org:acme:12", "synced_at": null, "last_webhook_at": null,
				"check": {"checked_at": "2024-05-09T10:30:00Z", "status": "gaps", "requests": 1, "error": null, "findings": [
					{"kind": "deliveries_missing", "expected": 0, "found": 3, "detail": "deliveries never received, redelivered: a, b, c",
					 "repair_status": "running", "repair_job": 8, "repaired_at": null}]}}],
			"store": {"checked_at": "2024-05-09T10:30:00Z", "status": "clean", "requests": 0, "error": null, "findings": []},
			"rate_limits": [{"token": "token", "resource": "core", "remaining": 4200, "limit": 5000, "reset_at": "2024-05-09T12:00:00Z"}],
			"queue": [{"kind": "github.sync_repo", "state": "pending", "count": 2}, {"kind": "integrity.repair", "state": "running", "count": 0}]}`)
	})
}

// want is what a page must show for a data-testid: its text contains text
// (when given) and its data-value is value (when given).
type want struct{ text, value string }

func checkShown(t *testing.T, page string, shown map[string]shownValue, wants map[string]want) {
	t.Helper()
	for id, w := range wants {
		s, ok := shown[id]
		switch {
		case !ok:
			t.Errorf("%s: nothing with data-testid %q", page, id)
		case w.text != "" && !strings.Contains(s.Text, w.text):
			t.Errorf("%s: %s shows %q, want %q", page, id, s.Text, w.text)
		case w.value != "" && (s.Value == nil || *s.Value != w.value):
			got := "none"
			if s.Value != nil {
				got = *s.Value
			}
			t.Errorf("%s: %s data-value = %s, want %s", page, id, got, w.value)
		}
	}
}

// firstWords is the first word of each row of a table, in order.
func firstWords(tb *tab, testid string) string {
	tb.t.Helper()
	return strings.Join(eval[[]string](tb, `[...document.querySelectorAll('[data-testid=`+testid+`] tbody tr')]
		.map((r) => r.cells[0].innerText.split(' ')[0])`), " ")
}

func TestBrowserShowsAPIValues(t *testing.T) {
	browser := newBrowser(t)
	d := startDashboard(t, dashboardOptions{anonymousRead: true})
	sampleAPI(t, d)
	tb := newTab(t, browser, laptop)

	tb.open(d.URL + "/?" + sampleRange)
	checkShown(t, "overview", tb.shown(), map[string]want{
		"metric-deployment-frequency-value": {text: "3", value: "3"},
		"metric-deployment-frequency-level": {text: "High"},
		// 3 deployments against 2: (3 − 2) / 2 = +50%, more is better.
		"metric-deployment-frequency-change": {text: "+50% (better)", value: "1"},
		// 93,600 s / 3,600 = 26 h; against 172,800 s: (93,600 − 172,800) / 172,800 = −45.8%, rounded −46%.
		"metric-lead-time-value":  {text: "26 h", value: "93600"},
		"metric-lead-time-change": {text: "−46% (better)"},
		// 0.3333 is 33%; the previous 0 leaves no relative change: +0.3 in absolute terms, worse.
		"metric-change-failure-rate-value":  {text: "33%", value: "0.3333"},
		"metric-change-failure-rate-level":  {text: "Low"},
		"metric-change-failure-rate-change": {text: "(worse)"},
		// 5,400 s / 3,600 = 1.5 h; no previous value.
		"metric-time-to-restore-value":  {text: "1.5 h", value: "5400"},
		"metric-time-to-restore-change": {text: "no previous value"},
		// 0.1667 is 16.67%, rounded 17%.
		"metric-rework-rate-value": {text: "17%", value: "0.1667"},
		// alice: from 4th to 1st, 3 places up; bob from 1st to 2nd.
		"mover-person-alice": {text: "3 places up", value: "3"},
		"mover-person-bob":   {text: "1 place down", value: "-1"},
	})
	if got := tb.shown()["movers-team"].Text; !strings.Contains(got, "No rank changes") {
		t.Errorf("teams kept their ranks, movers say %q", got)
	}
	tb.screenshot("overview-sample")

	tb.open(d.URL + "/dora?" + sampleRange + "&drill=deployments")
	shown := tb.shown()
	// The list behind deployment frequency: ids 1, 2 and 3 (production or
	// prod, success); not 4 (staging) nor 5 (failed).
	checkShown(t, "dora", shown, map[string]want{
		"drill-count":                        {value: "3"},
		"drill-expected":                     {value: "3"},
		"drill-table":                        {text: "aaaaaaa"},
		"chart-lead_time":                    {text: "Lead time for changes per day"},
		"repo-acme/api-deployment_frequency": {value: "3"},
		"team-platform-change_failure_rate":  {text: "33%"},
	})
	if _, bad := shown["drill-mismatch"]; bad {
		t.Errorf("drill-down says it does not add up: %s", shown["drill-mismatch"].Text)
	}
	for _, sha := range []string{"bbbbbbb", "ccccccc"} {
		if !strings.Contains(shown["drill-table"].Text, sha) {
			t.Errorf("deployments list lacks %s: %s", sha, shown["drill-table"].Text)
		}
	}
	for _, sha := range []string{"ddddddd", "eeeeeee"} {
		if strings.Contains(shown["drill-table"].Text, sha) {
			t.Errorf("deployments list has %s, which deployment frequency does not count", sha)
		}
	}
	if n := eval[int](tb, `document.querySelectorAll('.chart canvas').length`); n != 5 {
		t.Errorf("%d charts drawn, want one per metric (5)", n)
	}
	tb.screenshot("dora-sample")

	for drill, n := range map[string]string{"failures": "1", "changes": "3", "incidents": "1"} {
		tb.open(d.URL + "/dora?" + sampleRange + "&drill=" + drill)
		checkShown(t, "dora "+drill, tb.shown(), map[string]want{"drill-count": {value: n}, "drill-expected": {value: n}})
	}

	tb.open(d.URL + "/leaderboard?" + sampleRange)
	checkShown(t, "leaderboard", tb.shown(), map[string]want{
		"podium-1":           {text: "alice"},
		"podium-1-score":     {value: "120"},
		"podium-2":           {text: "bob"},
		"rank-carol":         {value: "3"},
		"score-change-alice": {text: "+80", value: "80"},    // 120 − 40
		"score-change-bob":   {text: "−4.5", value: "-4.5"}, // 95.5 − 100
		"score-change-carol": {text: "—", value: ""},
		"leaderboard-table":  {text: "9 merged PRs · 10 reviews"},
	})
	if href := eval[string](tb, `document.querySelector('[data-testid=leaderboard-table] a[title^="Pull requests by alice"]').getAttribute('href')`); !strings.HasPrefix(href, "/pulls?") || !strings.Contains(href, "author=alice") {
		t.Errorf("alice's link = %q, want her pull requests", href)
	}
	tb.screenshot("leaderboard-sample")
	tb.open(d.URL + "/leaderboard?" + sampleRange + "&group=org")
	checkShown(t, "leaderboard companies", tb.shown(), map[string]want{"podium-1": {text: "Acme Partners"}})

	tb.open(d.URL + "/pulls?" + sampleRange)
	checkShown(t, "pulls", tb.shown(), map[string]want{
		"phase-coding-value": {text: "1 h", value: "3600"},
		"phase-deploy-value": {text: "22 h", value: "79200"}, // 79,200 / 3,600
		"merged-value":       {value: "3"},
		// Slowest first: #10 (100,800 s = 28 h), #11 (26 h), #12 (24 h).
		"slowest-table":    {text: "acme/api#10"},
		"lead-acme/api#10": {text: "28 h"},
		"oldest-table":     {text: "acme/web#7"},
		"chart-cycle":      {text: "Median cycle time per day, by phase"},
	})
	if order := firstWords(tb, "slowest-table"); order != "acme/api#10 acme/api#11 acme/api#12" {
		t.Errorf("slowest merged order = %v", order)
	}
	tb.screenshot("pulls-sample")
	// From the leaderboard: one contributor's pull requests.
	tb.open(d.URL + "/pulls?" + sampleRange + "&author=alice")
	if rows := firstWords(tb, "slowest-table"); rows != "acme/api#10 acme/api#12" {
		t.Errorf("alice's merged pull requests = %v, want #10 and #12", rows)
	}

	tb.open(d.URL + "/deployments?" + sampleRange)
	checkShown(t, "deployments", tb.shown(), map[string]want{
		// Deployed: 1, 2, 3 and 4 (any environment); failed: 5; caused a failure: 2.
		"count-deployed":  {value: "4"},
		"count-failed":    {value: "1"},
		"count-caused":    {value: "1"},
		"count-rollbacks": {value: "0"},
		"count-incidents": {value: "1"},
		"incidents-table": {text: "API 500s after deploy"},
	})
	if n := eval[int](tb, `[...document.querySelectorAll('a')].filter((a) => !/^(https?:|\/|\?|#)/.test(a.getAttribute('href'))).length`); n != 0 {
		t.Errorf("%d links that are not http(s) or this site's (an incident's javascript: URL must not become a link)", n)
	}
	lanes := eval[[]string](tb, `[...document.querySelectorAll('.timeline .lane-label')].map((e) => e.textContent)`)
	if strings.Join(lanes, ",") != "prod,production,staging,incidents" {
		t.Errorf("timeline lanes = %v, want production environments first, then the others, then incidents", lanes)
	}
	if n := eval[int](tb, `document.querySelectorAll('.timeline line.link').length`); n != 1 {
		t.Errorf("%d incident-to-deployment links drawn, want 1", n)
	}
	tb.screenshot("deployments-sample")

	tb.open(d.URL + "/data-health")
	checkShown(t, "data health", tb.shown(), map[string]want{
		"limit-core-remaining":           {text: "4,200", value: "4200"},
		"queue-github.sync_repo-pending": {value: "2"},
		"findings-acme/api":              {value: "1"},
		"findings-table":                 {text: "pull_requests"},
		"sync-orgs":                      {text: "acme"},
	})
	if got := tb.shown()["findings-table"].Text; !strings.Contains(got, "hook:org:acme:12") || !strings.Contains(got, "deliveries_missing") {
		t.Errorf("the findings table leaves out the webhook's findings: %q", got)
	}
	if _, shownZero := tb.shown()["queue-integrity.repair-running"]; shownZero {
		t.Error("the queue lists a kind and state with no jobs")
	}
	tb.screenshot("health-sample")
	tb.open(d.URL + "/data-health?org=other")
	if got := tb.shown()["health-sync"].Text; !strings.Contains(got, "No repositories synced yet") {
		t.Errorf("data health for another organization shows %q", got)
	}
	tb.noProblems()

	// With data, at phone size, nothing is wider than the screen: wide
	// tables scroll inside their own region.
	ph := newTab(t, browser, phone)
	for _, p := range dashboardPages() {
		ph.open(d.URL + p.Href() + "?" + sampleRange)
		if overflow := eval[int](ph, `document.documentElement.scrollWidth - window.innerWidth`); overflow > 0 {
			t.Errorf("%s with data: %d px wider than the phone screen", p.Href(), overflow)
		}
		ph.screenshot(p.ID + "-sample-phone")
	}
	ph.noProblems()
}
