package config

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestMetricDefaults(t *testing.T) {
	m := Default().Metrics
	if got := strings.Join(m.ProductionEnvironments, ","); got != "production,prod,live" {
		t.Errorf("production environments %s", got)
	}
	if m.IncidentWindow != 7*24*time.Hour || strings.Join(m.IncidentLabels, ",") != "incident" {
		t.Errorf("incidents: window %s labels %v", m.IncidentWindow, m.IncidentLabels)
	}
	lb := m.Leaderboard
	if lb.MergedPull != 10 || lb.Review != 3 || lb.Issue != 2 || lb.OpenedPull != 1 || lb.Comment != 1 {
		t.Errorf("leaderboard weights %+v", lb)
	}
	l := m.Levels
	if l.LeadTime.Elite != 24*time.Hour || l.ChangeFailureRate.Medium != 15 || l.TimeToRestore.Elite != time.Hour {
		t.Errorf("levels %+v", l)
	}
	if len(m.problems()) != 0 {
		t.Errorf("defaults have problems: %v", m.problems())
	}
}

func TestMetricKeysFromEnvironment(t *testing.T) {
	cfg, err := Load(Source{Env: envOf(map[string]string{
		"SEXTANT_METRICS_PRODUCTION_ENVIRONMENTS":         "Prod, production-eu",
		"SEXTANT_METRICS_REPO_PRODUCTION_ENVIRONMENTS":    "acme/web=web-prod+Web-EU",
		"SEXTANT_METRICS_DEPLOY_WORKFLOWS":                "Deploy*,release staging=staging",
		"SEXTANT_METRICS_LEADERBOARD_LABEL_BONUSES":       "complexity: high=5,size=xl=-2",
		"SEXTANT_METRICS_LEVELS_LEAD_TIME_ELITE":          "12h",
		"SEXTANT_METRICS_LEVELS_CHANGE_FAILURE_RATE_HIGH": "12",
	})})
	if err != nil {
		t.Fatal(err)
	}
	m := cfg.Metrics
	envs, err := RepoEnvironments(m.RepoProductionEnvironments)
	if err != nil || !cmp.Equal(envs, map[string][]string{"acme/web": {"web-prod", "web-eu"}}) {
		t.Errorf("repo environments %v %v", envs, err)
	}
	wf, err := DeployWorkflows(m.DeployWorkflows)
	if err != nil || !cmp.Equal(wf, []DeployWorkflow{{"deploy*", "production"}, {"release staging", "staging"}}) {
		t.Errorf("deploy workflows %+v %v", wf, err)
	}
	bonus, err := LabelBonuses(m.Leaderboard.LabelBonuses)
	if err != nil || !cmp.Equal(bonus, map[string]int{"complexity: high": 5, "size=xl": -2}) {
		t.Errorf("label bonuses %v %v", bonus, err)
	}
	if m.Levels.LeadTime.Elite != 12*time.Hour || m.Levels.ChangeFailureRate.High != 12 {
		t.Errorf("levels %+v", m.Levels)
	}
}

