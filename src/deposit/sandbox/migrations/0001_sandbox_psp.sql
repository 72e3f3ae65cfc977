-- The sandbox payment provider's own database (it stands in for an external
-- system, so it shares nothing with the server's).
CREATE TABLE psp_payments (
    id              TEXT PRIMARY KEY NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    reference       TEXT NOT NULL,
    amount          TEXT NOT NULL,
    currency        TEXT NOT NULL,
    return_url      TEXT NOT NULL,
    status          TEXT NOT NULL,   -- created | processing | succeeded | declined | cancelled
    created_at      INTEGER NOT NULL
);

-- Webhooks waiting to be delivered (the provider retries until a 2xx).
CREATE TABLE psp_webhooks (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id      TEXT NOT NULL UNIQUE,
    payload       TEXT NOT NULL,
    deliver_after INTEGER NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    delivered_at  INTEGER
);
CREATE INDEX psp_webhooks_due ON psp_webhooks (delivered_at, deliver_after);
