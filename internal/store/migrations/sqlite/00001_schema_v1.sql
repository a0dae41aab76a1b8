-- +goose Up
-- Schema v1. Times are BIGINT Unix milliseconds UTC, NULL when unknown.
-- Domain tables carry no foreign keys on purpose: webhooks arrive in any
-- order (a review before its pull request), and the integrity checks find
-- and repair orphans instead.

CREATE TABLE repositories (
    id              INTEGER PRIMARY KEY,
    github_id       BIGINT,
    owner           TEXT NOT NULL,
    name            TEXT NOT NULL,
    full_name       TEXT NOT NULL,
    private         BOOLEAN NOT NULL DEFAULT FALSE,
    archived        BOOLEAN NOT NULL DEFAULT FALSE,
    default_branch  TEXT,
    created_at      BIGINT,
    updated_at      BIGINT,
    pushed_at       BIGINT
);
CREATE UNIQUE INDEX repositories_github_id ON repositories (github_id);
CREATE UNIQUE INDEX repositories_full_name ON repositories (full_name);

CREATE TABLE actors (
    id          BIGINT PRIMARY KEY,
    login       TEXT NOT NULL,
    type        TEXT NOT NULL,
    name        TEXT,
    email       TEXT,
    updated_at  BIGINT
);
CREATE INDEX actors_login ON actors (login);

CREATE TABLE organizations (
    id          BIGINT PRIMARY KEY,
    login       TEXT NOT NULL,
    name        TEXT,
    updated_at  BIGINT
);
CREATE UNIQUE INDEX organizations_login ON organizations (login);

CREATE TABLE org_members (
    id        INTEGER PRIMARY KEY,
    org_id    BIGINT NOT NULL,
    actor_id  BIGINT NOT NULL,
    role      TEXT,
    since     BIGINT NOT NULL,
    until     BIGINT
);
CREATE UNIQUE INDEX org_members_key ON org_members (org_id, actor_id, since);
CREATE INDEX org_members_actor ON org_members (actor_id);

CREATE TABLE teams (
    id          BIGINT PRIMARY KEY,
    org_id      BIGINT,
    slug        TEXT NOT NULL,
    name        TEXT NOT NULL,
    parent_id   BIGINT,
    privacy     TEXT,
    deleted     BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at  BIGINT
);
CREATE INDEX teams_org_slug ON teams (org_id, slug);

CREATE TABLE team_members (
    id        INTEGER PRIMARY KEY,
    team_id   BIGINT NOT NULL,
    actor_id  BIGINT NOT NULL,
    role      TEXT,
    since     BIGINT NOT NULL,
    until     BIGINT
);
CREATE UNIQUE INDEX team_members_key ON team_members (team_id, actor_id, since);
CREATE INDEX team_members_actor ON team_members (actor_id);

CREATE TABLE team_repositories (
    team_id     BIGINT NOT NULL,
    repo_id     BIGINT NOT NULL,
    permission  TEXT,
    PRIMARY KEY (team_id, repo_id)
);

CREATE TABLE affiliations (
    id            INTEGER PRIMARY KEY,
    company       TEXT NOT NULL,
    login         TEXT,
    email_domain  TEXT,
    since         BIGINT,
    until         BIGINT
);
CREATE INDEX affiliations_login ON affiliations (login);
CREATE INDEX affiliations_email_domain ON affiliations (email_domain);

