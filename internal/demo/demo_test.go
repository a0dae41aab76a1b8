package demo

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

var testEnd = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)

// digest streams an organization and returns a hash of every item, in
// order, with the counts seen.
func digest(t *testing.T, opts Options) (string, map[string]int, int, *Summary) {
	t.Helper()
	transfers := 0
	h := sha256.New()
	byEvent := map[string]int{}
	ci := 0
	var last time.Time
	sum, err := Stream(opts, func(it *Item) error {
		if it.Time.Before(last) {
			return fmt.Errorf("item at %s after one at %s: stream is not in time order", it.Time, last)
		}
		last = it.Time
		switch {
		case it.Delivery != nil && it.CI == nil:
			body, err := it.Delivery.Body()
			if err != nil {
				return err
			}
			var obj map[string]any
			if err := json.Unmarshal(body, &obj); err != nil {
				return fmt.Errorf("delivery %s (%s) is not a JSON object: %v", it.Delivery.GUID, it.Delivery.Event, err)
			}
			if a, _ := obj["action"].(string); a != it.Delivery.Action {
				return fmt.Errorf("delivery %s: body action %q, item action %q", it.Delivery.GUID, a, it.Delivery.Action)
			}
			if it.Delivery.Action == "transferred" {
				// Both ends of a transfer are in the body as it is emitted.
				changes, _ := obj["changes"].(map[string]any)
				if changes["new_issue"] == nil || changes["new_repository"] == nil {
					return fmt.Errorf("transferred delivery %s lacks changes.new_issue/new_repository", it.Delivery.GUID)
				}
				transfers++
			}
			byEvent[it.Delivery.Event]++
			fmt.Fprintf(h, "%s %s %s %s\n", it.Time.Format(time.RFC3339), it.Delivery.GUID, it.Delivery.Event, body)
		case it.CI != nil && it.Delivery == nil:
			ci++
			b, err := json.Marshal(it.CI)
			if err != nil {
				return err
			}
			fmt.Fprintf(h, "%s ci %s\n", it.Time.Format(time.RFC3339), b)
		default:
			return fmt.Errorf("item at %s is neither a delivery nor a CI event alone", it.Time)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if transfers != sum.IssueTransfers {
		t.Errorf("%d transferred deliveries, summary says %d transfers", transfers, sum.IssueTransfers)
	}
	return fmt.Sprintf("%x", h.Sum(nil)), byEvent, ci, sum
}

func TestStreamIsDeterministic(t *testing.T) {
	opts := Options{Seed: 7, Months: 1, End: testEnd}
	a, _, _, _ := digest(t, opts)
	b, _, _, _ := digest(t, opts)
	if a != b {
		t.Fatalf("two streams of the same options differ: %s vs %s", a, b)
	}
	opts.Seed = 8
	if c, _, _, _ := digest(t, opts); c == a {
		t.Fatalf("seeds 7 and 8 gave the same stream")
	}
}

func TestSummaryCountsWhatWasEmitted(t *testing.T) {
	_, byEvent, ci, sum := digest(t, Options{Seed: 1, Months: 2, End: testEnd})
	total := 0
	for ev, n := range byEvent {
		total += n
		if sum.DeliveriesByEvent[ev] != n {
			t.Errorf("summary says %d %s deliveries, stream had %d", sum.DeliveriesByEvent[ev], ev, n)
		}
	}
	if sum.Deliveries != total {
		t.Errorf("summary says %d deliveries, stream had %d", sum.Deliveries, total)
	}
	if sum.CIEvents != ci {
		t.Errorf("summary says %d CI events, stream had %d", sum.CIEvents, ci)
	}
	for _, ev := range []string{"pull_request", "pull_request_review", "push", "deployment", "deployment_status",
		"issues", "issue_comment", "membership", "organization", "team", "repository", "release", "workflow_run"} {
		if byEvent[ev] == 0 {
			t.Errorf("no %s deliveries in two months", ev)
		}
	}
	if sum.PullRequestsMerged == 0 || sum.SquashMerges == 0 || sum.RebaseMerges == 0 || sum.MergeCommits == 0 {
		t.Errorf("want merges of every method, got merge %d squash %d rebase %d", sum.MergeCommits, sum.SquashMerges, sum.RebaseMerges)
	}
	if sum.Rollbacks == 0 || sum.Incidents == 0 || sum.FailedDeployments == 0 {
		t.Errorf("want failures: rollbacks %d incidents %d failed deployments %d", sum.Rollbacks, sum.Incidents, sum.FailedDeployments)
	}
}

// The teams are generated for different DORA levels so the dashboard shows
// contrast: an elite team deploys more often and fails less than a low one.
func TestTeamsLandInDifferentLevels(t *testing.T) {
	// The summary alone: no need to encode every body.
	sum, err := Stream(Options{Seed: 1, Months: 4, End: testEnd}, func(*Item) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	byLevel := map[string]TeamSummary{}
	for _, ts := range sum.Teams {
		byLevel[ts.Level] = ts
	}
	elite, low := byLevel[LevelElite], byLevel[LevelLow]
	if elite.Slug == "" || low.Slug == "" {
		t.Fatalf("want an elite and a low team, got %+v", sum.Teams)
	}
	if elite.DeploysPerWeek <= 4*low.DeploysPerWeek {
		t.Errorf("elite team deploys %.2f/week, low team %.2f/week: want a clear gap", elite.DeploysPerWeek, low.DeploysPerWeek)
	}
	if elite.MedianLeadTime >= low.MedianLeadTime {
		t.Errorf("elite lead time %s not below low's %s", elite.MedianLeadTime, low.MedianLeadTime)
	}
	if elite.ChangeFailureRate >= low.ChangeFailureRate {
		t.Errorf("elite change failure rate %.2f not below low's %.2f", elite.ChangeFailureRate, low.ChangeFailureRate)
	}
}

func TestOptionsAreChecked(t *testing.T) {
	for _, o := range []Options{
		{Seed: 1},                                   // no End
		{Seed: 1, End: testEnd, Months: 61},         // too long
		{Seed: 1, End: testEnd, Scale: Scale("xl")}, // unknown scale
	} {
		if _, err := Stream(o, func(*Item) error { return nil }); err == nil {
			t.Errorf("Stream(%+v) accepted bad options", o)
		}
	}
}

// Each team is added to its repositories with write access, in the
// payload's repository.permissions as GitHub sends it: without it the
// teams would own nothing and have no delivery metrics.
func TestTeamsWriteToTheirRepositories(t *testing.T) {
	added := 0
	_, err := Stream(Options{Seed: 7, Months: 1, End: testEnd}, func(it *Item) error {
		d := it.Delivery
		if d == nil || d.Event != "team" || d.Action != "added_to_repository" {
			return nil
		}
		added++
		body, err := d.Body()
		if err != nil {
			return err
		}
		var ev struct {
			Repository struct {
				FullName    string          `json:"full_name"`
				Permissions map[string]bool `json:"permissions"`
			} `json:"repository"`
		}
		if err := json.Unmarshal(body, &ev); err != nil {
			return err
		}
		if !ev.Repository.Permissions["push"] || ev.Repository.Permissions["admin"] {
			t.Errorf("team added to %s with permissions %v; want push", ev.Repository.FullName, ev.Repository.Permissions)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if added == 0 {
		t.Fatal("no team was added to a repository")
	}
}
