-- Failed sign-ins per key (a hashed email, or the CRM API password), so a
-- password cannot be guessed at speed on any instance.
CREATE TABLE sign_in_failures (
    key_hash TEXT NOT NULL,
    at       INTEGER NOT NULL
);
CREATE INDEX sign_in_failures_key ON sign_in_failures (key_hash, at);
