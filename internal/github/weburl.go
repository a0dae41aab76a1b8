package github

import (
	"net/url"
	"strings"
)

// WebURL is the web root of the GitHub whose REST API root is apiBase, for
// links people open: https://github.com for https://api.github.com, and
// https://HOST for a GitHub Enterprise Server's https://HOST/api/v3. Any
// other root (a proxy, the fake) keeps its scheme, host and the path
// before /api/v3, if any. An unparsable root gives https://github.com.
func WebURL(apiBase string) string {
	u, err := url.Parse(strings.TrimSpace(apiBase))
	if err != nil || u.Host == "" {
		return "https://github.com"
	}
	if strings.EqualFold(u.Host, "api.github.com") {
		return "https://github.com"
	}
	p := strings.TrimSuffix(u.Path, "/")
	p, _ = strings.CutSuffix(p, "/api/v3")
	return u.Scheme + "://" + u.Host + p
}
