package web

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/sextant-dev/sextant/internal/core"
)

// pageEmptyStates lists, per page, the sections and what their empty state
// must tell a new user to configure.
var pageEmptyStates = []struct {
	path, id string
	want     map[string][]string // data-testid → phrases
}{
	{"/", "overview", map[string][]string{
		"dora-tiles": {"No production deployments in this range", "sextant report deploy --repo OWNER/NAME --env production", "github.token"},
		"movers":     {"No contributions in this period", "github.orgs"},
	}},
	{"/dora", "dora", map[string][]string{
		"dora-summary": {"No production deployments in this range", "sextant report deploy"},
		"dora-charts":  {"No production deployments in this range"},
		"dora-by-repo": {"No repositories known yet", "github.repos"},
		"dora-by-team": {"No teams known yet", "github.orgs"},
	}},
	{"/leaderboard", "leaderboard", map[string][]string{
		"podium": {"No people with contributions in this period", "github.token"},
	}},
	{"/pulls", "pulls", map[string][]string{
		"cycle-time":     {"No merged pull requests in this range", "github.token", "/webhooks/github"},
		"slowest-merged": {"No merged pull requests in this range"},
		"oldest-open":    {"No open pull requests"},
	}},
	{"/deployments", "deployments", map[string][]string{
		"timeline":        {"No deployments in this range", "sextant report deploy", "connect GitHub deployments"},
		"deployment-list": {"No deployments in this range"},
		"incident-list":   {"No incidents in this range", "incident", "sextant report incident_opened"},
	}},
	{"/data-health", "health", map[string][]string{
		"health-budget":   {"No rate-limit reading yet", "github.token"},
		"health-queue":    {"The job queue is empty"},
		"health-sync":     {"No repositories synced yet", "github.orgs"},
		"health-findings": {"No integrity check has run yet", "sextant check"},
	}},
}

// TestBrowserPagesEmpty opens every page on an empty database, at laptop
// and phone size: no console error, no failed asset, each section's empty
// state says what to configure, nothing wider than a phone's screen.
func TestBrowserPagesEmpty(t *testing.T) {
	browser := newBrowser(t)
	d := startDashboard(t, dashboardOptions{anonymousRead: true})
	for _, vp := range []viewport{laptop, phone} {
		tb := newTab(t, browser, vp)
		t.Logf("screenshots in %s", tb.dir)
		for _, p := range pageEmptyStates {
			tb.open(d.URL + p.path)
			if got := eval[string](tb, `document.body.dataset.page`); got != p.id {
				t.Errorf("%s: body data-page = %q, want %q", p.path, got, p.id)
			}
			if got := eval[string](tb, `document.documentElement.dataset.sxErrors`); got != "0" {
				t.Errorf("%s: %s sections failed: %v", p.path, got, tb.apiFailures())
			}
			shown := tb.shown()
			for id, phrases := range p.want {
				for _, phrase := range phrases {
					if !strings.Contains(shown[id].Text, phrase) {
						t.Errorf("%s (%s): section %s shows %q; want it to say %q", p.path, vp.name, id, shown[id].Text, phrase)
					}
				}
			}
			if n := shown["error"].Count; n != 0 {
				t.Errorf("%s: %d error states on an empty database: %s", p.path, n, shown["error"].Text)
			}
			if vp == phone {
				if overflow := eval[int](tb, `document.documentElement.scrollWidth - window.innerWidth`); overflow > 0 {
					t.Errorf("%s: page is %d px wider than a %d px phone screen", p.path, overflow, vp.width)
				}
			}
			tb.screenshot(p.id + "-empty-" + vp.name)
		}
		tb.noProblems()
	}
}

