package metrics

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sextant-dev/sextant/internal/core"
	"github.com/sextant-dev/sextant/internal/metrics/metricstest"
	"github.com/sextant-dev/sextant/internal/store"
)

// Periods are UTC and half-open: a deployment at the first instant of a
// period is in it, one at the first instant of the next is not, whatever
// offset the query's times were given in.
func TestGoldenPeriodBoundariesUTC(t *testing.T) {
	eachEngine(t, func(t *testing.T, db *store.DB) {
		f := metricstest.New(t, db)
		api := f.Repo(1, "acme/api", "main")
		for i, ts := range []string{
			"2026-05-31T23:59:59.999Z",  // previous period
			"2026-06-01T00:00:00Z",      // first instant: in
			"2026-06-07T23:59:59.999Z",  // last instant: in
			"2026-06-08T00:00:00Z",      // the next period's first instant: out
			"2026-06-08T01:30:00+02:00", // 23:30Z on 06-07: in
		} {
			when, _ := time.Parse(time.RFC3339Nano, ts)
			f.GitHubDeployment(api, fmt.Sprint("b", i), "production", sha(fmt.Sprint("b", i)), when.Add(-time.Minute), "success", when)
		}
		e := NewEngine(db, quiet, testSettings())
		refresh(t, e)
		q, err := ParseFilter(url.Values{"from": {"2026-06-01T02:00:00+02:00"}, "to": {"2026-06-08"}, "interval": {"day"}}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		d := mustDORA(t, e, q)
		if d.DeploymentFrequency.Deployments != 3 || d.Previous.DeploymentFrequency.Deployments != 1 {
			t.Errorf("in the week %d (want 3: 06-01 00:00, 06-07 23:59:59.999 and 23:30), before %d (want 1)",
				d.DeploymentFrequency.Deployments, d.Previous.DeploymentFrequency.Deployments)
		}
		if first, last := d.Series[0], d.Series[6]; first.DeploymentFrequency.Deployments != 1 || last.DeploymentFrequency.Deployments != 2 ||
			!last.From.Equal(at("06-07 00:00")) || !last.To.Equal(at("06-08 00:00")) {
			t.Errorf("first day %+v, last day %+v", first, last)
		}
		// Days with a deployment in the week: 06-01 and 06-07.
		if m := d.DeploymentFrequency.MedianDeployDaysPerWeek; m != 2 {
			t.Errorf("median deploy days per week %v; want 2", m)
		}
		// A range starting mid-day keeps that day: 06-07 12:00 to 06-08 12:00
		// holds the 23:30 and 23:59:59.999 deployments of 06-07 and the one
		// at 06-08 00:00: two days, in two clipped weeks (06-07 is a Sunday).
		mid := mustDORA(t, e, Filter{From: at("06-07 12:00"), To: at("06-08 12:00"), Interval: Week})
		if df := mid.DeploymentFrequency; df.Deployments != 3 || df.MedianDeployDaysPerWeek != 1 || len(mid.Series) != 2 {
			t.Errorf("mid-day range: %+v, %d points; want 3 deployments, a day in each of 2 weeks", df, len(mid.Series))
		}
	})
}

func TestBuckets(t *testing.T) {
	for _, tc := range []struct {
		from, to, interval string
		want               string
	}{
		// Weeks start on Monday (2026-06-01); the first and last are
		// clipped to the range so that they add up to it.
		{"06-03 00:00", "06-17 12:00", Week, "06-03 06-08 06-15 | 06-17 12:00"},
		{"05-20 00:00", "07-10 00:00", Month, "05-20 06-01 07-01 | 07-10 00:00"},
		{"06-01 06:00", "06-03 00:00", Day, "06-01 06-02 | 06-03 00:00"},
	} {
		bs := buckets(Range{at(tc.from), at(tc.to)}, tc.interval)
		var parts []string
		for _, b := range bs {
			parts = append(parts, b.From.Format("01-02"))
		}
		got := strings.Join(parts, " ") + " | " + bs[len(bs)-1].To.Format("01-02 15:04")
		if got != tc.want {
			t.Errorf("%s %s..%s: %s; want %s", tc.interval, tc.from, tc.to, got, tc.want)
		}
		for i := 1; i < len(bs); i++ {
			if !bs[i].From.Equal(bs[i-1].To) {
				t.Errorf("gap between %v and %v", bs[i-1], bs[i])
			}
		}
	}
}

func TestParseFilterProblems(t *testing.T) {
	now := time.Date(2026, 6, 10, 15, 0, 0, 0, time.UTC)
	f, err := ParseFilter(url.Values{}, now)
	if err != nil || !f.To.Equal(at("06-11 00:00")) || !f.From.Equal(at("05-12 00:00")) || f.Interval != Week {
		t.Errorf("defaults %+v %v; want the 30 days to the next UTC midnight, weekly", f, err)
	}
	for _, tc := range []struct {
		q     string
		field string
		msg   string
	}{
		{"from=yesterday", "from", "not an RFC 3339 time or a date"},
		{"from=2026-06-02&to=2026-06-01", "to", "must be after from"},
		{"interval=hour", "interval", "not day, week or month"},
		{"repo=api", "repo", "not owner/name"},
		{"team=a/b/c", "team", "org/slug"},
		{"org=ac%20me", "org", "not an organization login"},
		{"from=2020-01-01&to=2026-01-01", "from", "longer than 1098 days"},
		{"iterval=day", "iterval", "unknown parameter"},
		{"repo=a/b&repo=c/d", "repo", "more than once"},
	} {
		q, _ := url.ParseQuery(tc.q)
		_, err := ParseFilter(q, now)
		var ps core.Problems
		if !errors.As(err, &ps) || core.ErrorCode(err) != core.CodeInvalid {
			t.Errorf("%s: %v; want invalid with problems", tc.q, err)
			continue
		}
		found := false
		for _, p := range ps {
			found = found || p.Field == tc.field && strings.Contains(p.Message, tc.msg)
		}
		if !found {
			t.Errorf("%s: %v; want %s: …%s…", tc.q, ps, tc.field, tc.msg)
		}
	}
}

func TestUnknownScope(t *testing.T) {
	db := storetestOpenSQLite(t)
	f := metricstest.New(t, db)
	f.Repo(1, "acme/api", "main")
	f.Org(core.Organization{ID: 10, Login: "acme"})
	f.Org(core.Organization{ID: 11, Login: "globex"})
	f.Team(core.Team{ID: 20, OrgID: 10, Slug: "core", Name: "Core"})
	f.Team(core.Team{ID: 21, OrgID: 11, Slug: "core", Name: "Core"})
	e := NewEngine(db, quiet, testSettings())
	for _, tc := range []struct {
		f     Filter
		field string
		msg   string
	}{
		{Filter{Repo: "acme/nope"}, "repo", "no repository acme/nope"},
		{Filter{Org: "initech"}, "org", "no repository of an organization initech"},
		{Filter{Team: "acme/nope"}, "team", "no team acme/nope"},
		{Filter{Team: "core"}, "team", "core is the slug of several teams: give one of acme/core, globex/core"},
	} {
		tc.f.From, tc.f.To, tc.f.Interval = at("06-01 00:00"), at("06-02 00:00"), Day
		_, err := e.DORA(context.Background(), tc.f)
		if core.ErrorCode(err) != core.CodeInvalid || !strings.Contains(err.Error(), tc.field+": "+tc.msg) {
			t.Errorf("%+v: %v; want %s: %s", tc.f, err, tc.field, tc.msg)
		}
	}
	if _, err := e.DORA(context.Background(), Filter{Team: "ACME/Core", From: at("06-01 00:00"), To: at("06-02 00:00"), Interval: Day}); err != nil {
		t.Errorf("team by org/slug in another case: %v", err)
	}
}
