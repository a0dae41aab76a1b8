package config

import (
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Levels are the thresholds that give each DORA metric a level (elite,
// high, medium, low). The defaults are those of the 2023 State of DevOps
// report (docs/METRICS.md).
type Levels struct {
	DeploymentFrequency DeployFreqLevels  `yaml:"deployment_frequency"`
	LeadTime            LeadTimeLevels    `yaml:"lead_time"`
	ChangeFailureRate   FailureRateLevels `yaml:"change_failure_rate"`
	TimeToRestore       RestoreLevels     `yaml:"time_to_restore"`
	ReworkRate          ReworkRateLevels  `yaml:"rework_rate"`
}

// DeployFreqLevels: a level is reached when production deployments come
// at least this often on average.
type DeployFreqLevels struct {
	Elite  time.Duration `yaml:"elite" help:"elite when successful production deployments come at least this often on average (on demand: daily or more)"`
	High   time.Duration `yaml:"high" help:"high when they come at least this often on average (weekly)"`
	Medium time.Duration `yaml:"medium" help:"medium when they come at least this often on average (monthly); less often is low"`
}

// LeadTimeLevels: a level is reached when the median lead time is below.
type LeadTimeLevels struct {
	Elite  time.Duration `yaml:"elite" help:"elite when the median lead time for changes is below this"`
	High   time.Duration `yaml:"high" help:"high when the median lead time for changes is below this"`
	Medium time.Duration `yaml:"medium" help:"medium when the median lead time for changes is below this; else low"`
}

// FailureRateLevels: a level is reached when the rate is at most the
// percentage.
type FailureRateLevels struct {
	Elite  int `yaml:"elite" help:"elite when the change failure rate is at most this percentage"`
	High   int `yaml:"high" help:"high when the change failure rate is at most this percentage"`
	Medium int `yaml:"medium" help:"medium when the change failure rate is at most this percentage; else low"`
}

// RestoreLevels: a level is reached when the median time to restore is
// below.
type RestoreLevels struct {
	Elite  time.Duration `yaml:"elite" help:"elite when the median time to restore is below this"`
	High   time.Duration `yaml:"high" help:"high when the median time to restore is below this"`
	Medium time.Duration `yaml:"medium" help:"medium when the median time to restore is below this; else low"`
}

// ReworkRateLevels are off by default: the 2023 report has no rework rate.
type ReworkRateLevels struct {
	Elite  int `yaml:"elite" help:"elite when the rework rate is at most this percentage (rework levels are off while all three are 0)"`
	High   int `yaml:"high" help:"high when the rework rate is at most this percentage"`
	Medium int `yaml:"medium" help:"medium when the rework rate is at most this percentage; else low"`
}

// Leaderboard holds the scoring of contributor leaderboards.
type Leaderboard struct {
	MergedPull   int      `yaml:"merged_pull" help:"points for a merged pull request (to its author)"`
	Review       int      `yaml:"review" help:"points for a review of someone else's pull request"`
	Issue        int      `yaml:"issue" help:"points for an issue opened"`
	OpenedPull   int      `yaml:"opened_pull" help:"points for a pull request opened"`
	Comment      int      `yaml:"comment" help:"points for a comment on an issue or pull request"`
	LabelBonuses []string `yaml:"label_bonuses" help:"extra points for a merged pull request carrying a label, each LABEL=POINTS (for example complexity: high=5)"`
}

const (
	day  = 24 * time.Hour
	week = 7 * day
)

func defaultMetrics() Metrics {
	return Metrics{
		DeployFreq:             DeployFreq{Schedule: "00:05", WindowDays: 30},
		RefreshSchedule:        "5m",
		RebuildSchedule:        "03:00",
		GaugeInterval:          time.Minute,
		ProductionEnvironments: []string{"production", "prod", "live"},
		DedupWindow:            time.Hour,
		IncidentLabels:         []string{"incident"},
		IncidentWindow:         week,
		ReworkLabels:           []string{"hotfix", "bug"},
		Levels: Levels{
			DeploymentFrequency: DeployFreqLevels{Elite: day, High: week, Medium: 30 * day},
			LeadTime:            LeadTimeLevels{Elite: day, High: week, Medium: 30 * day},
			ChangeFailureRate:   FailureRateLevels{Elite: 5, High: 10, Medium: 15},
			TimeToRestore:       RestoreLevels{Elite: time.Hour, High: day, Medium: week},
		},
		Leaderboard: Leaderboard{MergedPull: 10, Review: 3, Issue: 2, OpenedPull: 1, Comment: 1},
	}
}

var (
	loginPattern = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?$`)
	envPattern   = regexp.MustCompile(`^[^+=,\x00-\x1f]{1,255}$`)
)

// RepoEnvironments parses repo_production_environments: owner/name →
// production environment names (lower case).
func RepoEnvironments(entries []string) (map[string][]string, error) {
	out := map[string][]string{}
	for i, e := range entries {
		repo, envs, ok := strings.Cut(e, "=")
		repo = strings.TrimSpace(repo)
		if !ok || !repoName.MatchString(repo) {
			return nil, fmt.Errorf("entry %d %q: want owner/name=environment+environment", i+1, e)
		}
		key := strings.ToLower(repo)
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("entry %d: %s is given twice", i+1, repo)
		}
		var list []string
		for _, env := range strings.Split(envs, "+") {
			env = strings.TrimSpace(env)
			if !envPattern.MatchString(env) {
				return nil, fmt.Errorf("entry %d %q: %q is not an environment name", i+1, e, env)
			}
			list = append(list, strings.ToLower(env))
		}
		out[key] = list
	}
	return out, nil
}

// DeployWorkflow is one deploy_workflows entry.
type DeployWorkflow struct {
	Pattern     string // glob over the workflow name, lower case
	Environment string // lower case
}

// DeployWorkflows parses deploy_workflows.
func DeployWorkflows(entries []string) ([]DeployWorkflow, error) {
	out := make([]DeployWorkflow, 0, len(entries))
	for i, e := range entries {
		pattern, env, hasEnv := strings.Cut(e, "=")
		pattern = strings.ToLower(strings.TrimSpace(pattern))
		env = strings.ToLower(strings.TrimSpace(env))
		if pattern == "" {
			return nil, fmt.Errorf("entry %d %q: the pattern is empty", i+1, e)
		}
		if _, err := path.Match(pattern, ""); err != nil {
			return nil, fmt.Errorf("entry %d %q: %q is not a glob pattern (use * and ?)", i+1, e, pattern)
		}
		if !hasEnv {
			env = "production"
		} else if !envPattern.MatchString(env) {
			return nil, fmt.Errorf("entry %d %q: %q is not an environment name", i+1, e, env)
		}
		out = append(out, DeployWorkflow{Pattern: pattern, Environment: env})
	}
	return out, nil
}

// LabelBonuses parses leaderboard.label_bonuses: label (lower case) →
// points. The label is everything before the last "=", so labels may hold
// spaces, colons and "=".
func LabelBonuses(entries []string) (map[string]int, error) {
	out := map[string]int{}
	for i, e := range entries {
		j := strings.LastIndex(e, "=")
		if j <= 0 {
			return nil, fmt.Errorf("entry %d %q: want LABEL=POINTS", i+1, e)
		}
		label := strings.ToLower(strings.TrimSpace(e[:j]))
		n, err := strconv.Atoi(strings.TrimSpace(e[j+1:]))
		if label == "" || err != nil || n < -1000 || n > 1000 {
			return nil, fmt.Errorf("entry %d %q: want LABEL=POINTS with whole points from -1000 to 1000", i+1, e)
		}
		if _, dup := out[label]; dup {
			return nil, fmt.Errorf("entry %d: label %q is given twice", i+1, label)
		}
		out[label] = n
	}
	return out, nil
}

// problems validates the metric keys beyond deployment_frequency.
func (m Metrics) problems() Problems {
	var ps Problems
	add := func(key, format string, args ...any) {
		ps = append(ps, Problem{Key: "metrics." + key, Message: fmt.Sprintf(format, args...)})
	}
	for key, s := range map[string]string{"refresh_schedule": m.RefreshSchedule, "rebuild_schedule": m.RebuildSchedule} {
		if !validSchedule(s) {
			add(key, "%q is neither an interval of at least 1s such as 5m nor a daily UTC time such as 03:00", s)
		}
	}
	if m.GaugeInterval < time.Second {
		add("gauge_interval", "must be at least 1s, got %s", m.GaugeInterval)
	}
	if len(m.ProductionEnvironments) == 0 {
		add("production_environments", "must name at least one environment")
	}
	for _, e := range m.ProductionEnvironments {
		if !envPattern.MatchString(e) {
			add("production_environments", "%q is not an environment name", e)
		}
	}
	if _, err := RepoEnvironments(m.RepoProductionEnvironments); err != nil {
		add("repo_production_environments", "%v", err)
	}
	if _, err := DeployWorkflows(m.DeployWorkflows); err != nil {
		add("deploy_workflows", "%v", err)
	}
	if m.DedupWindow < 0 || m.DedupWindow > week {
		add("dedup_window", "must be between 0s (no deduplication) and 168h, got %s", m.DedupWindow)
	}
	if m.IncidentWindow <= 0 || m.IncidentWindow > 90*day {
		add("incident_window", "must be more than 0s and at most 2160h (90 days), got %s", m.IncidentWindow)
	}
	for key, labels := range map[string][]string{"incident_labels": m.IncidentLabels, "rework_labels": m.ReworkLabels} {
		for _, l := range labels {
			if len(l) > 100 {
				add(key, "%q is longer than 100 characters, GitHub's limit for a label", l)
			}
		}
	}
	for _, b := range m.Bots {
		if !loginPattern.MatchString(b) {
			add("bots", "%q is not a GitHub login", b)
		}
	}
	if m.AffiliationsFile != "" {
		if _, err := LoadAffiliations(m.AffiliationsFile); err != nil {
			add("affiliations_file", "%v", err)
		}
	}
	l := m.Levels
	checkAscending := func(key string, elite, high, medium int64, unit func(int64) string) {
		if elite <= 0 || high <= elite || medium <= high {
			add("levels."+key, "elite (%s), high (%s) and medium (%s) must be positive and increasing",
				unit(elite), unit(high), unit(medium))
		}
	}
	dur := func(n int64) string { return time.Duration(n).String() }
	pct := func(n int64) string { return strconv.FormatInt(n, 10) + "%" }
	checkAscending("deployment_frequency", int64(l.DeploymentFrequency.Elite), int64(l.DeploymentFrequency.High), int64(l.DeploymentFrequency.Medium), dur)
	checkAscending("lead_time", int64(l.LeadTime.Elite), int64(l.LeadTime.High), int64(l.LeadTime.Medium), dur)
	checkAscending("time_to_restore", int64(l.TimeToRestore.Elite), int64(l.TimeToRestore.High), int64(l.TimeToRestore.Medium), dur)
	cfr := l.ChangeFailureRate
	checkAscending("change_failure_rate", int64(cfr.Elite), int64(cfr.High), int64(cfr.Medium), pct)
	if cfr.Medium > 100 {
		add("levels.change_failure_rate.medium", "must be at most 100, got %d", cfr.Medium)
	}
	if rw := l.ReworkRate; rw != (ReworkRateLevels{}) {
		checkAscending("rework_rate", int64(rw.Elite), int64(rw.High), int64(rw.Medium), pct)
		if rw.Medium > 100 {
			add("levels.rework_rate.medium", "must be at most 100, got %d", rw.Medium)
		}
	}
	lb := m.Leaderboard
	for key, n := range map[string]int{"merged_pull": lb.MergedPull, "review": lb.Review, "issue": lb.Issue,
		"opened_pull": lb.OpenedPull, "comment": lb.Comment} {
		if n < 0 || n > 1000 {
			add("leaderboard."+key, "must be between 0 and 1000 points, got %d", n)
		}
	}
	if _, err := LabelBonuses(lb.LabelBonuses); err != nil {
		add("leaderboard.label_bonuses", "%v", err)
	}
	return ps
}
