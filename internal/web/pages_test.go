package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/sextant-dev/sextant/internal/store"
	"github.com/sextant-dev/sextant/internal/store/storetest"
	"github.com/sextant-dev/sextant/internal/telemetry"
)

func pageServer(t testing.TB) *httptest.Server {
	t.Helper()
	db := storetest.Open(t, store.SQLite)
	srv := httptest.NewServer(New(Deps{DB: db, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Metrics: telemetry.New()}).Handler())
	t.Cleanup(srv.Close)
	return srv
}

func fetch(t testing.TB, url string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	// A bare transport: the default one would ask for gzip and undo it.
	resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

var assetRef = regexp.MustCompile(`(?:src|href)="(/static/[^"]+)"`)

// TestPages serves every page with its security headers, its own nav entry
// marked current, and only assets of this server.
func TestPages(t *testing.T) {
	srv := pageServer(t)
	for _, p := range dashboardPages() {
		resp, body := fetch(t, srv.URL+p.Href(), nil)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
			t.Errorf("%s: %d %s", p.Href(), resp.StatusCode, resp.Header.Get("Content-Type"))
			continue
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "connect-src 'self'") {
			t.Errorf("%s: Content-Security-Policy = %q", p.Href(), csp)
		}
		html := string(body)
		if !strings.Contains(html, "<title>"+p.Title+" · Sextant</title>") {
			t.Errorf("%s: no title %q", p.Href(), p.Title)
		}
		if !strings.Contains(html, `<a href="`+p.Href()+`" data-nav aria-current="page">`+p.Nav+`</a>`) {
			t.Errorf("%s: its nav entry is not marked current", p.Href())
		}
		if strings.Contains(html, "://") {
			t.Errorf("%s: the page refers to another site; every asset must be embedded", p.Href())
		}
		if !strings.Contains(html, "/static/js/pages/"+p.ID+".") {
			t.Errorf("%s: does not load its script js/pages/%s.js", p.Href(), p.ID)
		}
		// Revalidation by ETag costs no body.
		again, b := fetch(t, srv.URL+p.Href(), map[string]string{"If-None-Match": resp.Header.Get("ETag")})
		if again.StatusCode != http.StatusNotModified || len(b) != 0 {
			t.Errorf("%s with its ETag: %d, %d bytes", p.Href(), again.StatusCode, len(b))
		}
	}
	if resp, _ := fetch(t, srv.URL+"/no-such-page", nil); resp.StatusCode != 404 {
		t.Errorf("unknown page: %d", resp.StatusCode)
	}
}

// TestStaticAssets: every asset a page refers to is served under its
// content hash, cached for a year, gzipped when asked, and nothing else is
// served under /static/.
func TestStaticAssets(t *testing.T) {
	srv := pageServer(t)
	seen := map[string]bool{}
	for _, p := range dashboardPages() {
		_, body := fetch(t, srv.URL+p.Href(), nil)
		for _, m := range assetRef.FindAllStringSubmatch(string(body), -1) {
			seen[m[1]] = true
		}
	}
	if len(seen) < 10 {
		t.Fatalf("pages refer to %d assets: %v", len(seen), seen)
	}
	types := map[string]string{".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}
	for u := range seen {
		resp, plain := fetch(t, srv.URL+u, nil)
		if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
			t.Errorf("%s: %d, Cache-Control %q", u, resp.StatusCode, resp.Header.Get("Cache-Control"))
			continue
		}
		for ext, ct := range types {
			if strings.HasSuffix(u, ext) && resp.Header.Get("Content-Type") != ct {
				t.Errorf("%s: Content-Type %q, want %q", u, resp.Header.Get("Content-Type"), ct)
			}
		}
		zresp, z := fetch(t, srv.URL+u, map[string]string{"Accept-Encoding": "gzip, br"})
		if zresp.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(bytes.NewReader(z))
			if err != nil {
				t.Fatalf("%s: %v", u, err)
			}
			unz, err := io.ReadAll(zr)
			if err != nil || !bytes.Equal(unz, plain) {
				t.Errorf("%s: gzipped body differs from the plain one (%v)", u, err)
			}
		} else if strings.HasSuffix(u, ".js") && len(plain) > 2000 {
			t.Errorf("%s: %d bytes of JavaScript served without gzip", u, len(plain))
		}
		if r, _ := fetch(t, srv.URL+u, map[string]string{"If-None-Match": resp.Header.Get("ETag")}); r.StatusCode != http.StatusNotModified {
			t.Errorf("%s with its ETag: %d", u, r.StatusCode)
		}
		// The same file under another hash, or under its plain name, is not
		// served: a page only ever gets the files it was built with.
		hash := regexp.MustCompile(`\.[0-9a-f]{10}(\.|$)`)
		stale := hash.ReplaceAllString(u, ".0000000000$1")
		plainName := hash.ReplaceAllString(u, "$1")
		for _, other := range []string{stale, plainName} {
			if r, _ := fetch(t, srv.URL+other, nil); r.StatusCode != 404 {
				t.Errorf("%s: %d, want 404", other, r.StatusCode)
			}
		}
	}
	licence := false
	for _, p := range dashboardPages() {
		_, body := fetch(t, srv.URL+p.Href(), nil)
		if m := regexp.MustCompile(`href="(/static/vendor/uplot/LICENSE\.[0-9a-f]+)"`).FindStringSubmatch(string(body)); m != nil {
			_, lic := fetch(t, srv.URL+m[1], nil)
			licence = strings.Contains(string(lic), "The MIT License") && strings.Contains(string(lic), "Leon Sorokin")
		}
	}
	if !licence {
		t.Error("the pages do not link uPlot's MIT licence")
	}
}

// TestAssetNamesFollowContent: a changed file gets a new name, so a
// browser never keeps an old copy under a year-long cache.
func TestAssetNamesFollowContent(t *testing.T) {
	name := func(content string) string {
		a, err := loadAssets(fstest.MapFS{"js/app.js": {Data: []byte(content)}, "js/README.md": {Data: []byte("notes")}})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := a.byName["js/README.md"]; ok {
			t.Error("a README is served as an asset")
		}
		u, err := a.url("js/app.js")
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	v1, v1again, v2 := name("one()"), name("one()"), name("two()")
	if v1 != v1again || v1 == v2 || !regexp.MustCompile(`^/static/js/app\.[0-9a-f]{10}\.js$`).MatchString(v1) {
		t.Errorf("names: %s, %s, %s", v1, v1again, v2)
	}
	if _, err := (&assets{byName: map[string]*asset{}}).url("js/missing.js"); err == nil {
		t.Error("an unknown asset has a URL")
	}
}
