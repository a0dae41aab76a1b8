-- +goose Up
-- Webhooks arrive in any order and GitHub timestamps have whole seconds,
-- so two versions of an object often share an updated_at. version breaks
-- those ties deterministically (a rank of the object's progress, then a
-- hash of its content), so the same deliveries in any order give the same
-- rows. NULL (after sextant replay resets it) lets the next version of
-- equal updated_at in.
ALTER TABLE actors ADD COLUMN version BIGINT;
ALTER TABLE organizations ADD COLUMN version BIGINT;
ALTER TABLE teams ADD COLUMN version BIGINT;
ALTER TABLE repositories ADD COLUMN version BIGINT;
ALTER TABLE pull_requests ADD COLUMN version BIGINT;
ALTER TABLE reviews ADD COLUMN version BIGINT;
ALTER TABLE review_comments ADD COLUMN version BIGINT;
ALTER TABLE issues ADD COLUMN version BIGINT;
ALTER TABLE issue_comments ADD COLUMN version BIGINT;
ALTER TABLE releases ADD COLUMN version BIGINT;
ALTER TABLE check_suites ADD COLUMN version BIGINT;
ALTER TABLE check_runs ADD COLUMN version BIGINT;
ALTER TABLE workflow_runs ADD COLUMN version BIGINT;
ALTER TABLE workflow_jobs ADD COLUMN version BIGINT;

-- A pull request known only from the abridged copy that review payloads
-- carry (no counts, no merged flag): any full copy replaces it.
ALTER TABLE pull_requests ADD COLUMN abridged BOOLEAN NOT NULL DEFAULT FALSE;
-- Pushes to a pull request's head branch give its commits.
CREATE INDEX pull_requests_head_ref ON pull_requests (repo_id, head_ref);

-- A team's repositories change by events: the newest one wins, and a
-- removal is kept (removed_at) so an older "added" cannot resurrect it.
ALTER TABLE team_repositories ADD COLUMN updated_at BIGINT;
ALTER TABLE team_repositories ADD COLUMN removed_at BIGINT;

-- Every membership change seen (webhook or sync). The spans of
-- org_members and team_members are recomputed from these, so they are the
-- same whatever order the changes arrive in.
CREATE TABLE membership_events (
    id          INTEGER PRIMARY KEY,
    scope       TEXT NOT NULL,
    group_id    BIGINT NOT NULL,
    actor_id    BIGINT NOT NULL,
    action      TEXT NOT NULL,
    role        TEXT,
    at          BIGINT NOT NULL
);
CREATE UNIQUE INDEX membership_events_key ON membership_events (scope, group_id, actor_id, at, action);

-- +goose Down
DROP TABLE membership_events;
ALTER TABLE team_repositories DROP COLUMN removed_at;
ALTER TABLE team_repositories DROP COLUMN updated_at;
DROP INDEX pull_requests_head_ref;
ALTER TABLE pull_requests DROP COLUMN abridged;
ALTER TABLE workflow_jobs DROP COLUMN version;
ALTER TABLE workflow_runs DROP COLUMN version;
ALTER TABLE check_runs DROP COLUMN version;
ALTER TABLE check_suites DROP COLUMN version;
ALTER TABLE releases DROP COLUMN version;
ALTER TABLE issue_comments DROP COLUMN version;
ALTER TABLE issues DROP COLUMN version;
ALTER TABLE review_comments DROP COLUMN version;
ALTER TABLE reviews DROP COLUMN version;
ALTER TABLE pull_requests DROP COLUMN version;
ALTER TABLE repositories DROP COLUMN version;
ALTER TABLE teams DROP COLUMN version;
ALTER TABLE organizations DROP COLUMN version;
ALTER TABLE actors DROP COLUMN version;