// TestBrowserFilters checks that the filter bar writes the URL, that a URL
// restores the filters, and that the API is asked for what the URL says.
func TestBrowserFilters(t *testing.T) {
	browser := newBrowser(t)
	d := startDashboard(t, dashboardOptions{anonymousRead: true})
	tb := newTab(t, browser, laptop)

	// Filling the bar with the keyboard and pressing Enter writes the URL.
	tb.open(d.URL + "/dora")
	before := len(d.calls("/api/v1/dora"))
	if err := chromedp.Do(tb.ctx,
		chromedp.SendKeys(chromedp.ID("f-org"), "acme"),
		chromedp.SendKeys(chromedp.ID("f-team"), "platform"),
		chromedp.SetValue(chromedp.ID("f-interval"), "week"),
		chromedp.SetValue(chromedp.ID("f-range"), "90d"),
		chromedp.SendKeys(chromedp.ID("f-repo"), "acme/api"+kb.Enter),
	); err != nil {
		t.Fatal(err)
	}
	tb.waitFor(`location.search.includes("repo=acme%2Fapi")`)
	tb.settle()
	u, err := url.Parse(eval[string](tb, `location.href`))
	if err != nil {
		t.Fatal(err)
	}
	want := url.Values{"org": {"acme"}, "team": {"platform"}, "repo": {"acme/api"}, "range": {"90d"}, "interval": {"week"}}
	if u.Path != "/dora" || u.Query().Encode() != want.Encode() {
		t.Errorf("URL after applying the filters = %s, want /dora?%s", u.RequestURI(), want.Encode())
	}
	// The content follows: the page asked the API for that scope.
	calls := d.calls("/api/v1/dora")
	if len(calls) <= before {
		t.Fatal("the page did not call /api/v1/dora again after the filters changed")
	}
	// 90 days ending today: from 89 days ago to tomorrow (the API's "to" is
	// exclusive). The answer has the previous period too: one call.
	today := time.Now().UTC().Truncate(24 * time.Hour)
	day := func(n int) string { return today.AddDate(0, 0, n).Format(time.DateOnly) }
	wantQuery := "from=" + day(-89) + "&interval=week&org=acme&repo=acme%2Fapi&team=platform&to=" + day(1)
	var after []string
	for _, c := range calls[before:] {
		after = append(after, c.URL.Query().Encode())
	}
	// Choosing an interval or a preset applies at once, so the page may
	// have loaded in between; the page shown asked for the whole scope.
	if len(after) == 0 || after[len(after)-1] != wantQuery {
		t.Errorf("GET /api/v1/dora after the change: %q; want the last with %s", after, wantQuery)
	}

	// A bookmarked URL with custom dates restores the bar and the scope.
	tb.open(d.URL + "/deployments?org=acme&repo=acme%2Fweb&from=2024-01-01&to=2024-01-31")
	for id, want := range map[string]string{"f-org": "acme", "f-repo": "acme/web", "f-team": "", "f-range": "custom", "f-from": "2024-01-01", "f-to": "2024-01-31"} {
		if got := eval[string](tb, `document.getElementById("`+id+`").value`); got != want {
			t.Errorf("restored %s = %q, want %q", id, got, want)
		}
	}
	if got := tb.shown()["scope"].Text; got != "organization acme, repository acme/web · 2024-01-01 to 2024-01-31 (31 days, UTC)" {
		t.Errorf("scope line = %q", got)
	}
	deps := d.calls("/api/v1/deployments")
	q := deps[len(deps)-1].URL.Query()
	if q.Get("from") != "2024-01-01" || q.Get("to") != "2024-02-01" || q.Get("repo") != "acme/web" || q.Get("org") != "acme" {
		t.Errorf("GET /api/v1/deployments query = %s, want from=2024-01-01 to=2024-02-01 (31 days) repo=acme/web org=acme", q.Encode())
	}
	// Every link to another page keeps the scope.
	links := eval[[]string](tb, `[...document.querySelectorAll('nav a[data-nav]')].map((a) => a.getAttribute('href'))`)
	for _, l := range links {
		if !strings.Contains(l, "repo=acme%2Fweb") || !strings.Contains(l, "from=2024-01-01") {
			t.Errorf("nav link %q loses the filters", l)
		}
	}
	tb.screenshot("deployments-filtered")

	// A value the bar cannot use is named, and the default used instead.
	tb.open(d.URL + "/?from=yesterday")
	if got := tb.shown()["filter-note"].Text; !strings.Contains(got, `from: "yesterday" is not a date (YYYY-MM-DD)`) {
		t.Errorf("filter note for a bad date = %q", got)
	}
	if got := eval[string](tb, `document.getElementById("f-range").value`); got != "30d" {
		t.Errorf("range after a bad date = %q, want the default 30d", got)
	}
	tb.noProblems()
}

