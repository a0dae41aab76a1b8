package metrics

import (
	"encoding/binary"
	"math"
	"slices"
)

// percentile is the p-th percentile (0 ≤ p ≤ 1) of sorted values by linear
// interpolation between the closest ranks, as SQL's PERCENTILE_CONT: the
// median of 1, 2, 3, 10 is 2.5. ok is false for no values.
func percentile(sorted []int64, p float64) (float64, bool) {
	n := len(sorted)
	if n == 0 {
		return 0, false
	}
	pos := p * float64(n-1)
	lo := int(math.Floor(pos))
	hi := int(math.Ceil(pos))
	frac := pos - float64(lo)
	return float64(sorted[lo]) + frac*float64(sorted[hi]-sorted[lo]), true
}

// spread is the median, p75 and p90 of a sample of durations, in seconds;
// nil where there are no values.
type spread struct {
	Median *float64 `json:"median_seconds"`
	P75    *float64 `json:"p75_seconds"`
	P90    *float64 `json:"p90_seconds"`
	Count  int      `json:"count"`
}

// spreadOf sorts ms (durations in milliseconds) and summarises it.
func spreadOf(ms []int64) spread {
	slices.Sort(ms)
	s := spread{Count: len(ms)}
	s.Median = seconds(percentile(ms, 0.5))
	s.P75 = seconds(percentile(ms, 0.75))
	s.P90 = seconds(percentile(ms, 0.9))
	return s
}

// seconds turns milliseconds into seconds with millisecond precision.
func seconds(ms float64, ok bool) *float64 {
	if !ok {
		return nil
	}
	v := math.Round(ms) / 1000
	return &v
}

// msSeconds is seconds for a known span in milliseconds.
func msSeconds(ms int64) *float64 {
	v := float64(ms) / 1000
	return &v
}

// rate is n/d rounded to four decimals, nil when d is 0.
func rate(n, d int) *float64 {
	if d == 0 {
		return nil
	}
	v := math.Round(float64(n)/float64(d)*1e4) / 1e4
	return &v
}

// packDurations encodes milliseconds as unsigned varints, so a deployment
// row can carry the lead times of everything it shipped.
func packDurations(ms []int64) []byte {
	if len(ms) == 0 {
		return nil
	}
	buf := make([]byte, 0, len(ms)*4)
	for _, v := range ms {
		buf = binary.AppendUvarint(buf, uint64(v))
	}
	return buf
}

// unpackDurations appends the durations packed in b to dst.
func unpackDurations(dst []int64, b []byte) []int64 {
	for len(b) > 0 {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return dst
		}
		dst = append(dst, int64(v))
		b = b[n:]
	}
	return dst
}
