package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/sextant-dev/sextant/internal/metrics"
	"github.com/sextant-dev/sextant/internal/store"
	"github.com/sextant-dev/sextant/internal/store/storetest"
	"github.com/sextant-dev/sextant/internal/telemetry"
)

// The browser-test harness: the real server over loopback on a real
// database, driven by headless Chromium. A test opens a page, waits until
// its scripts say every fetch has settled (<html data-sx-state="done">),
// and reads what the page shows by data-testid, with the raw number behind
// each shown value in data-value, to compare with the API's answer.

const (
	chromiumRequiredEnv = "SEXTANT_TEST_CHROMIUM_REQUIRED"
	artifactsEnv        = "SEXTANT_TEST_ARTIFACTS"
	pageTimeout         = 45 * time.Second // generous: CI shares two cores
)

// Viewports the pages are checked at.
var (
	laptop = viewport{"laptop", 1366, 900}
	phone  = viewport{"phone", 390, 844}
)

type viewport struct {
	name          string
	width, height int64
}

// chromiumPath finds Chromium, or skips the test saying how to install it
// (fails instead when SEXTANT_TEST_CHROMIUM_REQUIRED=1, as in CI).
func chromiumPath(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv(chromiumRequiredEnv) == "1" {
		t.Fatalf("%s=1 but no Chromium on PATH: apt-get install -y chromium", chromiumRequiredEnv)
	}
	t.Skip("browser tests skipped: no Chromium on PATH (apt-get install -y chromium)")
	return ""
}

// newBrowser starts headless Chromium with a fresh profile, stopped when
// the test ends. The flags keep it off the network: it talks to the test
// server only.
func newBrowser(t testing.TB) context.Context {
	t.Helper()
	path := chromiumPath(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("dns-prefetch-disable", true),
		chromedp.WindowSize(int(laptop.width), int(laptop.height)),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium (%s): %v", path, err)
	}
	return ctx
}

// artifactDir is where screenshots go: $SEXTANT_TEST_ARTIFACTS, or a
// temporary directory. The test log says which.
func artifactDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv(artifactsEnv)
	if dir == "" {
		dir = t.TempDir()
	} else {
		dir = filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_"))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// --- the server ------------------------------------------------------------

// dashboard is a running server on a real database.
type dashboard struct {
	URL    string
	DB     *store.DB
	server *Server
	faults sync.Map // path → fault
	fixed  sync.Map // path → answerFunc

	mu       sync.Mutex
	requests []*http.Request // every API request, in order
}

type fault struct {
	status int
	msg    string
}

// answerFunc answers an API call from its query.
type answerFunc func(q url.Values) any

// dashboardOptions change how the test server answers.
type dashboardOptions struct {
	anonymousRead bool
	// db and engine serve a database loaded beforehand (demoDashboard);
	// by default a fresh, empty SQLite database.
	db     *store.DB
	engine *metrics.Engine
}

func startDashboard(t testing.TB, o dashboardOptions) *dashboard {
	t.Helper()
	db := o.db
	if db == nil {
		db = storetest.Open(t, store.SQLite)
	}
	s := New(Deps{DB: db, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Metrics: telemetry.New(),
		AnonymousRead: o.anonymousRead, MetricsEngine: o.engine})
	d := &dashboard{DB: db, server: s}
	real := s.Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/") {
			d.note(r)
		}
		if f, ok := d.faults.Load(r.URL.Path); ok {
			writeJSON(w, f.(fault).status, map[string]string{"error": f.(fault).msg, "code": "internal"})
			return
		}
		if a, ok := d.fixed.Load(r.URL.Path); ok {
			writeJSON(w, http.StatusOK, a.(answerFunc)(r.URL.Query()))
			return
		}
		real.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	d.URL = srv.URL
	return d
}

// fail makes path answer status with msg until the test ends.
func (d *dashboard) fail(path string, status int, msg string) {
	d.faults.Store(path, fault{status, msg})
}

// answer makes path answer what fn returns, whether or not the server has
// the endpoint: for tests that pin what the pages show for answers the demo
// data cannot produce.
func (d *dashboard) answer(path string, fn answerFunc) {
	d.fixed.Store(path, fn)
}

func (d *dashboard) note(r *http.Request) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.requests = append(d.requests, r.Clone(context.Background()))
}

// calls returns the requests made to path so far, in order.
func (d *dashboard) calls(path string) []*http.Request {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []*http.Request
	for _, r := range d.requests {
		if r.URL.Path == path {
			out = append(out, r)
		}
	}
	return out
}

// mark returns a position in the request log, for apiCallsSince.
func (d *dashboard) mark() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.requests)
}

// apiCallsSince returns the API requests made since mark, as path?query.
func (d *dashboard) apiCallsSince(mark int) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for _, r := range d.requests[mark:] {
		out = append(out, r.URL.RequestURI())
	}
	return out
}

// getJSON asks the server's API for path and decodes its answer into v.
func (d *dashboard) getJSON(t testing.TB, path string, v any) {
	t.Helper()
	resp, err := http.Get(d.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

// healthPath is the data-health endpoint.
const healthPath = "/api/v1/health/data"

// --- a tab ---------------------------------------------------------------------

// tab is one browser tab, recording what went wrong in it.
type tab struct {
	t   testing.TB
	ctx context.Context
	dir string

	mu       sync.Mutex
	urls     map[network.RequestID]string
	problems []string // console errors, exceptions, failed asset requests
	apiFails []string // API answers of 400 and above (some tests expect them)
}

func newTab(t testing.TB, browser context.Context, vp viewport) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser)
	t.Cleanup(cancel)
	tb := &tab{t: t, ctx: ctx, dir: artifactDir(t), urls: map[network.RequestID]string{}}
	if err := chromedp.Listen(ctx, tb.record); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(vp.width, vp.height)); err != nil {
		t.Fatal(err)
	}
	return tb
}

