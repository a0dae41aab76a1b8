package github

import "testing"

func TestWebURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://api.github.com":          "https://github.com",
		"https://api.github.com/":         "https://github.com",
		"https://ghe.example.com/api/v3":  "https://ghe.example.com",
		"https://ghe.example.com/api/v3/": "https://ghe.example.com",
		"https://example.com/git/api/v3":  "https://example.com/git",
		"http://127.0.0.1:9090":           "http://127.0.0.1:9090",
		"::not a url":                     "https://github.com",
		"":                                "https://github.com",
	} {
		if got := WebURL(in); got != want {
			t.Errorf("WebURL(%q) = %q, want %q", in, got, want)
		}
	}
}
