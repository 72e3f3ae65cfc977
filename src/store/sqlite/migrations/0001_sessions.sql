-- Trader sessions created from one-time tokens. Only the SHA-256 of the
-- cookie's random id is stored.
CREATE TABLE sessions (
    id_hash      TEXT PRIMARY KEY NOT NULL,
    user_id      INTEGER NOT NULL,
    trader_id    INTEGER,
    account_id   INTEGER,
    login        INTEGER NOT NULL,
    broker_name  TEXT,
    trader_name  TEXT,
    currency     TEXT,
    lang         TEXT NOT NULL,
    theme        TEXT NOT NULL,
    source       TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- One row per one-time token this server has tried to redeem (by SHA-256),
-- so concurrent requests with one token resolve it once.
CREATE TABLE ot_token_claims (
    token_hash TEXT PRIMARY KEY NOT NULL,
    claimed_at INTEGER NOT NULL
);
