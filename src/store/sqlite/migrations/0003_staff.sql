-- The broker's staff (compliance, support, admin) and their sessions, kept
-- apart from traders'. Passwords are argon2 hashes; session ids are stored
-- as SHA-256.
CREATE TABLE staff (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    email         TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL,
    created_at    INTEGER NOT NULL
);

CREATE TABLE staff_sessions (
    id_hash      TEXT PRIMARY KEY NOT NULL,
    staff_id     INTEGER NOT NULL REFERENCES staff (id),
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
);
