package metrics

import (
	"fmt"
	"sort"
	"strings"
	"testing"
)

func TestPushHistoryWalk(t *testing.T) {
	zero := strings.Repeat("0", 40)
	main := "refs/heads/main"
	h := newHistory([]*push{
		{id: 1, ref: main, before: zero, after: sha("a"), created: true, pushedAt: 1, commits: []string{sha("a")}},
		{id: 2, ref: main, before: sha("a"), after: sha("b"), pushedAt: 2, commits: []string{sha("x"), sha("b")}},
		{id: 3, ref: main, before: sha("q"), after: sha("r"), pushedAt: 3, commits: []string{sha("r")}}, // q never seen
		{id: 4, ref: main, before: sha("b"), after: sha("f"), forced: true, pushedAt: 4, commits: []string{sha("f")}},
		{id: 5, ref: main, before: sha("b"), after: sha("t"), pushedAt: 5, distinctSize: 3, commits: []string{sha("t")}}, // cut short
		{id: 6, ref: "refs/heads/other", before: sha("b"), after: sha("o"), pushedAt: 6, commits: []string{sha("o")}},
	})
	names := map[string]string{}
	for _, n := range []string{"a", "b", "x", "o"} {
		names[sha(n)] = n
	}
	for _, tc := range []struct {
		x, y string
		want string // sorted names, or "unknown"
	}{
		{"b", "a", "[b x]"},
		{sha("b")[:7], sha("a")[:9], "[b x]"}, // abbreviated shas
		{"x", "a", "[x]"},                     // deployed mid-push
		{"b", "x", "[b]"},                     // previous mid-push
		{"b", "b", "[]"},                      // a redeploy
		{"a", "b", "[]"},                      // a rollback to an ancestor ships nothing, knowingly
		{"o", "a", "[b o x]"},                 // another branch, back through main
		{"r", "b", "unknown"},                 // a gap
		{"f", "a", "unknown"},                 // a force push in the way
		{"t", "b", "unknown"},                 // a commit list cut short
		{"zz", "a", "unknown"},                // never pushed
	} {
		x, y := tc.x, tc.y
		if len(x) < 7 {
			x, y = sha(x), sha(y)
		}
		cs, ok := h.between(x, y, candidateRefs("main", "main"))
		got := "unknown"
		if ok {
			var ns []string
			for _, c := range cs {
				ns = append(ns, names[c.sha])
			}
			sort.Strings(ns)
			got = fmt.Sprint(ns)
			if ns == nil {
				got = "[]"
			}
		}
		if got != tc.want {
			t.Errorf("between(%s, %s) = %s; want %s", tc.x, tc.y, got, tc.want)
		}
	}
}
