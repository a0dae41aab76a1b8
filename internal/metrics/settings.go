package metrics

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"path"
	"slices"
	"strings"
	"time"
)

// Settings are the definitions the metrics follow (docs/METRICS.md), from
// the metrics section of the configuration.
type Settings struct {
	// ProductionEnvironments are the production environment names, and
	// RepoProductionEnvironments replaces them for a repository (by
	// owner/name). Names compare ignoring case.
	ProductionEnvironments     []string
	RepoProductionEnvironments map[string][]string
	// DeployWorkflows are the workflow-name patterns whose runs are
	// deployments, first match wins.
	DeployWorkflows []DeployWorkflow
	// DedupWindow: deployments of one repository, sha and environment from
	// different sources this close in time are one deployment.
	DedupWindow time.Duration
	// IncidentLabels make an issue an incident.
	IncidentLabels []string
	// IncidentWindow bounds how long after a deployment an incident that
	// names none is blamed on it.
	IncidentWindow time.Duration
	// ReworkLabels make a pull request an unplanned fix.
	ReworkLabels []string
	// Bots are logins counted as bots besides Bot accounts and [bot] logins.
	Bots    []string
	Weights Weights
	Levels  Levels
	// WebURL is GitHub's web root (https://github.com, or a GitHub
	// Enterprise Server's https://HOST), for the links the API gives; empty
	// means DefaultWebURL. It is no part of the definitions' fingerprint
	// (json "-"): the derived rows do not depend on it.
	WebURL string `json:"-"`
}

// DefaultWebURL is GitHub's web root.
const DefaultWebURL = "https://github.com"

// DeployWorkflow is a workflow-name glob (lower case) and the environment
// its runs deploy to.
type DeployWorkflow struct {
	Pattern     string
	Environment string
}

// Weights score leaderboard contributions.
type Weights struct {
	MergedPull   int
	Review       int
	Issue        int
	OpenedPull   int
	Comment      int
	LabelBonuses map[string]int // lower-case label → extra points of a merged pull request
}

// Levels are the level thresholds of each DORA metric, elite first.
// Durations are upper bounds (below) except DeployFrequency, the longest
// average time between deployments still at that level; rates are upper
// bounds (at most). A zero ReworkRate means rework has no level.
type Levels struct {
	DeployFrequency   [3]time.Duration
	LeadTime          [3]time.Duration
	ChangeFailureRate [3]float64
	TimeToRestore     [3]time.Duration
	ReworkRate        [3]float64
}

// DefaultSettings are the definitions when nothing is configured; the
// configuration's defaults are the same.
func DefaultSettings() Settings {
	const day = 24 * time.Hour
	return Settings{
		ProductionEnvironments: []string{"production", "prod", "live"},
		DedupWindow:            time.Hour,
		IncidentLabels:         []string{"incident"},
		IncidentWindow:         7 * day,
		ReworkLabels:           []string{"hotfix", "bug"},
		Weights:                Weights{MergedPull: 10, Review: 3, Issue: 2, OpenedPull: 1, Comment: 1},
		Levels: Levels{
			DeployFrequency:   [3]time.Duration{day, 7 * day, 30 * day},
			LeadTime:          [3]time.Duration{day, 7 * day, 30 * day},
			ChangeFailureRate: [3]float64{0.05, 0.10, 0.15},
			TimeToRestore:     [3]time.Duration{time.Hour, day, 7 * day},
		},
	}
}

// normalized lower-cases every name so comparisons ignore case.
func (s Settings) normalized() Settings {
	lower := func(in []string) []string {
		out := make([]string, 0, len(in))
		for _, v := range in {
			if v = strings.ToLower(strings.TrimSpace(v)); v != "" {
				out = append(out, v)
			}
		}
		return out
	}
	s.ProductionEnvironments = lower(s.ProductionEnvironments)
	repo := make(map[string][]string, len(s.RepoProductionEnvironments))
	for k, v := range s.RepoProductionEnvironments {
		repo[strings.ToLower(k)] = lower(v)
	}
	s.RepoProductionEnvironments = repo
	wf := make([]DeployWorkflow, len(s.DeployWorkflows))
	for i, w := range s.DeployWorkflows {
		wf[i] = DeployWorkflow{Pattern: strings.ToLower(w.Pattern), Environment: strings.ToLower(w.Environment)}
		if wf[i].Environment == "" {
			wf[i].Environment = "production"
		}
	}
	s.DeployWorkflows = wf
	s.IncidentLabels, s.ReworkLabels, s.Bots = lower(s.IncidentLabels), lower(s.ReworkLabels), lower(s.Bots)
	bonus := make(map[string]int, len(s.Weights.LabelBonuses))
	for k, v := range s.Weights.LabelBonuses {
		bonus[strings.ToLower(strings.TrimSpace(k))] = v
	}
	s.Weights.LabelBonuses = bonus
	if s.WebURL = strings.TrimRight(s.WebURL, "/"); s.WebURL == "" {
		s.WebURL = DefaultWebURL
	}
	return s
}

// derivationVersion changes with every change to how the derived rows
// are computed, so that a new release rebuilds them on its first refresh.
const derivationVersion = 1

// fingerprint identifies the definitions the derived tables depend on
// (not the levels, which apply when reading): when it changes, the next
// refresh rebuilds everything.
func (s Settings) fingerprint() string {
	d := s
	d.Levels = Levels{}
	b, _ := json.Marshal(struct {
		Version  int
		Settings Settings
	}{derivationVersion, d}) // maps marshal with sorted keys
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// productionEnvs returns the production environment names of a repository.
func (s Settings) productionEnvs(fullName string) []string {
	if envs, ok := s.RepoProductionEnvironments[strings.ToLower(fullName)]; ok {
		return envs
	}
	return s.ProductionEnvironments
}

// deployWorkflow returns the environment a run of the named workflow
// deploys to, or false when the workflow is not a deployment.
func (s Settings) deployWorkflow(name string) (string, bool) {
	name = strings.ToLower(name)
	for _, w := range s.DeployWorkflows {
		if ok, _ := path.Match(w.Pattern, name); ok {
			return w.Environment, true
		}
	}
	return "", false
}

// isBot reports whether an account is a bot: GitHub's Bot type, a [bot]
// login, or a configured login.
func (s Settings) isBot(login, typ string) bool {
	l := strings.ToLower(login)
	return typ == "Bot" || strings.HasSuffix(l, "[bot]") || slices.Contains(s.Bots, l)
}

// hasLabel reports whether any of labels (any case) is in set (lower case).
func hasLabel(labels []string, set []string) bool {
	for _, l := range labels {
		if slices.Contains(set, strings.ToLower(l)) {
			return true
		}
	}
	return false
}
