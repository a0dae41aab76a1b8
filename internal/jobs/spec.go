package jobs

import (
	"fmt"
	"time"
)

// Spec says when a schedule runs: every Interval, or daily at DailyAt
// ("HH:MM", UTC).
type Spec struct {
	Interval time.Duration
	DailyAt  string
}

// ParseSpec reads "30m", "1h" (an interval) or "05:00" (daily, UTC).
func ParseSpec(s string) (Spec, error) {
	if t, err := time.Parse("15:04", s); err == nil {
		return Spec{DailyAt: t.Format("15:04")}, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return Spec{}, fmt.Errorf("%q is neither an interval such as 30m nor a daily UTC time such as 05:00", s)
	}
	if d < time.Second {
		return Spec{}, fmt.Errorf("interval %s is shorter than 1s", d)
	}
	return Spec{Interval: d}, nil
}

func (s Spec) String() string {
	if s.DailyAt != "" {
		return "daily at " + s.DailyAt + " UTC"
	}
	return "every " + s.Interval.String()
}

// First is the first run time of a new schedule: now for an interval, so
// a fresh install does its work at once, else the next daily time.
func (s Spec) First(now time.Time) time.Time {
	if s.DailyAt == "" {
		return now
	}
	return s.nextDaily(now)
}

// Next is the run time after the occurrence due at prev, given the time
// now. Occurrences missed while no replica ran are skipped, not replayed.
func (s Spec) Next(prev, now time.Time) time.Time {
	if s.DailyAt != "" {
		return s.nextDaily(now)
	}
	next := prev.Add(s.Interval)
	if !next.After(now) {
		missed := now.Sub(next)/s.Interval + 1
		next = next.Add(missed * s.Interval)
	}
	return next
}

func (s Spec) nextDaily(now time.Time) time.Time {
	t, _ := time.Parse("15:04", s.DailyAt)
	now = now.UTC()
	at := time.Date(now.Year(), now.Month(), now.Day(), t.Hour(), t.Minute(), 0, 0, time.UTC)
	if !at.After(now) {
		at = at.AddDate(0, 0, 1)
	}
	return at
}
