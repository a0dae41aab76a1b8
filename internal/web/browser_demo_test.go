package web

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/sextant-dev/sextant/internal/demo"
	"github.com/sextant-dev/sextant/internal/demo/demodb"
	"github.com/sextant-dev/sextant/internal/metrics"
	"github.com/sextant-dev/sextant/internal/store"
	"github.com/sextant-dev/sextant/internal/store/storetest"
)

// The pages on the real server and the small demo organization: every
// number shown is compared with the API's answer for the same query, so
// the test proves the pages read the API right, whatever the numbers are.

// demoOptions is one month of the small organization (May 2026): enough
// for every page to have something to show, small enough to load in
// seconds (under -race, tens of seconds: the test loads it once).
var demoOptions = demo.Options{Seed: 1, Scale: demo.Small, Months: 1, End: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)}

// demoRange is the range the pages are opened with: the second half of
// May, so that the first half is its previous period. The API's "to" is
// the day after the URL's (inclusive) "to".
var demoRange = pageQuery{from: "2026-05-15", to: "2026-06-01", interval: "day"}

const demoURLRange = "from=2026-05-15&to=2026-05-31"

// demoDashboard loads the demo into a fresh SQLite database through the
// real intake and projection, derives its metrics and serves it.
func demoDashboard(t *testing.T) *dashboard {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db := storetest.Open(t, store.SQLite)
	start := time.Now()
	sum, err := demodb.Load(ctx, db, demoOptions, log, nil)
	if err != nil {
		t.Fatal(err)
	}
	engine, err := demodb.Engine(ctx, db, sum.Roster, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("demo loaded and derived in %s: %d pull requests, %d deployments, %d incidents",
		time.Since(start).Round(time.Millisecond), sum.PullRequests, sum.Deployments, sum.Incidents)
	return startDashboard(t, dashboardOptions{anonymousRead: true, db: db, engine: engine})
}

// --- what each page asks the API -------------------------------------------

// pageQuery is what a page's URL asks for, in the API's terms.
type pageQuery struct {
	from, to string // dates; to is exclusive
	interval string
	repo     string
	group    string // leaderboard
	author   string // pull requests
	drill    string // DORA
}

// apiCall is one call a page makes; all means it follows next_cursor to
// the end of the list, or until it has listMax items.
type apiCall struct {
	path  string
	query url.Values
	all   bool
}

// listMax is the most items a page reads of a list (js/api.js, all).
const listMax = 5000

func (c apiCall) String() string {
	if len(c.query) == 0 {
		return c.path
	}
	return c.path + "?" + c.query.Encode()
}

// pageCalls lists the API calls a page makes for q, as js/pages/*.js make
// them (TestBrowserDemo checks that they do), so that the benchmark times
// exactly a page's calls. today is the browser's UTC day.
func pageCalls(page string, q pageQuery, today time.Time) []apiCall {
	scope := func(extra ...string) url.Values {
		v := url.Values{"from": {q.from}, "to": {q.to}}
		if q.repo != "" {
			v.Set("repo", q.repo)
		}
		for i := 0; i+1 < len(extra); i += 2 {
			if extra[i+1] != "" {
				v.Set(extra[i], extra[i+1])
			}
		}
		return v
	}
	list := func(path string, extra ...string) apiCall {
		return apiCall{path: path, query: scope(append(extra, "limit", "1000")...), all: true}
	}
	// A drill-down reads its first page of 500; "Show more" the next ones.
	drill := func(path string, extra ...string) apiCall {
		return apiCall{path: path, query: scope(append(extra, "limit", "500")...)}
	}
	// Every page fills the filter bar's suggestions.
	calls := []apiCall{{path: "/api/v1/repos"}, {path: "/api/v1/teams"}}
	add := func(c ...apiCall) { calls = append(calls, c...) }
	switch page {
	case "overview":
		add(apiCall{path: "/api/v1/dora", query: scope("interval", q.interval)},
			apiCall{path: "/api/v1/leaderboard", query: scope("group", "team")},
			apiCall{path: "/api/v1/leaderboard", query: scope("group", "person")})
	case "dora":
		add(apiCall{path: "/api/v1/dora", query: scope("interval", q.interval)})
		switch q.drill {
		case "deployments":
			add(drill("/api/v1/deployments", "status", "success"))
		case "failures":
			add(drill("/api/v1/deployments", "status", "success", "failed", "true"))
		case "rework":
			add(drill("/api/v1/deployments", "status", "success", "rework", "true"))
		case "changes":
			add(drill("/api/v1/pulls", "by", "deployed"))
		case "incidents":
			add(drill("/api/v1/incidents", "by", "resolved"))
		}
	case "leaderboard":
		group := q.group
		if group == "" {
			group = "person"
		}
		add(apiCall{path: "/api/v1/leaderboard", query: scope("group", group, "series", "true", "interval", q.interval)})
	case "pulls":
		open := url.Values{"from": {today.AddDate(0, 0, 1-3*365).Format(time.DateOnly)}, "to": {today.AddDate(0, 0, 1).Format(time.DateOnly)},
			"by": {"created"}, "state": {"open"}, "bots": {"false"}, "order": {"oldest"}, "limit": {"10"}}
		if q.repo != "" {
			open.Set("repo", q.repo)
		}
		if q.author != "" {
			open.Set("author", q.author)
		}
		add(apiCall{path: "/api/v1/flow", query: scope("interval", q.interval)},
			apiCall{path: "/api/v1/pulls", query: scope("by", "merged", "bots", "false", "author", q.author, "order", "lead_time", "limit", "10")},
			apiCall{path: "/api/v1/pulls", query: open})
	case "deployments":
		add(list("/api/v1/deployments", "environment", "all"), list("/api/v1/incidents"))
	case "health":
		add(apiCall{path: healthPath})
	}
	return calls
}

// checkCalls compares the API requests a page made with pageCalls: the
// same calls, each once (continuations of a list with a cursor aside).
func checkCalls(t *testing.T, page string, got []string, want []apiCall) {
	t.Helper()
	var first []string
	for _, u := range got {
		p, err := url.Parse(u)
		if err != nil {
			t.Fatal(err)
		}
		q := p.Query()
		if q.Has("cursor") {
			continue
		}
		first = append(first, apiCall{path: p.Path, query: q}.String())
	}
	var w []string
	for _, c := range want {
		w = append(w, c.String())
	}
	sort.Strings(first)
	sort.Strings(w)
	if strings.Join(first, "\n") != strings.Join(w, "\n") {
		t.Errorf("%s called the API with\n  %s\nwant (pageCalls, which the benchmark times)\n  %s", page,
			strings.Join(first, "\n  "), strings.Join(w, "\n  "))
	}
}

// --- comparing what is shown with the API -------------------------------------

// valueOf is the number behind a shown value; NaN when it has none ("").
func valueOf(t *testing.T, what string, s shownValue) float64 {
	t.Helper()
	if s.Value == nil {
		t.Errorf("%s: nothing shown (no data-value)", what)
		return math.NaN()
	}
	if *s.Value == "" {
		return math.NaN()
	}
	v, err := strconv.ParseFloat(*s.Value, 64)
	if err != nil {
		t.Errorf("%s: data-value %q is not a number", what, *s.Value)
		return math.NaN()
	}
	return v
}

// sameNumber checks that a shown value is the API's (nil: unknown, shown
// as "—" with an empty data-value).
func sameNumber(t *testing.T, what string, shown map[string]shownValue, testid string, want *float64) {
	t.Helper()
	s, ok := shown[testid]
	if !ok {
		t.Errorf("%s: nothing with data-testid %q on the page", what, testid)
		return
	}
	got := valueOf(t, what, s)
	switch {
	case want == nil && !math.IsNaN(got):
		t.Errorf("%s (%s): shows %v (%q); the API says unknown", what, testid, got, s.Text)
	case want == nil:
	case math.IsNaN(got) || math.Abs(got-*want) > 1e-9*math.Max(1, math.Abs(*want)):
		t.Errorf("%s (%s): shows %v (%q); the API says %v", what, testid, got, s.Text, *want)
	}
}

func f64(v float64) *float64 { return &v }

func intp(v int) *float64 { return f64(float64(v)) }

// doraMain is each metric's main value, as its tile shows it.
func doraMain(v metrics.DORAValues) map[string]*float64 {
	return map[string]*float64{
		"deployment_frequency": intp(v.DeploymentFrequency.Deployments),
		"lead_time":            v.LeadTime.Median,
		"change_failure_rate":  v.ChangeFailureRate.Rate,
		"time_to_restore":      v.TimeToRestore.Median,
		"rework_rate":          v.ReworkRate.Rate,
	}
}

func doraLevels(v metrics.DORAValues) map[string]*string {
	return map[string]*string{
		"deployment_frequency": v.DeploymentFrequency.Level, "lead_time": v.LeadTime.Level,
		"change_failure_rate": v.ChangeFailureRate.Level, "time_to_restore": v.TimeToRestore.Level,
	}
}

var doraKeys = []string{"deployment_frequency", "lead_time", "change_failure_rate", "time_to_restore", "rework_rate"}

// checkTiles compares the DORA tiles with the API's summary: value, level
// and change against the previous period.
func checkTiles(t *testing.T, page string, shown map[string]shownValue, d metrics.DORA) {
	t.Helper()
	cur, prev := doraMain(d.DORAValues), doraMain(d.Previous.DORAValues)
	levels := doraLevels(d.DORAValues)
	for _, k := range doraKeys {
		id := "metric-" + strings.ReplaceAll(k, "_", "-")
		sameNumber(t, page+" "+k, shown, id+"-value", cur[k])
		if cur[k] == nil && shown[id+"-value"].Text != "—" {
			t.Errorf("%s %s: an unknown value shows as %q, want —", page, k, shown[id+"-value"].Text)
		}
		var change *float64
		if cur[k] != nil && prev[k] != nil {
			change = f64(*cur[k] - *prev[k])
		}
		sameNumber(t, page+" "+k+" change", shown, id+"-change", change)
		if l, ok := levels[k]; ok {
			want := "level unknown"
			if l != nil {
				want = strings.ToUpper((*l)[:1]) + (*l)[1:]
			}
			if got := shown[id+"-level"].Text; !strings.Contains(got, want) {
				t.Errorf("%s %s: level shows %q; the API says %s", page, k, got, want)
			}
		}
	}
}

// pageDone opens url, waits until it has settled, and checks that no
// section failed and nothing went wrong in the browser.
func pageDone(t *testing.T, tb *tab, url string) map[string]shownValue {
	t.Helper()
	tb.open(url)
	if got := eval[string](tb, `document.documentElement.dataset.sxErrors`); got != "0" {
		t.Errorf("%s: %s sections failed: %v %s", url, got, tb.apiFailures(), tb.shown()["error"].Text)
	}
	tb.noProblems()
	return tb.shown()
}

// testids lists the data-testids under a container matching prefix, in
// page order, without the prefix.
func testids(tb *tab, container, prefix string) []string {
	return eval[[]string](tb, `[...document.querySelectorAll('[data-testid=`+jsString(container)+`] [data-testid^=`+jsString(prefix)+`]')]
		.map((e) => e.dataset.testid.slice(`+strconv.Itoa(len(prefix))+`))`)
}

func rowCount(tb *tab, testid string) int {
	return eval[int](tb, `document.querySelectorAll('[data-testid=`+jsString(testid)+`] tbody tr').length`)
}

// TestBrowserDemo opens every page on the demo organization and checks
// what it shows against the API, then changes the filters.
func TestBrowserDemo(t *testing.T) {
	browser := newBrowser(t)
	d := demoDashboard(t)
	tb := newTab(t, browser, laptop)
	today := time.Now().UTC().Truncate(24 * time.Hour)
	q := demoRange
	scope := "from=" + q.from + "&to=" + q.to
	// visit opens a page in subtest t, checks that it settled without a
	// problem and made the calls pageCalls lists for pq, and returns what
	// it shows.
	visit := func(t *testing.T, page, path string, pq pageQuery) map[string]shownValue {
		t.Helper()
		tb.t = t
		m := d.mark()
		shown := pageDone(t, tb, d.URL+path)
		checkCalls(t, path, d.apiCallsSince(m), pageCalls(page, pq, today))
		return shown
	}

	t.Run("overview", func(t *testing.T) {
		shown := visit(t, "overview", "/?"+demoURLRange, q)
		var dora metrics.DORA
		d.getJSON(t, "/api/v1/dora?"+scope+"&interval=day", &dora)
		if dora.DeploymentFrequency.Deployments == 0 || dora.LeadTime.Changes == 0 {
			t.Fatalf("the demo has nothing in %s: %+v", scope, dora.DORAValues)
		}
		checkTiles(t, "overview", shown, dora)
		// Movers: the rank changes the leaderboard gives, at most five a list.
		for _, group := range []string{"team", "person"} {
			var lb metrics.Leaderboard
			d.getJSON(t, "/api/v1/leaderboard?"+scope+"&group="+group, &lb)
			moved := 0
			for _, e := range lb.Entries {
				id := "mover-" + group + "-" + e.Name
				if e.PreviousRank == nil || *e.PreviousRank == e.Rank {
					if _, ok := shown[id]; ok {
						t.Errorf("%s is a mover but its rank did not change", id)
					}
					continue
				}
				moved++
				if _, ok := shown[id]; ok {
					sameNumber(t, "overview mover", shown, id, intp(*e.PreviousRank-e.Rank))
				}
			}
			if got := len(testids(tb, "movers-"+group, "mover-")); got != min(5, moved) {
				t.Errorf("%d %s movers shown; the leaderboard has %d rank changes (at most 5 are shown)", got, group, moved)
			}
		}
		tb.screenshot("overview-demo")
	})

	t.Run("dora", func(t *testing.T) {
		shown := visit(t, "dora", "/dora?"+demoURLRange, q)
		var dora metrics.DORA
		d.getJSON(t, "/api/v1/dora?"+scope+"&interval=day", &dora)
		checkTiles(t, "dora", shown, dora)
		// A row per repository and team of the answer, each number the API's.
		if got := rowCount(tb, "table-repo"); got != len(dora.Repos) {
			t.Errorf("%d repository rows; the API has %d", got, len(dora.Repos))
		}
		for _, r := range dora.Repos {
			for k, v := range doraMain(r.DORAValues) {
				sameNumber(t, "dora by repository", shown, "repo-"+r.Repo+"-"+k, v)
			}
		}
		if got := rowCount(tb, "table-team"); got != len(dora.Teams) || got == 0 {
			t.Errorf("%d team rows; the API has %d", got, len(dora.Teams))
		}
		teamDeploys := 0
		for _, r := range dora.Teams {
			teamDeploys += r.DeploymentFrequency.Deployments
			for k, v := range doraMain(r.DORAValues) {
				sameNumber(t, "dora by team", shown, "team-"+r.Team+"-"+k, v)
			}
		}
		if teamDeploys == 0 {
			t.Error("no team has deployments: the demo's teams own no repository")
		}
		// A chart per metric, each with a point per period of the series.
		if n := eval[int](tb, `document.querySelectorAll('.chart canvas').length`); n != 5 {
			t.Errorf("%d charts drawn, want one per metric (5)", n)
		}
		for _, k := range doraKeys {
			if got := rowCount(tb, "chart-table-"+k); got != len(dora.Series) {
				t.Errorf("chart %s has %d points; the series has %d", k, got, len(dora.Series))
			}
		}
		tb.screenshot("dora-demo")
	})

	t.Run("drill-downs", func(t *testing.T) {
		tb.t = t
		var dora metrics.DORA
		d.getJSON(t, "/api/v1/dora?"+scope+"&interval=day", &dora)
		counts := map[string]int{
			"deployments": dora.DeploymentFrequency.Deployments, "failures": dora.ChangeFailureRate.FailedDeployments,
			"rework": dora.ReworkRate.ReworkDeployments, "changes": dora.LeadTime.Changes, "incidents": dora.TimeToRestore.Incidents,
		}
		for _, drill := range []string{"deployments", "failures", "rework", "changes", "incidents"} {
			qd := q
			qd.drill = drill
			shown := visit(t, "dora", "/dora?"+demoURLRange+"&drill="+drill, qd)
			// The list adds up to the number the metric shows, row by row
			// (the demo's lists fit in the first page of 500).
			sameNumber(t, drill+" expected", shown, "drill-expected", intp(counts[drill]))
			sameNumber(t, drill+" listed", shown, "drill-count", intp(counts[drill]))
			if counts[drill] > 0 {
				if got := rowCount(tb, "drill-table"); got != counts[drill] || counts[drill] > 500 {
					t.Errorf("drill-down %s: %d rows; the metric counts %d", drill, got, counts[drill])
				}
				sameNumber(t, drill+" shown", shown, "drill-shown", intp(counts[drill]))
			}
			if s, bad := shown["drill-mismatch"]; bad {
				t.Errorf("drill-down %s says it does not add up: %s", drill, s.Text)
			}
			if drill == "deployments" {
				tb.screenshot("dora-drill-deployments-demo")
			}
		}
		// A repository's list, from its row's link.
		var busiest metrics.DORARepo
		for _, r := range dora.Repos {
			if r.DeploymentFrequency.Deployments > busiest.DeploymentFrequency.Deployments {
				busiest = r
			}
		}
		pageDone(t, tb, d.URL+"/dora?"+demoURLRange)
		if err := chromedp.Do(tb.ctx, chromedp.Click(chromedp.CSS(`[data-testid="repo-`+busiest.Repo+`-deployment_frequency"]`))); err != nil {
			t.Fatal(err)
		}
		tb.waitFor(`location.search.includes("drill=deployments")`)
		tb.settle()
		shown := tb.shown()
		if u := eval[string](tb, `location.search`); !strings.Contains(u, "repo="+url.QueryEscape(busiest.Repo)) {
			t.Errorf("the repository's link opened %s", u)
		}
		sameNumber(t, busiest.Repo+" deployments", shown, "drill-count", intp(busiest.DeploymentFrequency.Deployments))
		sameNumber(t, busiest.Repo+" deployments", shown, "metric-deployment-frequency-value", intp(busiest.DeploymentFrequency.Deployments))
		tb.noProblems()
	})

	t.Run("leaderboard", func(t *testing.T) {
		for _, group := range []string{"person", "team", "org"} {
			qg := q
			qg.group = group
			shown := visit(t, "leaderboard", "/leaderboard?"+demoURLRange+"&group="+group, qg)
			var lb metrics.Leaderboard
			d.getJSON(t, "/api/v1/leaderboard?"+scope+"&group="+group+"&series=true&interval=day", &lb)
			if len(lb.Entries) == 0 {
				t.Fatalf("no %s on the demo's leaderboard", group)
			}
			var names []string
			for _, e := range lb.Entries {
				names = append(names, e.Name)
				sameNumber(t, group+" rank", shown, "rank-"+e.Name, intp(e.Rank))
				sameNumber(t, group+" score", shown, "score-"+e.Name, f64(float64(e.Score)))
				var change *float64
				if e.PreviousScore != nil {
					change = f64(float64(e.Score - *e.PreviousScore))
				}
				sameNumber(t, group+" score change", shown, "score-change-"+e.Name, change)
			}
			if got := testids(tb, "leaderboard-table", "rank-"); !slices.Equal(got, names) {
				t.Errorf("%s ranking shows %v; the API ranks %v", group, got, names)
			}
			sameNumber(t, group+" podium", shown, "podium-1-score", f64(float64(lb.Entries[0].Score)))
			// A sparkline per entry with a trend (at least two periods).
			if n := eval[int](tb, `document.querySelectorAll('[data-testid=leaderboard-table] svg.spark').length`); n != len(lb.Entries) {
				t.Errorf("%d trend lines for %d %s", n, len(lb.Entries), group)
			}
			if group == "person" {
				first := lb.Entries[0]
				links := eval[[]string](tb, `[...document.querySelectorAll('[data-testid=podium-1] a')].map((a) => a.href)`)
				if len(links) != 2 || !strings.Contains(links[0], "/pulls?") || !strings.Contains(links[0], "author="+url.QueryEscape(first.Name)) ||
					links[1] != first.HTMLURL {
					t.Errorf("%s's links %v; want their pull requests and %s", first.Name, links, first.HTMLURL)
				}
			}
			tb.screenshot("leaderboard-" + group + "-demo")
		}
	})

	t.Run("pulls", func(t *testing.T) {
		shown := visit(t, "pulls", "/pulls?"+demoURLRange, q)
		var fl metrics.Flow
		d.getJSON(t, "/api/v1/flow?"+scope+"&interval=day", &fl)
		for name, s := range map[string]metrics.Spread{"coding": fl.Coding, "pickup": fl.Pickup, "review": fl.Review, "deploy": fl.Deploy} {
			sameNumber(t, "pulls "+name, shown, "phase-"+name+"-value", s.Median)
		}
		sameNumber(t, "pulls merged", shown, "merged-value", intp(fl.Throughput.Merged))
		sameNumber(t, "pulls opened", shown, "opened-value", intp(fl.Throughput.Opened))
		var slowest, oldest metrics.PullPage
		d.getJSON(t, pageCalls("pulls", q, today)[3].String(), &slowest)
		if len(slowest.Pulls) == 0 {
			t.Fatal("no merged pull requests in the demo's range")
		}
		// The list is the drill-down of the throughput shown above it.
		if slowest.Total != fl.Throughput.Merged {
			t.Errorf("%d pull requests merged in the list; flow's throughput says %d", slowest.Total, fl.Throughput.Merged)
		}
		var want []string
		for _, p := range slowest.Pulls {
			name := fmt.Sprintf("%s#%d", p.Repo, p.Number)
			want = append(want, name)
			sameNumber(t, "slowest "+name, shown, "lead-"+name, p.LeadTimeSeconds)
		}
		if got := testids(tb, "slowest-table", "lead-"); !slices.Equal(got, want) {
			t.Errorf("slowest merged %v; the API's slowest %v", got, want)
		}
		if !strings.Contains(shown["slowest-table"].Text, fmt.Sprintf("slowest of %d pull requests merged", slowest.Total)) {
			t.Errorf("slowest caption does not give the API's total %d: %q", slowest.Total, shown["slowest-table"].Text)
		}
		open := pageCalls("pulls", q, today)[4]
		d.getJSON(t, open.String(), &oldest)
		want = nil
		for _, p := range oldest.Pulls {
			want = append(want, fmt.Sprintf("%s#%d", p.Repo, p.Number))
		}
		if got := firstWords(tb, "oldest-table"); got != strings.Join(want, " ") {
			t.Errorf("oldest open %q; the API's %q", got, want)
		}
		tb.screenshot("pulls-demo")

		// One contributor's pull requests, as the leaderboard links them.
		author := *slowest.Pulls[0].Author
		qa := q
		qa.author = author
		visit(t, "pulls", "/pulls?"+demoURLRange+"&author="+url.QueryEscape(author), qa)
		var theirs metrics.PullPage
		d.getJSON(t, pageCalls("pulls", qa, today)[3].String(), &theirs)
		want = nil
		for _, p := range theirs.Pulls {
			want = append(want, fmt.Sprintf("%s#%d", p.Repo, p.Number))
		}
		if got := testids(tb, "slowest-table", "lead-"); !slices.Equal(got, want) || len(want) == 0 {
			t.Errorf("%s's slowest %v; the API's %v", author, got, want)
		}
	})

	t.Run("deployments", func(t *testing.T) {
		shown := visit(t, "deployments", "/deployments?"+demoURLRange, q)
		total := func(path string) int {
			var p struct {
				Total int `json:"total"`
			}
			d.getJSON(t, path, &p)
			return p.Total
		}
		all := "/api/v1/deployments?" + scope + "&environment=all"
		deployed := total(all+"&status=success") + total(all+"&status=inactive")
		if deployed == 0 {
			t.Fatal("no deployments in the demo's range")
		}
		sameNumber(t, "deployed", shown, "count-deployed", intp(deployed))
		sameNumber(t, "failed", shown, "count-failed", intp(total(all+"&status=failure")+total(all+"&status=error")))
		sameNumber(t, "caused a failure", shown, "count-caused", intp(total(all+"&failed=true")))
		rollbacks := total("/api/v1/incidents?" + scope + "&source=rollback")
		sameNumber(t, "rollbacks", shown, "count-rollbacks", intp(rollbacks))
		incidents := total("/api/v1/incidents?" + scope)
		sameNumber(t, "incidents", shown, "count-incidents", intp(incidents-rollbacks))
		var deps metrics.DeploymentPage
		d.getJSON(t, all+"&limit=200", &deps)
		if got := rowCount(tb, "deployments-table"); got != len(deps.Deployments) {
			t.Errorf("%d deployment rows; the API lists %d", got, len(deps.Deployments))
		}
		if incidents > 0 {
			if got := rowCount(tb, "incidents-table"); got != incidents {
				t.Errorf("%d incident rows; the API has %d", got, incidents)
			}
		}
		// A lane per environment deployed to, production ones first.
		envs := map[string]bool{}
		for _, dep := range deps.Deployments {
			envs[dep.Environment] = true
		}
		lanes := eval[[]string](tb, `[...document.querySelectorAll('.timeline .lane-label')].map((e) => e.textContent)`)
		for env := range envs {
			if !slices.Contains(lanes, env) {
				t.Errorf("no timeline lane for %s (lanes %v)", env, lanes)
			}
		}
		if len(lanes) == 0 || lanes[0] != "production" {
			t.Errorf("timeline lanes %v; want production first", lanes)
		}
		tb.screenshot("deployments-demo")
	})

	t.Run("data health", func(t *testing.T) {
		shown := visit(t, "health", "/data-health?"+demoURLRange, q)
		var health struct {
			Repos []struct {
				Repo          string  `json:"repo"`
				LastWebhookAt *string `json:"last_webhook_at"`
			} `json:"repos"`
		}
		d.getJSON(t, healthPath, &health)
		section := shown["health-sync"].Text
		if len(health.Repos) == 0 {
			t.Fatal("the data health API lists no repository of the demo")
		}
		for _, r := range health.Repos {
			if !strings.Contains(section, r.Repo) {
				t.Errorf("sync section lacks %s, which the API lists:\n%s", r.Repo, section)
			}
			if r.LastWebhookAt == nil {
				t.Errorf("%s: the API knows no webhook, though the demo sent them", r.Repo)
			}
		}
		if rows := strings.Count(section, "\nacme-corp/"); rows != len(health.Repos) {
			t.Errorf("sync section shows %d repositories; the API lists %d", rows, len(health.Repos))
		}
		tb.screenshot("health-demo")
	})

	t.Run("filters change the content", func(t *testing.T) {
		tb.t = t
		pageDone(t, tb, d.URL+"/dora?"+demoURLRange)
		var all, one metrics.DORA
		d.getJSON(t, "/api/v1/dora?"+scope+"&interval=day", &all)
		var repo string
		for _, r := range all.Repos {
			if r.DeploymentFrequency.Deployments > 0 && r.DeploymentFrequency.Deployments < all.DeploymentFrequency.Deployments {
				repo = r.Repo
				break
			}
		}
		if repo == "" {
			t.Fatal("no repository with part of the deployments")
		}
		m := d.mark()
		if err := chromedp.Do(tb.ctx, chromedp.SendKeys(chromedp.ID("f-repo"), repo+kb.Enter)); err != nil {
			t.Fatal(err)
		}
		tb.waitFor(`location.search.includes("repo=")`)
		tb.settle()
		if u := eval[string](tb, `location.search`); u != "?repo="+url.QueryEscape(repo)+"&"+demoURLRange {
			t.Errorf("URL after choosing %s: %s", repo, u)
		}
		qr := q
		qr.repo = repo
		checkCalls(t, "dora for "+repo, d.apiCallsSince(m), pageCalls("dora", qr, today))
		d.getJSON(t, "/api/v1/dora?"+scope+"&interval=day&repo="+url.QueryEscape(repo), &one)
		shown := tb.shown()
		checkTiles(t, "dora for "+repo, shown, one)
		if got := rowCount(tb, "table-repo"); got != 1 {
			t.Errorf("%d repository rows for one repository", got)
		}
		tb.noProblems()
		tb.screenshot("dora-repo-demo")

		// A preset range: the last 7 days (UTC) have nothing of the demo's
		// May 2026, and the page says so.
		m = d.mark()
		// Choosing a preset applies it at once (SetValue fires "change").
		if err := chromedp.Do(tb.ctx, chromedp.SetValue(chromedp.ID("f-range"), "7d")); err != nil {
			t.Fatal(err)
		}
		tb.waitFor(`location.search.includes("range=7d")`)
		tb.settle()
		if u := eval[string](tb, `location.search`); u != "?repo="+url.QueryEscape(repo)+"&range=7d" {
			t.Errorf("URL after choosing the last 7 days: %s", u)
		}
		q7 := pageQuery{from: today.AddDate(0, 0, -6).Format(time.DateOnly), to: today.AddDate(0, 0, 1).Format(time.DateOnly), interval: "day", repo: repo}
		checkCalls(t, "dora, last 7 days", d.apiCallsSince(m), pageCalls("dora", q7, today))
		if got := tb.shown()["dora-summary"].Text; !strings.Contains(got, "No production deployments in this range") {
			t.Errorf("the last 7 days show %q", got)
		}
		tb.noProblems()
	})

	t.Run("phone", func(t *testing.T) {
		ph := newTab(t, browser, phone)
		for _, p := range dashboardPages() {
			pageDone(t, ph, d.URL+p.Href()+"?"+demoURLRange)
			if overflow := eval[int](ph, `document.documentElement.scrollWidth - window.innerWidth`); overflow > 0 {
				t.Errorf("%s with data: %d px wider than the phone screen", p.Href(), overflow)
			}
			ph.screenshot(p.ID + "-demo-phone")
		}
	})
}
