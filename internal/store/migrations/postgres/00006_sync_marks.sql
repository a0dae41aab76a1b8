-- +goose Up
-- The sync remembers when it read a GitHub deployment's statuses and the
-- commits a deployment shipped (compare with the deployment before it),
-- so a deployment GitHub holds no status for, or one that shipped nothing
-- new, is neither asked for again nor reported as a gap.
ALTER TABLE deployments ADD COLUMN statuses_synced_at BIGINT;
ALTER TABLE deployments ADD COLUMN commits_synced_at BIGINT;
-- The latest check of a scope, and its findings by kind.
CREATE INDEX integrity_findings_scope ON integrity_findings (scope, kind, found_at);

-- +goose Down
DROP INDEX integrity_findings_scope;
ALTER TABLE deployments DROP COLUMN commits_synced_at;
ALTER TABLE deployments DROP COLUMN statuses_synced_at;
