-- KYC: one case per trading login, its documents (files live in the
-- document store under the document id), an event log that is both the
-- trader's timeline and the compliance audit log, and the outbox that
-- carries a decision to cTrader as accessRights.
CREATE TABLE kyc_cases (
    login       INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL,
    kyc_type    TEXT NOT NULL,
    state       TEXT NOT NULL,
    details     TEXT,
    note        TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX kyc_cases_state ON kyc_cases (state, updated_at);

CREATE TABLE kyc_documents (
    id          TEXT PRIMARY KEY,
    login       INTEGER NOT NULL REFERENCES kyc_cases (login),
    doc_type    TEXT NOT NULL,
    state       TEXT NOT NULL,
    reason      TEXT,
    file_name   TEXT NOT NULL,
    kind        TEXT NOT NULL,
    size        INTEGER NOT NULL,
    has_preview INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    decided_at  INTEGER,
    decided_by  TEXT
);
CREATE INDEX kyc_documents_login ON kyc_documents (login, doc_type, created_at);

CREATE TABLE kyc_events (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    login    INTEGER NOT NULL,
    at       INTEGER NOT NULL,
    actor    TEXT NOT NULL,
    action   TEXT NOT NULL,
    subject  TEXT,
    reason   TEXT
);
CREATE INDEX kyc_events_login ON kyc_events (login, id);

-- The accessRights cTrader should have for a login. `version` grows with each
-- decision; the worker applies the newest and records it as applied.
CREATE TABLE kyc_access_sync (
    login           INTEGER PRIMARY KEY,
    access_rights   TEXT NOT NULL,
    version         INTEGER NOT NULL,
    applied_version INTEGER NOT NULL DEFAULT 0,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_at         INTEGER NOT NULL,
    locked_until    INTEGER,
    last_error      TEXT
);
