
-- +goose Up
-- The metrics engine's derived tables (internal/metrics). The refresh job
-- rebuilds them from the domain tables; nothing else writes them, and all
-- of them can be dropped and rebuilt.

-- metric_changes is what changed since the last refresh, written by the
-- triggers below: scope 'repo' (ref: repository id, 0 for incidents of no
-- repository), 'actor' (ref: actor id) or 'all'. The refresh takes rows
-- out with DELETE ... RETURNING, so a change committed meanwhile is never
-- lost. A refresh that finds no metric_state rebuilds everything.
CREATE TABLE metric_changes (
    id     INTEGER PRIMARY KEY,
    scope  TEXT NOT NULL,
    ref    BIGINT
);
CREATE INDEX metric_changes_key ON metric_changes (scope, ref);

-- metric_state keeps the refresh's bookkeeping: its lease, the definitions
-- it last ran with, when it last finished.
CREATE TABLE metric_state (
    name        TEXT PRIMARY KEY,
    value       TEXT,
    until       BIGINT,
    updated_at  BIGINT NOT NULL
);

-- Every deployment, classified. counted: a successful production
-- deployment that is not a duplicate, the population of every DORA metric.
CREATE TABLE metric_deployments (
    deployment_id      BIGINT PRIMARY KEY,
    canonical_id       BIGINT NOT NULL,
    repo_id            BIGINT NOT NULL,
    environment        TEXT NOT NULL,
    production         BOOLEAN NOT NULL,
    status             TEXT NOT NULL,
    counted            BOOLEAN NOT NULL,
    at                 BIGINT NOT NULL,
    sha                TEXT,
    prev_id            BIGINT,
    baseline           BOOLEAN NOT NULL DEFAULT FALSE,
    commits_source     TEXT,
    commits            BIGINT,
    changes            BIGINT NOT NULL DEFAULT 0,
    failed             BOOLEAN NOT NULL DEFAULT FALSE,
    rework             BOOLEAN NOT NULL DEFAULT FALSE,
    lead_times         BLOB,
    direct_lead_times  BLOB
);
CREATE INDEX metric_deployments_at ON metric_deployments (at);
-- The DORA summary reads the counted deployments of a range from this
-- index alone.
CREATE INDEX metric_deployments_counted ON metric_deployments (at, repo_id, failed, rework, changes, lead_times, direct_lead_times)
    WHERE counted;
CREATE INDEX metric_deployments_repo ON metric_deployments (repo_id, at);

