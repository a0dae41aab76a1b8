package metrics

import (
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sextant-dev/sextant/internal/core"
)

// Intervals of a series. Periods are UTC: a day starts at midnight, a week
// on Monday, a month on the 1st.
const (
	Day   = "day"
	Week  = "week"
	Month = "month"
)

// Limits of a query.
const (
	DefaultDays  = 30
	maxRangeDays = 3 * 366
	maxBuckets   = 1100
)

// Filter is what a metric query covers: repositories (one, an
// organization's, a team's, or all), a half-open time range and the
// interval of its series.
type Filter struct {
	Repo     string // owner/name
	Team     string // org/slug, or a slug when only one organization has it
	Org      string // GitHub organization (repository owner)
	From, To time.Time
	Interval string
}

// Range is a half-open UTC time range [From, To).
type Range struct {
	From, To time.Time
}

func (r Range) fromMS() int64 { return r.From.UnixMilli() }
func (r Range) toMS() int64   { return r.To.UnixMilli() }

func (r Range) contains(ms int64) bool { return ms >= r.fromMS() && ms < r.toMS() }

// previous is the range of equal length just before r.
func (r Range) previous() Range {
	return Range{From: r.From.Add(-r.To.Sub(r.From)), To: r.From}
}

// Range returns the filter's time range.
func (f Filter) Range() Range { return Range{f.From, f.To} }

// ParseFilter reads the common query parameters (repo, team, org, from,
// to, interval) and those in extra, reporting every problem by parameter.
// from and to are RFC 3339 times or dates (midnight UTC); to defaults to
// the next midnight after now and from to 30 days before to.
func ParseFilter(q url.Values, now time.Time, extra ...string) (Filter, error) {
	var ps core.Problems
	checkParams(q, append([]string{"repo", "team", "org", "from", "to", "interval"}, extra...), &ps)
	f := Filter{Repo: strings.TrimSpace(q.Get("repo")), Team: strings.TrimSpace(q.Get("team")),
		Org: strings.TrimSpace(q.Get("org")), Interval: Week}
	if f.Repo != "" && !validRepo(f.Repo) {
		ps.Add("repo", fmt.Sprintf("%q is not owner/name", f.Repo))
	}
	if f.Org != "" && !validName(f.Org) {
		ps.Add("org", fmt.Sprintf("%q is not an organization login", f.Org))
	}
	if f.Team != "" {
		org, slug, has := strings.Cut(f.Team, "/")
		if !validName(org) || has && !validName(slug) {
			ps.Add("team", fmt.Sprintf("%q is not a team as org/slug or slug", f.Team))
		}
	}
	parse := func(name string) (time.Time, bool) {
		v := q.Get(name)
		if v == "" {
			return time.Time{}, false
		}
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			return t.UTC(), true
		}
		if t, err := time.Parse(time.DateOnly, v); err == nil {
			return t, true
		}
		ps.Add(name, fmt.Sprintf("%q is not an RFC 3339 time or a date such as 2024-05-01", v))
		return time.Time{}, true
	}
	from, hasFrom := parse("from")
	to, hasTo := parse("to")
	if !hasTo {
		to = now.UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
	}
	if !hasFrom {
		from = to.AddDate(0, 0, -DefaultDays)
	}
	f.From, f.To = from.Truncate(time.Millisecond), to.Truncate(time.Millisecond)
	if v := q.Get("interval"); v != "" {
		switch v {
		case Day, Week, Month:
			f.Interval = v
		default:
			ps.Add("interval", fmt.Sprintf("%q is not day, week or month", v))
		}
	}
	if !f.From.IsZero() && !f.To.IsZero() {
		switch {
		case !f.From.Before(f.To):
			ps.Add("to", "must be after from")
		case f.To.Sub(f.From) > maxRangeDays*24*time.Hour:
			ps.Add("from", fmt.Sprintf("the range is longer than %d days (3 years)", maxRangeDays))
		case len(buckets(f.Range(), f.Interval)) > maxBuckets:
			ps.Add("interval", fmt.Sprintf("%s over this range makes more than %d points; use a longer interval", f.Interval, maxBuckets))
		}
	}
	return f, ps.Invalid("invalid query")
}

// checkParams reports parameters not in known, rejected rather than
// ignored (a misspelt "intervl" would otherwise go unnoticed), and known
// ones given twice.
func checkParams(q url.Values, known []string, ps *core.Problems) {
	var unknown []string
	for k := range q {
		if !slices.Contains(known, k) {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		ps.Add(k, "unknown parameter (known: "+strings.Join(known, ", ")+")")
	}
	for _, k := range known {
		if len(q[k]) > 1 {
			ps.Add(k, "is given more than once")
		}
	}
}

func validRepo(s string) bool {
	owner, name, ok := strings.Cut(s, "/")
	return ok && validName(owner) && validName(name)
}

func validName(s string) bool {
	if s == "" || len(s) > 100 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// intParam reads an optional integer parameter within [lo, hi].
func intParam(q url.Values, name string, def, lo, hi int, ps *core.Problems) int {
	v := q.Get(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		ps.Add(name, fmt.Sprintf("%q is not a number from %d to %d", v, lo, hi))
		return def
	}
	return n
}

// boolParam reads an optional true/false parameter; nil when absent.
func boolParam(q url.Values, name string, ps *core.Problems) *bool {
	v := q.Get(name)
	if v == "" {
		return nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		ps.Add(name, fmt.Sprintf("%q is not true or false", v))
		return nil
	}
	return &b
}

// choice reads an optional parameter that must be one of choices.
func choice(q url.Values, name, def string, ps *core.Problems, choices ...string) string {
	v := q.Get(name)
	if v == "" {
		return def
	}
	if !slices.Contains(choices, v) {
		ps.Add(name, fmt.Sprintf("%q is not one of %s", v, strings.Join(choices, ", ")))
		return def
	}
	return v
}

// startOf is the start of the UTC period of the interval containing t.
func startOf(t time.Time, interval string) time.Time {
	t = t.UTC()
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	switch interval {
	case Week:
		return day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
	case Month:
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	return day
}

func next(t time.Time, interval string) time.Time {
	switch interval {
	case Week:
		return t.AddDate(0, 0, 7)
	case Month:
		return t.AddDate(0, 1, 0)
	}
	return t.AddDate(0, 0, 1)
}

// buckets cuts r into the UTC periods of interval, the first and last
// clipped to r, so that the buckets add up to the whole range.
func buckets(r Range, interval string) []Range {
	var out []Range
	for s := startOf(r.From, interval); s.Before(r.To); s = next(s, interval) {
		b := Range{From: s, To: next(s, interval)}
		if b.From.Before(r.From) {
			b.From = r.From
		}
		if b.To.After(r.To) {
			b.To = r.To
		}
		out = append(out, b)
		if len(out) > maxBuckets {
			break
		}
	}
	return out
}

// bucketOf returns the index of the bucket holding ms, or -1.
func bucketOf(bs []Range, ms int64) int {
	i := sort.Search(len(bs), func(i int) bool { return bs[i].toMS() > ms })
	if i < len(bs) && bs[i].contains(ms) {
		return i
	}
	return -1
}
