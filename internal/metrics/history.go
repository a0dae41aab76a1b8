package metrics

import (
	"strings"
)

// GitHub lists at most this many commits in a push webhook; a push with
// that many may have been cut short.
const maxPushCommits = 2048

// push is one push to a ref, with the commits it added (GitHub's compare
// of before...after, oldest first).
type push struct {
	id           int64
	ref          string
	before       string
	after        string
	forced       bool
	created      bool
	deleted      bool
	distinctSize int64
	pushedAt     int64
	commits      []string
}

// complete reports whether the push's commit list can be trusted to be
// whole.
func (p *push) complete() bool {
	return len(p.commits) < maxPushCommits && int64(len(p.commits)) >= p.distinctSize
}

// history is a repository's push history, indexed for walking back from a
// sha.
type history struct {
	byAfter map[string][]*push
	bySHA   map[string][]pushPos // a commit inside a push
	pushes  []*push
}

type pushPos struct {
	p   *push
	pos int
}

func newHistory(pushes []*push) *history {
	h := &history{byAfter: map[string][]*push{}, bySHA: map[string][]pushPos{}, pushes: pushes}
	for _, p := range pushes {
		if p.deleted {
			continue
		}
		h.byAfter[p.after] = append(h.byAfter[p.after], p)
		for i, c := range p.commits {
			h.bySHA[c] = append(h.bySHA[c], pushPos{p, i})
		}
	}
	return h
}

// sameSHA compares a full sha with one that may be abbreviated (CI events
// may report 7 digits).
func sameSHA(full, maybeShort string) bool {
	if maybeShort == "" || full == "" {
		return false
	}
	if len(maybeShort) >= len(full) {
		return strings.EqualFold(full, maybeShort)
	}
	return strings.HasPrefix(strings.ToLower(full), strings.ToLower(maybeShort))
}

// candidateRefs turns a deployment's ref (main, refs/heads/main, v1.2)
// and the default branch into the push refs to prefer, best first.
func candidateRefs(ref, defaultBranch string) []string {
	var out []string
	switch {
	case strings.HasPrefix(ref, "refs/"):
		out = append(out, ref)
	case ref != "":
		out = append(out, "refs/heads/"+ref, "refs/tags/"+ref)
	}
	if defaultBranch != "" {
		out = append(out, "refs/heads/"+defaultBranch)
	}
	return out
}

// start finds where a walk back from sha begins: the push that ended at it
// (on the preferred refs first, then the latest), or the push that added
// it mid-way, with the index of the last commit to take.
func (h *history) start(sha string, refs []string) (*push, int) {
	var cands []*push
	if len(sha) >= 40 {
		cands = h.byAfter[strings.ToLower(sha)]
	} else {
		for _, p := range h.pushes {
			if !p.deleted && sameSHA(p.after, sha) {
				cands = append(cands, p)
			}
		}
	}
	if p := pickPush(cands, refs); p != nil {
		return p, len(p.commits) - 1
	}
	var inside []pushPos
	if len(sha) >= 40 {
		inside = h.bySHA[strings.ToLower(sha)]
	} else {
		for _, p := range h.pushes {
			for i, c := range p.commits {
				if sameSHA(c, sha) {
					inside = append(inside, pushPos{p, i})
				}
			}
		}
	}
	var best *pushPos
	for i := range inside {
		pp := &inside[i]
		if best == nil || better(pp.p, best.p, refs) {
			best = pp
		}
	}
	if best == nil {
		return nil, 0
	}
	return best.p, best.pos
}

func pickPush(cands []*push, refs []string) *push {
	var best *push
	for _, p := range cands {
		if best == nil || better(p, best, refs) {
			best = p
		}
	}
	return best
}

// better orders pushes: on a preferred ref (earlier in refs first), then
// the later push, then the higher id.
func better(a, b *push, refs []string) bool {
	ra, rb := refRank(a.ref, refs), refRank(b.ref, refs)
	if ra != rb {
		return ra < rb
	}
	if a.pushedAt != b.pushedAt {
		return a.pushedAt > b.pushedAt
	}
	return a.id > b.id
}

func refRank(ref string, refs []string) int {
	for i, r := range refs {
		if r == ref {
			return i
		}
	}
	return len(refs)
}

// shippedCommit is a commit a deployment shipped and the push that brought
// it to the deployed ref, when known.
type shippedCommit struct {
	sha  string
	push *push
}

// between returns the commits reachable from x and not from y, walking the
// push history back from x until y, on the ref x was pushed to. ok is false
// when the history cannot answer: a gap (a push never seen), a force push
// or the branch's creation before reaching y, or a commit list cut short.
// When x is itself reachable from y (a rollback to an older sha), the
// answer is known and empty.
func (h *history) between(x, y string, refs []string) ([]shippedCommit, bool) {
	out, ok := h.walk(x, y, refs)
	if ok {
		return out, true
	}
	if _, back := h.walk(y, x, refs); back {
		return nil, true
	}
	return nil, false
}

func (h *history) walk(x, y string, refs []string) ([]shippedCommit, bool) {
	p, upto := h.start(x, refs)
	if p == nil || y == "" {
		return nil, false
	}
	var out []shippedCommit
	seen := map[int64]bool{}
	for p != nil && !seen[p.id] {
		seen[p.id] = true
		if !p.complete() {
			return nil, false
		}
		cs := p.commits[:upto+1]
		for k := len(cs) - 1; k >= 0; k-- {
			if sameSHA(cs[k], y) {
				for _, c := range cs[k+1:] {
					out = append(out, shippedCommit{c, p})
				}
				return out, true
			}
		}
		for _, c := range cs {
			out = append(out, shippedCommit{c, p})
		}
		if sameSHA(p.before, y) {
			return out, true
		}
		if p.forced || p.created || strings.Trim(p.before, "0") == "" {
			return nil, false
		}
		p = h.previous(p)
		if p != nil {
			upto = len(p.commits) - 1
		}
	}
	return nil, false
}

// previous is the push that ended where p began: on the same ref if
// there is one, else on any (a branch forked from another at a pushed
// sha). Reachability does not depend on the ref a commit was pushed to.
func (h *history) previous(p *push) *push {
	var best *push
	for _, q := range h.byAfter[p.before] {
		if q.id == p.id || q.pushedAt > p.pushedAt {
			continue
		}
		switch {
		case best == nil,
			q.ref == p.ref && best.ref != p.ref,
			(q.ref == p.ref) == (best.ref == p.ref) && (q.pushedAt > best.pushedAt || q.pushedAt == best.pushedAt && q.id > best.id):
			best = q
		}
	}
	return best
}