CREATE TABLE pull_requests (
    id                BIGINT PRIMARY KEY,
    repo_id           BIGINT NOT NULL,
    number            BIGINT NOT NULL,
    node_id           TEXT,
    author_id         BIGINT,
    title             TEXT NOT NULL DEFAULT '',
    state             TEXT NOT NULL,
    draft             BOOLEAN NOT NULL DEFAULT FALSE,
    merged            BOOLEAN NOT NULL DEFAULT FALSE,
    merge_commit_sha  TEXT,
    merged_by_id      BIGINT,
    head_ref          TEXT,
    head_sha          TEXT,
    base_ref          TEXT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    closed_at         BIGINT,
    merged_at         BIGINT,
    first_commit_at   BIGINT,
    additions         BIGINT,
    deletions         BIGINT,
    changed_files     BIGINT,
    commits           BIGINT,
    review_comments   BIGINT
);
CREATE UNIQUE INDEX pull_requests_repo_number ON pull_requests (repo_id, number);
CREATE INDEX pull_requests_author ON pull_requests (author_id, created_at);
CREATE INDEX pull_requests_merged_at ON pull_requests (merged_at);
CREATE INDEX pull_requests_created_at ON pull_requests (created_at);
CREATE INDEX pull_requests_merge_commit ON pull_requests (repo_id, merge_commit_sha);

CREATE TABLE pull_request_labels (
    pull_request_id  BIGINT NOT NULL,
    name             TEXT NOT NULL,
    PRIMARY KEY (pull_request_id, name)
);
CREATE INDEX pull_request_labels_name ON pull_request_labels (name);

CREATE TABLE pull_request_commits (
    pull_request_id  BIGINT NOT NULL,
    sha              TEXT NOT NULL,
    PRIMARY KEY (pull_request_id, sha)
);

CREATE TABLE reviews (
    id               BIGINT PRIMARY KEY,
    pull_request_id  BIGINT NOT NULL,
    repo_id          BIGINT NOT NULL,
    reviewer_id      BIGINT,
    state            TEXT NOT NULL,
    commit_id        TEXT,
    submitted_at     BIGINT
);
CREATE INDEX reviews_pull_request ON reviews (pull_request_id, submitted_at);
CREATE INDEX reviews_reviewer ON reviews (reviewer_id, submitted_at);