func jsString(s string) string {
	return `"` + strings.NewReplacer(`\\`, `\\\\`, `"`, `\\"`).Replace(s) + `"`
}

// TestBrowserKeyboard tabs through a page from the top: the skip link, the
// navigation and every filter come first, in reading order, each visibly
// focused; the skip link moves focus to the content.
func TestBrowserKeyboard(t *testing.T) {
	browser := newBrowser(t)
	d := startDashboard(t, dashboardOptions{anonymousRead: true})
	tb := newTab(t, browser, laptop)
	tb.open(d.URL + "/pulls")

	want := []string{"a.skip", "a.brand", "a:Overview", "a:DORA", "a:Leaderboard", "a:Pull requests", "a:Deployments", "a:Data health",
		"input#f-org", "input#f-team", "input#f-repo", "select#f-range", "input#f-from", "input#f-to", "select#f-interval", "button:Apply", "a:Reset"}
	// Tab until focus has passed the filter bar. Focus that stays in one
	// element (the day, month and year of a date input) counts once.
	var got []string
	for i := 0; i < 40 && len(got) < len(want); i++ {
		if err := chromedp.Do(tb.ctx, chromedp.KeyEvent(kb.Tab)); err != nil {
			t.Fatal(err)
		}
		name := eval[string](tb, `(() => {
			const e = document.activeElement;
			if (e.tagName === 'A' && (e.classList.contains('skip') || e.classList.contains('brand'))) return 'a.' + e.className;
			if (e.id) return e.tagName.toLowerCase() + '#' + e.id;
			return e.tagName.toLowerCase() + ':' + e.textContent.trim();
		})()`)
		if len(got) > 0 && got[len(got)-1] == name {
			continue
		}
		got = append(got, name)
		if !eval[bool](tb, `getComputedStyle(document.activeElement).outlineStyle !== 'none'`) {
			t.Errorf("%s has focus but no visible focus outline", name)
		}
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("tab order:\n got %v\nwant %v", got, want)
	}
	tb.screenshot("keyboard-focus")

	// The skip link takes keyboard users past the header and filters.
	tb.open(d.URL + "/pulls")
	if err := chromedp.Do(tb.ctx, chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(kb.Enter)); err != nil {
		t.Fatal(err)
	}
	if got := eval[string](tb, `document.activeElement.id`); got != "main" {
		t.Errorf("after the skip link, focus is on #%s, want #main", got)
	}
	// Every control is labelled for screen readers.
	unlabelled := eval[[]string](tb, `[...document.querySelectorAll('input, select, button')]
		.filter((e) => !(e.labels?.length || e.getAttribute('aria-label') || e.textContent.trim()))
		.map((e) => e.outerHTML)`)
	for _, u := range unlabelled {
		t.Errorf("control without a label: %s", u)
	}
	tb.noProblems()
}

