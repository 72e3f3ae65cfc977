-- #19: "continue on your phone": a short-lived, single-use link from the
-- KYC upload screen of a desktop session to the same trader's upload
-- screen on a phone. Only the code's SHA-256 is kept (as for sessions); the
-- phone gets a session of its own, for the desktop session's trader.
CREATE TABLE kyc_handoffs (
    code_hash     TEXT PRIMARY KEY NOT NULL,
    session_hash  TEXT NOT NULL,
    login         INTEGER NOT NULL,
    document_type TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    used_at       INTEGER
);
CREATE INDEX kyc_handoffs_expiry ON kyc_handoffs (expires_at);