CREATE TABLE review_comments (
    id               BIGINT PRIMARY KEY,
    pull_request_id  BIGINT NOT NULL,
    repo_id          BIGINT NOT NULL,
    review_id        BIGINT,
    author_id        BIGINT,
    in_reply_to_id   BIGINT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT,
    deleted          BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX review_comments_pull_request ON review_comments (pull_request_id, created_at);
CREATE INDEX review_comments_author ON review_comments (author_id, created_at);

CREATE TABLE issues (
    id            BIGINT PRIMARY KEY,
    repo_id       BIGINT NOT NULL,
    number        BIGINT NOT NULL,
    node_id       TEXT,
    author_id     BIGINT,
    title         TEXT NOT NULL DEFAULT '',
    state         TEXT NOT NULL,
    state_reason  TEXT,
    comments      BIGINT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    closed_at     BIGINT,
    deleted       BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE UNIQUE INDEX issues_repo_number ON issues (repo_id, number);
CREATE INDEX issues_author ON issues (author_id, created_at);
CREATE INDEX issues_created_at ON issues (created_at);

CREATE TABLE issue_labels (
    issue_id  BIGINT NOT NULL,
    name      TEXT NOT NULL,
    PRIMARY KEY (issue_id, name)
);
CREATE INDEX issue_labels_name ON issue_labels (name);

CREATE TABLE issue_comments (
    id            BIGINT PRIMARY KEY,
    repo_id       BIGINT NOT NULL,
    issue_number  BIGINT NOT NULL,
    issue_id      BIGINT,
    on_pull       BOOLEAN NOT NULL DEFAULT FALSE,
    author_id     BIGINT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT,
    deleted       BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX issue_comments_issue ON issue_comments (repo_id, issue_number, created_at);
CREATE INDEX issue_comments_author ON issue_comments (author_id, created_at);

CREATE TABLE issue_events (
    id            BIGINT PRIMARY KEY,
    repo_id       BIGINT NOT NULL,
    issue_number  BIGINT NOT NULL,
    issue_id      BIGINT,
    actor_id      BIGINT,
    event         TEXT NOT NULL,
    label         TEXT,
    commit_id     TEXT,
    created_at    BIGINT NOT NULL
);
CREATE INDEX issue_events_issue ON issue_events (repo_id, issue_number, created_at);

CREATE TABLE issue_transfers (
    id              INTEGER PRIMARY KEY,
    old_issue_id    BIGINT NOT NULL,
    old_repo_id     BIGINT NOT NULL,
    old_number      BIGINT NOT NULL,
    new_issue_id    BIGINT,
    new_repo_id     BIGINT,
    new_number      BIGINT,
    actor_id        BIGINT,
    transferred_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX issue_transfers_old ON issue_transfers (old_issue_id);
CREATE INDEX issue_transfers_new ON issue_transfers (new_issue_id);

CREATE TABLE commits (
    repo_id          BIGINT NOT NULL,
    sha              TEXT NOT NULL,
    author_id        BIGINT,
    author_name      TEXT,
    author_email     TEXT,
    authored_at      BIGINT,
    committer_email  TEXT,
    committed_at     BIGINT,
    message          TEXT,
    PRIMARY KEY (repo_id, sha)
);
CREATE INDEX commits_author ON commits (author_id, authored_at);

CREATE TABLE pushes (
    id           INTEGER PRIMARY KEY,
    repo_id      BIGINT NOT NULL,
    ref          TEXT NOT NULL,
    before_sha   TEXT,
    after_sha    TEXT NOT NULL,
    pusher_id    BIGINT,
    pusher_name  TEXT,
    forced       BOOLEAN NOT NULL DEFAULT FALSE,
    created      BOOLEAN NOT NULL DEFAULT FALSE,
    deleted      BOOLEAN NOT NULL DEFAULT FALSE,
    distinct_size BIGINT,
    pushed_at    BIGINT NOT NULL,
    delivery_id  TEXT
);
CREATE UNIQUE INDEX pushes_delivery ON pushes (delivery_id);
CREATE INDEX pushes_repo_ref ON pushes (repo_id, ref, pushed_at);

CREATE TABLE push_commits (
    push_id   BIGINT NOT NULL,
    position  BIGINT NOT NULL,
    sha       TEXT NOT NULL,
    PRIMARY KEY (push_id, position)
);
CREATE INDEX push_commits_sha ON push_commits (sha);

CREATE TABLE ref_events (
    id           INTEGER PRIMARY KEY,
    repo_id      BIGINT NOT NULL,
    ref          TEXT NOT NULL,
    ref_type     TEXT NOT NULL,
    action       TEXT NOT NULL,
    actor_id     BIGINT,
    at           BIGINT NOT NULL,
    delivery_id  TEXT
);
CREATE UNIQUE INDEX ref_events_delivery ON ref_events (delivery_id);
CREATE INDEX ref_events_repo ON ref_events (repo_id, at);

CREATE TABLE releases (
    id                BIGINT PRIMARY KEY,
    repo_id           BIGINT NOT NULL,
    tag_name          TEXT NOT NULL,
    name              TEXT,
    target_commitish  TEXT,
    draft             BOOLEAN NOT NULL DEFAULT FALSE,
    prerelease        BOOLEAN NOT NULL DEFAULT FALSE,
    author_id         BIGINT,
    created_at        BIGINT,
    published_at      BIGINT,
    deleted           BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX releases_repo ON releases (repo_id, published_at);

CREATE TABLE deployments (
    id              INTEGER PRIMARY KEY,
    source          TEXT NOT NULL,
    source_id       TEXT NOT NULL,
    repo_id         BIGINT NOT NULL,
    environment     TEXT NOT NULL,
    sha             TEXT,
    ref             TEXT,
    task            TEXT,
    status          TEXT NOT NULL,
    creator_id      BIGINT,
    url             TEXT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT,
    finished_at     BIGINT,
    caused_failure  BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE UNIQUE INDEX deployments_source ON deployments (source, source_id);
CREATE INDEX deployments_repo_env ON deployments (repo_id, environment, finished_at);
CREATE INDEX deployments_finished_at ON deployments (finished_at);

CREATE TABLE deployment_statuses (
    id             INTEGER PRIMARY KEY,
    deployment_id  BIGINT NOT NULL,
    source_id      TEXT NOT NULL,
    state          TEXT NOT NULL,
    description    TEXT,
    environment    TEXT,
    creator_id     BIGINT,
    created_at     BIGINT NOT NULL
);
CREATE UNIQUE INDEX deployment_statuses_source ON deployment_statuses (deployment_id, source_id);

CREATE TABLE deployment_commits (
    deployment_id  BIGINT NOT NULL,
    sha            TEXT NOT NULL,
    PRIMARY KEY (deployment_id, sha)
);
CREATE INDEX deployment_commits_sha ON deployment_commits (sha);

CREATE TABLE check_suites (
    id           BIGINT PRIMARY KEY,
    repo_id      BIGINT NOT NULL,
    head_sha     TEXT,
    head_branch  TEXT,
    status       TEXT,
    conclusion   TEXT,
    app_slug     TEXT,
    created_at   BIGINT,
    updated_at   BIGINT
);
CREATE INDEX check_suites_repo_sha ON check_suites (repo_id, head_sha);

CREATE TABLE check_runs (
    id              BIGINT PRIMARY KEY,
    check_suite_id  BIGINT,
    repo_id         BIGINT NOT NULL,
    name            TEXT NOT NULL,
    head_sha        TEXT,
    status          TEXT,
    conclusion      TEXT,
    started_at      BIGINT,
    completed_at    BIGINT
);
CREATE INDEX check_runs_suite ON check_runs (check_suite_id);

CREATE TABLE workflow_runs (
    id             BIGINT PRIMARY KEY,
    repo_id        BIGINT NOT NULL,
    workflow_id    BIGINT,
    name           TEXT,
    event          TEXT,
    head_sha       TEXT,
    head_branch    TEXT,
    run_number     BIGINT,
    run_attempt    BIGINT,
    status         TEXT,
    conclusion     TEXT,
    created_at     BIGINT,
    started_at     BIGINT,
    updated_at     BIGINT
);
CREATE INDEX workflow_runs_repo ON workflow_runs (repo_id, created_at);

CREATE TABLE workflow_jobs (
    id            BIGINT PRIMARY KEY,
    run_id        BIGINT NOT NULL,
    repo_id       BIGINT NOT NULL,
    name          TEXT NOT NULL,
    status        TEXT,
    conclusion    TEXT,
    created_at    BIGINT,
    started_at    BIGINT,
    completed_at  BIGINT
);
CREATE INDEX workflow_jobs_run ON workflow_jobs (run_id);

CREATE TABLE incidents (
    id             INTEGER PRIMARY KEY,
    source         TEXT NOT NULL,
    source_id      TEXT NOT NULL,
    repo_id        BIGINT,
    title          TEXT,
    url            TEXT,
    opened_at      BIGINT NOT NULL,
    resolved_at    BIGINT,
    deployment_id  BIGINT
);
CREATE UNIQUE INDEX incidents_source ON incidents (source, source_id);
CREATE INDEX incidents_opened_at ON incidents (opened_at);

CREATE TABLE ci_events (
    id             INTEGER PRIMARY KEY,
    token_id       BIGINT,
    client_id      TEXT,
    event          TEXT NOT NULL,
    repo           TEXT NOT NULL,
    repo_id        BIGINT,
    at             BIGINT NOT NULL,
    sha            TEXT,
    ref            TEXT,
    environment    TEXT,
    status         TEXT,
    deployment     TEXT,
    url            TEXT,
    duration_ms    BIGINT,
    metadata       TEXT,
    received_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX ci_events_client_id ON ci_events (token_id, client_id);
CREATE INDEX ci_events_at ON ci_events (at);
CREATE INDEX ci_events_repo_event ON ci_events (repo, event, at);

CREATE TABLE metric_snapshots (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    repo_id       BIGINT,
    environment   TEXT,
    period_start  BIGINT NOT NULL,
    period_end    BIGINT NOT NULL,
    value         DOUBLE PRECISION,
    data          TEXT,
    computed_at   BIGINT NOT NULL
);
CREATE INDEX metric_snapshots_name ON metric_snapshots (name, computed_at);

CREATE TABLE webhook_deliveries (
    id                INTEGER PRIMARY KEY,
    delivery_id       TEXT NOT NULL,
    event             TEXT NOT NULL,
    action            TEXT,
    hook_id           BIGINT,
    installation_id   BIGINT,
    repo_full_name    TEXT,
    received_at       BIGINT NOT NULL,
    body              BLOB NOT NULL,
    body_encoding     TEXT NOT NULL,
    body_size         BIGINT NOT NULL,
    projected_at      BIGINT,
    projection_error  TEXT
);
CREATE UNIQUE INDEX webhook_deliveries_delivery ON webhook_deliveries (delivery_id);
CREATE INDEX webhook_deliveries_unprojected ON webhook_deliveries (id) WHERE projected_at IS NULL;
CREATE INDEX webhook_deliveries_repo ON webhook_deliveries (repo_full_name, received_at);

CREATE TABLE http_cache (
    url            TEXT PRIMARY KEY,
    etag           TEXT,
    last_modified  TEXT,
    updated_at     BIGINT NOT NULL
);

CREATE TABLE sync_state (
    scope       TEXT NOT NULL,
    kind        TEXT NOT NULL,
    watermark   BIGINT,
    checkpoint  TEXT,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (scope, kind)
);

CREATE TABLE integrity_checks (
    id             INTEGER PRIMARY KEY,
    scope          TEXT NOT NULL,
    started_at     BIGINT NOT NULL,
    finished_at    BIGINT,
    requests       BIGINT NOT NULL DEFAULT 0,
    findings       BIGINT NOT NULL DEFAULT 0,
    status         TEXT NOT NULL,
    error          TEXT
);
CREATE INDEX integrity_checks_scope ON integrity_checks (scope, started_at);

CREATE TABLE integrity_findings (
    id             INTEGER PRIMARY KEY,
    check_id       BIGINT NOT NULL,
    scope          TEXT NOT NULL,
    kind           TEXT NOT NULL,
    expected       BIGINT,
    found          BIGINT,
    detail         TEXT,
    found_at       BIGINT NOT NULL,
    repair_job_id  BIGINT,
    repaired_at    BIGINT
);
CREATE INDEX integrity_findings_check ON integrity_findings (check_id);
CREATE INDEX integrity_findings_open ON integrity_findings (scope, kind) WHERE repaired_at IS NULL;

CREATE TABLE jobs (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL,
    args          TEXT NOT NULL DEFAULT '{}',
    unique_key    TEXT,
    priority      BIGINT NOT NULL DEFAULT 0,
    state         TEXT NOT NULL,
    attempts      BIGINT NOT NULL DEFAULT 0,
    max_attempts  BIGINT NOT NULL,
    run_at        BIGINT NOT NULL,
    lease_owner   TEXT,
    leased_until  BIGINT,
    last_error    TEXT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    finished_at   BIGINT
);
-- A unique key drops duplicates only while a job with that key is live.
CREATE UNIQUE INDEX jobs_unique_live ON jobs (unique_key) WHERE state IN ('pending', 'running');
CREATE INDEX jobs_due ON jobs (state, priority, run_at);

CREATE TABLE schedules (
    name         TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    args         TEXT NOT NULL DEFAULT '{}',
    interval_ms  BIGINT,
    daily_at     TEXT,
    next_run_at  BIGINT NOT NULL,
    last_run_at  BIGINT,
    enabled      BOOLEAN NOT NULL DEFAULT TRUE,
    updated_at   BIGINT NOT NULL
);

CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    hash          TEXT NOT NULL,
    scopes        TEXT NOT NULL,
    from_config   BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    BIGINT NOT NULL,
    last_used_at  BIGINT,
    revoked_at    BIGINT
);
CREATE UNIQUE INDEX api_tokens_name ON api_tokens (name) WHERE revoked_at IS NULL;
CREATE UNIQUE INDEX api_tokens_hash ON api_tokens (hash);

-- +goose Down
SELECT 'schema v1 cannot be rolled back; restore a backup instead';
