package github

import (
	"encoding/json"
	"errors"
	"os"
	"testing"

	gh "github.com/google/go-github/v89/github"

	"github.com/sextant-dev/sextant/internal/core"
)

func TestVerify(t *testing.T) {
	body := []byte(`{"zen":"Design for failure."}`)
	v := NewVerifier([]string{"new", "", "old"})
	for _, tc := range []struct {
		name         string
		sha256, sha1 string
		want         error
	}{
		{"new secret", Sign("new", body), "", nil},
		{"old secret while rotating", Sign("old", body), "", nil},
		{"legacy sha-1 alone", "", SignLegacy("old", body), nil},
		{"no signature", "", "", ErrNoSignature},
		{"unknown secret", Sign("other", body), "", ErrBadSignature},
		{"sha-256 wins over a good sha-1", Sign("other", body), SignLegacy("new", body), ErrBadSignature},
		{"sha-1 value in the sha-256 header", SignLegacy("new", body), "", ErrBadSignature},
		{"not hex", "sha256=zz", "", ErrBadSignature},
	} {
		if err := v.Verify(tc.sha256, tc.sha1, body); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v; want %v", tc.name, err, tc.want)
		}
	}
	if NewVerifier(nil).Configured() || NewVerifier([]string{""}).Configured() || !v.Configured() {
		t.Error("Configured should say whether any secret is set")
	}
}

func TestPullRequestMapping(t *testing.T) {
	read := func(path string, v any) {
		b, err := os.ReadFile("../../testdata/octokit-webhooks/" + path)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatal(err)
		}
	}
	var full gh.PullRequestEvent
	read("pull_request/opened.payload.json", &full)
	pr, ok := PullRequest(full.PullRequest, 9)
	if !ok || pr.Abridged || pr.RepoID != 9 || pr.ID != full.PullRequest.GetID() || pr.Additions != full.PullRequest.GetAdditions() ||
		len(pr.Labels) != len(full.PullRequest.Labels) {
		t.Errorf("full pull request: %+v", pr)
	}
	var review gh.PullRequestReviewEvent
	read("pull_request_review/submitted.payload.json", &review)
	ab, ok := PullRequest(review.PullRequest, 9)
	if !ok || !ab.Abridged {
		t.Errorf("a review's pull request (no merged flag) should be abridged: %+v", ab)
	}
	rv, ok := Review(review.Review, ab.ID, 9)
	if !ok || rv.State != core.ReviewCommented {
		t.Errorf("review state %q; want the REST spelling %s", rv.State, core.ReviewCommented)
	}
	var ic gh.IssueCommentEvent
	read("issue_comment/created.payload.json", &ic)
	if _, ok := Issue(&gh.Issue{ID: gh.Ptr(int64(1)), Number: gh.Ptr(2), PullRequestLinks: &gh.PullRequestLinks{}}, 9); ok {
		t.Error("a pull request is not an issue")
	}
	c, ok := IssueComment(ic.Comment, ic.Issue, 9)
	if !ok || c.IssueNumber != ic.Issue.GetNumber() || c.OnPull != ic.Issue.IsPullRequest() {
		t.Errorf("issue comment: %+v", c)
	}
}

func TestDeployState(t *testing.T) {
	for in, want := range map[string]string{"success": core.DeploySuccess, "FAILURE": core.DeployFailure,
		"error": core.DeployError, "inactive": core.DeployInactive, "in_progress": core.DeployInProgress,
		"queued": core.DeployPending, "waiting": core.DeployPending, "pending": core.DeployPending} {
		if got := DeployState(in); got != want {
			t.Errorf("DeployState(%q) = %q; want %q", in, got, want)
		}
	}
}