-- One row per pull request: its flow spans and the deployment that
-- shipped it. Spans are NULL when unknown (negative or missing ends).
CREATE TABLE metric_pulls (
    pull_request_id    BIGINT PRIMARY KEY,
    repo_id            BIGINT NOT NULL,
    number             BIGINT NOT NULL,
    author_id          BIGINT,
    bot                BOOLEAN NOT NULL,
    state              TEXT NOT NULL,
    created_at         BIGINT NOT NULL,
    merged_at          BIGINT,
    closed_at          BIGINT,
    first_commit_at    BIGINT,
    first_response_at  BIGINT,
    first_review_at    BIGINT,
    deployment_id      BIGINT,
    deployed_at        BIGINT,
    coding_ms          BIGINT,
    pickup_ms          BIGINT,
    review_ms          BIGINT,
    deploy_ms          BIGINT,
    lead_ms            BIGINT,
    size               BIGINT,
    reviews            BIGINT NOT NULL DEFAULT 0,
    rework             BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX metric_pulls_repo ON metric_pulls (repo_id, number);
CREATE INDEX metric_pulls_created ON metric_pulls (created_at);
CREATE INDEX metric_pulls_merged ON metric_pulls (merged_at);
CREATE INDEX metric_pulls_closed ON metric_pulls (closed_at);
CREATE INDEX metric_pulls_deployed ON metric_pulls (deployed_at);
CREATE INDEX metric_pulls_deployment ON metric_pulls (deployment_id);

-- One row per incident (of the incidents table), with the deployment it
-- is blamed on and how that link was made (named, root_cause, window).
CREATE TABLE metric_incidents (
    incident_id    BIGINT PRIMARY KEY,
    repo_id        BIGINT,
    source         TEXT NOT NULL,
    opened_at      BIGINT NOT NULL,
    resolved_at    BIGINT,
    restore_ms     BIGINT,
    deployment_id  BIGINT,
    link           TEXT
);
CREATE INDEX metric_incidents_opened ON metric_incidents (opened_at);
CREATE INDEX metric_incidents_resolved ON metric_incidents (resolved_at);
CREATE INDEX metric_incidents_deployment ON metric_incidents (deployment_id);

-- Issue time to first response, per issue.
CREATE TABLE metric_issues (
    issue_id           BIGINT PRIMARY KEY,
    repo_id            BIGINT NOT NULL,
    created_at         BIGINT NOT NULL,
    first_response_at  BIGINT,
    response_ms        BIGINT,
    bot                BOOLEAN NOT NULL
);
CREATE INDEX metric_issues_created ON metric_issues (created_at);

-- Leaderboard contributions, one row each, with the company of the day
-- and the points it scores; and their sums per UTC day and month, per
-- person and company, for everyone and per team of the day, with a count
-- and points column for each kind: a year's leaderboard reads a few
-- thousand sums, not hundreds of thousands of contributions.
CREATE TABLE metric_contributions (
    kind       TEXT NOT NULL,
    source_id  BIGINT NOT NULL,
    repo_id    BIGINT NOT NULL,
    owner      TEXT NOT NULL,
    actor_id   BIGINT NOT NULL,
    at         BIGINT NOT NULL,
    day        BIGINT NOT NULL,
    month      BIGINT NOT NULL,
    company    TEXT NOT NULL,
    points     BIGINT NOT NULL,
    PRIMARY KEY (kind, source_id)
);
CREATE INDEX metric_contributions_at ON metric_contributions (at);
CREATE INDEX metric_contributions_repo ON metric_contributions (repo_id, at);
CREATE INDEX metric_contributions_actor ON metric_contributions (actor_id, at);
CREATE INDEX metric_contributions_day ON metric_contributions (day);
CREATE INDEX metric_contributions_month ON metric_contributions (month);
-- Flow's reviews per reviewer read one kind over a range from the index.
CREATE INDEX metric_contributions_kind ON metric_contributions (kind, at, repo_id, actor_id);

CREATE TABLE metric_contribution_sums (
    period           TEXT NOT NULL,
    start            BIGINT NOT NULL,
    owner            TEXT NOT NULL,
    actor_id         BIGINT NOT NULL,
    company          TEXT NOT NULL,
    opened           BIGINT NOT NULL,
    opened_points    BIGINT NOT NULL,
    merged           BIGINT NOT NULL,
    merged_points    BIGINT NOT NULL,
    reviews          BIGINT NOT NULL,
    reviews_points   BIGINT NOT NULL,
    issues           BIGINT NOT NULL,
    issues_points    BIGINT NOT NULL,
    comments         BIGINT NOT NULL,
    comments_points  BIGINT NOT NULL,
    PRIMARY KEY (period, start, owner, actor_id, company)
);

CREATE TABLE metric_team_contribution_sums (
    period           TEXT NOT NULL,
    start            BIGINT NOT NULL,
    owner            TEXT NOT NULL,
    team_id          BIGINT NOT NULL,
    actor_id         BIGINT NOT NULL,
    company          TEXT NOT NULL,
    opened           BIGINT NOT NULL,
    opened_points    BIGINT NOT NULL,
    merged           BIGINT NOT NULL,
    merged_points    BIGINT NOT NULL,
    reviews          BIGINT NOT NULL,
    reviews_points   BIGINT NOT NULL,
    issues           BIGINT NOT NULL,
    issues_points    BIGINT NOT NULL,
    comments         BIGINT NOT NULL,
    comments_points  BIGINT NOT NULL,
    PRIMARY KEY (period, start, owner, team_id, actor_id, company)
);

-- The email domains each person committed with, per repository: the
-- affiliations file may name companies by domain, and reading them here
-- spares a refresh a scan of every commit.
CREATE TABLE metric_actor_domains (
    repo_id   BIGINT NOT NULL,
    actor_id  BIGINT NOT NULL,
    domain    TEXT NOT NULL,
    PRIMARY KEY (repo_id, actor_id, domain)
);

-- Finding what a deployment shipped walks the push history by sha.
CREATE INDEX pushes_after ON pushes (repo_id, after_sha);

-- Change capture: every write to a table a metric reads marks what it
-- touched. SQLite has one writer, so a mark is added only when absent.

-- +goose StatementBegin
CREATE TRIGGER metric_changes_repositories_ins AFTER INSERT ON repositories BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'repo', x.ref FROM (SELECT NEW.id AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'repo' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_repositories_upd AFTER UPDATE ON repositories WHEN OLD.owner IS NOT NEW.owner OR OLD.name IS NOT NEW.name OR OLD.full_name IS NOT NEW.full_name BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'repo', x.ref FROM (SELECT NEW.id AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'repo' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_repositories_del AFTER DELETE ON repositories BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'repo', x.ref FROM (SELECT OLD.id AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'repo' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_deployments_ins AFTER INSERT ON deployments BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'repo', x.ref FROM (SELECT NEW.repo_id AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'repo' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_deployments_upd AFTER UPDATE ON deployments BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'repo', x.ref FROM (SELECT NEW.repo_id AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'repo' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_deployments_del AFTER DELETE ON deployments BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'repo', x.ref FROM (SELECT OLD.repo_id AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'repo' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_deployment_statuses_ins AFTER INSERT ON deployment_statuses BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'repo', x.ref FROM (SELECT (SELECT p.repo_id FROM deployments p WHERE p.id = NEW.deployment_id) AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'repo' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_deployment_statuses_upd AFTER UPDATE ON deployment_statuses BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'repo', x.ref FROM (SELECT (SELECT p.repo_id FROM deployments p WHERE p.id = NEW.deployment_id) AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'repo' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_deployment_statuses_del AFTER DELETE ON deployment_statuses BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'repo', x.ref FROM (SELECT (SELECT p.repo_id FROM deployments p WHERE p.id = OLD.deployment_id) AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'repo' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_deployment_commits_ins AFTER INSERT ON deployment_commits BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'repo', x.ref FROM (SELECT (SELECT p.repo_id FROM deployments p WHERE p.id = NEW.deployment_id) AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'repo' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_deployment_commits_upd AFTER UPDATE ON deployment_commits BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'repo', x.ref FROM (SELECT (SELECT p.repo_id FROM deployments p WHERE p.id = NEW.deployment_id) AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'repo' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_deployment_commits_del AFTER DELETE ON deployment_commits BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'repo', x.ref FROM (SELECT (SELECT p.repo_id FROM deployments p WHERE p.id = OLD.deployment_id) AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'repo' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_workflow_runs_ins AFTER INSERT ON workflow_runs BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'repo', x.ref FROM (SELECT NEW.repo_id AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'repo' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_workflow_runs_upd AFTER UPDATE ON workflow_runs BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'repo', x.ref FROM (SELECT NEW.repo_id AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'repo' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_workflow_runs_del AFTER DELETE ON workflow_runs BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'repo', x.ref FROM (SELECT OLD.repo_id AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'repo' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_pushes_ins AFTER INSERT ON pushes BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'repo', x.ref FROM (SELECT NEW.repo_id AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'repo' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_pushes_upd AFTER UPDATE ON pushes BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'repo', x.ref FROM (SELECT NEW.repo_id AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'repo' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_pushes_del AFTER DELETE ON pushes BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'repo', x.ref FROM (SELECT OLD.repo_id AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'repo' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_push_commits_ins AFTER INSERT ON push_commits BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'repo', x.ref FROM (SELECT (SELECT p.repo_id FROM pushes p WHERE p.id = NEW.push_id) AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'repo' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_push_commits_upd AFTER UPDATE ON push_commits BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'repo', x.ref FROM (SELECT (SELECT p.repo_id FROM pushes p WHERE p.id = NEW.push_id) AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'repo' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_push_commits_del AFTER DELETE ON push_commits BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'repo', x.ref FROM (SELECT (SELECT p.repo_id FROM pushes p WHERE p.id = OLD.push_id) AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'repo' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_commits_ins AFTER INSERT ON commits BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'repo', x.ref FROM (SELECT NEW.repo_id AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'repo' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_commits_upd AFTER UPDATE ON commits BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'repo', x.ref FROM (SELECT NEW.repo_id AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'repo' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_commits_del AFTER DELETE ON commits BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'repo', x.ref FROM (SELECT OLD.repo_id AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'repo' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_pull_requests_ins AFTER INSERT ON pull_requests BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'repo', x.ref FROM (SELECT NEW.repo_id AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'repo' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_pull_requests_upd AFTER UPDATE ON pull_requests BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'repo', x.ref FROM (SELECT NEW.repo_id AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'repo' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_pull_requests_del AFTER DELETE ON pull_requests BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'repo', x.ref FROM (SELECT OLD.repo_id AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'repo' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_pull_request_labels_ins AFTER INSERT ON pull_request_labels BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'repo', x.ref FROM (SELECT (SELECT p.repo_id FROM pull_requests p WHERE p.id = NEW.pull_request_id) AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'repo' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_pull_request_labels_upd AFTER UPDATE ON pull_request_labels BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'repo', x.ref FROM (SELECT (SELECT p.repo_id FROM pull_requests p WHERE p.id = NEW.pull_request_id) AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'repo' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_pull_request_labels_del AFTER DELETE ON pull_request_labels BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'repo', x.ref FROM (SELECT (SELECT p.repo_id FROM pull_requests p WHERE p.id = OLD.pull_request_id) AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'repo' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_pull_request_commits_ins AFTER INSERT ON pull_request_commits BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'repo', x.ref FROM (SELECT (SELECT p.repo_id FROM pull_requests p WHERE p.id = NEW.pull_request_id) AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'repo' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_pull_request_commits_upd AFTER UPDATE ON pull_request_commits BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'repo', x.ref FROM (SELECT (SELECT p.repo_id FROM pull_requests p WHERE p.id = NEW.pull_request_id) AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'repo' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_pull_request_commits_del AFTER DELETE ON pull_request_commits BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'repo', x.ref FROM (SELECT (SELECT p.repo_id FROM pull_requests p WHERE p.id = OLD.pull_request_id) AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'repo' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_reviews_ins AFTER INSERT ON reviews BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'repo', x.ref FROM (SELECT NEW.repo_id AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'repo' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_reviews_upd AFTER UPDATE ON reviews BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'repo', x.ref FROM (SELECT NEW.repo_id AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'repo' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_reviews_del AFTER DELETE ON reviews BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'repo', x.ref FROM (SELECT OLD.repo_id AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'repo' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_review_comments_ins AFTER INSERT ON review_comments BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'repo', x.ref FROM (SELECT NEW.repo_id AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'repo' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_review_comments_upd AFTER UPDATE ON review_comments BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'repo', x.ref FROM (SELECT NEW.repo_id AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'repo' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_review_comments_del AFTER DELETE ON review_comments BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'repo', x.ref FROM (SELECT OLD.repo_id AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'repo' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_issues_ins AFTER INSERT ON issues BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'repo', x.ref FROM (SELECT NEW.repo_id AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'repo' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_issues_upd AFTER UPDATE ON issues BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'repo', x.ref FROM (SELECT NEW.repo_id AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'repo' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_issues_del AFTER DELETE ON issues BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'repo', x.ref FROM (SELECT OLD.repo_id AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'repo' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_issue_labels_ins AFTER INSERT ON issue_labels BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'repo', x.ref FROM (SELECT (SELECT p.repo_id FROM issues p WHERE p.id = NEW.issue_id) AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'repo' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_issue_labels_upd AFTER UPDATE ON issue_labels BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'repo', x.ref FROM (SELECT (SELECT p.repo_id FROM issues p WHERE p.id = NEW.issue_id) AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'repo' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_issue_labels_del AFTER DELETE ON issue_labels BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'repo', x.ref FROM (SELECT (SELECT p.repo_id FROM issues p WHERE p.id = OLD.issue_id) AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'repo' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_issue_comments_ins AFTER INSERT ON issue_comments BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'repo', x.ref FROM (SELECT NEW.repo_id AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'repo' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_issue_comments_upd AFTER UPDATE ON issue_comments BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'repo', x.ref FROM (SELECT NEW.repo_id AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'repo' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_issue_comments_del AFTER DELETE ON issue_comments BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'repo', x.ref FROM (SELECT OLD.repo_id AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'repo' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_incidents_ins AFTER INSERT ON incidents BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'repo', x.ref FROM (SELECT COALESCE(NEW.repo_id, 0) AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'repo' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_incidents_upd AFTER UPDATE ON incidents BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'repo', x.ref FROM (SELECT COALESCE(NEW.repo_id, 0) AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'repo' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_incidents_del AFTER DELETE ON incidents BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'repo', x.ref FROM (SELECT COALESCE(OLD.repo_id, 0) AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'repo' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_ci_events_ins AFTER INSERT ON ci_events WHEN NEW.event = 'rollback' BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'repo', x.ref FROM (SELECT NEW.repo_id AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'repo' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_ci_events_upd AFTER UPDATE ON ci_events WHEN NEW.event = 'rollback' BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'repo', x.ref FROM (SELECT NEW.repo_id AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'repo' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_actors_ins AFTER INSERT ON actors BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'actor', x.ref FROM (SELECT NEW.id AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'actor' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_actors_upd AFTER UPDATE ON actors WHEN OLD.login IS NOT NEW.login OR OLD.type IS NOT NEW.type OR OLD.email IS NOT NEW.email BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'actor', x.ref FROM (SELECT NEW.id AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'actor' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_actors_del AFTER DELETE ON actors BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'actor', x.ref FROM (SELECT OLD.id AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'actor' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_org_members_ins AFTER INSERT ON org_members BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'actor', x.ref FROM (SELECT NEW.actor_id AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'actor' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_org_members_upd AFTER UPDATE ON org_members WHEN OLD.org_id IS NOT NEW.org_id OR OLD.since IS NOT NEW.since OR OLD.until IS NOT NEW.until BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'actor', x.ref FROM (SELECT NEW.actor_id AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'actor' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_org_members_del AFTER DELETE ON org_members BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'actor', x.ref FROM (SELECT OLD.actor_id AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'actor' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_team_members_ins AFTER INSERT ON team_members BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'actor', x.ref FROM (SELECT NEW.actor_id AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'actor' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_team_members_upd AFTER UPDATE ON team_members WHEN OLD.team_id IS NOT NEW.team_id OR OLD.since IS NOT NEW.since OR OLD.until IS NOT NEW.until BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'actor', x.ref FROM (SELECT NEW.actor_id AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'actor' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_team_members_del AFTER DELETE ON team_members BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'actor', x.ref FROM (SELECT OLD.actor_id AS ref) x
    WHERE x.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'actor' AND m.ref = x.ref);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_affiliations_ins AFTER INSERT ON affiliations BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'all', NULL
    WHERE NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'all');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_affiliations_upd AFTER UPDATE ON affiliations BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'all', NULL
    WHERE NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'all');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_affiliations_del AFTER DELETE ON affiliations BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'all', NULL
    WHERE NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'all');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_organizations_ins AFTER INSERT ON organizations BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'all', NULL
    WHERE NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'all');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_organizations_upd AFTER UPDATE ON organizations WHEN OLD.login IS NOT NEW.login OR OLD.name IS NOT NEW.name BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'all', NULL
    WHERE NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'all');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER metric_changes_organizations_del AFTER DELETE ON organizations BEGIN
    INSERT INTO metric_changes (scope, ref) SELECT 'all', NULL
    WHERE NOT EXISTS (SELECT 1 FROM metric_changes m WHERE m.scope = 'all');
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER metric_changes_repositories_ins;
DROP TRIGGER metric_changes_repositories_upd;
DROP TRIGGER metric_changes_repositories_del;
DROP TRIGGER metric_changes_deployments_ins;
DROP TRIGGER metric_changes_deployments_upd;
DROP TRIGGER metric_changes_deployments_del;
DROP TRIGGER metric_changes_deployment_statuses_ins;
DROP TRIGGER metric_changes_deployment_statuses_upd;
DROP TRIGGER metric_changes_deployment_statuses_del;
DROP TRIGGER metric_changes_deployment_commits_ins;
DROP TRIGGER metric_changes_deployment_commits_upd;
DROP TRIGGER metric_changes_deployment_commits_del;
DROP TRIGGER metric_changes_workflow_runs_ins;
DROP TRIGGER metric_changes_workflow_runs_upd;
DROP TRIGGER metric_changes_workflow_runs_del;
DROP TRIGGER metric_changes_pushes_ins;
DROP TRIGGER metric_changes_pushes_upd;
DROP TRIGGER metric_changes_pushes_del;
DROP TRIGGER metric_changes_push_commits_ins;
DROP TRIGGER metric_changes_push_commits_upd;
DROP TRIGGER metric_changes_push_commits_del;
DROP TRIGGER metric_changes_commits_ins;
DROP TRIGGER metric_changes_commits_upd;
DROP TRIGGER metric_changes_commits_del;
DROP TRIGGER metric_changes_pull_requests_ins;
DROP TRIGGER metric_changes_pull_requests_upd;
DROP TRIGGER metric_changes_pull_requests_del;
DROP TRIGGER metric_changes_pull_request_labels_ins;
DROP TRIGGER metric_changes_pull_request_labels_upd;
DROP TRIGGER metric_changes_pull_request_labels_del;
DROP TRIGGER metric_changes_pull_request_commits_ins;
DROP TRIGGER metric_changes_pull_request_commits_upd;
DROP TRIGGER metric_changes_pull_request_commits_del;
DROP TRIGGER metric_changes_reviews_ins;
DROP TRIGGER metric_changes_reviews_upd;
DROP TRIGGER metric_changes_reviews_del;
DROP TRIGGER metric_changes_review_comments_ins;
DROP TRIGGER metric_changes_review_comments_upd;
DROP TRIGGER metric_changes_review_comments_del;
DROP TRIGGER metric_changes_issues_ins;
DROP TRIGGER metric_changes_issues_upd;
DROP TRIGGER metric_changes_issues_del;
DROP TRIGGER metric_changes_issue_labels_ins;
DROP TRIGGER metric_changes_issue_labels_upd;
DROP TRIGGER metric_changes_issue_labels_del;
DROP TRIGGER metric_changes_issue_comments_ins;
DROP TRIGGER metric_changes_issue_comments_upd;
DROP TRIGGER metric_changes_issue_comments_del;
DROP TRIGGER metric_changes_incidents_ins;
DROP TRIGGER metric_changes_incidents_upd;
DROP TRIGGER metric_changes_incidents_del;
DROP TRIGGER metric_changes_ci_events_ins;
DROP TRIGGER metric_changes_ci_events_upd;
DROP TRIGGER metric_changes_actors_ins;
DROP TRIGGER metric_changes_actors_upd;
DROP TRIGGER metric_changes_actors_del;
DROP TRIGGER metric_changes_org_members_ins;
DROP TRIGGER metric_changes_org_members_upd;
DROP TRIGGER metric_changes_org_members_del;
DROP TRIGGER metric_changes_team_members_ins;
DROP TRIGGER metric_changes_team_members_upd;
DROP TRIGGER metric_changes_team_members_del;
DROP TRIGGER metric_changes_affiliations_ins;
DROP TRIGGER metric_changes_affiliations_upd;
DROP TRIGGER metric_changes_affiliations_del;
DROP TRIGGER metric_changes_organizations_ins;
DROP TRIGGER metric_changes_organizations_upd;
DROP TRIGGER metric_changes_organizations_del;
DROP INDEX pushes_after;
DROP TABLE metric_actor_domains;
DROP TABLE metric_team_contribution_sums;
DROP TABLE metric_contribution_sums;
DROP TABLE metric_contributions;
DROP TABLE metric_issues;
DROP TABLE metric_incidents;
DROP TABLE metric_pulls;
DROP TABLE metric_deployments;
DROP TABLE metric_state;
DROP TABLE metric_changes;