func TestMetricProblems(t *testing.T) {
	for _, tc := range []struct {
		env map[string]string
		key string
		msg string
	}{
		{map[string]string{"SEXTANT_METRICS_REFRESH_SCHEDULE": "often"}, "metrics.refresh_schedule", "neither an interval"},
		{map[string]string{"SEXTANT_METRICS_REPO_PRODUCTION_ENVIRONMENTS": "web=prod"}, "metrics.repo_production_environments", "owner/name=environment"},
		{map[string]string{"SEXTANT_METRICS_REPO_PRODUCTION_ENVIRONMENTS": "a/b=prod,A/B=live"}, "metrics.repo_production_environments", "given twice"},
		{map[string]string{"SEXTANT_METRICS_DEPLOY_WORKFLOWS": "deploy[=prod"}, "metrics.deploy_workflows", "not a glob pattern"},
		{map[string]string{"SEXTANT_METRICS_DEDUP_WINDOW": "-1s"}, "metrics.dedup_window", "between 0s"},
		{map[string]string{"SEXTANT_METRICS_INCIDENT_WINDOW": "0s"}, "metrics.incident_window", "more than 0s"},
		{map[string]string{"SEXTANT_METRICS_BOTS": "not a login"}, "metrics.bots", "not a GitHub login"},
		{map[string]string{"SEXTANT_METRICS_LEVELS_LEAD_TIME_HIGH": "1h"}, "metrics.levels.lead_time", "increasing"},
		{map[string]string{"SEXTANT_METRICS_LEVELS_CHANGE_FAILURE_RATE_MEDIUM": "150"}, "metrics.levels.change_failure_rate.medium", "at most 100"},
		{map[string]string{"SEXTANT_METRICS_LEVELS_REWORK_RATE_ELITE": "5"}, "metrics.levels.rework_rate", "increasing"},
		{map[string]string{"SEXTANT_METRICS_LEADERBOARD_REVIEW": "-3"}, "metrics.leaderboard.review", "between 0 and 1000"},
		{map[string]string{"SEXTANT_METRICS_LEADERBOARD_LABEL_BONUSES": "complexity"}, "metrics.leaderboard.label_bonuses", "LABEL=POINTS"},
		{map[string]string{"SEXTANT_METRICS_AFFILIATIONS_FILE": "/nonexistent/aff.yml"}, "metrics.affiliations_file", "no such file"},
	} {
		_, err := Load(Source{Env: envOf(tc.env)})
		var ps Problems
		if !errors.As(err, &ps) {
			t.Errorf("%v: err %v; want problems", tc.env, err)
			continue
		}
		found := false
		for _, p := range ps {
			if p.Key == tc.key && strings.Contains(p.Message, tc.msg) {
				found = true
			}
		}
		if !found {
			t.Errorf("%v: %v; want %s: …%s…", tc.env, ps, tc.key, tc.msg)
		}
	}
}

func TestAffiliationsYAML(t *testing.T) {
	file := writeFile(t, "aff.yml", `
- company: Initech
  logins: [alice, Bob]
  email_domains: [initech.example]
  until: 2024-07-01
- company: Globex
  logins: alice
  since: 2024-07-01
`)
	got, err := LoadAffiliations(file)
	if err != nil {
		t.Fatal(err)
	}
	july := time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC)
	want := []Affiliation{
		{Company: "Initech", Login: "alice", Until: july, Line: 2},
		{Company: "Initech", Login: "bob", Until: july, Line: 2},
		{Company: "Initech", EmailDomain: "initech.example", Until: july, Line: 2},
		{Company: "Globex", Login: "alice", Since: july, Line: 6},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("affiliations (-want +got):\n%s", d)
	}
}

func TestAffiliationsCSV(t *testing.T) {
	file := writeFile(t, "aff.csv", "company,login,email_domain,since,until\n# partners\nInitech,alice,,,2024-07-01\nGlobex,,globex.example,2024-01-01,\n")
	got, err := LoadAffiliations(file)
	if err != nil {
		t.Fatal(err)
	}
	want := []Affiliation{
		{Company: "Initech", Login: "alice", Until: time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC), Line: 3},
		{Company: "Globex", EmailDomain: "globex.example", Since: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), Line: 4},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("affiliations (-want +got):\n%s", d)
	}
}

func TestAffiliationProblemsNameLineAndField(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       []string
	}{
		{"a.yml", "- company: Initech\n  login: alice\n", []string{"line 2: login: unknown field", "line 1: logins: give at least one"}},
		{"a.yml", "- logins: [alice]\n  since: soon\n", []string{"line 1: company: is required", "line 2: since: \"soon\" is not a date"}},
		{"a.yml", "- company: A\n  logins: [alice]\n  since: 2024-05-01\n  until: 2024-01-01\n", []string{"line 4: until: 2024-01-01 is not after since"}},
		{"a.yml", "- company: A\n  logins: [alice]\n- company: B\n  logins: [ALICE]\n  since: 2024-01-01\n", []string{"line 3: login alice is already given on line 1"}},
		{"a.yml", "company: A\n", []string{"line 1: expected a list"}},
		{"a.yml", "- company: A\n  email_domains: [not a domain]\n", []string{"line 2: email_domains: \"not a domain\""}},
		{"a.csv", "company,login,team\nA,alice,x\n", []string{"line 1: column \"team\" is unknown"}},
		{"a.csv", "company,login,email_domain\nA,,\nB,bob,\n,carol,\n", []string{"line 2: login: give a login or an email_domain", "line 4: company: is required"}},
	} {
		_, err := LoadAffiliations(writeFile(t, tc.name, tc.text))
		if err == nil {
			t.Errorf("%q: no error", tc.text)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%q: %v; want …%s…", tc.text, err, w)
			}
		}
	}
}
