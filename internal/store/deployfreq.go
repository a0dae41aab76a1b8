package store

import (
	"context"
	"fmt"
	"time"
)

// DeployCount is the number of successful deployments of one repository to
// one environment in a period.
type DeployCount struct {
	RepoID      int64  // 0 for a repository known by a bare name only (legacy CI events)
	Repo        string // owner/name, or the bare name a legacy event gave
	Environment string
	Count       int64
}

// SuccessfulDeployments counts successful deployments in [from, to) per
// repository and environment, from every source. Every pair that had any
// deployment before to is listed, with 0 when it had none in the period: a
// repository that stopped deploying must show it. A deployment counts at
// the time of its first success status.
//
// Deploy events whose repository is a bare name (the older CI payload) have
// no deployment row; they are counted from the event time series instead.
func (db *DB) SuccessfulDeployments(ctx context.Context, from, to time.Time) ([]DeployCount, error) {
	rows, err := db.R.QueryContext(ctx, `
		SELECT repo_id, full_name, environment, COUNT(CASE WHEN ok_at >= $1 AND ok_at < $2 THEN 1 END)
		FROM (
			SELECT d.repo_id, r.full_name, d.environment,
				COALESCE(
					(SELECT MIN(s.created_at) FROM deployment_statuses s WHERE s.deployment_id = d.id AND s.state = 'success'),
					CASE WHEN d.status = 'success' THEN COALESCE(d.finished_at, d.created_at) END) AS ok_at
			FROM deployments d JOIN repositories r ON r.id = d.repo_id
			WHERE d.created_at < $2
		) x
		GROUP BY repo_id, full_name, environment
		UNION ALL
		SELECT 0, repo, COALESCE(environment, ''), COUNT(CASE WHEN at >= $1 THEN 1 END)
		FROM ci_events
		WHERE event = 'deploy' AND deployment_id IS NULL AND repo_id IS NULL AND at < $2
		  AND (status IS NULL OR status = 'success')
		GROUP BY repo, COALESCE(environment, '')
		ORDER BY 2, 3`, from.UnixMilli(), to.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("count deployments: %w", err)
	}
	defer rows.Close()
	var out []DeployCount
	for rows.Next() {
		var c DeployCount
		if err := rows.Scan(&c.RepoID, &c.Repo, &c.Environment, &c.Count); err != nil {
			return nil, fmt.Errorf("count deployments: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
