package store

import "slices"

// derivedTables hold the metrics engine's derived data (migration 00005):
// rebuilt from the domain tables by the metrics refresh, so copying between
// engines leaves them out and the destination rebuilds them.
var derivedTables = []string{
	"metric_changes", "metric_state", "metric_deployments", "metric_pulls", "metric_incidents",
	"metric_issues", "metric_contributions", "metric_contribution_sums", "metric_team_contribution_sums", "metric_actor_domains",
}

// IsDerivedTable reports whether table is one of the metrics engine's
// derived tables.
func IsDerivedTable(table string) bool {
	return slices.Contains(derivedTables, table)
}