func (tb *tab) record(ev any) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	switch e := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeAssert {
			var args []string
			for _, a := range e.Args {
				args = append(args, strings.Trim(string(a.Value), `"`)+a.Description)
			}
			tb.problems = append(tb.problems, "console."+string(e.Type)+": "+strings.Join(args, " "))
		}
	case *runtime.EventExceptionThrown:
		tb.problems = append(tb.problems, "exception: "+e.ExceptionDetails.Text+" "+exceptionDescription(e.ExceptionDetails))
	case *cdplog.EventEntryAdded:
		// Failed loads are reported below with their status; the rest
		// (CSP violations, deprecations that are errors) are problems.
		if e.Entry.Level == cdplog.EntryLevelError && e.Entry.Source != cdplog.EntrySourceNetwork {
			tb.problems = append(tb.problems, "log: "+e.Entry.Text)
		}
	case *network.EventRequestWillBeSent:
		tb.urls[e.RequestID] = e.Request.URL
	case *network.EventResponseReceived:
		if e.Response.Status >= 400 {
			msg := fmt.Sprintf("%d %s", e.Response.Status, e.Response.URL)
			if strings.Contains(e.Response.URL, "/api/") {
				tb.apiFails = append(tb.apiFails, msg)
			} else {
				tb.problems = append(tb.problems, "failed request: "+msg)
			}
		}
	case *network.EventLoadingFailed:
		if !e.Canceled {
			tb.problems = append(tb.problems, "failed request: "+e.ErrorText+" "+tb.urls[e.RequestID])
		}
	}
}

func exceptionDescription(d *runtime.ExceptionDetails) string {
	if d.Exception != nil {
		return d.Exception.Description
	}
	return ""
}

// open loads url and waits until the page's fetches have settled.
func (tb *tab) open(url string) {
	tb.t.Helper()
	if err := chromedp.Do(tb.ctx, chromedp.Navigate(url)); err != nil {
		tb.t.Fatalf("open %s: %v", url, err)
	}
	tb.settle()
}

// settle waits for <html data-sx-state="done"> of the current page.
func (tb *tab) settle() {
	tb.t.Helper()
	tb.waitFor(`document.readyState === "complete" && document.documentElement.dataset.sxState === "done"`)
}

// waitFor waits until a JavaScript expression is true. It polls rather
// than using chromedp.Poll, which fails when a navigation replaces the
// page it evaluates in: the page may still be navigating here.
func (tb *tab) waitFor(expr string) {
	tb.t.Helper()
	deadline := time.Now().Add(pageTimeout)
	var last error
	for time.Now().Before(deadline) {
		ok, err := chromedp.Run(tb.ctx, chromedp.Evaluate[bool](expr))
		if err == nil && ok {
			return
		}
		last = err
		time.Sleep(25 * time.Millisecond)
	}
	tb.mu.Lock()
	defer tb.mu.Unlock()
	tb.t.Fatalf("waited %s for %s (last error: %v; problems so far: %v)", pageTimeout, expr, last, tb.problems)
}

// noProblems fails the test for every console error, exception and failed
// asset request seen since the last call.
func (tb *tab) noProblems() {
	tb.t.Helper()
	tb.mu.Lock()
	defer tb.mu.Unlock()
	for _, p := range tb.problems {
		tb.t.Errorf("%s", p)
	}
	tb.problems = nil
}

// firstWords is the first word of each row of a table, in order.
func firstWords(tb *tab, testid string) string {
	tb.t.Helper()
	return strings.Join(eval[[]string](tb, `[...document.querySelectorAll('[data-testid=`+testid+`] tbody tr')]
		.map((r) => r.cells[0].innerText.split(' ')[0])`), " ")
}

// apiFailures returns the API answers of 400 and above seen so far.
func (tb *tab) apiFailures() []string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	return append([]string(nil), tb.apiFails...)
}

// shownValue is what a page shows for a data-testid.
type shownValue struct {
	Text  string  `json:"text"`
	Value *string `json:"value"` // data-value; nil when the element has none
	Count int     `json:"count"` // elements with this data-testid
}

// shown returns every element with a data-testid on the page.
func (tb *tab) shown() map[string]shownValue {
	tb.t.Helper()
	out, err := chromedp.Run(tb.ctx, chromedp.Evaluate[map[string]shownValue](`(() => {
		const out = {};
		for (const e of document.querySelectorAll('[data-testid]')) {
			const id = e.dataset.testid;
			const prev = out[id];
			out[id] = { text: (prev ? prev.text + '\n' : '') + e.innerText.trim(),
				value: e.hasAttribute('data-value') ? e.getAttribute('data-value') : null, count: (prev ? prev.count : 0) + 1 };
		}
		return out;
	})()`))
	if err != nil {
		tb.t.Fatal(err)
	}
	return out
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](tb *tab, expr string) T {
	tb.t.Helper()
	v, err := chromedp.Run(tb.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		tb.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// screenshot saves the whole page as NAME.png in the artifact directory.
func (tb *tab) screenshot(name string) {
	tb.t.Helper()
	buf, err := chromedp.Run(tb.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		tb.t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(tb.dir, name+".png")
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		tb.t.Fatal(err)
	}
	tb.t.Logf("screenshot: %s", path)
}
