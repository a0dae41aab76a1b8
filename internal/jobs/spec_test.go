package jobs

import (
	"testing"
	"time"
)

func TestParseSpec(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Spec
		err  bool
	}{
		{in: "30m", want: Spec{Interval: 30 * time.Minute}},
		{in: "05:00", want: Spec{DailyAt: "05:00"}},
		{in: "23:59", want: Spec{DailyAt: "23:59"}},
		{in: "24:00", err: true},
		{in: "100ms", err: true},
		{in: "soon", err: true},
	} {
		got, err := ParseSpec(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("ParseSpec(%q) = %+v, %v; want %+v, error %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestSpecNext(t *testing.T) {
	at := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	daily := Spec{DailyAt: "05:00"}
	if got := daily.First(at("2026-03-01T04:59:00Z")); !got.Equal(at("2026-03-01T05:00:00Z")) {
		t.Errorf("daily first before 05:00 = %v", got)
	}
	if got := daily.Next(at("2026-03-01T05:00:00Z"), at("2026-03-01T05:00:01Z")); !got.Equal(at("2026-03-02T05:00:00Z")) {
		t.Errorf("daily next = %v", got)
	}
	every := Spec{Interval: 30 * time.Minute}
	// On time: the next slot.
	if got := every.Next(at("2026-03-01T10:00:00Z"), at("2026-03-01T10:00:02Z")); !got.Equal(at("2026-03-01T10:30:00Z")) {
		t.Errorf("interval next = %v", got)
	}
	// Down for 2 hours: missed slots are skipped, not replayed.
	if got := every.Next(at("2026-03-01T10:00:00Z"), at("2026-03-01T12:10:00Z")); !got.Equal(at("2026-03-01T12:30:00Z")) {
		t.Errorf("interval next after downtime = %v", got)
	}
}
