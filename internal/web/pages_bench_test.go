package web

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"github.com/sextant-dev/sextant/internal/store"
	"github.com/sextant-dev/sextant/internal/store/storetest"
	"github.com/sextant-dev/sextant/internal/telemetry"
)

// pageBudget is the most a page may transfer, gzipped, on a first visit
// (HTML, scripts, styles): the dashboard must stay quick on a phone.
const pageBudget = 64 << 10

// TestPageWeight keeps every page within pageBudget and logs what each
// weighs, plain and gzipped.
func TestPageWeight(t *testing.T) {
	srv := pageServer(t)
	for _, p := range dashboardPages() {
		_, html := fetch(t, srv.URL+p.Href(), nil)
		plain, zipped := len(html), len(html)
		for _, m := range assetRef.FindAllStringSubmatch(string(html), -1) {
			if strings.Contains(m[1], "LICENSE") {
				continue // a link, not loaded
			}
			_, b := fetch(t, srv.URL+m[1], nil)
			_, z := fetch(t, srv.URL+m[1], map[string]string{"Accept-Encoding": "gzip"})
			plain += len(b)
			zipped += len(z)
		}
		t.Logf("%-12s %7d bytes, %6d gzipped", p.Href(), plain, zipped)
		if zipped > pageBudget {
			t.Errorf("%s transfers %d bytes gzipped, over the %d-byte budget", p.Href(), zipped, pageBudget)
		}
	}
}

// BenchmarkPageServe measures the server's time for a page and each of its
// assets, in process (no network).
func BenchmarkPageServe(b *testing.B) {
	db := storetest.Open(b, store.SQLite)
	h := New(Deps{DB: db, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Metrics: telemetry.New()}).Handler()
	get := func(path string, gz bool) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", path, nil)
		if gz {
			r.Header.Set("Accept-Encoding", "gzip")
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	for _, p := range dashboardPages() {
		html := get(p.Href(), false).Body.String()
		var urls []string
		for _, m := range assetRef.FindAllStringSubmatch(html, -1) {
			urls = append(urls, m[1])
		}
		b.Run(p.ID, func(b *testing.B) {
			for b.Loop() {
				if w := get(p.Href(), false); w.Code != http.StatusOK {
					b.Fatal(w.Code)
				}
				for _, u := range urls {
					if w := get(u, true); w.Code != http.StatusOK {
						b.Fatal(u, w.Code)
					}
				}
			}
		})
	}
}

// BenchmarkPagesInBrowser loads each page in headless Chromium against the
// real server and reports the server's time to first byte for the page and
// for the slowest API call it makes, from the browser's resource timings.
// On a branch without the API the stand-in answers, so the API figure means
// something only where the real endpoints are registered.
func BenchmarkPagesInBrowser(b *testing.B) {
	browser := newBrowser(b)
	d := startDashboard(b, dashboardOptions{anonymousRead: true})
	for _, p := range dashboardPages() {
		b.Run(p.ID, func(b *testing.B) {
			tb := newTab(b, browser, laptop)
			var pageMS, apiMS, apiCalls float64
			var last map[string]float64
			// One load, outside b.Loop's body: the compiler's rewrite of
			// that body crashes on this code (Go 1.26.8).
			load := func() {
				tb.open(d.URL + p.Href())
				last = tb.requestTimings()
				var slowest float64
				for u, ms := range last {
					switch {
					case strings.HasPrefix(u, "/api/"):
						apiCalls++
						slowest = max(slowest, ms)
					case !strings.HasPrefix(u, "/static/"):
						pageMS += ms
					}
				}
				apiMS += slowest
			}
			for b.Loop() {
				load()
			}
			n := float64(b.N)
			b.ReportMetric(pageMS/n, "page-ms")
			b.ReportMetric(apiMS/n, "slowest-api-ms")
			b.ReportMetric(apiCalls/n, "api-calls")
			keys := make([]string, 0, len(last))
			for k := range last {
				if !strings.HasPrefix(k, "/static/") {
					keys = append(keys, k)
				}
			}
			sort.Strings(keys)
			for _, k := range keys {
				b.Log(fmt.Sprintf("%-70s %6.2f ms", k, last[k]))
			}
		})
	}
}
