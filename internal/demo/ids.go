package demo

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"math"
	"math/rand/v2"
	"strconv"
)

// Kinds of GitHub ids. Each kind counts up from its own base so ids are
// unique per kind and increase with creation time, as GitHub's do.
const (
	idUser = iota
	idOrg
	idRepo
	idTeam
	idPull
	idIssue
	idReview
	idReviewComment
	idIssueComment
	idDeployment
	idDeploymentStatus
	idRelease
	idLabel
	idWorkflow
	idWorkflowRun
	idCheckSuite
	idPush
	idInstallation
	numIDKinds
)

// ids hands out GitHub ids. The seed picks a slot so that organizations
// generated with different seeds rarely collide when served side by side
// (the fake GitHub server); each slot leaves room for ten million ids per
// kind, far above the large scale.
type ids struct {
	next [numIDKinds]int64
}

func newIDs(seed int64) ids {
	var s ids
	slot := int64(uint64(seed) % 97)
	for k := range s.next {
		s.next[k] = int64(k+1)*1_000_000_000 + slot*10_000_000 + 1
	}
	return s
}

func (s *ids) take(kind int) int64 {
	id := s.next[kind]
	s.next[kind]++
	return id
}

// nodeID is GitHub's legacy global node id: base64 of "<len>:<Type><id>",
// e.g. MDQ6VXNlcjE= for User 1. Derived from the id, so it is stable too.
func nodeID(typ string, id int64) string {
	b := make([]byte, 0, 32)
	if len(typ) < 10 {
		b = append(b, '0')
	}
	b = strconv.AppendInt(b, int64(len(typ)), 10)
	b = append(b, ':')
	b = append(b, typ...)
	b = strconv.AppendInt(b, id, 10)
	return base64.StdEncoding.EncodeToString(b)
}

// newSHA draws a git object id.
func newSHA(r *rand.Rand) string {
	var b [24]byte
	binary.LittleEndian.PutUint64(b[0:], r.Uint64())
	binary.LittleEndian.PutUint64(b[8:], r.Uint64())
	binary.LittleEndian.PutUint64(b[16:], r.Uint64())
	return hex.EncodeToString(b[:20])
}

const zeroSHA = "0000000000000000000000000000000000000000"

// newGUID draws a delivery id shaped like GitHub's (a version 4 UUID).
func newGUID(r *rand.Rand) string {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[0:], r.Uint64())
	binary.LittleEndian.PutUint64(b[8:], r.Uint64())
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}

// draw returns a log-uniform duration in whole seconds within sp.
func draw(r *rand.Rand, sp span) int64 {
	lo, hi := math.Log(sp[0]), math.Log(sp[1])
	return int64(math.Exp(lo + r.Float64()*(hi-lo)))
}

// between returns an integer in [lo, hi], skewed towards lo.
func between(r *rand.Rand, lo, hi int) int {
	if hi <= lo {
		return lo
	}
	f := r.Float64()
	return lo + int(f*f*float64(hi-lo+1))
}

// chance reports true with probability p.
func chance(r *rand.Rand, p float64) bool { return r.Float64() < p }

// pick returns a random element of s.
func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

// poisson draws a small Poisson count (Knuth's method; fine for small means).
func poisson(r *rand.Rand, mean float64) int {
	l := math.Exp(-mean)
	k, p := 0, 1.0
	for {
		p *= r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}
