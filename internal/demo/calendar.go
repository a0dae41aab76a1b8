package demo

import (
	"fmt"
	"time"
)

const daySeconds = 86400

// region is where a person works: a fixed UTC offset and public holidays.
// Fixed offsets rather than IANA zones: daylight-saving rules come from the
// tz database of the machine or Go release, and the output must be the same
// bytes everywhere.
type region struct {
	name     string
	offset   int64 // seconds east of UTC
	holidays [][2]int
	// thanksgiving adds the fourth Thursday of November (United States).
	thanksgiving bool
}

func regions() []region {
	return []region{
		{name: "us-east", offset: -5 * hour, holidays: [][2]int{{1, 1}, {7, 4}, {12, 25}}, thanksgiving: true},
		{name: "us-west", offset: -8 * hour, holidays: [][2]int{{1, 1}, {7, 4}, {12, 25}}, thanksgiving: true},
		{name: "uk", offset: 0, holidays: [][2]int{{1, 1}, {12, 25}, {12, 26}}},
		{name: "europe", offset: 1 * hour, holidays: [][2]int{{1, 1}, {5, 1}, {10, 3}, {12, 24}, {12, 25}, {12, 26}}},
		{name: "india", offset: 5*hour + 30*minute, holidays: [][2]int{{1, 26}, {8, 15}, {10, 2}}},
		{name: "brazil", offset: -3 * hour, holidays: [][2]int{{1, 1}, {4, 21}, {9, 7}, {11, 15}, {12, 25}}},
		{name: "japan", offset: 9 * hour, holidays: [][2]int{{1, 1}, {1, 2}, {1, 3}, {2, 11}, {5, 3}, {5, 4}, {5, 5}}},
	}
}

func findRegion(name string) region {
	for _, r := range regions() {
		if r.name == name {
			return r
		}
	}
	panic("demo: unknown region " + name)
}

// dayNumber is the number of days since 1970-01-01 of a calendar date.
func dayNumber(y int, m time.Month, d int) int64 {
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / daySeconds
}

// weekday of a day number: 1970-01-01 was a Thursday.
func weekday(d int64) time.Weekday {
	return time.Weekday(((d+4)%7 + 7) % 7)
}

// holidayDays lists a region's public holidays for the years of the window.
func (rg region) holidayDays(fromYear, toYear int) []int64 {
	var out []int64
	for y := fromYear; y <= toYear; y++ {
		for _, md := range rg.holidays {
			out = append(out, dayNumber(y, time.Month(md[0]), md[1]))
		}
		if rg.thanksgiving {
			first := dayNumber(y, time.November, 1)
			d := first + int64((int(time.Thursday)-int(weekday(first))+7)%7) + 21
			out = append(out, d)
		}
	}
	return out
}

// calendar is one person's (or team's) working time.
type calendar struct {
	offset   int64 // seconds east of UTC
	loc      *time.Location
	startSec int64          // local second of the day work starts
	endSec   int64          // local second of the day work ends
	off      map[int64]bool // local day numbers off: holidays and vacations
	always   bool           // bots: every second is working time
}

func newCalendar(rg region, startSec, endSec int64, off map[int64]bool) *calendar {
	return &calendar{
		offset:   rg.offset,
		loc:      time.FixedZone(zoneName(rg.offset), int(rg.offset)),
		startSec: startSec,
		endSec:   endSec,
		off:      off,
	}
}

func zoneName(offset int64) string {
	sign := '+'
	if offset < 0 {
		sign = '-'
		offset = -offset
	}
	return fmt.Sprintf("%c%02d:%02d", sign, offset/hour, offset%hour/minute)
}

func alwaysOn() *calendar {
	return &calendar{loc: time.UTC, always: true, off: map[int64]bool{}}
}

func (c *calendar) local(t int64) (day, sec int64) {
	l := t + c.offset
	day = l / daySeconds
	if l%daySeconds < 0 {
		day--
	}
	return day, l - day*daySeconds
}

func (c *calendar) workday(d int64) bool {
	wd := weekday(d)
	return wd != time.Saturday && wd != time.Sunday && !c.off[d]
}

// next is the earliest working second at or after t.
func (c *calendar) next(t int64) int64 {
	if c.always {
		return t
	}
	d, sec := c.local(t)
	for {
		if c.workday(d) {
			if sec < c.startSec {
				return d*daySeconds + c.startSec - c.offset
			}
			if sec < c.endSec {
				return t
			}
		}
		d++
		sec = 0
		t = d*daySeconds - c.offset
	}
}

// add advances t by dur seconds of working time.
func (c *calendar) add(t, dur int64) int64 {
	if c.always {
		return t + dur
	}
	t = c.next(t)
	for {
		d, sec := c.local(t)
		if rem := c.endSec - sec; dur <= rem {
			return t + dur
		} else {
			dur -= rem
		}
		t = c.next((d+1)*daySeconds - c.offset)
	}
}

// workSeconds counts the working seconds in [from, to).
func (c *calendar) workSeconds(from, to int64) int64 {
	if c.always {
		return to - from
	}
	var n int64
	d0, _ := c.local(from)
	d1, _ := c.local(to)
	for d := d0; d <= d1; d++ {
		if !c.workday(d) {
			continue
		}
		s := max(d*daySeconds+c.startSec-c.offset, from)
		e := min(d*daySeconds+c.endSec-c.offset, to)
		if e > s {
			n += e - s
		}
	}
	return n
}

// at is the instant of a local time of day on a day number.
func (c *calendar) at(d, sec int64) int64 { return d*daySeconds + sec - c.offset }

// dayMonth is the month of a day number.
func dayMonth(d int64) time.Month { return time.Unix(d*daySeconds, 0).UTC().Month() }
