-- Full SSO: the broker's CRM identity (users), the tokens cTrader holds for
-- it, and one-time tokens. Every token is stored as its SHA-256 only.
CREATE TABLE sso_users (
    user_id       INTEGER PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    login         INTEGER NOT NULL,
    created_at    INTEGER NOT NULL
);

-- 4.1: what cTrader presents on every later call.
CREATE TABLE sso_crm_tokens (
    token_hash TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

-- 4.2 issues, 4.3 checks, the back-office revokes. The inappToken rides along.
CREATE TABLE sso_access_tokens (
    id          TEXT PRIMARY KEY,
    token_hash  TEXT NOT NULL UNIQUE,
    user_id     INTEGER NOT NULL REFERENCES sso_users (user_id),
    inapp_hash  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at  INTEGER,
    revoked_by  TEXT
);
CREATE INDEX sso_access_tokens_user ON sso_access_tokens (user_id);

-- Sign-in codes (kind 'code', for 4.2) and screen tokens (kind 'screen', from 4.4).
CREATE TABLE sso_one_time (
    token_hash TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    user_id    INTEGER NOT NULL REFERENCES sso_users (user_id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
