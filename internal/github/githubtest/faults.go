package githubtest

import (
	"net/http"
	"strings"
	"time"
)

// FaultKind is what goes wrong.
type FaultKind int

// Faults a test can inject.
const (
	// FaultStatus answers with Status (default 502) instead of the real
	// answer, charging nothing.
	FaultStatus FaultKind = iota + 1
	// FaultSlow waits Delay (real time) before answering.
	FaultSlow
	// FaultTruncate sends the first half of the body as if it were all of
	// it: valid HTTP, broken JSON.
	FaultTruncate
	// FaultReset promises the whole body, sends half and closes the
	// connection.
	FaultReset
	// FaultMalformed answers 200 with an HTML page instead of JSON.
	FaultMalformed
	// FaultSecondary answers with a secondary rate limit: Status (default
	// 403) and GitHub's message, with a retry-after header when RetryAfter
	// is set.
	FaultSecondary
)

// Fault is a failure the fake applies to the next Times matching requests.
type Fault struct {
	Kind FaultKind
	// Method and Path select requests: Path is a prefix of the request path
	// (without /api/v3); empty matches everything.
	Method     string
	Path       string
	Status     int
	Delay      time.Duration
	RetryAfter time.Duration
	// Times is how many requests it hits (default 1).
	Times int
}

func (f *Fault) status() int {
	switch {
	case f.Status != 0:
		return f.Status
	case f.Kind == FaultSecondary:
		return http.StatusForbidden
	}
	return http.StatusBadGateway
}

// Inject adds a fault; faults apply in the order they were added.
func (s *Server) Inject(f Fault) {
	if f.Times == 0 {
		f.Times = 1
	}
	s.cmu.Lock()
	defer s.cmu.Unlock()
	s.faults = append(s.faults, &f)
}

// ClearFaults drops the faults not applied yet.
func (s *Server) ClearFaults() {
	s.cmu.Lock()
	defer s.cmu.Unlock()
	s.faults = nil
}

// PendingFaults is how many fault applications are left.
func (s *Server) PendingFaults() int {
	s.cmu.Lock()
	defer s.cmu.Unlock()
	n := 0
	for _, f := range s.faults {
		n += f.Times
	}
	return n
}

// fault takes the first fault matching r.
func (s *Server) fault(r *http.Request) *Fault {
	s.cmu.Lock()
	defer s.cmu.Unlock()
	for i, f := range s.faults {
		if f.Method != "" && f.Method != r.Method || !strings.HasPrefix(r.URL.Path, f.Path) {
			continue
		}
		f.Times--
		if f.Times <= 0 {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
		}
		s.stats.Faults++
		c := *f
		return &c
	}
	return nil
}
