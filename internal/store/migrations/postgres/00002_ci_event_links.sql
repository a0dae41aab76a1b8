-- +goose Up
-- A CI event remembers the deployment and incident it created or affected,
-- so the API can show them and a replay of the same key finds them.
ALTER TABLE ci_events ADD COLUMN deployment_id BIGINT;
ALTER TABLE ci_events ADD COLUMN incident_id BIGINT;
-- The idempotency key is scoped to the token and the event name, so that
-- incident_opened and incident_resolved can share the incident's id.
DROP INDEX ci_events_client_id;
CREATE UNIQUE INDEX ci_events_client_id ON ci_events (token_id, client_id, event);

-- +goose Down
DROP INDEX ci_events_client_id;
CREATE UNIQUE INDEX ci_events_client_id ON ci_events (token_id, client_id);
ALTER TABLE ci_events DROP COLUMN incident_id;
ALTER TABLE ci_events DROP COLUMN deployment_id;
