package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

// The dashboard: HTML pages rendered once from embedded templates, and the
// static files they load, each served under a name that carries a hash of
// its content so browsers may cache it for a year. The pages hold no data:
// their scripts fetch it from the same JSON API that users script against.
//
//go:embed ui/templates ui/static
var uiFiles embed.FS

// page is one dashboard page.
type page struct {
	Path    string // route pattern after "GET "
	ID      string // names its script, its template and its nav entry
	Title   string
	Nav     string   // label in the navigation
	Scripts []string // static files it needs besides js/api.js and js/ui.js, in order
	// Interval adds the interval (daily, weekly, monthly) to the filter bar.
	Interval bool
}

// Href is the page's URL path.
func (p page) Href() string { return strings.TrimSuffix(p.Path, "{$}") }

// dashboardPages lists the pages in navigation order.
func dashboardPages() []page {
	charts := []string{"vendor/uplot/uPlot.iife.min.js", "js/charts.js"}
	with := func(extra ...string) []string { return append(append([]string{}, charts...), extra...) }
	return []page{
		{Path: "/{$}", ID: "overview", Title: "Overview", Nav: "Overview", Scripts: with("js/metrics.js")},
		{Path: "/dora", ID: "dora", Title: "DORA metrics", Nav: "DORA", Scripts: with("js/metrics.js", "js/lists.js"), Interval: true},
		{Path: "/leaderboard", ID: "leaderboard", Title: "Leaderboard", Nav: "Leaderboard", Scripts: charts},
		{Path: "/pulls", ID: "pulls", Title: "Pull requests", Nav: "Pull requests", Scripts: charts, Interval: true},
		{Path: "/deployments", ID: "deployments", Title: "Deployments", Nav: "Deployments", Scripts: with("js/lists.js")},
		{Path: "/data-health", ID: "health", Title: "Data health", Nav: "Data health"},
	}
}

// pageCSP keeps the pages to their own origin: scripts, styles and API calls
// from this server only, no inline script or style, no framing.
const pageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// asset is a static file ready to serve.
type asset struct {
	name, hashed string // "js/api.js", "js/api.1f2e3d4c5b.js"
	body, gzip   []byte // gzip is nil when compressing does not pay
	ctype, etag  string
}

// assets are the embedded static files by their hashed URL path.
type assets struct {
	byURL  map[string]*asset
	byName map[string]*asset
}

func loadAssets(files fs.FS) (*assets, error) {
	a := &assets{byURL: map[string]*asset{}, byName: map[string]*asset{}}
	err := fs.WalkDir(files, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Base(name) == "README.md" {
			return err // READMEs are notes for maintainers, not assets
		}
		body, err := fs.ReadFile(files, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		hash := hex.EncodeToString(sum[:5])
		ext := path.Ext(name)
		hashed := strings.TrimSuffix(name, ext) + "." + hash + ext
		ctype := mime.TypeByExtension(ext)
		if ctype == "" {
			ctype = "text/plain; charset=utf-8" // licences
		}
		it := &asset{name: name, hashed: hashed, body: body, ctype: ctype, etag: `"` + hash + `"`}
		if z := gzipped(body); len(z) < len(body)*9/10 {
			it.gzip = z
		}
		a.byURL["/static/"+hashed] = it
		a.byName[name] = it
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load dashboard assets: %w", err)
	}
	return a, nil
}

func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// url is the hashed URL of a static file; an unknown name is a bug in a
// template, caught when the pages are rendered at start.
func (a *assets) url(name string) (string, error) {
	it, ok := a.byName[name]
	if !ok {
		return "", fmt.Errorf("no static file %q", name)
	}
	return "/static/" + it.hashed, nil
}

// ServeHTTP serves a static file by its hashed name. Any other name is a
// 404: a page is never given a file other than the one it was built with.
func (a *assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	it, ok := a.byURL[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", it.ctype)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("ETag", it.etag)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Vary", "Accept-Encoding")
	if r.Header.Get("If-None-Match") == it.etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := it.body
	if it.gzip != nil && acceptsGzip(r) {
		h.Set("Content-Encoding", "gzip")
		body = it.gzip
	}
	h.Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.ReplaceAll(q, " ", "") != "q=0" {
			return true
		}
	}
	return false
}

// navItem is a link in the page header.
type navItem struct {
	Href, Label string
	Current     bool
}

// pageView is what a page template renders.
type pageView struct {
	Page    page
	Nav     []navItem
	Styles  []string
	Scripts []string
	Licence string
	Favicon string
}

// renderedPage is a page rendered once at start: it depends on nothing in
// the request, so every request gets the same bytes.
type renderedPage struct {
	body []byte
	etag string
}

// renderPages parses the layout and each page's template once and renders
// every page.
func renderPages(files fs.FS, a *assets) (map[string]renderedPage, error) {
	layout, err := template.New("layout.html").ParseFS(files, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("parse dashboard layout: %w", err)
	}
	pages := dashboardPages()
	out := map[string]renderedPage{}
	for _, p := range pages {
		t, err := template.Must(layout.Clone()).ParseFS(files, "templates/"+p.ID+".html")
		if err != nil {
			return nil, fmt.Errorf("parse dashboard page %s: %w", p.ID, err)
		}
		v := pageView{Page: p}
		for _, q := range pages {
			v.Nav = append(v.Nav, navItem{Href: q.Href(), Label: q.Nav, Current: q.ID == p.ID})
		}
		names := append([]string{"js/api.js", "js/ui.js"}, p.Scripts...)
		names = append(names, "js/pages/"+p.ID+".js")
		for _, n := range names {
			u, err := a.url(n)
			if err != nil {
				return nil, fmt.Errorf("dashboard page %s: %w", p.ID, err)
			}
			v.Scripts = append(v.Scripts, u)
		}
		for _, n := range []string{"vendor/uplot/uPlot.min.css", "css/sextant.css"} {
			u, err := a.url(n)
			if err != nil {
				return nil, fmt.Errorf("dashboard page %s: %w", p.ID, err)
			}
			v.Styles = append(v.Styles, u)
		}
		if v.Licence, err = a.url("vendor/uplot/LICENSE"); err != nil {
			return nil, err
		}
		if v.Favicon, err = a.url("img/favicon.svg"); err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		if err := t.ExecuteTemplate(&buf, "layout.html", v); err != nil {
			return nil, fmt.Errorf("render dashboard page %s: %w", p.ID, err)
		}
		sum := sha256.Sum256(buf.Bytes())
		out[p.ID] = renderedPage{body: buf.Bytes(), etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
	}
	return out, nil
}

// routePages registers the dashboard pages and their static files.
func (s *Server) routePages() {
	static, err := fs.Sub(uiFiles, "ui/static")
	if err != nil {
		panic(err)
	}
	templates, err := fs.Sub(uiFiles, "ui")
	if err != nil {
		panic(err)
	}
	a, err := loadAssets(static)
	if err != nil {
		panic(err) // the files are compiled in: tests catch this
	}
	rendered, err := renderPages(templates, a)
	if err != nil {
		panic(err)
	}
	s.mux.Handle("GET /static/", a)
	for _, p := range dashboardPages() {
		s.mux.Handle("GET "+p.Path, servePage(rendered[p.ID]))
	}
}

// servePage answers with a rendered page. Browsers revalidate it on every
// visit (cheap, by ETag) so a new release's asset names are picked up at once.
func servePage(p renderedPage) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", pageCSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-cache")
		h.Set("ETag", p.etag)
		if r.Header.Get("If-None-Match") == p.etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Write(p.body)
	})
}