// TestBrowserAPIErrors: when the API refuses to read without a token the
// page says so, with the status and message, and takes a token; a failing
// endpoint shows its error in its own section only.
func TestBrowserAPIErrors(t *testing.T) {
	browser := newBrowser(t)

	t.Run("token needed", func(t *testing.T) {
		d := startDashboard(t, dashboardOptions{anonymousRead: false})
		tb := newTab(t, browser, laptop)
		tb.open(d.URL + "/deployments")
		shown := tb.shown()
		if shown["error"].Count != 3 {
			t.Errorf("error states = %d, want 3 (every section); page shows %v", shown["error"].Count, shown)
		}
		for _, phrase := range []string{"Could not load the timeline", "GET /api/v1/deployments answered 401 Unauthorized",
			"missing bearer token", "needs a token with the read scope"} {
			if !strings.Contains(shown["error"].Text, phrase) {
				t.Errorf("error state %q does not say %q", shown["error"].Text, phrase)
			}
		}
		if banner := shown["banner"].Text; !strings.Contains(banner, "sextant token create --name dashboard --scope read") ||
			!strings.Contains(banner, "api.anonymous_read") {
			t.Errorf("banner = %q; want it to say how to get a token or allow anonymous reads", banner)
		}
		if fails := tb.apiFailures(); len(fails) == 0 || !strings.HasPrefix(fails[0], "401 ") {
			t.Errorf("API failures seen by the browser = %v, want 401s", fails)
		}
		tb.screenshot("deployments-401")

		// A token with the read scope, typed in the banner, opens the page.
		secret, _, err := d.DB.CreateToken(context.Background(), "dashboard", []string{core.ScopeRead}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(tb.ctx, chromedp.SendKeys(chromedp.ID("token"), secret+kb.Enter)); err != nil {
			t.Fatal(err)
		}
		tb.waitFor(`!document.getElementById('token')`)
		tb.settle()
		shown = tb.shown()
		if shown["error"].Count != 0 || !strings.Contains(shown["timeline"].Text, "No deployments in this range") {
			t.Errorf("with a token: errors %q, timeline %q", shown["error"].Text, shown["timeline"].Text)
		}
		calls := d.calls("/api/v1/deployments")
		if len(calls) == 0 {
			t.Fatal("the page never called /api/v1/deployments")
		}
		if got := calls[len(calls)-1].Header.Get("Authorization"); got != "Bearer "+secret {
			t.Errorf("Authorization sent = %q, want the token", got)
		}
		if !eval[bool](tb, `!document.getElementById('forget-token').hidden`) {
			t.Error("no way to forget the token once given")
		}
		tb.noProblems()
	})

	t.Run("one endpoint fails", func(t *testing.T) {
		d := startDashboard(t, dashboardOptions{anonymousRead: true})
		d.fail("/api/v1/leaderboard", 500, "leaderboard query timed out")
		tb := newTab(t, browser, laptop)
		tb.open(d.URL + "/")
		shown := tb.shown()
		if want := "Could not load the biggest movers: GET /api/v1/leaderboard answered 500 Internal Server Error: leaderboard query timed out"; !strings.Contains(shown["movers"].Text, want) {
			t.Errorf("movers = %q, want %q", shown["movers"].Text, want)
		}
		if !strings.Contains(shown["movers"].Text, "its log has the cause") {
			t.Errorf("movers = %q: no hint where to look", shown["movers"].Text)
		}
		if !strings.Contains(shown["dora-tiles"].Text, "No production deployments") {
			t.Errorf("a failing leaderboard broke the DORA tiles: %q", shown["dora-tiles"].Text)
		}
		if got := eval[string](tb, `document.documentElement.dataset.sxErrors`); got != "1" {
			t.Errorf("data-sx-errors = %s, want 1", got)
		}
		tb.screenshot("overview-500")
		tb.noProblems()
	})

	t.Run("endpoint missing", func(t *testing.T) {
		d := startDashboard(t, dashboardOptions{anonymousRead: true})
		d.fail("/api/v1/health/data", 404, "404 page not found")
		tb := newTab(t, browser, laptop)
		tb.open(d.URL + "/data-health")
		shown := tb.shown()
		if !strings.Contains(shown["health-sync"].Text, "GET /api/v1/health/data answered 404 Not Found") ||
			!strings.Contains(shown["health-sync"].Text, "older than this dashboard") {
			t.Errorf("sync section = %q", shown["health-sync"].Text)
		}
		tb.noProblems()
	})
}
