-- Submissions of the broker's configured form actions.
CREATE TABLE action_submissions (
    id          TEXT PRIMARY KEY,
    action_type TEXT NOT NULL,
    login       INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    fields      TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX action_submissions_created ON action_submissions (created_at);
