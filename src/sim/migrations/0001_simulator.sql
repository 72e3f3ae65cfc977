-- The cTrader simulator's own database (a separate file from the server's,
-- as cTrader is a separate system).
CREATE TABLE sim_traders (
    login         INTEGER PRIMARY KEY NOT NULL,
    user_id       INTEGER NOT NULL,
    trader_id     INTEGER NOT NULL,
    name          TEXT NOT NULL,
    last_name     TEXT NOT NULL,
    email         TEXT NOT NULL,
    currency      TEXT NOT NULL,
    money_digits  INTEGER NOT NULL,
    balance       INTEGER NOT NULL,
    access_rights TEXT NOT NULL,
    created_at    INTEGER NOT NULL
);

CREATE TABLE sim_ot_tokens (
    token      TEXT PRIMARY KEY NOT NULL,
    login      INTEGER NOT NULL REFERENCES sim_traders (login),
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);

CREATE TABLE sim_manager_tokens (
    token      TEXT PRIMARY KEY NOT NULL,
    expires_at INTEGER NOT NULL
);

CREATE TABLE sim_balance_history (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    login         INTEGER NOT NULL REFERENCES sim_traders (login),
    type          TEXT NOT NULL,
    amount        INTEGER NOT NULL,
    balance_after INTEGER NOT NULL,
    external_id   TEXT,
    external_note TEXT,
    comment       TEXT,
    source        TEXT,
    created_at    INTEGER NOT NULL
);
CREATE INDEX sim_balance_history_login ON sim_balance_history (login, id);
CREATE INDEX sim_balance_history_external ON sim_balance_history (external_id);

-- How many times each contract endpoint was called (tests count token resolutions).
CREATE TABLE sim_calls (
    endpoint TEXT PRIMARY KEY NOT NULL,
    count    INTEGER NOT NULL
);

-- Faults injected through POST /sim/faults.
CREATE TABLE sim_faults (
    endpoint    TEXT PRIMARY KEY NOT NULL,
    kind        TEXT NOT NULL,
    delay_ms    INTEGER NOT NULL,
    status      INTEGER NOT NULL,
    probability REAL NOT NULL,
    remaining   INTEGER
);
