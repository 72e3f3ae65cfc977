-- Deposits, from the trader's submit to the credit in cTrader.
-- Amounts are integers in the currency's minor units (digits says how many).
CREATE TABLE deposits (
    id                  TEXT PRIMARY KEY NOT NULL,
    login               INTEGER NOT NULL,
    user_id             INTEGER NOT NULL,
    idempotency_key     TEXT NOT NULL,
    currency            TEXT NOT NULL,
    digits              INTEGER NOT NULL,
    requested_minor     INTEGER NOT NULL,
    fee_minor           INTEGER NOT NULL,
    -- What the provider confirmed; this, never the browser's number, is credited.
    confirmed_minor     INTEGER,
    method              TEXT NOT NULL,
    state               TEXT NOT NULL,
    provider_payment_id TEXT,
    balance_history_id  INTEGER,
    failure_reason      TEXT,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    UNIQUE (login, idempotency_key)
);
CREATE INDEX deposits_login ON deposits (login, created_at);

-- Provider events already applied, so duplicates change nothing.
CREATE TABLE payment_events (
    event_id   TEXT PRIMARY KEY NOT NULL,
    deposit_id TEXT NOT NULL,
    kind       TEXT NOT NULL,
    received_at INTEGER NOT NULL
);

-- The transactional outbox: written in the same transaction as the
-- confirmation; the crediting worker takes rows whose lease has run out.
CREATE TABLE credit_outbox (
    deposit_id   TEXT PRIMARY KEY NOT NULL REFERENCES deposits (id),
    state        TEXT NOT NULL,            -- pending | done | failed
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_at      INTEGER NOT NULL,
    locked_until INTEGER,
    last_error   TEXT
);
CREATE INDEX credit_outbox_due ON credit_outbox (state, next_at);
