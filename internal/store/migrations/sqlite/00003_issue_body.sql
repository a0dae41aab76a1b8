-- +goose Up
-- An issue's body is kept: an incident issue names its cause in it
-- ("root cause: <sha>"), and keeping the text lets that rule change
-- without a re-sync.
ALTER TABLE issues ADD COLUMN body TEXT;

-- +goose Down
ALTER TABLE issues DROP COLUMN body;
