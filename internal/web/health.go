package web

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/sextant-dev/sextant/internal/store"
)

func (s *Server) routeHealth() {
	s.mux.HandleFunc("GET /api/v1/health/data", s.withRead(s.dataHealth))
}

// healthFinding is one integrity finding as the API shows it.
type healthFinding struct {
	Kind         string     `json:"kind"`
	Expected     int64      `json:"expected"`
	Found        int64      `json:"found"`
	Detail       string     `json:"detail,omitempty"`
	RepairStatus string     `json:"repair_status"`
	RepairJob    *int64     `json:"repair_job"`
	RepairedAt   *time.Time `json:"repaired_at"`
}

// healthCheck is a scope's latest integrity check.
type healthCheck struct {
	CheckedAt time.Time       `json:"checked_at"`
	Status    string          `json:"status"`
	Requests  int64           `json:"requests"`
	Error     *string         `json:"error"`
	Findings  []healthFinding `json:"findings"`
}

type healthScope struct {
	Name string `json:"-"`
	// One of these names it, by kind of scope.
	Repo string `json:"repo,omitempty"`
	Org  string `json:"org,omitempty"`
	Hook string `json:"hook,omitempty"`
	// SyncedAt is the last time any part of the scope was synced;
	// Watermarks are the update times the sync has everything up to, by
	// kind (pulls, issues).
	SyncedAt      *time.Time           `json:"synced_at"`
	Watermarks    map[string]time.Time `json:"watermarks,omitempty"`
	LastWebhookAt *time.Time           `json:"last_webhook_at"`
	Check         *healthCheck         `json:"check"`
}

type healthLimit struct {
	Token     string     `json:"token"`
	Resource  string     `json:"resource"`
	Limit     int64      `json:"limit"`
	Remaining int64      `json:"remaining"`
	ResetAt   *time.Time `json:"reset_at"`
}

type healthQueue struct {
	Kind  string `json:"kind"`
	State string `json:"state"`
	Count int64  `json:"count"`
}

type healthAnswer struct {
	Repos      []*healthScope `json:"repos"`
	Orgs       []*healthScope `json:"orgs"`
	Hooks      []*healthScope `json:"hooks"`
	Store      *healthCheck   `json:"store"`
	RateLimits []healthLimit  `json:"rate_limits"`
	Queue      []healthQueue  `json:"queue"`
}

// repairStatus says where a finding's repair is, from its job.
func repairStatus(f store.IntegrityFinding) string {
	switch {
	case !f.RepairedAt.IsZero():
		return "repaired"
	case f.RepairJobID == 0:
		return "none"
	}
	switch f.RepairState {
	case store.JobPending:
		return "queued"
	case store.JobRunning:
		return "running"
	case store.JobFailed:
		return "failed"
	case store.JobDone:
		return "done"
	}
	return "unknown"
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

// Kinds of sync state that belong to a repository and to an
// organization (a team's are its organization's business, not shown).
var (
	repoKinds = []string{"pulls", "pulls:open", "pulls:closed", "issues", "timelines", "numbers", "deployments", "runs", "releases"}
	orgKinds  = []string{"repos", "teams", "members:admin", "members:member"}
)

// dataHealth answers GET /api/v1/health/data: the latest integrity check
// of every repository, organization, webhook and of the store, the sync's
// watermarks, the last webhook per repository, the GitHub rate-limit
// budget and the job queue by kind and state.
func (s *Server) dataHealth(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := s.db.R
	repos, orgs, hooks := map[string]*healthScope{}, map[string]*healthScope{}, map[string]*healthScope{}
	repo := func(name string) *healthScope {
		if repos[name] == nil {
			repos[name] = &healthScope{Name: name, Repo: name}
		}
		return repos[name]
	}
	org := func(name string) *healthScope {
		if orgs[name] == nil {
			orgs[name] = &healthScope{Name: name, Org: name}
		}
		return orgs[name]
	}
	states, err := store.SyncStates(ctx, q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	for _, st := range states {
		var sc *healthScope
		switch {
		case slices.Contains(repoKinds, st.Kind) && strings.Contains(st.Scope, "/"):
			sc = repo(st.Scope)
			if !st.Watermark.IsZero() && (st.Kind == "pulls" || st.Kind == "issues") {
				if sc.Watermarks == nil {
					sc.Watermarks = map[string]time.Time{}
				}
				sc.Watermarks[st.Kind] = st.Watermark.UTC()
			}
		case slices.Contains(orgKinds, st.Kind) && !strings.ContainsAny(st.Scope, "/:"):
			sc = org(st.Scope)
		default:
			continue
		}
		if sc.SyncedAt == nil || st.UpdatedAt.After(*sc.SyncedAt) {
			sc.SyncedAt = timePtr(st.UpdatedAt)
		}
	}
	webhooks, err := store.LastWebhooks(ctx, q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	for _, lw := range webhooks {
		repo(lw.Repo).LastWebhookAt = timePtr(lw.At)
	}
	checks, err := store.LatestIntegrityChecks(ctx, q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var storeCheck *healthCheck
	for _, c := range checks {
		fs, err := store.FindingsOf(ctx, q, c.ID)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		hc := &healthCheck{CheckedAt: c.FinishedAt.UTC(), Status: c.Status, Requests: c.Requests, Findings: []healthFinding{}}
		if c.Error != "" {
			hc.Error = &c.Error
		}
		for _, f := range fs {
			hf := healthFinding{Kind: f.Kind, Expected: f.Expected, Found: f.Found, Detail: f.Detail,
				RepairStatus: repairStatus(f), RepairedAt: timePtr(f.RepairedAt)}
			if f.RepairJobID != 0 {
				hf.RepairJob = &f.RepairJobID
			}
			hc.Findings = append(hc.Findings, hf)
		}
		switch {
		case c.Scope == "store":
			storeCheck = hc
		case strings.HasPrefix(c.Scope, "hook:"):
			hooks[c.Scope] = &healthScope{Name: c.Scope, Hook: c.Scope, Check: hc}
		case strings.Contains(c.Scope, "/"):
			repo(c.Scope).Check = hc
		default:
			org(c.Scope).Check = hc
		}
	}
	ans := healthAnswer{Repos: sorted(repos), Orgs: sorted(orgs), Hooks: sorted(hooks), Store: storeCheck,
		RateLimits: []healthLimit{}, Queue: []healthQueue{}}
	if s.githubUsage != nil {
		for _, u := range s.githubUsage() {
			if u.Known {
				ans.RateLimits = append(ans.RateLimits, healthLimit{Token: u.Token, Resource: u.Resource, Limit: u.Limit,
					Remaining: u.Remaining, ResetAt: timePtr(u.Reset)})
			}
		}
	}
	counts, err := s.db.CountJobs(ctx)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	for _, c := range counts {
		ans.Queue = append(ans.Queue, healthQueue{Kind: c.Kind, State: c.State, Count: c.Count})
	}
	writeJSON(w, http.StatusOK, ans)
}

func sorted(m map[string]*healthScope) []*healthScope {
	out := make([]*healthScope, 0, len(m))
	for _, sc := range m {
		out = append(out, sc)
	}
	slices.SortFunc(out, func(a, b *healthScope) int { return strings.Compare(a.Name, b.Name) })
	return out
}
