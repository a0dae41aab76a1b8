package sync

import (
	gosync "sync"
)

// Progress counts what a sync stored, for a progress display. Requests
// and rate-limit points are the client's Budget's to tell. Safe for
// concurrent use.
type Progress struct {
	mu gosync.Mutex
	// expected is how many pull requests and issues the sync will store,
	// when known (a first or full sync counts them first).
	expected int64
	done     int64
	items    map[string]int64
	current  string
}

// ProgressSnapshot is Progress at one moment.
type ProgressSnapshot struct {
	// Items stored, by kind (pulls, reviews, issues, events, deployments,
	// runs, releases, members, …).
	Items map[string]int64
	// Done of Expected pull requests and issues (Expected 0: unknown).
	Done, Expected int64
	// Scope is what is being synced now.
	Scope string
}

// Expect adds n pull requests and issues to the expected total.
func (p *Progress) Expect(n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.expected += n
}

func (p *Progress) add(kind string, n int) {
	if n == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.items == nil {
		p.items = map[string]int64{}
	}
	p.items[kind] += int64(n)
	if kind == "pulls" || kind == "issues" {
		p.done += int64(n)
	}
}

func (p *Progress) scope(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.current = s
}

// Snapshot returns the counts so far.
func (p *Progress) Snapshot() ProgressSnapshot {
	p.mu.Lock()
	defer p.mu.Unlock()
	items := make(map[string]int64, len(p.items))
	for k, v := range p.items {
		items[k] = v
	}
	return ProgressSnapshot{Items: items, Done: p.done, Expected: p.expected, Scope: p.current}
}
